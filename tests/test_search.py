"""The site search: code jumps, code prefixes, words, misspellings, the index kept in step, bad
input and the admin's search boxes. Every test runs on SQLite (FTS5) and PostgreSQL (tsvector,
pg_trgm) alike."""

import io
import re
import unicodedata

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.http import urlencode
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from codes.models import (
    ArticleSection,
    CptCode,
    Icd10Code,
    Modifier,
    Payer,
    SearchEntry,
)
from codes.search import engine
from codes.search import query as search

from .conftest import make_cpt, make_icd10

pytestmark = pytest.mark.django_db

SEARCH = reverse("codes:search")
# Every public page first reads the content version, its cache key (codes/caching.py).
VERSION = 1


def page(client, q, **params):
    response = client.get(SEARCH, {"q": q, **params})
    assert response.status_code == 200, (q, response.status_code)
    return response.content.decode()


def result_codes(html: str) -> list[str]:
    """The codes of the results, in the order of the page."""
    return re.findall(r'<span class="code">([^<]+)</span>', html)


def found(q: str, kind: str) -> list[str]:
    return [hit.code for hit in search.search(q, kind=kind, page=1).page]


# -- Code jumps and code prefixes ----------------------------------------------------------------


@pytest.mark.parametrize(
    "query, target",
    [
        ("00620", "/codes/00620/"),
        ("M48.04", "/icd10/M48.04/"),
        ("m4804", "/icd10/M48.04/"),
        ("m48.04", "/icd10/M48.04/"),
        ("  M48.04 ", "/icd10/M48.04/"),
        ("qs", "/modifiers/QS/"),
        ("207l00000x", "/taxonomies/207L00000X/"),
        ("21", "/places-of-service/21/"),
    ],
)
def test_a_code_goes_straight_to_its_page(client, content, query, target):
    response = client.get(SEARCH, {"q": query})
    assert response.status_code == 302
    assert response["Location"] == target


def test_a_code_prefix_lists_the_codes_it_begins_in_code_order(client, content):
    html = page(client, "M48.0")
    assert result_codes(html) == ["M48.04", "M48.05", "M48.06"]
    assert "codes that begin with “M48.0”, in code order" in html


def test_a_header_code_lists_itself_and_the_codes_under_it(client, content):
    make_icd10("M48.0", description="Spinal stenosis", billable=False, kind="category")
    response = client.get(SEARCH, {"q": "m480"})
    assert response.status_code == 200  # M48.0 begins other codes: a list, not a jump
    assert result_codes(response.content.decode()) == ["M48.0", "M48.04", "M48.05", "M48.06"]


def test_a_cpt_prefix_lists_the_cpt_codes(client, content):
    make_cpt(code="00640", title="Test manipulation code")
    make_cpt(code="01120", title="Test pelvis code")
    codes = result_codes(page(client, "006"))
    assert codes[:2] == ["00620", "00640"]  # the articles, then the codes without one
    assert codes[2:4] == ["00600", "00604"] and codes.count("00640") == 1


def test_a_code_of_two_code_sets_lists_both(client, content):
    # 23 is the Unusual anesthesia modifier and the Emergency Room place of service.
    html = page(client, "23")
    assert 'href="/modifiers/23/"' in html and 'href="/places-of-service/23/"' in html


def test_a_code_that_is_not_there_is_searched_as_words(client, content):
    html = page(client, "M99.99")
    assert "Nothing matches “M99.99”" in html


# -- Words ---------------------------------------------------------------------------------------


def test_stenosis_thoracic_finds_the_diagnosis_and_the_article_first(client, content):
    html = page(client, "stenosis thoracic")
    codes = result_codes(html)
    assert codes[:2] == ["00620", "M48.04"]  # the article's group, then the best diagnosis
    assert "M48.06" not in codes  # lumbar
    assert "Spinal <mark>stenosis</mark>, <mark>thoracic</mark> region" in html


def test_myelopathy_finds_the_disc_disorders_with_myelopathy(content):
    codes = found("myelopathy", "icd10")
    assert {"M51.04", "M51.05", "M50.00", "M50.02", "M47.14"} <= set(codes)
    assert "M51.14" not in codes  # radiculopathy
    assert found("disc disorder myelopathy", "icd10")[:1] in (["M50.00"], ["M50.02"], ["M51.04"])
    assert "M47.14" not in found("disc disorder myelopathy", "icd10")


