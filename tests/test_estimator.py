"""The payment estimator of an anesthesia code (/codes/<code>/estimate/): the worked examples of
the reference facts through the page, the conversion factor in force on the date of service,
payers compared side by side, the figures editors enter in the admin, every bad input, the
downloads and the query count."""

import csv
import io
import re
from datetime import date
from decimal import Decimal
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.http import QueryDict
from django.urls import reverse
from openpyxl import load_workbook

from codes import estimator
from codes.locking import EditConflict
from codes.models import ConversionFactor, Payer, PayerRule

pytestmark = pytest.mark.django_db

CASE = {"minutes": "176", "modifiers": "AA", "payer": "medicare", "dos": "2025-06-01"}


def page(client, path: str, params=None) -> str:
    response = client.get(path, params or {})
    assert response.status_code == 200, path
    return response.content.decode()


def estimate(client, code="00620", **params):
    response = client.get(reverse("codes:estimate", args=[code]), {**CASE, **params})
    assert response.status_code == 200
    return response.content.decode()


def comparison(html: str) -> dict[str, list[str]]:
    """The comparison table: step -> the figure of each payer, as shown."""
    start = html.index('class="data comparison"')
    table = html[start : html.index("</table>", start)]
    rows = {}
    for row in re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", table, flags=re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row[1], flags=re.S)
        rows[row[0]] = [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]
    return rows


def aetna_contract(**rules) -> Payer:
    """A commercial contract as an editor would record it: whole units rounded up, physical
    status and qualifying circumstances counted, $60 a unit in 2026."""
    aetna = Payer.objects.get(slug="aetna")
    fields = {"time_rounding": "up", "physical_status_units": True} | rules
    PayerRule.objects.create(payer=aetna, source="Aetna contract 2026, schedule B", **fields)
    ConversionFactor.objects.create(
        payer=aetna,
        label="2026 contract",
        effective_from=date(2026, 1, 1),
        effective_to=date(2026, 12, 31),
        amount=Decimal("60.0000"),
        source="Aetna contract 2026, schedule A",
    )
    return aetna


# -- The worked examples of the reference facts (fixtures/sources/facts.json) --------------------


def test_00620_personally_performed_in_2025_pays_440_90(client, content):
    # (10 base units + 176 / 15 = 11.7 time units) x CY2025 national CF 20.3178 = 440.90
    rows = comparison(estimate(client))
    assert rows["Base units"] == ["10"] and rows["Time units"] == ["11.7"]
    assert rows["Total units"] == ["21.7"] and rows["Conversion factor"] == ["$20.3178"]
    assert rows["Allowed amount"] == ["$440.90"]
    assert rows["Anesthesiologist (AA)"] == ["$440.90"]


def test_00620_medically_directed_in_2026_splits_444_80(client, content):
    # CY2026, not a qualifying APM participant: 21.7 x 20.4976 = 444.80; QK + QX each 222.40.
    html = estimate(client, modifiers="QK QX", ps="P3", dos="2026-03-02")
    rows = comparison(html)
    assert rows["Allowed amount"] == ["$444.80"]
    assert rows["Anesthesiologist (QK)"] == ["$222.40"] and rows["CRNA (QX)"] == ["$222.40"]
    # Medicare ignores physical status units: shown, not counted.
    assert rows["Physical status P3"] == ["1 (not counted)"]
    assert "Medicare adds no units for physical status modifiers" in html


def test_each_step_cites_its_rule_and_source(client, content):
    html = estimate(client, modifiers="QY QX", dos="2026-03-02")
    assert "Medicare counts time as minutes ÷ 15 to one decimal place." in html
    assert "CMS Pub. 100-04 Medicare Claims Processing Manual, Ch. 12 §50" in html
    assert 'href="https://www.dmba.com/provider/AnesthesiaModifierTable.aspx"' in html
    assert "CMS “Anesthesia Base Units by CPT Code” file for CY2022" in html


@pytest.mark.parametrize(
    "day, factor",
    [
        ("2023-07-01", "$21.1249"),
        ("2024-03-08", "$20.4349"),  # the last day before the CAA 2024 raise
        ("2024-03-09", "$20.7739"),
        ("2025-12-31", "$20.3178"),
        ("2026-01-01", "$20.4976"),
    ],
)
def test_the_date_of_service_picks_the_factor_in_force_that_day(client, content, day, factor):
    assert comparison(estimate(client, dos=day))["Conversion factor"] == [factor]


