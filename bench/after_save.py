"""A reader after an editor's save: what the first request of each page kind costs once the
content version has changed (every cached page and every fact kept per version starts
afresh), against the same request served from the page cache.

In a process of its own (bench.settings with BENCH_PAGE_CACHE=on and a local-memory cache, DEBUG
off; the project's database), `--saves` times: an editor's save (a modifier's note written
back unchanged through the ORM: the triggers bump the version as for any save; all inside a
transaction rolled back at the end, so the database is left as it was), then each page
once (the first request after the save), then each page again (from the page cache). Prints,
per page, the median of the first requests and of the cached ones, and the sum of the first
requests over all the pages: what one save costs the readers of the whole site, spread over the
first reader of each page. Exits 0 whatever the figures.

    .venv/bin/python bench/after_save.py
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)
from bench.client_times import run_child  # noqa: E402
from bench.pages import PAGES  # noqa: E402

CHILD = """
import json, statistics, sys, time
import django
django.setup()
from django.db import transaction
from django.test import Client
from codes.models import Modifier
paths, saves = json.loads(sys.argv[1]), int(sys.argv[2])
client = Client(HTTP_HOST="127.0.0.1")
first = {path: [] for path in paths}
cached = {path: [] for path in paths}
for path in paths:  # imports, compiled statements: what a process does once
    assert client.get(path).status_code == 200, path
with transaction.atomic():  # rolled back at the end: the database is left as it was
    for _ in range(saves):
        modifier = Modifier.objects.get(code="QS")
        modifier.save()
        for times in (first, cached):
            for path in paths:
                started = time.perf_counter()
                response = client.get(path)
                times[path].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, path
    transaction.set_rollback(True)
for path in paths:
    print(json.dumps([path, statistics.median(first[path]), statistics.median(cached[path])]))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=15, help="saves, each followed by the pages")
    args = parser.parse_args()
    paths = [path for _, path, _, _ in PAGES]
    labels = {path: label for label, path, _, _ in PAGES}
    # The page cache on, in this process's memory.
    cache = {"BENCH_PAGE_CACHE": "on", "CACHE_URL": "", "REDIS_URL": ""}
    rows = run_child(CHILD, json.dumps(paths), str(args.saves), env=cache)
    print(f"median of {args.saves} saves; ms per request\n")
    print(f"{'page':<24}{'first after a save':>20}{'from the cache':>16}")
    for path, first, cached in rows:
        print(f"{labels[path]:<24}{first:>20.2f}{cached:>16.2f}")
    total = sum(first for _, first, _ in rows)
    print(f"\nall {len(rows)} pages, first request each after one save: {total:.1f} ms")


if __name__ == "__main__":
    main()
