"""A django-tables2 table as HTML, written in Python: `Table.as_html` (codes/tables.py).

django-tables2 still declares, sorts, paginates and exports the tables; this module only
writes them, byte for byte as django-tables2's template extended by templates/django/_table.html
writes them (tests/test_table_html.py renders every page both ways and compares). That template
took 0.25 ms a row (12 ms for a page of 50 taxonomies): half of it django-tables2 reading each
render method's signature again for every cell (inspect.signature), half the template itself.
Here each column's signatures are read once per table: 25 µs a row of five cells (2026-12).

Cells are escaped as Django's templates escape a variable (render_value_in_context): what a
render method marks safe stays as it is, everything else is escaped. The whitespace between the
tags is the templates' own, so that the comparison can be byte for byte.
"""

import re
from itertools import count
from urllib.parse import quote_plus

from django.conf import settings
from django.db import models
from django.template import Context
from django.template.base import render_value_in_context
from django.utils import formats
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.html import conditional_escape
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django_tables2.columns.base import Column
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.columns.manytomanycolumn import ManyToManyColumn
from django_tables2.rows import BoundRow, BoundRows
from django_tables2.templatetags.django_tables2 import table_page_range
from django_tables2.utils import A, AttributeDict, signature

from . import numbers, paths
from .htmltext import escape as escape_html

# What a template's {{ variable }} does with a value: localised, then escaped unless safe.
TEMPLATE = Context()
# The keyword arguments django-tables2 offers render methods and linkify callables.
CELL_ARGUMENTS = ("value", "record", "column", "bound_column", "bound_row", "table")


def text(value) -> str:
    """A value as a template writes `{{ value }}`."""
    kind = type(value)
    if kind is str:
        return escape_html(value)  # what the template does with these two, sooner
    if kind is SafeString:
        return value
    if kind is int and not settings.USE_THOUSAND_SEPARATOR:
        # Localised without a thousands separator, an integer is its digits (Django's
        # numberformat says so first); the way there looked up the locale's formats: 9 µs,
        # a row's two cells' worth, for each count in an index.
        return str(value)
    return render_value_in_context(value, TEMPLATE)


def escaped(value) -> str:
    """`conditional_escape`, sooner for strings."""
    kind = type(value)
    if kind is str:
        return escape_html(value)
    if kind is SafeString:
        return value
    return conditional_escape(value)


def attributes(attrs: dict) -> str:
    """A tag's attributes, `AttributeDict(attrs).as_html()`: values given as functions are
    called, None and the keys django-tables2 keeps for itself (th, td...) left out, the rest
    escaped. Without format_html_join, whose checks for lazy strings were a fifth of a small
    table's time (eight calls a table)."""
    pairs = []
    for key, value in attrs.items():
        if callable(value):
            value = value()
        if value is not None and key not in AttributeDict.blacklist:
            pairs.append(f'{escaped(key)}="{escaped(value)}"')
    return " ".join(pairs)


class QueryString:
    """The current query string with `key` set to a value, escaped: django-tables2's
    `{% querystring key=value %}`, which keeps every other parameter where it was (`key` too,
    if the address has it; else it comes last). The other parameters are encoded once for all
    the links of a table (its headings' sort links, its pages' links)."""

    def __init__(self, request, key: str):
        params = list(dict(request.GET).items())
        at = next((n for n, (name, _) in enumerate(params) if name == key), len(params))
        self.key = key
        before = urlencode(params[:at], doseq=True)
        after = urlencode(params[at + 1 :], doseq=True)
        # What comes before and after the pair, escaped once: escaping is done character by
        # character, so the parts escaped apart are the whole escaped.
        self.start = escape_html(f"?{before}&" if before else "?")
        self.end = escape_html(f"&{after}" if after else "")
        self.name = quote_plus(key)  # letters, digits, _.-~, %XX and +: nothing to escape

    def __call__(self, value) -> str:
        if isinstance(value, str | int):  # a page number, a sort: as urlencode writes them
            text = str(value)
            if UNQUOTED.fullmatch(text) is None:  # quote_plus leaves these as they are
                text = quote_plus(text)  # and writes nothing that needs escaping
            return f"{self.start}{self.name}={text}{self.end}"
        return f"{self.start}{escape_html(urlencode({self.key: value}, doseq=True))}{self.end}"


# What urllib's quote_plus leaves unchanged (a page number, a sort such as -base_units), and
# writes no differently escaped: a link of a table's headings or pages read 4 µs with it.
UNQUOTED = re.compile(r"[A-Za-z0-9_.~-]*")


