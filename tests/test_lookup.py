"""The lookup of a list of codes (/lookup/?codes=…): how a pasted list is read and each token
recognised (codes/lookup.py), the page's answer in the order typed, bad input of every kind, its
downloads, its queries, and the search sending lists of codes to it."""

import csv
import io
import re
import time
from html import unescape
from urllib.parse import urlencode

import django_tables2
import pytest
from django.test import RequestFactory
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from codes import exports, lookup, tables
from codes.models import BaseUnit, CptCode, Icd10Code, Modifier, PlaceOfService, ProviderTaxonomy

from .conftest import make_cpt, make_icd10

pytestmark = pytest.mark.django_db

LOOKUP = reverse("codes:lookup")
MIXED = "00620 QX M48.04 M4804 21 207L00000X"
VERSION = 1  # every public page first reads the content version (codes/caching.py)


@pytest.fixture
def headers(content):
    """M48 and M48.0, headers above the shipped M48.04 (as the tabular list has them)."""
    category = make_icd10("M48", kind=Icd10Code.Kind.CATEGORY, billable=False)
    make_icd10("M48.0", billable=False, parent=category)


def page(client, codes: str):
    response = client.get(LOOKUP, {"codes": codes})
    assert response.status_code == 200
    return response.content.decode()


def rows(html: str) -> list[list[str]]:
    """The table's rows, each cell as a reader reads it."""
    body = html[html.index("<tbody") : html.index("</tbody>")]
    return [
        [
            unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


# Reading a list ------------------------------------------------------------------------------


def test_a_list_splits_at_spaces_commas_semicolons_and_new_lines():
    text = "00620, qx;M4804\n21\r\n\t207l00000x ;; ,"
    assert lookup.read(text).tokens == ["00620", "qx", "M4804", "21", "207l00000x"]


@pytest.mark.parametrize(
    ("token", "shapes"),
    [
        ("00620", {"cpt": "00620"}),
        ("620", {"cpt": "00620"}),
        ("0213t", {"cpt": "0213T"}),
        ("213T", {"cpt": "0213T"}),
        ("qx", {"modifier": "QX"}),
        ("P3", {"modifier": "P3"}),
        ("M48.04", {"icd10": "M48.04"}),
        ("m4804", {"icd10": "M48.04"}),
        ("M48", {"icd10": "M48"}),
        ("S32.010A", {"icd10": "S32.010A"}),
        ("m45-m49", {"icd10": "M45-M49"}),
        ("1", {"pos": "01"}),
        ("21", {"pos": "21", "modifier": "21"}),  # a place of service and a modifier's shape
        ("207l00000x", {"taxonomy": "207L00000X"}),
        # No code has these shapes.
        ("<b>", {}),
        ("M48.04.1", {}),
        ("M48.", {}),
        ("0213X", {}),
        ("123456", {}),
        ("PAIN", {}),  # ICD-10-CM codes have a digit second
        ("207L00000", {}),
        ("=1+1", {}),
        ("٢١", {}),  # digits, but not ASCII ones
    ],
)
def test_each_token_has_the_shapes_of_the_kinds_it_could_be(token, shapes):
    assert lookup.shapes(token) == shapes


def test_control_and_invisible_characters_are_dropped_before_reading():
    reading = lookup.read("00\x00620\u200b,\x07QX\u202e\r\nM48.04\ufeff")
    assert reading.tokens == ["00620", "QX", "M48.04"]
    assert reading.text == "00620,QX\nM48.04"


def test_ten_thousand_codes_read_the_first_200_and_say_so():
    reading = lookup.read(" ".join(["00620", "M48.04"] * 5_000))
    assert len(reading.tokens) == lookup.MAX_CODES and reading.rest and reading.cut
    [notice] = reading.notices
    assert "the first 200 were looked up, up to M48.04" in notice
    assert len(reading.rest_text.split()) == lookup.MAX_CODES  # the next list's link


def test_a_megabyte_of_text_costs_no_more_than_a_full_list():
    started = time.perf_counter()
    one_token = lookup.read("A" * 1_000_000)
    spaces = lookup.read(" " * 1_000_000)
    codes = lookup.read("M48.04;" * 150_000)
    assert time.perf_counter() - started < 0.1
    assert len(one_token.text) == lookup.MAX_CHARS and len(one_token.tokens) == 1
    assert "longer than 8,000 characters" in one_token.notices[0]
    assert spaces.tokens == [] and spaces.notices
    assert len(codes.tokens) == lookup.MAX_CODES


def test_the_cut_at_the_character_limit_never_keeps_half_a_code():
    text = "207L00000X " * 2_000
    for shift in range(11):
        reading = lookup.read(" " * shift + text)
        assert set(reading.tokens + reading.rest) == {"207L00000X"}


def test_a_short_list_is_read_whole():
    reading = lookup.read(MIXED)
    assert reading.tokens == MIXED.split() and not reading.rest and not reading.cut
    assert reading.notices == []


@pytest.mark.parametrize(
    ("query", "is_list"),
    [
        ("00620, M48.04", True),
        ("qk qx", True),
        ("00620 QX M48.04 21 207L00000X", True),
        ("00620", False),
        ("M48.04,", False),
        ("stenosis thoracic", False),
        ("M48.04 stenosis", False),
        ("back pain", False),
        ("to be", False),  # English words, though shaped like modifiers
        ("AS 80", True),  # modifiers, in capitals
        ("", False),
    ],
)
def test_a_search_is_a_list_when_it_holds_two_codes_and_nothing_else(query, is_list):
    assert lookup.is_list(query) is is_list


# The page ------------------------------------------------------------------------------------


def test_a_mixed_list_comes_back_in_the_order_typed(client, content):
    found = rows(page(client, MIXED))
    assert [(row[0], row[1], row[2], row[3]) for row in found] == [
        ("00620", "1", "00620", "CPT code"),
        ("QX", "1", "QX", "Modifier"),
        ("M48.04, M4804", "2", "M48.04", "ICD-10-CM code"),  # one code, typed two ways
        ("21", "1", "21", "Place of service"),
        ("207L00000X", "1", "207L00000X", "Provider taxonomy"),
    ]
    assert found[2][4] == "Spinal stenosis, thoracic region"
    assert found[3][4] == PlaceOfService.objects.get(code="21").name


def test_each_code_links_to_its_page(client, content):
    html = page(client, "620 qx m4804 1 207l00000x 00670")
    for url in [
        "/codes/00620/",
        "/modifiers/QX/",
        "/icd10/M48.04/",
        "/places-of-service/01/",
        "/taxonomies/207L00000X/",
        "/codes/00670/",  # an anesthesia code without an article has its own page
    ]:
        assert f'<a href="{url}">' in html


def test_a_code_typed_again_is_shown_once_with_its_count(client, content):
    found = rows(page(client, "QX qx QX; 00620 620\n00620"))
    assert [row[:3] for row in found] == [["QX, qx", "3", "QX"], ["00620, 620", "3", "00620"]]
    assert "6 codes typed, 2 different: 2 found." in page(client, "QX qx QX; 00620 620\n00620")


def test_a_header_is_not_billable_and_a_code_beneath_it_is(client, headers):
    found = {row[2]: row for row in rows(page(client, "M48 M48.0 M48.04"))}
    assert found["M48"][3] == "ICD-10-CM category"
    assert found["M48"][5] == found["M48.0"][5] == "Header, not billable"
    assert found["M48.04"][5] == "Billable"


def test_a_number_that_is_two_kinds_of_code_has_a_row_for_each(client, content):
    assert Modifier.objects.filter(code="23").exists()
    found = rows(page(client, "23 21"))
    assert [row[:4] for row in found] == [
        ["23", "1", "23", "Place of service"],
        ["23", "1", "23", "Modifier"],
        ["21", "1", "21", "Place of service"],  # not a modifier on cptref
    ]


def test_codes_the_site_does_not_hold_and_tokens_that_are_no_code_are_marked(client, content):
    make_cpt(code="64483", status=CptCode.Status.DRAFT)  # not public: not held, to readers
    found = rows(page(client, "99999 QQ Z99.999 64483 48 0213X M48.04.1 00620"))
    assert [(row[0], row[3], row[4]) for row in found] == [
        ("99999", "Not on cptref", "cptref has no CPT code 99999."),
        ("QQ", "Not on cptref", "cptref has no modifier QQ."),
        ("Z99.999", "Not on cptref", "cptref has no ICD-10-CM code Z99.999."),
        ("64483", "Not on cptref", "cptref has no CPT code 64483."),
        ("48", "Not on cptref", "cptref has no place of service 48 or modifier 48."),
        ("0213X", "Not a code", found[5][4]),
        ("M48.04.1", "Not a code", found[5][4]),
        ("00620", "CPT code", found[7][4]),
    ]
    assert found[5][4].startswith("Not the shape of a code cptref knows")
    html = page(client, "99999 <b>")
    assert '<span class="flag">Not on cptref</span>' in html  # words, not only a colour
    assert "2 codes typed: 1 not on cptref, 1 not a code." in html


def test_markup_is_escaped_and_control_characters_never_reach_the_page(client, content):
    hostile = '<script>alert(1)</script> "><img src=x onerror=alert(1)> 00620\x00\x1b[31m \u202eQX'
    html = page(client, hostile)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f\u202e]", html)
    assert [row[2] for row in rows(html)][-1] == "QX"


def test_a_long_token_is_cut_in_the_table(client, content):
    html = page(client, "X" * 5_000)
    [row] = rows(html)
    assert row[0] == "X" * (lookup.MAX_SHOWN - 1) + "…"


@pytest.mark.parametrize(
    "codes",
    [
        " ".join(["00620"] * 10_000),
        " ".join(["00620", "QX", "M48.04", "21", "207L00000X"] * 2_000),
        "M48.04,\n" * 131_072,  # 1 MB
    ],
    ids=["10,000 of one code", "10,000 mixed", "1 MB"],
)
def test_a_list_too_long_looks_up_the_first_200_and_says_how_to_split_it(client, content, codes):
    started = time.perf_counter()
    html = page(client, codes)
    assert time.perf_counter() - started < 1
    assert "the first 200 were looked up" in html
    assert "Split the list and look up the rest as a second one." in html
    assert sum(int(row[1]) for row in rows(html)) == 200
    next_list = re.search(r'<a href="(/lookup/\?codes=[^"]+)">Look up the next 200 codes', html)
    assert next_list and client.get(unescape(next_list[1])).status_code == 200


def test_a_megabyte_in_one_token_is_one_token_not_a_code(client, content):
    html = page(client, "9" * 1_000_000)
    assert "only the codes in its first 8,000 were read" in html
    assert [row[3] for row in rows(html)] == ["Not a code"]
    assert len(html) < 50_000  # the form and the download links hold what was read, no more


def test_a_search_for_a_long_list_sends_what_the_lookup_reads(client, content):
    response = client.get(reverse("codes:search"), {"q": "00620 " * 200_000})
    assert response.status_code == 302 and len(response["Location"]) < 3 * lookup.MAX_CHARS
    assert "the first 200 were looked up" in client.get(response["Location"]).content.decode()


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    codes=st.lists(
        st.one_of(
            st.text(max_size=14),
            st.text(alphabet="0123456789ABFTUXMQ.-", min_size=1, max_size=12),
            st.sampled_from(["00620", "M48.04", "QX", "21", "207L00000X", "<b>", "=1+1"]),
        ),
        max_size=30,
    ).map(" ".join)
)
def test_any_list_answers_its_page_with_every_token_counted(client, content, codes):
    response = client.get(LOOKUP, {"codes": codes})
    assert response.status_code == 200
    html, tokens = response.content.decode(), lookup.read(codes).tokens
    typed = re.search(r'<p class="count">([0-9,]+) codes? typed', html)
    assert (int(typed[1]) if typed else 0) == len(tokens)


