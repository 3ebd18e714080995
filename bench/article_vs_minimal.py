"""Serve cptref with gunicorn on 127.0.0.1 and compare the article page (or the page given with
--url, e.g. the payment estimator) with a minimal view.

The minimal view renders a static template holding the article's own HTML (inside Jinja2's
{% raw %}, the engine of the site's pages), so both responses have the same size and pass through
the same middleware and server settings; the difference is the work the article view does
(queries and templates).
Both URLs are measured in alternating rounds with wrk if it is installed, else with a Python
load generator (threads, http.client). Prints requests/s, p50/p99 latency, bytes per response
and the ratio article/minimal. Exits 0 whatever the ratio: it is a benchmark, not a test.

    .venv/bin/python bench/article_vs_minimal.py --seconds 10
    .venv/bin/python bench/article_vs_minimal.py --url "/codes/00620/estimate/?minutes=176&..."
"""

import argparse
import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
ARTICLE = "/codes/00620/"
MINIMAL = "/bench/minimal/"
TARGET = 0.40


class Run(NamedTuple):
    rps: float
    p50: float  # seconds
    p99: float  # seconds
    requests: int
    errors: int  # non-200 answers and socket errors


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each measured run")
    parser.add_argument("--rounds", type=int, default=3, help="measured runs per URL, alternated")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up seconds per URL")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent connections")
    parser.add_argument("--loader", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap per Python run")
    parser.add_argument("--url", default=ARTICLE, help="the page to measure (default: the article)")
    return parser.parse_args()


def render_article(page):
    """Render the page in this process: checks the database and returns the HTML."""
    import django
    from django.db import DatabaseError, connection, connections
    from django.test import Client

    django.setup()
    db = f"{connection.vendor} {connection.settings_dict['NAME']}"
    try:
        response = Client(HTTP_HOST=HOST).get(page)
        problem = None if response.status_code == 200 else f"HTTP {response.status_code}"
    except DatabaseError as exc:  # a missing table, an unreachable server
        problem = f"{type(exc).__name__}: {exc}"
    finally:
        connections.close_all()
    if problem:
        sys.exit(f"{page} does not answer 200 ({problem}) on {db}: run `make loaddata` first")
    return response.content.decode(), db


def fetch(port, path, timeout=5.0):
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def server(command, env, log_path, port, ready_path):
    """Start a server; yield once `ready_path` answers on `port`; always stop the server."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while process.poll() is None and time.monotonic() < deadline:
            try:
                fetch(port, ready_path, timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        else:
            log = Path(log_path).read_text(errors="replace")[-2000:]
            sys.exit(f"{Path(command[0]).name} did not start (status {process.poll()}):\n{log}")
        yield port
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def gunicorn(workers, env, log_path, ready_path=MINIMAL):
    """Serve the site on a free port of 127.0.0.1; yield the port once `ready_path` answers;
    always stop the server."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "cptref.wsgi:application"]
    command += ["--bind", f"{HOST}:{port}", "--workers", str(workers), "--worker-class", "sync"]
    command += ["--chdir", str(ROOT), "--log-level", "warning"]
    with server(command, env, log_path, port, ready_path) as port:
        yield port


def run_wrk(port, path, seconds, concurrency, _cap, script=None, threads=1):
    """wrk on `path`, or on the URLs that a Lua `script` chooses (bench/load.py)."""
    url = f"http://{HOST}:{port}{path}"
    command = ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{seconds}s", "--latency", url]
    command += ["--timeout", "10s", "-s", script] if script else []
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    found = re.findall(r"(\d+)%\s+([\d.]+)(us|ms|s|m|h)\b", out)
    latency = {percent: float(value) * scale[unit] for percent, value, unit in found}
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return Run(rps, latency["50"], latency["99"], requests, errors)


def run_python(port, path, seconds, concurrency, cap):
    """`concurrency` threads, each sending GETs on its own http.client connection."""
    latencies, errors, lock = [], [], threading.Lock()
    start = time.monotonic()
    deadline = start + seconds

    def worker():
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        mine, failed = [], 0
        while time.monotonic() < deadline and len(latencies) + len(mine) < cap:
            began = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                failed += response.status != 200
            except (OSError, http.client.HTTPException):
                conn.close()  # reconnects on the next request
                failed += 1
                continue
            mine.append(time.perf_counter() - began)
            if len(mine) >= 100:
                with lock:
                    latencies.extend(mine)
                mine = []
        conn.close()
        with lock:
            latencies.extend(mine)
            errors.append(failed)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    latencies.sort()
    n = len(latencies)
    if not n:
        return Run(0.0, float("nan"), float("nan"), 0, sum(errors))
    return Run(n / elapsed, latencies[n // 2], latencies[min(n - 1, n * 99 // 100)], n, sum(errors))


def row(label, path, run, size=""):
    return (
        f"{label:<9}{path[:16]:<17}{run.rps:>9.1f}{run.p50 * 1e3:>9.2f}{run.p99 * 1e3:>9.2f}"
        f"{size:>8}{run.requests:>10}{run.errors:>8}"
    )


HEADER = f"{'':<9}{'url':<17}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'bytes':>8}"
HEADER += f"{'requests':>10}{'errors':>8}"


def choose_loader(choice):
    """The loader that --loader auto|wrk|python names; exits if wrk is asked for but missing."""
    if choice == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    if choice == "wrk" and not shutil.which("wrk"):
        sys.exit("wrk is not installed; use --loader python")
    return choice


def benchmark(args, port, loader):
    """Warm up, then alternate measured runs of both URLs; print and return the runs."""
    run = run_wrk if loader == "wrk" else run_python
    for path in (args.url, MINIMAL):
        run(port, path, args.warmup, args.concurrency, args.max_requests)
    runs = {args.url: [], MINIMAL: []}
    print(HEADER)
    for number in range(1, args.rounds + 1):
        for path in (args.url, MINIMAL):
            runs[path].append(run(port, path, args.seconds, args.concurrency, args.max_requests))
            print(row(f"round {number}", path, runs[path][-1]), flush=True)
    return runs


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that gunicorn is stopped
    sys.path[0] = str(ROOT)  # import `bench` and `cptref` as packages, not bench/*.py
    loader = choose_loader(args.loader)

    with tempfile.TemporaryDirectory(prefix="cptref-bench-") as tmp:
        os.environ.update(
            DJANGO_SETTINGS_MODULE="bench.settings", DJANGO_DEBUG="false", BENCH_TEMPLATE_DIR=tmp
        )
        html, db = render_article(args.url)
        template = "{% raw %}" + html + "{% endraw %}"
        Path(tmp, "bench_minimal.html").write_text(template, encoding="utf-8")

        with gunicorn(args.workers, dict(os.environ), Path(tmp, "gunicorn.log")) as port:
            sizes = {}
            for path in (args.url, MINIMAL):
                status, body = fetch(port, path)
                if status != 200:
                    sys.exit(f"{path} answered HTTP {status} under gunicorn")
                sizes[path] = len(body)
            print(f"gunicorn on {HOST}:{port}, {args.workers} sync workers, DEBUG off, no cache")
            print(f"database: {db}")
            print(
                f"load: {loader}, {args.concurrency} connections, {args.rounds} alternating rounds"
                f" of {args.seconds} s per URL after {args.warmup} s warm-up each\n"
            )
            runs = benchmark(args, port, loader)

    summary = {
        path: Run(
            *(statistics.median(getattr(r, f) for r in results) for f in ("rps", "p50", "p99")),
            sum(r.requests for r in results),
            sum(r.errors for r in results),
        )
        for path, results in runs.items()
    }
    print()
    for path, run in summary.items():
        print(row("median", path, run, sizes[path]))
    minimal_rps = summary[MINIMAL].rps
    ratio = summary[args.url].rps / minimal_rps if minimal_rps else float("nan")
    name = "article" if args.url == ARTICLE else "page"
    print(f"\nratio {name}/minimal: {ratio:.2f} (target >= {TARGET:.2f})")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted")