def test_words_match_their_other_forms(content):
    # Both engines stem: "disorders" finds "disorder", "stenosys" the stem of "stenosis".
    assert "M50.00" in found("disorders", "icd10")
    assert "M48.04" in found("stenosys", "icd10")


def test_a_misspelled_word_is_replaced_by_the_most_similar_indexed_word(client, content):
    html = page(client, "mielopathy thoracic")
    assert "No match for “mielopathy”; showing results for <strong>myelopathy</strong>" in html
    assert "M51.04" in result_codes(html) and "M54.6" not in result_codes(html)


def test_the_start_of_a_word_finds_the_whole_word(content):
    assert set(found("radiculo", "icd10")) == {"M54.14", "M51.14", "M51.15"}


def test_words_find_article_text_with_a_snippet(client, content):
    html = page(client, "anesthetic", kind="cpt")
    assert result_codes(html) == ["00620"]
    snippet = re.search(r'<p class="snippet">(.*?)</p>', html, re.S).group(1)
    # "anesthetic" is stemmed: it also finds "anesthetists" in the article, and marks it
    assert re.search(r"<mark>anesthet\w*</mark>", snippet, re.I), snippet


@pytest.mark.parametrize(
    "query, href",
    [
        ("monitored anesthesia care", "/modifiers/QS/"),
        ("nurse anesthetist", "/taxonomies/367500000X/"),
        ("pain medicine", "/taxonomies/207LP2900X/"),
        ("unitedhealthcare", "/payers/unitedhealthcare/"),
        ("inpatient hospital", "/places-of-service/21/"),
    ],
)
def test_words_find_modifiers_taxonomies_payers_and_places(client, content, query, href):
    assert f'href="{href}"' in page(client, query)


def test_results_are_grouped_by_kind_with_counts_and_one_kind_can_be_shown(client, content):
    html = page(client, "thoracic")
    assert re.search(r'aria-current="page">All <span class="n">\d+</span>', html)
    assert '<h2 id="results-cpt">CPT codes and articles <span class="n">1</span></h2>' in html
    icd_count = Icd10Code.objects.filter(description__icontains="thoracic").count()
    assert f'<h2 id="results-icd10">ICD-10-CM <span class="n">{icd_count}</span></h2>' in html
    assert len(re.findall(r"<li>\s*<p class=\"result-title\"><a href=\"/icd10/", html)) == 5
    assert f"All {icd_count} ICD-10-CM results" in html

    only = page(client, "thoracic", kind="icd10")
    assert 'href="/codes/00620/"' not in only
    assert len(result_codes(only)) == icd_count


def test_results_of_one_kind_are_paginated(client, content):
    Icd10Code.objects.bulk_create(
        Icd10Code(code=f"Q{n:02d}.9", description=f"Test zygoma anomaly {n}") for n in range(45)
    )
    first = page(client, "zygoma", kind="icd10")
    assert len(result_codes(first)) == 20 and "Page 1 of 3" in first
    third = page(client, "zygoma", kind="icd10", page="3")
    assert len(result_codes(third)) == 5 and '<ol class="results" start="41">' in third
    for garbage in ("0", "-1", "999", "x"):
        assert len(result_codes(page(client, "zygoma", kind="icd10", page=garbage))) in (5, 20)
    assert "ICD-10-CM" in page(client, "zygoma", kind="nonsense")


