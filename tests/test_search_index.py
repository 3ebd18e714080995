"""The search index is made from the search documents (codes/search/documents.py), by database
triggers as records change and by a rebuild (after a migrate, or `rebuild_search_index`), and
both give the same index, on SQLite and PostgreSQL."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from codes import derived
from codes.models import Icd10Code, Modifier, SearchEntry
from codes.search import documents, index
from codes.search import query as search

from .conftest import make_cpt

pytestmark = pytest.mark.django_db


def entries() -> list[tuple]:
    """The index's rows, each with its rank row on SQLite (its lasting weight and names)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT kind, ref, code, title, body, detail, r.weight, r.names "
                f"FROM codes_search LEFT JOIN {index.RANK} r ON r.id = codes_search.rowid"
            )
        else:
            cursor.execute("SELECT kind, ref, code, title, body, detail FROM codes_search")
        return sorted(cursor.fetchall())


def test_the_triggers_and_a_rebuild_give_the_same_index(content):
    make_cpt(code="00640", title="Manipulation of the spine under anesthesia")
    Modifier.objects.filter(code="QS").update(name="Monitored anesthesia care, renamed")
    kept = entries()  # written by the triggers, record by record, since the fresh migrate
    # 106 code-set records and the article, and 275 anesthesia codes without an article
    assert len(kept) == 381
    out = io.StringIO()
    call_command("rebuild_search_index", stdout=out)
    assert entries() == kept
    assert "Rebuilt the search index: 381 entries of 7 kinds." in out.getvalue()


def test_a_rebuild_follows_the_documents_and_records_their_fingerprint(content):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE codes_derived SET fingerprint = 'stale'")
    derived.after_migrate(sender=None, using="default", plan=[])
    assert derived.installed_fingerprint(connection) == derived.fingerprint(connection.vendor)
    assert search.search("stenosis").counts["icd10"] > 0


def test_a_migrate_that_changed_nothing_leaves_the_index_alone(
    content, django_assert_max_num_queries
):
    # The fingerprint matches: no drop, no rebuild; only the rights are given again.
    before = entries()
    with django_assert_max_num_queries(30):
        derived.after_migrate(sender=None, using="default", plan=[])
    assert entries() == before


def test_a_draft_is_not_indexed_and_publishing_indexes_it(content):
    draft = make_cpt(code="00640", title="Spinal manipulation", status="draft")
    assert not SearchEntry.objects.filter(kind="cpt", ref=draft.pk).exists()
    draft.status = "published"
    draft.save()
    assert SearchEntry.objects.filter(kind="cpt", ref=draft.pk).exists()


def test_row_ids_hold_the_kind_and_the_record_for_any_number_of_kinds():
    for tag in (1, 8, 9, 300, 2**20):
        for ref in (1, 98_505, 2**40 - 1):
            first, last = index.tag_range(tag)
            rowid = (tag << index.REF_BITS) + ref
            assert index.kind_of(rowid) == tag and index.ref_of(rowid) == ref
            assert first <= rowid <= last


def test_no_migration_imports_another():
    from pathlib import Path

    folder = Path(__file__).parent.parent / "codes" / "migrations"
    for path in folder.glob("0*.py"):
        text = path.read_text()
        assert "importlib" not in text and "codes.migrations" not in text, path.name


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite keeps rank rows")
def test_each_index_row_has_its_rank_row_with_its_lasting_weight(content):
    """Inserts, updates and deletes through every source keep one rank row per index row, whose
    weight is the lasting weight worked out from the row and whose names are its detail."""
    make_cpt(code="00640", title="Manipulation of the spine under anesthesia")
    code = Icd10Code.objects.filter(billable=True).first()
    code.description = "Renamed (billable) diagnosis"
    code.save()
    Icd10Code.objects.filter(billable=False).first().delete()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {index.RANK}")
        (ranks,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM codes_search")
        assert cursor.fetchone() == (ranks,)
        for entry in derived.indexed():
            first, last = index.tag_range(entry.tag)
            lasting = documents.lasting_weight(entry.document, "sqlite")
            cursor.execute(
                f"SELECT count(*), sum(abs(r.weight - {lasting}) < 1e-12), sum(r.names = detail) "
                f"FROM codes_search JOIN {index.RANK} r ON r.id = codes_search.rowid "
                "WHERE codes_search.rowid BETWEEN %s AND %s",
                [first, last],
            )
            rows, weighed, named = cursor.fetchone()
            assert rows and rows == weighed == named, entry.kind
    billable = [e for e in entries() if e[0] == "icd10" and e[5].startswith("Billable")]
    assert billable and all(e[6] > 1 for e in billable)


def segments() -> int:
    """The number of FTS5 segments of the index (its b-trees: each insert adds one for a while)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT segid) FROM codes_search_idx")
        return cursor.fetchone()[0]


# What each import adds, found by a search once the segments are merged.
FOUND_AFTER = {
    "import_icd10cm": ("fracture first lumbar vertebra", "icd10", "S32.010A"),
    "import_nucc_taxonomy": ("ambulance", "taxonomy", "341600000X"),
}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5 segments are SQLite's")
@pytest.mark.parametrize("command", ["import_icd10cm", "import_nucc_taxonomy"])
def test_an_import_leaves_the_index_in_one_segment(content, monkeypatch, command):
    """The rows a bulk import writes through the triggers leave the index in many segments, which
    every search then reads word by word; the import merges them into one. A run that changes
    nothing does not rewrite the index."""
    from codes.management.commands import import_icd10cm

    from .conftest import tabular_list
    from .test_import_nucc import SHIPPED

    wanted = {"19", "S30-S39", "S32", "S32.0", "S32.01", "S32.010", "S32.010A"}
    nodes = [n for n in tabular_list() if n.code in wanted]
    monkeypatch.setattr(import_icd10cm, "tabular_list", lambda: nodes)
    arguments = [str(SHIPPED)] if command == "import_nucc_taxonomy" else []
    make_cpt(code="00640", title="Manipulation of the spine under anesthesia")
    assert segments() > 1  # the fixtures and the article, row by row
    call_command(command, *arguments, stdout=io.StringIO())
    assert segments() == 1
    words, kind, code = FOUND_AFTER[command]
    assert code in [hit.code for hit in search.search(words, kind=kind).hits]
    make_cpt(code="00641", title="Another article on the spine")
    before = segments()
    call_command(command, *arguments, stdout=io.StringIO())  # nothing changed
    assert segments() == before > 1
