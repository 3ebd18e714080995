"""Tables and filter forms are written in Python (codes/tablehtml.py, codes/formhtml.py
Select, FilterField) where django-tables2's template and Django's widget templates wrote them. Every
page that shows one is the same, byte for byte, either way: the reference renders the same
tables with django-tables2's own `Table.as_html` (templates/django/_table.html) and the filter
forms with Django's template renderer."""

import datetime

import django_tables2
import pytest
from django import forms
from django.core.cache import cache
from django.template import Context, Template
from django.test import RequestFactory, override_settings
from django.test.signals import template_rendered
from django.urls import reverse
from django.utils.safestring import mark_safe
from django_tables2.data import TableQuerysetData
from django_tables2.rows import BoundRow

from codes import filters, formhtml, kinds, tablehtml, tables
from codes.models import CptCode, Modifier

from .conftest import PAGE_KINDS, prepare_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def templates(monkeypatch):
    """A function that makes the pages use the libraries' templates from then on."""

    def use_templates():
        monkeypatch.setattr(tables.Table, "as_html", django_tables2.Table.as_html)
        monkeypatch.setattr(formhtml.Select, "render", forms.Select.render)
        monkeypatch.setattr(filters.FilterForm, "bound_field_class", None)  # Django's

    return use_templates


def both_ways(client, templates, addresses) -> dict[str, tuple[bytes, bytes]]:
    """Each page as it is now, then as the templates write it."""
    pages = {address: client.get(address) for address in addresses}
    cache.clear()  # else the page cache answers with the pages above
    templates()
    return {address: (page.content, client.get(address).content) for address, page in pages.items()}


def index_addresses(kind: kinds.Kind) -> list[str]:
    """A kind's index: as it is, page 2 (of 5 rows), sorted down by its second sortable column
    on page 2, filtered by the first value of each filter and sorted, and with a filter value
    that is not valid (the form says why and marks the field)."""
    listing = kind.listing
    path = reverse(f"codes:{listing.url_name}")
    rows = kind.model.objects.listed()
    table = listing.table_class()(rows)
    sortable = [column.name for column in table.columns if column.orderable]
    sort = sortable[1] if len(sortable) > 1 else sortable[0]
    addresses = [path, f"{path}?per_page=5&page=2", f"{path}?sort=-{sort}&per_page=5&page=2"]
    if listing.filterset:
        form = listing.filterset_class()({}, queryset=rows).form
        for name, field in form.fields.items():
            values = [value for value, _ in getattr(field, "choices", ()) if value != ""]
            if values:
                addresses.append(f"{path}?{name}={values[0]}&sort={sort}")
            addresses.append(f"{path}?{name}=not-a-value&per_page=2")
    return addresses


@pytest.mark.parametrize("kind", [kind.name for kind in kinds.listed()])
def test_every_index_is_the_page_the_templates_write(client, content, templates, kind):
    pages = both_ways(client, templates, index_addresses(kinds.get(kind)))
    for address, (page, reference) in pages.items():
        assert b'<div class="table-container"' in reference, address
        assert page == reference, address
    if kinds.get(kind).listing.filterset:
        assert any(b"</select>" in page for page, _ in pages.values())


@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_every_page_kind_is_the_page_the_templates_write(client, content, templates, kind, request):
    prepare_page(kind, request)
    address = PAGE_KINDS[kind]
    ((page, reference),) = both_ways(client, templates, [address]).values()
    assert page == reference


def test_a_long_index_numbers_its_pages_as_the_template_does(client, content, templates):
    # 52 places of service, 2 a page: "1 … 4 5 6 7 8 9 10 … 26", the current page marked.
    addresses = [f"/places-of-service/?per_page=2&page={page}" for page in (1, 7, 26, 99, "x")]
    for address, (page, reference) in both_ways(client, templates, addresses).items():
        assert 'aria-current="page"' in reference.decode(), address
        assert page == reference, address


