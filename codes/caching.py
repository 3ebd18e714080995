"""Whole-page caching of the public pages, kept right by the content version.

Every change to the content bumps one counter in the database (`ContentVersion`, by triggers:
codes/versioning.py). A page is cached under the version it was rendered at, so the
first request after an editor's save, a bulk update or an import renders afresh; old entries are
never read again and age out of the cache. The version is also the page's ETag and its time the
Last-Modified date, so a browser that has the page gets 304 Not Modified.

On PostgreSQL each process knows the version without asking: a listener thread is notified of
every change (codes/version_listener.py), so a page served from the cache touches no database.

Pages do not depend on who reads them (no user names, no CSRF tokens), so one entry serves every
reader. When the site requires a login, responses are marked private for shared caches.
"""

import hashlib
import logging
from functools import lru_cache, wraps

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date

from . import dates, driver, pageparts, version_listener
from .paths import prefix_known
from .versioning import read_version

logger = logging.getLogger(__name__)
CACHE_SECONDS = 24 * 60 * 60  # an entry of the current version; stale ones are never read
# The headers that make a request conditional (RFC 9110 § 13.1): without any of them, Django's
# get_conditional_response has nothing to answer, and parsing their absence took 6 µs.
CONDITIONS = (
    "HTTP_IF_MATCH",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_UNMODIFIED_SINCE",
)


def current_version() -> tuple[int, float] | None:
    """(number, Unix time of the last change), or None when the counter is missing (a database
    flushed and not written since): then nothing is cached. On PostgreSQL, from the listener
    while it is connected; otherwise one query."""
    db = connections[DEFAULT_DB_ALIAS]  # `connection` looks it up at each attribute (2 µs)
    # Inside a transaction the listener may not know this connection's own uncommitted
    # changes (and tests run inside transactions that are never committed): ask.
    if db.vendor == "postgresql" and settings.CONTENT_VERSION_LISTENER and not db.in_atomic_block:
        version = version_listener.version(read_version)
        if version is not version_listener.UNKNOWN:
            return version
    # Through the driver's cursor (codes/driver.py): Django's wrapper around it took twice as
    # long as the query (on SQLite, 11 of 15 µs alone).
    return driver.run(lambda cursor, _: read_version(cursor, db.vendor))


def cached_page(view):
    """Cache a GET view's 200 responses under the content version and the full path, and answer
    conditional requests (If-None-Match, If-Modified-Since) with 304."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        # The page's links read the script prefix once (codes/paths.py), its dates the language
        # and time zone (codes/dates.py); its tables and forms are taken apart once it is
        # written (codes/pageparts.py).
        with prefix_known(), dates.known(), pageparts.written():
            return _cached(view, request, *args, **kwargs)

    return wrapper


def _cached(view, request, *args, **kwargs):
    version = current_version() if request.method in ("GET", "HEAD") else None
    request.content_state = None  # views may keep what they read under it (`state`)
    if version is None:
        return view(request, *args, **kwargs)
    request.content_state = state = version_state(version)
    etag, last_modified = f'"{state}"', int(version[1])
    if any(header in request.META for header in CONDITIONS):
        not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
        if not_modified is not None:
            return _headers(not_modified, etag, last_modified)
    address = f"{request.get_host()}{request.get_full_path()}".encode()
    key = f"page:{state}:{hashlib.sha256(address).hexdigest()}"  # any length, any bytes
    response = _cache_call(cache.get, key)
    if response is None:
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming:
            _cache_call(cache.set, key, response, CACHE_SECONDS)
    if response.status_code == 200:
        _headers(response, etag, last_modified)
    return response


def per_version(read):
    """`read()` kept for the content version `state` (request.content_state): the next call at
    the same version gets what the last one read, in this process; a new version, or an unknown
    one (None), reads afresh. For the small sets of facts a page reads whole (the estimator's
    figures, the claim check's catalog), so that they cost no query until the content changes."""
    kept = PerVersion(size=1)

    @wraps(read)
    def get(state: str | None):
        return kept.get(state, None, read)

    return get


class PerVersion:
    """Values worked out from the content, by key, kept for the content version `state` in
    this process: at most `size` of them (the oldest go first), all dropped when the version
    changes; an unknown version (None) reads afresh. For facts a page would otherwise work out
    on every request, such as the number of rows an index's filters keep (a count of 98,000
    ICD-10-CM rows takes 3 ms): the pages of a list and its other sort orders share it."""

    def __init__(self, size: int):
        self.size = size
        self.kept: tuple = (None, {})  # (state, {key: value}), swapped whole: safe across threads

    def get(self, state: str | None, key, read):
        if state is None:
            return read()
        values = self._values(state)
        try:
            return values[key]
        except KeyError:
            pass
        value = values[key] = read()
        self._trim(values)
        return value

    def get_many(self, state: str | None, keys: list, read) -> dict:
        """{key: value} of `keys`: those not kept yet read together, `read(missing keys)`
        giving {key: value} (a key it leaves out has no value, and is asked again next time)."""
        if state is None:
            return read(keys)
        values = self._values(state)
        found = {key: values[key] for key in keys if key in values}
        missing = [key for key in keys if key not in found]
        if missing:
            read_now = read(missing)
            values.update(read_now)
            found.update(read_now)
            self._trim(values)
        return found

    def _values(self, state: str) -> dict:
        kept_state, values = self.kept
        if kept_state != state:
            values = {}
            self.kept = (state, values)
        return values

    def _trim(self, values: dict) -> None:
        while len(values) > self.size:
            try:
                del values[next(iter(values))]
            except (KeyError, RuntimeError, StopIteration):  # another thread got there first
                break


def version_state(version: tuple[int, float]) -> str:
    """The version as one string: number and time. The time as well as the number: a
    rolled-back transaction or a restored backup may bring a number back, never with the same
    time."""
    number, changed = version
    return f"{number}.{int(changed * 1_000_000)}"


def _cache_call(method, *args):
    """A shared cache that is down (Redis restarting) costs speed, never the page."""
    try:
        return method(*args)
    except Exception:  # each backend raises its own errors (redis.ConnectionError, OSError...)
        logger.warning("Page cache unavailable; serving without it", exc_info=True)
        return None


def _headers(response, etag: str, last_modified: int):
    response.headers["ETag"] = etag
    response.headers["Last-Modified"] = _http_date(last_modified)
    # Browsers keep the page but ask each time; the answer is a 304 until the content changes.
    private = getattr(settings, "SITE_REQUIRE_LOGIN", False)
    if "Cache-Control" in response.headers:
        patch_cache_control(response, no_cache=True, **({"private": True} if private else {}))
    else:  # what patch_cache_control writes, without parsing a header that is not there
        response.headers["Cache-Control"] = "no-cache, private" if private else "no-cache"
    return response


@lru_cache(maxsize=8)
def _http_date(seconds: int) -> str:
    """The date of a content version in HTTP's form: the same on every page until it changes."""
    return http_date(seconds)
