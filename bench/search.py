"""Word search with the full ICD-10-CM set loaded: server time, and throughput against Datasette.

For each database (SQLite, PostgreSQL or both) the script builds a scratch database with the
fixtures and the whole ICD-10-CM tabular list (98,505 rows): `bench/results/search.sqlite3`, or
the PostgreSQL database `cptref_bench_search` (dropped and created, then VACUUM ANALYZE). It
reuses the one it built before if that still holds the 98,505 rows and was built from the same
migrations, import command and fixtures (`--rebuild` forces a new one). Then:

1. Server time. In a child process (DEBUG off, plain static files storage, host 127.0.0.1),
   Django's test Client requests `/search/?q=<query>` (all kinds) and
   `/search/?q=<query>&kind=icd10` (one kind) for the queries `stenosis`,
   `disc disorder myelopathy` and `fracture femur`: 20 warm-up calls each, then `--runs` calls
   each in round-robin order. Prints the median and p95 in ms against the targets of the issue
   (median under 20 ms, p95 under 50 ms).
2. Throughput against Datasette. The same ICD-10-CM rows (code and description of
   `codes_icd10code`) are exported to `bench/results/icd10.db`, where sqlite-utils enables FTS5
   over both columns (porter tokenizer, as our index). Datasette serves that file (one process,
   default settings but `default_page_size 20`) while gunicorn serves the site (`--workers` sync
   workers, 1 by default: one process against one process). Both run at the same time and are
   loaded alternately, query by query and round by round, with `wrk` if installed (else a Python
   load generator), at the same concurrency: our `/search/?q=<query>&kind=icd10` against
   Datasette's `/icd10/codes_icd10code?_search=<query>&_size=20`, both HTML pages of 20 rows.
   Prints requests/s, p50 and p99 per round and their medians per query, and the ratio of our
   requests/s to Datasette's per query and overall (median of the queries); the target of the
   issue is a ratio of at least 1.0.

Datasette and sqlite-utils are installed into a virtualenv of their own,
`bench/results/datasette-venv`, created on first use: they are not dependencies of the project.
Every server is stopped on exit, on error and on Ctrl-C. Exits 0 whatever the figures (it is a
benchmark, not a test), 1 if a page does not answer 200, 2 if the setup fails.

    make bench-search
    .venv/bin/python bench/search.py --database both --seconds 10 --rounds 3
    .venv/bin/python bench/search.py --database sqlite --workers 2 --rebuild
"""

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # import `bench` and `cptref` as packages, not bench/*.py

from bench.article_vs_minimal import (  # noqa: E402
    HOST,
    Run,
    fetch,
    free_port,
    gunicorn,
    run_python,
    run_wrk,
    server,
)
from bench.icd10 import met, percentile, print_table  # noqa: E402

QUERIES = ["stenosis", "disc disorder myelopathy", "fracture femur"]
ICD10_ROWS = 98_505
MEDIAN_MS, P95_MS = 20.0, 50.0
WARMUP_CALLS = 20
RESULTS = ROOT / "bench" / "results"
SQLITE_FILE = RESULTS / "search.sqlite3"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/cptref_bench_search"
DATASETTE_VENV = RESULTS / "datasette-venv"
DATASETTE_FILE = RESULTS / "icd10.db"  # served as /icd10/
TABLE = "codes_icd10code"
OUR_HIT = '<span class="code">'  # one per result on our results page
DATASETTE_HIT = re.compile(r'<td class="col-code type-\w+">')  # one per row on Datasette's
OUR_TOTAL = re.compile(r'id="results-heading">[^<]*<span class="n">([\d,]+)<')
DATASETTE_TOTAL = re.compile(r"([\d,]+) rows? where search matches")
NO_PAGE = 1  # exit status: a page did not answer 200
SETUP_FAILED = 2  # exit status: a command, a server or the database could not be set up


class SetupError(Exception):
    pass