def test_the_index_renders_no_template_for_its_table_or_filters(client, content):
    rendered = []

    def record(sender, template, **kwargs):
        rendered.append(template.name)

    template_rendered.connect(record)
    try:
        response = client.get("/modifiers/?kind=not-a-kind")
    finally:
        template_rendered.disconnect(record)
    assert b"</select>" in response.content and b"<tbody" in response.content
    assert rendered == []


class EveryFeatureTable(tables.Table):
    """What the project's tables use, and what django-tables2 offers besides: both ways must
    agree on each."""

    code = django_tables2.Column("Code <b>", linkify=True)
    name = django_tables2.Column(linkify=lambda record: f"/x/?a=1&b={record.code}")
    code_set = django_tables2.Column("Code set", attrs={"td": {"data-v": lambda value: value}})
    kind = django_tables2.Column(mark_safe("Kind <i>of</i>"), orderable=False)
    note = django_tables2.Column("Note", default="—", attrs={"td": {"class": "wrap x"}})
    flag = django_tables2.Column("Flag", accessor="is_unverified", localize=False)
    units = django_tables2.Column("Units", accessor="asa_units", localize=True)
    html = django_tables2.Column("HTML", empty_values=(), orderable=False)
    missing = django_tables2.Column("Missing", accessor="no__such__thing", default="none")
    edited = django_tables2.Column("Edited", accessor="edited_at")
    day = django_tables2.DateColumn("j M Y", accessor="edited_at", default="never")
    count = tables.FigureColumn("Count", accessor="pk", order_by=("code",))

    class Meta(tables.Table.Meta):
        row_attrs = {"data-code": lambda record: record.code}
        attrs = {"class": "data", "id": "t&1", "th": {"class": "h"}}

    def render_html(self, record, bound_row):
        # Marked safe on even rows, to be escaped on odd ones.
        return "<em>&</em>" if bound_row.row_counter % 2 else mark_safe(f"<em>{record.code}</em>")


def render_both(table_class, request, **options):
    # Dates, times and numbers, which templates localise, on every other row.
    edited = datetime.datetime(2026, 3, 2, 23, 30, tzinfo=datetime.UTC)
    Modifier.objects.filter(code__endswith="X").update(edited_at=edited, asa_units=1234)
    rows = Modifier.objects.order_by("code")
    ours = table_class(rows, **options)
    reference = table_class(rows, **options)
    for table in (ours, reference):
        django_tables2.RequestConfig(request, paginate={"per_page": 3}).configure(table)
    return tablehtml.render(ours, request), django_tables2.Table.as_html(reference, request)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?sort=code&page=2",
        "?sort=-code_set&x=%3Cy%3E&x=2&page=3",
        "?sort=-count",
        "?page=2&x=a+%26+%22b%22&sort=-code",  # what stays around each link, escaped
    ],
)
def test_every_kind_of_cell_is_written_as_the_template_writes_it(content, query):
    request = RequestFactory().get(f"/modifiers/{query}")
    ours, reference = render_both(EveryFeatureTable, request, caption="Every <feature> & more")
    assert "&lt;em&gt;&amp;&lt;/em&gt;" in reference and "</em></td>" in reference
    assert ours == reference


class PlainRowsTable(tables.Table):
    """Cells that each have a quick writer, in rows without attributes of their own: written
    from their records, without a BoundRow, once the first row has chosen the writers."""

    code = django_tables2.Column("Code <b>", linkify=True)
    name = django_tables2.Column(linkify=lambda record: f"/x/?a=1&b={record.code}")
    note = django_tables2.Column("Note", default="—")
    kind = django_tables2.Column("Kind")
    count = tables.FigureColumn("Count", accessor="pk", order_by=("code",))


@pytest.mark.parametrize("query", ["", "?sort=-kind&page=2"])
def test_plain_rows_are_written_as_the_template_writes_them(content, query, monkeypatch):
    made = []

    class CountedRow(BoundRow):
        def __init__(self, *args, **kwargs):
            made.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(tablehtml, "BoundRow", CountedRow)
    request = RequestFactory().get(f"/modifiers/{query}")
    ours, reference = render_both(PlainRowsTable, request, caption="Plain")
    assert ours.count('<tr class="odd">') == 1 and ours.count('<tr class="even">') == 2
    assert ours == reference
    assert len(made) == 1  # the first row's


