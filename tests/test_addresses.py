"""Addresses people type: every code page has one canonical address, and the forms a person
types (lower case, a missing leading zero, an ICD-10-CM code without its dot) redirect to it for
good, query string kept. And /favicon.ico, which browsers ask for on every first visit."""

import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse

from codes.models import Icd10Code

pytestmark = pytest.mark.django_db

STATIC = Path(settings.STATICFILES_DIRS[0])

TYPED = [
    ("/codes/620/", "/codes/00620/"),
    ("/codes/0620/", "/codes/00620/"),
    ("/codes/670/", "/codes/00670/"),
    ("/codes/0213t/", "/codes/0213T/"),
    ("/codes/213T/", "/codes/0213T/"),
    ("/codes/620/estimate/", "/codes/00620/estimate/"),
    ("/codes/620/preview/", "/codes/00620/preview/"),
    ("/modifiers/qs/", "/modifiers/QS/"),
    ("/modifiers/Qs/", "/modifiers/QS/"),
    ("/modifiers/p3/", "/modifiers/P3/"),
    ("/taxonomies/207l00000x/", "/taxonomies/207L00000X/"),
    ("/icd10/m48.04/", "/icd10/M48.04/"),
    ("/icd10/M4804/", "/icd10/M48.04/"),
    ("/icd10/m4804/", "/icd10/M48.04/"),
    ("/icd10/m48/", "/icd10/M48/"),
    ("/icd10/m45-m49/", "/icd10/M45-M49/"),
    ("/icd10/013/", "/icd10/13/"),
    ("/icd10/01/", "/icd10/1/"),
    ("/places-of-service/1/", "/places-of-service/01/"),
    ("/payers/Medicare/", "/payers/medicare/"),
    ("/payers/AETNA/", "/payers/aetna/"),
]


@pytest.mark.parametrize("url, canonical", TYPED)
def test_a_typed_address_redirects_for_good_to_the_canonical_one(client, content, url, canonical):
    response = client.get(url)
    assert response.status_code == 301
    assert response["Location"] == canonical


@pytest.mark.parametrize("url, canonical", TYPED)
def test_the_redirect_keeps_the_query_string(client, content, url, canonical):
    response = client.get(f"{url}?page=2&sort=-code&q=spinal%20stenosis")
    assert response.status_code == 301
    assert response["Location"] == f"{canonical}?page=2&sort=-code&q=spinal%20stenosis"


def test_a_typed_estimate_address_arrives_at_the_same_estimate(client, content):
    query = "minutes=176&ps=P3&modifiers=QK+QX&payer=medicare&dos=2026-03-02"
    typed = client.get(f"/codes/620/estimate/?{query}", follow=True)
    canonical = client.get(f"/codes/00620/estimate/?{query}")
    assert typed.redirect_chain == [(f"/codes/00620/estimate/?{query}", 301)]
    assert typed.status_code == canonical.status_code == 200
    assert "Medicare" in typed.content.decode()
    assert typed.content == canonical.content


@pytest.mark.parametrize(
    "url, heading",
    [
        ("/codes/00620/", "00620"),
        ("/codes/00670/", "00670"),
        ("/modifiers/QS/", "QS"),
        ("/modifiers/P3/", "P3"),
        ("/taxonomies/207L00000X/", "207L00000X"),
        ("/icd10/M48.04/", "M48.04"),
        ("/icd10/13/", "13"),
        ("/places-of-service/01/", "01"),
        ("/places-of-service/21/", "21"),
        ("/payers/medicare/", "Medicare"),
    ],
)
def test_the_canonical_address_answers_with_the_page(client, content, url, heading):
    Icd10Code.objects.create(code="13", kind=Icd10Code.Kind.CHAPTER, description="Musculoskeletal")
    response = client.get(url)
    assert response.status_code == 200
    h1 = response.content.decode().split("<h1", 1)[1].split("</h1>", 1)[0]
    assert heading in h1


@pytest.mark.parametrize(
    "name, typed, canonical",
    [
        ("codes:cpt-detail", "620", "/codes/00620/"),
        ("codes:estimate", "0213t", "/codes/0213T/estimate/"),
        ("codes:modifier-detail", "qs", "/modifiers/QS/"),
        ("codes:taxonomy-detail", "207l00000x", "/taxonomies/207L00000X/"),
        ("codes:icd10-detail", "m4804", "/icd10/M48.04/"),
        ("codes:pos-detail", 1, "/places-of-service/01/"),
        ("codes:payer-detail", "Medicare", "/payers/medicare/"),
    ],
)
def test_links_the_site_writes_are_canonical(name, typed, canonical):
    assert reverse(name, args=[typed]) == canonical


