import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction

from codes.models import (
    ArticleSection,
    CptCode,
    CptDiagnosis,
    CptModifier,
    Icd10Code,
    Modifier,
    Payer,
    PlaceOfService,
    ProviderTaxonomy,
    RelatedCode,
    source_links,
)

from .conftest import make_cpt, make_icd10

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code", ["0062", "006200", "ABCDE", "0062X", "00 62", ""])
def test_database_refuses_a_malformed_cpt_code(code):
    # PostgreSQL reports a value longer than the column as DataError, SQLite as a CHECK failure.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        make_cpt(code=code)


@pytest.mark.parametrize(
    "model, fields",
    [
        (Modifier, {"code": "Q", "name": "x", "kind": "pricing"}),
        (ProviderTaxonomy, {"code": "207L00000Y", "grouping": "g", "classification": "c"}),
        (ProviderTaxonomy, {"code": "207L0000X", "grouping": "g", "classification": "c"}),
        (Icd10Code, {"code": "M48..04", "description": "x"}),
        (Icd10Code, {"code": "4804", "description": "x"}),
        (PlaceOfService, {"code": "2", "name": "x"}),
    ],
)
def test_database_refuses_malformed_codes_of_every_code_set(model, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(**fields)


def test_code_validators_explain_the_expected_shape():
    cpt = CptCode(code="0062", title="t", service_type="anesthesiology", section="s")
    with pytest.raises(ValidationError) as error:
        cpt.full_clean()
    assert "five characters" in str(error.value.message_dict["code"])


def test_codes_typed_in_lower_case_are_stored_in_capitals():
    taxonomy = ProviderTaxonomy(code=" 207l00000x ", grouping="g", classification="c")
    taxonomy.full_clean()
    assert taxonomy.code == "207L00000X"


def test_cpt_code_is_unique():
    make_cpt(code="00620")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_cpt(code="00620")


def test_a_diagnosis_links_to_a_code_only_once():
    cpt = make_cpt()
    icd10 = make_icd10("M48.04")
    CptDiagnosis.objects.create(cpt=cpt, icd10=icd10)
    with pytest.raises(IntegrityError), transaction.atomic():
        CptDiagnosis.objects.create(cpt=cpt, icd10=icd10)


def test_section_slugs_are_unique_within_an_article():
    cpt = make_cpt()
    ArticleSection.objects.create(cpt=cpt, heading="A", slug="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleSection.objects.create(cpt=cpt, heading="B", slug="a")


def test_a_code_cannot_be_related_to_itself():
    cpt = make_cpt(code="00620")
    with pytest.raises(ValidationError):
        RelatedCode(cpt=cpt, code="00620").full_clean()


def test_natural_keys_find_every_record(cpt_00620):
    records = [
        cpt_00620,
        cpt_00620.sections.first(),
        CptModifier.objects.get(cpt=cpt_00620, modifier__code="QX"),
        cpt_00620.diagnosis_links.first(),
        cpt_00620.payer_links.first(),
        cpt_00620.related_codes.first(),
        Modifier.objects.get(code="QS"),
        ProviderTaxonomy.objects.get(code="367500000X"),
        Icd10Code.objects.get(code="M51.04"),
        Payer.objects.get(slug="aetna"),
        PlaceOfService.objects.get(code="21"),
    ]
    for record in records:
        key = record.natural_key()
        assert None not in key
        assert type(record).objects.get_by_natural_key(*key) == record


def test_link_natural_keys_are_built_from_their_parents(cpt_00620):
    link = CptModifier.objects.get(cpt=cpt_00620, modifier__code="QS")
    assert link.natural_key() == ("00620", "QS")
    assert CptModifier.natural_key.dependencies == ["codes.cptcode", "codes.modifier"]


def test_str_is_what_an_editor_recognises(cpt_00620):
    assert str(cpt_00620) == "00620 Anesthesia for Thoracic Spine and Cord Procedures"
    assert str(Modifier.objects.get(code="QS")) == "QS Monitored anesthesia care service"
    assert str(Icd10Code.objects.get(code="M48.04")) == "M48.04 Spinal stenosis, thoracic region"
    assert str(PlaceOfService.objects.get(code="21")) == "21 Inpatient Hospital"
    assert str(ProviderTaxonomy.objects.get(code="207L00000X")) == "207L00000X Anesthesiology"


def test_codes_are_ordered_by_code():
    for code in ["00630", "00600", "00620"]:
        make_cpt(code=code)
    assert list(CptCode.objects.values_list("code", flat=True)) == ["00600", "00620", "00630"]


@pytest.mark.parametrize(
    "given, canonical",
    [("M48.04", "M48.04"), ("m48.04", "M48.04"), ("M4804", "M48.04"), ("m54", "M54")],
)
def test_icd10_codes_have_one_canonical_form(given, canonical):
    assert Icd10Code.canonical(given) == canonical


def test_sources_print_as_links_or_escaped_citations():
    links = source_links("https://example.org/a?b=1 (billable)\n\n<i>CMS manual</i> ch. 12")
    assert [str(link.__html__()) for link in links] == [
        '<a href="https://example.org/a?b=1">example.org/a?b=1</a> (billable)',
        "&lt;i&gt;CMS manual&lt;/i&gt; ch. 12",
    ]


def test_choice_labels_are_djangos_whatever_the_value():
    """get_<field>_display() reads labels kept per field (NaturalKeyModel._get_FIELD_display):
    the same text as Django's own for every choice of every content model, and an unknown value
    as it is."""
    from django.apps import apps
    from django.db.models import Model

    from codes.models.base import NaturalKeyModel

    checked = 0
    for model in apps.get_app_config("codes").get_models():
        if not issubclass(model, NaturalKeyModel):
            continue
        for field in model._meta.concrete_fields:
            if not field.choices:
                continue
            display = getattr(model, f"get_{field.name}_display")
            for value in [*(value for value, _ in field.flatchoices), "not-a-choice", None]:
                record = model(**{field.attname: value})
                assert display(record) == Model._get_FIELD_display(record, field)
                checked += 1
            assert getattr(model(), f"get_{field.name}_display").func.__func__ is (
                NaturalKeyModel._get_FIELD_display
            )
    assert checked > 20
