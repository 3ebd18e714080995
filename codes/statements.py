"""Querysets turned into SQL once per process, then run with each request's values.

The ORM takes longer to write a query's SQL than SQLite takes to answer it: 130 µs to compile a
filter on one column on this project's machine, against 20 µs to run it (bench/README.md). A
page's own queries have the same shape on every request; only the values differ (the code in
the address). A `Statement` is a function that builds the queryset from its values:

    LINKS = Statement(lambda code: CptModifier.objects.filter(modifier__code=code)...)
    links = LINKS(code="QS")  # a list of model instances

The first call in a thread builds the queryset with stand-ins for the values, compiles it and
notes where each stand-in is among the SQL's parameters; every call then runs that SQL with its
own values in their places and turns the rows into what the queryset gives: model instances
(the same columns, the same converters, select_related followed, annotations set), or
values_list()'s tuples or values. The SQL is the queryset's own, so what readers may see stays
the models' rule.

What a statement may hold: values that are strings or integers, or lists of them (a list of
another length compiles again), used as they are (exact and `in` lookups, not `icontains`,
which rewrites them: the stand-ins would not be found, and the statement says so when it
compiles). A code field's clean-up (capitals, no spaces) is not applied to them: callers give
codes in their canonical form, as the path converters do. And querysets of model instances
(without prefetch_related, not from a related manager, whose instances know their parent) or
of values_list(), flat or not.

`KeptRows` does the same for querysets whose SQL is decided by a key the caller gives, such as
a page of an index: its kind, filters, sort and page (codes/views.py). The SQL is compiled
once for the key, with the values in it, and gives model instances (prefetch_related followed),
values_list()'s tuples or values() dictionaries.
"""

import inspect
import threading
from collections.abc import Callable
from inspect import getattr_static
from itertools import count

from django.core.exceptions import EmptyResultSet
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    ValuesIterable,
    ValuesListIterable,
    get_related_populators,
    prefetch_related_objects,
)
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

from . import driver

# Stand-ins for values while a statement compiles: strings no one types (in capitals without
# spaces around them, which the code fields would make of them), and integers in the range of
# every integer column (a value out of a column's range is dropped from the SQL).
_tokens = count(1)


def _stand_in(kind: type):
    token = next(_tokens)
    return f"\x00STAND-IN {token}\x00" if kind is str else 2_100_000_000 + token


class Statement:
    def __init__(self, build: Callable):
        self.build = build
        self.names = tuple(inspect.signature(build).parameters)
        # The shape of the values -> _Compiled, in each thread: a compiled statement holds its
        # thread's database connection (the converters of the rows are the connection's).
        self.local = threading.local()

    def __call__(self, **values) -> list:
        if set(values) != set(self.names):
            raise TypeError(f"A statement of {', '.join(self.names)} was given {sorted(values)}")
        if any(value == [] for value in values.values()):
            return list(self.build(**values))  # `in []`: the ORM knows what that leaves
        shape = tuple(_shape(values[name]) for name in self.names)
        kept = self.local.__dict__.setdefault("compiled", {})
        compiled = kept.get(shape)
        if compiled is None:
            compiled = kept[shape] = self._compile(dict(zip(self.names, shape, strict=True)))
        return compiled.run(values)

    def _compile(self, shapes: dict) -> "_Compiled":
        stand_ins, where = {}, {}
        for name, (kind, *rest) in shapes.items():
            if kind is list:
                stand_ins[name] = [_stand_in(rest[1]) for _ in range(rest[0])]
                where.update((item, (name, n)) for n, item in enumerate(stand_ins[name]))
            else:
                stand_ins[name] = _stand_in(kind)
                where[stand_ins[name]] = (name, None)
        queryset = self.build(**stand_ins)
        if queryset._iterable_class is ValuesIterable:
            raise TypeError("A statement gives model instances or values_list(): not values()")
        if queryset._prefetch_related_lookups or queryset._known_related_objects:
            raise TypeError("A statement is built from a model's manager, without prefetch_related")
        return _Compiled(queryset, where)


class KeptRows:
    """`KEPT.rows(queryset, key)`: the queryset's rows, its SQL compiled once per thread for
    `key`, which must decide that SQL: the same key, the same query (tests/test_indexes.py
    checks the index pages' keys against Django's own SQL). The compiled SQL of `size` keys
    at most is kept; more, and it starts afresh."""

    def __init__(self, size: int = 512):
        self.size = size
        self.local = threading.local()

    def rows(self, queryset, key) -> list:
        kept = self.local.__dict__.setdefault("compiled", {})
        key = (queryset.db, key)
        compiled = kept.get(key)
        if compiled is None:
            if len(kept) >= self.size:
                kept.clear()
            compiled = kept[key] = _Compiled(queryset, {})
        rows = compiled.run({})
        if queryset._prefetch_related_lookups:
            # This queryset's lookups: a Prefetch's queryset gets hints from the rows it is
            # given, so that of a kept queryset would carry one request's into the next.
            prefetch_related_objects(rows, *queryset._prefetch_related_lookups)
        return rows


def _shape(value) -> tuple:
    """What the SQL depends on: a value's type, or a list's length and its items' type."""
    if isinstance(value, list):
        kinds = {type(item) for item in value}
        if len(kinds) != 1 or not kinds <= {str, int}:
            raise TypeError(f"A statement takes lists of strings or of integers, not {kinds}")
        return (list, len(value), kinds.pop())
    if type(value) not in (str, int):
        raise TypeError(f"A statement takes strings or integers, not {type(value).__name__}")
    return (type(value),)


