"""codes/dates.py: Django's date filter, remembered, writes what the filter writes, whatever the
language and time zone in force when it is asked again."""

import datetime
import zoneinfo

from django.template import defaultfilters
from django.utils import timezone, translation

from codes import dates


def test_a_date_is_written_as_django_writes_it():
    day = datetime.date(2026, 3, 3)
    assert dates.date(day, "j M Y") == defaultfilters.date(day, "j M Y") == "3 Mar 2026"
    assert dates.date(day, "Y-m-d") == "2026-03-03"


def test_the_language_in_force_is_part_of_what_is_remembered():
    day = datetime.date(2026, 3, 3)
    assert dates.date(day, "j M Y") == "3 Mar 2026"
    with translation.override("de"):
        assert dates.date(day, "j M Y") == defaultfilters.date(day, "j M Y") == "3 Mär 2026"
    assert dates.date(day, "j M Y") == "3 Mar 2026"


def test_a_time_is_written_as_the_filter_writes_it_in_each_time_zone():
    moment = datetime.datetime(2026, 3, 3, 23, 30, tzinfo=datetime.UTC)
    for zone in ("UTC", "Asia/Tokyo", "UTC"):
        with timezone.override(zoneinfo.ZoneInfo(zone)):
            assert dates.date(moment, "j M Y H:i") == defaultfilters.date(moment, "j M Y H:i")


def test_nothing_and_values_that_are_not_dates_are_written_as_the_filter_writes_them():
    assert dates.date(None, "j M Y") == defaultfilters.date(None, "j M Y") == ""
    assert dates.date([], "j M Y") == defaultfilters.date([], "j M Y")  # not a key: not kept
