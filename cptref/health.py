"""/healthz for the load balancer and monitoring."""

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@login_not_required
@never_cache
@require_safe
def healthz(request):
    """200 "ok" when the database answers a query, 503 when it does not. Never cached, never
    behind a login, and exempt from the HTTPS redirect (settings.SECURE_REDIRECT_EXEMPT)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return HttpResponse(
            f"database unavailable: {type(exc).__name__}\n",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")
