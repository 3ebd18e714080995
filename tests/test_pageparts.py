"""What a page makes that refers back to itself (django-tables2's tables and their parts, the
cells' writers, Django's forms and their bound fields, django-filter's filter sets and filters)
is taken apart once the page is written (codes/pageparts.py): nothing of
it, nor the rows and records it holds, is left for the garbage collector, whose collections
took 6-11% of a table page's time."""

import gc

import django_filters
import django_tables2
import pytest
from django import forms
from django.core.cache import cache
from django.forms.boundfield import BoundField
from django.test import RequestFactory
from django_tables2.columns.base import BoundColumn, BoundColumns
from django_tables2.data import TableData
from django_tables2.rows import BoundRow, BoundRows

from codes import pageparts, tablehtml, tables
from codes.models import Modifier

from .conftest import PAGE_KINDS, prepare_page
from .test_table_html import EveryFeatureTable, PlainRowsTable

pytestmark = pytest.mark.django_db

PAGE_PARTS = (
    django_tables2.Table,
    BoundColumns,
    BoundColumn,
    BoundRows,
    BoundRow,
    TableData,
    tablehtml.Cells,
    forms.BaseForm,
    BoundField,
    django_filters.FilterSet,
    django_filters.Filter,
)


def collected(make) -> list:
    """What the garbage collector has to free (objects in reference cycles, and what only they
    hold) once `make()` has run and let go of all it made."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        make()
        gc.collect()
        return list(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if enabled:
            gc.enable()


# Not among them: django-tables2's OrderBy, the sort of a column, which refers to itself when
# a table is sorted (BoundColumn.order_by_alias.next), and holds nothing else.


def page_parts(objects) -> list[str]:
    # By type, not isinstance: a weak reference to an object that is gone cannot say its class.
    return sorted(type(o).__name__ for o in objects if issubclass(type(o), PAGE_PARTS))


@pytest.mark.parametrize("table_class", [EveryFeatureTable, PlainRowsTable])
def test_a_table_is_freed_with_its_page_not_by_the_garbage_collector(content, table_class):
    request = RequestFactory().get("/modifiers/?sort=-code&page=2")

    def render():
        with pageparts.written():
            table = table_class(Modifier.objects.order_by("code"), caption="Rows")
            django_tables2.RequestConfig(request, paginate={"per_page": 3}).configure(table)
            assert "<tbody" in table.as_html(request)
            assert table.rows.table is table

    assert page_parts(collected(render)) == []


def test_what_is_made_outside_a_page_keeps_its_parts(content):
    """Outside a page (the admin, a management command, the shell) a table's parts still reach
    it after the table itself is let go, as django-tables2 makes them, and a page written
    meanwhile releases nothing of it."""
    row = tables.ModifierTable(Modifier.objects.order_by("code")).rows[0]
    assert row.get_cell_value("code") == row.record.code
    assert row.table.columns["code"].header == "Modifier"
    with pageparts.written():
        pass
    assert row.table.columns["code"].header == "Modifier"


PAGES_WITH_PARTS = [
    "home",
    "cpt-index",
    "modifier-index",
    "taxonomy-index",
    "icd10-index",
    "taxonomy",
    "payer",
    "icd10",
]


@pytest.mark.parametrize("kind", PAGES_WITH_PARTS)
def test_a_page_leaves_nothing_it_made_to_the_garbage_collector(client, content, kind, request):
    prepare_page(kind, request)
    path = PAGE_KINDS[kind]
    client.get(path)  # compiled templates and statements, kept per process

    def get():
        cache.clear()
        assert b"<tbody" in client.get(path).content

    assert page_parts(collected(get)) == []


@pytest.mark.parametrize(
    "path",
    [
        "/codes/00620/estimate/?minutes=176&ps=P3&modifiers=QK+QX&payer=medicare&dos=2026-03-02",
        "/check/?line=00620+QK+P3+M48.04",
        "/lookup/?codes=M48.04+00620",
        "/conversion-factors/?payer=medicare&sort=-amount",
    ],
)
def test_a_form_page_leaves_nothing_it_made_to_the_garbage_collector(client, content, path):
    client.get(path)

    def get():
        cache.clear()
        assert client.get(path).status_code == 200

    assert page_parts(collected(get)) == []
