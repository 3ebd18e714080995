"""Ready for hosting: settings read from the environment, Django's deployment checklist, security
headers, static files, error pages, and what happens when the database goes away."""

import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import InterfaceError, OperationalError, connection
from django.db.utils import load_backend
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "cptref" / "settings.py"
ARTICLE = reverse("codes:cpt-detail", args=["00620"])
MISSING_KEY = (
    "django.core.exceptions.ImproperlyConfigured: DJANGO_SECRET_KEY is not set: give it a long "
    "random value (`make test` and `make bench` bring their own, DJANGO_DEBUG=true uses a "
    "development key)."
)
# Every variable the settings read, so that a test sees only the ones it sets.
SETTINGS_VARIABLES = [
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_CSRF_TRUSTED_ORIGINS",
    "DJANGO_HTTPS",
    "DJANGO_HSTS_SECONDS",
    "DJANGO_BEHIND_PROXY",
    "DJANGO_REMOTE_USER_HEADER",
    "DJANGO_LOGIN_FAILURE_LIMIT",
    "DJANGO_LOGIN_COOLOFF_MINUTES",
    "SITE_REQUIRE_LOGIN",
    "CACHE_URL",
    "REDIS_URL",
    "SQLITE_JOURNAL_MODE",
]


def read_settings(monkeypatch, **env) -> dict:
    """The settings module's values under `env` (and DATABASE_URL as the suite has it), read
    afresh without touching the settings of this process."""
    for name in SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """`manage.py *args` in a fresh process, with the settings variables replaced by `env`."""
    environ = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES} | env
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "cptref.example.org",
    "DJANGO_HTTPS": "true",
}


def test_a_missing_secret_key_stops_the_site_with_one_line_saying_why():
    done = manage("check", DJANGO_DEBUG="false")
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1] == MISSING_KEY


def test_debug_mode_needs_no_secret_key_so_make_run_starts(monkeypatch):
    values = read_settings(monkeypatch, DJANGO_DEBUG="true")
    assert values["DEBUG"] is True
    assert values["SECRET_KEY"].startswith("django-insecure-")


def test_debug_is_off_unless_asked_for(monkeypatch):
    assert read_settings(monkeypatch, DJANGO_SECRET_KEY="k")["DEBUG"] is False


@pytest.mark.parametrize(
    "name, value",
    [
        ("DJANGO_DEBUG", "maybe"),
        ("DJANGO_HTTPS", "sometimes"),
        ("SITE_REQUIRE_LOGIN", "please"),
        ("DJANGO_HSTS_SECONDS", "a year"),
        ("DJANGO_LOGIN_FAILURE_LIMIT", "-1"),
        ("DJANGO_CSRF_TRUSTED_ORIGINS", "cptref.example.org"),
        ("CACHE_URL", "memcached://127.0.0.1:11211"),
        ("DJANGO_REMOTE_USER_HEADER", "X-Remote-User"),
        ("DATABASE_CONN_MAX_AGE", "abc"),
        ("SQLITE_JOURNAL_MODE", "wall"),
    ],
)
def test_a_malformed_variable_stops_the_settings_naming_it(monkeypatch, name, value):
    with pytest.raises(ImproperlyConfigured, match=name):
        read_settings(monkeypatch, DJANGO_SECRET_KEY="k", **{name: value})


def test_hosts_and_trusted_origins_come_from_the_environment(monkeypatch):
    values = read_settings(
        monkeypatch,
        DJANGO_SECRET_KEY="k",
        DJANGO_ALLOWED_HOSTS="cptref.example.org, cptref",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://cptref.example.org,http://cptref:8080",
    )
    assert values["ALLOWED_HOSTS"] == ["cptref.example.org", "cptref"]
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://cptref.example.org", "http://cptref:8080"]


def test_https_settings_stay_off_on_a_plain_http_intranet(monkeypatch):
    values = read_settings(monkeypatch, DJANGO_SECRET_KEY="k")
    assert not values["SESSION_COOKIE_SECURE"]
    assert not values["CSRF_COOKIE_SECURE"]
    assert not values["SECURE_SSL_REDIRECT"]
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert "SECURE_PROXY_SSL_HEADER" not in values


