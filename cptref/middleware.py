"""The project's middleware and the helpers django-axes calls."""

from django.conf import settings


def client_ip(request) -> str | None:
    """The client's address for django-axes. Behind a trusted proxy it is the last address in
    X-Forwarded-For, the one the proxy appended; earlier ones are whatever the client sent."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR")
