"""Editors' Markdown, rendered to HTML that cannot break the page.

Article section bodies and the notes on links (modifier usage, taxonomy role, diagnosis
rationale, coverage note) and on modifiers are Markdown: paragraphs, line breaks, headings,
lists, tables, links, emphasis and code. Two steps make the HTML safe to mark safe:

1. Markdown with raw HTML turned off: `<b>` typed by an editor is text, shown as typed.
2. nh3 (ammonia) keeps only the tags and attributes below, and links only to http, https,
   mailto or a relative address, each with rel="noopener noreferrer".

Decisions:
- Headings fit the page's outline: a body under an <h2> starts its headings at <h3>, and no
  heading is more than one level below the one before it (`#`, `##` or `###` alone all give
  <h3>), up to <h6>. Notes sit in table cells and <dd>s, where a heading would cut the
  outline: there a heading is a bold paragraph.
- Images show their alt text: the site's Content-Security-Policy loads images from itself
  only, and an image from elsewhere tells its host who reads the page.
- No style attribute, so table column alignment (`:--:`) is dropped; tables get the site's
  look (class "data", a scrolling container, header cells with scope="col").
- A link to a refused address keeps its text and loses its <a>.
- A note of one paragraph comes back without its <p>, so it reads exactly as plain text did.

Rendering is cached per text: the article page renders in well under a millisecond without a
page cache (bench/README.md), and Markdown plus nh3 take longer than that for one body.
"""

import re
import threading
import xml.etree.ElementTree as etree
from functools import lru_cache
from urllib.parse import quote, urlsplit

import markdown
import nh3
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup

