"""codes/htmltext.py: text escaped for HTML exactly as html.escape (and Django's escape) write
it, which the tables, forms and search results written in Python rely on to stay byte for byte
what Django's templates write."""

import html

from django.utils.functional import lazy
from django.utils.safestring import SafeString
from hypothesis import example, given
from hypothesis import strategies as st

from codes.htmltext import escape


@given(
    st.text(alphabet=st.sampled_from("&<>\"'#34;9x a\u00e9\u2019\ud800"), max_size=20) | st.text()
)
@example("&#34; and &#39; typed as such")
@example("\"quoted\" and 'single'")
def test_text_is_escaped_as_html_escape_escapes_it(text):
    assert escape(text) == html.escape(text)


def test_a_lazy_or_safe_string_is_escaped_as_its_text():
    label = lazy(lambda: "Tom & Jerry's", str)()
    assert escape(label) == "Tom &amp; Jerry&#x27;s"
    assert escape(SafeString('<b title="x">')) == "&lt;b title=&quot;x&quot;&gt;"
