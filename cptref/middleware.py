"""The project's middleware: the Content-Security-Policy header, site-wide login, single sign-on
by proxy header, 503 pages while the database cannot be reached; and the client address that
django-axes locks sign-in on."""

import logging

from csp.utils import build_policy
from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware, RemoteUserMiddleware
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import get_template
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
DATABASE_ERRORS = (OperationalError, InterfaceError)


class ContentSecurityPolicyMiddleware:
    """The policy of settings.CONTENT_SECURITY_POLICY, written by django-csp once, when the
    process starts: the site uses no nonces and no per-view policies, so the header is the same
    on every response. django-csp's own middleware built it afresh each time (33 µs a response,
    bench/fixed_costs.py). A response that already has the header keeps it."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = build_policy()

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


class SiteLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Django's LoginRequiredMiddleware while SITE_REQUIRE_LOGIN is on: anonymous readers go to
    the login page with ?next=. Views marked `login_not_required` (the login page, /healthz)
    stay open; static files never reach the middleware (whitenoise serves them first)."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.SITE_REQUIRE_LOGIN:
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class ProxyRemoteUserMiddleware(RemoteUserMiddleware):
    """Signs in the user the single-sign-on proxy names in DJANGO_REMOTE_USER_HEADER."""

    @property
    def header(self):
        return settings.REMOTE_USER_HEADER


class DatabaseUnavailableMiddleware:
    """A view that cannot reach the database answers 503 with Retry-After, not a 500. Django
    closes the broken connection at the end of the request and opens a new one for the next, so
    the site comes back by itself with the database. cptref.errors.server_error does the same
    for an error raised before the view (reading the session)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            return database_unavailable(exception)
        return None


def database_unavailable(exception: Exception) -> HttpResponse:
    """The static 503 page: rendered without a request, so without context processors, and
    touching nothing that needs the database."""
    logger.error("Database unavailable: %s: %s", type(exception).__name__, exception)
    response = HttpResponse(get_template("503.html").render(), status=503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


def client_ip(request) -> str | None:
    """The client's address for django-axes. Behind a trusted proxy it is the last address in
    X-Forwarded-For, the one the proxy appended; earlier ones are whatever the client sent."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR")
