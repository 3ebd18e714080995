from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles import finders
from django.http import FileResponse
from django.urls import include, path
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from . import health

admin.site.site_header = "cptref editors"
admin.site.site_title = "cptref admin"
admin.site.index_title = "Content"


@login_not_required
@cache_control(public=True, max_age=24 * 60 * 60)
@require_safe
def favicon(request):
    """static/favicon.ico at the address browsers ask for before they read a page's
    `<link rel="icon">`. Open like the static files (whitenoise serves those before any login),
    and it touches no database."""
    return FileResponse(open(finders.find("favicon.ico"), "rb"), content_type="image/x-icon")


urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    # Readers sign in here when the site requires a login (SITE_REQUIRE_LOGIN); editors too.
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("codes.urls")),
]

handler404 = "codes.views.page_not_found"
handler500 = "cptref.errors.server_error"