# What a function's signature says of its calls (`_analysis`), by function (a method's by its
# function, whatever the table or column it is bound to): reading one took 30 µs, and every
# table read those of all its columns.
_SIGNATURES: dict = {}


def _analysis(function) -> tuple:
    """(the names of the cell's arguments it takes, or None for any; whether it is called at
    all; the key of its QUICK call, or None), from its signature: a function asking for an
    argument that cells do not have is not called."""
    key = (getattr(function, "__func__", function), hasattr(function, "__self__"))
    try:
        return _SIGNATURES[key]
    except KeyError:
        pass
    if len(_SIGNATURES) > 4096:  # functions made afresh for each table would never repeat
        _SIGNATURES.clear()
    names, catch_all = signature(function)
    quick = None
    if not catch_all and set(names) <= {"value", "record"}:
        quick = tuple(sorted(names))
    called = catch_all or all(name in CELL_ARGUMENTS for name in names)
    _SIGNATURES[key] = found = (None if catch_all else names, called, quick)
    return found


class Call:
    """A function called as django-tables2's `call_with_appropriate` calls it (with the cell's
    arguments it names), its signature read once instead of at every call."""

    def __init__(self, function):
        self.function = function
        self.names, self.callable, quick = _analysis(function)
        # A function of the value and the record (most render methods and links) is called
        # with them directly, `quick(value, record)`, without the dictionary of every argument.
        self.quick = None if quick is None else QUICK[quick](function)

    def __call__(self, arguments: dict):
        if self.names is None:
            return self.function(**arguments)
        if not self.callable:
            return None
        return self.function(**{name: arguments[name] for name in self.names})


QUICK = {
    (): lambda f: lambda value, record: f(),
    ("value",): lambda f: lambda value, record: f(value=value),
    ("record",): lambda f: lambda value, record: f(record=record),
    ("record", "value"): lambda f: lambda value, record: f(value=value, record=record),
}
MISSING = object()


class Shape:
    """What a column's declaration decides about its cells: how its accessor reads a record,
    whether it has a render method, its link. Worked out once per table class and column
    (`Shape.of`), not for every table: a small table's columns took longer to analyse than its
    rows to write. The model field of the accessor and its choices' labels, by record class,
    are kept with it."""

    KEPT: dict = {}

    def __init__(self, column):
        self.accessor = A(column.accessor)
        path, _, self.remainder = self.accessor.rpartition(self.accessor.SEPARATOR)
        self.simple = _simple(self.accessor)
        self.bits = tuple(self.accessor.bits)
        self.path = A(path)
        self.display = f"get_{self.remainder}_display"  # a field with choices: its label
        self.fields = {}  # model field of the accessor, by the record's class
        self.choice_labels = {}  # the labels of its choices by value, by the record's class
        # A column without a render method of its own shows its value as it is.
        self.plain = getattr(column.render, "__func__", None) is Column.render
        self.empty_values = column.column.empty_values
        # Columns of a kind not written below are rendered by django-tables2 (row.get_cell).
        self.own_way = isinstance(column.column, (BaseLinkColumn, ManyToManyColumn))
        self.localize = column.localize
        self.link = link = column.link
        self.url_link = self.link_accessor = None
        if link and (link.attrs or link.reverse_args):
            self.own_way = True
        elif link and link.url and callable(link.url):
            self.url_link = True  # a function of the record or value gives the address
        elif link:
            self.link_accessor = A(link.accessor if link.accessor is not None else column.name)
        self.target = self.link_accessor and _simple(self.link_accessor)

    @classmethod
    def of(cls, table, column) -> "Shape":
        """The shape of `column` (a BoundColumn of `table`): kept by the table's class and the
        column as the class declares it; a column added to one table only is worked out
        afresh."""
        declared = type(table).base_columns.get(column.name)
        if declared is None or type(declared) is not type(column.column):
            return cls(column)
        key = (type(table), column.name, id(declared))
        kept = cls.KEPT.get(key)
        if kept is None or kept[0] is not declared:
            kept = cls.KEPT[key] = (declared, cls(column))
        return kept[1]


