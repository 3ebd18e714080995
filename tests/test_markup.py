"""Editors' Markdown: what it may produce, and that the seed article renders as before."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse

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
    page = response.content.decode()
    return page[page.index('<div class="article-body">') : page.index("\n</article>")]


def between_tags_squeezed(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


def test_the_seed_article_renders_as_before(client, content):
    body = article_body(client.get(reverse("codes:cpt-detail", args=["00620"])))
    before = ARTICLE_BODY_BEFORE.read_text()
    assert Tokens(body).tokens == Tokens(before).tokens
    # Byte for byte, too, but for the templates' indentation between tags.
    assert between_tags_squeezed(body) == between_tags_squeezed(before)
