"""Editors' Markdown (codes/markup.py): what it may produce, that hostile text renders inert,
and that the seed article renders as before."""

import html
import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache as page_cache
from django.urls import reverse
from hypothesis import example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from markupsafe import Markup, escape

from codes import markup
from codes.models import ArticleSection, CptModifier, CptPayer, Modifier

pytestmark = pytest.mark.django_db

# The article body of /codes/00620/ as the site rendered it before section bodies, modifier
# usage, taxonomy notes, diagnosis rationales and coverage notes became Markdown.
ARTICLE_BODY_BEFORE = Path(__file__).parent / "data" / "cpt_00620_article_body.html"


class Tokens(HTMLParser):
    """A page as a browser builds it: tags with their attributes, and text, entities decoded.
    Whitespace alone between two tags (the templates' indentation) is left out."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tokens: list[tuple] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tokens.append(("<", tag, sorted(attrs)))

    def handle_endtag(self, tag):
        self.tokens.append(("</", tag))

    def handle_data(self, data):
        if self.tokens and self.tokens[-1][0] == "text":
            self.tokens[-1] = ("text", self.tokens[-1][1] + data)
        else:
            self.tokens.append(("text", data))

    def close(self):
        super().close()
        self.tokens = [t for t in self.tokens if t[0] != "text" or t[1].strip()]


def article_body(response) -> str:
    """The article's body, without the sections added after the pin (policy updates, change
    log), which hold no text of the seed."""
    page = response.content.decode()
    body = page[page.index('<div class="article-body">') : page.index("\n</article>")]
    return re.sub(r'<section id="(policy-updates|change-log)".*?</section>\n', "", body, flags=re.S)


def between_tags_squeezed(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


def test_the_seed_article_renders_as_before(client, content):
    body = article_body(client.get(reverse("codes:cpt-detail", args=["00620"])))
    before = ARTICLE_BODY_BEFORE.read_text()
    assert Tokens(body).tokens == Tokens(before).tokens
    # Byte for byte, too, but for the templates' indentation between tags.
    assert between_tags_squeezed(body) == between_tags_squeezed(before)


# What the sanitizer lets through, written out again here so that a change to codes/markup.py's
# allow-list has to change this test too.
ALLOWED = {
    "h3": set(),
    "h4": set(),
    "h5": set(),
    "h6": set(),
    "p": set(),
    "br": set(),
    "hr": set(),
    "blockquote": set(),
    "pre": set(),
    "code": set(),
    "ul": set(),
    "ol": {"start"},
    "li": set(),
    "strong": set(),
    "em": set(),
    "a": {"href", "title", "rel"},
    "div": {"class"},
    "table": {"class"},
    "thead": set(),
    "tbody": set(),
    "tr": set(),
    "th": {"scope"},
    "td": set(),
}
SAFE_SCHEMES = {"", "http", "https", "mailto"}
# What a browser ignores in a URL before reading its scheme (the URL standard's C0 controls and
# space, and tabs and newlines anywhere).
URL_JUNK = re.compile(r"^[\x00-\x20]+|[\t\n\r]")


class Inspected(HTMLParser):
    """Every tag and attribute of an HTML fragment, as a browser's parser would see them."""

    def __init__(self, fragment: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.feed(fragment)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_comment(self, data):
        self.elements.append(("!--", {}))

    def handle_decl(self, decl):
        self.elements.append(("!", {}))

    def unknown_decl(self, data):
        self.elements.append(("![", {}))

    def handle_pi(self, data):
        self.elements.append(("?", {}))


def scheme(url: str) -> str:
    return urlsplit(URL_JUNK.sub("", url)).scheme.lower()


def problems(fragment: str, allowed=ALLOWED) -> list[str]:
    """Why `fragment` is not inert: tags or attributes outside the allow-list, event handlers,
    inline styles, links to a scheme other than http, https or mailto."""
    found = []
    for tag, attrs in Inspected(fragment).elements:
        if tag not in allowed:
            found.append(f"<{tag}>")
            continue
        for name, value in attrs.items():
            if name.startswith("on") or name == "style" or name not in allowed[tag]:
                found.append(f"<{tag} {name}>")
            elif name == "href" and scheme(value or "") not in SAFE_SCHEMES:
                found.append(f"<{tag} href={value!r}>")
            elif name == "rel" and value != "noopener noreferrer":
                found.append(f"<{tag} rel={value!r}>")
    return found


def test_the_inspection_catches_what_it_must():
    assert problems('<p onclick="x">a</p>') == ["<p onclick>"]
    assert problems('<p style="color: red">a</p>') == ["<p style>"]
    assert problems("<img src=x>") == ["<img>"]
    assert problems("<script>alert(1)</script>") == ["<script>"]
    assert problems("<!-- x -->") == ["<!-->"]
    assert problems('<a href=" JaVa&#9;ScRiPt:alert(1)">x</a>') == [
        "<a href=' JaVa\\tScRiPt:alert(1)'>"
    ]
    assert problems('<a href="&#106;avascript:x">x</a>') == ["<a href='javascript:x'>"]
    assert problems('<a href="data:text/html,x">x</a>') == ["<a href='data:text/html,x'>"]
    assert problems('<a href="/codes/" rel="noopener noreferrer">x</a>') == []


# Exact HTML of what editors may write.


def test_paragraphs_and_line_breaks_render_as_plain_text_did():
    text = "<b>one</b>\nline two\r\n\r\n\n\nthree"
    assert markup.render(text) == "<p>&lt;b&gt;one&lt;/b&gt;<br>line two</p>\n<p>three</p>"


def test_emphasis_code_and_links_survive():
    text = '*em* **strong** `code` [CMS](https://www.cms.gov/ "CMS") [00620](/codes/00620/)'
    rel = 'rel="noopener noreferrer"'
    assert markup.render(text) == (
        "<p><em>em</em> <strong>strong</strong> <code>code</code> "
        f'<a href="https://www.cms.gov/" title="CMS" {rel}>CMS</a> '
        f'<a href="/codes/00620/" {rel}>00620</a></p>'
    )
    assert markup.render("<mailto:billing@example.org>") == (
        f'<p><a href="mailto:billing@example.org" {rel}>billing@example.org</a></p>'
    )


def test_lists_survive_and_an_ordered_list_keeps_its_start():
    assert markup.render("- one\n- two\n\n3. three\n4. four") == (
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
        '<ol start="3">\n<li>three</li>\n<li>four</li>\n</ol>'
    )


def test_tables_take_the_sites_look_and_lose_their_alignment():
    assert markup.render("| Payer | Units |\n|:--|--:|\n| Aetna | 3 |") == (
        '<div class="table-container">\n<table class="data">\n<thead>\n<tr>\n'
        '<th scope="col">Payer</th>\n<th scope="col">Units</th>\n</tr>\n</thead>\n<tbody>\n'
        "<tr>\n<td>Aetna</td>\n<td>3</td>\n</tr>\n</tbody>\n</table>\n</div>"
    )


def test_headings_start_below_the_section_and_never_skip_a_level():
    assert markup.render("# A\n\n### B\n\n## C") == "<h3>A</h3>\n<h4>B</h4>\n<h4>C</h4>"
    assert markup.render("## A\n\n#### B", 4) == "<h4>A</h4>\n<h5>B</h5>"
    assert markup.render("# A\n\n## B\n\n### C\n\n#### D\n\n##### E", 4) == (
        "<h4>A</h4>\n<h5>B</h5>\n<h6>C</h6>\n<h6>D</h6>\n<h6>E</h6>"
    )


def test_blockquotes_rules_and_code_blocks_survive():
    assert markup.render("> quoted\n\n---\n\n    <b>code</b>") == (
        "<blockquote>\n<p>quoted</p>\n</blockquote>\n<hr>\n"
        "<pre><code>&lt;b&gt;code&lt;/b&gt;\n</code></pre>"
    )


def test_images_show_their_alt_text_only():
    assert markup.render("See ![the CMS logo](https://www.cms.gov/logo.png).") == (
        "<p>See the CMS logo.</p>"
    )


def test_a_note_of_one_paragraph_is_bare_text_and_a_longer_one_keeps_its_blocks():
    assert markup.render_note("Report **QS** second.") == "Report <strong>QS</strong> second."
    assert markup.render_note("One.\n\nTwo.") == "<p>One.</p>\n<p>Two.</p>"
    assert markup.render_note("# Heading\n\n- item") == (
        "<p><strong>Heading</strong></p>\n<ul>\n<li>item</li>\n</ul>"
    )


def test_rendering_returns_markup_and_is_cached_per_text():
    assert isinstance(markup.render("x"), Markup) and isinstance(markup.render_note("x"), Markup)
    text = "A text rendered once per process."
    assert markup.render(text) is markup.render(text)
    assert markup.render_note(text) is markup.render_note(text)


# Hostile Markdown: each payload must render inert, as a body and as a note.

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<style>body { display: none }</style>",
    '<p style="position: fixed; inset: 0">cover the page</p>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[x](&#x6A;avascript&#x3A;alert(1))",
    "[x](java&#9;script:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](\x01javascript:alert(1))",
    "[x](\\u006aavascript:alert(1))",
    "[x](%6Aavascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    "[x](file:///etc/passwd)",
    "![x](javascript:alert(1))",
    "![x](https://tracker.example/pixel.gif)",
    '![x" onerror="alert(1)](https://a.example/x.png)',
    "[x][1]\n\n[1]: javascript:alert(1)",
    '[x][a]\n\n[a]: <javascript:alert(1)> "t"',
    "<javascript:alert(1)>",
    '<https://a.example/" onmouseover="alert(1)>',
    '[x](https://a.example/" onmouseover="alert(1))',
    '[x](https://a.example/ "t\\" onmouseover=\\"alert(1)")',
    '[x](https://a.example/`"onmouseover=alert(1)`)',
    '<a href="javascript:alert(1)">unclosed',
    "<div><p><b onmouseover=alert(1)>unclosed",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<meta http-equiv="refresh" content="0; url=javascript:alert(1)">',
    '<base href="https://evil.example/">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    "<!--><script>alert(1)</script>-->",
    "<!-- --!><script>alert(1)</script>",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<?xml-stylesheet href=javascript:alert(1)?>",
    "<body onload=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<template><script>alert(1)</script></template>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<xss id=x tabindex=1 onfocus=alert(1)></xss>",
    "*<img src=x onerror=alert(1)>*",
    "# <script>alert(1)</script>",
    "- <svg><script>alert(1)</script></svg>",
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
    "`</code><script>alert(1)</script>`",
    "    <script>alert(1)</script>",
    "\\<script>alert(1)\\</script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_markdown_renders_inert(payload):
    for rendered in (
        markup.render(payload),
        markup.render(payload, 5),
        markup.render_note(payload),
    ):
        assert problems(rendered) == []
        assert "<script" not in rendered.lower()
        # Valid as well as inert: no <a> left without its address.
        assert all("href" in attrs for tag, attrs in Inspected(rendered).elements if tag == "a")


def test_there_are_at_least_thirty_payloads():
    assert len(set(PAYLOADS)) >= 30


def test_link_addresses_are_percent_encoded_where_a_url_may_not_hold_a_character():
    rel = 'rel="noopener noreferrer"'
    assert markup.render_note('[x](<https://example.org/a b\\c"d?q=100%>)') == (
        f'<a href="https://example.org/a%20b%5Cc%22d?q=100%25" {rel}>x</a>'
    )
    assert markup.render_note("[x](/codes/00620/#clinical-context)") == (
        f'<a href="/codes/00620/#clinical-context" {rel}>x</a>'
    )
    assert markup._tidy_href("a", "href", "\x01 java\tscript:alert(1)") is None


def test_a_link_to_a_refused_address_keeps_only_its_text():
    assert markup.render_note('[x](JaVaScRiPt:alert(1) "a > b") and *[y](data:x)*') == (
        "x and <em>y</em>"
    )


MARKDOWN_AND_HTML = st.sampled_from(
    ["<", ">", "</", "/>", "=", '"', "'", "`", "&", "#", ";", ":", "(", ")", "[", "]", "!", "*"]
    + ["_", "-", "|", "\\", "\n", "\n\n", " ", "    ", "a", "x", "1", "&#", "&#x6A;", "&colon;"]
    + ["script", "img", "svg", "iframe", "style", "onerror", "onload", "src", "href", "<!--"]
    + ["-->", "javascript", "JaVaScRiPt", "data", "vbscript", "http://e.example/", "alert(1)"]
)


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.lists(MARKDOWN_AND_HTML, max_size=40).map("".join) | st.text(max_size=200))
def test_random_text_never_yields_a_disallowed_tag_or_attribute(text):
    for rendered in (markup.render.__wrapped__(text), markup.render_note.__wrapped__(text)):
        assert problems(rendered) == []


# The seed article and the shipped notes: Markdown changes nothing in them.


def shipped(model: str, *fields: str) -> list[str]:
    texts = []
    for path in sorted(Path(settings.FIXTURE_DIRS[0]).glob("*.json")):
        for record in json.loads(path.read_text()):
            if record["model"] == model:
                texts += [record["fields"].get(f) for f in fields if record["fields"].get(f)]
    return texts


def paragraphs_as_before(body: str) -> str:
    """The article page's rendering of a section body before Markdown: blocks between empty
    lines as paragraphs, escaped, line breaks as <br>."""
    blocks = body.replace("\r\n", "\n").split("\n\n")
    return "\n".join(
        f"<p>{escape(block.strip()).replace(chr(10), Markup('<br>'))}</p>"
        for block in blocks
        if block.strip()
    )


def test_every_seed_section_renders_as_its_paragraphs_did():
    bodies = shipped("codes.articlesection", "body")
    assert len(bodies) == 3
    for body in bodies:
        assert markup.render(body) == paragraphs_as_before(body)
        assert markup.render(body, 4) == paragraphs_as_before(body)


@pytest.mark.parametrize(
    "model, fields",
    [
        ("codes.cptmodifier", ["usage"]),
        ("codes.cpttaxonomy", ["note"]),
        ("codes.cptdiagnosis", ["rationale"]),
        ("codes.cptpayer", ["coverage_note"]),
        ("codes.modifier", ["description", "when_to_use", "payment_effect"]),
    ],
)
def test_every_shipped_note_renders_as_its_plain_text_did(model, fields):
    for note in shipped(model, *fields):
        assert Tokens(markup.render_note(note)).tokens == Tokens(str(escape(note))).tokens
        assert html.unescape(markup.render_note(note)) == note


# Pages: hostile text shows as text, and the rest of the page is untouched.


def page_problems(before: str, after: str) -> list[str]:
    """Tags outside the allow-list that a payload added to a page, and any event handler,
    inline style or unsafe address on the page."""
    added = Counter(tag for tag, _ in Inspected(after).elements)
    added -= Counter(tag for tag, _ in Inspected(before).elements)
    found = [f"<{tag}> added" for tag in added if tag not in ALLOWED]
    for tag, attrs in Inspected(after).elements:
        for name, value in attrs.items():
            if name.startswith("on") or name == "style":
                found.append(f"<{tag} {name}>")
            elif name in ("href", "src", "action") and scheme(value or "") not in SAFE_SCHEMES:
                found.append(f"<{tag} {name}={value!r}>")
    return found


def test_a_hostile_section_body_is_inert_on_the_article_page(client, content):
    url = reverse("codes:cpt-detail", args=["00620"])
    before = client.get(url).content.decode()
    body = "\n\n".join(PAYLOADS)
    ArticleSection.objects.filter(slug="clinical-context").update(body=body)
    response = client.get(url)
    after = response.content.decode()
    assert response.status_code == 200
    assert page_problems(before, after) == []
    assert "<script" not in after.lower() and "<iframe" not in after.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in after  # shown as the editor typed it


def test_hostile_notes_are_inert_in_the_article_tables(client, content):
    url = reverse("codes:cpt-detail", args=["00620"])
    before = client.get(url).content.decode()
    CptModifier.objects.filter(cpt__code="00620").update(usage=PAYLOADS[2])
    CptPayer.objects.filter(cpt__code="00620").update(coverage_note="[x](javascript:alert(1))")
    after = client.get(url).content.decode()
    assert page_problems(before, after) == []
    assert '<td class="wrap">&lt;img src=x onerror=alert(1)&gt;</td>' in after


def test_markdown_notes_render_on_the_modifier_and_payer_pages(client, content):
    Modifier.objects.filter(code="QS").update(
        when_to_use="Report **QS** second.\n\n- after the pricing modifier\n- never alone",
        payment_effect="<img src=x onerror=alert(1)>",
    )
    CptPayer.objects.filter(cpt__code="00620", payer__slug="aetna").update(
        coverage_note="Needs [prior authorisation](https://example.org/pa)."
    )
    CptModifier.objects.filter(cpt__code="00620", modifier__code="QS").update(usage="*Only* MAC.")
    modifier = client.get(reverse("codes:modifier-detail", args=["QS"])).content.decode()
    assert (
        "<dd><p>Report <strong>QS</strong> second.</p>\n<ul>\n<li>after the pricing modifier</li>"
        in modifier
    )
    assert "<dd>&lt;img src=x onerror=alert(1)&gt;</dd>" in modifier
    assert '<td class="wrap"><em>Only</em> MAC.</td>' in modifier
    payer = client.get(reverse("codes:payer-detail", args=["aetna"])).content.decode()
    assert (
        'Needs <a href="https://example.org/pa" rel="noopener noreferrer">prior authorisation</a>.'
        in payer
    )


def test_the_article_renders_each_text_once_per_process(client, content, monkeypatch):
    markup.render.cache_clear()
    markup.render_note.cache_clear()
    calls = []
    convert = markup._renderer.convert
    monkeypatch.setattr(
        markup._renderer, "convert", lambda *args: calls.append(args) or convert(*args)
    )
    url = reverse("codes:cpt-detail", args=["00620"])
    client.get(url)
    # Three section bodies (two more are empty), two modifier usages, two taxonomy notes, two
    # rationales; the payers have no note.
    assert len(calls) == 3 + 2 + 2 + 2
    page_cache.clear()
    client.get(url)
    assert len(calls) == 3 + 2 + 2 + 2


# Markdown that uses everything editors may write, on the pages that show it.

RICH_BODY = """Opening paragraph with *emphasis*, **strong text**, `00620` and a
line break, a [CMS link](https://www.cms.gov/ "CMS") and [the QS page](/modifiers/QS/).

# A heading

- one
- two

1. first
2. second

### A deeper heading

| Payer | Base units |
|:------|-----------:|
| Aetna | 3 |

> A quotation.

---

    indented code

![A logo](https://tracker.example/logo.png)"""
RICH_NOTE = (
    "First paragraph of a note.\n\n- a list item\n- another, with [a link](https://example.org/)"
)


@pytest.fixture
def rich_content(content):
    ArticleSection.objects.filter(slug__in=["summary-overview", "clinical-context"]).update(
        body=RICH_BODY
    )
    CptModifier.objects.filter(cpt__code="00620").update(usage=RICH_NOTE)
    CptPayer.objects.filter(cpt__code="00620").update(coverage_note=RICH_NOTE)
    Modifier.objects.filter(code="QS").update(when_to_use=RICH_NOTE, payment_effect=RICH_BODY)


def test_headings_on_a_markdown_article_never_skip_a_level(client, rich_content):
    page = client.get(reverse("codes:cpt-detail", args=["00620"])).content.decode()
    main = page[page.index("<main") : page.index("</main>")]
    levels = [int(tag[1]) for tag, _ in Inspected(main).elements if re.fullmatch(r"h[1-6]", tag)]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False))
    assert "<h3>A heading</h3>" in page and "<h4>A heading</h4>" in page  # section, subsection


