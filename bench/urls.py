"""The project's URLs plus `bench/minimal/`, a view that renders a static template."""

from django.shortcuts import render
from django.urls import path

from cptref.urls import handler404
from cptref.urls import urlpatterns as project_urlpatterns

__all__ = ["handler404", "urlpatterns"]


def minimal(request):
    return render(request, "bench_minimal.html")


urlpatterns = [path("bench/minimal/", minimal, name="bench-minimal"), *project_urlpatterns]
