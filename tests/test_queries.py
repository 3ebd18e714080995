"""The number of queries of a page does not grow with the rows it shows (no N+1)."""

import datetime
import re

import pytest
from django.urls import reverse

from codes import kinds
from codes.models import (
    CptCode,
    CptDiagnosis,
    CptModifier,
    Icd10Code,
    Modifier,
    Payer,
    PolicyUpdate,
)

from .conftest import make_cpt

pytestmark = pytest.mark.django_db
# Every public page first reads the content version, its cache key (codes/caching.py).
VERSION = 1


def add_diagnoses(cpt: CptCode, count: int) -> None:
    codes = Icd10Code.objects.bulk_create(
        Icd10Code(code=f"S{n // 100:02d}.{n % 100:02d}", description=f"Test diagnosis {n}")
        for n in range(count)
    )
    CptDiagnosis.objects.bulk_create(
        CptDiagnosis(cpt=cpt, icd10=icd10, position=n, rationale="test")
        for n, icd10 in enumerate(codes)
    )


@pytest.mark.parametrize("extra_diagnoses", [0, 198])
def test_article_page_queries_stay_the_same_with_2_and_200_diagnoses(
    client, cpt_00620, django_assert_num_queries, extra_diagnoses
):
    add_diagnoses(cpt_00620, extra_diagnoses)
    assert cpt_00620.diagnosis_links.count() == 2 + extra_diagnoses
    # 1 code with its place of service; 1 for every list under it: sections, modifiers,
    # taxonomies, diagnoses, payers and related codes (codes/article.py).
    with django_assert_num_queries(VERSION + 2):
        response = client.get(reverse("codes:cpt-detail", args=["00620"]))
    assert len(re.findall(r'href="/icd10/[A-Z]', response.content.decode())) == 2 + extra_diagnoses


@pytest.mark.parametrize("codes", [2, 50])
def test_cpt_index_queries_do_not_grow_with_rows(client, db, django_assert_num_queries, codes):
    for n in range(codes):
        make_cpt(code=f"{n:05d}")
    # 1 sections for the section filter, 1 count for the paginator, 1 page of codes with their
    # places of service.
    with django_assert_num_queries(VERSION + 3):
        response = client.get(reverse("codes:cpt-list"))
    assert response.content.decode().count('href="/codes/0') == codes


@pytest.mark.parametrize("links", [2, 200])
def test_modifier_page_queries_do_not_grow_with_linked_codes(
    client, content, django_assert_num_queries, links
):
    modifier = Modifier.objects.get(code="QS")
    cpts = CptCode.objects.bulk_create(
        CptCode(
            code=f"{n:05d}",
            title=f"Test {n}",
            service_type="anesthesiology",
            section="s",
            status=CptCode.Status.PUBLISHED,
        )
        for n in range(1, links - 1 + 1)
        if f"{n:05d}" != "00620"
    )[: links - 1]
    CptModifier.objects.bulk_create(CptModifier(cpt=cpt, modifier=modifier) for cpt in cpts)
    # 1 modifier, 1 links with their CPT codes.
    with django_assert_num_queries(VERSION + 2):
        response = client.get(reverse("codes:modifier-detail", args=["QS"]))
    assert len(re.findall(r'href="/codes/[0-9]', response.content.decode())) == links


@pytest.mark.parametrize(
    "url, queries",
    [
        # 1 count for the paginator, 1 page of rows (with their counts of linked CPT codes).
        ("/", 2),
        ("/modifiers/", 2),
        ("/payers/", 2),
        ("/places-of-service/", 2),
        # and 1 query of choices per filter that lists the values in the database.
        ("/codes/", 3),
        # ICD-10-CM's pages also read its release, once per content version.
        ("/icd10/codes/", 4),
        ("/taxonomies/", 4),
        # the chapters, one table without pagination, and the release.
        ("/icd10/", 2),
    ],
)
def test_index_pages_take_a_fixed_number_of_queries(
    client, content, django_assert_num_queries, url, queries
):
    with django_assert_num_queries(VERSION + queries):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("per_page", [10, 200])
def test_icd10_index_queries_do_not_grow_with_page_size(
    client, content, django_assert_num_queries, per_page
):
    chapter = Icd10Code.objects.create(code="1", kind=Icd10Code.Kind.CHAPTER, description="One")
    Icd10Code.objects.bulk_create(
        Icd10Code(code=f"A{n // 100:02d}.{n % 100:02d}", description=f"Test {n}", chapter=chapter)
        for n in range(250)
    )
    # 1 chapters for the chapter filter, 1 count, 1 page of codes, 1 their chapters, 1 release.
    with django_assert_num_queries(VERSION + 5):
        response = client.get(reverse("codes:icd10-list"), {"per_page": per_page})
    assert len(re.findall(r'href="/icd10/A', response.content.decode())) == per_page