def test_the_form_writes_the_list_back_and_the_page_is_a_link(client, content):
    html = page(client, "00620,\x00 qx\r\nm4804")
    assert '<label for="id_codes">Codes</label>' in html
    assert '<textarea name="codes" id="id_codes"' in html
    assert "\n00620, qx\nm4804</textarea>" in html
    assert '<form class="tool-form" method="get" action="/lookup/"' in html


def test_the_page_without_codes_shows_the_form_and_an_empty_list_says_so(client, content):
    html = client.get(LOOKUP).content.decode()
    assert "<textarea" in html and "<tbody" not in html and "No code was given" not in html
    html = page(client, " ,; ")
    assert "No code was given" in html and "<tbody" not in html


def test_the_header_links_the_lookup_after_the_claim_check(client, content):
    html = client.get(reverse("codes:home")).content.decode()
    header = html[html.index('<nav aria-label="Code sets">') :]
    assert header.index(">Claim check</a>") < header.index(f'<a href="{LOOKUP}">Look up codes</a>')


def test_the_lookup_table_is_written_as_django_tables2s_template_writes_it():
    """Its rows (a flag, an unverified mark, markup typed by a reader) through codes/tablehtml.py,
    byte for byte as templates/django/_table.html writes them."""
    found = [
        lookup.Match("cpt", "00620", "CPT code", "Anesthesia & <co>", "Billable"),
        lookup.Match("modifier", "QS", "Modifier", "MAC", "", is_unverified=True),
    ]
    entries = [
        lookup.Entry(["00620", "620"], 2, {"cpt": "00620"}, found[:1]),
        lookup.Entry(["qs"], 1, {"modifier": "QS"}, found[1:]),
        lookup.Entry(["<b>"], 1, {}),
        lookup.Entry(["99999"], 1, {"cpt": "99999"}),
    ]
    request = RequestFactory().get(LOOKUP)
    ours = tables.LookupTable(lookup.rows(entries)).labelled_by("h").as_html(request)
    reference = django_tables2.Table.as_html(
        tables.LookupTable(lookup.rows(entries)).labelled_by("h"), request
    )
    assert ours == reference
    assert 'class="flag" title="From one secondary source or recalled">unverified' in ours
    assert "Anesthesia &amp; &lt;co&gt;" in ours and "&lt;b&gt;" in ours