class Cells:
    """The cells of one column, as django-tables2's BoundRow.get_cell renders them, and the
    attributes of their <td>."""

    def __init__(self, table, column, column_attrs: dict):
        self.column = column
        self.table = table
        self.name = column.name
        # What the column's declaration decides, worked out once per table class (`Shape`).
        self.__dict__.update(Shape.of(table, column).__dict__)
        self.render = Call(column.render)
        # How the value is read from a record, chosen at the first record of each class
        # (`_reader`): a record's class is the same from row to row.
        self.record_class, self.read = None, None
        self.url = Call(column.link.url) if self.url_link else None
        kept = _KEPT_HTML.get(id(column_attrs))
        if kept is not None and kept[0] is column_attrs:
            self.td, self.start = kept[2], kept[3]
        else:
            attrs = {**table.attrs, **column.column.attrs}
            td = attrs.get("td", attrs.get("cell", {}))
            # Attributes given as functions of the record or value are worked out cell by cell.
            callables = any(callable(v) for v in td.values())
            self.td = None if callables else attributes(column_attrs["td"])
            self.start = f"{TD}{self.td}>"
        self.writer = None  # chosen with the reader (`_writer`)

    def field(self, record):
        kind = type(record)
        if kind not in self.fields:
            self.fields[kind] = self.accessor.get_field(record)
        return self.fields[kind]

    def labels(self, record) -> dict | None:
        """The labels of the choices of the accessor's field by value, or None for a field
        without choices: read once per record class. Django's get_<field>_display() builds this
        dictionary again at every call (38 times on the modifiers' page)."""
        kind = type(record)
        if kind not in self.choice_labels:
            field = self.field(record)
            choices = getattr(field, "choices", ())
            self.choice_labels[kind] = dict(make_hashable(field.flatchoices)) if choices else None
        return self.choice_labels[kind]

    def content(self, row, record):
        """What the cell of `row` (a BoundRow of `record`) shows, before it is escaped:
        BoundRow._get_and_render_with, _call_render and LinkTransform, step by step."""
        if self.own_way:
            return row.get_cell(self.name)
        if type(record) is not self.record_class:
            self._choose(record)
        value = self.read(record)
        if value in self.empty_values:
            return self.column.default
        if self.plain and not self.link:
            return value
        if self.plain:
            content = value
        elif self.render.quick:
            content = self.render.quick(value, record)
        else:
            content = self.render(_arguments(value, record, row, self.column))
        if not self.link:
            return content
        if self.url:
            if self.url.quick:
                href = self.url.quick(value, record)
            else:
                href = self.url(_arguments(value, record, row, self.column))
        else:
            href = self._accessor_href(record)
            if href is MISSING:  # django-tables2 says what is wrong
                return self.link(content, **_arguments(value, record, row, self.column))
        if href is None:
            return content
        return SafeString(_link(href, content))

    def _accessor_href(self, record):
        """The address of the link's accessor's target, or else of the record; MISSING when
        neither has one."""
        target = _resolve(self.link_accessor, self.target, record)
        if not hasattr(target, "get_absolute_url"):
            if not hasattr(record, "get_absolute_url"):
                return MISSING
            target = record
        return target.get_absolute_url()

    def _choose(self, record):
        self.record_class, self.read = type(record), self._reader(record)
        self.writer = self._writer()

    def release(self):
        """Let go of the reader and writer chosen for the rows, once they are written: each is a
        function of these cells (a closure or a bound method), held by them, a cycle that only
        the garbage collector would free, and with it the table and its records."""
        self.record_class = self.read = self.writer = None

    def _writer(self):
        """A function that writes the cell of a record (`write`) in fewer steps, for the cells
        most columns have: a <td> of fixed attributes, not localised, the value as it is or
        through a render method of the value and record, linked or not. None for others."""
        if self.own_way or self.td is None or self.localize is not None:
            return None
        render = None if self.plain else self.render.quick
        url = self.url.quick if self.url else None
        if not (self.plain or render) or (self.url and not url):
            return None
        read, empty, default, start = self.read, self.empty_values, self.column.default, self.start
        link, accessor_href = self.link, self._accessor_href

        def write(row, record):
            value = read(record)
            if value in empty:
                return f"{start}{text(default)}{END_TD}"
            content = value if render is None else render(value, record)
            if link:
                href = url(value, record) if url is not None else accessor_href(record)
                if href is MISSING:  # django-tables2 says what is wrong
                    return self._write(row or BoundRow(record, table=self.table), record)
                if href is not None:
                    return f"{start}{_link(href, content)}{END_TD}"
            if type(content) is str:
                return f"{start}{escape_html(content)}{END_TD}"
            return f"{start}{text(content)}{END_TD}"

        return write

    def _reader(self, record):
        """A function that reads the cell's value from a record of this record's class: a
        dictionary's item or a model's field by name, a choice's label, or the accessor's path
        as django-tables2 follows it (`_value`)."""
        name = self.simple
        if name is None:
            if isinstance(record, models.Model) and self.labels(record) is None:
                return self._walk
            return self._value
        if type(record) is dict:
            return lambda record: record.get(name)  # a missing item is None, as resolve's
        if not isinstance(record, models.Model):
            return self._value
        labels = self.labels(record)
        if labels is not None and hasattr(record, self.display):
            attname = self.field(record).attname

            def label(record):
                # get_<field>_display(), as Django writes it, from the labels read once.
                raw = getattr(record, attname)
                return force_str(labels.get(make_hashable(raw), raw), strings_only=True)

            return label

        def attribute(record):
            value = getattr(record, name, MISSING)
            if value is MISSING or callable(value):
                return self._value(record)  # a method is called; a missing name is None
            return value

        return attribute

    def _walk(self, record):
        """`_value` for a path (cpt__code) from a model instance through others, attribute by
        attribute: what Accessor.resolve finds after trying each step as a dictionary's key
        (an exception at every step, most of the time of a linked-codes table's cells). A
        step it would call, or one that is not there, is left to `_value`."""
        value = record
        for bit in self.bits:
            if not isinstance(value, models.Model):
                return self._value(record)
            value = getattr(value, bit, MISSING)
            if value is None:
                return None
            if value is MISSING or callable(value):
                return self._value(record)
        return value

    def _value(self, record):
        """The value as django-tables2 reads it, whatever the record and the accessor."""
        value = None
        remainder = self.remainder
        if self.path or isinstance(record, dict):
            penultimate = self.path.resolve(record, quiet=True)
        else:
            penultimate = record
        if isinstance(penultimate, models.Model):
            labels = self.labels(record)
            if labels is not None and hasattr(penultimate, self.display):
                raw = getattr(penultimate, self.field(record).attname)
                value = force_str(labels.get(make_hashable(raw), raw), strings_only=True)
                remainder = None
        if remainder:
            try:
                value = _resolve(self.accessor, self.simple, record)
            except Exception:
                value = None
        return value

    def write(self, row, record) -> str:
        """The cell: its <td> with its attributes, and its content escaped, localised as the
        column says (`{{ cell|localize }}`)."""
        if type(record) is not self.record_class and not self.own_way:
            self._choose(record)
        if self.writer is not None:
            return self.writer(row, record)
        return self._write(row, record)

    def _write(self, row, record) -> str:
        content = self.content(row, record)
        td = self.td
        if td is None:
            # As BoundRow.items() leaves them for the column's attrs: the cell and its record.
            self.column.current_value, self.column.current_record = content, record
            td = attributes(self.column.attrs["td"])
        if self.localize is not None:
            content = str(formats.localize(content, use_l10n=self.localize))
        return f"{TD}{td}>{text(content)}{END_TD}"