def test_search_page_queries_do_not_grow_with_results(
    client, content, django_assert_max_num_queries
):
    Icd10Code.objects.bulk_create(
        Icd10Code(code=f"Q{n:02d}.9", description=f"Test zygoma anomaly {n}") for n in range(45)
    )
    # The counts per kind, then the ranking and the marked rows in one statement on SQLite;
    # on PostgreSQL the ranking with the counts, then the marked rows. A kind's page: the
    # counts, its page of the ranking, its rows. Words are looked at one by one only when
    # together they match nothing.
    sqlite = connection.vendor == "sqlite"
    with django_assert_max_num_queries(VERSION + 2):
        page(client, "zygoma anomaly")
    with django_assert_max_num_queries(VERSION + 3):
        page(client, "zygoma anomaly", kind="icd10", page="2")
    # A misspelled word: the search (none); the word as a prefix, counted (none); the indexed
    # words of its first letter (read once per version: on PostgreSQL, asked each time); the
    # counts of the most similar word, which are those of the search again; its ranking and
    # its marked rows, the first of which writes the word as the page shows it.
    with django_assert_max_num_queries(VERSION + (5 if sqlite else 6)):
        page(client, "zygomma")
    # Two words, one misspelled: the search (none); each word alone; as above, asking whether
    # the word is the start of one, then whether the most similar matches (the index's words
    # read already on SQLite); the search again (2); the word as its own best match writes it
    # (2).
    with django_assert_max_num_queries(VERSION + (8 if sqlite else 9)):
        page(client, "zygomma anomaly")
    # Q0 could begin an ICD-10-CM code or a modifier: 2 to look for an equal code, 2 counts,
    # 1 list of the first ICD-10-CM codes (no modifier begins with Q0), 1 for their rows.
    with django_assert_max_num_queries(VERSION + 6):
        page(client, "Q0")


def test_the_header_of_every_page_has_the_search_field(client, content):
    for url in ("/", "/codes/00620/", "/icd10/M48.04/", "/modifiers/"):
        html = client.get(url).content.decode()
        assert f'action="{SEARCH}"' in html and 'name="q"' in html and 'role="search"' in html
    assert 'value="stenosis thoracic"' in page(client, "stenosis thoracic")


# -- The index stays in step ---------------------------------------------------------------------


def test_a_saved_section_is_searchable_at_once_and_a_deleted_one_is_not(cpt_00620):
    section = ArticleSection.objects.create(
        cpt=cpt_00620, position=99, heading="Xylophone note", slug="xylophone", body="Quokka."
    )
    assert found("quokka", "cpt") == ["00620"]
    section.body = "Wombat."
    section.save()
    assert found("quokka", "cpt") == [] and found("wombat", "cpt") == ["00620"]
    section.delete()
    assert found("wombat", "cpt") == [] and found("xylophone", "cpt") == []


def test_an_edited_title_and_a_deleted_code_are_searchable_at_once(content):
    code = make_cpt(code="00640", title="Anesthesia for quokka manipulation")
    assert found("quokka", "cpt") == ["00640"]
    CptCode.objects.filter(code="00640").update(title="Anesthesia for wombat manipulation")
    assert found("quokka", "cpt") == [] and found("wombat", "cpt") == ["00640"]
    code.delete()
    assert found("wombat", "cpt") == []
    assert not SearchEntry.objects.filter(kind="cpt", code="00640").exists()


def test_bulk_changes_and_deletes_reach_the_index(content):
    Icd10Code.objects.filter(code__startswith="M51").update(description="Quokka disorder")
    assert len(found("quokka", "icd10")) == 8
    Modifier.objects.filter(code__in=["P5", "P6"]).delete()
    assert "P5" not in [hit.code for hit in search.search("moribund", "modifier").page]
    Payer.objects.create(name="Quokka Health", slug="quokka-health")
    assert search.search("quokka", "payer").page.paginator.count == 1


