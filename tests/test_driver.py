"""codes/driver.py: a page's queries through the driver's cursor give what Django's cursor gives,
are seen by whoever watches the queries, and fail with Django's errors."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.transaction import TransactionManagementError

from codes import driver
from codes.models import Modifier

pytestmark = pytest.mark.django_db

SQL = (
    "SELECT code, name FROM codes_modifier WHERE code IN (%s, %s) OR name LIKE '%%zz%%' "
    "ORDER BY code"
)


def _django_rows(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_the_driver_gives_the_rows_djangos_cursor_gives(modifiers, monkeypatch):
    assert not connection.queries_logged  # so the driver's cursor answers
    expected = _django_rows(SQL, ["QS", "QK"])
    assert [code for code, _ in expected] == ["QK", "QS"]
    plain = "SELECT count(*) FROM codes_modifier WHERE name NOT LIKE '%zz%'"
    expected_plain = _django_rows(plain, None)
    with monkeypatch.context() as patched:
        patched.setattr(connection, "cursor", lambda: pytest.fail("Django's cursor was used"))
        assert driver.fetch_all(SQL, ["QS", "QK"]) == expected
        # Without parameters the SQL is passed as it is, as Django's cursor passes it.
        assert driver.fetch_all(plain, None) == expected_plain


def test_queries_are_seen_by_those_who_watch_them(modifiers, django_assert_num_queries):
    with django_assert_num_queries(1) as captured:
        rows = driver.fetch_all(SQL, ["QS", "QK"])
    assert len(rows) == 2 and "codes_modifier" in captured.captured_queries[0]["sql"]
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        assert driver.fetch_all(SQL, ["QS", "QK"]) == rows
    assert len(seen) == 1


def test_a_drivers_error_is_djangos_own():
    with pytest.raises(DatabaseError) as raised:
        driver.fetch_all("SELECT nothing FROM no_such_table WHERE x = %s", [1])
    assert type(raised.value).__module__ == "django.db.utils"


def test_a_broken_transaction_is_refused_as_djangos_cursor_refuses_it(modifiers):
    with transaction.atomic():
        transaction.set_rollback(True)
        connection.needs_rollback = True
        with pytest.raises(TransactionManagementError):
            driver.fetch_all(SQL, ["QS", "QK"])
        transaction.set_rollback(False)


@pytest.fixture
def modifiers():
    for code in ("QK", "QS"):
        Modifier.objects.update_or_create(
            code=code, defaults={"name": f"Modifier {code}", "source": "https://example.org/"}
        )