def test_rows_of_records_of_several_kinds_are_written_as_the_template_writes_them(content):
    class MixedTable(tables.Table):
        code = django_tables2.Column("Code")
        name = django_tables2.Column("Name", default="—")

    first, second = Modifier.objects.order_by("code")[:2]
    rows = [first, {"code": "D<1>", "name": "A dict"}, second, {"code": "D2"}, first]
    request = RequestFactory().get("/")
    ours, reference = MixedTable(rows), MixedTable(rows)
    html = tablehtml.render(ours, request)
    assert html == django_tables2.Table.as_html(reference, request)
    assert "D&lt;1&gt;" in html and html.count("<tr ") == 5


def test_a_table_under_a_heading_and_an_empty_table_are_written_as_the_template_does(content):
    request = RequestFactory().get("/")
    for heading, rows in (("h", Modifier.objects.all()), ("", Modifier.objects.none())):
        ours, reference = (
            tables.ModifierTable(rows, caption="Modifiers").labelled_by(heading) for _ in range(2)
        )
        assert tablehtml.render(ours, request) == django_tables2.Table.as_html(reference, request)


def test_a_date_cell_is_written_as_the_template_writes_it():
    # A value that a template localises: a date, written with DATE_FORMAT.
    request = RequestFactory().get("/")

    class DateTable(tables.Table):
        day = django_tables2.Column("Day")

    rows = [{"day": datetime.date(2026, 3, 2)}, {"day": 1234567}, {"day": 2.5}]
    rows += [{"day": -42}, {"day": 0}, {"day": True}, {"day": None}]
    ours, reference = DateTable(rows), DateTable(rows)
    assert tablehtml.render(ours, request) == django_tables2.Table.as_html(reference, request)
    # Integers are written sooner, the same way, unless thousands are separated.
    with override_settings(USE_THOUSAND_SEPARATOR=True):
        ours, reference = DateTable(rows), DateTable(rows)
        html = tablehtml.render(ours, request)
        assert html == django_tables2.Table.as_html(reference, request)
        assert ">1,234,567<" in html
    assert Template("{{ d }}").render(Context({"d": rows[0]["day"]})) in str(
        tablehtml.render(ours, request)
    )


def test_a_select_is_written_as_django_writes_it_whatever_it_selects():
    """Options written once for a list of choices mark, on each render, what that render
    selects: one value, a value listed twice (the first only), several (multiple), none, and a
    value not among the choices."""
    choices = [("", "Any"), ("a", "A & b"), ("b", "<B>"), ("a", "A again"), (3, "Three")]

    class Multiple(formhtml.Select):
        allow_multiple_selected = True

    ours_by_class = {forms.Select: formhtml.Select, forms.SelectMultiple: Multiple}

    def both(widget_class, value):
        ours = ours_by_class[widget_class](choices=choices)
        reference = widget_class(choices=choices)
        return ours.render("f", value, {"id": "id_f"}), reference.render("f", value, {"id": "id_f"})

    for value in ("", "a", "b", "3", "zz", None):
        ours, reference = both(forms.Select, value)
        assert ours == reference, value
    for value in (["a", "3"], ["b"], [], ["a", "zz"]):
        ours, reference = both(forms.SelectMultiple, value)
        assert ours == reference, value
    assert both(forms.SelectMultiple, ["a"])[0].count(" selected>") == 2


