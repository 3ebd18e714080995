"""Index tables: filters, sorting, pagination and CSV/XLSX export of the current filter."""

import csv
import io
import re

import openpyxl
import pytest
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.test.utils import CaptureQueriesContext

from codes import kinds, views
from codes.filters import Icd10Filter
from codes.models import (
    CptCode,
    Icd10Code,
    Modifier,
    Payer,
    PlaceOfService,
    ProviderTaxonomy,
)

from .conftest import make_cpt
from .test_icd10 import make_tree
from .test_table_html import index_addresses

pytestmark = pytest.mark.django_db


def codes_in(response, prefix):
    return re.findall(rf'<a href="/{prefix}/([^/"]+)/">', response.content.decode())


def exported_csv(response):
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.fixture
def tree(content):
    return make_tree()


def test_icd10_index_filters_by_chapter_and_billable(client, tree):
    Icd10Code.objects.create(code="A00", description="Cholera", kind=Icd10Code.Kind.CATEGORY)
    # The chapter by its number, in the address and in the form.
    assert '<option value="13">' in client.get("/icd10/codes/").content.decode()
    response = client.get("/icd10/codes/", {"chapter": tree.code, "billable": "true"})
    assert codes_in(response, "icd10") == ["M48.04", "M48.05"]
    response = client.get("/icd10/codes/", {"chapter": tree.code, "billable": "false"})
    assert codes_in(response, "icd10") == ["M48", "M48.0"]
    assert "A00" in codes_in(client.get("/icd10/codes/"), "icd10")


@pytest.mark.parametrize(
    "url, model, sort, key",
    [
        ("/icd10/codes/", Icd10Code, "-code", "code"),
        ("/icd10/codes/", Icd10Code, "description", "code"),
        ("/icd10/codes/", Icd10Code, "-billable", "code"),
        ("/modifiers/", Modifier, "-code", "code"),
        ("/modifiers/", Modifier, "name", "code"),
        ("/taxonomies/", ProviderTaxonomy, "-code", "code"),
        ("/taxonomies/", ProviderTaxonomy, "classification", "code"),
        ("/taxonomies/", ProviderTaxonomy, "-grouping", "code"),
        ("/modifiers/", Modifier, "kind", "code"),
        ("/places-of-service/", PlaceOfService, "-code", "code"),
        ("/places-of-service/", PlaceOfService, "name", "code"),
        ("/payers/", Payer, "-name", "slug"),
    ],
)
def test_index_tables_sort_on_their_columns(client, content, url, model, sort, key):
    response = client.get(url, {"sort": sort, "per_page": 500})
    prefix = url.strip("/").split("/")[0]
    tie_break = "-code" if sort.startswith("-") else "code"
    order = [sort] if sort.lstrip("-") in ("code", "name", "description") else [sort, tie_break]
    expected = list(model.objects.order_by(*order).values_list(key, flat=True))
    assert codes_in(response, prefix) == expected
    direction = "descending" if sort.startswith("-") else "ascending"
    assert f'aria-sort="{direction}"' in response.content.decode()


def test_cpt_index_filters_by_section_and_service_type(client, content):
    make_cpt(code="00100", section="Anesthesia › Head")
    make_cpt(code="10021", section="Surgery › General", service_type="surgery")
    response = client.get("/codes/", {"section": "Anesthesia › Head"})
    assert codes_in(response, "codes") == ["00100"]
    response = client.get("/codes/", {"service_type": "anesthesiology", "article": "yes"})
    assert codes_in(response, "codes") == ["00100", "00620"]
    response = client.get("/codes/", {"service_type": "surgery"})
    assert codes_in(response, "codes") == ["10021"]
    spine = {"section": "Anesthesia › Spine and Spinal Cord", "article": "no"}
    assert codes_in(client.get("/codes/", spine), "codes") == [
        "00600",
        "00604",
        "00625",
        "00626",
        "00630",
        "00632",
        "00635",
        "00640",
        "00670",
    ]


