"""The site in a real browser: Debian's Chromium driven by Playwright, against `live_server`.

What the test client cannot see: a reader's journeys by keyboard and mouse, accessibility as
axe-core judges the rendered page, layout at 1280 and 390 pixels wide, and the printed page.
Screenshots of every page kind at both widths go to tests/artifacts/ (not in git).

The live server needs a transactional database, which pytest-django empties after each test,
taking the rows migrations wrote (the Editors group, the content version) with it.
`serialized_rollback` puts them back before each test here, so each starts from the migrated
database, as the other tests do. pytest-django runs transactional tests after all the others,
so no other test meets an emptied database; a new transactional test should roll back the same
way.
"""

import re
import statistics
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.db import connections

from codes import history
from codes.models import ContentVersion, CptPayer

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # the `chromium` fixture says how to install it
    expect = sync_playwright = None

from .conftest import ARTIFACTS, BROWSER_TOOLS, PAGE_KINDS, prepare_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root in a container
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = BROWSER_TOOLS / "axe-core" / "axe.min.js"
WIDE, PHONE = 1280, 390
# Moderate in axe's scale, but the structure a screen reader user navigates by.
STRUCTURE_RULES = {
    "heading-order",
    "page-has-heading-one",
    "landmark-one-main",
    "landmark-unique",
    "landmark-no-duplicate-banner",
    "landmark-no-duplicate-contentinfo",
    "region",
    "empty-table-header",
}
# WCAG 2.2 AA, and axe's best practices (axe's default set leaves out some WCAG 2.2 rules, such
# as target-size).
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice")
EDITOR_PASSWORD = "a-long-editor-password"  # tests/conftest.py's `editor`
REVIEWER_PASSWORD = "a-long-reviewer-password"  # and `reviewer`


