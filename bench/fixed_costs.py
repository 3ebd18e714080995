"""What every page pays before and after its own work: each middleware, the context processor,
the content version read, the Content-Security-Policy header.

In this process, with Django's test client (bench.settings: DEBUG off, page cache off), on the
minimal view (`/bench/minimal/`, a static template holding the article's HTML):

- the whole request with the project's middleware, and with none: the difference is what the
  middleware costs together;
- the request with the first 1, 2, ... middleware of the stack (a later one may need an
  earlier one): each one's cost is what it adds to the stack before it;
- the site's context processor, the content version read (codes/caching.py) and the CSP
  header, each called alone.

The fastest of `--runs` rounds of 200 calls each (the least disturbed by the rest of the
machine), in µs. Exits 0 whatever the figures.

    .venv/bin/python bench/fixed_costs.py
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CALLS = 200


def best_us(call, runs: int) -> float:
    """The fastest over `runs` rounds of the mean time of one call, in µs."""
    for _ in range(20):
        call()
    rounds = []
    for _ in range(runs):
        started = time.perf_counter()
        for _ in range(CALLS):
            call()
        rounds.append((time.perf_counter() - started) / CALLS * 1e6)
    return min(rounds)


def request_us(middleware: list[str], runs: int) -> float:
    from django.test import Client, override_settings

    with override_settings(MIDDLEWARE=middleware):
        client = Client(HTTP_HOST="127.0.0.1")  # loads the middleware on its first request
        return best_us(lambda: client.get("/bench/minimal/"), runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="rounds of 200 calls per figure")
    args = parser.parse_args()
    sys.path[0] = str(ROOT)
    with tempfile.TemporaryDirectory(prefix="cptref-bench-") as tmp:
        os.environ.update(
            DJANGO_SETTINGS_MODULE="bench.settings", DJANGO_DEBUG="false", BENCH_TEMPLATE_DIR=tmp
        )
        import django

        django.setup()
        from django.conf import settings
        from django.db import connection
        from django.http import HttpResponse
        from django.test import Client, RequestFactory
        from django.utils.module_loading import import_string

        from codes.caching import current_version
        from codes.context_processors import site_nav

        html = Client(HTTP_HOST="127.0.0.1").get("/codes/00620/").content.decode()
        Path(tmp, "bench_minimal.html").write_text("{% raw %}" + html + "{% endraw %}")

        stack = list(settings.MIDDLEWARE)
        print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
        print(f"minimal view ({len(html)} bytes), fastest of {args.runs} rounds of {CALLS}\n")
        times = [request_us(stack[:end], args.runs) for end in range(len(stack) + 1)]
        bare, whole = times[0], times[-1]
        print(f"{'request, all middleware':<58}{whole:>8.0f} µs")
        print(f"{'request, no middleware':<58}{bare:>8.0f} µs")
        print(f"{'  the middleware together':<58}{whole - bare:>8.0f} µs")
        for name, before, upto in zip(stack, times[:-1], times[1:], strict=True):
            print(f"{'  ' + name:<58}{upto - before:>8.0f} µs")

        request = RequestFactory().get("/")
        alone = {
            "context processor site_nav": lambda: site_nav(request),
            "content version read": current_version,
        }
        csp_name = next(name for name in stack if "csp" in name.lower() or "Policy" in name)
        csp = import_string(csp_name)(lambda request: HttpResponse())
        alone["Content-Security-Policy header"] = lambda: csp(request)
        for name, call in alone.items():
            print(f"{name:<58}{best_us(call, args.runs):>8.1f} µs")


if __name__ == "__main__":
    main()