def test_taxonomy_index_filters_by_grouping_and_classification(client, content):
    response = client.get("/taxonomies/", {"classification": "Anesthesiology"})
    codes = codes_in(response, "taxonomies")
    assert "207L00000X" in codes and "207LP3000X" in codes and "367500000X" not in codes
    grouping = "Physician Assistants & Advanced Practice Nursing Providers"
    assert codes_in(client.get("/taxonomies/", {"grouping": grouping}), "taxonomies") == [
        "367500000X",
        "367H00000X",
    ]


def test_modifier_index_filters_by_code_set_and_kind(client, content):
    codes = codes_in(
        client.get("/modifiers/", {"code_set": "hcpcs", "kind": "pricing"}), "modifiers"
    )
    assert codes == ["AA", "AD", "QK", "QX", "QY", "QZ"]


def test_csv_export_holds_every_row_of_the_current_filter(client, tree):
    response = client.get(
        "/icd10/codes/", {"chapter": tree.code, "_export": "csv", "sort": "-code"}
    )
    rows = exported_csv(response)
    assert rows[0] == ["ICD-10-CM code", "Description", "Billable", "Chapter"]
    assert [row[0] for row in rows[1:]] == ["M48.05", "M48.04", "M48.0", "M48"]
    assert rows[1][2] == "Billable" and rows[-1][3] == "Musculoskeletal (M00-M99)"
    assert 'attachment; filename="icd-10-cm.csv"' in response["Content-Disposition"]


