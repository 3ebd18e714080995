"""A page's queries through the database driver's own cursor.

Django's cursor wraps the driver's: it opens the connection if needed, checks the thread and the
transaction, logs the query under DEBUG, calls the execute wrappers, translates errors and, on
SQLite, rewrites the SQL's %s into ? at every call (a regular expression over the whole
statement). For the few small queries of a page that took longer than the queries themselves:
on this project's machine 75 µs through Django's cursor against 29 µs through the driver's for
a record by its code (2026-12, measured in-process). Here the same checks are
made once, the SQL is rewritten once per statement, and the driver's cursor runs it.

Django's cursor is still used whenever someone watches the queries (DEBUG, a test counting
them, an execute wrapper), so they are all seen; errors are still Django's (OperationalError
and the rest), so the page that says the database is unavailable still answers.
"""

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

# SQL with Django's placeholders -> the SQL the SQLite driver takes (`?`): statements are
# compiled once per process (codes/statements.py), so the set is small. Bounded all the same.
_QMARK: dict[str, str] = {}
MAX_KEPT = 2048


def qmark(sql: str) -> str:
    """`sql` as Django's SQLite cursor rewrites it for the driver when given parameters."""
    try:
        return _QMARK[sql]
    except KeyError:
        pass
    if len(_QMARK) >= MAX_KEPT:
        _QMARK.clear()
    _QMARK[sql] = driver_sql = FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")
    return driver_sql


def as_given(sql: str) -> str:
    return sql


def run(work, alias: str = DEFAULT_DB_ALIAS):
    """`work(cursor, placeholders)`: with the driver's cursor, or with Django's when someone
    watches the queries; `placeholders(sql)` is SQL with parameters as this cursor takes it
    (`qmark` for the SQLite driver's)."""
    db = connections[alias]
    if db.queries_logged or db.execute_wrappers:
        with db.cursor() as django_cursor:
            return work(django_cursor, as_given)
    try:
        # The checks Django's cursor() and execute() make at every query.
        db.close_if_health_check_failed()
        if db.connection is None:
            db.ensure_connection()
        db.validate_thread_sharing()
        db.validate_no_broken_transaction()
        # On SQLite the plain cursor: Django's cursor class there only rewrites placeholders.
        sqlite = db.vendor == "sqlite"
        driver = db.connection.cursor() if sqlite else db.create_cursor()
        try:
            return work(driver, qmark if sqlite else as_given)
        finally:
            driver.close()
    except Exception:
        with db.wrap_database_errors:  # the driver's errors as Django's
            raise


def fetch_all(sql: str, params, alias: str = DEFAULT_DB_ALIAS) -> list[tuple]:
    """`cursor.execute(sql, params); cursor.fetchall()`, the SQL with Django's placeholders."""

    def work(cursor, placeholders):
        if params is None:  # as Django's cursor runs it: the SQL as it is, no parameters
            cursor.execute(sql)
        else:
            cursor.execute(placeholders(sql), params)
        return cursor.fetchall()

    return run(work, alias)
