"""Who may read the site: an open intranet site by default, every page behind a sign-in with
SITE_REQUIRE_LOGIN, users named by a single-sign-on proxy in REMOTE_USER mode, and sign-in
attempts throttled by django-axes."""

import runpy
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.urls import reverse

pytestmark = pytest.mark.django_db

ARTICLE = reverse("codes:cpt-detail", args=["00620"])
LOGIN = reverse("login")
PASSWORD = "a-long-reader-password"


@pytest.fixture
def reader(db):
    return User.objects.create_user("maria", password=PASSWORD)


@pytest.fixture
def login_required(settings):
    settings.SITE_REQUIRE_LOGIN = True


def test_anyone_reads_the_site_by_default(client, content):
    response = client.get(ARTICLE)
    assert response.status_code == 200
    assert "private" not in response.headers["Cache-Control"]


@pytest.mark.parametrize(
    "url",
    [
        reverse("codes:home"),
        ARTICLE,
        reverse("codes:icd10-chapters"),
        reverse("codes:search") + "?q=spine",
        "/no/such/page/",
    ],
)
def test_with_a_login_required_anonymous_readers_go_to_the_login_page(
    client, content, login_required, url
):
    response = client.get(url)
    if url.startswith("/no/"):
        # No view, so nothing to protect: the 404 page only lists the indexes.
        assert response.status_code == 404
    else:
        assert response.status_code == 302
        assert response.url == f"{LOGIN}?next={url.replace('?', '%3F').replace('=', '%3D')}"


def test_with_a_login_required_healthz_and_the_login_page_stay_open(client, login_required):
    assert client.get("/healthz").status_code == 200
    response = client.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Sign in | cptref</title>" in html
    assert '<label for="id_username">User name</label>' in html
    assert '<label for="id_password">Password</label>' in html


def test_the_admin_keeps_its_own_login_page(client, login_required):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_a_reader_signs_in_and_comes_back_to_the_page_asked_for(
    client, content, login_required, reader
):
    response = client.post(LOGIN, {"username": "maria", "password": PASSWORD, "next": ARTICLE})
    assert response.status_code == 302
    assert response.url == ARTICLE
    response = client.get(ARTICLE)
    assert response.status_code == 200
    # Shared caches (a proxy) must not keep a page that needs a login.
    assert "private" in response.headers["Cache-Control"]


def test_a_wrong_password_is_explained_on_the_login_page(client, login_required, reader):
    response = client.post(LOGIN, {"username": "maria", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_signing_out_from_the_login_page_closes_the_site_again(
    client, content, login_required, reader
):
    client.force_login(reader)
    html = client.get(LOGIN).content.decode()
    assert "You are signed in as <strong>maria</strong>" in html
    assert f'action="{reverse("logout")}"' in html
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response.url == LOGIN
    assert client.get(ARTICLE).status_code == 302


def test_cached_pages_never_name_the_reader(client, content, login_required, reader):
    """Pages are cached whole for every reader (codes/caching.py): who is signed in shows only
    on the login page, which is not cached."""
    client.force_login(reader)
    first = client.get(ARTICLE)
    assert "maria" not in first.content.decode()
    other = User.objects.create_user("jon", password=PASSWORD)
    client.force_login(other)
    assert client.get(ARTICLE).content == first.content


def test_every_page_links_to_the_login_page_to_sign_in_or_out(client, content):
    assert f'<a href="{LOGIN}">Sign in or out</a>' in client.get(ARTICLE).content.decode()


def admin_login(client, password):
    return client.post(
        reverse("admin:login"),
        {"username": "editor", "password": password, "next": reverse("admin:index")},
    )


def test_repeated_wrong_passwords_lock_the_sign_in_with_a_clear_page(client, settings, editor):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert admin_login(client, "guess").status_code == 200  # the form again, with its error
    response = admin_login(client, "guess")
    assert response.status_code == 429
    html = response.content.decode()
    assert "<h1>Too many sign-in attempts</h1>" in html
    assert f"After {settings.AXES_FAILURE_LIMIT} wrong passwords" in html
    # Locked: even the right password is refused until the cool-off time has passed.
    assert admin_login(client, "a-long-editor-password").status_code == 429


def test_the_lock_lifts_after_the_cool_off_time(client, settings, editor):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        admin_login(client, "guess")
    assert admin_login(client, "a-long-editor-password").status_code == 429
    earlier = AccessAttempt.objects.get().attempt_time - settings.AXES_COOLOFF_TIME
    AccessAttempt.objects.update(attempt_time=earlier - timedelta(seconds=1))
    response = admin_login(client, "a-long-editor-password")
    assert response.status_code == 302
    assert response.url == reverse("admin:index")


def test_the_readers_login_page_is_throttled_too(client, settings, reader):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": "maria", "password": "guess"})
    response = client.post(LOGIN, {"username": "maria", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()


def test_one_users_lock_does_not_lock_out_colleagues_behind_the_same_address(
    client, settings, editor, reader
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        admin_login(client, "guess")
    response = client.post(LOGIN, {"username": "maria", "password": PASSWORD})
    assert response.status_code == 302


def test_behind_a_trusted_proxy_the_lock_follows_the_forwarded_client_address(
    client, settings, editor
):
    settings.BEHIND_PROXY = True
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("admin:login"),
            {"username": "editor", "password": "guess"},
            HTTP_X_FORWARDED_FOR="198.51.100.7, 10.0.0.5",
        )
    assert AccessAttempt.objects.get().ip_address == "10.0.0.5"


def remote_user_settings(monkeypatch) -> dict:
    """MIDDLEWARE and AUTHENTICATION_BACKENDS as the settings module builds them in REMOTE_USER
    mode."""
    monkeypatch.setenv("DJANGO_REMOTE_USER_HEADER", "HTTP_X_REMOTE_USER")
    monkeypatch.setenv("DJANGO_SECRET_KEY", "k")
    values = runpy.run_path(str(Path(__file__).parent.parent / "cptref" / "settings.py"))
    return {name: values[name] for name in ("MIDDLEWARE", "AUTHENTICATION_BACKENDS")}


def test_in_remote_user_mode_the_proxys_header_signs_the_reader_in(
    client, content, settings, monkeypatch
):
    for name, value in remote_user_settings(monkeypatch).items():
        setattr(settings, name, value)
    settings.REMOTE_USER_HEADER = "HTTP_X_REMOTE_USER"
    settings.SITE_REQUIRE_LOGIN = True
    response = client.get(ARTICLE, HTTP_X_REMOTE_USER="maria")
    assert response.status_code == 200
    # Known to the proxy, so a user here from the first visit on: a reader, not an editor.
    assert User.objects.get(username="maria").is_staff is False


def test_the_remote_user_header_is_ignored_unless_its_mode_is_on(client, content, login_required):
    response = client.get(ARTICLE, HTTP_X_REMOTE_USER="maria")
    assert response.status_code == 302
    assert not User.objects.filter(username="maria").exists()
