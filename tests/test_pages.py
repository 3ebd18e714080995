import datetime
import html
import re

import pytest
from django.urls import reverse
from django.views.defaults import server_error

from codes.models import ArticleSection, CptPayer, ProviderTaxonomy

from .conftest import SEED

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    """The page as a reader sees it: tags dropped, entities decoded, whitespace collapsed."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def seed_sentences() -> list[str]:
    """Every sentence and heading of the seed article; table rules and bullet dashes excepted."""
    sentences = []
    for line in SEED.read_text().splitlines():
        line = line.strip()
        if line in ("", "-") or set(line) <= set("|-"):
            continue
        if line.startswith("|"):
            sentences += [cell.strip() for cell in line.strip("|").split("|")]
            continue
        # The modifiers line runs two entries together: "…anesthesia.QX: CRNA…"
        for part in re.split(r"(?<=[.!?])\s+|(?<=\.)(?=[A-Z]{2}: )", line):
            sentences.append(part.rstrip(":"))
    return [s for s in sentences if s]


def test_every_sentence_of_the_seed_is_on_the_00620_page(client, content):
    page = text_of(client.get(reverse("codes:cpt-detail", args=["00620"])))
    sentences = seed_sentences()
    assert len(sentences) > 25
    missing = [s for s in sentences if s.removeprefix("QS: ").removeprefix("QX: ") not in page]
    assert missing == []
    # The two modifier entries are separate records, each with its code.
    assert re.search(
        r"QS Monitored anesthesia care service Monitored anesthesia care service\.", page
    )
    assert re.search(
        r"QX CRNA service: with medical direction by a physician CRNA service with", page
    )


def test_article_sections_follow_the_seed_order(client, content):
    body = client.get(reverse("codes:cpt-detail", args=["00620"])).content.decode()
    headings = [
        "Summary &amp; Overview",
        "CPT Code Overview",
        "Clinical &amp; Coding Specifications",
        "Clinical Context",
        "Coding Specifications",
        "Modifiers",
        "Provider Taxonomies",
        "ICD-10-CM diagnoses",
        "Payer coverage",
        "Related codes",
    ]
    positions = [body.index(f'-heading">{h}</h') for h in headings]
    assert positions == sorted(positions)


def test_article_parts_have_stable_anchors_and_a_table_of_contents(client, content):
    body = client.get(reverse("codes:cpt-detail", args=["00620"])).content.decode()
    toc = body[
        body.index('<nav class="toc"') : body.index("</nav>", body.index('<nav class="toc"'))
    ]
    for anchor in [
        "cpt-code-overview",
        "clinical-context",
        "coding-specifications",
        "payer-coverage",
    ]:
        assert f'<section id="{anchor}"' in body
        assert f'href="#{anchor}"' in toc


def test_article_shows_code_overview_and_linked_records(client, content):
    response = client.get(reverse("codes:cpt-detail", args=["00620"]))
    body = response.content.decode()
    page = text_of(response)
    assert (
        "<title>00620 · Anesthesia for Thoracic Spine and Cord Procedures | cptref</title>" in body
    )
    assert "<h1>CPT 00620: Anesthesia for Thoracic Spine and Cord Procedures</h1>" in body
    assert "Service type Anesthesiology" in page
    assert "Section Anesthesia › Spine and Spinal Cord" in page
    assert 'href="/places-of-service/21/">POS 21, Inpatient Hospital' in body
    for url in [
        "/modifiers/QS/",
        "/modifiers/QX/",
        "/taxonomies/207L00000X/",
        "/taxonomies/367500000X/",
        "/icd10/M48.04/",
        "/icd10/M51.04/",
        "/payers/aetna/",
    ]:
        assert f'href="{url}"' in body
    assert "Spinal stenosis, thoracic region" in page
    assert "Intervertebral disc disorders with myelopathy, thoracic region" in page
    assert "Nurse Anesthetist, Certified Registered" in page
    assert '<th scope="col"' in body and 'aria-labelledby="modifiers-heading"><table' in body
    # Related codes without an article link to their code's page (base units, estimator).
    assert '<a href="/codes/00625/"><code>00625</code></a>' in body


def test_breadcrumbs_lead_back_to_the_index(client, content):
    body = client.get(reverse("codes:cpt-detail", args=["00620"])).content.decode()
    assert '<nav class="breadcrumbs" aria-label="Breadcrumb">' in body
    assert '<li><a href="/codes/">CPT codes</a></li><li aria-current="page">00620</li>' in body


def test_an_editors_payer_note_appears_on_the_article(client, content):
    link = CptPayer.objects.get(cpt__code="00620", payer__slug="cigna-health")
    link.coverage_note = "Prior authorisation required for elective cases."
    link.policy_reference = "https://example.org/policy/123"
    link.last_reviewed = datetime.date(2026, 3, 3)
    link.save()
    body = client.get(reverse("codes:cpt-detail", args=["00620"])).content.decode()
    assert "Prior authorisation required for elective cases." in body
    assert 'href="https://example.org/policy/123"' in body
    assert "<td>3 Mar 2026</td>" in body


def test_a_review_date_shows_on_the_payer_page(client, content):
    # The column once read its heading as a date format: a 500 as soon as a date was set.
    link = CptPayer.objects.get(cpt__code="00620", payer__slug="cigna-health")
    link.last_reviewed = datetime.date(2026, 3, 3)
    link.save()
    response = client.get(reverse("codes:payer-detail", args=["cigna-health"]))
    assert response.status_code == 200
    assert "<td >3 Mar 2026</td>" in response.content.decode()


def test_section_text_is_escaped_not_trusted(client, content):
    ArticleSection.objects.filter(slug="clinical-context").update(body="<script>alert(1)</script>")
    body = client.get(reverse("codes:cpt-detail", args=["00620"])).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_home_explains_the_site_and_lists_codes_in_a_sortable_table(client, content):
    response = client.get(reverse("codes:home"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "<h1>cptref: the CPT code reference</h1>" in body
    assert 'href="/codes/00620/"' in body
    assert '<a href="?sort=title">Title' in body


def test_index_tables_sort_by_a_column(client, content):
    response = client.get(reverse("codes:modifier-list"), {"sort": "-code"})
    page = text_of(response)
    assert page.index("QZ CRNA service: without") < page.index("AA Anesthesia services")
    assert 'aria-sort="descending"' in response.content.decode()


@pytest.mark.parametrize(
    "url, title, expected",
    [
        ("/codes/", "CPT codes | cptref", ["00620", "Anesthesia for Thoracic Spine"]),
        (
            "/modifiers/",
            "Modifiers | cptref",
            ["QS", "Monitored anesthesia care service", "HCPCS Level II"],
        ),
        ("/taxonomies/", "Provider taxonomies | cptref", ["207L00000X", "Anesthesiology"]),
        ("/icd10/codes/", "ICD-10-CM codes | cptref", ["M48.04", "Header, not billable"]),
        ("/payers/", "Payers | cptref", ["Aetna", "UnitedHealthcare"]),
        ("/places-of-service/", "Places of service | cptref", ["21", "Inpatient Hospital"]),
        (
            "/modifiers/QS/",
            "Modifier QS · Monitored anesthesia care service | cptref",
            [
                "Informational",
                "pricing modifier first",
                "00620",
                "Used when the anesthesia provider",
            ],
        ),
        (
            "/modifiers/AA/",
            "Modifier AA · Anesthesia services performed personally by anesthesiologist | cptref",
            ["No CPT code on this site links to it yet.", "100% of allowance"],
        ),
        (
            "/taxonomies/207L00000X/",
            "Taxonomy 207L00000X · Anesthesiology | cptref",
            [
                "Allopathic &amp; Osteopathic Physicians",
                "Anesthesiology Physician",
                "NUCC Health Care Provider Taxonomy code set, version 25.1",
                "00620",
            ],
        ),
        (
            "/icd10/M48.04/",
            "ICD-10-CM M48.04 · Spinal stenosis, thoracic region | cptref",
            ["Yes: valid on a claim", "00620", "Thoracic spinal stenosis can compress"],
        ),
        (
            "/icd10/M48.06/",
            "ICD-10-CM M48.06 · Spinal stenosis, lumbar region | cptref",
            ["No: a header", "M48.061"],
        ),
        (
            "/payers/aetna/",
            "Aetna · payer coverage | cptref",
            ["00620", "No coverage note recorded yet."],
        ),
        ("/places-of-service/21/", "Place of service 21 · Inpatient Hospital | cptref", ["00620"]),
    ],
)
def test_every_page_kind_shows_its_content(client, content, url, title, expected):
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert f"<title>{title}</title>" in body
    for text in expected:
        assert text in body, text


def test_record_pages_list_their_sources(client, content):
    body = client.get("/modifiers/QS/").content.decode()
    assert '<a href="https://www.dir.ca.gov/t8/9789_18_11.html"' in body


def test_unverified_records_are_marked(client, content):
    body = client.get("/icd10/M50.02/").content.decode()
    assert 'class="notice"' in body and "unverified" in body
    assert 'class="notice"' not in client.get("/icd10/M48.04/").content.decode()


@pytest.mark.parametrize(
    "url, canonical",
    [
        ("/modifiers/qs/", "/modifiers/QS/"),
        ("/taxonomies/207l00000x/", "/taxonomies/207L00000X/"),
        ("/icd10/m48.04/", "/icd10/M48.04/"),
        ("/icd10/M4804/", "/icd10/M48.04/"),
    ],
)
def test_codes_typed_in_another_form_redirect_to_the_canonical_page(
    client, content, url, canonical
):
    response = client.get(url)
    assert response.status_code == 301
    assert response["Location"] == canonical


@pytest.mark.parametrize(
    "url, message",
    [
        ("/codes/99999/", "There is no article for CPT code 99999 yet."),
        ("/modifiers/ZZ/", "There is no modifier ZZ on cptref."),
        ("/icd10/Z99.99/", "There is no ICD-10-CM code Z99.99 on cptref."),
        ("/taxonomies/999999999X/", "There is no provider taxonomy 999999999X on cptref."),
        ("/payers/nobody/", "There is no payer “nobody” on cptref."),
        ("/places-of-service/98/", "There is no place of service 98 on cptref."),
        ("/codes/<script>/", "There is no page at this address."),
        ("/codes/..%2F..%2F/", "There is no page at this address."),
        ("/codes/" + "0" * 2000 + "/", "There is no page at this address."),
        ("/no/such/page/", "There is no page at this address."),
        ("/modifiers/QSX/", "There is no page at this address."),
        ("/modifiers/Q%20/", "There is no page at this address."),
        ("/taxonomies/207L/", "There is no page at this address."),
        ("/taxonomies/207L00000Y/", "There is no page at this address."),
        ("/places-of-service/2a/", "There is no page at this address."),
    ],
)
def test_unknown_and_malformed_addresses_get_the_helpful_404(client, content, url, message):
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 404
    assert "<title>Page not found | cptref</title>" in body
    assert message in body
    assert 'href="/codes/"' in body
    assert "<script>" not in body.split("<main", 1)[1]


def test_server_errors_show_a_plain_page_without_details(rf):
    response = server_error(rf.get("/codes/00620/"))
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert "Traceback" not in response.content.decode()


def test_physical_status_modifiers_show_their_units(client, content):
    body = client.get("/modifiers/P3/").content.decode()
    assert "<dt>Units (ASA convention)</dt><dd>1; payers vary</dd>" in body
    assert "<dt>Units (Medicare)</dt><dd>0</dd>" in body
    assert "unverified" in client.get("/modifiers/P1/").content.decode()


def test_the_article_lists_the_codes_of_its_section_range(client, content):
    body = client.get("/codes/00620/").content.decode()
    related = body[body.index('id="related-codes"') :]
    for code in ["00600", "00604", "00625", "00626", "00630", "00632", "00635", "00640", "00670"]:
        assert f"<code>{code}</code>" in related
    assert "Anesthesia › Spine and Spinal Cord (00600–00670)" in related


def test_a_taxonomy_display_name_is_flagged_only_when_the_record_is_unverified(client, content):
    def display_name(code: str) -> str:
        page = client.get(f"/taxonomies/{code}/").content.decode()
        return page[page.index("<dt>Display name</dt>") :].split("</dd>", 1)[0]

    assert "unverified" not in display_name("207L00000X")  # NUCC's name, verified
    ProviderTaxonomy.objects.filter(code="207L00000X").update(confidence="medium")
    assert '<span class="flag">unverified</span>' in display_name("207L00000X")
