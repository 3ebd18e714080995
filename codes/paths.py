"""URL reversal for code pages, remembered: a page links dozens of codes, and each `reverse()`
costs about 50 µs on this project's machine. The address of a code never changes while the process
runs; the script prefix is part of the key, so a site mounted under a sub-path stays right.

And the one canonical address of each code page: `canonical_address` redirects the forms people
type to it.
"""

import threading
from contextlib import contextmanager
from functools import wraps

from django.http import HttpResponsePermanentRedirect
from django.urls import get_script_prefix, reverse
from django.utils.encoding import iri_to_uri

# Addresses by (script prefix, URL name, arguments). A dictionary rather than lru_cache: a page
# asks for up to a few hundred, and the cache's own bookkeeping was a third of each call. Bounded:
# past its size it starts again.
_URLS: dict[tuple, str] = {}
MAX_URLS = 8192


# The script prefix, while a table is written (`prefix_known`).
_known = threading.local()


@contextmanager
def prefix_known():
    """Within it, `code_url` reads the script prefix once: get_script_prefix() reads a context
    variable through asgiref's Local (1 µs), and a table's links asked for it in every row.
    Within another, the prefix read by the outer one serves."""
    before = getattr(_known, "prefix", None)
    _known.prefix = before or get_script_prefix()
    try:
        yield
    finally:
        _known.prefix = before


def script_prefix() -> str:
    """get_script_prefix(), or the one read for the page or table being written."""
    return getattr(_known, "prefix", None) or get_script_prefix()


def code_url(name: str, *args) -> str:
    """`reverse(name, args=args)`, remembered."""
    key = (script_prefix(), name, args)
    try:
        return _URLS[key]
    except KeyError:
        pass
    if len(_URLS) >= MAX_URLS:
        _URLS.clear()
    _URLS[key] = url = reverse(name, args=args)
    return url


def canonical_address(view):
    """Answer an address a person typed (/codes/620/, /modifiers/qs/, /icd10/M4804/) with a 301
    to the canonical one, query string kept. The path converters (codes/converters.py) hand the
    view each code in its canonical form, and `reverse` writes the canonical address from it;
    an address that is not that one is redirected, before any database work."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        with prefix_known():  # and for the page, if it is the canonical one
            match = request.resolver_match
            canonical = code_url(match.view_name, *match.captured_kwargs.values())
            if request.path != canonical:
                query = request.META.get("QUERY_STRING", "")
                return HttpResponsePermanentRedirect(
                    f"{canonical}?{iri_to_uri(query)}" if query else canonical
                )
            return view(request, *args, **kwargs)

    return wrapper
