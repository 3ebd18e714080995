"""What readers may see is said once (codes/models/base.py `published`): an article that is a
draft, in review (waiting to be published) or archived (withdrawn) reaches no reader by any path:
its page, search, the indexes and their downloads, the counts and tables of the records it links
to, the policy updates, the related codes of a published article, and the filters. Its code, an
anesthesia code, stays public as the code's own page (base units), with nothing of the article."""

import csv
import io

import pytest
from django.urls import reverse

from codes.models import (
    CptCode,
    CptDiagnosis,
    CptModifier,
    CptPayer,
    CptTaxonomy,
    Icd10Code,
    Modifier,
    Payer,
    PlaceOfService,
    PolicyUpdate,
    ProviderTaxonomy,
    RelatedCode,
)
from codes.search import query as search

from .conftest import make_cpt

pytestmark = pytest.mark.django_db

HIDDEN = "00640"
WORD = "zanzibarian"  # in its title and section only


@pytest.fixture(params=[CptCode.Status.DRAFT, CptCode.Status.REVIEW, CptCode.Status.ARCHIVED])
def unpublished(request, cpt_00620):
    cpt = make_cpt(
        code=HIDDEN,
        title=f"A {WORD} procedure",
        section=f"Anesthesia › {WORD.title()} section",
        status=request.param,
        place_of_service=PlaceOfService.objects.get(code="21"),
    )
    CptModifier.objects.create(cpt=cpt, modifier=Modifier.objects.get(code="QS"))
    CptTaxonomy.objects.create(cpt=cpt, taxonomy=ProviderTaxonomy.objects.get(code="207L00000X"))
    CptDiagnosis.objects.create(cpt=cpt, icd10=Icd10Code.objects.get(code="M48.04"))
    aetna = Payer.objects.get(slug="aetna")
    CptPayer.objects.create(cpt=cpt, payer=aetna, coverage_note=f"{WORD} coverage")
    PolicyUpdate.objects.create(cpt=cpt, payer=aetna, date="2026-01-05", summary=f"{WORD} rule")
    assert RelatedCode.objects.filter(cpt=cpt_00620, code=HIDDEN).exists()  # 00620 names it
    return cpt


def text(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def test_its_code_page_shows_the_base_units_and_nothing_of_the_article(client, unpublished):
    page = text(client, reverse("codes:cpt-detail", args=[HIDDEN]))
    assert "No article yet" in page and WORD not in page
    assert "<dt>Base units</dt><dd>3," in page  # 00640: 3 base units (CMS CY2022)


def test_search_finds_it_neither_by_code_nor_by_words(client, unpublished):
    # The code goes to the code's own page; the article's words find nothing.
    assert client.get(f"/search/?q={HIDDEN}")["Location"] == f"/codes/{HIDDEN}/"
    assert "cpt" not in search.search("0064").counts
    assert HIDDEN in [hit.code for hit in search.search("0064").groups[0].hits]
    assert search.search(WORD).counts == {}
    assert HIDDEN not in text(client, f"/search/?q={WORD}")


def test_the_indexes_and_their_downloads_leave_it_out(client, unpublished):
    for path in ["/", "/codes/", "/codes/?_export=csv", "/policy-updates/?_export=csv"]:
        assert WORD not in text(client, path), path
    assert HIDDEN not in text(client, "/")  # the articles
    rows = {row[0]: row for row in csv.reader(io.StringIO(text(client, "/codes/?_export=csv")))}
    assert rows[HIDDEN][1] == "No article yet"
    rows = list(csv.reader(io.StringIO(text(client, "/policy-updates/?_export=csv"))))
    assert len(rows) == 1 + PolicyUpdate.objects.filter(cpt__code="00620").count()
    assert WORD.title() not in text(client, "/codes/")  # not among the section filter's choices


def test_the_records_it_links_to_neither_list_nor_count_it(client, unpublished):
    for path in [
        "/modifiers/QS/",
        "/taxonomies/207L00000X/",
        "/icd10/M48.04/",
        "/payers/aetna/",
        "/places-of-service/21/",
    ]:
        assert f"/codes/{HIDDEN}/" not in text(client, path), path
    published_00620 = CptCode.objects.filter(code="00620")
    expected = {
        "/modifiers/?_export=csv": ("QS", published_00620.filter(modifiers__code="QS").count()),
        "/payers/?_export=csv": ("Aetna", published_00620.filter(payers__slug="aetna").count()),
        "/places-of-service/?_export=csv": (
            "21",
            published_00620.filter(place_of_service__code="21").count(),
        ),
    }
    for path, (key, count) in expected.items():
        rows = {row[0]: row[-1] for row in csv.reader(io.StringIO(text(client, path)))}
        assert rows[key] == str(count), path


def test_a_published_article_links_to_the_code_page_not_the_article(client, unpublished):
    html = text(client, reverse("codes:cpt-detail", args=["00620"]))
    assert f'href="/codes/{HIDDEN}/"' in html and WORD not in html


def test_once_published_every_path_shows_it(client, unpublished):
    unpublished.status = CptCode.Status.PUBLISHED
    unpublished.save()
    assert client.get(reverse("codes:cpt-detail", args=[HIDDEN])).status_code == 200
    assert search.search(WORD).counts == {"cpt": 1}
    assert [hit.code for hit in search.search("0064").groups[0].hits] == [HIDDEN]
    assert "anescode" not in search.search(HIDDEN).counts  # no longer a code without article
    assert HIDDEN in text(client, "/codes/?_export=csv")
    assert f"/codes/{HIDDEN}/" in text(client, "/modifiers/QS/")
    assert WORD in text(client, "/policy-updates/")
    assert WORD in text(client, reverse("codes:cpt-detail", args=[HIDDEN]))
