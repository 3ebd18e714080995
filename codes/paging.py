"""The rows of a page deep in a long index, read from a bookmark instead of past every row
before them.

A page is the rows at `OFFSET n LIMIT 50` of the index's order, and the database steps through
the n rows it skips: page 1,000 of the ICD-10-CM index sorted by description skipped 49,950
index entries, 2.2 ms of SQLite's time on every request (21 ms on PostgreSQL). Here the order
ends with the primary key, so that every row has one place in it, and a page from `DEEP_FROM`
rows on starts at a bookmark: the sort values of the row at the start of its block of `STEP`
rows, looked up once per content version (it is an `OFFSET` query itself), and the page is the
rows from there on, `WHERE (description, id) >= (bookmark) ... OFFSET (less than STEP)`, which
an index on the sort column answers from that place. Pages that share a block share the
bookmark.

An order can be read this way when each of its terms is a column of the model's own that is
never null (the comparison of a row with a null is unknown), all going the same way, and not a
boolean where the database compares rows term by term (SQLite); others (the CPT index's union, a
sort by chapter) are read as Django reads them.
"""

from django.core.exceptions import FieldDoesNotExist
from django.db import connections
from django.db.models import F
from django.db.models.fields.tuple_lookups import (
    Tuple,
    TupleGreaterThanOrEqual,
    TupleLessThanOrEqual,
)
from django.db.models.query import ModelIterable

from .caching import PerVersion

DEEP_FROM = 5_000  # rows before a page: fewer, and the database skips them in under 0.2 ms
STEP = 1_000  # rows between two bookmarks: at most this many skipped from one
# The sort values of the first row of each block, by rows, order and block.
BOOKMARKS = PerVersion(size=2048)


def whole_order(queryset) -> list[str] | None:
    """The queryset's order with its primary key last (as `order_by` takes it) unless a unique
    column already gives every row its place, when it is an order that pages can be read from
    bookmarks in; else None."""
    query = queryset.query
    if queryset._iterable_class is not ModelIterable or query.combinator or query.distinct:
        return None
    meta = query.get_meta()
    order = list(query.order_by) or (list(meta.ordering) if query.default_ordering else [])
    if not order or not all(isinstance(term, str) for term in order):
        return None
    descending = {term.startswith("-") for term in order}
    if len(descending) != 1:
        return None
    unique = {c.fields[0] for c in meta.total_unique_constraints if len(c.fields) == 1}
    rows_compared = connections[queryset.db].features.supports_tuple_lookups
    names, total = [], False
    for term in order:
        name = term.removeprefix("-")
        name = meta.pk.name if name == "pk" else name
        try:
            field = meta.get_field(name)
        except FieldDoesNotExist:  # an annotation, a path through a relation
            return None
        if not field.concrete or field.null or field.is_relation:
            return None
        if field.get_internal_type() == "BooleanField" and not rows_compared:
            # SQLite compares rows term by term, and a boolean as the bare column, from which
            # its planner cannot read an index: past an offset is sooner there. PostgreSQL
            # compares the rows whole, from the index.
            return None
        names.append(name)
        total = total or field.unique or name in unique  # no two rows alike from there on
    if not total:
        order.append("-pk" if descending.pop() else "pk")
    return order


def page_rows(queryset, rows_key, state) -> tuple:
    """(the queryset that reads the rows of `queryset`'s page, a key that decides its SQL):
    for an order that `whole_order` accepts, the page's rows in that order, from a bookmark if
    the page is deep; else the queryset and key as they came. `rows_key` says which rows and
    order the page is of (its index, filters and sort) and `state` is the content version the
    bookmarks are kept under."""
    query = queryset.query
    start, stop = query.low_mark, query.high_mark
    key = (rows_key, start, stop)
    order = whole_order(queryset)
    if order is None or stop is None:
        return queryset, key
    whole = queryset.all()  # a copy of its own, to take the page's limits off
    whole.query.clear_limits()
    whole = whole.order_by(*order)
    if start < DEEP_FROM:
        return whole[start:stop], key
    block = start // STEP
    fields = [term.removeprefix("-") for term in order]
    mark = BOOKMARKS.get(
        state, (rows_key, tuple(order), block), lambda: _bookmark(whole, fields, block)
    )
    if mark is None:  # past the last row: the page is empty, as Django's would be
        return whole[start:stop], key
    descending = order[0].startswith("-")
    after = TupleLessThanOrEqual if descending else TupleGreaterThanOrEqual
    # Where the database compares rows term by term (SQLite: `a > ? OR (a = ? AND ...)`), the
    # first term alone as well, so that it reads the index from there: with the values as
    # parameters it cannot tell that the two are the same, and read the index from the start.
    first = {f"{fields[0]}__{'lte' if descending else 'gte'}": mark[0]}
    seek = whole.filter(after(Tuple(*(F(name) for name in fields)), mark), **first)
    skip = start - block * STEP
    return seek[skip : skip + stop - start], (*key, mark)


def _bookmark(whole, fields: list[str], block: int) -> tuple | None:
    """The sort values of the row where `block` starts, or None if there is none. Read as a
    page reads its rows, three of them: for one or two rows (LIMIT 1, 2), SQLite's planner
    read the ICD-10-CM by kind and sorted it (100-200 ms) instead of reading the index of the
    order (2 ms)."""
    start = block * STEP
    found = list(whole.prefetch_related(None)[start : start + 3])
    return tuple(getattr(found[0], name) for name in fields) if found else None
