"""One name per section: a screen reader reads a section's heading, then the name of each table
in it; a caption or a label that says the heading again is read twice ("CPT codes that M48.04
supports", then "CPT codes that diagnosis M48.04 supports"). Every page kind is read as a tree,
and each section's names are compared: its heading and its own label, the captions and labels of
the tables it holds and of their scrolling containers. Two names that come from one element (a
table labelled by the heading with aria-labelledby) are one name."""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from .conftest import PAGE_KINDS, prepare_page
from .test_icd10 import make_tree

pytestmark = pytest.mark.django_db

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Words that do not make two names different ("Table: payers", "Payers of this code").
FILLER = {
    "a", "an", "and", "at", "by", "each", "for", "in", "its", "of", "on", "table", "that",
    "the", "this", "to", "which", "with",
}  # fmt: skip


@dataclass(eq=False)
class Element:
    tag: str
    attrs: dict
    parent: "Element | None" = None
    children: list = field(default_factory=list)

    def text(self) -> str:
        parts = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif "hidden" not in child.attrs:
                parts.append(child.text())
        return re.sub(r"\s+", " ", "".join(parts)).strip()

    def descendants(self):
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.descendants()

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class Page(HTMLParser):
    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Element("#document", {})
        self.feed(html)
        self.close()
        self.ids = {e.attrs["id"]: e for e in self.root.descendants() if e.attrs.get("id")}

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_endtag(self, tag):
        for node in [self.current, *self.current.ancestors()]:
            if node.tag == tag:
                self.current = node.parent
                return

    def handle_data(self, data):
        self.current.children.append(data)

    def find_all(self, tag):
        return [e for e in self.root.descendants() if e.tag == tag]


def is_section(element: Element) -> bool:
    """What a reader meets as a named part of the page, with its heading or label; not the box
    that a table scrolls in, whose label is one of the table's names."""
    if element.tag in {"main", "section", "article", "fieldset"}:
        return True
    if element.tag == "div" and any(e.tag == "table" for e in element.descendants()):
        return False
    named = "aria-label" in element.attrs or "aria-labelledby" in element.attrs
    return named and (element.tag in {"form", "nav", "aside"} or "role" in element.attrs)


def section_of(element: Element) -> Element | None:
    return next((a for a in element.ancestors() if is_section(a)), None)


def words(text: str) -> set[str]:
    found = set()
    for word in re.findall(r"[a-z0-9]+(?:[.-][a-z0-9]+)*", text.lower()):
        if word in FILLER or len(word) < 2:
            continue
        if len(word) > 4 and word.endswith("ies"):
            word = word[:-3] + "y"
        elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        found.add(word)
    return found


def nearly_repeats(one: str, other: str) -> bool:
    """The words of the shorter name are (nearly all) words of the longer one."""
    a, b = words(one), words(other)
    return bool(a and b) and len(a & b) / min(len(a), len(b)) >= 0.75


def labels(page: Page, element: Element) -> list[tuple[object, str]]:
    """What names `element` for assistive technology: (its source, its text)."""
    found = []
    for ref in element.attrs.get("aria-labelledby", "").split():
        target = page.ids.get(ref)
        assert target is not None, f"aria-labelledby={ref!r} names nothing on the page"
        found.append((target, target.text()))
    if element.attrs.get("aria-label"):
        found.append((("aria-label", id(element)), element.attrs["aria-label"]))  # id: one page
    return found


def heading_of(section: Element) -> Element | None:
    """The section's first heading (a fieldset's legend), not one of a section within it."""
    wanted = {"legend"} if section.tag == "fieldset" else HEADINGS
    return next(
        (e for e in section.descendants() if e.tag in wanted and section_of(e) is section), None
    )