def test_one_variable_turns_on_secure_cookies_hsts_and_the_https_redirect(monkeypatch):
    values = read_settings(monkeypatch, DJANGO_SECRET_KEY="k", DJANGO_HTTPS="true")
    assert values["SESSION_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]
    assert values["CSRF_COOKIE_SECURE"] and values["CSRF_COOKIE_HTTPONLY"]
    assert values["SECURE_SSL_REDIRECT"]
    assert values["SECURE_HSTS_SECONDS"] == 365 * 24 * 60 * 60


def test_the_proxys_scheme_header_is_trusted_only_when_the_proxy_is(monkeypatch):
    values = read_settings(monkeypatch, DJANGO_SECRET_KEY="k", DJANGO_BEHIND_PROXY="true")
    assert values["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")


def test_production_settings_pass_djangos_deployment_checklist():
    done = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert done.returncode == 0, done.stderr
    assert "System check identified no issues" in done.stdout


def test_the_deployment_checklist_flags_a_site_served_without_https():
    done = manage(
        "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION | {"DJANGO_HTTPS": ""}
    )
    assert done.returncode != 0
    for warning in ["security.W004", "security.W008", "security.W012", "security.W016"]:
        assert warning in done.stderr


def test_migrations_are_in_step_with_the_models():
    # Exits with status 1 when a model change has no migration.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def sqlite_file_journal(tmp_path, database: dict) -> str:
    """The journal mode of a new SQLite file opened with the settings' `database`."""
    wrapper = load_backend(database["ENGINE"]).DatabaseWrapper(
        {**connection.settings_dict, **database, "NAME": str(tmp_path / "site.sqlite3")}
    )
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            return cursor.fetchone()[0]
    finally:
        wrapper.close()


def test_an_sqlite_file_keeps_a_write_ahead_log_unless_told_otherwise(monkeypatch, tmp_path):
    for env, journal in [({}, "wal"), ({"SQLITE_JOURNAL_MODE": "delete"}, "delete")]:
        values = read_settings(
            monkeypatch, DJANGO_SECRET_KEY="k", DATABASE_URL="sqlite:///x", **env
        )
        database = values["DATABASES"]["default"]
        assert database["ENGINE"] == "cptref.sqlite"
        assert sqlite_file_journal(tmp_path, database) == journal
        (tmp_path / "site.sqlite3").unlink()


def test_a_postgresql_database_takes_no_sqlite_options(monkeypatch):
    values = read_settings(
        monkeypatch, DJANGO_SECRET_KEY="k", DATABASE_URL="postgres://u@127.0.0.1:5432/cptref"
    )
    assert "init_command" not in values["DATABASES"]["default"].get("OPTIONS", {})


def test_the_page_cache_lives_in_memory_unless_a_shared_cache_is_given(monkeypatch):
    cache = read_settings(monkeypatch, DJANGO_SECRET_KEY="k")["CACHES"]["default"]
    assert cache["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    # Whole pages are cached (codes/caching.py): Django's default of 300 entries is too few.
    assert cache["OPTIONS"]["MAX_ENTRIES"] >= 5000


def test_cache_url_wins_over_redis_url(monkeypatch):
    values = read_settings(
        monkeypatch,
        DJANGO_SECRET_KEY="k",
        CACHE_URL="redis://127.0.0.1:6379/1",
        REDIS_URL="redis://127.0.0.1:6379/2",
    )
    assert values["CACHES"]["default"]["LOCATION"] == "redis://127.0.0.1:6379/1"


def test_redis_url_gives_a_shared_cache_that_works(monkeypatch):
    config = read_settings(monkeypatch, DJANGO_SECRET_KEY="k", REDIS_URL="redis://127.0.0.1:6379/0")
    config = config["CACHES"]["default"]
    assert config["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    cache = RedisCache(config["LOCATION"], {"KEY_PREFIX": config["KEY_PREFIX"]})
    key = f"test-deploy-{secrets.token_hex(8)}"
    cache.set(key, {"page": "00620"}, 30)
    try:
        assert cache.get(key) == {"page": "00620"}
    finally:
        cache.delete(key)


def test_pages_carry_the_security_headers(client, content):
    for url in [ARTICLE, reverse("admin:login")]:
        response = client.get(url)
        assert response.status_code == 200
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "default-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Frame-Options"] == "DENY"


def test_the_sites_pages_have_no_inline_script_or_style(client, content):
    """The policy forbids them; a page that used them would break in the browser, not here."""
    for url in [reverse("codes:home"), ARTICLE, reverse("codes:search") + "?q=spine"]:
        html = client.get(url, follow=True).content.decode()
        assert "<script" not in html
        assert " style=" not in html
        assert "<style" not in html


def test_hashed_static_files_are_served_with_far_future_caching(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    hashed = static("css/site.css")
    assert not hashed.endswith("/css/site.css")  # the manifest named it by its content's hash
    response = Client().get(hashed)
    assert response.status_code == 200
    cache_control = response.headers["Cache-Control"]
    assert "immutable" in cache_control
    assert int(cache_control.split("max-age=")[1].split(",")[0]) >= 365 * 24 * 60 * 60


def test_a_wrong_host_header_gets_a_400_page_not_a_500(client):
    response = client.get(reverse("codes:home"), HTTP_HOST="intruder.example.com")
    assert response.status_code == 400
    assert "<h1>Bad request</h1>" in response.content.decode()


def test_a_forbidden_admin_page_shows_the_sites_403_page(client, editor):
    client.force_login(editor)  # an editor may not manage users
    response = client.get(reverse("admin:auth_user_changelist"))
    assert response.status_code == 403
    assert "<h1>Access denied</h1>" in response.content.decode()


def test_a_form_without_its_csrf_token_explains_what_to_do():
    response = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "x"})
    assert response.status_code == 403
    assert "The form could not be sent" in response.content.decode()


def test_server_errors_show_no_traceback_or_settings(client, monkeypatch):
    def broken(request):
        raise RuntimeError("secret detail")

    monkeypatch.setattr("codes.views.article.load", broken)
    client.raise_request_exception = False
    response = client.get(ARTICLE)
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    assert "secret detail" not in html
    assert django_settings.SECRET_KEY not in html


def test_healthz_answers_ok_in_plain_text_and_is_never_cached(client, django_assert_num_queries):
    with django_assert_num_queries(1):  # SELECT 1
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "no-store" in response.headers["Cache-Control"]


def unreachable(error):
    """A connection wrapper that fails every query as a database that went away does."""

    def execute(execute, sql, params, many, context):
        raise error("server closed the connection unexpectedly")

    return execute


def test_healthz_answers_503_while_the_database_is_unreachable(client):
    with connection.execute_wrapper(unreachable(OperationalError)):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_pages_answer_503_while_the_database_is_away_and_recover_after(client, content, error):
    assert client.get(ARTICLE).status_code == 200
    with connection.execute_wrapper(unreachable(error)):
        # The 503 page itself is rendered under the same wrapper: it needs no query.
        response = client.get(ARTICLE)
        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) > 0
        assert "no-store" in response.headers["Cache-Control"]
        assert "<h1>Temporarily unavailable</h1>" in response.content.decode()
    response = client.get(ARTICLE)
    assert response.status_code == 200
    assert "00620" in response.content.decode()


def test_a_database_error_before_the_view_is_a_503_too(client, settings, content, editor):
    # With a login required, the session is read from the database before the view runs.
    settings.SITE_REQUIRE_LOGIN = True
    client.force_login(editor)
    client.raise_request_exception = False
    with connection.execute_wrapper(unreachable(OperationalError)):
        response = client.get(ARTICLE)
    assert response.status_code == 503
    assert "<h1>Temporarily unavailable</h1>" in response.content.decode()
    assert client.get(ARTICLE).status_code == 200
