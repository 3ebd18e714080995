from django.contrib import admin
from django.urls import include, path

from . import health

admin.site.site_header = "cptref editors"
admin.site.site_title = "cptref admin"
admin.site.index_title = "Content"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("codes.urls")),
]

handler404 = "codes.views.page_not_found"
handler500 = "cptref.errors.server_error"