def name_problems(html: str) -> list[str]:
    page = Page(html)
    names: dict[Element, list[tuple[object, str, str]]] = {}  # section -> (source, text, what)
    problems = []

    for section in [e for e in page.root.descendants() if is_section(e)]:
        own = labels(page, section)
        heading = heading_of(section)
        entries = names.setdefault(section, [])
        if heading is not None:
            entries.append((heading, heading.text(), f"the heading “{heading.text()}”"))
            if own and all(source is not heading for source, _ in own):
                problems.append(
                    f"a {section.tag} is named “{own[0][1]}” and headed “{heading.text()}”"
                )
        entries += [(source, text, f"its label “{text}”") for source, text in own]

    for table in page.find_all("table"):
        section = section_of(table)
        captions = [c for c in table.children if isinstance(c, Element) and c.tag == "caption"]
        own = labels(page, table)
        if not own and not (captions and captions[0].text()):
            problems.append(f"a table with no name, headed “{table_head(table)}”")
        if own and captions:
            problems.append(f"a table named both “{own[0][1]}” and by its caption")
        found = [(c, c.text(), f"a caption “{c.text()}”") for c in captions]
        found += [(source, text, f"a table’s label “{text}”") for source, text in own]
        for container in table.ancestors():
            if container is section:
                break
            found += [
                (source, text, f"a table’s container’s label “{text}”")
                for source, text in labels(page, container)
            ]
        names.setdefault(section, []).extend(found)

    for section, entries in names.items():
        distinct = {}  # one entry per element that names (a heading named twice is one name)
        for source, text, what in entries:
            distinct.setdefault(source, (text, what))
        seen = []
        for text, what in distinct.values():
            for other_text, other in seen:
                if nearly_repeats(text, other_text):
                    problems.append(f"in a {section.tag}, {what} repeats {other}")
            seen.append((text, what))
    return problems


def table_head(table: Element) -> str:
    return " | ".join(th.text() for th in table.descendants() if th.tag == "th")[:80]


@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_each_section_of_a_page_kind_has_one_name(kind, client, content, request):
    prepare_page(kind, request)
    response = client.get(PAGE_KINDS[kind])
    assert response.status_code in (200, 404)
    assert name_problems(response.content.decode()) == []


@pytest.mark.parametrize("path", ["/icd10/", "/icd10/M48.0/", "/icd10/13/"])
def test_the_tabular_lists_tables_have_one_name(path, client, content):
    """The chapters and the entries within a code: tables the shipped content does not show."""
    make_tree()
    body = client.get(path).content.decode()
    assert "<table" in body
    assert name_problems(body) == []


def test_a_caption_that_repeats_its_heading_is_found():
    html = """<main><h1>Payers</h1>
    <section aria-labelledby="h"><h2 id="h">CPT codes that M48.04 supports</h2>
    <div class="table-container" tabindex="0" role="group" aria-label="Table: Supported codes">
    <table><caption>CPT codes that diagnosis M48.04 supports</caption></table></div></section>
    </main>"""
    assert name_problems(html) == [
        "in a section, a caption “CPT codes that diagnosis M48.04 supports” repeats the heading "
        "“CPT codes that M48.04 supports”"
    ]


def test_a_table_labelled_by_its_heading_has_one_name():
    html = """<main><h1>Modifier QS</h1>
    <section aria-labelledby="h"><h2 id="h">CPT codes reported with QS</h2>
    <div class="table-container" tabindex="0" role="group" aria-labelledby="h">
    <table aria-labelledby="h"><tr><td>00620</td></tr></table></div></section></main>"""
    assert name_problems(html) == []


@pytest.mark.parametrize(
    "html, problem",
    [
        (
            '<main><h1>Modifiers</h1><div role="region" aria-label="Table: Modifiers">'
            "<table><caption>Modifiers</caption></table></div></main>",
            "in a main, a table’s container’s label “Table: Modifiers” repeats a caption "
            "“Modifiers”",
        ),
        (
            '<section aria-label="Sources"><h2>Where the facts come from</h2></section>',
            "a section is named “Sources” and headed “Where the facts come from”",
        ),
        (
            "<main><h1>Payers</h1><table><tr><th>Payer</th></tr></table></main>",
            "a table with no name, headed “Payer”",
        ),
        (
            '<main><h1 id="h">Payers</h1><table aria-labelledby="h"><caption>All payers</caption>'
            "</table></main>",
            "a table named both “Payers” and by its caption",
        ),
    ],
)
def test_two_names_or_none_are_found(html, problem):
    assert problem in name_problems(html)


@pytest.mark.parametrize(
    "one, other, repeats",
    [
        ("Modifiers", "Modifiers used with 00620", True),
        ("Payer coverage", "Payer coverage of 00620", True),
        ("ICD-10-CM codes", "Table: ICD-10-CM codes", True),
        ("Provider Taxonomies", "Provider taxonomies that bill 00620", True),
        ("Related codes", "Other codes of the section Anesthesia › Spine and Spinal Cord", False),
        ("The case", "Payers", False),
    ],
)
def test_nearly_repeats(one, other, repeats):
    assert nearly_repeats(one, other) is repeats
