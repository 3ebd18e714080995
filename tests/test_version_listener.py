"""The content version listener: on PostgreSQL a cached page asks the database nothing, and still
follows every committed change; SQLite, a transaction or a lost connection fall back to the query.

Notifications are sent at commit, so these tests need a transactional database, which
pytest-django empties after each test; `serialized_rollback` puts the migrated rows back, as in
tests/test_browser.py.
"""

import os
import time

import pytest
from django.db import connection, transaction
from django.urls import reverse

from codes import version_listener
from codes.models import ArticleSection, ContentVersion
from codes.versioning import read_version

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL notifications; SQLite has none"
)

ARTICLE = reverse("codes:cpt-detail", args=["00620"])


def wait_for(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.02)


def database_version():
    return ContentVersion.objects.values_list("number", flat=True).get()


@pytest.fixture
def listener():
    """This process's listener, connected and holding the version."""
    version_listener.version(read_version)
    listener = version_listener._listener
    wait_for(lambda: listener.version is not version_listener.UNKNOWN)
    return listener


def write(body: str) -> None:
    """Commits at once: the tests run in autocommit mode."""
    ArticleSection.objects.filter(cpt__code="00620", slug="clinical-context").update(body=body)


@postgresql_only
def test_a_cached_page_asks_the_database_nothing(
    client, cpt_00620, listener, django_assert_num_queries
):
    first = client.get(ARTICLE)
    with django_assert_num_queries(0):  # no version query, no connection health check
        second = client.get(ARTICLE)
    assert second.content == first.content and second["ETag"] == first["ETag"]


@postgresql_only
def test_a_committed_change_reaches_the_cached_page(client, cpt_00620, listener):
    client.get(ARTICLE)
    before = listener.version
    write("A sentence the editor just wrote.")
    wait_for(lambda: listener.version != before)
    assert listener.version[0] == database_version()
    assert "A sentence the editor just wrote." in client.get(ARTICLE).content.decode()


@postgresql_only
def test_pages_stay_right_while_the_listener_reconnects(
    client, cpt_00620, listener, monkeypatch, caplog, django_assert_num_queries
):
    monkeypatch.setattr(version_listener, "RETRY_SECONDS", (2.0, 10))
    client.get(ARTICLE)
    backend = listener.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
    wait_for(lambda: listener.version is version_listener.UNKNOWN)

    # Disconnected, for two seconds: the page reads the version itself and sees the change.
    write("Written while the listener was away.")
    response = client.get(ARTICLE)
    assert "Written while the listener was away." in response.content.decode()
    with django_assert_num_queries(1):  # the version; the page itself from the cache
        client.get(ARTICLE)

    wait_for(lambda: listener.version is not version_listener.UNKNOWN)
    assert listener.backend_pid != backend
    assert listener.version[0] == database_version()
    # Listening again: the next change arrives as a notification.
    before = listener.version
    write("Written after it came back.")
    wait_for(lambda: listener.version != before)
    with django_assert_num_queries(2):  # the article's own two queries; no version query
        assert "Written after it came back." in client.get(ARTICLE).content.decode()
    assert caplog.text.count("Content version listener has no database connection") == 1
    assert "Content version listener connected again" in caplog.text


@postgresql_only
def test_inside_a_transaction_pages_read_the_version_and_see_its_changes(
    client, cpt_00620, listener, django_assert_num_queries
):
    client.get(ARTICLE)
    with transaction.atomic():
        with django_assert_num_queries(1):
            client.get(ARTICLE)
        write("Not committed yet.")
        # The listener knows nothing of it; the transaction's own read does.
        assert "Not committed yet." in client.get(ARTICLE).content.decode()
        transaction.set_rollback(True)
    assert "Not committed yet." not in client.get(ARTICLE).content.decode()


@postgresql_only
def test_with_the_listener_off_pages_read_the_version(
    client, cpt_00620, settings, django_assert_num_queries
):
    settings.CONTENT_VERSION_LISTENER = False
    client.get(ARTICLE)
    with django_assert_num_queries(1):
        client.get(ARTICLE)
    assert version_listener._listener is None


@postgresql_only
def test_a_forked_worker_starts_a_listener_of_its_own(listener):
    """gunicorn forks its workers: the parent's thread does not come along."""
    read, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # the worker: report, then leave without running any clean-up of the parent's
        try:
            version_listener.version(read_version)
            own = version_listener._listener
            wait_for(lambda: own.version is not version_listener.UNKNOWN)
            os.write(write_end, f"{own is not listener} {own.backend_pid}".encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read) as report:
        separate, backend = report.read().split()
    os.waitpid(child, 0)
    assert separate == "True" and int(backend) != listener.backend_pid


@postgresql_only
def test_stopping_the_listener_closes_its_session(listener):
    backend = listener.backend_pid
    version_listener.stop_listener()
    assert not listener.is_alive()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [backend])
        assert cursor.fetchone() == (0,)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own path")
def test_on_sqlite_pages_read_the_version_and_nothing_listens(
    client, cpt_00620, django_assert_num_queries
):
    client.get(ARTICLE)
    with django_assert_num_queries(1):  # the version, from the local file
        client.get(ARTICLE)
    write("Changed on SQLite.")
    assert "Changed on SQLite." in client.get(ARTICLE).content.decode()
    assert version_listener._listener is None
