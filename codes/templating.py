"""The Jinja2 environment of the site's pages.

The public pages use Jinja2 because the article page must render fast without a page cache
(bench/README.md): Jinja2 renders it in about 0.5 ms here (2026-12, Markdown cached), where
Django's template language took about four times as long when both were measured. The admin and
django-tables2's table template stay in Django's language (templates/django/). Autoescaping is
on; the filters below are Django's own, so text is escaped exactly as Django would, but for
`markdown` and `markdown_note`: the only ones that mark editors' text safe, once nh3 has
sanitized it (codes/markup.py).
"""

from functools import lru_cache

from django.template import defaultfilters
from django.templatetags.static import static
from jinja2 import Environment

from . import markup
from .paths import code_url


def environment(**options) -> Environment:
    env = Environment(**options)
    # A static file's URL is fixed once collectstatic has run.
    env.globals.update(url=code_url, static=lru_cache(maxsize=64)(static))
    env.filters.update(
        date=defaultfilters.date,
        urlize=defaultfilters.urlize,
        markdown=markup.render,  # {{ section.body|markdown(3) }}: its headings start at <h3>
        markdown_note=markup.render_note,
        number="{:,}".format,  # 2,995
    )
    return env