# Downloads -----------------------------------------------------------------------------------


FORMULAS = "=1+1 @SUM(1) +1+1 -2+3 =cmd|'/C 00620"


def test_the_csv_download_is_the_table_and_runs_no_formula(client, content):
    response = client.get(LOOKUP, {"codes": FORMULAS, "_export": "csv"})
    assert response["Content-Disposition"] == 'attachment; filename="codes-looked-up.csv"'
    found = list(csv.reader(io.StringIO(response.content.decode())))
    assert found[0] == ["Typed", "Times", "Code", "What it is", "Title", "Billable"]
    assert [row[0] for row in found[1:-1]] == ["'=1+1", "'@SUM(1)", "'+1+1", "'-2+3", "'=cmd|'/C"]
    assert found[-1] == [
        "00620",
        "1",
        "00620",
        "CPT code",
        CptCode.objects.get(code="00620").title,
        "Billable",
    ]
    assert not [cell for row in found for cell in row if exports.runs(cell)]


def test_the_xlsx_download_has_no_formula_and_keeps_the_zeros(client, content):
    response = client.get(LOOKUP, {"codes": FORMULAS, "_export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    assert sheet["A2"].value == "=1+1" and sheet["A2"].data_type == "s"
    assert sheet["C7"].value == "00620" and sheet.title == "Codes looked up"


def test_the_page_offers_both_downloads_of_the_same_list(client, content):
    html = page(client, MIXED)
    query = urlencode({"codes": MIXED})
    for fmt in ("csv", "xlsx"):
        assert f'href="{LOOKUP}?{query}&amp;_export={fmt}" download' in html


# Queries -------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 200])
def test_the_lookup_takes_the_same_queries_for_2_and_200_codes(
    client, content, django_assert_num_queries, count
):
    Icd10Code.objects.bulk_create(
        Icd10Code(code=f"S00.{n:02d}", description=f"Test diagnosis {n}") for n in range(100)
    )
    anesthesia = list(BaseUnit.objects.values_list("code", flat=True)[: count // 2])
    diagnoses = [f"S00{n:02d}" for n in range(count // 2)]  # without their dot
    # 1 published articles, 1 anesthesia codes without one, 1 ICD-10-CM codes.
    with django_assert_num_queries(VERSION + 3):
        html = page(client, " ".join(anesthesia + diagnoses))
    assert len(rows(html)) == count


def test_a_list_of_every_kind_takes_one_query_per_kind(
    client, content, django_assert_max_num_queries
):
    every = [
        *BaseUnit.objects.values_list("code", flat=True)[:40],
        *Icd10Code.objects.filter(kind="code").values_list("code", flat=True)[:40],
        *Modifier.objects.values_list("code", flat=True)[:19],
        *PlaceOfService.objects.values_list("code", flat=True)[:40],
        *ProviderTaxonomy.objects.values_list("code", flat=True)[:40],
        *["99999", "QQ", "<b>", "00620"] * 5,
    ]
    # 2 CPT (articles, anesthesia codes), 1 each: ICD-10-CM, places, modifiers, taxonomies.
    with django_assert_max_num_queries(VERSION + 6):
        page(client, " ".join(every))


# The search sends lists here -----------------------------------------------------------------


def test_a_search_for_two_codes_or_more_opens_their_lookup(client, content):
    response = client.get(reverse("codes:search"), {"q": "00620, M48.04"})
    assert response.status_code == 302
    assert response["Location"] == f"{LOOKUP}?{urlencode({'codes': '00620, M48.04'})}"
    assert [row[2] for row in rows(page(client, "00620, M48.04"))] == ["00620", "M48.04"]


def test_a_search_for_one_code_still_opens_its_page(client, content):
    response = client.get(reverse("codes:search"), {"q": "m4804"})
    assert response.status_code == 302 and response["Location"] == "/icd10/M48.04/"
    response = client.get(reverse("codes:search"), {"q": "00620"})
    assert response["Location"] == "/codes/00620/"


def test_a_search_for_words_is_still_a_search(client, content):
    response = client.get(reverse("codes:search"), {"q": "stenosis thoracic"})
    assert response.status_code == 200
    response = client.get(reverse("codes:search"), {"q": "M48.04 stenosis"})
    assert response.status_code == 200  # a code and a word: searched, as before


def test_a_list_as_long_as_the_lookup_reads_fits_the_request_line_that_make_serve_allows():
    """gunicorn refuses a request line over --limit-request-line (default 4094) with a 400,
    before the lookup can say "the first 200 were looked up": a pasted list of the MAX_CHARS
    characters the lookup reads (here 727 codes, separated by spaces) must reach it."""
    from pathlib import Path
    from urllib.parse import urlencode

    makefile = (Path(__file__).parent.parent / "Makefile").read_text()
    limit = int(re.search(r"--limit-request-line (\d+)", makefile).group(1))
    pasted = " ".join(f"207L{n:05d}X" for n in range(1000))[: lookup.MAX_CHARS]
    request_line = f"GET /lookup/?{urlencode({'codes': pasted})} HTTP/1.1"
    assert 4094 < len(request_line) <= limit
