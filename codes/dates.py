"""Dates as the pages write them: Django's `date` filter (3 Mar 2026 for "j M Y"), remembered.

The filter took 12 µs a call here (2026-12): the article writes half a dozen dates, the
conversion factor index two a row, and they are the same few days again and again. What the
filter writes depends on the value, the format, the active language and, for a date and time,
the current time zone: all four are the key.
"""

import datetime
import threading
from contextlib import contextmanager
from functools import lru_cache

from django.template import defaultfilters
from django.utils import timezone
from django.utils.translation import get_language


def date(value, format_string: str | None = None) -> str:
    """`{{ value|date(format_string) }}`: Django's filter, remembered. A date (not a date and
    time) is the same in every time zone: its key leaves the zone out."""
    language, zone = _language_and_zone(type(value) is not datetime.date)
    try:
        return _date(value, format_string, language, zone)
    except TypeError:  # a value that cannot be a key (none of the site's): as Django writes it
        return defaultfilters.date(value, format_string)


@lru_cache(maxsize=4096)
def _date(value, format_string, language, zone) -> str:
    return defaultfilters.date(value, format_string)


# The language and time zone of the page being written (`known`), once read; None outside one.
_known = threading.local()
UNREAD = ()


@contextmanager
def known():
    """Within it, `date` reads the active language and time zone once, at the page's first
    date: each read goes through asgiref's Local, 10 µs on the bench's machine (2026-12), and
    an index writes one or two dates a row (100 reads a page of conversion factors). For a page
    being written, which activates no other language or zone meanwhile (codes/caching.py)."""
    before = getattr(_known, "locale", None)
    _known.locale = UNREAD
    try:
        yield
    finally:
        _known.locale = before


def _language_and_zone(zone_needed: bool) -> tuple[str, str | None]:
    locale = getattr(_known, "locale", None)
    if locale is None:  # outside a page: read now
        return get_language(), timezone.get_current_timezone_name() if zone_needed else None
    if locale is UNREAD:
        locale = _known.locale = (get_language(), timezone.get_current_timezone_name())
    return locale[0], locale[1] if zone_needed else None
