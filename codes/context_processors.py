from . import kinds
from .paths import code_url


def _nav() -> list[tuple[str, str]]:
    # Links to the kinds' pages, in the order of their menu positions (codes/kinds.py), then
    # the tools that work on them.
    pages = [(item.label, code_url(item.url_name)) for item in kinds.menu()]
    return [
        *pages,
        ("Claim check", code_url("codes:check")),
        ("Look up codes", code_url("codes:lookup")),
    ]


def site_nav(request):
    """The header's search and links to the code-set indexes, on every page."""
    return {
        "home_url": code_url("codes:home"),
        "admin_url": code_url("admin:index"),
        "search_url": code_url("codes:search"),
        "nav": _nav(),
    }