@pytest.mark.parametrize(
    "url",
    [
        "/codes/620x/",
        "/codes/000620/",
        "/codes/0213Q/",
        "/codes/6/",
        "/codes/620/estimate/x/",
        "/modifiers/q/",
        "/modifiers/qsx/",
        "/modifiers/q-/",
        "/taxonomies/207l00000/",
        "/taxonomies/207l00000y/",
        "/icd10/m48..04/",
        "/icd10/m48.04.1/",
        "/icd10/0013/",
        "/icd10/100/",
        "/places-of-service/001/",
        "/places-of-service/a1/",
        "/places-of-service/-1/",
        "/payers/medi%20care/",
        "/payers/m%C3%A9dicare/",
    ],
)
def test_what_cannot_be_a_code_gets_the_helpful_404(client, content, url):
    response = client.get(url)
    assert response.status_code == 404
    body = response.content.decode()
    assert "<title>Page not found | cptref</title>" in body
    assert "There is no page at this address." in body


@pytest.mark.parametrize(
    "url, message",
    [
        ("/modifiers/zz/", "There is no modifier ZZ on cptref."),
        ("/places-of-service/0/", "There is no place of service 00 on cptref."),
        ("/payers/Nobody/", "There is no payer “nobody” on cptref."),
    ],
)
def test_a_typed_unknown_code_arrives_at_the_404_page_of_its_canonical_form(
    client, content, url, message
):
    response = client.get(url, follow=True)
    assert response.redirect_chain[0][1] == 301
    assert response.status_code == 404
    assert message in response.content.decode()


def test_the_redirect_needs_no_database(client, content, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/places-of-service/1/").status_code == 301


def test_favicon_ico_is_the_sites_icon(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert "max-age=86400" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\x00\x00\x01\x00")  # the ICO header: reserved 0, type 1 (icon)
    assert body == (STATIC / "favicon.ico").read_bytes()


def test_favicon_ico_stays_open_when_the_site_requires_a_login(client, settings):
    settings.SITE_REQUIRE_LOGIN = True
    assert client.get(reverse("codes:home")).status_code == 302  # pages do need the login
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"


def test_every_page_names_its_icons(client, content):
    head = client.get(reverse("codes:home")).content.decode().split("</head>", 1)[0]
    assert '<link rel="icon" href="/static/favicon.ico" sizes="16x16 32x32 48x48">' in head
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in head


def test_the_svg_icon_is_plain_svg_that_the_security_policy_allows():
    """No script or style: the Content-Security-Policy would block them."""
    root = ElementTree.parse(STATIC / "favicon.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 32 32"
    tags = {element.tag.split("}")[1] for element in root.iter()}
    assert tags <= {"svg", "rect", "path"}
    assert not any("style" in element.attrib for element in root.iter())


def test_remembered_addresses_follow_the_script_prefix_and_stay_bounded(monkeypatch):
    """codes/paths.py remembers each code's address by script prefix: a site mounted under a
    sub-path links under it, the root site at the root, and the memory does not grow past its
    size however many codes are linked."""
    from django.urls import set_script_prefix

    from codes import paths

    try:
        set_script_prefix("/cptref/")
        assert paths.code_url("codes:icd10-detail", "M48.04") == "/cptref/icd10/M48.04/"
    finally:
        set_script_prefix("/")
    assert paths.code_url("codes:icd10-detail", "M48.04") == "/icd10/M48.04/"
    monkeypatch.setattr(paths, "MAX_URLS", 5)
    for n in range(20):
        code = f"Q{chr(65 + n)}"
        assert paths.code_url("codes:modifier-detail", code) == f"/modifiers/{code}/"
        assert len(paths._URLS) <= 5


def test_a_table_links_under_the_script_prefix_it_is_written_under(content, monkeypatch):
    """A table reads the script prefix once for its rows' links (paths.prefix_known): under a
    sub-path every link has it, and once the table is written the prefix is read again."""
    from django.urls import set_script_prefix

    from codes import paths, tablehtml, tables
    from codes.models import Modifier

    try:
        set_script_prefix("/cptref/")
        table = tables.ModifierTable(Modifier.objects.listed())
        html = tablehtml.render(table, RequestFactory().get("/modifiers/"))
        links = re.findall(r'<a href="([^"?]+)"', html)
        assert len(links) == Modifier.objects.count() > 3
        assert all(link.startswith("/cptref/modifiers/") for link in links), links
        set_script_prefix("/other/")
        assert paths.code_url("codes:modifier-detail", "QS") == "/other/modifiers/QS/"
        with paths.prefix_known(), monkeypatch.context() as patched:
            patched.setattr(paths, "get_script_prefix", lambda: pytest.fail("read again"))
            assert paths.code_url("codes:modifier-detail", "QS") == "/other/modifiers/QS/"
        set_script_prefix("/changed/")
        assert paths.code_url("codes:modifier-detail", "QS") == "/changed/modifiers/QS/"
    finally:
        set_script_prefix("/")


def test_a_page_reads_the_script_prefix_once(client, content, monkeypatch):
    """The canonical address check, the page's links, its tables' and the header's all use the
    prefix read once (paths.prefix_known, within another one too)."""
    from codes import paths

    reads = []
    real = paths.get_script_prefix

    def counted():
        reads.append(1)
        return real()

    monkeypatch.setattr(paths, "get_script_prefix", counted)
    for address in ("/modifiers/QS/", "/modifiers/"):
        reads.clear()
        assert client.get(address).status_code == 200
        assert len(reads) == 1, address