@pytest.mark.parametrize(
    "url, queries",
    [
        # 1 record, 1 linked CPT codes.
        ("/taxonomies/207L00000X/", 2),
        # 1 payer with its anesthesia rules, 1 its conversion factors, 1 linked CPT codes.
        ("/payers/aetna/", 3),
        ("/places-of-service/21/", 2),
        # 1 record, 1 children, 1 linked CPT codes, 1 release of ICD-10-CM (the fixtures
        # give it no ancestors, no children and no notes; tests/test_icd10.py counts a page
        # inside the tree, tests/test_icd10_tabular.py one with notes).
        ("/icd10/M48.04/", 4),
    ],
)
def test_record_pages_take_a_fixed_number_of_queries(
    client, content, django_assert_num_queries, url, queries
):
    with django_assert_num_queries(VERSION + queries):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("updates", [1, 60])
def test_policy_updates_page_queries_do_not_grow_with_rows(
    client, cpt_00620, django_assert_num_queries, updates
):
    payers = list(Payer.objects.all())
    PolicyUpdate.objects.bulk_create(
        PolicyUpdate(
            cpt=cpt_00620,
            payer=payers[n % len(payers)],
            date=datetime.date(2026, 1, 1) + datetime.timedelta(days=n),
            summary=f"Change {n}",
        )
        for n in range(updates)
    )
    # 1 payers for the filter, 1 count, 1 page of updates with their codes and payers.
    with django_assert_num_queries(VERSION + 3):
        response = client.get(reverse("codes:policy-updates"))
    assert response.content.decode().count("Change ") == min(updates, 50)


def test_filter_choices_are_read_once_per_content_version(
    client, content, django_assert_num_queries
):
    """The chapter filter's choices cost one query at a version, none after; a chapter added
    (a new version) is in the next page's choices."""
    assert client.get("/icd10/codes/").status_code == 200
    # Another address, so that the page cache does not answer: 1 page of codes (the fixtures'
    # codes are in no chapter); no chapters for the filter, no release, no count (the same
    # rows: tests/test_queries.py test_an_index_counts_its_rows_once_per_version_and_filters).
    with django_assert_num_queries(VERSION + 1):
        response = client.get("/icd10/codes/", {"per_page": 20})
    assert '<option value="22"' not in response.content.decode()
    Icd10Code.objects.create(code="22", kind=Icd10Code.Kind.CHAPTER, description="Codes for X")
    response = client.get("/icd10/codes/", {"per_page": 20})
    assert '<option value="22">22 Codes for X</option>' in response.content.decode()


def test_an_index_counts_its_rows_once_per_version_and_filters(
    client, content, django_assert_num_queries
):
    """Other pages and sort orders of the same rows reuse the count; other filters, or a new
    version, count again."""
    chapter = Icd10Code.objects.create(code="1", kind=Icd10Code.Kind.CHAPTER, description="One")
    Icd10Code.objects.bulk_create(
        Icd10Code(code=f"A{n // 100:02d}.{n % 100:02d}", description=f"Test {n}", chapter=chapter)
        for n in range(30)
    )
    total = Icd10Code.objects.filter(kind__in=["category", "code"]).count()
    page = client.get("/icd10/codes/", {"per_page": 10}).content.decode()
    assert f"of {(total + 9) // 10}</p>" in page
    # 1 page of codes, 1 their chapters: no count, no chapters for the filter, no release.
    with django_assert_num_queries(VERSION + 2):
        page = client.get("/icd10/codes/", {"per_page": 10, "page": 2, "sort": "-code"})
    assert f"Page 2 of {(total + 9) // 10}</p>" in page.content.decode()
    with django_assert_num_queries(VERSION + 3):  # and the count of chapter 1's rows
        page = client.get("/icd10/codes/", {"per_page": 10, "chapter": "1"})
    assert "Page 1 of 3</p>" in page.content.decode()
    Icd10Code.objects.create(code="A99.99", description="One more", chapter=chapter)
    page = client.get("/icd10/codes/", {"per_page": 10, "page": 2, "chapter": "1"})
    assert "Page 2 of 4</p>" in page.content.decode()


@pytest.mark.parametrize("kind", [kind.name for kind in kinds.listed() if kind.listing.fields])
def test_an_index_reads_only_the_fields_it_shows_and_downloads(
    client, content, django_assert_max_num_queries, kind
):
    """An index that names its fields (codes/kinds.py Listing.fields) reads no other field of
    its rows, on the page or in either download: a field it left out would be read row by
    row, one query each."""
    listing = kinds.get(kind).listing
    path = reverse(f"codes:{listing.url_name}")
    assert kinds.get(kind).model.objects.count() > 3
    for query in ("", "?_export=csv", "?_export=xlsx"):
        with django_assert_max_num_queries(VERSION + 4):
            assert client.get(f"{path}{query}").status_code == 200
