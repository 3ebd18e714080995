"""export_content writes the editorial content as a fixture, and the strict loaddata restores it.

The round trip (export, flush, loaddata, export) must give the same bytes on SQLite and on
PostgreSQL; a restore that would lose an edit, or that names a record it cannot resolve, must stop
and change nothing.
"""

import json
from datetime import UTC, date, datetime
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from codes.export import (
    CONTENT_MODELS,
    EXPORTED_MODELS,
    REFERENCE_MODELS,
    export_records,
    foreign_keys,
    to_json,
)
from codes.models import (
    ArticleSection,
    BaseUnit,
    ChangeLogEntry,
    CptCode,
    CptDiagnosis,
    CptModifier,
    Icd10Code,
    Modifier,
    NaturalKeyModel,
    Payer,
    PlaceOfService,
    PolicyUpdate,
    QualifyingCircumstance,
    RelatedCode,
)

from .conftest import FIXTURE_FILES, make_cpt, make_icd10

pytestmark = pytest.mark.django_db

# Text that JSON, SQL and templates each treat specially.
AWKWARD = 'Line one\nLine "two" – with a \\ backslash, </script> and “quotes” › ¶\n\nÜber 100 %'


def export(**options) -> str:
    out = StringIO()
    call_command("export_content", stdout=out, **options)
    return out.getvalue()


def records(text: str) -> list[dict]:
    return json.loads(text)


def keys(text: str, model: str, field: str = "code") -> list:
    return [r["fields"][field] for r in records(text) if r["model"] == model]