def _link(href, content) -> str:
    return f'<a href="{escaped(href)}">{escaped(content)}</a>'


def _arguments(value, record, row, column) -> dict:
    """The keyword arguments django-tables2 offers a cell's render method and link."""
    return {
        "value": value,
        "record": record,
        "column": column.column,
        "bound_column": column,
        "bound_row": row,
        "table": row.table,
    }


def _simple(accessor: A) -> str | None:
    """The name an accessor of one step reads (`code`), or None for a path (`cpt__code`)."""
    return None if accessor.SEPARATOR in accessor else str(accessor)


def _resolve(accessor: A, name: str | None, record):
    """`accessor.resolve(record)`, sooner for one step into a model instance or a dictionary:
    a value that is there and not callable (resolve would call it) is the value."""
    if name is not None:
        if type(record) is dict:
            if name in record:
                return record[name]
        elif isinstance(record, models.Model):
            value = getattr(record, name, accessor)
            if value is not accessor and not callable(value):
                return value
    return accessor.resolve(record)


# A line break and the indent after it, by width: the templates' own whitespace (the rows are
# django_tables2/table.html's, the rest is templates/django/_table.html's).
NL = {width: "\n" + " " * width for width in (0, 2, 4, 6, 8, 12, 16, 20, 24, 28)}


TD, END_TD = f"{NL[28]}<td ", f"</td>{NL[24]}"  # around each cell
EVEN_ODD = ("even", "odd")  # BoundRow.get_even_odd_css_class, by the row's number