TAGS = {
    *("h3", "h4", "h5", "h6", "p", "br", "hr", "blockquote", "pre", "code"),
    *("ul", "ol", "li", "strong", "em", "a"),
    *("div", "table", "thead", "tbody", "tr", "th", "td"),
}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
CLASSES = {"div": {"table-container"}}
FORCED_ATTRIBUTES = {"table": {"class": "data"}, "th": {"scope": "col"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Dropped with what they hold, should such a tag ever reach the sanitizer.
DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "svg", "math"}

# A link as nh3 writes it: attributes in double quotes, a quote inside one escaped.
LINK = re.compile(r'<a((?: [a-z]+="[^"]*")*)>(.*?)</a>', re.S)

# What a browser ignores around a URL (C0 controls and space) and inside it (tabs, newlines).
URL_EDGES = "".join(map(chr, range(0x21)))
URL_BREAKS = re.compile(r"[\t\n\r]")
# Characters a URL may hold as they are; anything else is percent-encoded.
URL_SAFE = "!#$%&'()*+,/:;=?@[]~"
LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")

CACHE_SIZE = 1024  # texts; a body is a few kilobytes


class PageFit(Treeprocessor):
    """Headings, images and tables as the page needs them (see the module's docstring)."""

    def __init__(self, md, first_heading: int | None):
        super().__init__(md)
        self.first_heading = first_heading

    def run(self, root):
        previous = (self.first_heading or 0) - 1
        for element in root.iter():
            if element.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                if self.first_heading is None:
                    bold = etree.Element("strong")
                    bold.text, element.text = element.text, None
                    bold.extend(list(element))
                    element[:] = [bold]
                    element.tag = "p"
                else:
                    wanted = self.first_heading + int(element.tag[1]) - 1
                    previous = min(wanted, previous + 1, 6)
                    element.tag = f"h{previous}"
            elif element.tag == "img":
                # nh3 drops the <span> and keeps its text.
                alt = element.get("alt", "")
                element.attrib.clear()
                element.tag, element.text = "span", alt
        tables = [
            (parent, i) for parent in root.iter() for i, t in enumerate(parent) if t.tag == "table"
        ]
        for parent, i in tables:
            container = etree.Element("div", {"class": "table-container"})
            container.append(parent[i])
            container.tail, parent[i].tail = parent[i].tail, None
            parent[i] = container


class Renderer(threading.local):
    """One Markdown converter per thread and heading level: converters keep state."""

    def __init__(self):
        self.converters = {}

    def convert(self, text: str, first_heading: int | None) -> str:
        if first_heading not in self.converters:
            md = markdown.Markdown(extensions=["tables", "sane_lists", "nl2br"])
            md.preprocessors.deregister("html_block")  # raw HTML blocks: text
            md.inlinePatterns.deregister("html")  # inline tags and comments: text
            md.treeprocessors.register(PageFit(md, first_heading), "page_fit", 15)  # after inline
            self.converters[first_heading] = md
        return self.converters[first_heading].reset().convert(text)


_renderer = Renderer()


def _tidy_href(element: str, attribute: str, value: str) -> str | None:
    """A link's address as a browser reads it, percent-encoded where a URL may not hold a
    character as it is (`"`, `\\`, spaces), so that the page stays valid HTML.

    nh3 calls this after its own checks, so it must not make an address it refused: encoding
    never adds a scheme, and the scheme is checked again anyway."""
    if attribute != "href":
        return value
    url = quote(URL_BREAKS.sub("", value.strip(URL_EDGES)), safe=URL_SAFE)
    url = LONE_PERCENT.sub("%25", url)
    return url if urlsplit(url).scheme.lower() in {"", *URL_SCHEMES} else None


def _clean(html: str) -> str:
    html = nh3.clean(
        html,
        tags=TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ATTRIBUTES,
        allowed_classes=CLASSES,
        set_tag_attribute_values=FORCED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
        attribute_filter=_tidy_href,
    )
    # A link whose address nh3 refused keeps its text only: <a> with rel and no href is invalid.
    html = LINK.sub(lambda link: link[0] if ' href="' in link[1] else link[2], html)
    # nl2br writes "<br />\n"; plain text's line breaks were "<br>" alone.
    return html.replace("<br>\n", "<br>")


@lru_cache(maxsize=CACHE_SIZE)
def render(text: str, first_heading: int = 3) -> Markup:
    """`text` (Markdown) as safe HTML, its headings starting at <h{first_heading}>."""
    if not text.strip():
        return Markup("")
    return Markup(_clean(_renderer.convert(text, first_heading)))


@lru_cache(maxsize=CACHE_SIZE)
def render_note(text: str) -> Markup:
    """A short note for a table cell or a <dd>: headings become bold paragraphs, and a note of
    one paragraph loses its <p>."""
    if not text.strip():
        return Markup("")
    html = _clean(_renderer.convert(text, None))
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return Markup(html)


# Markdown's marks in a text read as plain text (search snippets): links and images keep their
# words, emphasis, code, heading, quote and table marks go.
PLAIN = [
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)?"), r"\1"),  # [words](address), cut or not
    (re.compile(r"(\*\*|__|`)"), ""),
    (re.compile(r"(?<![\w*])[*_](?=[^\s*_])|(?<=[^\s*_])[*_](?![\w*])"), ""),
    (re.compile(r"^\s{0,3}(#{1,6}|>|[-*+]|\d+[.)])\s+", re.M), ""),
    (re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$", re.M), ""),  # |---|---|
    (re.compile(r"\s*\|\s*"), " "),
]


# What each of PLAIN's patterns needs to find anything: a text without any is left as it is
# (most search snippets, descriptions of codes). Looked for one way at a time (`_marked`): one
# expression with all of them tried each at every character, 8 µs a snippet, 10 a search.
MARK_CHARACTERS = re.compile(r"[\[*_`|]")
LINE_MARK = r"\s{0,3}(#|>|[-+]|\d+[.)])"
FIRST_LINE_MARK = re.compile(LINE_MARK)
LINE_MARKS = re.compile(f"^{LINE_MARK}", re.M)


def _marked(text: str) -> bool:
    """Whether any of PLAIN's patterns may find something in `text`."""
    return (
        MARK_CHARACTERS.search(text) is not None
        or "---" in text
        or FIRST_LINE_MARK.match(text) is not None
        or ("\n" in text and LINE_MARKS.search(text) is not None)
    )


def plain(text: str) -> str:
    """`text` without its Markdown marks, for showing a piece of it as text."""
    if not text or not _marked(text):  # most search snippets are empty: a diagnosis's body
        return text
    for pattern, replacement in PLAIN:
        text = pattern.sub(replacement, text)
    return text
