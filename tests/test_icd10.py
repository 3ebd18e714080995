"""ICD-10-CM: the full import, the tabular-list pages and their canonical addresses."""

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from codes import paging
from codes.filters import Icd10Filter
from codes.models import CptDiagnosis, Icd10Code

pytestmark = pytest.mark.django_db
# Every public page first reads the content version, its cache key (codes/caching.py).
VERSION = 1

Kind = Icd10Code.Kind


def make_tree():
    """Chapter 13 > block M45-M49 > category M48 > M48.0 > M48.04, as the import stores them."""
    chapter = Icd10Code.objects.create(
        code="13", kind=Kind.CHAPTER, billable=False, description="Musculoskeletal (M00-M99)"
    )
    block = Icd10Code.objects.create(
        code="M45-M49",
        kind=Kind.BLOCK,
        billable=False,
        description="Spondylopathies (M45-M49)",
        parent=chapter,
        chapter=chapter,
        lineage="13",
    )
    category = Icd10Code.objects.create(
        code="M48",
        kind=Kind.CATEGORY,
        billable=False,
        description="Other spondylopathies",
        parent=block,
        chapter=chapter,
        lineage="13/M45-M49",
    )
    subcategory = Icd10Code.objects.create(
        code="M48.0",
        kind=Kind.CODE,
        billable=False,
        description="Spinal stenosis",
        parent=category,
        chapter=chapter,
        lineage="13/M45-M49/M48",
    )
    for code, region in [("M48.04", "thoracic"), ("M48.05", "thoracolumbar")]:
        Icd10Code.objects.update_or_create(
            code=code,
            defaults=dict(
                kind=Kind.CODE,
                description=f"Spinal stenosis, {region} region",
                parent=subcategory,
                chapter=chapter,
                lineage="13/M45-M49/M48/M48.0",
            ),
        )
    return chapter


@pytest.mark.full_code_set
def test_import_loads_the_whole_tabular_list_once(content):
    link = CptDiagnosis.objects.get(cpt__code="00620", icd10__code="M48.04")
    out = io.StringIO()
    call_command("import_icd10cm", stdout=out)
    assert "created" in out.getvalue() and "Nothing changed" not in out.getvalue()

    counts = {kind: Icd10Code.objects.filter(kind=kind).count() for kind in Kind.values}
    assert counts == {"chapter": 22, "block": 297, "category": 1918, "code": 96268}
    assert Icd10Code.objects.filter(billable=True).count() == 74719

    m4804 = Icd10Code.objects.get(code="M48.04")
    assert m4804.description == "Spinal stenosis, thoracic region"
    assert m4804.billable and m4804.kind == Kind.CODE
    assert m4804.parent.code == "M48.0" and m4804.chapter.code == "13"
    assert [c.code for c in m4804.ancestors()] == ["13", "M40-M54", "M45-M49", "M48", "M48.0"]
    assert not Icd10Code.objects.get(code="M48.06").billable  # a header since FY2018
    assert Icd10Code.objects.get(code="M48.061").billable
    assert Icd10Code.objects.get(code="M51.04").description == (
        "Intervertebral disc disorders with myelopathy, thoracic region"
    )
    # A block of one category is named by its range and holds that category.
    assert Icd10Code.objects.get(code="B10").parent.code == "B10-B10"
    assert Icd10Code.objects.get(code="13").description.startswith("Diseases of the musculo")

    # The article's link and the fixture's curated source survive.
    link.refresh_from_db()
    assert link.icd10_id == m4804.pk
    assert "public SQL seed in GitHub code index" in m4804.source

    before = list(Icd10Code.objects.order_by("pk").values())
    out = io.StringIO()
    call_command("import_icd10cm", stdout=out)
    assert "0 created, 0 updated" in out.getvalue()
    assert out.getvalue().strip().endswith("Nothing changed.")
    assert list(Icd10Code.objects.order_by("pk").values()) == before


def test_icd10_home_lists_the_chapters(client, db):
    make_tree()
    response = client.get(reverse("codes:icd10-chapters"))
    body = response.content.decode()
    assert '<a href="/icd10/13/">13</a>' in body
    assert "Musculoskeletal (M00-M99)" in body
    assert "M48.04" not in body


