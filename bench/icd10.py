"""Time the full ICD-10-CM import and the ICD-10 pages with all 98,505 entries loaded.

1. Import. On a fresh temporary SQLite database (or the database given by --database-url,
   flushed after migrate) it runs `migrate` and `loaddata fixtures/*.json` (not measured), then
   `manage.py import_icd10cm` in a subprocess of its own: a small wrapper process starts the
   import as its only child and reports the child's wall time and peak RSS (RUSAGE_CHILDREN of
   the wrapper, so migrate's memory never counts). Targets: under 10 s and under 300 MB. A second
   import is then timed the same way; its summary must end with "Nothing changed."
2. Pages. In this process, with Django's test Client (DEBUG off, plain static files storage,
   host 127.0.0.1), it requests each ICD-10 page a few times to warm up, then N times in
   round-robin order and prints the median and p95 server time per page (target: median under
   50 ms), and the number of SQL queries of one request. Every page must answer 200.

Exits 0 whatever the figures: it is a benchmark, not a test. Exits 1 if a command fails or a page
does not answer 200. The project's db.sqlite3 is never used.

    .venv/bin/python bench/icd10.py
    .venv/bin/python bench/icd10.py --database-url postgres://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/icd10.py --database-url postgres://... --skip-import  # pages only
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
IMPORT_SECONDS = 10.0
IMPORT_MB = 300.0
PAGE_MS = 50.0
NOTHING_CHANGED = "Nothing changed."
PROJECT_DB = f"{ROOT}/db.sqlite3"

# Runs the command given as arguments as its only child and prints, after the child's own output,
# the child's wall time and peak RSS (ru_maxrss: KiB on Linux, bytes on macOS).
WRAPPER = """
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.call(sys.argv[1:])
seconds = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"@@bench {code} {seconds} {rss}", flush=True)
"""


class Import(NamedTuple):
    seconds: float
    peak_mb: float
    summary: str  # the last line the command printed


class Page(NamedTuple):
    label: str
    path: str
    queries: int
    median: float  # milliseconds
    p95: float  # milliseconds


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=20, help="warm-up requests per page")
    parser.add_argument(
        "--database-url",
        help="run against this database instead of a temporary SQLite file "
        "(it is flushed unless --skip-import), e.g. postgres://postgres@127.0.0.1:5432/test",
    )
    parser.add_argument(
        "--skip-import",
        action="store_true",
        help="time the pages only, on the database of --database-url as it is",
    )
    args = parser.parse_args()
    if args.skip_import and not args.database_url:
        parser.error("--skip-import needs --database-url (the database to reuse)")
    if args.requests < 1 or args.warmup < 0:
        parser.error("--requests must be at least 1 and --warmup at least 0")
    return args


def fail(message: str):
    print(f"\nFAILED: {message}", file=sys.stderr)
    sys.exit(1)


def environment(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="cptref.settings",
        DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS=HOST,
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env, *args: str) -> str:
    """Run a management command (not measured); its output, or exit 1 if it fails."""
    command = [sys.executable, "manage.py", *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        print(done.stdout + done.stderr, file=sys.stderr)
        fail(f"`manage.py {' '.join(args)}` exited {done.returncode}")
    return done.stdout


def measured_import(env) -> Import:
    """`manage.py import_icd10cm` under the wrapper: its wall time, peak RSS and summary."""
    child = [sys.executable, "manage.py", "import_icd10cm"]
    command = [sys.executable, "-c", WRAPPER, *child]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    *lines, report = done.stdout.rstrip("\n").split("\n") or [""]
    if done.returncode or not report.startswith("@@bench "):
        print(done.stdout + done.stderr, file=sys.stderr)
        fail("the import wrapper did not report")
    code, seconds, rss = report.split()[1:]
    if int(code):
        print("\n".join(lines) + done.stderr, file=sys.stderr)
        fail(f"`manage.py import_icd10cm` exited {code}")
    peak_bytes = int(rss) * (1 if sys.platform == "darwin" else 1024)
    summary = next((line.strip() for line in reversed(lines) if line.strip()), "")
    return Import(float(seconds), peak_bytes / 2**20, summary)


def prepare_and_import(database_url: str, flush: bool) -> tuple[Import, Import]:
    env = environment(database_url)
    print("Preparing the database: migrate", end="", flush=True)
    manage(env, "migrate", "--noinput")
    if flush:
        print(", flush", end="", flush=True)
        manage(env, "flush", "--noinput")
    print(", loaddata fixtures/*.json", end="", flush=True)
    fixtures = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "fixtures").glob("*.json"))
    manage(env, "loaddata", *fixtures)
    print(" (not measured)\nImporting (first run) ...", flush=True)
    first = measured_import(env)
    print("Importing (second run) ...", flush=True)
    second = measured_import(env)
    return first, second


def percentile(samples: list[float], percent: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[percent - 1]


def time_pages(database_url: str, requests: int, warmup: int) -> list[Page]:
    """Median and p95 server time of each page, with the test Client in this process."""
    os.environ.update(environment(database_url))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.db import DatabaseError, connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from codes.models import Icd10Code

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    assert not settings.DEBUG, "DEBUG must be off"
    try:
        total = Icd10Code.objects.count()
        chapter = Icd10Code.objects.get(kind=Icd10Code.Kind.CHAPTER, code="13").code
    except (DatabaseError, Icd10Code.DoesNotExist) as exc:
        fail(f"the database has no ICD-10-CM chapter 13 ({type(exc).__name__}: {exc})")
    print(f"Timing pages on {connection.vendor} with {total} ICD-10-CM entries loaded ...")
    pages = [
        ("index, first page", "/icd10/codes/"),
        (
            "index, chapter 13, billable, by -description",
            f"/icd10/codes/?chapter={chapter}&billable=true&sort=-description",
        ),
        ("index, page 1000 by description", "/icd10/codes/?page=1000&sort=description"),
        ("code M48.04", "/icd10/M48.04/"),
        ("code I10 (its notes and its block's)", "/icd10/I10/"),
        ("code S32.010A (inherited notes, 7th character)", "/icd10/S32.010A/"),
        ("category M48", "/icd10/M48/"),
        ("outer block M40-M54", "/icd10/M40-M54/"),
        ("chapter 13", "/icd10/13/"),
    ]
    client = Client(HTTP_HOST=HOST)

    def get(path: str) -> float:
        start = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            fail(f"{path} answered {response.status_code}, not 200")
        return elapsed * 1000

    queries = {}
    for _, path in pages:
        with CaptureQueriesContext(connection) as captured:
            get(path)
        queries[path] = len(captured.captured_queries)
        for _ in range(warmup):
            get(path)
    samples: dict[str, list[float]] = {path: [] for _, path in pages}
    for _ in range(requests):  # round-robin, so that background noise hits every page alike
        for _, path in pages:
            samples[path].append(get(path))
    return [
        Page(
            label,
            path,
            queries[path],
            statistics.median(samples[path]),
            percentile(samples[path], 95) if requests > 1 else samples[path][0],
        )
        for label, path in pages
    ]


def met(ok: bool) -> str:
    return "yes" if ok else "NO"


def print_table(title: str, header: list[str], rows: list[list[str]], right: set[int]):
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells):
        return "  ".join(
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    print(f"\n{title}")
    print(line(header))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row))


def report_import(database: str, first: Import, second: Import):
    unchanged = second.summary.endswith(NOTHING_CHANGED)
    rows = [
        [
            "first import, wall time",
            f"{first.seconds:.2f} s",
            f"< {IMPORT_SECONDS:g} s",
            met(first.seconds < IMPORT_SECONDS),
        ],
        [
            "first import, peak RSS",
            f"{first.peak_mb:.0f} MB",
            f"< {IMPORT_MB:g} MB",
            met(first.peak_mb < IMPORT_MB),
        ],
        ["second import, wall time", f"{second.seconds:.2f} s", "", ""],
        ["second import, peak RSS", f"{second.peak_mb:.0f} MB", "", ""],
        [
            "second import, says",
            f'"{NOTHING_CHANGED}"' if unchanged else "something changed",
            f'"{NOTHING_CHANGED}"',
            met(unchanged),
        ],
    ]
    print_table(
        f"Import of ICD-10-CM ({database}; MB = MiB)",
        ["measure", "value", "target", "met"],
        rows,
        {1},
    )
    print(f"\nfirst run:  {first.summary}")
    print(f"second run: {second.summary}")


def report_pages(database: str, pages: list[Page], requests: int, warmup: int):
    rows = [
        [
            page.label,
            page.path,
            str(page.queries),
            f"{page.median:.1f}",
            f"{page.p95:.1f}",
            f"< {PAGE_MS:g}",
            met(page.median < PAGE_MS),
        ]
        for page in pages
    ]
    print_table(
        f"Server time per page ({database}; test Client, {requests} requests per page "
        f"after {warmup} warm-up, all answered 200)",
        ["page", "path", "queries", "median ms", "p95 ms", "target", "met"],
        rows,
        {2, 3, 4},
    )


def main():
    args = parse_args()
    tmp = tempfile.mkdtemp(prefix="cptref-icd10-bench-")
    try:
        if args.database_url:
            database_url = args.database_url
            if database_url.startswith("sqlite:") and database_url.endswith(PROJECT_DB):
                fail("this benchmark never uses the project's db.sqlite3")
            database = database_url.split("@")[-1]  # no password in the output
        else:
            database_url = f"sqlite:///{tmp}/bench.sqlite3"
            database = "temporary SQLite file"
        if not args.skip_import:  # a database given by URL is not fresh: flush it
            first, second = prepare_and_import(database_url, flush=bool(args.database_url))
        pages = time_pages(database_url, args.requests, args.warmup)
        if not args.skip_import:
            report_import(database, first, second)
        report_pages(database, pages, args.requests, args.warmup)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
