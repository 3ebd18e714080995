"""Load test: the whole site under gunicorn on PostgreSQL with the full code sets loaded.

1. A mix of page kinds (article, indexes, ICD-10-CM code pages, search) from 64 connections
   for 60 seconds, with the page cache on: requests/s, p50/p99 and the number of errors (any
   answer that is not 2xx/3xx, and socket errors or time-outs), which must be zero.
2. Each page kind alone, with the page cache on and off (Django's dummy cache): requests/s and
   p50/p99 per kind.
3. The cached article page against a minimal Django view (a static template holding the same
   HTML) under the same server, in alternating rounds: the ratio of their requests/s.

The load comes from wrk (`apt-get install wrk`) with a Lua script that cycles through each kind's
URLs. The database is built once (migrate, fixtures, import_icd10cm) and reused.

    .venv/bin/python bench/load.py                     # PostgreSQL database cptref_bench_load
    .venv/bin/python bench/load.py --seconds 20 --kind-seconds 5
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from article_vs_minimal import HEADER, HOST, ROOT, Run, fetch, gunicorn, render_article, row
from article_vs_minimal import run_wrk as wrk_run

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/cptref_bench_load"
ARTICLE = "/codes/00620/"
MINIMAL = "/bench/minimal/"
TARGET = 0.8
ICD10_ROWS = 98_505
INDEXES = [
    "/",
    "/codes/",
    "/modifiers/",
    "/taxonomies/",
    "/payers/",
    "/places-of-service/",
    "/icd10/",
    "/icd10/codes/",
    "/icd10/codes/?page=37",
    "/icd10/codes/?chapter=13&billable=true&sort=description",
    "/icd10/codes/?sort=-description&page=500",
]
SEARCHES = [
    "/search/?q=stenosis",
    "/search/?q=disc+disorder+myelopathy",
    "/search/?q=fracture+femur",
    "/search/?q=fracture+femur&kind=icd10&page=3",
    "/search/?q=stenosis+thoracic",
    "/search/?q=myelopathy&kind=icd10",
    "/search/?q=diabetes+mellitus",
    "/search/?q=monitored+anesthesia+care",
    "/search/?q=M48.0",
    "/search/?q=006",
    "/search/?q=pneumonia",
    "/search/?q=hypertension&kind=icd10&page=2",
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DATABASE_URL)
    )
    parser.add_argument("--seconds", type=int, default=60, help="length of the mixed run")
    parser.add_argument("--kind-seconds", type=int, default=15, help="length of each other run")
    parser.add_argument("--rounds", type=int, default=3, help="article/minimal rounds")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the database")
    return parser.parse_args()


def manage(env, *command):
    subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)


def build_database(url: str, rebuild: bool, env: dict) -> None:
    """Create the database with the content and the whole ICD-10-CM, unless it is there."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    server = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and rebuild:
            conn.execute(f'DROP DATABASE "{name}"')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT count(*) FROM codes_icd10code").fetchone()[0]
    except psycopg.errors.UndefinedTable:
        rows = 0
    manage(env, "migrate", "--noinput", "-v0")
    if rows < ICD10_ROWS:
        print(f"Building {name}: fixtures and the whole ICD-10-CM (about 15 s)", flush=True)
        fixtures = sorted(str(p) for p in (ROOT / "fixtures").glob("*.json"))
        manage(env, "loaddata", "-v0", *fixtures)
        manage(env, "import_icd10cm")