def test_an_admin_save_is_searchable_at_once(admin_client, content):
    icd10 = Icd10Code.objects.get(code="M54.6")
    response = admin_client.post(
        reverse("admin:codes_icd10code_change", args=[icd10.pk]),
        {
            "code": "M54.6",
            "description": "Pain in thoracic spine, quokka",
            "billable": "on",
            "source": "test",
            "confidence": "high",
            "note": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert found("quokka", "icd10") == ["M54.6"]


@pytest.mark.full_code_set
def test_the_full_code_set_is_searchable_after_its_import(client, content):
    call_command("import_icd10cm", stdout=io.StringIO())
    assert SearchEntry.objects.filter(kind="icd10").count() == Icd10Code.objects.count()

    codes = result_codes(page(client, "stenosis thoracic"))
    assert codes[0] == "00620" and "M48.04" in codes[1:4]
    assert {"M51.04", "M50.00"} <= set(found("disc disorder myelopathy", "icd10")[:15])
    myelopathy = search.search("myelopathy", "icd10")
    assert myelopathy.page.paginator.count > 30
    assert "M51.04" in [
        hit.code for n in (1, 2) for hit in search.search("myelopathy", "icd10", n).page
    ]
    assert "<mark>stenosis</mark>" in page(client, "stenosys").lower()
    femur = found("fracture femur", "icd10")
    assert femur[0] == "S72" or femur[0].startswith("S72")
    assert search.search("fracture femur").counts["icd10"] > 2000
    mistyped = search.search("mielopathy")
    assert mistyped.corrections == {"mielopathy": "myelopathy"} and mistyped.counts["icd10"] > 30
    # What the site knows counts among near-equal matches: M51.04, which the article of 00620
    # links to, comes first, marked; a billable code before its header of like relevance.
    best = search.search("myelopathy").groups
    icd10 = next(group for group in best if group.kind == "icd10")
    assert icd10.hits[0].code == "M51.04" and icd10.hits[0].linked
    assert not any(hit.linked for hit in icd10.hits[1:])
    assert "In an article</span>" in page(client, "myelopathy")
    myelopathies = found("myelopathy", "icd10")
    assert myelopathies.index("G95.19") < myelopathies.index("G95.1")


# -- Bad input -----------------------------------------------------------------------------------

HOSTILE = [
    "",
    "   ",
    "x" * 10_000,
    "stenosis " * 2_000,
    '"',
    '"stenosis',
    "*",
    "stenosis*",
    "NEAR(",
    "NEAR(stenosis thoracic, 2)",
    "AND OR",
    "stenosis AND OR NOT",
    "-",
    "-stenosis",
    "^",
    "^stenosis",
    "title:stenosis",
    "{code title}: stenosis",
    "stenosis' OR '1'='1",
    "'; DROP TABLE codes_icd10code; --",
    "1; SELECT * FROM auth_user",
    "stenosis & | ! <-> :*",
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    "🩺🦴 stenosis",
    "😀" * 3_000,
    "脊柱管狭窄",
    "sténosis",
    "\x00",
    "M48.04\x00",
    "stenosis\x00thoracic",
    "%",
    "_",
    "\\",
    "\u202e\u200b",
    "\ue000stenosis\ue001",
    "M48.0.4",
    "...",
    "0",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_any_query_gives_results_or_a_clear_page(client, content, query):
    response = client.get(SEARCH, {"q": query})
    assert response.status_code in (200, 302)
    html = response.content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    if response.status_code == 200:
        assert "<h1>" in html
        assert ("Nothing matches" in html) or ("results" in html) or ("Type a code" in html)
    assert Icd10Code.objects.filter(code="M48.04").exists()


def test_html_in_a_query_is_shown_escaped(client, content):
    html = page(client, "<script>alert('x')</script>")
    assert "Results for “&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;”" in html


def test_html_in_indexed_text_is_shown_escaped(client, content):
    make_cpt(code="00640", title="Quokka <b>bold</b> & <script>x()</script>")
    html = page(client, "quokka")
    assert (
        "<mark>Quokka</mark> &lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;x()&lt;/script&gt;" in html
    )


def test_snippets_show_markdown_as_plain_text(client, content):
    cpt = make_cpt(code="00640", title="Test code")
    ArticleSection.objects.create(
        cpt=cpt,
        heading="Coverage",
        slug="coverage",
        body="## Notes\n\nA **quokkaform lesion** is rare; see [the *CMS* manual](https://cms.gov/m).",
    )
    html = page(client, "quokkaform")
    assert "A <mark>quokkaform</mark> lesion is rare; see the CMS manual." in html
    assert "**" not in html and "https://cms.gov/m" not in html


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.text(max_size=200))
def test_arbitrary_text_never_breaks_the_search(content, text):
    search.jump(text)
    results = search.search(text)
    assert results.total >= 0
    assert all(len(group.hits) <= search.PER_GROUP for group in results.groups)
    for kind in search.labels():
        one_kind = search.search(text, kind=kind, page=2)
        assert one_kind.ignored or one_kind.page.number >= 1


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.text(alphabet=st.sampled_from('stenosi thorac"*()-^:{}<>&|!~0M48.'), max_size=40))
def test_arbitrary_query_syntax_never_breaks_the_page(client, content, text):
    assert client.get(SEARCH, {"q": text}).status_code in (200, 302)


# -- Admin ---------------------------------------------------------------------------------------


def changelist(admin_client, model: str, q: str) -> str:
    response = admin_client.get(reverse(f"admin:codes_{model}_changelist"), {"q": q})
    assert response.status_code == 200
    return response.content.decode()


def listed(html: str) -> set[str]:
    return set(re.findall(r'<th class="field-[a-z_]+"><a href="[^"]+">([^<]+)</a>', html))


def test_admin_lists_match_codes_prefixes_words_and_misspellings(admin_client, content):
    assert listed(changelist(admin_client, "icd10code", "M51.0")) == {"M51.04", "M51.05"}
    assert listed(changelist(admin_client, "icd10code", "myelopathy thoracic")) == {
        "M47.14",
        "M51.04",
    }
    assert "M48.04" in listed(changelist(admin_client, "icd10code", "stenosys"))
    assert "M51.04" in listed(changelist(admin_client, "icd10code", "mielopathy"))
    assert listed(changelist(admin_client, "cptcode", "thoracic")) == {"00620"}
    assert listed(changelist(admin_client, "modifier", "monitored")) == {"G8", "G9", "QS"}
    assert listed(changelist(admin_client, "providertaxonomy", "nurse")) == {"367500000X"}
    assert listed(changelist(admin_client, "placeofservice", "inpatient")) >= {"21"}
    assert "Aetna" in changelist(admin_client, "payer", "aetna")
    assert listed(changelist(admin_client, "icd10code", '"NEAR( <b>')) == set()


def test_admin_autocomplete_uses_the_same_matching(admin_client, content):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "codes",
            "model_name": "cptdiagnosis",
            "field_name": "icd10",
            "term": "stenosys thoracic",
        },
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == [
        "M48.04 Spinal stenosis, thoracic region"
    ]