def test_options_are_written_once_for_the_same_list_and_afresh_for_another(content, rf):
    """A filter's kept choices are one list per content version: a second form of the same
    version reuses its <option>s, and a list read for a new version is written afresh."""
    request = rf.get("/taxonomies/", {"grouping": "Allopathic & Osteopathic Physicians"})
    request.content_state = "v1"
    filterset = kinds.get("taxonomy").listing.filterset_class()
    first = filterset(request.GET, request=request).form["grouping"]
    again = filterset(request.GET, request=request).form["grouping"]
    kept = formhtml.Options.of(first.field.widget.choices)
    assert formhtml.Options.of(again.field.widget.choices) is kept
    assert str(first) == str(again) and str(first).count(" selected>") == 1
    assert "selected>Allopathic &amp; Osteopathic Physicians</option>" in str(first)
    request.content_state = "v2"
    later = filterset(request.GET, request=request).form["grouping"]
    assert formhtml.Options.of(later.field.widget.choices) is not kept
    assert str(later) == str(first)


def test_the_order_a_table_reads_from_its_queryset_is_django_tables2s_own(content):
    """Table keeps, by class, columns and the queryset's order, the columns by which its rows
    are already ordered (tables.KeptOrderingData): the same as django-tables2 works out, for
    each order, the first time and after."""
    rows = Modifier.objects.listed()
    for order in (("-name",), ("code",), ("kind", "code"), ("pk",), ()):
        for _ in range(2):
            table = tables.ModifierTable(rows.order_by(*order))
            assert isinstance(table.data, tables.KeptOrderingData)
            assert table.data.ordering == TableQuerysetData.ordering.fget(table.data), order
    assert tuple(tables.ModifierTable(rows.order_by("-name")).order_by) == ("-name",)


def _table_classes(base=tables.Table):
    for kind in base.__subclasses__():
        yield kind
        yield from _table_classes(kind)


@pytest.mark.parametrize("table_class", sorted(set(_table_classes()), key=lambda k: k.__name__))
def test_each_table_has_its_own_copy_of_its_columns(table_class):
    """Columns are copied for each table as copy.copy copies them (tables.Columns): the same
    attributes, other objects, so that hiding a column in one table hides it nowhere else."""
    first, second = table_class([]), table_class([])
    for name, declared in table_class.base_columns.items():
        column = first.columns[name].column
        assert column is not declared and type(column) is type(declared)
        # What the table's column sets for itself (django-tables2's BoundColumn): its accessor.
        assert column.accessor == (declared.accessor or name)
        assert {**vars(column), "accessor": None} == {**vars(declared), "accessor": None}
    name = next(iter(table_class.base_columns))
    first.columns.hide(name)
    assert not first.columns[name].visible
    assert second.columns[name].visible and table_class([]).columns[name].visible


def test_paths_into_model_instances_are_read_as_the_template_reads_them(content, monkeypatch):
    """A path (cpt__code) read attribute by attribute (tablehtml.Cells._walk) gives what
    django-tables2's Accessor.resolve gives: through a relation that may be empty, a step that
    is a method (called), a step that is not there (the default)."""
    from django_tables2.utils import Accessor

    from codes.models import CptModifier

    class PathsTable(tables.Table):
        code = django_tables2.Column("Code", accessor="cpt__code")
        place = django_tables2.Column("POS", accessor="cpt__place_of_service__code", default="-")
        address = django_tables2.Column("Address", accessor="cpt__get_absolute_url")
        missing = django_tables2.Column("Missing", accessor="cpt__no_such", default="none")

    CptModifier.objects.filter(pk=CptModifier.objects.order_by("pk")[0].pk).update(
        cpt=CptCode.objects.create(code="99999", title="No place", status="draft")
    )
    rows = CptModifier.objects.select_related("cpt__place_of_service").order_by("pk")
    request = RequestFactory().get("/")
    ours, reference = PathsTable(rows), PathsTable(rows)
    resolved = []
    real_resolve = Accessor.resolve

    def counted(accessor, *args, **kwargs):
        resolved.append(str(accessor))
        return real_resolve(accessor, *args, **kwargs)

    monkeypatch.setattr(Accessor, "resolve", counted)
    html = tablehtml.render(ours, request)
    assert "cpt__code" not in resolved and "cpt__place_of_service__code" not in resolved
    assert html == django_tables2.Table.as_html(reference, request)
    assert "/codes/00620/" in html and ">-</td>" in html and ">none</td>" in html
