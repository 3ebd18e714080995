"""Dates as the pages write them: Django's `date` filter (3 Mar 2026 for "j M Y"), remembered.

The filter took 12 µs a call here (2026-12): the article writes half a dozen dates, the
conversion factor index two a row, and they are the same few days again and again. What the
filter writes depends on the value, the format, the active language and, for a date and time,
the current time zone: all four are the key.
"""

import datetime
from functools import lru_cache

from django.template import defaultfilters
from django.utils import timezone
from django.utils.translation import get_language


def date(value, format_string: str | None = None) -> str:
    """`{{ value|date(format_string) }}`: Django's filter, remembered. A date (not a date and
    time) is the same in every time zone: its key leaves the zone out (reading it took 1 µs)."""
    zone = None if type(value) is datetime.date else timezone.get_current_timezone_name()
    try:
        return _date(value, format_string, get_language(), zone)
    except TypeError:  # a value that cannot be a key (none of the site's): as Django writes it
        return defaultfilters.date(value, format_string)


@lru_cache(maxsize=4096)
def _date(value, format_string, language, zone) -> str:
    return defaultfilters.date(value, format_string)