@pytest.mark.parametrize(
    "query, kind, first",
    [("medical direction", "modifier", "QX"), ("anesthesiology", "taxonomy", "207L00000X")],
)
def test_records_an_article_links_to_come_first_among_like_matches(
    client, content, query, kind, first
):
    hits = list(search.search(query, kind).page)
    assert hits[0].code == first and hits[0].linked
    assert len(hits) > 2 and not any(hit.linked for hit in hits[1:])
    html = page(client, query, kind=kind)
    assert html.count("In an article</span>") == 2  # the result, and the note that explains it


def similarity(a: str, b: str) -> float:
    """pg_trgm's similarity(): shared trigrams over all trigrams of the two words."""
    ta, tb = engine.trigrams(a), engine.trigrams(b)
    return len(ta & tb) / len(ta | tb)


def test_the_words_like_a_misspelt_one_are_those_of_pg_trgms_similarity():
    """Vocabulary scores only the words that share a trigram with the misspelt one, and finds
    the same words, in the same order, as scoring every word (pg_trgm's similarity)."""
    words = ["myelopathi", "myelopathy", "myelin", "myeloma", "mylohyoid", "thorac", "m", "ml"]
    vocabulary = engine.Vocabulary(words)
    for typed in ("mielopathy", "myelopaty", "myeloma", "thoracic", "zzz", "my"):
        scored = sorted((-similarity(typed, w), w) for w in words)
        expected = [w for score, w in scored[:5] if -score >= engine.SIMILARITY_THRESHOLD]
        assert vocabulary.similar(typed) == expected, typed
    assert vocabulary.similar("mielopathy")[:2] == ["myelopathy", "myelopathi"]


SHORT_WORDS = st.text(alphabet="abcde", min_size=1, max_size=9)


