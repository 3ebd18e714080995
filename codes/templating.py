"""The Jinja2 environment of the site's pages.

The public pages use Jinja2 because the article page must render fast without a page cache
(bench/README.md): Jinja2 renders it in about 0.5 ms here (2026-12, Markdown cached), where
Django's template language took about four times as long when both were measured. The admin and
django-tables2's table template stay in Django's language (templates/django/). Autoescaping is
on; the filters below are Django's own, so text is escaped exactly as Django would, but for
`markdown` and `markdown_note`: the only ones that mark editors' text safe, once nh3 has
sanitized it (codes/markup.py). A printed variable is escaped by `printed`, markupsafe's
escaping without its Markup object (PageCodeGenerator).
"""

from functools import lru_cache

from django.template import defaultfilters
from django.templatetags.static import static
from django.utils.html import escape
from django.utils.safestring import SafeString
from jinja2 import Environment
from jinja2.compiler import CodeGenerator
from markupsafe import escape as autoescape  # as the templates escape

from . import dates, markup, numbers
from .htmltext import markupsafe_text
from .models import SourceLink, source_links
from .paths import code_url, script_prefix


@lru_cache(maxsize=4096)
def source(link: SourceLink) -> SafeString:
    """One source as a page shows it: a link whose text is its address, shortened on screen
    (SourceLink.label) and whole on paper, where the stylesheet prints no other copy of it; the
    words after it; or a citation as plain text."""
    if not link.href:
        return SafeString(link.__html__())
    href = escape(link.href)
    html = (
        f'<a href="{href}" class="source-link"><span class="screen-only">{escape(link.label)}'
        f'</span><span class="print-only" hidden>{href}</span></a>'
    )
    return SafeString(f"{html} {escape(link.note)}" if link.note else html)


@lru_cache(maxsize=4096)
def sources(text: str) -> SafeString:
    """A source text as links, separated by "; ": remembered, since an estimate cites the same
    few sources on every page."""
    return SafeString("; ".join(source(link) for link in source_links(text)))


def figure(step) -> str:
    """The figure of an estimate's step (codes/payment.py Step) as readers read it."""
    if step.value is None:
        return "—"
    if step.unit == "$":
        return numbers.money(step.value)
    if step.unit == "$ per unit":
        return numbers.rate(step.value)
    return numbers.units(step.value)


def tabular_notes(code: str, groups) -> SafeString:
    """The tabular list's notes on the page of ICD-10-CM `code` (codes/tabular.py groups): each
    kind under its heading and what it means, each note with the codes it names linked and, for
    an inherited one, where it comes from. Written here, not in a template: the template's macros
    took a third of the page's rendering."""
    if not groups:
        return SafeString("")
    html = [
        '\n<section aria-labelledby="notes-heading" class="tabular-notes">\n'
        '<h2 id="notes-heading">Instructions of the tabular list</h2>\n'
        f"<p>What the ICD-10-CM tabular list says about {autoescape(code)}: its own notes, and"
        " those of the entries above it, which apply to everything below them (marked with where"
        " they come from).</p>\n"
    ]
    for group in groups:
        kind = autoescape(group.kind)
        html.append(
            f'<section aria-labelledby="notes-{kind}" class="note-kind note-{kind}">\n'
            f'<h3 id="notes-{kind}">{autoescape(group.heading)}</h3>\n'
            f'<p class="meaning">{autoescape(group.meaning)}</p>\n<ul>\n'
        )
        for note in group.notes:
            html.append(f'<li><span class="prose-text">{_note_text(note.pieces)}</span>')
            if note.source:
                shown = f"chapter {note.source}" if note.source.isdigit() else note.source
                href = autoescape(code_url("codes:icd10-detail", note.source))
                html.append(
                    f' <span class="from">(from <a href="{href}">{autoescape(shown)}</a>)</span>'
                )
            html.append("</li>\n")
        html.append("</ul>\n</section>\n")
    html.append("</section>\n")
    return SafeString("".join(html))


def _note_text(pieces) -> str:
    """A note's text, the codes it names linked: remembered by its pieces (and the script
    prefix of its links), since a chapter's notes show on every page below it."""
    return _linked_note(pieces, script_prefix())


@lru_cache(maxsize=8192)
def _linked_note(pieces, prefix: str) -> str:
    html = []
    for piece in pieces:
        text = autoescape(piece.text)
        if piece.code:
            href = autoescape(code_url("codes:icd10-detail", piece.code))
            text = f'<a href="{href}">{text}</a>'
        html.append(text)
    return "".join(html)


def printed(value) -> str:
    """What `{{ value }}` writes into an autoescaped template: markupsafe.escape's text, without
    the Markup it wraps the text in (its result only ever joins the page's other pieces).
    escape() took 0.5-0.65 µs a variable, this 0.05-0.2: the article prints 176 of them."""
    if type(value) is str:
        return markupsafe_text(value)
    html = getattr(value, "__html__", None)
    if html is not None:
        return str(html())
    return markupsafe_text(str(value))


class PageCodeGenerator(CodeGenerator):
    """Jinja2's code generator, but for two steps, each giving the same text
    (tests/test_templating.py):

    - a variable printed into an autoescaped template is escaped by `environment.printed(...)`
      instead of markupsafe's `escape(...)`. Jinja2's own NativeCodeGenerator changes this step;
    - a block, a parent template or an included one is rendered whole and yielded as one piece:
      `yield environment.concat(...)` instead of `yield from`, through which every piece of a
      block passed up each template it extends, one generator at a time (5-6% of the article's
      and the estimator's rendering). The pages are rendered whole, never streamed."""

    def writeline(self, x: str, node=None, extra: int = 0) -> None:
        if x.startswith("yield from "):
            x = f"yield environment.concat({x.removeprefix('yield from ')})"
        super().writeline(x, node, extra)

    def _output_child_pre(self, node, frame, finalize) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            return super()._output_child_pre(node, frame, finalize)
        self.write("environment.printed(")
        if finalize.src is not None:
            self.write(finalize.src)


class PageEnvironment(Environment):
    code_generator_class = PageCodeGenerator
    printed = staticmethod(printed)


def environment(**options) -> Environment:
    env = PageEnvironment(**options)
    # A static file's URL is fixed once collectstatic has run.
    env.globals.update(
        url=code_url, static=lru_cache(maxsize=64)(static), tabular_notes=tabular_notes
    )
    env.filters.update(
        date=dates.date,  # Django's filter, remembered
        urlize=defaultfilters.urlize,
        markdown=markup.render,  # {{ section.body|markdown(3) }}: its headings start at <h3>
        markdown_note=markup.render_note,
        # Counts, money and units are written by codes/numbers.py, and only there.
        number=numbers.number,  # a count: 2,995
        money=numbers.money,  # $1,440.90
        rate=numbers.rate,  # dollars per unit: $20.4976
        units=numbers.units,  # 11.7, 10
        percent=numbers.percent,  # 50%
        source=source,  # a source (SourceLink) as a link
        sources=sources,  # a source text as links, "; " between them
        figure=figure,  # a step of an estimate: $444.80, $20.4976, 11.7
    )
    return env
