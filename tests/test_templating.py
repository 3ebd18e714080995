"""The Jinja2 environment of the pages (codes/templating.py): a variable printed into an
autoescaped template is written by `printed`, which must give markupsafe.escape's text for
anything a template prints."""

from datetime import date
from decimal import Decimal

from django.template import engines
from django.utils.safestring import SafeString, mark_safe
from hypothesis import example, given
from hypothesis import strategies as st
from markupsafe import Markup, escape

from codes.models import SourceLink
from codes.templating import printed

TEXT = st.text(alphabet=st.sampled_from("<>&'\"aé 0\u2009\x00\n"), max_size=12) | st.text()
VALUES = st.one_of(
    TEXT,
    TEXT.map(Markup),
    TEXT.map(mark_safe),  # Django's SafeString
    TEXT.map(lambda text: SourceLink("https://example.org/?a=1&b=2", text, "")),  # __html__
    st.integers(),
    st.floats(allow_nan=True),
    st.decimals(allow_nan=False, places=2),
    st.dates(),
    st.booleans(),
    st.none(),
    st.lists(TEXT, max_size=3),
)


@given(VALUES)
@example("<script>alert('x') & \"y\"</script>")
@example(SafeString("<b>kept</b>"))
def test_a_printed_value_is_what_markupsafe_escape_writes(value):
    assert printed(value) == str(escape(value))


def jinja():
    return engines["jinja2"].env


def test_the_pages_templates_print_variables_through_printed():
    source = '<p title="{{ a }}">{{ b }} {{ c|upper }} {{ d }}</p>'
    assert "environment.printed(" in jinja().compile(source, raw=True)
    html = (
        jinja()
        .from_string(source)
        .render(a='"quoted"', b=SafeString("<em>safe</em>"), c="<i>", d=Decimal("1.50"))
    )
    assert html == '<p title="&#34;quoted&#34;"><em>safe</em> &lt;I&gt; 1.50</p>'


def test_a_block_is_rendered_whole_into_the_template_it_extends():
    env = jinja()
    parent = env.from_string("<main>{% block content %}{% endblock %}</main>|{{ a }}")
    child = "{% extends parent %}{% block content %}{% for n in a %}<p>{{ n }}</p>{% endfor %}"
    child += "{% include inner %}{% endblock %}"
    inner = env.from_string("<i>{{ a|length }}</i>")
    compiled = env.compile(child, raw=True)
    assert "yield from" not in compiled and "yield environment.concat(" in compiled
    html = env.from_string(child).render(parent=parent, inner=inner, a=["<1>", 2])
    assert html == "<main><p>&lt;1&gt;</p><p>2</p><i>2</i></main>|[&#39;&lt;1&gt;&#39;, 2]"


def test_a_template_that_turns_autoescape_off_prints_as_it_is():
    template = jinja().from_string("{% autoescape false %}{{ a }}{% endautoescape %}|{{ a }}")
    assert template.render(a="<b>") == "<b>|&lt;b&gt;"


def test_a_printed_date_and_none_read_as_jinja_writes_them():
    assert jinja().from_string("{{ a }} {{ b }}").render(a=date(2026, 3, 2), b=None) == (
        "2026-03-02 None"
    )
