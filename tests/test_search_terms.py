"""The search reads ICD-10-CM as a coder does: the Includes and inclusion terms of the tabular
list are searchable, and a diagnosis whose own title or inclusion term is the query (without the
book's parenthesised, nonessential words) comes before those that only contain its words. On
SQLite and PostgreSQL alike."""

import re

import pytest
from django.db import connection

from codes.models import Icd10Code
from codes.search import documents
from codes.search import query as search

from .conftest import make_icd10
from .test_search import found, page, result_codes

pytestmark = pytest.mark.django_db

I10_TERMS = (
    "high blood pressure\n"
    "hypertension (arterial) (benign) (essential) (malignant) (primary) (systemic)"
)


@pytest.fixture
def hypertension(content):
    """I10 and the categories beside it, with their descriptions and I10's inclusion terms as
    the tabular list gives them."""
    make_icd10(
        "I10", description="Essential (primary) hypertension", kind="category", terms=I10_TERMS
    )
    for code, description in [
        ("I15", "Secondary hypertension"),
        ("I16", "Hypertensive crisis"),
        ("I1A", "Other hypertension"),
    ]:
        make_icd10(code, description=description, kind="category", billable=False)


def detail_of(code: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT detail FROM codes_search WHERE kind = 'icd10' AND ref = %s",
            [Icd10Code.objects.get(code=code).pk],
        )
        return cursor.fetchone()[0]


def test_an_inclusion_term_finds_its_code(client, hypertension):
    html = page(client, "high blood pressure")
    assert result_codes(html) == ["I10"]
    # The result says why: the term, its words marked.
    snippet = re.search(r'<p class="snippet">(.*?)</p>', html, re.S).group(1)
    assert re.search(r"<mark>high</mark> <mark>blood</mark> <mark>pressure</mark>", snippet)
    assert found("benign hypertension", "icd10") == ["I10"]  # a nonessential modifier


def test_the_code_an_inclusion_term_names_comes_first(client, hypertension):
    # I15, I16 and I1A are shorter: by relevance alone they came before I10.
    codes = found("hypertension", "icd10")
    assert codes[0] == "I10" and sorted(codes) == ["I10", "I15", "I16", "I1A"]
    icd10 = [code for code in result_codes(page(client, "hypertension")) if code.startswith("I")]
    assert icd10[0] == "I10"
    # The title, its parenthesised word left out or not; the term with some of its own.
    for query in ("essential hypertension", "Essential (primary) hypertension"):
        assert found(query, "icd10")[0] == "I10"
    assert found("Hypertension (benign)", "icd10")[0] == "I10"


def test_a_title_that_is_the_query_comes_before_titles_that_contain_it(content):
    make_icd10("M48.0", description="Spinal stenosis", kind="category", billable=False)
    # M48.04, which the article of 00620 uses and which is billable, came first before.
    assert found("spinal stenosis", "icd10")[:2] == ["M48.0", "M48.04"]
    assert found("stenosis thoracic", "icd10")[0] == "M48.04"


@pytest.fixture
def vascular_myelopathies(content):
    make_icd10("G95.1", description="Vascular myelopathies", kind="category", billable=False)
    make_icd10(
        "G95.19",
        description="Other vascular myelopathies",
        terms="Edema of spinal cord\nHematomyelia\n"
        "Nonpyogenic intraspinal phlebitis and thrombophlebitis\nSubacute necrotic myelopathy",
    )


def test_inclusion_terms_do_not_make_a_title_match_weaker(vascular_myelopathies):
    # A billable code before its header of like relevance, though its terms make it longer;
    # M51.04, which an article uses, first.
    codes = found("myelopathy", "icd10")
    assert codes[0] == "M51.04"
    assert codes.index("G95.19") < codes.index("G95.1")


def test_changed_terms_are_searchable_at_once(content):
    code = Icd10Code.objects.get(code="M54.6")
    Icd10Code.objects.filter(pk=code.pk).update(terms="Quokka back")
    assert found("quokka back", "icd10") == ["M54.6"]
    Icd10Code.objects.filter(pk=code.pk).update(terms="")
    assert found("quokka", "icd10") == []


def test_a_result_shows_its_label_not_the_names_the_index_keeps(client, hypertension):
    assert detail_of("I10").startswith("Billable\n")  # then the names, compared with queries
    html = page(client, "hypertension", kind="icd10")
    assert '<span class="detail">Billable</span>' in html
    assert '<span class="detail">Not billable</span>' in html
    assert "highbloodpressure" not in html
    assert [hit.detail for hit in search.search("hypertension", "icd10").page] == [
        "Billable",
        "Not billable",
        "Not billable",
        "Not billable",
    ]


@pytest.mark.parametrize(
    "name, key",
    [
        ("Essential (primary) hypertension", "essentialhypertension"),
        ("hypertension (arterial) (benign) (essential)", "hypertension"),
        ("Spinal stenosis, thoracic region", "spinalstenosisthoracicregion"),
        ("Leser-Trélat disease", "lesertrélatdisease"),
        ("Alzheimer's disease [dementia]", "alzheimersdiseasedementia"),
        ("Lesion\tof C2/C3; 100% <x>", "lesionofc2c3100%<x>"),
        ('Back\\slash "quoted" (a) end', "backslashquotedend"),
        ("(all in parentheses)", ""),
    ],
)
def test_names_are_compared_alike_in_python_and_in_the_index(db, name, key):
    assert documents.name_key(name) == key
    # The index writes the key of the title and of each inclusion term, in order.
    make_icd10("Q99.8", description=name, terms=f"{name}\nPlain term\n{name}")
    assert detail_of("Q99.8").split("\n")[1:] == [key, key, "plainterm", key, ""]