@pytest.mark.parametrize(
    "url, child, not_child",
    [
        ("/icd10/13/", "/icd10/M45-M49/", "/icd10/M48/"),
        ("/icd10/M45-M49/", "/icd10/M48/", "/icd10/M48.0/"),
        ("/icd10/M48/", "/icd10/M48.0/", "/icd10/M48.04/"),
        ("/icd10/M48.0/", "/icd10/M48.04/", "/icd10/M48.06/"),
    ],
)
def test_each_level_lists_the_level_below(client, db, url, child, not_child):
    make_tree()
    body = client.get(url).content.decode()
    children = body[body.index('id="children-heading"') :]
    assert f'href="{child}"' in children
    assert f'href="{not_child}"' not in children


def test_code_pages_have_breadcrumbs_up_the_tree(client, db):
    make_tree()
    body = client.get("/icd10/M48.04/").content.decode()
    assert (
        '<li><a href="/icd10/">ICD-10-CM</a></li><li><a href="/icd10/13/">Chapter 13</a></li>'
        '<li><a href="/icd10/M45-M49/">M45-M49</a></li><li><a href="/icd10/M48/">M48</a></li>'
        '<li><a href="/icd10/M48.0/">M48.0</a></li><li aria-current="page">M48.04</li>'
    ) in body
    assert "Yes: valid on a claim" in body
    assert "No: a header" in client.get("/icd10/M48.0/").content.decode()
    assert "No: a block groups codes" in client.get("/icd10/M45-M49/").content.decode()


def test_a_page_inside_the_tree_takes_five_queries_whatever_its_children(
    client, db, django_assert_num_queries
):
    make_tree()
    parent = Icd10Code.objects.get(code="M48.0")
    # 1 code, 1 ancestors, 1 children (all of them: 27 at most in ICD-10-CM, no count), 1
    # linked CPT codes, and the release of ICD-10-CM (read once per content version; each
    # request here is a new one).
    with django_assert_num_queries(VERSION + 5):
        client.get("/icd10/M48.0/")
    Icd10Code.objects.bulk_create(
        Icd10Code(code=f"M48.0{n}", description=f"Test {n}", parent=parent) for n in range(6, 10)
    )
    with django_assert_num_queries(VERSION + 5):
        response = client.get("/icd10/M48.0/")
    assert "Within M48.0 (6)" in response.content.decode()


@pytest.mark.parametrize(
    "url, canonical",
    [
        ("/icd10/m48.04/", "/icd10/M48.04/"),
        ("/icd10/M4804/", "/icd10/M48.04/"),
        ("/icd10/m4804/", "/icd10/M48.04/"),
        ("/icd10/m45-m49/", "/icd10/M45-M49/"),
    ],
)
def test_one_canonical_address_per_code(client, db, url, canonical):
    make_tree()
    response = client.get(url)
    assert response.status_code == 301
    assert response["Location"] == canonical
    assert client.get(canonical).status_code == 200


@pytest.mark.parametrize(
    "url",
    ["/icd10/M99.99/", "/icd10/Z9-Z99/", "/icd10/99/", "/icd10/M48..04/", "/icd10/<b>/"],
)
def test_unknown_or_malformed_icd10_addresses_give_the_404_page(client, db, url):
    make_tree()
    response = client.get(url)
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_import_shows_progress_only_on_a_terminal(monkeypatch, db):
    from codes.management.commands import import_icd10cm

    nodes = [n for n in import_icd10cm.tabular_list() if n.lineage.startswith("13")][:300]
    monkeypatch.setattr(import_icd10cm, "tabular_list", lambda: nodes)
    terminal, pipe = Terminal(), io.StringIO()
    call_command("import_icd10cm", stdout=terminal)
    assert "\rRead 300 entries" in terminal.getvalue()
    assert "Created level" in terminal.getvalue()
    call_command("import_icd10cm", stdout=pipe)
    assert "\r" not in pipe.getvalue()
    assert pipe.getvalue().strip().endswith("Nothing changed.")


# sqlite_stat1 of codes_icd10code after import_icd10cm loaded the FY2026 ICD-10-CM (98,505 rows).
WHOLE_ICD10CM_STATISTICS = [
    ("codes_icd10_chapter_desc", "98186 4463 1 1"),
    ("codes_icd10_chapter_code", "98186 4463 1"),
    ("codes_icd10_listed_desc", "98186 1 1"),
    ("codes_icd10_listed_code", "98186 1"),
    ("codes_icd10_listed_billable", "98186 24547 1"),
    ("codes_icd10_billable_chapter", "98186 24547 2000 1"),
    ("codes_icd10_kind_position", "98505 24627 1"),
    ("codes_icd10code_parent_id_3882c4ac", "98505 5"),
    ("codes_icd10code_chapter_id_a199d0ff", "98505 4283"),
    ("sqlite_autoindex_codes_icd10code_1", "98505 1"),
]


