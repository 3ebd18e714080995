"""codes/article.py reads the article page with hand-written SQL: check it against the ORM."""

import datetime

import pytest

from codes import article
from codes.models import ArticleSection, CptCode, CptPayer, RelatedCode

from .conftest import make_cpt

pytestmark = pytest.mark.django_db


def test_load_returns_what_the_orm_holds(cpt_00620):
    page = article.load("00620")
    assert page.cpt.pk == cpt_00620.pk
    assert page.cpt.title == cpt_00620.title
    assert page.cpt.place_of_service.name == "Inpatient Hospital"
    assert [row.code for row in page.modifiers] == list(
        cpt_00620.modifier_links.values_list("modifier__code", flat=True)
    )
    assert [row.note for row in page.modifiers] == list(
        cpt_00620.modifier_links.values_list("usage", flat=True)
    )
    assert [(row.code, row.name) for row in page.taxonomies] == [
        (link.taxonomy.code, link.taxonomy.name) for link in cpt_00620.taxonomy_links.all()
    ]
    assert [(row.code, row.name, row.billable) for row in page.diagnoses] == [
        (link.icd10.code, link.icd10.description, link.icd10.billable)
        for link in cpt_00620.diagnosis_links.all()
    ]
    assert [row.name for row in page.payers] == list(
        cpt_00620.payer_links.values_list("payer__name", flat=True)
    )
    assert [row.url for row in page.modifiers] == ["/modifiers/QS/", "/modifiers/QX/"]


def test_sections_nest_under_the_section_above_in_position_order(cpt_00620):
    outline = article.load("00620").outline
    assert [s.slug for s in outline] == [
        "summary-overview",
        "cpt-code-overview",
        "clinical-coding-specifications",
    ]
    assert [s.slug for s in outline[2].subsections] == ["clinical-context", "coding-specifications"]
    assert outline[2].subsections[1].shows_coding_tables
    assert outline[0].body.count("\n\n") == 2


def test_lists_follow_the_editors_positions(cpt_00620):
    CptPayer.objects.filter(cpt=cpt_00620, payer__slug="aetna").update(position=99)
    assert [row.code for row in article.load("00620").payers][-1] == "aetna"


def test_a_code_without_place_of_service_or_links_loads_empty():
    make_cpt(code="00640")
    page = article.load("00640")
    assert page.cpt.place_of_service is None
    assert page.outline == [] and page.modifiers == [] and page.related == []


def test_a_first_section_marked_as_subsection_still_shows():
    cpt = make_cpt(code="00640")
    ArticleSection.objects.create(cpt=cpt, heading="Only", slug="only", level=3)
    assert [s.slug for s in article.load("00640").outline] == ["only"]


def test_unknown_code_raises_does_not_exist(db):
    with pytest.raises(CptCode.DoesNotExist):
        article.load("99999")


def test_review_dates_come_back_as_dates(cpt_00620):
    CptPayer.objects.filter(cpt=cpt_00620, payer__slug="aetna").update(
        last_reviewed=datetime.date(2026, 3, 3)
    )
    reviewed = {row.code: row.last_reviewed for row in article.load("00620").payers}
    assert reviewed["aetna"] == datetime.date(2026, 3, 3)
    assert reviewed["cigna-health"] is None


def test_related_codes_link_only_where_the_site_has_the_code(cpt_00620):
    make_cpt(code="00625")
    RelatedCode.objects.create(cpt=cpt_00620, code="10021", description="Not an anesthesia code")
    related = {row.code: row.url for row in article.load("00620").related}
    assert related["00625"] == "/codes/00625/"  # its article
    assert related["00626"] == "/codes/00626/"  # an anesthesia code: its base units page
    assert related["10021"] is None  # neither an article nor base units
    assert sorted(related) == sorted(
        RelatedCode.objects.filter(cpt=cpt_00620).values_list("code", flat=True)
    )
    sources = next(row for row in article.load("00620").related if row.code == "00625").sources
    assert sources[0].href.startswith("https://www.openpayer.com/")