def render(table, request) -> SafeString:
    """The table, its sort links and its pages' navigation, as templates/django/_table.html."""
    with paths.prefix_known():  # its rows' links
        return _render(table, request)


def _render(table, request) -> SafeString:
    table._counter = count()  # rows count from 0 again, as django-tables2's as_html does
    table.before_render(request)
    columns = list(table.columns)
    # Each column's attributes, worked out once for its heading and its cells (django-tables2
    # works out those of the heading, the cells and the footer at every reading).
    attrs = [_column_attrs(table, column) for column in columns]
    return SafeString(
        f"{NL[0]}{NL[0]}{NL[0]}"
        f'<div class="table-container" tabindex="0" role="group" aria-labelledby="'
        f'{text(table.name_id)}">{NL[0]}{NL[0]}'
        f"<table {attributes(table.attrs)}{_labelled(table)}>{NL[2]}"
        f"{_caption(table)}{NL[2]}"
        f"{_thead(table, columns, attrs, request)}{NL[2]}"
        f"{_tbody(table, columns, attrs)}{NL[0]}"
        f"</table>{NL[0]}{NL[0]}"
        f"</div>{NL[0]}{NL[0]}"
        f"{_pagination(table, request)}{NL[0]}{NL[0]}{NL[0]}"
    )


# Columns' attributes by table class, column and sort state (`_column_attrs`), and the keys of a
# table's and a column's attributes that they come from.
_ATTRS: dict = {}
CELL_ATTRS = ("th", "td", "tf", "cell")
# The HTML of the <th> and <td> attributes of kept column attributes, by their id:
# (attributes, th, td, the start of a cell).
_KEPT_HTML: dict = {}


def _column_attrs(table, column) -> dict:
    """`column.attrs` (read, never changed): kept for a table of the same class, sorted the same
    way, with the cell attributes its class declares, unless an attribute is a function (of the
    record or value, worked out cell by cell). django-tables2 merges them afresh at each
    reading: 3 µs a column, more than a small table's rows."""
    ordered = column.is_ordered and ("desc" if column.order_by_alias.is_descending else "asc")
    key = (type(table), column.name, column.orderable, ordered)
    kept = _ATTRS.get(key)
    declared = table._meta.attrs
    if kept is not None and kept[0] is column.column.attrs:
        if all(table.attrs.get(name) is declared.get(name) for name in CELL_ATTRS):
            return kept[1]
        return column.attrs
    merged = {**table.attrs, **column.column.attrs}
    if any(table.attrs.get(name) is not declared.get(name) for name in CELL_ATTRS) or any(
        callable(value) for name in CELL_ATTRS for value in (merged.get(name) or {}).values()
    ):
        return column.attrs
    if len(_ATTRS) >= 4096:
        _ATTRS.clear()
        _KEPT_HTML.clear()
    attrs = column.attrs
    _ATTRS[key] = (column.column.attrs, attrs)
    td = attributes(attrs["td"])
    _KEPT_HTML[id(attrs)] = (attrs, attributes(attrs["th"]), td, f"{TD}{td}>")
    return attrs


def _labelled(table) -> str:
    return f' aria-labelledby="{text(table.heading_id)}"' if table.heading_id else ""


def _caption(table) -> str:
    if table.heading_id:
        return ""
    return f'<caption id="{text(table.name_id)}">{text(table.caption)}</caption>'


def _thead(table, columns, attrs, request) -> str:
    """The column headings: a link that sorts by each sortable column, keeping the query."""
    cells = []
    sort_link = None  # made for the first sortable column
    for column, column_attrs in zip(columns, attrs, strict=True):
        sort = ""
        if column.is_ordered:
            order = "descending" if column.order_by_alias.is_descending else "ascending"
            sort = f' aria-sort="{order}"'
        header = text(column.header)
        if column.orderable:
            if sort_link is None:
                sort_link = QueryString(request, table.prefixed_order_by_field)
            href = sort_link(column.order_by_alias.next)
            header = f'<a href="{href}">{header}<span class="visually-hidden"> (sort)</span></a>'
        kept = _KEPT_HTML.get(id(column_attrs))
        if kept is not None and kept[0] is column_attrs:
            th = kept[1]
        else:
            th = attributes(column_attrs["th"])
        cells.append(f'{NL[6]}<th scope="col" {th}{sort}>{NL[8]}{header}{NL[6]}</th>{NL[4]}')
    return f"{NL[2]}<thead>{NL[4]}<tr>{NL[4]}{''.join(cells)}{NL[4]}</tr>{NL[2]}</thead>{NL[2]}"