def test_a_qualifying_apm_participant_gets_the_qp_factor_marked_unverified(client, content):
    html = estimate(client, dos="2026-03-02", qp="on")
    row = comparison(html)["Conversion factor"][0]
    assert row.startswith("$20.5998") and "unverified" in row


def test_no_factor_in_force_is_said_plainly_and_no_amount_is_made_up(client, content):
    html = estimate(client, dos="2022-06-01")
    assert "No conversion factor of Medicare is in force on 1 June 2022: none is guessed." in html
    assert "No conversion factor of the payers chosen is in force on 1 June 2022." in html
    assert "Allowed amount" not in html and "$" not in html.split("The estimate")[-1]


def test_medicare_pays_no_time_units_for_01996(client, content):
    rows = comparison(estimate(client, code="01996", minutes="90"))
    assert rows["Base units"] == ["3"] and rows["Time units"] == ["0"]
    assert rows["Allowed amount"] == ["$60.95"]  # 3 x 20.3178


def test_medical_supervision_allows_three_units_and_leaves_the_crna_share_to_the_payer(
    client, content
):
    html = estimate(client, modifiers="AD", induction="on")
    rows = comparison(html)
    assert rows["Base units"] == ["3"] and rows["Time units"] == ["1"]
    assert rows["Allowed amount"] == ["$81.27"]  # 4 x 20.3178
    assert rows["CRNA (QX)"] == ["—"] and "ask the payer" in html


def test_two_payers_side_by_side(client, content):
    aetna_contract()
    html = estimate(
        client, modifiers="QK QX", ps="P3", payer=["medicare", "aetna"], dos="2026-03-02"
    )
    rows = comparison(html)
    # Aetna: 10 + 12 (176 minutes, whole units up) + 1 (P3) = 23 x $60.
    assert rows["Time units"] == ["11.7", "12"]
    assert rows["Physical status P3"] == ["1 (not counted)", "1"]
    assert rows["Allowed amount"] == ["$444.80", "$1,380.00"]
    assert rows["CRNA (QX)"] == ["$222.40", "$690.00"]
    assert "The working for Medicare" in html and "The working for Aetna" in html


def test_a_payer_without_rules_gets_a_message_and_no_amount(client, content):
    html = estimate(client, payer=["medicare", "cigna-health"])
    assert "No anesthesia rules of Cigna Health are recorded on cptref yet" in html
    assert comparison(html)["Allowed amount"] == ["$440.90", "—"]


