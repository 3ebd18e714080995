"""Serve cptref with gunicorn on 127.0.0.1 and compare every page kind, without the page cache,
with a minimal view that renders that same page's HTML from a static template.

For each page (home, indexes, records, the article, ICD-10-CM pages, searches, the claim check
and the lookup) the script renders the page once with Django's test client and writes its HTML,
inside Jinja2's {% raw %}, to `bench_minimal_<n>.html`, served at `/bench/minimal/<n>/`: both
answers have the same size and pass through the same middleware and server settings, so the
difference is the work of the page's view. It also times each page in-process (Django's test
client, bench/client_times.py: the median server time). Then, under gunicorn, it loads each
page and its minimal view in alternating rounds (wrk if installed, else the Python load
generator of bench/article_vs_minimal.py) and prints one table: requests/s and p50 of both, the
ratio page/minimal against the page's target, and the server time. Exits 0 whatever the
figures; 1 if a page does not answer 200.

    .venv/bin/python bench/pages.py
    .venv/bin/python bench/pages.py --seconds 1 --rounds 1 --only icd10
"""

import argparse
import os
import signal
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_REQUESTS = 200_000  # per Python run

# (label, path, target ratio page/minimal, target median server ms or None), from the issue:
# records and the article 0.4; home, small indexes and search 0.3; ICD-10-CM chapter and
# category 0.2; the ICD-10-CM index 0.1 and under 10 ms of server time.
PAGES = [
    ("home", "/", 0.3, None),
    ("CPT index", "/codes/", 0.3, None),
    ("article 00620", "/codes/00620/", 0.4, None),
    ("anesthesia code 00100", "/codes/00100/", 0.4, None),
    ("modifiers", "/modifiers/", 0.3, None),
    ("taxonomies", "/taxonomies/", 0.3, None),
    ("payers", "/payers/", 0.3, None),
    ("places of service", "/places-of-service/", 0.3, None),
    ("policy updates", "/policy-updates/", 0.3, None),
    ("conversion factors", "/conversion-factors/", 0.3, None),
    ("modifier QS", "/modifiers/QS/", 0.4, None),
    ("taxonomy 207L00000X", "/taxonomies/207L00000X/", 0.4, None),
    ("payer aetna", "/payers/aetna/", 0.4, None),
    ("place of service 21", "/places-of-service/21/", 0.4, None),
    ("ICD chapter list", "/icd10/", 0.2, None),
    ("ICD chapter 13", "/icd10/13/", 0.2, None),
    ("ICD category M48", "/icd10/M48/", 0.2, None),
    ("ICD code M48.04", "/icd10/M48.04/", 0.4, None),
    ("ICD code S32.010A", "/icd10/S32.010A/", 0.4, None),
    ("ICD index", "/icd10/codes/", 0.1, 10),
    ("ICD index filtered", "/icd10/codes/?chapter=13&billable=true&sort=-description", 0.1, 10),
    ("ICD index deep", "/icd10/codes/?sort=description&page=1000", 0.1, 10),
    ("search word", "/search/?q=hypertension", 0.3, None),
    ("search 3 words", "/search/?q=disc+disorder+myelopathy", 0.3, None),
    ("search misspelt", "/search/?q=hypertensoin", 0.3, None),
    # Issue 12's estimator: a record page's target.
    (
        "estimator 00620",
        "/codes/00620/estimate/?minutes=176&ps=P3&modifiers=QK+QX&payer=medicare&dos=2026-03-02",
        0.4,
        None,
    ),
    ("claim check", "/check/", 0.3, None),
    ("lookup", "/lookup/", 0.3, None),
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=3, help="length of each measured run")
    parser.add_argument("--rounds", type=int, default=2, help="measured runs per URL, alternated")
    parser.add_argument("--warmup", type=int, default=1, help="warm-up seconds per URL")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent connections")
    parser.add_argument("--loader", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--only", help="measure the pages whose label or path contains this")
    parser.add_argument("--client-runs", type=int, default=30, help="in-process timed requests")
    return parser.parse_args()


def short(path, width):
    return path if len(path) <= width else path[: width - 1] + "…"


def table_row(label, path, page, minimal, target, server_ms):
    """A row of the table, `page` and `minimal` being medians (Run) of their rounds."""
    _, _, ratio_target, ms_target = target
    ratio = page.rps / minimal.rps if minimal.rps else float("nan")
    meets = ratio >= ratio_target and (ms_target is None or server_ms < ms_target)
    wanted = f"{ratio_target:.2f}" + ("*" if ms_target else "")
    return (
        f"{label:<22}{short(path, 34):<35}{page.rps:>8.0f}{minimal.rps:>8.0f}"
        f"{page.p50 * 1e3:>8.1f}{minimal.p50 * 1e3:>8.1f}{ratio:>7.2f}{wanted:>7}"
        f"{server_ms:>8.2f}{'yes' if meets else 'no':>5}"
    )


HEADER = f"{'page':<22}{'path':<35}{'req/s':>8}{'min':>8}{'p50 ms':>8}{'min':>8}"
HEADER += f"{'ratio':>7}{'target':>7}{'srv ms':>8}{'met':>5}"


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that gunicorn is stopped
    sys.path[0] = str(ROOT)  # import `bench` and `cptref` as packages, not bench/*.py
    from bench import client_times
    from bench.article_vs_minimal import (
        HOST,
        Run,
        choose_loader,
        fetch,
        gunicorn,
        render_article,
        run_python,
        run_wrk,
    )

    loader = choose_loader(args.loader)
    run = run_wrk if loader == "wrk" else run_python
    only = (args.only or "").lower()
    pages = [p for p in PAGES if only in p[0].lower() or only in p[1].lower()]
    if not pages:
        sys.exit(f"no page matches --only {args.only!r}")

    with tempfile.TemporaryDirectory(prefix="cptref-bench-") as tmp:
        os.environ.update(
            DJANGO_SETTINGS_MODULE="bench.settings", DJANGO_DEBUG="false", BENCH_TEMPLATE_DIR=tmp
        )
        minimals = {}  # page path -> its minimal view's path
        for n, (_, path, _, _) in enumerate(pages, 1):
            html, db = render_article(path)  # exits 1 unless 200
            Path(tmp, f"bench_minimal_{n}.html").write_text(
                "{% raw %}" + html + "{% endraw %}", encoding="utf-8"
            )
            minimals[path] = f"/bench/minimal/{n}/"
        cases = {path: [path, {}] for _, path, _, _ in pages}
        server_ms = {name: ms for name, ms, _ in client_times.measure(cases, args.client_runs)}

        log = Path(tmp, "gunicorn.log")
        with gunicorn(args.workers, dict(os.environ), log, ready_path="/bench/minimal/1/") as port:
            print(f"gunicorn on {HOST}:{port}, {args.workers} sync workers, DEBUG off, no cache")
            print(f"database: {db}")
            print(
                f"load: {loader}, {args.concurrency} connections, {args.rounds} alternating rounds"
                f" of {args.seconds} s per URL after {args.warmup} s warm-up each;"
                f" server ms: in-process median of {args.client_runs}\n",
                flush=True,
            )
            for path, minimal in minimals.items():
                for url in (path, minimal):
                    status, _ = fetch(port, url)
                    if status != 200:
                        sys.exit(f"{url} answered HTTP {status} under gunicorn")
                    run(port, url, args.warmup, args.concurrency, MAX_REQUESTS)
            runs = {url: [] for pair in minimals.items() for url in pair}
            for number in range(1, args.rounds + 1):
                print(f"round {number}/{args.rounds}", flush=True)
                for path, minimal in minimals.items():
                    for url in (path, minimal):
                        runs[url].append(
                            run(port, url, args.seconds, args.concurrency, MAX_REQUESTS)
                        )

    median = {
        url: Run(
            statistics.median(r.rps for r in results),
            statistics.median(r.p50 for r in results),
            statistics.median(r.p99 for r in results),
            sum(r.requests for r in results),
            sum(r.errors for r in results),
        )
        for url, results in runs.items()
    }
    print(f"\n{HEADER}")
    for page in pages:
        label, path = page[:2]
        print(table_row(label, path, median[path], median[minimals[path]], page, server_ms[path]))
    print(
        "\nreq/s and p50: medians of the rounds, the page then its minimal view; ratio: page"
        " req/s / minimal req/s;\n* met also needs the in-process median server time under 10 ms"
    )
    errors = {url: r.errors for url, r in median.items() if r.errors}
    if errors:
        print(f"errors (non-200 answers, socket errors): {errors}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted")
