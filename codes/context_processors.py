from functools import lru_cache

from . import kinds
from .paths import code_url, script_prefix


@lru_cache(maxsize=16)
def _links(prefix: str) -> dict:
    """The header's links under a script prefix: the same on every page while the process runs,
    so written once (they cost 21 µs a request, bench/fixed_costs.py)."""
    # Links to the kinds' pages, in the order of their menu positions (codes/kinds.py), then
    # the tools that work on them.
    pages = [(item.label, code_url(item.url_name)) for item in kinds.menu()]
    return {
        "home_url": code_url("codes:home"),
        "admin_url": code_url("admin:index"),
        "search_url": code_url("codes:search"),
        "nav": (
            *pages,
            ("Claim check", code_url("codes:check")),
            ("Look up codes", code_url("codes:lookup")),
        ),
    }


def site_nav(request):
    """The header's search and links to the code-set indexes, on every page."""
    return _links(script_prefix())  # read once for the page (codes/paths.py)
