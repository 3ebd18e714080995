from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import health

admin.site.site_header = "cptref editors"
admin.site.site_title = "cptref admin"
admin.site.index_title = "Content"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    # Readers sign in here when the site requires a login (SITE_REQUIRE_LOGIN); editors too.
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("codes.urls")),
]

handler404 = "codes.views.page_not_found"
handler500 = "cptref.errors.server_error"
