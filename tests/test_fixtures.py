import json

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from codes.models import (
    ArticleSection,
    ContentVersion,
    CptCode,
    CptDiagnosis,
    CptModifier,
    CptPayer,
    CptTaxonomy,
    Icd10Code,
    Modifier,
    Payer,
    PlaceOfService,
    ProviderTaxonomy,
)

from .conftest import FIXTURE_FILES

pytestmark = pytest.mark.django_db


def snapshot():
    """Every row of every model of the codes app, to compare the database before and after.
    Not the search index and the content version, which triggers write (test_search.py and
    test_caching.py test them): loading a record again counts as a change there."""
    return {
        model._meta.label: sorted(map(repr, model.objects.values()))
        for model in apps.get_app_config("codes").get_models()
        if model._meta.managed and model is not ContentVersion
    }


def write_fixture(tmp_path, records, name="broken.json"):
    path = tmp_path / name
    path.write_text(json.dumps(records))
    return path


def test_fixtures_load_the_whole_00620_article(content):
    cpt = CptCode.objects.get(code="00620")
    assert cpt.place_of_service.code == "21"
    assert cpt.service_type == CptCode.ServiceType.ANESTHESIOLOGY
    assert ArticleSection.objects.filter(cpt=cpt).count() == 5
    assert list(cpt.modifier_links.values_list("modifier__code", flat=True)) == ["QS", "QX"]
    assert set(cpt.taxonomy_links.values_list("taxonomy__code", flat=True)) == {
        "207L00000X",
        "367500000X",
    }
    assert set(cpt.diagnosis_links.values_list("icd10__code", flat=True)) == {"M48.04", "M51.04"}
    assert list(cpt.payer_links.values_list("payer__name", flat=True)) == [
        "Aetna",
        "Blue Cross Blue Shield",
        "Cigna Health",
        "UnitedHealthcare",
    ]


def test_reference_records_keep_their_sources(content):
    for model in (Modifier, ProviderTaxonomy, Icd10Code, PlaceOfService):
        assert not model.objects.filter(source="").exists(), model
    qs = Modifier.objects.get(code="QS")
    assert "https://www.dir.ca.gov/t8/9789_18_11.html" in [link.href for link in qs.source_links()]
    assert Icd10Code.objects.get(code="M50.02").is_unverified
    assert not Icd10Code.objects.get(code="M48.04").is_unverified


def test_loading_the_fixtures_twice_changes_nothing(content):
    before = snapshot()
    call_command("loaddata", *FIXTURE_FILES, verbosity=0)
    assert snapshot() == before


def test_fixtures_use_natural_keys_only():
    for path in FIXTURE_FILES:
        for record in json.loads(path.read_text()):
            assert "pk" not in record, (path.name, record)


def test_unknown_natural_key_names_the_record_and_changes_nothing(content, tmp_path):
    before = snapshot()
    path = write_fixture(
        tmp_path,
        [
            {"model": "codes.payer", "fields": {"name": "Humana", "slug": "humana"}},
            {"model": "codes.cptmodifier", "fields": {"cpt": ["00620"], "modifier": ["ZZ"]}},
        ],
    )
    with pytest.raises(CommandError) as error:
        call_command("loaddata", path, verbosity=0)
    message = str(error.value)
    assert "codes.CptModifier (00620, ?)" in message
    assert "modifier ['ZZ'] does not exist" in message
    assert snapshot() == before
    assert not Payer.objects.filter(slug="humana").exists()


def test_invalid_code_names_the_record_and_changes_nothing(content, tmp_path):
    before = snapshot()
    path = write_fixture(
        tmp_path,
        [
            {
                "model": "codes.icd10code",
                "fields": {
                    "code": "M48.09",
                    "description": "Spinal stenosis, other",
                    "billable": True,
                },
            },
            {
                "model": "codes.cptcode",
                "fields": {
                    "code": "0062",
                    "title": "Broken",
                    "service_type": "anesthesiology",
                    "section": "Anesthesia",
                },
            },
        ],
    )
    with pytest.raises(CommandError) as error:
        call_command("loaddata", path, verbosity=0)
    assert "codes.CptCode (0062)" in str(error.value)
    assert "five characters" in str(error.value)
    assert snapshot() == before


def test_empty_required_field_names_the_record(content, tmp_path):
    path = write_fixture(
        tmp_path,
        [{"model": "codes.modifier", "fields": {"code": "QZ", "name": "", "kind": "pricing"}}],
    )
    with pytest.raises(CommandError) as error:
        call_command("loaddata", path, verbosity=0)
    assert "codes.Modifier (QZ)" in str(error.value)
    assert "name" in str(error.value)
    assert (
        Modifier.objects.get(code="QZ").name
        == "CRNA service: without medical direction by a physician"
    )


def test_malformed_json_names_the_file_and_changes_nothing(content, tmp_path):
    before = snapshot()
    path = tmp_path / "malformed.json"
    path.write_text('[{"model": "codes.payer", "fields": {"name": "Humana", "slug": "humana"}},')
    with pytest.raises(Exception) as error:
        call_command("loaddata", path, verbosity=0)
    assert "malformed.json" in str(error.value)
    assert snapshot() == before


def test_fixtures_on_an_empty_database_load_every_link(db):
    call_command("loaddata", *FIXTURE_FILES, verbosity=0)
    assert CptModifier.objects.count() == 2
    assert CptTaxonomy.objects.count() == 2
    assert CptDiagnosis.objects.count() == 2
    assert CptPayer.objects.count() == 4
