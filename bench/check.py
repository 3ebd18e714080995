"""How long the claim check takes (/check.json and /check/), with the full ICD-10-CM set loaded.

In a child process (bench.settings: DEBUG off, page cache off; the project's database, which
`make icd10` fills with the whole tabular list), Django's test client asks for one line (a good
one, and a bad one with a header diagnosis, two pricing modifiers and a wrong taxonomy) and for
the list of 100 lines, 10 warm-up calls each, then `--runs` calls in round-robin order. Prints
the median and p95 server time in ms against the targets (one line under 5 ms, 100 lines under
200 ms). Exits 0 whatever the figures, 1 if a request does not answer 200.

    make bench-check
    .venv/bin/python bench/check.py --runs 50
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOOD = "00620|AA P3|M48.04|207L00000X|21|Medicare|2026-03-02|176"
BAD = "00620|QK QX P3 P4 QS|M48 M54.6 M99.999|367500000X|11|Medicare|2022-06-01|0"
MIXED = "\n".join(GOOD if n % 2 else BAD for n in range(100))
CASES = {
    "one good line (page)": ("/check/", {"lines": GOOD}),
    "one good line (JSON)": ("/check.json", {"lines": GOOD}),
    "one bad line (JSON)": ("/check.json", {"lines": BAD}),
    "100 lines (JSON)": ("/check.json", {"lines": MIXED}),
    "100 lines (page)": ("/check/", {"lines": MIXED}),
}
TARGETS = {"one": 5, "100": 200}
MEASURE = """
import json, statistics, sys, time
import django
django.setup()
from django.test import Client
cases, runs = json.loads(sys.argv[1]), int(sys.argv[2])
client = Client(HTTP_HOST="127.0.0.1")
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "false",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, json.dumps(CASES), str(args.runs)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        print(done.stderr[-2000:], file=sys.stderr)
        sys.exit(1)
    print(f"{'request':<24}{'median ms':>10}{'p95 ms':>9}{'target ms':>11}")
    for row in done.stdout.splitlines():
        name, median, p95 = json.loads(row)
        target = TARGETS["100" if name.startswith("100") else "one"]
        print(f"{name:<24}{median:>10.2f}{p95:>9.2f}{target:>11}")


if __name__ == "__main__":
    main()