@settings(max_examples=500, deadline=None)
@given(
    words=st.lists(SHORT_WORDS, min_size=1, max_size=40, unique=True),
    typed=SHORT_WORDS,
    limit=st.integers(min_value=1, max_value=6),
)
@example(words=["ab", "abc", "eab"], typed="abcdeeeab", limit=5)  # "ab" at the threshold: 3/10
@example(words=["abc", "abd", "acd", "ade"], typed="abe", limit=5)  # "  a" in every word
@example(words=["a", "ab"], typed="a", limit=5)  # the trigrams every word has reach the threshold
# "cabcad" shares 3 of the 5 trigrams of "cada" and is found first; "ca" shares 2, scores the
# same (1/3) and comes first in alphabetical order.
@example(words=["ddc", "caa", "cabcad", "ca", "acba"], typed="cada", limit=1)
def test_the_words_like_a_misspelt_one_are_any_vocabularys_best_by_similarity(words, typed, limit):
    """Over words of a few letters, which share many trigrams and tie often, the words a
    Vocabulary suggests (it scores, best first, only those that share enough trigrams and are
    short enough to reach the threshold, or the `limit`-th best so far) are the `limit` best of
    scoring every word, ties in alphabetical order."""
    scored = sorted((-similarity(typed, w), w) for w in words)
    expected = [w for score, w in scored[:limit] if -score >= engine.SIMILARITY_THRESHOLD]
    assert engine.Vocabulary(words).similar(typed, limit) == expected


def test_a_new_word_is_suggested_at_the_next_content_version(content):
    """SQLite's index words are kept for a content version: a word added since is not yet in
    the version that read them, and is in the next (PostgreSQL asks pg_trgm each time)."""
    eng = engine.engine()
    before = eng.similar("zygomma", "v1")
    assert "zygoma" not in before
    make_icd10("Q75.9", description="Zygoma anomaly")
    if connection.vendor == "sqlite":
        assert eng.similar("zygomma", "v1") == before
    assert "zygoma" in eng.similar("zygomma", "v2")


@pytest.mark.parametrize("typed", ["mielopathy", "stenossis", "zygomma", "thorasic"])
def test_a_corrected_word_is_written_as_its_best_match_writes_it(content, typed):
    """A one-word query takes the word it shows from the first result on the page: the word as
    the best match of the word searched instead writes it, read without three more queries."""
    make_icd10("Q99.8", description="Other zygoma anomaly")
    _, replaced, _ = search.corrected([engine.Term(typed)])
    results = search.search(typed)
    assert results.corrections == {typed: search.shown_word(replaced[typed])} != {typed: ""}
    for kind in results.counts:
        assert search.search(typed, kind=kind).corrections == results.corrections


def _plan(sql: str, params, *settings: str) -> str:
    with connection.cursor() as cursor:
        for setting in settings:
            cursor.execute(f"SET LOCAL {setting}")
        cursor.execute(f"EXPLAIN {sql}", params)
        return " ".join(line for (line,) in cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm's index")
def test_words_like_a_misspelt_one_are_found_nearest_first_through_the_trigram_index(content):
    """PostgreSQL: the words are compared through a GiST trigram index, walked nearest first
    (the GIN index it replaces was never chosen: every word was compared); the nearest are
    pg_trgm's most similar, ties in alphabetical order."""
    eng = engine.engine()
    with CaptureQueriesContext(connection) as queries:
        words = eng.similar("mielopathy")
    assert words[0] == "myelopathi"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT word FROM codes_search_word WHERE word %% %s "
            "ORDER BY similarity(word, %s) DESC, word LIMIT 5",
            ["mielopathy", "mielopathy"],
        )
        assert words == [word for (word,) in cursor.fetchall()]
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [TRIGRAM_INDEX])
        assert "USING gist (word gist_trgm_ops)" in cursor.fetchone()[0]
    (query,) = queries.captured_queries
    plan = _plan(query["sql"], None, "enable_seqscan = off", "enable_bitmapscan = off")
    assert f"Index Scan using {TRIGRAM_INDEX}" in plan, plan


