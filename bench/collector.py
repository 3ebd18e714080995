"""The garbage collector's share of a page, with Python's default settings and with the server's
(cptref/collector.py): each in a child process of its own (bench.settings, the project's
database, DEBUG off, no page cache), `--requests` requests of each page after 100 to warm up,
timed through Django's WSGI handler (the test client). Prints the mean time of a request and the
collector's time per request, by generation, with the number of collections.

    .venv/bin/python bench/collector.py
    .venv/bin/python bench/collector.py --requests 2000 /icd10/M48.04/
"""

import argparse
import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # `bench` and `cptref` as packages

from bench.client_times import run_child  # noqa: E402

PAGES = [
    "/codes/00620/",
    "/codes/00620/estimate/?minutes=176&ps=P3&modifiers=QK+QX&payer=medicare&dos=2026-03-02",
]
CHILD = """
import gc, json, sys, time
import django
django.setup()
if sys.argv[1] == "tuned":
    from cptref import collector
    collector.tune()
from django.test import Client
client = Client(HTTP_HOST="127.0.0.1")
path, requests = sys.argv[2], int(sys.argv[3])
for _ in range(100):
    assert client.get(path).status_code == 200, path
spent, count, started = [0.0] * 3, [0] * 3, [0.0]
def timed(phase, info):
    if phase == "start":
        started[0] = time.perf_counter()
    else:
        spent[info["generation"]] += time.perf_counter() - started[0]
        count[info["generation"]] += 1
gc.callbacks.append(timed)
began = time.perf_counter()
for _ in range(requests):
    client.get(path)
mean = (time.perf_counter() - began) / requests * 1e6
print(json.dumps([mean, [s / requests * 1e6 for s in spent], count]))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("paths", nargs="*", default=PAGES)
    args = parser.parse_args()
    print(f"{'page':<40}{'collector':>10}{'mean µs':>9}{'gc µs':>7}  by generation; collections")
    for path in args.paths:
        for mode in ("default", "tuned"):
            [[mean, spent, count]] = run_child(CHILD, mode, path, str(args.requests))
            shown = path if len(path) <= 38 else path[:37] + "…"
            by_generation = " / ".join(f"{s:.1f}" for s in spent)
            print(
                f"{shown:<40}{mode:>10}{mean:>9.0f}{sum(spent):>7.1f}  {by_generation};"
                f" {count[0]} / {count[1]} / {count[2]}"
            )


if __name__ == "__main__":
    main()
