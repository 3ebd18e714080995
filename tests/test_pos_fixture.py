"""The CMS Place of Service code set as shipped in fixtures/01_places_of_service.json.

Names and descriptions come from copies of the CMS code set (HL7 Terminology's CodeSystem, checked
against two other copies); see each record's sources.
"""

import html
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from codes.models import POS_PATTERN, PlaceOfService

pytestmark = pytest.mark.django_db

FIXTURE = Path(settings.FIXTURE_DIRS[0]) / "01_places_of_service.json"

# Codes CMS assigns (HL7 CodeSystem 20240502).
ASSIGNED = {
    *"01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27".split(),
    *"31 32 33 34 41 42 49 50 51 52 53 54 55 56 57 58 60 61 62 65 66 71 72 81 99".split(),
}
# Codes CMS lists as "Unassigned": they must not become records.
UNASSIGNED = {
    f"{n:02d}"
    for n in [
        *range(28, 31),
        *range(35, 41),
        *range(43, 49),
        59,
        63,
        64,
        *range(67, 71),
        *range(73, 81),
        *range(82, 99),
    ]
}

EXISTING_SOURCE = (
    "https://per.nctracks.com/content/public/providers/provider-communications/"
    "2016-announcements/Update-to-Place-of-Service-Codes-19-and-22-.html"
)
HL7_SOURCE = (
    "https://github.com/HL7/UTG/blob/bac955274bfd2ac9dfdbad33967154714e6f115f/input/"
    "sourceOfTruth/external/hta/codeSystems/cs-CMS-PlaceofServiceCodes.xml"
)
INPATIENT_HOSPITAL = (
    "A facility, other than psychiatric, which primarily provides diagnostic, therapeutic (both "
    "surgical and nonsurgical), and rehabilitation services by, or under, the supervision of "
    "physicians to patients admitted for a variety of medical conditions."
)


def fixture_records() -> list[dict]:
    return [record["fields"] for record in json.loads(FIXTURE.read_text())]


def page_text(response) -> str:
    """The page as a reader sees it: tags dropped, entities decoded, whitespace collapsed."""
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(body)).strip()


@pytest.mark.parametrize(
    "code, name",
    [
        ("02", "Telehealth Provided Other than in Patient’s Home"),
        ("10", "Telehealth Provided in Patient’s Home"),
        ("11", "Office"),
        ("12", "Home"),
        ("19", "Off Campus-Outpatient Hospital"),
        ("20", "Urgent Care Facility"),
        ("21", "Inpatient Hospital"),
        ("22", "On Campus-Outpatient Hospital"),
        ("23", "Emergency Room - Hospital"),
        ("24", "Ambulatory Surgical Center"),
        ("31", "Skilled Nursing Facility"),
        ("32", "Nursing Facility"),
        ("34", "Hospice"),
        ("41", "Ambulance - Land"),
        ("42", "Ambulance - Air or Water"),
        ("51", "Inpatient Psychiatric Facility"),
        ("65", "End-Stage Renal Disease Treatment Facility"),
        ("66", "Programs of All-Inclusive Care for the Elderly (PACE) Center"),
        ("81", "Independent Laboratory"),
    ],
)
def test_well_known_codes_have_their_cms_names(content, code, name):
    assert PlaceOfService.objects.get(code=code).name == name


def test_the_assigned_cms_codes_are_all_there_and_nothing_else(content):
    codes = set(PlaceOfService.objects.values_list("code", flat=True))
    assert codes == ASSIGNED


def test_codes_cms_marks_unassigned_are_not_records(content):
    assert not PlaceOfService.objects.filter(code__in=UNASSIGNED).exists()


def test_fixture_codes_are_two_digits_and_unique():
    codes = [fields["code"] for fields in fixture_records()]
    assert all(re.fullmatch(POS_PATTERN, code) for code in codes), codes
    assert len(codes) == len(set(codes))
    assert codes == sorted(codes)


def test_every_record_names_a_public_source(content):
    for place in PlaceOfService.objects.all():
        hrefs = [link.href for link in place.source_links()]
        assert place.source.strip(), place.code
        assert any(href.startswith(("https://", "http://")) for href in hrefs), place.code
        assert len(hrefs) == len(set(hrefs)), f"{place.code} repeats a source"


def test_verified_records_carry_the_cms_description_and_unverified_ones_say_why(content):
    for place in PlaceOfService.objects.all():
        assert place.name.strip() == place.name and place.name, place.code
        assert "  " not in place.description, place.code
        if place.is_unverified:
            assert place.note, f"{place.code} is unverified but does not say why"
            assert place.description == "", f"{place.code} is unverified but has a description"
        else:
            assert place.description, f"{place.code} is verified but has no description"
            assert HL7_SOURCE in place.source, place.code


def test_descriptions_are_the_cms_wording(content):
    assert PlaceOfService.objects.get(code="21").description == INPATIENT_HOSPITAL
    assert PlaceOfService.objects.get(code="24").description == (
        "A freestanding facility, other than a physician's office, where surgical and diagnostic "
        "services are provided on an ambulatory basis."
    )
    assert PlaceOfService.objects.get(code="19").description.endswith("(Effective January 1, 2016)")


def test_the_first_six_records_keep_their_sources_and_notes(content):
    for code in ["11", "19", "21", "22", "23", "24"]:
        place = PlaceOfService.objects.get(code=code)
        assert EXISTING_SOURCE in place.source, code
        assert not place.is_unverified, code
    assert "renamed from 'Outpatient Hospital'" in PlaceOfService.objects.get(code="22").note
    assert "POS 24, not 11" in PlaceOfService.objects.get(code="11").note


def test_the_pos_21_page_shows_the_cms_description(client, content):
    response = client.get(reverse("codes:pos-detail", args=["21"]))
    assert response.status_code == 200
    text = page_text(response)
    assert f"Description {INPATIENT_HOSPITAL}" in text
    assert "unverified" not in text


def test_an_unverified_code_is_flagged_on_its_page(client, content):
    place = PlaceOfService.objects.filter(confidence="medium").order_by("code").first()
    response = client.get(reverse("codes:pos-detail", args=[place.code]))
    text = page_text(response)
    assert response.status_code == 200
    assert "unverified" in text
    assert place.note in text