@pytest.mark.browser
def test_pages_with_markdown_are_valid_html(client, rich_content, tmp_path):
    """Everything editors may write, and every hostile payload, leaves the pages valid."""
    from .test_html import check_html

    hostile = "\n\n".join(PAYLOADS)
    ArticleSection.objects.filter(slug="cpt-code-overview").update(body=hostile)
    CptPayer.objects.filter(cpt__code="00620", payer__slug="cigna-health").update(
        coverage_note=hostile
    )
    files = []
    for name, url in [
        ("article", reverse("codes:cpt-detail", args=["00620"])),
        ("modifier", reverse("codes:modifier-detail", args=["QS"])),
        ("payer", reverse("codes:payer-detail", args=["aetna"])),
    ]:
        files.append(tmp_path / f"{name}.html")
        files[-1].write_bytes(client.get(url).content)
    errors = [
        f"{m['url'].rsplit('/', 1)[-1]}:{m.get('lastLine')}: {m['message']}"
        for m in check_html(files)
        if m["type"] != "info"
    ]
    assert errors == [], "\n".join(errors)


@pytest.mark.parametrize(
    "text",
    [
        "Spinal stenosis, thoracic region",
        "a [link](http://x) and **bold**, _it_ and `code`",
        "# Heading\n> quote\n- item\n+ item\n* item\n12. item\n3) item",
        "  :---: | --- \n a | b",
        "    :---\nafter",
        "x\n\n   # late heading",
        "under_score and 2*3",
    ],
)
def test_plain_leaves_a_text_without_marks_as_it_is_and_takes_them_from_others(text):
    """markup.plain skips its patterns when the text has none of what they look for: the same
    result as running every one of them."""
    expected = text
    for pattern, replacement in markup.PLAIN:
        expected = pattern.sub(replacement, expected)
    assert markup.plain(text) == expected


@given(st.text(alphabet="ab 1.)\n\t#>-+*_`|[]():!", max_size=40))
def test_plain_is_every_pattern_whatever_the_text(text):
    expected = text
    for pattern, replacement in markup.PLAIN:
        expected = pattern.sub(replacement, expected)
    assert markup.plain(text) == expected


# What PLAIN's patterns need, as one expression: markup._marked looks for each part apart.
ANY_MARK = re.compile(r"[\[*_`|]|-{3}|^\s{0,3}(#|>|[-+]|\d+[.)])", re.M)


@given(st.text(alphabet="ab 1.)\n\r\t#>-+*_`|[]():!", max_size=40))
@example("x\n\n   # late heading")
@example("a --- b")
def test_marks_are_looked_for_part_by_part_as_one_expression_finds_them(text):
    assert markup._marked(text) == (ANY_MARK.search(text) is not None)
