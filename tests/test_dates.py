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


def test_a_page_reads_its_language_and_time_zone_once(monkeypatch):
    """Within dates.known() (a page being written), the language and zone in force when the
    page's first date is written serve its other dates; outside, each date reads them."""
    reads = []
    real = dates.get_language

    def counted():
        reads.append(1)
        return real()

    monkeypatch.setattr(dates, "get_language", counted)
    day, moment = (
        datetime.date(2026, 3, 3),
        datetime.datetime(2026, 3, 3, 23, 30, tzinfo=datetime.UTC),
    )
    with timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")), translation.override("de"):
        with dates.known():
            written = [dates.date(day, "j M Y"), dates.date(moment, "j M Y H:i")] * 3
        assert len(reads) == 1
        assert written[0] == "3 Mär 2026" and written[:2] == written[4:]
        assert written[1] == defaultfilters.date(moment, "j M Y H:i")
        dates.date(day, "j M Y")
        dates.date(day, "j M Y")
    assert len(reads) == 3
    with dates.known():  # a page without dates reads nothing
        pass
    assert len(reads) == 3


def test_pages_write_their_dates_within_a_known_language_and_zone(client, monkeypatch, db):
    seen = []
    real = dates.known

    def known():
        seen.append(1)
        return real()

    monkeypatch.setattr(dates, "known", known)
    assert client.get("/codes/").status_code == 200
    assert seen == [1]