class PageError(Exception):
    pass


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=int, default=10, help="length of each measured run")
    parser.add_argument("--rounds", type=int, default=3, help="measured runs per URL, alternated")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up seconds per URL")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn sync workers for ours")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent connections")
    parser.add_argument("--runs", type=int, default=200, help="timed calls per URL (server time)")
    parser.add_argument("--loader", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap per Python run")
    parser.add_argument("--rebuild", action="store_true", help="build the databases anew")
    parser.add_argument(
        "--postgres-url", default=POSTGRES_URL, help="scratch PostgreSQL database (dropped)"
    )
    parser.add_argument("--child", choices=["time", "export"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.runs < 1 or args.rounds < 1 or args.seconds < 1 or args.workers < 1:
        parser.error("--runs, --rounds, --seconds and --workers must be at least 1")
    return args


def search_path(query: str, kind: str | None = None) -> str:
    params = {"q": query, **({"kind": kind} if kind else {})}
    return "/search/?" + urllib.parse.urlencode(params)


def datasette_path(query: str) -> str:
    params = urllib.parse.urlencode({"_search": query, "_size": 20})
    return f"/{DATASETTE_FILE.stem}/{TABLE}?{params}"


# -- Databases ---------------------------------------------------------------------------------


def environment(database_url: str) -> dict[str, str]:
    """The environment of every child: this database, DEBUG off, the benchmark's settings."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_DEBUG"}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="bench.settings",  # plain static files storage, host 127.0.0.1
        DJANGO_ALLOWED_HOSTS=HOST,
        PYTHONUNBUFFERED="1",
    )
    return env


def run(command: list[str], env=None, what: str = "") -> str:
    """Run a command to completion; its output, or SetupError with its output if it fails."""
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        output = (done.stdout + done.stderr)[-3000:]
        raise SetupError(f"{what or ' '.join(command)} exited {done.returncode}:\n{output}")
    return done.stdout


def manage(env, *args: str) -> str:
    return run([sys.executable, "manage.py", *args], env, f"manage.py {' '.join(args)}")


def icd10_rows(database: str, url: str) -> int:
    """How many ICD-10-CM rows the scratch database holds; 0 if it or the table is missing."""
    try:
        if database == "sqlite":
            if not SQLITE_FILE.exists():
                return 0
            with contextlib.closing(sqlite3.connect(SQLITE_FILE)) as conn:
                return conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
        import psycopg

        with psycopg.connect(url, connect_timeout=5) as conn:
            return conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
    except Exception:  # no file, no database, no table: build it
        return 0


def recreate_postgres(url: str):
    import psycopg

    name = urllib.parse.urlsplit(url).path.lstrip("/")
    server = urllib.parse.urlsplit(url)._replace(path="/postgres").geturl()
    try:
        with psycopg.connect(server, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        raise SetupError(f"cannot create the PostgreSQL database {name}: {exc}") from exc


def fingerprint(url: str) -> str:
    """What a scratch database is built from: its URL, the migrations, the import command and
    the fixtures. A database built from other files is built anew."""
    digest = hashlib.sha256(url.encode())
    sources = [*(ROOT / "codes" / "migrations").glob("*.py"), *(ROOT / "fixtures").glob("*.json")]
    sources.append(ROOT / "codes" / "management" / "commands" / "import_icd10cm.py")
    for path in sorted(sources):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def prepare(database: str, url: str, rebuild: bool) -> str:
    """Make sure the scratch database holds the full set; say whether it was built or reused."""
    env = environment(url)
    stamp, built_from = RESULTS / f"search-{database}.built", fingerprint(url)
    same_sources = stamp.exists() and stamp.read_text() == built_from
    if not rebuild and same_sources and icd10_rows(database, url) == ICD10_ROWS:
        return "reused"
    print(f"Building the {database} database (migrate, loaddata, import_icd10cm) ...", flush=True)
    stamp.unlink(missing_ok=True)
    if database == "sqlite":
        SQLITE_FILE.unlink(missing_ok=True)
    else:
        recreate_postgres(url)
    start = time.perf_counter()
    manage(env, "migrate", "--noinput")
    fixtures = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "fixtures").glob("*.json"))
    manage(env, "loaddata", *fixtures)
    manage(env, "import_icd10cm")
    if database == "postgresql":  # as autovacuum soon would: statistics, no GIN pending list
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    rows = icd10_rows(database, url)
    if rows != ICD10_ROWS:
        raise SetupError(f"the import left {rows} ICD-10-CM rows, not {ICD10_ROWS}")
    stamp.write_text(built_from)
    return f"built in {time.perf_counter() - start:.0f} s"


# -- Children: server time and export, in a process with this database -------------------------


def child(args):
    import django

    django.setup()
    if args.child == "export":
        export_rows(Path(args.out))
    else:
        print(json.dumps(server_times(args.runs)))


def export_rows(path: Path):
    from codes.models import Icd10Code

    rows = Icd10Code.objects.order_by("code").values_list("code", "description")
    path.unlink(missing_ok=True)
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(f"CREATE TABLE {TABLE} (code TEXT PRIMARY KEY, description TEXT NOT NULL)")
        conn.executemany(f"INSERT INTO {TABLE} VALUES (?, ?)", rows.iterator(chunk_size=5000))


def server_times(runs: int) -> dict[str, list[float]]:
    """Milliseconds of each call of each URL, through the test Client."""
    from django.conf import settings
    from django.test import Client

    assert not settings.DEBUG, "DEBUG must be off"
    client = Client(HTTP_HOST=HOST)
    paths = [search_path(q, kind) for q in QUERIES for kind in (None, "icd10")]

    def get(path: str) -> float:
        start = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            print(f"{path} answered {response.status_code}, not 200", file=sys.stderr)
            sys.exit(NO_PAGE)
        if OUR_HIT not in response.content.decode():
            print(f"{path} shows no result", file=sys.stderr)
            sys.exit(NO_PAGE)
        return elapsed

    for path in paths:
        for _ in range(WARMUP_CALLS):
            get(path)
    samples = {path: [] for path in paths}
    for _ in range(runs):  # round-robin, so that background noise hits every URL alike
        for path in paths:
            samples[path].append(get(path))
    return samples


def in_child(env, *args: str) -> str:
    command = [sys.executable, str(Path(__file__).resolve()), *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode == NO_PAGE:
        raise PageError(done.stderr.strip())
    if done.returncode:
        raise SetupError(f"{' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return done.stdout


def report_server_time(label: str, samples: dict[str, list[float]], runs: int):
    rows = []
    for path, times in samples.items():
        median = statistics.median(times)
        p95 = percentile(times, 95) if len(times) > 1 else times[0]
        rows.append(
            [
                urllib.parse.unquote_plus(path),
                f"{median:.1f}",
                f"{p95:.1f}",
                f"< {MEDIAN_MS:g} / < {P95_MS:g}",
                met(median < MEDIAN_MS and p95 < P95_MS),
            ]
        )
    print_table(
        f"Server time, {label} (test Client, {runs} calls per URL after {WARMUP_CALLS} warm-up, "
        "DEBUG off, all answered 200 with results)",
        ["url", "median ms", "p95 ms", "target ms", "met"],
        rows,
        {1, 2},
    )


# -- Datasette -----------------------------------------------------------------------------------


def datasette_venv() -> Path:
    """The virtualenv with Datasette and sqlite-utils, created and filled on first use."""
    bin_dir = DATASETTE_VENV / "bin"
    if not (bin_dir / "datasette").exists() or not (bin_dir / "sqlite-utils").exists():
        print(f"Installing Datasette and sqlite-utils into {DATASETTE_VENV} ...", flush=True)
        run([sys.executable, "-m", "venv", "--clear", str(DATASETTE_VENV)], what="python -m venv")
        pip = [str(bin_dir / "python"), "-m", "pip", "install", "--quiet"]
        run([*pip, "--upgrade", "pip"], what="pip install --upgrade pip")
        run([*pip, "datasette", "sqlite-utils"], what="pip install datasette sqlite-utils")
    return bin_dir


def export_for_datasette(env, bin_dir: Path):
    """The database's ICD-10-CM rows into DATASETTE_FILE, with FTS5 over code and description."""
    in_child(env, "--child", "export", "--out", str(DATASETTE_FILE))
    command = [str(bin_dir / "sqlite-utils"), "enable-fts", str(DATASETTE_FILE), TABLE]
    run([*command, "code", "description", "--fts5", "--tokenize", "porter"], what="enable-fts")
    with contextlib.closing(sqlite3.connect(DATASETTE_FILE)) as conn:
        rows = conn.execute(f"SELECT count(*) FROM {TABLE}_fts").fetchone()[0]
    if rows != ICD10_ROWS:
        raise SetupError(f"{DATASETTE_FILE.name} has {rows} rows in its FTS index")


@contextlib.contextmanager
def datasette(bin_dir: Path, log_path: Path):
    """Serve DATASETTE_FILE on a free port of 127.0.0.1; yield the port; always stop it."""
    port = free_port()
    command = [str(bin_dir / "datasette"), "serve", str(DATASETTE_FILE), "--host", HOST]
    command += ["--port", str(port), "--setting", "default_page_size", "20"]
    try:
        with server(command, None, log_path, port, "/-/versions.json") as port:
            yield port
    except SystemExit as exc:  # server() exits with a message if Datasette does not start
        raise SetupError(str(exc)) from None


def datasette_version(bin_dir: Path) -> str:
    return run([str(bin_dir / "datasette"), "--version"]).split()[-1]  # "datasette, version X"


# -- Throughput ----------------------------------------------------------------------------------


class Page(NamedTuple):
    size: int  # bytes of the response
    shown: int  # rows on the page
    matches: int  # rows that match, as the page says


def read_page(port: int, path: str, hit: re.Pattern, total: re.Pattern) -> Page:
    """The page answers 200 and lists results, or PageError."""
    status, body = fetch(port, path, timeout=30)
    if status != 200:
        raise PageError(f"{path} answered HTTP {status}")
    html = body.decode()
    shown, said = len(hit.findall(html)), total.search(html)
    if not shown or not said:
        raise PageError(f"{path} shows no result")
    return Page(len(body), shown, int(said.group(1).replace(",", "")))


def check_pages(ours: int, theirs: int) -> dict[str, Page]:
    """Both servers' page of each query: answered 200, with results."""
    pages = {}
    for query in QUERIES:
        path = search_path(query, "icd10")
        pages[path] = read_page(ours, path, re.compile(re.escape(OUR_HIT)), OUR_TOTAL)
        path = datasette_path(query)
        pages[path] = read_page(theirs, path, DATASETTE_HIT, DATASETTE_TOTAL)
    return pages


def load(args, loader: str, ours: int, theirs: int) -> dict[str, list[Run]]:
    """Warm up every URL, then alternate measured runs: query by query, ours then Datasette."""
    measure = run_wrk if loader == "wrk" else run_python
    urls = [
        (p, path)
        for q in QUERIES
        for p, path in ((ours, search_path(q, "icd10")), (theirs, datasette_path(q)))
    ]
    for port, path in urls:
        measure(port, path, args.warmup, args.concurrency, args.max_requests)
    runs = {path: [] for _, path in urls}
    print(
        f"\n{'':<9}{'server':<11}{'query':<26}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'requests':>10}{'errors':>8}"
    )
    for number in range(1, args.rounds + 1):
        for port, path in urls:
            result = measure(port, path, args.seconds, args.concurrency, args.max_requests)
            runs[path].append(result)
            server = "ours" if port == ours else "Datasette"
            print(
                f"{f'round {number}':<9}{server:<11}{query_of(path):<26}" + figures(result),
                flush=True,
            )
    return runs


def query_of(path: str) -> str:
    params = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    return (params.get("q") or params.get("_search"))[0]


def figures(run: Run) -> str:
    return (
        f"{run.rps:>9.1f}{run.p50 * 1e3:>9.2f}{run.p99 * 1e3:>9.2f}"
        f"{run.requests:>10}{run.errors:>8}"
    )


def median_run(results: list[Run]) -> Run:
    return Run(
        *(statistics.median(getattr(r, f) for r in results) for f in ("rps", "p50", "p99")),
        sum(r.requests for r in results),
        sum(r.errors for r in results),
    )


THROUGHPUT_COLUMNS = "query server req/s p50_ms p99_ms bytes rows matches errors ours/DS"


def report_throughput(runs: dict[str, list[Run]], pages: dict[str, Page]):
    rows, ratios = [], []
    for query in QUERIES:
        ours = median_run(runs[search_path(query, "icd10")])
        theirs = median_run(runs[datasette_path(query)])
        ratio = ours.rps / theirs.rps if theirs.rps else float("nan")
        ratios.append(ratio)
        for who, path, result in (
            ("ours", search_path(query, "icd10"), ours),
            ("Datasette", datasette_path(query), theirs),
        ):
            page = pages[path]
            rows.append(
                [
                    query if who == "ours" else "",
                    who,
                    f"{result.rps:.1f}",
                    f"{result.p50 * 1e3:.2f}",
                    f"{result.p99 * 1e3:.2f}",
                    str(page.size),
                    str(page.shown),
                    str(page.matches),
                    str(result.errors),
                    f"{ratio:.2f}" if who == "ours" else "",
                ]
            )
    print_table(
        "Medians of the rounds (bytes, rows shown and matches: one response; "
        "ours ranks the matches, Datasette lists them in code order)",
        [c.replace("_", " ") for c in THROUGHPUT_COLUMNS.split()],
        rows,
        {2, 3, 4, 5, 6, 7, 8, 9},
    )
    overall = statistics.median(ratios)
    slower = [f"{q} ({r:.3f})" for q, r in zip(QUERIES, ratios, strict=True) if r < 1.0]
    print(
        f"\nratio ours/Datasette (requests/s), median of the queries: {overall:.2f} "
        f"(target >= 1.00): {met(overall >= 1.0)}"
    )
    print(f"ours at least as fast on every query: {'NO, not on ' if slower else 'yes'}", end="")
    print(", ".join(slower))


# -- Main ----------------------------------------------------------------------------------------


def bench_database(args, database: str, loader: str, bin_dir: Path, version: str):
    url = f"sqlite:///{SQLITE_FILE}" if database == "sqlite" else args.postgres_url
    shown = SQLITE_FILE.relative_to(ROOT) if database == "sqlite" else url.split("@")[-1]
    label = "SQLite" if database == "sqlite" else "PostgreSQL"
    how = prepare(database, url, args.rebuild)
    print(f"\n=== {label}: {shown}, {ICD10_ROWS} ICD-10-CM rows ({how}) ===", flush=True)
    env = environment(url)
    samples = json.loads(in_child(env, "--child", "time", "--runs", str(args.runs)))
    report_server_time(label, samples, args.runs)

    export_for_datasette(env, bin_dir)
    log_ours, log_theirs = RESULTS / "search-gunicorn.log", RESULTS / "search-datasette.log"
    with contextlib.ExitStack() as servers:
        try:
            ours = servers.enter_context(gunicorn(args.workers, env, log_ours))
        except SystemExit as exc:  # gunicorn() exits with a message if the server fails
            raise SetupError(exc.code) if isinstance(exc.code, str) else exc from None
        theirs = servers.enter_context(datasette(bin_dir, log_theirs))
        pages = check_pages(ours, theirs)
        print(
            f"\nThroughput, {label}: ours = gunicorn on {HOST}:{ours}, {args.workers} sync "
            f"worker{'s' if args.workers > 1 else ''}, /search/?q=...&kind=icd10; "
            f"Datasette {version} on {HOST}:{theirs}, one process, "
            f"{DATASETTE_FILE.relative_to(ROOT)} (FTS5, porter), "
            f"{datasette_path('...')}\nload: {loader}, {args.concurrency} connections, "
            f"{args.rounds} alternating rounds of {args.seconds} s per URL after "
            f"{args.warmup} s warm-up each"
        )
        runs = load(args, loader, ours, theirs)
    report_throughput(runs, pages)


def main():
    args = parse_args()
    if args.child:
        return child(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the servers are stopped
    loader = args.loader
    if loader == "auto":
        loader = "wrk" if shutil.which("wrk") else "python"
    elif loader == "wrk" and not shutil.which("wrk"):
        print("wrk is not installed; use --loader python", file=sys.stderr)
        sys.exit(SETUP_FAILED)
    RESULTS.mkdir(parents=True, exist_ok=True)
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    try:
        bin_dir = datasette_venv()
        version = datasette_version(bin_dir)
        print(f"Datasette: {version}; load generator: {loader}", flush=True)
        for database in databases:
            bench_database(args, database, loader, bin_dir, version)
    except PageError as exc:
        print(f"\nFAILED: {exc}", file=sys.stderr)
        sys.exit(NO_PAGE)
    except SetupError as exc:
        print(f"\nSETUP FAILED: {exc}", file=sys.stderr)
        sys.exit(SETUP_FAILED)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