def icd10_pages(url: str, count: int = 300) -> list[str]:
    """Code pages spread over the whole code set."""
    import psycopg

    with psycopg.connect(url) as conn:
        codes = conn.execute(
            "SELECT code FROM codes_icd10code WHERE kind IN ('category', 'code') ORDER BY code"
        ).fetchall()
    step = max(1, len(codes) // count)
    return [f"/icd10/{code}/" for (code,) in codes[::step][:count]]


def lua_script(paths: list[str], directory: str, name: str) -> str:
    """A wrk script that sends `paths` in turn (each wrk thread keeps its own place)."""
    quoted = ",\n".join(f'  "{path}"' for path in paths)
    script = Path(directory, f"{name}.lua")
    script.write_text(
        f"local paths = {{\n{quoted}\n}}\nlocal i = 0\n"
        "request = function()\n  i = i % #paths + 1\n"
        '  return wrk.format("GET", paths[i])\nend\n'
    )
    return str(script)


def run(port, kind, paths, seconds, connections, directory) -> Run:
    script = lua_script(paths, directory, kind)
    return wrk_run(port, paths[0], seconds, connections, 0, script=script, threads=2)


def serve_and_measure(args, env, kinds, directory, cached: bool):
    env = {**env, "BENCH_PAGE_CACHE": "on" if cached else "off"}
    label = "cached" if cached else "uncached"
    results = {}
    with gunicorn(args.workers, env, Path(directory, f"gunicorn-{label}.log")) as port:
        for kind, paths in kinds.items():
            for path in paths[:3]:
                status, _ = fetch(port, path, timeout=30)
                if status != 200:
                    sys.exit(f"{path} answered HTTP {status}")
            run(port, kind, paths, 3, args.connections, directory)  # warm-up (fills the cache)
        if cached:
            every = [path for paths in kinds.values() for path in paths]
            mixed = run(port, "mix", every, args.seconds, args.connections, directory)
            results["mix"] = mixed
            print(row("mix", f"{len(every)} URLs", mixed), flush=True)
        for kind, paths in kinds.items():
            results[kind] = run(port, kind, paths, args.kind_seconds, args.connections, directory)
            print(row(label, kind, results[kind]), flush=True)
        if cached:
            results["ratio"] = article_vs_minimal(args, port, directory)
    return results


def article_vs_minimal(args, port, directory) -> float:
    runs = {ARTICLE: [], MINIMAL: []}
    for number in range(1, args.rounds + 1):
        for path in (ARTICLE, MINIMAL):
            result = run(port, "one", [path], args.kind_seconds, args.connections, directory)
            runs[path].append(result)
            print(row(f"round {number}", path, result), flush=True)
    article = statistics.median(r.rps for r in runs[ARTICLE])
    minimal = statistics.median(r.rps for r in runs[MINIMAL])
    return article / minimal if minimal else float("nan")


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that gunicorn is stopped
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    sys.path[0] = str(ROOT)  # import `bench` and `cptref` as packages
    env = dict(os.environ)
    env.update(DATABASE_URL=args.database_url, DJANGO_DEBUG="false")
    env.setdefault("DJANGO_SECRET_KEY", "bench-only-key-not-for-production-" + "x" * 20)
    build_database(args.database_url, args.rebuild, env)

    with tempfile.TemporaryDirectory(prefix="cptref-load-") as directory:
        os.environ.update(env)
        os.environ.update(DJANGO_SETTINGS_MODULE="bench.settings", BENCH_TEMPLATE_DIR=directory)
        html, db = render_article()
        Path(directory, "bench_minimal.html").write_text("{% raw %}" + html + "{% endraw %}")
        env = dict(os.environ)
        kinds = {
            "article": [ARTICLE],
            "index": INDEXES,
            "icd10": icd10_pages(args.database_url),
            "search": SEARCHES,
        }
        print(f"database: {db}; gunicorn {args.workers} sync workers on {HOST}, DEBUG off")
        print(
            f"load: wrk, {args.connections} connections; mixed run {args.seconds} s, "
            f"{args.kind_seconds} s per kind\n"
        )
        print(HEADER)
        cached = serve_and_measure(args, env, kinds, directory, cached=True)
        uncached = serve_and_measure(args, env, kinds, directory, cached=False)

    mix = cached["mix"]
    print(
        f"\nmixed run: {mix.rps:.0f} req/s, p50 {mix.p50 * 1e3:.1f} ms, "
        f"p99 {mix.p99 * 1e3:.1f} ms, {mix.requests} requests, {mix.errors} errors "
        f"({'none, as required' if mix.errors == 0 else 'ERRORS'})"
    )
    print(
        f"\n{'kind':<9}{'cached req/s':>14}{'p50/p99 ms':>16}{'uncached req/s':>16}"
        f"{'p50/p99 ms':>16}"
    )
    for kind in kinds:
        c, u = cached[kind], uncached[kind]
        print(
            f"{kind:<9}{c.rps:>14.0f}{c.p50 * 1e3:>8.1f}/{c.p99 * 1e3:<7.1f}"
            f"{u.rps:>16.0f}{u.p50 * 1e3:>8.1f}/{u.p99 * 1e3:<7.1f}"
        )
    print(f"\nratio cached article/minimal view: {cached['ratio']:.2f} (aim >= {TARGET:.2f})")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted")
