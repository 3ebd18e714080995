"""Server times of requests through Django's test client, in a child process of their own
(bench.settings: DEBUG off, page cache off; the project's database): 10 warm-up rounds, then
`runs` rounds in round-robin order over the cases. Shared by bench/check.py, bench/lookup.py and
bench/pages.py; `run_child` also by bench/after_save.py.

`setup` is Python run in the child before the rounds, with `cases` (name -> [path, query]) in
scope: it may fill in queries from the database."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START = """
import json, statistics, sys, time
import django
django.setup()
from django.test import Client
cases, runs = json.loads(sys.argv[1]), int(sys.argv[2])
client = Client(HTTP_HOST="127.0.0.1")
"""
ROUNDS = """
times = {name: [] for name in cases}
for round in range(10 + runs):
    for name, (path, query) in cases.items():
        started = time.perf_counter()
        response = client.get(path, query)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            sys.exit(f"{name}: {response.status_code}")
        if round >= 10:
            times[name].append(elapsed)
for name, measured in times.items():
    measured.sort()
    p95 = measured[min(len(measured) - 1, int(len(measured) * 0.95))]
    print(json.dumps([name, statistics.median(measured), p95]))
"""


def measure(cases: dict, runs: int, setup: str = "") -> list[tuple[str, float, float]]:
    """(name, median ms, p95 ms) of each case; exits 1 if the child fails or a request does
    not answer 200."""
    rows = run_child(START + setup + ROUNDS, json.dumps(cases), str(runs))
    return [tuple(row) for row in rows]


def run_child(code: str, *args: str, env: dict | None = None) -> list:
    """Run `code` in a child Python with `args` (bench.settings, DEBUG off, the project importable,
    and `env` on top); the JSON of each line it prints. Exits 1 with its error if it fails."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "false",
        "PYTHONPATH": str(ROOT),
        **(env or {}),
    }
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        print(done.stderr[-3000:], file=sys.stderr)
        sys.exit(1)
    return [json.loads(line) for line in done.stdout.splitlines()]