def test_xlsx_export_is_a_workbook_of_the_filtered_rows(client, content):
    response = client.get("/taxonomies/", {"classification": "Anesthesiology", "_export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Taxonomy code"
    assert {row[0] for row in rows[1:]} == set(
        ProviderTaxonomy.objects.filter(classification="Anesthesiology").values_list(
            "code", flat=True
        )
    )


def test_every_index_offers_its_exports(client, content):
    for url in ["/codes/", "/icd10/codes/", "/modifiers/", "/taxonomies/", "/payers/"]:
        body = client.get(url, {"sort": "code"}).content.decode()
        assert "_export=csv" in body and "_export=xlsx" in body
    assert len(exported_csv(client.get("/places-of-service/", {"_export": "csv"}))) == 53


@pytest.mark.parametrize(
    "url, params",
    [
        ("/icd10/codes/", {"sort": "<x>"}),
        ("/icd10/codes/", {"page": "-1"}),
        ("/icd10/codes/", {"page": "99999"}),
        ("/icd10/codes/", {"page": "abc"}),
        ("/icd10/codes/", {"billable": "maybe"}),
        ("/icd10/codes/", {"chapter": "not-a-chapter"}),
        ("/icd10/codes/", {"per_page": "0"}),
        ("/icd10/codes/", {"per_page": "100000"}),
        ("/icd10/codes/", {"_export": "exe"}),
        ("/codes/", {"service_type": "<script>", "sort": "'; DROP TABLE"}),
        ("/taxonomies/", {"grouping": "\x00", "page": "1e9"}),
        ("/modifiers/", {"kind": "maybe", "per_page": "-5"}),
    ],
)
def test_garbage_parameters_give_a_sensible_page(client, tree, url, params):
    response = client.get(url, params)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<table" in body and "<script>" not in body.split("<main", 1)[1]


def test_a_page_past_the_end_shows_the_last_page(client, content):
    for n in range(60):
        make_cpt(code=f"{n + 1:05d}")
    response = client.get("/codes/", {"page": "99999", "article": "yes"})
    assert "Page 2 of 2" in response.content.decode()
    assert CptCode.objects.count() == 61


def test_an_invalid_filter_is_explained_not_applied(client, tree):
    response = client.get("/icd10/codes/", {"chapter": "99"})
    body = response.content.decode()
    assert "Some filters were not understood" in body
    assert "M48.04" in codes_in(response, "icd10")


@pytest.mark.parametrize(
    "url, params, header, expected",
    [
        (
            "/codes/",
            {"service_type": "anesthesiology", "article": "yes"},
            "Code",
            lambda: CptCode.objects.filter(service_type="anesthesiology"),
        ),
        (
            "/icd10/codes/",
            {"billable": "false"},
            "ICD-10-CM code",
            lambda: Icd10Code.objects.filter(billable=False),
        ),
        (
            "/modifiers/",
            {"code_set": "cpt"},
            "Modifier",
            lambda: Modifier.objects.filter(code_set="cpt"),
        ),
        (
            "/taxonomies/",
            {"classification": "Anesthesiology"},
            "Taxonomy code",
            lambda: ProviderTaxonomy.objects.filter(classification="Anesthesiology"),
        ),
        ("/places-of-service/", {}, "POS code", lambda: PlaceOfService.objects.all()),
    ],
)
def test_csv_export_of_each_index_matches_its_filter(
    client, content, url, params, header, expected
):
    rows = exported_csv(client.get(url, {**params, "_export": "csv", "sort": "code"}))
    assert rows[0][0] == header
    assert [row[0] for row in rows[1:]] == list(
        expected().order_by("code").values_list("code", flat=True)
    )


def test_payer_export_lists_every_payer_with_its_count(client, content):
    rows = exported_csv(client.get("/payers/", {"_export": "csv"}))
    assert rows[0] == ["Payer", "CPT codes linked"]
    assert ["Aetna", "1"] in rows and ["Medicare", "0"] in rows and len(rows) == 6


def test_cpt_index_sorts_by_title(client, content):
    make_cpt(code="00100", title="A head code")
    articles = {"article": "yes"}
    response = client.get("/codes/", {"sort": "-title", **articles})
    assert codes_in(response, "codes") == ["00620", "00100"]
    response = client.get("/codes/", {"sort": "title", **articles})
    assert codes_in(response, "codes") == ["00100", "00620"]


def _sql(queryset):
    try:
        return queryset.query.sql_with_params()
    except EmptyResultSet:
        return None


@pytest.mark.parametrize("kind", [kind.name for kind in kinds.listed()] + ["home"])
def test_a_page_read_by_its_kept_sql_is_the_page_django_reads(client, content, monkeypatch, kind):
    """An index reads its page's rows by SQL compiled once for its kind, filters, sort and page
    (codes/views.py _read_page), from rows filtered once per process (_filtered): a key is
    always the same SQL, and every page, sorted, filtered and on page 2, is the page that
    django-filter's and Django's own querysets give."""
    if kind == "home":
        addresses = ["/", "/?per_page=1&page=1", "/?sort=-title&per_page=1&page=2"]
    else:
        addresses = index_addresses(kinds.get(kind))
    seen, kept = {}, views.KEPT_PAGES.rows

    def rows(queryset, key):
        sql = _sql(queryset)
        assert seen.setdefault(key, sql) == sql, key
        return kept(queryset, key)

    monkeypatch.setattr(views.KEPT_PAGES, "rows", rows)
    pages = {address: client.get(address).content for address in addresses}
    assert len(seen) > 1  # sorts and pages of their own
    cache.clear()
    monkeypatch.setattr(views, "_read_page", lambda table, rows_key, state: None)
    monkeypatch.setattr(views, "_filtered", lambda kind, filters, filterset: filterset.qs)
    assert {address: client.get(address).content for address in addresses} == pages


def test_each_filterset_has_its_own_filters_and_a_form_class_per_content_version(rf, tree):
    """Filters are copied for each FilterSet (codes/filters.py Filters), each bound to it; the
    form class is made once per content version, and a new version's choices reach its form."""
    request = rf.get("/icd10/codes/")
    request.content_state = "v1"
    first, second = (Icd10Filter({"chapter": "13"}, request=request) for _ in range(2))
    for filterset in (first, second):
        chapter = filterset.filters["chapter"]
        assert chapter.parent is filterset and chapter.filter.f is chapter  # its method, bound
        assert chapter.extra is not Icd10Filter.base_filters["chapter"].extra
    assert first.filters["chapter"] is not second.filters["chapter"]
    assert type(first.form) is type(second.form) and first.is_valid()
    Icd10Code.objects.create(code="21", kind=Icd10Code.Kind.CHAPTER, description="Factors")
    assert "21" not in dict(first.form.fields["chapter"].choices)
    request.content_state = "v2"
    later = Icd10Filter({"chapter": "21"}, request=request)
    assert type(later.form) is not type(first.form)
    assert "21" in dict(later.form.fields["chapter"].choices) and later.is_valid()
    assert later.qs.count() == 0 and first.qs.count() > 0


@pytest.mark.parametrize("model", [Modifier, ProviderTaxonomy, PlaceOfService, Payer])
def test_each_reference_index_counts_the_published_articles_linked_to_a_row(content, model):
    """`listed()` counts each row's published CPT codes (a subquery per row); a draft's links
    do not count, and a row without any counts 0."""

    def expected():
        path = model.CPT_PATH
        statuses = model.objects.values_list("pk", f"{path}__status")
        counts = dict.fromkeys(model.objects.values_list("pk", flat=True), 0)
        for pk, status in statuses:
            counts[pk] += status == "published"
        return counts

    counted = dict(model.objects.listed().values_list("pk", "cpt_count"))
    assert counted == expected() and any(counted.values()) and 0 in counted.values()
    CptCode.objects.update(status="draft")
    assert set(model.objects.listed().values_list("cpt_count", flat=True)) == {0}


@pytest.mark.parametrize("numbered_in_order", [True, False])
def test_the_icd10_index_sorts_by_chapter_then_code(client, db, numbered_in_order):
    """By the chapters' positions, then code: read by each row's chapter_id when the chapters'
    ids run in the order of their positions (as the import writes them), else by joining each
    row's chapter."""
    kind = Icd10Code.Kind
    chapters = [("1", "First chapter", 0), ("2", "Second chapter", 100)]
    made = {}
    for code, description, position in chapters if numbered_in_order else chapters[::-1]:
        made[code] = Icd10Code.objects.create(
            code=code, kind=kind.CHAPTER, billable=False, description=description, position=position
        )
    for code, chapter in [("C00.0", "2"), ("B02.1", "1"), ("A99.9", "2"), ("A01.0", "1")]:
        Icd10Code.objects.create(code=code, description=f"Entry {code}", chapter=made[chapter])
    assert Icd10Code.objects.chapters_numbered_in_order() is numbered_in_order
    with CaptureQueriesContext(connection) as queries:
        ascending = client.get("/icd10/codes/?sort=chapter")
    page = next(q["sql"] for q in queries.captured_queries if "LIMIT" in q["sql"])
    by_own_id = 'ORDER BY "codes_icd10code"."chapter_id" ASC' in page
    assert by_own_id is numbered_in_order, page
    assert codes_in(ascending, "icd10") == ["A01.0", "B02.1", "A99.9", "C00.0"]
    descending = client.get("/icd10/codes/?sort=-chapter")
    assert codes_in(descending, "icd10") == ["C00.0", "A99.9", "B02.1", "A01.0"]


def test_the_forms_of_a_version_share_their_fields_and_nothing_else(client, rf, tree):
    """The form class made for a content version sets its fields up once (their <select>s
    written by codes/formhtml.py) and its forms share them (codes/filters.py FilterForm.shared);
    what one request typed or got wrong never reaches the next."""
    from codes.formhtml import Select
    from codes.forms import SharedFields

    request = rf.get("/icd10/codes/")
    request.content_state = "shared-fields"
    first, second = (
        Icd10Filter(data, request=request) for data in ({"chapter": "99"}, {"chapter": "13"})
    )
    assert type(first.form) is type(second.form)
    assert isinstance(type(first.form).base_fields, SharedFields)
    assert first.form.fields["chapter"] is second.form.fields["chapter"]
    assert type(first.form.fields["chapter"].widget) is Select
    assert not first.is_valid() and second.is_valid()
    assert "chapter" in first.form.errors and not second.form.errors
    assert 'value="13" selected' in str(second.form["chapter"])
    assert "selected" not in str(first.form["chapter"]).replace('value="" selected', "")
    wrong = client.get("/icd10/codes/", {"chapter": "99"}).content.decode()
    right = client.get("/icd10/codes/", {"chapter": "13"}).content.decode()
    assert "Some filters were not understood" in wrong
    assert "Some filters were not understood" not in right and 'value="13" selected' in right