def test_a_factor_an_editor_enters_in_the_admin_is_used_at_once(client, content, editor):
    client.force_login(editor)
    aetna = Payer.objects.get(slug="aetna")
    response = client.post(
        reverse("admin:codes_payerrule_add"),
        {
            "payer": aetna.pk,
            "minutes_per_unit": "15",
            "time_rounding": "tenths",
            "round_up_after": "0",
            "direction_share": "0.50",
            "supervision_base_units": "3",
            "supervision_induction_units": "1",
            "confidence": "high",
            "source": "Aetna anesthesia contract, 2026",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post(
        reverse("admin:codes_conversionfactor_add"),
        {
            "payer": aetna.pk,
            "label": "2026 contract",
            "effective_from": "2026-01-01",
            "effective_to": "2026-12-31",
            "clinicians": "all",
            "amount": "55.5000",
            "confidence": "high",
            "source": "Aetna anesthesia contract, 2026, schedule A",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()
    rows = comparison(estimate(client, payer="aetna", dos="2026-05-05"))
    assert rows["Conversion factor"] == ["$55.5000"] and rows["Allowed amount"] == ["$1,204.35"]


def test_two_factors_of_a_payer_in_force_on_one_day_are_refused(content):
    medicare = Payer.objects.get(slug="medicare")
    clash = ConversionFactor(
        payer=medicare,
        label="Wrong",
        effective_from=date(2025, 6, 1),
        amount=Decimal("19"),
        source="x",
    )
    with pytest.raises(ValidationError, match="is in force on some of the same days"):
        clash.full_clean()


# -- Bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, message",
    [
        ({"minutes": "-5"}, "at least 1 minute"),
        ({"minutes": "0"}, "at least 1 minute"),
        ({"minutes": "1441"}, "cannot be over 24 hours"),
        ({"minutes": "three hours"}, "whole number of minutes"),
        ({"minutes": ""}, "Give the anesthesia time"),
        ({"minutes": "", "start": "07:45", "end": "07:45"}, "same as the start time"),
        ({"minutes": "", "start": "7h45", "end": "08:00"}, "Enter a time such as 07:45"),
        ({"modifiers": "ZZ"}, "Not a modifier on cptref: ZZ"),
        ({"modifiers": "QK QK QX"}, "QK is reported twice"),
        ({"modifiers": "QZ QK"}, "different ways of providing the service"),
        ({"modifiers": "AA QX"}, "QX is a CRNA under medical direction"),
        ({"modifiers": "QX"}, "QX is the CRNA's half"),
        ({"modifiers": "P3"}, "No pricing modifier"),
        ({"modifiers": "A" * 300}, "at most a few modifiers"),
        ({"payer": "nobody"}, "There is no payer “nobody” on cptref."),
        ({"payer": ""}, "Choose at least one payer."),
        ({"ps": "P9"}, "Choose P1 to P6"),
        ({"dos": "2026-13-45"}, "Enter a date such as 2026-03-02."),
        ({"qc": "99999"}, "99999 is not a qualifying circumstance"),
    ],
)
def test_bad_input_is_explained_next_to_its_field_with_no_amount(client, content, params, message):
    html = unescape(estimate(client, **params))
    assert message in html
    assert 'class="error"' in html and 'aria-invalid="true"' in html
    assert "The estimate" not in html


def test_a_case_past_midnight_is_counted_to_the_end_time(client, content):
    rows = comparison(estimate(client, minutes="", start="23:30", end="01:15"))
    assert rows["Time units"] == ["7"]  # 105 minutes


def test_the_query_string_is_never_echoed_unescaped(client, content):
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
    html = estimate(client, modifiers=hostile, minutes=hostile, payer=hostile, dos=hostile)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html


def test_an_empty_date_becomes_todays_in_the_address(client, content):
    response = client.get(reverse("codes:estimate", args=["00620"]), {**CASE, "dos": ""})
    assert response.status_code == 302 and "dos=20" in response["Location"]


def test_a_code_without_base_units_has_no_estimator(client, content):
    response = client.get(reverse("codes:estimate", args=["10021"]), CASE)
    assert response.status_code == 404
    assert "There are no base units for CPT code 10021" in response.content.decode()


# -- Downloads and cost ------------------------------------------------------------------------


def test_the_steps_download_as_csv_and_xlsx(client, content):
    url = reverse("codes:estimate", args=["00620"])
    params = {**CASE, "modifiers": "QK QX", "dos": "2026-03-02"}
    rows = list(
        csv.reader(io.StringIO(client.get(url, {**params, "_export": "csv"}).content.decode()))
    )
    assert rows[0] == ["Payer", "Step", "Value", "Unit", "Counted", "Working", "Rule", "Source"]
    steps = {row[1]: row for row in rows if row[0] == "Medicare"}
    assert steps["Allowed amount"][2:5] == ["444.80", "$", "yes"]
    assert steps["CRNA (QX)"][2] == "222.40"
    sheet = load_workbook(io.BytesIO(client.get(url, {**params, "_export": "xlsx"}).content)).active
    assert [cell.value for cell in sheet[1]][:2] == ["Payer", "Step"]


@pytest.mark.parametrize("extra_payers", [0, 4])
def test_the_estimate_takes_a_fixed_number_of_queries(
    client, content, django_assert_num_queries, extra_payers
):
    for n in range(extra_payers):
        payer = Payer.objects.create(name=f"Payer {n}", slug=f"payer-{n}")
        PayerRule.objects.create(payer=payer, source="contract")
        for year in (2025, 2026):
            ConversionFactor.objects.create(
                payer=payer,
                label=str(year),
                effective_from=date(year, 1, 1),
                effective_to=date(year, 12, 31),
                amount=Decimal("50"),
                source="contract",
            )
    slugs = ["medicare", *(f"payer-{n}" for n in range(extra_payers))]
    # 1 version, 1 base units, 1 payers with their rules, 1 qualifying circumstances,
    # 1 modifiers typed, 1 conversion factors in force.
    with django_assert_num_queries(6):
        html = estimate(client, modifiers="QK QX", ps="P3", payer=slugs, dos="2026-03-02")
    assert len(comparison(html)["Allowed amount"]) == 1 + extra_payers


# -- The code's pages --------------------------------------------------------------------------


def test_an_anesthesia_code_without_an_article_has_a_page_of_its_own(client, content):
    html = page(client, "/codes/00670/")
    assert "CPT 00670: anesthesia code" in html and "No article yet" in html
    assert "Anesthesia › Spine and Spinal Cord (00600–00670)" in html
    assert "<dt>Base units</dt><dd>13, CY2022 file</dd>" in html
    assert "Anesthesia Base Units by CPT Code" in html  # the source
    assert f'action="{reverse("codes:estimate", args=["00670"])}"' in html
    assert 'href="/codes/00620/"' in html  # the article that names it as related


def test_the_form_of_every_anesthesia_code_lists_a_payer_an_editor_adds_at_once(client, content):
    # The blank form's fields are written once per content version for all the codes' pages.
    assert "Added Health Plan" not in page(client, "/codes/00670/")
    Payer.objects.create(slug="added-plan", name="Added Health Plan")
    for code in ("00670", "00100"):
        html = page(client, f"/codes/{code}/")
        assert 'value="added-plan"' in html and "Added Health Plan" in html
        assert f'action="{reverse("codes:estimate", args=[code])}"' in html


def test_the_cpt_index_lists_codes_without_an_article_marked_as_such(client, content):
    html = page(client, "/codes/", {"article": "no", "section": "Anesthesia"})
    assert 'href="/codes/00100/"' in html and "No article yet" in html
    rows = list(csv.reader(io.StringIO(page(client, "/codes/", {"_export": "csv"}))))
    assert len(rows) == 1 + 276  # 00620's article and the 275 codes without one
    assert rows[1][:2] == ["00620", "Anesthesia for Thoracic Spine and Cord Procedures"]
    by_code = {row[0]: row for row in rows}
    assert by_code["00670"][:5] == [
        "00670",
        "No article yet",
        "Anesthesiology",
        "Anesthesia › Spine and Spinal Cord",
        "13",
    ]


def test_search_goes_to_a_code_without_an_article_and_lists_them_marked(client, content):
    assert client.get("/search/?q=00670")["Location"] == "/codes/00670/"
    html = page(client, "/search/", {"q": "0067"})
    assert "00670" in html and "No article yet · 13 base units" in html


def test_the_article_shows_its_base_units_and_links_the_estimator(client, content):
    html = page(client, "/codes/00620/")
    assert "<dt>Base units</dt><dd>10" in html
    assert f'href="{reverse("codes:estimate", args=["00620"])}"' in html


def test_the_payer_page_shows_its_rules_and_factors(client, content):
    html = page(client, "/payers/medicare/")
    assert "How Medicare counts anesthesia units" in html and "01995 01996" in html
    assert "$20.3178" in html and "CY2024, from 9 March" in html
    assert "No anesthesia rules of Aetna are recorded yet" in page(client, "/payers/aetna/")


def test_the_conversion_factor_index_filters_by_the_day_in_force(client, content):
    html = page(client, "/conversion-factors/", {"on": "2024-03-09"})
    assert "$20.7739" in html and "$20.4349" not in html


def test_the_forms_of_a_content_version_share_their_fields_and_nothing_else(content):
    """The fields, with the version's payers and circumstances as choices, are set up once for
    its figures; what one form reads and finds stays on that form."""
    figures = estimator.Figures.read()
    wrong = estimator.EstimateForm(QueryDict("minutes=-5&modifiers=QZ+QK"), figures=figures)
    blank = estimator.EstimateForm(None, figures=figures)
    assert not wrong.is_valid() and wrong.errors["minutes"] and wrong.errors["modifiers"]
    assert blank.fields["payer"] is wrong.fields["payer"]
    assert not blank.errors and "medicare" in blank.fields["payer"].initial
    html = blank.html()
    assert "aria-invalid" not in html["minutes"] and "-5" not in html["minutes"]
    assert 'value="medicare"' in html["payer"]
    Payer.objects.create(slug="added-plan", name="Added Health Plan")
    assert 'value="added-plan"' not in html["payer"]
    later = estimator.EstimateForm(None, figures=estimator.Figures.read())
    assert 'value="added-plan"' in later.html()["payer"]


@pytest.mark.parametrize("model", [ConversionFactor, PayerRule])
def test_factors_and_rules_keep_their_history_refuse_an_older_version_and_are_exported(
    content, model
):
    first = model.objects.order_by("pk").first()
    second = model.objects.get(pk=first.pk)
    first.note = "Checked against this year's contract"
    first.save()
    assert first.history.latest().note == "Checked against this year's contract"
    second.note = "Another editor's note"
    with pytest.raises(EditConflict), transaction.atomic():
        second.save()
    out = io.StringIO()
    call_command("export_content", stdout=out)
    assert "Checked against this year's contract" in out.getvalue()
    assert f'"model": "codes.{model._meta.model_name}"' in out.getvalue()