@pytest.fixture(scope="session")
def chromium():
    missing = []
    if not CHROMIUM.exists():
        missing.append(
            f"Debian's Chromium at {CHROMIUM}: `sudo apt-get install chromium` "
            "(Playwright's own browser download is not used)"
        )
    if not AXE.exists():
        missing.append(f"axe-core in {BROWSER_TOOLS}: `make test` installs it with npm ci")
    if sync_playwright is None:
        missing.append("Playwright for Python: `make install` (the project's test extra)")
    if missing:
        pytest.fail("The browser tests need " + "; ".join(missing) + ".", pytrace=False)
    # Playwright's sync API leaves its event loop marked as running on this thread. Django then
    # refuses ORM calls from the tests' fixtures (nothing here is asynchronous, so they are
    # allowed), and keeps its connections in a store of their own: the test database's
    # snapshot for `serialized_rollback`, taken on the connections opened before, is carried
    # over to the ones the tests use from now on.
    snapshots = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    with pytest.MonkeyPatch.context() as mp, sync_playwright() as playwright:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        for alias, snapshot in snapshots.items():
            connections[alias]._test_serialized_contents = snapshot
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium, live_server):
    """Open a new browser tab (its own cookies) at a width; `bypass_csp` lets the tests inject
    axe whatever Content-Security-Policy the site sends."""
    contexts = []

    def open_page(width=WIDE):
        context = chromium.new_context(
            base_url=live_server.url,
            viewport={"width": width, "height": 900},
            bypass_csp=True,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def resize(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=ARTIFACTS / f"{name}-{width}.png", full_page=True)


def screenshots(page, name: str) -> None:
    """The page as it is, at both widths; the tab is left wide."""
    for width in (WIDE, PHONE):
        resize(page, width)
        screenshot(page, name)
    resize(page, WIDE)


def accessibility_problems(page, own_markup: bool = True) -> list[str]:
    """axe-core's serious and critical violations, its structure rules, and (in our own
    markup, not the Django admin's tables) header cells without a scope, one line each."""
    if not page.evaluate("'axe' in window"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "axe.run(document, {resultTypes: ['violations'], runOnly: {type: 'tag', values: "
        f"{list(AXE_TAGS)}}}}})"
    )
    problems = [
        f"{rule['id']} ({rule['impact']}): {rule['help']}: "
        + ", ".join(" ".join(node["target"]) for node in rule["nodes"][:5])
        for rule in result["violations"]
        if rule["impact"] in ("serious", "critical") or rule["id"] in STRUCTURE_RULES
    ]
    no_scope = page.locator("th:not([scope])").count() if own_markup else 0
    if no_scope:
        problems.append(f"{no_scope} table header cells without scope")
    return problems


def horizontal_overflow(page) -> int:
    """How many pixels the page is wider than the window (0 when it fits)."""
    return page.evaluate("Math.max(0, document.documentElement.scrollWidth - window.innerWidth)")


@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_page_kind_has_no_serious_accessibility_problem(kind, open_page, content, request):
    prepare_page(kind, request)
    page = open_page(WIDE)
    page.goto(PAGE_KINDS[kind])
    problems = {}
    for width in (WIDE, PHONE):
        resize(page, width)
        if found := accessibility_problems(page):
            problems[width] = found
    assert problems == {}


@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_page_kind_fits_a_phone_without_scrolling_sideways(kind, open_page, content, request):
    prepare_page(kind, request)
    page = open_page(WIDE)
    page.goto(PAGE_KINDS[kind])
    screenshot(page, kind)
    resize(page, PHONE)
    screenshot(page, kind)
    assert horizontal_overflow(page) == 0


def test_a_reader_finds_a_diagnosis_its_article_and_a_modifier(open_page, content):
    page = open_page()
    page.goto("/")
    page.get_by_role("searchbox", name="Search codes and articles").fill("stenosis thoracic")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=stenosis\+thoracic$"))
    page.get_by_role("link", name="M48.04").first.click()
    expect(page).to_have_url(re.compile(r"/icd10/M48\.04/$"))
    page.get_by_role("link", name="00620").click()
    expect(page).to_have_url(re.compile(r"/codes/00620/$"))
    heading = page.get_by_role("heading", level=1)
    article_title = heading.inner_text()
    modifiers = page.get_by_role("table", name="Modifiers", exact=True)
    modifiers.get_by_role("link", name="QS").click()
    expect(page).to_have_url(re.compile(r"/modifiers/QS/$"))
    expect(heading).to_have_text(re.compile(r"^Modifier QS: "))
    page.go_back()
    expect(page).to_have_url(re.compile(r"/codes/00620/$"))
    expect(heading).to_have_text(article_title)


def test_the_skip_link_is_the_first_stop_and_moves_focus_to_the_content(open_page, content):
    page = open_page(PHONE)
    page.goto(PAGE_KINDS["cpt-article"])
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.evaluate("link => link === document.activeElement")
    box = skip.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0, "the focused skip link is on screen"
    assert skip.evaluate("link => getComputedStyle(link).outlineStyle") != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('main') !== null")
    assert focused, "the next Tab stays in the content, past the header"


def test_print_drops_navigation_and_keeps_tables_whole(open_page, content):
    page = open_page()
    page.goto(PAGE_KINDS["cpt-article"])
    page.emulate_media(media="print")
    for chrome in ("header.site-header", "nav.breadcrumbs", "nav.toc", "a.skip-link"):
        assert not page.locator(chrome).is_visible(), f"{chrome} is not printed"
    # A table cut off at the container's edge would lose columns on paper.
    cut = page.evaluate(
        """[...document.querySelectorAll('.table-container')]
        .filter(box => box.scrollWidth > box.clientWidth).length"""
    )
    assert cut == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.pdf(path=ARTIFACTS / "cpt-article-print.pdf", format="Letter")


# The text a printer puts on paper: what print media shows, with the text the stylesheet adds
# (::before and ::after, `attr(href)` resolved), but not what it hides or clips to nothing.
PRINTED_TEXT = r"""() => {
  const added = (element, where) => [...getComputedStyle(element, where).content
    .matchAll(/"((?:[^"\\]|\\.)*)"/g)].map(m => m[1].replace(/\\(.)/g, "$1")).join("");
  const text = node => {
    if (node.nodeType === Node.TEXT_NODE) return node.textContent;
    if (node.nodeType !== Node.ELEMENT_NODE) return "";
    const style = getComputedStyle(node);
    if (style.display === "none" || style.visibility === "hidden") return "";
    if (style.clip === "rect(0px, 0px, 0px, 0px)") return "";
    return added(node, "::before") + [...node.childNodes].map(text).join("")
      + added(node, "::after");
  };
  return text(document.body);
}"""


@pytest.mark.parametrize("kind", ["cpt-article", "pos", "taxonomy", "estimate"])
def test_print_shows_each_source_address_once(kind, open_page, content):
    """Sources are links whose text is their address (shortened on screen): paper shows each
    address once, whole, and the address after any other link."""
    if kind == "cpt-article":  # a policy reference: a cell whose link's text is its address
        CptPayer.objects.filter(cpt__code="00620", payer__slug="aetna").update(
            policy_reference="https://example.org/policies/anesthesia-0620 (section 4)"
        )
    page = open_page()
    page.goto(PAGE_KINDS[kind])
    page.emulate_media(media="print")
    printed = page.evaluate(PRINTED_TEXT)
    addresses = page.locator("main a[href^='http']").evaluate_all(
        "links => links.filter(a => a.getClientRects().length).map(a => a.getAttribute('href'))"
    )
    assert len(addresses) >= 4, "the page cites its sources"
    # An address counts wherever it shows, whole, without its scheme or cut short ("…"): by
    # its first 40 characters, which tell these addresses apart.
    starts = [address.split("://", 1)[1][:40] for address in addresses]
    shown = {start: printed.count(start) for start in starts}
    linked = {start: sum(s.startswith(start) for s in starts) for start in starts}
    assert shown == linked
    for address in addresses:
        assert address in printed, "paper shows the whole address"


@pytest.mark.parametrize("kind", ["icd10-index", "cpt-index", "cpt-article", "estimate", "payer"])
def test_on_a_phone_a_wide_table_scrolls_with_its_code_in_view(kind, open_page, content):
    page = open_page(PHONE)
    page.goto(PAGE_KINDS[kind])
    scrolled = 0
    for container in page.locator(".table-container").all():
        if not container.evaluate("box => box.scrollWidth > box.clientWidth"):
            continue
        container.evaluate("box => { box.scrollLeft = box.scrollWidth; }")
        assert container.evaluate("box => box.scrollLeft") > 0
        keys = container.locator("tr > :first-child:not([colspan])").evaluate_all(
            "cells => cells.map(cell => cell.getBoundingClientRect())"
            ".map(box => [box.left, box.right])"
        )
        assert keys and all(0 <= left and right <= PHONE for left, right in keys), keys
        scrolled += 1
    assert scrolled, "a table of this page is wider than a phone"
    if kind == "icd10-index":
        rows = page.locator("main tbody tr").evaluate_all(
            "rows => rows.map(row => row.getBoundingClientRect().height)"
        )
        assert len(rows) >= 10 and statistics.median(rows) < 60, rows
    screenshot(page, f"{kind}-scrolled")


def test_a_reviewer_changes_a_section_and_a_reader_sees_it(open_page, reviewer, cpt_00620):
    # A published article: reviewers change it (editors change drafts).
    sentence = "Bill this code with the anesthesia start and stop times on the claim."
    page = open_page()
    page.goto(f"/admin/codes/cptcode/{cpt_00620.pk}/change/")
    assert "/admin/login/" in page.url, "an anonymous visitor is asked to sign in"
    screenshots(page, "admin-login")
    page.get_by_label("Username").fill(reviewer.username)
    page.get_by_label("Password").fill(REVIEWER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**/admin/codes/cptcode/{cpt_00620.pk}/change/")
    screenshots(page, "admin-cpt-change")
    slug = page.locator("input[name^='sections-'][name$='-slug'][value='clinical-context']")
    body = page.locator(f"textarea[name='{slug.get_attribute('name')[: -len('slug')]}body']")
    body.fill(f"{body.input_value()}\n\n{sentence}")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()

    reader = open_page(PHONE)
    reader.goto(f"{PAGE_KINDS['cpt-article']}#clinical-context")
    expect(reader.locator("#clinical-context").get_by_text(sentence)).to_be_visible()


@pytest.mark.parametrize("role", ["editor", "reviewer"])
def test_the_editors_pages_have_no_serious_accessibility_problem(
    open_page, request, role, cpt_00620
):
    """The admin is Django's markup; cptref overrides the templates that failed axe (the
    login heading, the search label) and stacks the link inlines so every field has a label.
    The published article is a form for a reviewer, read-only for an editor."""
    user = request.getfixturevalue(role)
    history.record_article_baseline(cpt_00620)  # as the admin's first save does
    section = cpt_00620.sections.get(slug="clinical-context")
    section.body += " A sentence to revert."
    section.save()  # a part changed since the article's recorded version, so a revert shows it
    recorded = cpt_00620.history.earliest("history_date").history_id
    page = open_page()
    page.goto("/admin/login/")
    problems = {"login": accessibility_problems(page, own_markup=False)}
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(REVIEWER_PASSWORD if role == "reviewer" else EDITOR_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    for name, url in {
        "index": "/admin/",
        "cpt-change": f"/admin/codes/cptcode/{cpt_00620.pk}/change/",
        "cpt-history": f"/admin/codes/cptcode/{cpt_00620.pk}/history/",
        "cpt-revert": f"/admin/codes/cptcode/{cpt_00620.pk}/history/{recorded}/revert/",
        "icd10-search": "/admin/codes/icd10code/?q=stenosis",
        "policy-updates": "/admin/codes/policyupdate/",
    }.items():
        page.goto(url)
        problems[name] = accessibility_problems(page, own_markup=False)
    assert not any(problems.values()), problems


def test_each_browser_test_starts_from_the_migrated_database(open_page):
    # Runs after the others in this file: each emptied the database when it ended.
    assert Group.objects.filter(name="Editors", permissions__codename="change_cptcode").exists()
    assert ContentVersion.objects.exists()