def write(tmp_path, data, name="backup.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False))
    return path


def add_editorial_content() -> None:
    """Beside the shipped 00620 article: a draft article, a policy update, change log entries, an
    edited modifier no article uses, awkward text, dates and times, and ICD-10-CM ancestors whose
    codes sort after their children's ("M50-M54" after "M50")."""
    cpt = CptCode.objects.get(code="00620")
    cpt.published_at = timezone.now()  # microseconds, which JSON shortens to milliseconds
    cpt.published_by = "reviewer"
    cpt.last_reviewed = date(2026, 11, 2)
    cpt.save()
    draft = make_cpt(
        code="00640",
        title="Draft: “quoted” – Ünïcode ›",
        status=CptCode.Status.DRAFT,
        place_of_service=PlaceOfService.objects.get(code="22"),
    )
    make_cpt(code="00670", title="Archived article", status=CptCode.Status.ARCHIVED)
    ArticleSection.objects.create(cpt=draft, position=1, heading="Überblick", slug="ueberblick")
    ArticleSection.objects.create(
        cpt=draft, position=2, heading='The "rules"', slug="rules", level=3, body=AWKWARD
    )
    chapter = make_icd10("13", kind="chapter", billable=False)
    block = make_icd10("M50-M54", kind="block", billable=False, parent=chapter, chapter=chapter)
    category = make_icd10("M50", kind="category", billable=False, parent=block, chapter=chapter)
    header = make_icd10("M50.0", billable=False, parent=category, chapter=chapter)
    Icd10Code.objects.filter(code="M50.02").update(parent=header, chapter=chapter)
    CptDiagnosis.objects.create(
        cpt=draft, icd10=Icd10Code.objects.get(code="M50.02"), rationale=AWKWARD
    )
    CptModifier.objects.create(cpt=draft, modifier=Modifier.objects.get(code="P3"), position=1)
    RelatedCode.objects.create(cpt=draft, code="00620", description="The thoracic code")
    humana = Payer.objects.create(name="Humana", slug="humana")
    PolicyUpdate.objects.create(
        cpt=cpt,
        payer=humana,
        date=date(2026, 3, 1),
        summary="Prior authorization for “elective” cases",
        reference="https://www.humana.com/provider/news\nBulletin 2026-12",
    )
    ChangeLogEntry.objects.create(cpt=cpt, date=date(2026, 3, 2), summary="Added Humana's policy")
    ChangeLogEntry.objects.create(cpt=cpt, date=date(2026, 3, 2), summary="Fixed a typo ›")
    modifier = Modifier.objects.get(code="P5")
    modifier.note = "Edited by an editor ✓"
    modifier.edited_at = timezone.now()  # as the admin sets it
    modifier.save()
    for record in [
        BaseUnit.objects.get(code="00670"),
        QualifyingCircumstance.objects.get(code="99140"),
    ]:
        record.note = "Checked against this year's file"
        record.edited_at = timezone.now()
        record.save()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_export_flush_loaddata_export_gives_the_same_bytes(tmp_path):
    # Transactional, as `flush` and a real restore run outside a test's transaction; the rolled
    # back snapshot brings back the Editors group and the rest that migrations wrote (see
    # tests/test_browser.py).
    call_command("loaddata", *FIXTURE_FILES, verbosity=0)
    add_editorial_content()
    backup = tmp_path / "backup.json"
    call_command("export_content", output=str(backup), verbosity=0)

    call_command("flush", interactive=False, verbosity=0)
    assert not CptCode.objects.exists() and not Modifier.objects.exists()
    call_command("loaddata", str(backup), verbosity=0)
    again = tmp_path / "again.json"
    call_command("export_content", output=str(again), verbosity=0)

    assert again.read_bytes() == backup.read_bytes()
    text = backup.read_text(encoding="utf-8")
    assert {r["model"] for r in records(text)} == {
        model._meta.label_lower for model in EXPORTED_MODELS
    }
    assert "Ünïcode ›" in text and "\\u" not in text
    assert text.endswith("]\n")
    draft = CptCode.objects.get(code="00640")
    assert draft.status == CptCode.Status.DRAFT
    assert draft.sections.get(slug="rules").body == AWKWARD
    assert Modifier.objects.get(code="P5").version == 2
    assert Icd10Code.objects.get(code="M50.02").parent.parent.code == "M50"


def test_export_holds_every_article_whatever_its_status(content):
    add_editorial_content()
    text = export()
    assert keys(text, "codes.cptcode") == ["00620", "00640", "00670"]
    assert keys(text, "codes.cptcode", "status") == ["published", "draft", "archived"]
    assert "Fixed a typo ›" in keys(text, "codes.changelogentry", "summary")
    assert keys(text, "codes.policyupdate", "date") == ["2026-03-01"]


def test_export_keeps_only_the_reference_records_the_content_needs_or_editors_changed(content):
    add_editorial_content()
    text = export()
    assert keys(text, "codes.placeofservice") == ["21", "22"]
    assert keys(text, "codes.modifier") == ["P3", "P5", "QS", "QX"]  # P5: edited, unused
    assert keys(text, "codes.payer", "slug") == [
        "aetna",
        "blue-cross-blue-shield",
        "cigna-health",
        "humana",
        "medicare",  # its conversion factors and rules are content
        "unitedhealthcare",
    ]
    everything = export(all_reference=True)
    assert len(keys(everything, "codes.placeofservice")) == PlaceOfService.objects.count()
    assert len(keys(everything, "codes.modifier")) == Modifier.objects.count()


def test_export_writes_icd10_ancestors_before_their_codes(content):
    add_editorial_content()
    codes = keys(export(), "codes.icd10code")
    # Level by level: records without a parent in the file, then their children, and so on.
    assert codes == ["13", "M48.04", "M51.04", "M50-M54", "M50", "M50.0", "M50.02"]


def test_export_leaves_out_history_users_ids_and_the_search_index(content, reviewer):
    add_editorial_content()
    for record in records(export(all_reference=True)):
        assert record["model"].startswith("codes.") and "historical" not in record["model"]
        assert record["model"] not in {"codes.searchentry", "codes.contentversion"}
        assert "pk" not in record and "id" not in record["fields"]


def test_every_content_model_is_exported_after_the_models_it_points_at():
    """A content model added later must be exported too, or a backup silently misses it."""
    natural = [
        model
        for model in apps.get_app_config("codes").get_models()
        if issubclass(model, NaturalKeyModel)
    ]
    assert sorted(EXPORTED_MODELS, key=str) == sorted(natural, key=str)
    for position, model in enumerate(EXPORTED_MODELS):
        for field in foreign_keys(model):
            assert field.related_model in EXPORTED_MODELS[: position + 1], (model, field)
    assert not set(REFERENCE_MODELS) & set(CONTENT_MODELS)


def test_export_queries_do_not_grow_with_the_content(content):
    add_editorial_content()
    with CaptureQueriesContext(connection) as few:
        export()
    draft = CptCode.objects.get(code="00640")
    for n in range(30):
        ArticleSection.objects.create(cpt=draft, position=10 + n, heading=f"S{n}", slug=f"s{n}")
        ChangeLogEntry.objects.create(cpt=draft, summary=f"Change {n}")
    with CaptureQueriesContext(connection) as many:
        export()
    assert len(many) == len(few)


def test_export_to_a_file_writes_what_stdout_shows(content, tmp_path):
    add_editorial_content()
    path = tmp_path / "backup.json"
    out = StringIO()
    call_command("export_content", output=str(path), stdout=out)
    assert path.read_text(encoding="utf-8") == export()
    assert out.getvalue().startswith("Exported ") and "(3 articles)" in out.getvalue()


def test_a_failed_export_leaves_the_previous_file_alone(content, tmp_path, monkeypatch):
    path = write(tmp_path, "the previous backup\n")

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr("codes.management.commands.export_content.os.replace", fail)
    with pytest.raises(OSError):
        call_command("export_content", output=str(path), verbosity=0)
    assert path.read_text() == "the previous backup\n"
    assert [p.name for p in tmp_path.iterdir()] == ["backup.json"]


def test_export_into_a_missing_folder_says_so(content, tmp_path):
    with pytest.raises(CommandError, match="Cannot write .*missing"):
        call_command("export_content", output=str(tmp_path / "missing" / "backup.json"))


class Rollback(Exception):
    pass


def test_a_backup_restores_onto_a_site_freshly_loaded_with_the_fixtures(content, tmp_path):
    # The edits happen on the "old site"; rolling them back leaves a fresh site's database.
    with pytest.raises(Rollback), transaction.atomic():
        add_editorial_content()
        section = ArticleSection.objects.get(slug="clinical-context")
        section.body = "Rewritten by an editor."
        section.save()
        backup = write(tmp_path, export())
        raise Rollback
    assert not CptCode.objects.filter(code="00640").exists()
    call_command("loaddata", str(backup), verbosity=0)
    assert backup.read_text(encoding="utf-8") == export()
    assert ArticleSection.objects.get(slug="clinical-context").body == "Rewritten by an editor."


def test_an_unknown_modifier_names_the_link_and_changes_nothing(content, tmp_path):
    before = export()
    backup = records(before) + [
        {"model": "codes.cptmodifier", "fields": {"cpt": ["00620"], "modifier": ["ZZ"]}}
    ]
    backup[0]["fields"]["name"] = "Changed before the bad record"
    with pytest.raises(CommandError) as error:
        call_command("loaddata", str(write(tmp_path, backup)), verbosity=0)
    assert "codes.CptModifier (00620, ?)" in str(error.value)
    assert "modifier ['ZZ'] does not exist" in str(error.value)
    assert export() == before


def test_a_section_of_an_article_neither_file_nor_database_has_is_named(content, tmp_path):
    before = export()
    section = {"model": "codes.articlesection", "fields": {"cpt": ["00999"], "slug": "intro"}}
    section["fields"] |= {"heading": "Intro", "position": 1, "level": 2, "kind": "prose"}
    with pytest.raises(CommandError) as error:
        call_command("loaddata", str(write(tmp_path, [section])), verbosity=0)
    assert "codes.ArticleSection (?, intro)" in str(error.value)
    assert "cpt ['00999'] does not exist" in str(error.value)
    assert export() == before


def test_a_record_twice_in_the_file_is_refused(content, tmp_path):
    before = export()
    backup = records(before)
    section = next(r for r in backup if r["fields"].get("slug") == "clinical-context")
    copy = json.loads(json.dumps(section))
    copy["fields"]["body"] = "A second, different copy."
    with pytest.raises(CommandError) as error:
        call_command("loaddata", str(write(tmp_path, [*backup, copy])), verbosity=0)
    assert "codes.ArticleSection (00620, clinical-context)" in str(error.value)
    assert "appears twice" in str(error.value)
    assert export() == before


def test_a_record_breaking_a_constraint_is_named(content, tmp_path):
    before = export()
    payer = {"model": "codes.payer", "fields": {"name": "Aetna", "slug": "aetna-us"}}
    with pytest.raises(CommandError) as error:
        call_command("loaddata", str(write(tmp_path, [payer])), verbosity=0)
    assert "codes.Payer (aetna-us)" in str(error.value)
    assert "unique" in str(error.value).lower()
    assert export() == before


def test_a_record_changed_after_the_backup_is_kept_unless_replacing_is_asked_for(content, tmp_path):
    backup = write(tmp_path, export())
    section = ArticleSection.objects.get(slug="clinical-context")
    section.body = "Changed after the backup."
    section.save()
    before = export()
    with pytest.raises(CommandError) as error:
        call_command("loaddata", str(backup), verbosity=0)
    message = str(error.value)
    assert "codes.ArticleSection (00620, clinical-context)" in message
    assert "version 2, newer than version 1" in message and "--replace-newer" in message
    assert export() == before

    call_command("loaddata", str(backup), replace_newer=True, verbosity=0)
    section = ArticleSection.objects.get(slug="clinical-context")
    assert section.body != "Changed after the backup."
    assert section.version == 3  # a form opened on version 2 cannot save over the restore


def test_reloading_the_shipped_fixtures_keeps_an_editors_change(content):
    # A fixture without versions stands for version 1.
    modifier = Modifier.objects.get(code="QS")
    modifier.name = "Edited by an editor"
    modifier.save()
    with pytest.raises(CommandError, match=r"codes.Modifier \(QS\).*--replace-newer"):
        call_command("loaddata", *FIXTURE_FILES, verbosity=0)
    assert Modifier.objects.get(code="QS").name == "Edited by an editor"
    # As `make run` loads them: the editor's copy stays, the rest loads.
    ArticleSection.objects.filter(slug="clinical-context").delete()
    out = StringIO()
    call_command("loaddata", *FIXTURE_FILES, keep_newer=True, stdout=out)
    assert Modifier.objects.get(code="QS").name == "Edited by an editor"
    assert ArticleSection.objects.filter(slug="clinical-context").exists()
    assert "Kept 1 newer record(s) of the database: codes.Modifier (QS)" in out.getvalue()
    with pytest.raises(CommandError, match="Choose one"):
        call_command("loaddata", *FIXTURE_FILES, keep_newer=True, replace_newer=True)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failed_restore_rolls_back_the_records_loaded_before_it(tmp_path):
    # Transactional: the command's own transaction, not a test's savepoint, must undo the load.
    call_command("loaddata", *FIXTURE_FILES, verbosity=0)
    before = export()
    backup = records(before)
    for record in backup:
        if record["model"] == "codes.articlesection":
            record["fields"]["body"] = "Restored"
    backup.append({"model": "codes.cptpayer", "fields": {"cpt": ["00620"], "payer": ["none"]}})
    with pytest.raises(CommandError, match=r"codes.CptPayer \(00620, \?\)"):
        call_command("loaddata", str(write(tmp_path, backup)), verbosity=0)
    assert export() == before
    assert not ArticleSection.objects.filter(body="Restored").exists()


def test_a_time_with_microseconds_but_no_milliseconds_exports_the_same_after_a_restore(
    content, tmp_path
):
    # 123 µs: the millisecond part is 000, which a JSON fixture writes as no fraction at all.
    edited = datetime(2026, 1, 2, 3, 4, 5, 123, tzinfo=UTC)
    Modifier.objects.filter(code="P5").update(edited_at=edited)
    backup = tmp_path / "backup.json"
    backup.write_text(to_json(export_records()), encoding="utf-8")
    call_command("loaddata", str(backup), verbosity=0)
    assert to_json(export_records()) == backup.read_text(encoding="utf-8")
