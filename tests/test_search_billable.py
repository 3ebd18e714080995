"""The search's billable-only option (`billable=1`), as the ICD-10-CM index has it: only the
billable diagnoses among ICD-10-CM results, other kinds as they are; the option kept in every
link of the results page; anything else in the parameter ignored. On SQLite and PostgreSQL."""

import re

import pytest
from django.db import connection

from codes.models import Icd10Code
from codes.search import query as search

from .conftest import make_icd10
from .test_search import SEARCH, VERSION, page, result_codes

pytestmark = pytest.mark.django_db


@pytest.fixture
def stenosis(content):
    """M48.04 and M48.05 (billable), M48.06 (not billable in the fixtures), their header M48.0
    and a block whose own words match too."""
    make_icd10("M48.0", description="Spinal stenosis", kind="category", billable=False)
    make_icd10(
        "M45-M49", description="Spondylopathies and spinal stenosis", kind="block", billable=False
    )


def icd10_codes(html: str) -> list[str]:
    return re.findall(r'href="/icd10/([^/]+)/"', html)


def test_billable_only_keeps_the_billable_codes_and_drops_headers_and_blocks(client, stenosis):
    everything = icd10_codes(page(client, "spinal stenosis", kind="icd10"))
    assert {"M48.0", "M45-M49", "M48.04", "M48.06"} <= set(everything)
    html = page(client, "spinal stenosis", kind="icd10", billable="1")
    assert icd10_codes(html) == ["M48.04", "M48.05"]
    # A kind's page shows its results as the page of all kinds shows each kind's best.
    assert '<h2 id="results-icd10">ICD-10-CM <span class="n">2</span></h2>' in html
    assert '<ol class="results" start="1">' in html
    hits = search.search("spinal stenosis", "icd10", billable="1").page
    assert [hit.detail for hit in hits] == ["Billable", "Billable"]


def test_billable_only_counts_what_it_keeps_and_leaves_other_kinds_alone(client, stenosis):
    html = page(client, "stenosis thoracic", billable="1")
    assert result_codes(html)[:2] == ["00620", "M48.04"]  # the article is still there
    assert '<h2 id="results-icd10">ICD-10-CM <span class="n">1</span></h2>' in html
    assert "ICD-10-CM results are billable codes only" in html
    assert search.search("stenosis", billable="1").counts["icd10"] == 2
    assert search.search("stenosis").counts["icd10"] == 5


def test_billable_only_applies_to_the_codes_a_code_begins(client, stenosis):
    assert result_codes(page(client, "M48.0")) == ["M48.0", "M48.04", "M48.05", "M48.06"]
    assert result_codes(page(client, "M48.0", billable="1")) == ["M48.04", "M48.05"]


def test_words_that_only_headers_have_are_not_read_as_misspelled(
    stenosis, django_assert_max_num_queries
):
    # The counts (none billable), then whether anything has the word: it is not corrected, nor
    # read as the start of a word.
    with django_assert_max_num_queries(2):
        results = search.search("spondylopathies", billable="1")
    assert results.counts == {} and results.corrections == {}


def test_a_misspelt_word_is_replaced_by_one_with_billable_results_when_only_those_show(
    stenosis, django_assert_max_num_queries
):
    """A word alone is replaced by the most similar word that has results to show: with the
    option, one that billable codes have. Only headers have "spondylopathies"; counted to be
    chosen, the word's matches are not counted again."""
    assert search.search("spondylopathiez").corrections == {"spondylopathiez": "spondylopathies"}
    results = search.search("spondylopathiez", billable="1")
    assert results.corrections == {"spondylopathiez": "spondylosis"}
    assert results.counts == {"icd10": 2} and {hit.detail for hit in results.hits} == {"Billable"}
    # The counts (none), whether anything has the word (no), the word as a prefix (none), the
    # index's words of its first letter (on SQLite once per version), the most similar word
    # counted, its ranking and its marked rows (one statement on SQLite).
    search.search("stenossis", billable="1", state="v1")
    with django_assert_max_num_queries(5 if connection.vendor == "sqlite" else 7):
        fixed = search.search("stenossis", billable="1", state="v1")
    assert fixed.corrections == {"stenossis": "stenosis"} and fixed.counts["icd10"] == 2


def test_without_the_option_headers_keep_their_mark(client, stenosis):
    html = page(client, "spinal stenosis", kind="icd10")
    assert re.search(r'/icd10/M48\.0/".*?<span class="detail">Not billable</span>', html)
    assert '<span class="detail">Block</span>' in html
    assert 'name="billable" value="1">' in html  # not checked
    assert "ICD-10-CM results are billable codes only" not in html


@pytest.fixture
def zygoma(content):
    """45 diagnoses that match "zygoma": a third of them headers."""
    Icd10Code.objects.bulk_create(
        Icd10Code(code=f"Q{n:02d}.9", description=f"Test zygoma anomaly {n}", billable=n % 3 > 0)
        for n in range(45)
    )


def test_the_option_is_kept_in_every_link_of_the_results_page(client, zygoma):
    html = page(client, "zygoma", kind="icd10", billable="1", page="2")
    assert 'name="billable" value="1" checked>' in html
    assert '<input type="hidden" name="kind" value="icd10">' in html
    assert "Page 2 of 2" in html  # 30 billable codes, 20 a page
    pages = re.findall(r'<nav class="pagination".*?</nav>', html, re.S)[0]
    links = re.findall(r'href="([^"]+)"', pages)
    assert links and all("billable=1" in link for link in links)
    nav = re.search(r'class="result-kinds".*?</nav>', html, re.S)[0]
    kinds = re.findall(r'href="([^"]+)"', nav)
    assert kinds == ["?q=zygoma&amp;billable=1", "?q=zygoma&amp;kind=icd10&amp;billable=1"]

    everything = page(client, "zygoma", billable="1")
    assert 'href="?q=zygoma&amp;kind=icd10&amp;billable=1">All 30 ICD-10-CM results' in everything
    # Off, no link carries it.
    assert "billable=" not in re.sub(r'name="billable"', "", page(client, "zygoma", kind="icd10"))


@pytest.mark.parametrize("value", ["0", "", "no", "2", "1 OR 1=1", "\x00", "1" * 1000, "🦴"])
def test_other_values_of_the_parameter_are_ignored(client, stenosis, value):
    html = page(client, "spinal stenosis", kind="icd10", billable=value)
    assert "M48.0" in icd10_codes(html)
    assert "checked" not in html


def test_the_option_does_not_add_queries(client, zygoma, django_assert_max_num_queries):
    # As without it: the counts per kind, the ranking, the marked rows.
    with django_assert_max_num_queries(VERSION + 3):
        page(client, "zygoma anomaly", billable="1")
    with django_assert_max_num_queries(VERSION + 3):
        page(client, "zygoma anomaly", kind="icd10", page="2", billable="1")


def test_the_address_without_a_query_still_answers(client, content):
    response = client.get(SEARCH, {"billable": "1"})
    assert response.status_code == 200
