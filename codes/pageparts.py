"""What a page makes that refers back to itself, taken apart once the page is written.

django-tables2's tables and their parts, Django's forms and their bound fields, django-filter's
filter sets and their filters each refer to one another: reference cycles, which reference
counting cannot free. Each waited, with the rows and records it held (a few hundred objects on a
table page), for Python's garbage collector, whose collections took 6-11% of a table page's time
(bench/README.md). Such an object notes itself (`made`) and says how it is taken apart
(`release()`); `written()`, around each page (codes/caching.py cached_page), releases what was
made inside it, so that all of it goes with the page (a download is written before its view
returns). Outside a page (the admin and its preview, management commands, the shell) nothing is
released."""

from contextlib import contextmanager
from contextvars import ContextVar

# What was made while a page is written, if one is.
_MADE: ContextVar[list | None] = ContextVar("page_parts", default=None)


@contextmanager
def written():
    """Release what is made inside once it ends: the page is written."""
    parts = []
    token = _MADE.set(parts)
    try:
        yield
    finally:
        _MADE.reset(token)
        for part in parts:
            part.release()


def made(part) -> None:
    """Note `part`, which has a `release()` method, as made for the page being written, if one
    is."""
    parts = _MADE.get()
    if parts is not None:
        parts.append(part)