@pytest.mark.parametrize(
    "order, filters, index, bookmark",
    [
        (("description",), {}, "codes_icd10_listed_desc", ("Fracture", 1)),
        (("-code",), {}, "codes_icd10_listed_code", ("M48.04",)),
        (("billable", "code"), {}, "codes_icd10_listed_billable", (True, "M48.04")),
        (("-billable", "-code"), {}, "codes_icd10_listed_billable", (True, "M48.04")),
        (("-description",), {"chapter": "13"}, "codes_icd10_chapter_desc", ("Fracture", 1)),
        (("code",), {"chapter": "13"}, "codes_icd10_chapter_code", ("M48.04",)),
        # ?sort=chapter (Icd10Table.order_chapter), read past an offset either way
        (("chapter_id", "code"), {}, "codes_icd10_chapter_code", None),
        (("-chapter_id", "-code"), {}, "codes_icd10_chapter_code", None),
        # one kind of row (?billable=true), by chapter, or by code within a chapter
        (("chapter_id", "code"), {"billable": "true"}, "codes_icd10_billable_chapter", None),
        # (either index reads them in order; PostgreSQL may take the chapter's with few rows)
        (
            ("code",),
            {"billable": "false", "chapter": "13"},
            "codes_icd10_billable_chapter|codes_icd10_chapter_code",
            None,
        ),
    ],
)
def test_the_index_reads_its_rows_in_order_from_an_index_of_listed_rows(
    order, filters, index, bookmark, monkeypatch
):
    """The index's rows (categories and codes) come in order from a partial index, page 1,000
    as page 1, without sorting the table, whether read past an offset or from a bookmark
    (codes/paging.py): the query says which kinds in its SQL, not in parameters, else SQLite
    could not use an index of those kinds only. SQLite's planner weighs the statistics that
    import_icd10cm leaves after loading the whole ICD-10-CM (ANALYZE); PostgreSQL's is told to
    avoid reading the whole table and sorting, which a handful of rows would make cheapest, so
    that the plan shows whether the index can serve the query."""
    rows = Icd10Code.objects.listed()
    if filters:
        make_tree()
        filtered = Icd10Filter(filters, queryset=rows)
        assert filtered.is_valid()
        rows = filtered.qs
    page = rows.order_by(*order)[49950:50000]
    plan = _sqlite_plan if connection.vendor == "sqlite" else _postgresql_plan
    for mark in (None, bookmark):  # past an offset (no bookmark), then from a bookmark
        monkeypatch.setattr(paging, "_bookmark", lambda whole, fields, block, mark=mark: mark)
        queryset, _ = paging.page_rows(page, order, None)
        steps = plan(*queryset.query.sql_with_params())
        assert re.search(f"using (index )?({index})", steps, re.I), steps
        assert "sort" not in steps.lower() and "temp b-tree" not in steps.lower(), steps


@pytest.mark.parametrize("order", [("description", "pk"), ("-description", "-pk")])
def test_a_bookmark_is_read_from_the_index_of_its_order(order):
    """The row a bookmark is read from (codes/paging.py) comes from the index of the order,
    as a page's rows do: asked for one row, SQLite's planner sorted the whole table."""
    whole = Icd10Code.objects.listed().order_by(*order)
    with CaptureQueriesContext(connection) as queries:
        paging._bookmark(whole, [term.removeprefix("-") for term in order], 49)
    [query] = queries.captured_queries
    plan = _sqlite_plan if connection.vendor == "sqlite" else _postgresql_plan
    steps = plan(query["sql"], ())  # as it ran, its values in it
    assert re.search("using (index )?codes_icd10_listed_desc", steps, re.I), steps
    assert "sort" not in steps.lower() and "temp b-tree" not in steps.lower(), steps


def _sqlite_plan(sql: str, params) -> str:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'codes_icd10code'")
        cursor.executemany(
            "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('codes_icd10code', %s, %s)",
            WHOLE_ICD10CM_STATISTICS,
        )
        cursor.execute("ANALYZE sqlite_schema")  # the planner reads them again
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return " ".join(str(step) for step in cursor.fetchall())


def _postgresql_plan(sql: str, params) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return " ".join(line for (line,) in cursor.fetchall())