TRIGRAM_INDEX = "codes_search_word_trigram"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_whether_words_match_is_planned_for_all_their_matches(content):
    """PostgreSQL: whether each query matches anything is asked of all its matches (through the
    GIN index), not of its first: asked for one row, the planner read the table from the start,
    the whole of it for a misspelt word that matches nothing."""
    eng = engine.engine()
    queries = [
        engine.terms_of("myelopathy"),
        engine.terms_of("mielopathyx"),
        [engine.Term("stenos", prefix=True)],
    ]
    with CaptureQueriesContext(connection) as captured:
        assert eng.known(queries) == [True, False, True]
    assert eng.has(engine.terms_of("thoracic")) and not eng.has(engine.terms_of("zzyzx"))
    sql = captured.captured_queries[0]["sql"]
    plan = _plan(sql, None)
    assert "Limit" not in plan and plan.count("CTE Scan") == 3, plan


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's ranking of few matches")
@pytest.mark.parametrize("billable", [False, True])
def test_few_matches_ranked_together_come_out_as_ranked_kind_by_kind(
    content, monkeypatch, billable
):
    """SqliteEngine.best ranks up to WINDOW_MATCHES matches of all kinds in one evaluation of
    the query, and more one kind at a time: the best of each kind are the same either way."""
    sqlite = engine.SqliteEngine()
    several_kinds = 0
    for q in ["spinal stenosis", "myelopathy", "anesthesia", "region", "disc"]:
        terms, name = search.terms_of(q), search.name_key(q)
        monkeypatch.setattr(engine, "WINDOW_MATCHES", 10**9)
        together = sqlite.best(terms, 3, name, billable)
        monkeypatch.setattr(engine, "WINDOW_MATCHES", 0)
        kind_by_kind = sqlite.best(terms, 3, name, billable)
        assert together == kind_by_kind, q
        several_kinds += len({kind for kind, _, _ in together}) > 1
    assert several_kinds >= 3  # the queries reach the window


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's statement")
@pytest.mark.parametrize("billable", [False, True])
@pytest.mark.parametrize("window", [0, 10**9])
def test_the_best_hits_read_in_one_statement_are_the_best_rows_then_their_hits(
    content, monkeypatch, billable, window, django_assert_num_queries
):
    """SqliteEngine.best_hits ranks and reads the rows it shows in one statement (after the
    counts): the same hits, in the same order, as `best` then `hits`, whichever way it ranks."""
    sqlite = engine.SqliteEngine()
    monkeypatch.setattr(engine, "WINDOW_MATCHES", window)
    make_icd10("Q99.8", description="Other zygoma anomaly of the spine")
    for q in ["spinal stenosis", "myelopathy", "anesthesia", "region", "disc", "spine"]:
        terms, name = search.terms_of(q), search.name_key(q)
        counts = sqlite.counts(terms, billable)
        with django_assert_num_queries(1):
            hits, counted = sqlite.best_hits(terms, 3, name, billable, counts)
        expected, expected_counts = engine.Engine.best_hits(sqlite, terms, 3, name, billable)
        assert [h.code for h in hits] == [h.code for h in expected] != [], q
        assert hits == expected and counted == expected_counts == counts, q


@given(
    query=st.text(max_size=12),
    billable=st.booleans(),
    kind=st.sampled_from([None, "icd10", "cpt"]),
    number=st.one_of(st.none(), st.integers(min_value=0, max_value=30)),
)
@example(query="a&b=c/ü+% d", billable=True, kind="icd10", number=2)
def test_a_results_link_is_the_query_string_urlencode_writes(query, billable, kind, number):
    """The links of a results page (its kinds, their pages) write the query once; what they
    write is urlencode's, empty values left out."""
    results = search.Results(query=query, kind=None, billable=billable)
    params = {"q": query, "kind": kind, "billable": "1" if billable else None, "page": number}
    expected = "?" + urlencode({name: value for name, value in params.items() if value})
    assert results.link(kind, number) == expected


@given(text=st.text(max_size=60))
@example(text="a\x00b\u200bc\u2028d\u00a0e\U000e0001f")  # Cc, Cf, Zl, Zs, Cf (tag)
def test_a_query_is_read_without_control_characters_and_with_single_spaces(text):
    """clean() reads a query as NFKC text with every control, format or unassigned character
    (Unicode category C) read as a space and runs of white space as one; a query with none of
    them skips the character by character pass."""
    normal = unicodedata.normalize("NFKC", text)[: engine.MAX_QUERY_LENGTH * 2]
    spaced = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in normal)
    assert engine.clean(text) == " ".join(spaced.split())[: engine.MAX_QUERY_LENGTH]
