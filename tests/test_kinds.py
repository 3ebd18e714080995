"""The registry of kinds of content (codes/kinds.py): every model is declared once, and the
indexes, the header, the admin, the backup, the search index, the content version and the
editors' rights all follow the declaration."""

import dataclasses

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection
from django.urls import reverse

from codes import derived, export, kinds
from codes.models import ContentVersion, Payer, SearchEntry
from codes.search import query as search

from .conftest import PAGE_KINDS

pytestmark = pytest.mark.django_db

# Models that are not content: written by database triggers only.
DERIVED = {ContentVersion, SearchEntry}


def content_models():
    return [
        model
        for model in apps.get_app_config("codes").get_models()
        if model not in DERIVED and not model.__name__.startswith("Historical")
    ]


def test_every_model_of_the_app_is_declared_as_a_kind_once():
    declared = [kind.model for kind in kinds.KINDS]
    assert sorted(m.__name__ for m in declared) == sorted(m.__name__ for m in content_models())
    assert len({kind.name for kind in kinds.KINDS}) == len(kinds.KINDS)


def test_kind_names_fit_the_search_index_and_postgresql_names():
    for kind in kinds.KINDS:
        assert len(kind.name) <= 10 and kind.name.isidentifier()
    for statement in derived.statements("postgresql"):
        for word in statement.split():
            if word.startswith(("codes_search_", "codes_version_")):
                assert len(word.split("(")[0]) <= 63, word


def test_every_kind_is_in_the_admin_with_the_admin_it_names():
    for kind in kinds.KINDS:
        assert type(admin.site._registry[kind.model]) is kind.admin_class()


def test_every_index_answers_at_its_address_with_its_title(client, content):
    for kind in kinds.listed():
        response = client.get(reverse(f"codes:{kind.listing.url_name}"))
        assert response.status_code == 200
        assert f'<h1 id="list-heading">{kind.listing.title}</h1>' in response.content.decode()


def test_the_header_links_the_kinds_in_their_menu_order(client, content):
    html = client.get(reverse("codes:home")).content.decode()
    header = html[html.index('<nav aria-label="Code sets">') :]
    positions = [header.index(f">{item.label}</a>") for item in kinds.menu()]
    assert positions == sorted(positions) and len(positions) == 7


def test_the_browser_checks_cover_every_index_and_record_page():
    """A new kind's pages join tests/conftest.py PAGE_KINDS, or this fails."""
    from django.urls import resolve

    names = {resolve(path.split("?")[0]).url_name for path in PAGE_KINDS.values()}
    for kind in kinds.KINDS:
        if kind.listing:
            assert kind.listing.url_name in names, kind.name
        if kind.detail_url:
            assert kind.detail_url.removeprefix("codes:") in names, kind.name


def test_the_backup_writes_every_kind_parents_first():
    backed_up = {kind.model for kind in kinds.KINDS if kind.backup != kinds.Backup.NONE}
    assert set(export.EXPORTED_MODELS) == backed_up
    # The release of a code set is written by its import, which a restore runs again.
    assert kinds.get("release").model not in export.EXPORTED_MODELS
    for position, model in enumerate(export.EXPORTED_MODELS):
        for field in export.foreign_keys(model):
            if field.related_model is not model:
                assert export.EXPORTED_MODELS.index(field.related_model) < position


def test_search_groups_follow_the_documents_order():
    assert list(search.labels()) == [
        "cpt",
        "anescode",
        "icd10",
        "modifier",
        "taxonomy",
        "payer",
        "pos",
    ]


def test_every_content_table_bumps_the_version():
    assert kinds.content_tables() == [kind.table for kind in kinds.KINDS]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'codes_version_codes_%'"
            )
        else:
            cursor.execute(
                "SELECT DISTINCT event_object_table FROM information_schema.triggers "
                "WHERE trigger_name LIKE 'codes_version_codes_%'"
            )
        assert {table for (table,) in cursor.fetchall()} == set(kinds.content_tables())


def rights(name: str) -> set[str]:
    return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))


def test_the_groups_rights_come_from_the_kinds_after_migrate():
    editors, reviewers = rights("Editors"), rights("Reviewers")
    for kind in kinds.KINDS:
        model = kind.model._meta.model_name
        if not kind.editors:  # written by an import only
            assert not {p for p in editors | reviewers if p.endswith(f"_{model}")}
            continue
        assert {f"{a}_{model}" for a in ("add", "change", "delete", "view")} <= editors
        assert f"view_historical{model}" in editors
    assert reviewers - editors == {"publish_cptcode"}
    assert not {p for p in editors if p.endswith(("contentversion", "searchentry"))}


def test_a_kind_declared_later_gets_its_rights_at_the_next_migrate(monkeypatch):
    """The rights follow the registry: a kind missing from it has none, and gets them back as
    soon as it is declared again (after each migrate, derived.after_migrate)."""
    without_payers = [kind for kind in kinds.KINDS if kind.model is not Payer]
    monkeypatch.setattr(kinds, "KINDS", without_payers)
    derived.grant_rights("default")
    assert "change_payer" not in rights("Editors")
    monkeypatch.undo()
    derived.grant_rights("default")
    assert {"add_payer", "change_payer", "view_historicalpayer"} <= rights("Editors")


def test_search_has_no_limit_on_the_number_of_kinds(monkeypatch, content, client):
    """The index's row ids once held 8 kinds; now a document may take any group."""
    payers = kinds.get("payer")
    moved = dataclasses.replace(payers, document=dataclasses.replace(payers.document, group=300))
    monkeypatch.setattr(kinds, "KINDS", [moved if kind is payers else kind for kind in kinds.KINDS])
    monkeypatch.setattr(kinds, "BY_NAME", {kind.name: kind for kind in kinds.KINDS})
    derived.install(connection)
    assert search.search("aetna").counts["payer"] == 1
    assert search.search("aetna", kind="payer").page[0].code == "aetna"
    assert search.search("stenosis").counts["icd10"] > 0


def test_what_is_worked_out_from_the_registry_is_worked_out_again_when_it_is_replaced(
    monkeypatch,
):
    """The search's tags and SQL are written once per registry (kinds.per_registry): kept for
    each set of arguments while the registry's list is the same, written afresh from a new
    one."""
    written = []

    @kinds.per_registry
    def names(prefix):
        written.append(prefix)
        return [prefix + kind.name for kind in kinds.KINDS]

    assert names("a") is names("a") and names("b") == ["b" + kind.name for kind in kinds.KINDS]
    assert written == ["a", "b"]
    monkeypatch.setattr(kinds, "KINDS", kinds.KINDS[:2])
    assert names("a") == ["a" + kind.name for kind in kinds.KINDS[:2]]
    assert written == ["a", "b", "a"]