def _tbody(table, columns, attrs) -> str:
    """The rows of the current page, or the table's empty text."""
    tbody = table.attrs.get("tbody")
    tbody = attributes(tbody) if isinstance(tbody, AttributeDict) else ""
    html = [f"{NL[16]}<tbody {tbody}>{NL[16]}"]
    cells = None  # made at the first row: an empty table has none to write
    plain = not table.row_attrs
    rows = 0
    # Rows of plain records, once each cell has its writer for their class (at the first row),
    # are written from the records without a BoundRow: rows are numbered as BoundRow numbers
    # them, from the table's counter.
    bound = table.paginated_rows
    pinned = type(bound) is not BoundRows or any(bound.pinned_data.values())
    records = bound.data if plain and not pinned else None
    writers, kind, counter = None, None, table._counter
    for row in bound if records is None else records:
        rows += 1
        if writers is not None and type(row) is kind:
            record = row
            html.append(f'{NL[20]}{NL[20]}<tr class="{EVEN_ODD[next(counter) % 2]}">{NL[24]}')
            html.extend([write(None, record) for write in writers])
            html.append(f"{NL[20]}</tr>{NL[20]}{NL[16]}")
            continue
        if records is not None:
            row = BoundRow(row, table=table)
        if cells is None:
            cells = [
                Cells(table, column, column_attrs)
                for column, column_attrs in zip(columns, attrs, strict=True)
            ]
        if plain and type(row) is BoundRow:
            tr = f'class="{row.get_even_odd_css_class()}"'
        else:
            tr = attributes(row.attrs)
        html.append(f"{NL[20]}{NL[20]}<tr {tr}>{NL[24]}")
        record = row.record
        for cell in cells:
            html.append(cell.write(row, record))
        html.append(f"{NL[20]}</tr>{NL[20]}{NL[16]}")
        # A BoundRow and its CellAccessor refer to each other: a cycle, holding the table, for
        # the garbage collector (codes/pageparts.py). The row is written.
        row.__dict__.pop("cells", None)
        if records is not None and all(cell.writer is not None for cell in cells):
            writers, kind = [cell.writer for cell in cells], type(record)
    if not rows:
        html.append(NL[20])
        if table.empty_text:
            empty = f'<tr><td colspan="{len(columns)}">{text(table.empty_text)}</td></tr>'
            html.append(f"{NL[20]}{NL[20]}{empty}{NL[20]}{NL[20]}")
        html.append(NL[16])
    html.append(f"{NL[16]}</tbody>{NL[12]}")
    for cell in cells or ():
        cell.release()
    return "".join(html)


def _pagination(table, request) -> str:
    """Links to the first, last and nearby pages (django-tables2's `table_page_range`), their
    numbers written by codes/numbers.py; nothing for a table of one page."""
    page = getattr(table, "page", None)
    if not (page and table.paginator.num_pages > 1):
        return ""
    page_link = QueryString(request, table.prefixed_page_field)
    label = text(table.caption or "the table")
    html = [
        f'{NL[0]}<nav class="pagination" aria-label="Pages of {label}">{NL[2]}'
        f"<p>Page {numbers.number(page.number)} of {numbers.number(table.paginator.num_pages)}"
        f"</p>{NL[2]}<ul>{NL[4]}"
    ]
    if page.has_previous():
        href = page_link(page.previous_page_number())
        html.append(f'<li><a rel="prev" href="{href}">Previous</a></li>')
    html.append(NL[4])
    for number in table_page_range(page, table.paginator):
        if number == "...":
            item = f'<li><span aria-hidden="true">…</span></li>{NL[6]}'
        else:
            href = page_link(number)
            if number == page.number:
                link = f'<a aria-current="page" href="{href}">{numbers.number(number)}</a>'
                item = f"<li>{link}</li>{NL[6]}"
            else:
                item = f'<li><a href="{href}">{numbers.number(number)}</a></li>'
        html.append(f"{NL[6]}{item}{NL[4]}")
    html.append(NL[4])
    if page.has_next():
        href = page_link(page.next_page_number())
        html.append(f'<li><a rel="next" href="{href}">Next</a></li>')
    html.append(f"{NL[2]}</ul>{NL[0]}</nav>{NL[0]}")
    return "".join(html)
