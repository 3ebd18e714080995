"""The project's URLs plus `bench/minimal/` and `bench/minimal/<n>/`, views that render a static
template: `bench_minimal.html` (bench/article_vs_minimal.py) and `bench_minimal_<n>.html`
(bench/pages.py)."""

from django.shortcuts import render
from django.urls import path

from cptref.urls import handler404
from cptref.urls import urlpatterns as project_urlpatterns

__all__ = ["handler404", "urlpatterns"]


def minimal(request, n=None):
    return render(request, "bench_minimal.html" if n is None else f"bench_minimal_{n}.html")


urlpatterns = [
    path("bench/minimal/", minimal, name="bench-minimal"),
    path("bench/minimal/<int:n>/", minimal, name="bench-minimal-n"),
    *project_urlpatterns,
]
