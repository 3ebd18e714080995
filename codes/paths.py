"""URL reversal for code pages, remembered: a page links dozens of codes, and each `reverse()`
costs about 50 µs on this project's machine. The address of a code never changes while the process
runs; the script prefix is part of the key, so a site mounted under a sub-path stays right.
"""

from functools import lru_cache

from django.urls import get_script_prefix, reverse


@lru_cache(maxsize=8192)
def _reverse(prefix: str, name: str, args: tuple) -> str:
    return reverse(name, args=args)


def code_url(name: str, *args) -> str:
    """`reverse(name, args=args)`, remembered."""
    return _reverse(get_script_prefix(), name, args)