# What a statement gives, by the queryset's kind of rows.
ROWS = {
    ModelIterable: "instances",
    ValuesListIterable: "tuples",
    FlatValuesListIterable: "values",
    ValuesIterable: "dictionaries",
}


class _Compiled:
    """The SQL of a queryset, its parameters with a slot for each value (`where`: stand-in ->
    (name, index in a list or None)), and what it takes to make its rows what the queryset
    gives (ModelIterable's steps, and those of the values iterables)."""

    def __init__(self, queryset, where: dict):
        self.rows = ROWS.get(queryset._iterable_class)
        if self.rows is None:
            raise TypeError(f"Rows of {queryset._iterable_class.__name__} cannot be kept")
        if queryset._known_related_objects:
            raise TypeError("A kept queryset is built from a model's manager")
        self.db = queryset.db
        compiler = queryset.query.get_compiler(using=self.db)
        try:
            self.sql, params = compiler.as_sql()
        except EmptyResultSet:  # `.none()`, or `in []`: no rows, and no query
            self.sql = None
            return
        self.params = list(params)
        # Columns selected only to order by them come after the queryset's own.
        self.width = compiler.col_count if compiler.has_extra_select else None
        self.slots = [
            (at, *where[param])
            for at, param in enumerate(params)
            if isinstance(param, str | int) and param in where
        ]
        if sorted(map(repr, where.values())) != sorted(repr(slot[1:]) for slot in self.slots):
            raise ValueError(f"The values must reach the SQL as they are, once each: {self.sql}")
        info, select = compiler.klass_info, compiler.select
        self.converters = compiler.get_converters([s[0] for s in select[: compiler.col_count]])
        self.compiler = compiler
        if self.rows == "dictionaries":
            query = queryset.query
            self.names = (
                list(query.selected)
                if query.selected
                else [*query.extra_select, *query.values_select, *query.annotation_select]
            )
        if self.rows != "instances":
            return
        self.model = info["model"]
        self.start, self.end = info["select_fields"][0], info["select_fields"][-1] + 1
        self.init_list = [column[0].target.attname for column in select[self.start : self.end]]
        self.related = [_populator(one) for one in get_related_populators(info, select, self.db)]
        self.annotations = compiler.annotation_col_map
        self.plain = _plain(self.model, self.init_list)

    def run(self, values: dict) -> list:
        if self.sql is None:
            return []
        params = list(self.params)
        for at, name, index in self.slots:
            params[at] = values[name] if index is None else values[name][index]
        rows = driver.fetch_all(self.sql, params, self.db)  # the driver's cursor
        if self.width is not None:
            rows = [row[: self.width] for row in rows]
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        if self.rows == "values":
            return [row[0] for row in rows]
        if self.rows == "tuples":
            return [tuple(row) for row in rows]
        if self.rows == "dictionaries":
            names = self.names
            return [dict(zip(names, row, strict=False)) for row in rows]  # as ValuesIterable
        objects = []
        model, db, names, start, end = self.model, self.db, self.init_list, self.start, self.end
        plain = self.plain and not (pre_init.has_listeners(model) or post_init.has_listeners(model))
        for row in rows:
            if plain:  # what from_db makes, in a fifth of its time
                obj = _new(model)
                state = ModelState()
                state.adding, state.db = False, db
                obj.__dict__.update(zip(names, row[start:end], strict=True), _state=state)
            else:
                obj = model.from_db(db, names, row[start:end])
            for populator in self.related:
                populator.populate(row, obj)
            for name, at in self.annotations.items():
                setattr(obj, name, row[at])
            objects.append(obj)
        return objects


_new = object.__new__


def _populator(populator):
    """Django's RelatedPopulator, or for a model whose records may be made plainly (`_plain`)
    one that makes them so."""
    if _plain(populator.model_cls, populator.init_list):
        return PlainPopulator(populator)
    return populator


class PlainPopulator:
    """RelatedPopulator.populate (select_related's records), each record made as `run` makes
    its rows, rather than through Model.__init__ (a fifth of a record page's statements)."""

    def __init__(self, populator):
        self.django = populator
        self.model = populator.model_cls
        self.related = [_populator(one) for one in populator.related_populators]

    def populate(self, row, from_obj):
        django, model = self.django, self.model
        if pre_init.has_listeners(model) or post_init.has_listeners(model):
            return django.populate(row, from_obj)
        if django.reorder_for_init:
            values = django.reorder_for_init(row)
        else:
            values = row[django.cols_start : django.cols_end]
        obj = None
        if values[django.pk_idx] is not None:
            obj = _new(model)
            state = ModelState()
            state.adding, state.db = False, django.db
            obj.__dict__.update(zip(django.init_list, values, strict=True), _state=state)
            for populator in self.related:
                populator.populate(row, obj)
        django.local_setter(from_obj, obj)
        if obj is not None:
            django.remote_setter(obj, from_obj)


# Django's descriptors of a field, under which a value set in __dict__ reads as one that
# Model.__init__ set (a foreign key's also forgets the related record it cached: none yet).
PLAIN_FIELDS = (DeferredAttribute, ForeignKeyDeferredAttribute)


def _plain(model, names: list[str]) -> bool:
    """Whether an instance of `model` may be made from a row of the fields `names` by setting
    them in its __dict__, as Model.__init__ and from_db leave them (4.6 -> 0.9 µs a row, a
    tenth of a page of 50 taxonomies): the model keeps Django's own __init__ and from_db, and
    each field has Django's plain descriptor (the fields left out load when read, as deferred
    fields do). Signals' listeners are checked at each run."""
    return (
        model.__init__ is Model.__init__
        and model.from_db.__func__ is Model.from_db.__func__
        and all(type(getattr_static(model, name, None)) in PLAIN_FIELDS for name in names)
    )
