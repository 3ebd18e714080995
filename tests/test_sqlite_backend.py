"""cptref/sqlite: Django's SQLite backend, each statement's placeholders converted once."""

import sqlite3

import pytest
from django.db import connection
from django.db.backends.sqlite3 import base as django_sqlite
from hypothesis import given
from hypothesis import strategies as st

from cptref.sqlite import base

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's backend")


def cursors():
    raw = sqlite3.connect(":memory:")
    return raw.cursor(factory=base.SQLiteCursorWrapper), raw.cursor(
        factory=django_sqlite.SQLiteCursorWrapper
    )


@given(st.text(alphabet="%s?x' ", max_size=30))
def test_a_statement_is_converted_as_django_converts_it(query):
    ours, djangos = cursors()
    assert ours.convert_query(query) == djangos.convert_query(query)
    assert ours.convert_query(query) == djangos.convert_query(query)  # kept, the same


def test_the_site_runs_on_it_and_placeholders_and_literal_percents_work(db):
    assert connection.settings_dict["ENGINE"] == "cptref.sqlite"
    statement = "SELECT '%%s', %s, '100%%'"
    with connection.cursor() as cursor:
        for value in (1, 2):  # the second time from what was kept
            cursor.execute(statement, [value])
            assert cursor.fetchone() == ("%s", value, "100%")
        cursor.execute("SELECT %(a)s + %(b)s", {"a": 2, "b": 3})  # named: Django's own way
        assert cursor.fetchone() == (5,)
    assert base.CONVERTED[statement] == "SELECT '%s', ?, '100%'"


def test_what_is_kept_stays_bounded(monkeypatch):
    monkeypatch.setattr(base, "CONVERTED", {})
    ours, _ = cursors()
    for n in range(base.MAX_KEPT + 10):
        assert ours.convert_query(f"SELECT %s + {n}") == f"SELECT ? + {n}"
    assert 0 < len(base.CONVERTED) <= base.MAX_KEPT
