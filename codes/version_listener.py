"""PostgreSQL: each process learns the content version from a notification, not a query.

Migration 0006_content_version_notify makes PostgreSQL notify channel `codes_content_version`
at the commit of every change to the version. A daemon thread per process (started on first
use, and again in each forked gunicorn worker) keeps a connection of its own that LISTENs on it
and re-reads the version (one query) after each notification, so that the cached pages
(codes/caching.py) need no database round trip at all.

While the thread is not connected the version is UNKNOWN and pages read it themselves; it
retries with growing pauses and, once back, LISTENs before it reads, so that no change falls
between the two. A change reaches the listener a few milliseconds after its commit. The thread
reads the version with the function it is given (codes/versioning.py read_version), so this
module depends on nothing of the app.
"""

import logging
import os
import threading
import time

from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger(__name__)

CHANNEL = "codes_content_version"  # migration 0006_content_version_notify
UNKNOWN = object()  # not connected: ask the database. (None is a version: the counter is empty.)
WAKE_SECONDS = 0.5  # how soon stop() is noticed
REFRESH_SECONDS = 30  # read the version now and then anyway: a missed notification cannot last
RETRY_SECONDS = (0.5, 10)  # the first pause after a connection error, doubled up to the second

_listener = None
_starting = threading.Lock()


class VersionListener(threading.Thread):
    def __init__(self, read):
        super().__init__(name="content-version-listener", daemon=True)
        self.pid = os.getpid()
        self.read = read  # read(cursor, "postgresql") -> the version
        # One tuple, replaced whole: readers in other threads need no lock.
        self.version = UNKNOWN
        self.backend_pid = None  # the PostgreSQL session, for tests and pg_stat_activity
        self._stopping = threading.Event()

    def run(self):
        pause, lost = RETRY_SECONDS[0], False
        while not self._stopping.is_set():
            database = None
            try:
                database = connections.create_connection(DEFAULT_DB_ALIAS)  # this thread's own
                database.ensure_connection()
                self._listen(database.connection, lost)
            except Exception:  # any error of the server, the network or the driver
                self.version = UNKNOWN
                if self.backend_pid is not None:  # it was connected: start the pauses over
                    pause, lost = RETRY_SECONDS[0], False
                if not lost:
                    logger.warning(
                        "Content version listener has no database connection; pages read the "
                        "version themselves until it is back",
                        exc_info=True,
                    )
                    lost = True
            finally:
                self.version = UNKNOWN
                self.backend_pid = None
                try:
                    if database is not None:
                        database.close()
                except Exception:  # the connection is broken already: nothing to give back
                    logger.warning(
                        "Content version listener: closing a broken connection failed",
                        exc_info=True,
                    )
            if lost:
                self._stopping.wait(pause)
                pause = min(pause * 2, RETRY_SECONDS[1])

    def _listen(self, conn, lost: bool) -> None:
        """LISTEN, then read, then re-read after each notification until stopped."""
        conn.execute(f"LISTEN {CHANNEL}")
        self._read(conn)
        self.backend_pid = conn.info.backend_pid
        if lost:
            logger.warning("Content version listener connected again")
        read_at = time.monotonic()
        while not self._stopping.is_set():
            # psycopg holds the connection's lock while the generator runs, so the read comes
            # after it; notifications that arrive meanwhile wait for the next call.
            notified = list(conn.notifies(timeout=WAKE_SECONDS, stop_after=1))
            if notified or time.monotonic() - read_at > REFRESH_SECONDS:
                self._read(conn)
                read_at = time.monotonic()

    def _read(self, conn) -> None:
        with conn.cursor() as cursor:
            self.version = self.read(cursor, "postgresql")

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=WAKE_SECONDS * 10)


def version(read):
    """The version this process's listener holds, (number, Unix time) or None, or UNKNOWN while
    it is not connected (or has just been started). Starts the listener on first use, reading
    the version with `read(cursor, "postgresql")`."""
    listener = _listener
    if listener is None or listener.pid != os.getpid():
        listener = _start(read)
    return listener.version


def _start(read) -> VersionListener:
    global _listener
    with _starting:
        # A forked process inherits the parent's object but not its thread: it starts its own.
        if _listener is None or _listener.pid != os.getpid():
            _listener = VersionListener(read)
            _listener.start()
        return _listener


def _after_fork_in_child() -> None:
    # The parent's thread is not copied; a lock it held at the fork would stay held.
    global _listener, _starting
    _listener, _starting = None, threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def stop_listener() -> None:
    """Stop this process's listener and close its connection (tests, before the test database
    is dropped: PostgreSQL refuses to drop a database that has sessions)."""
    global _listener
    with _starting:
        listener, _listener = _listener, None
    if listener is not None and listener.pid == os.getpid():
        listener.stop()
