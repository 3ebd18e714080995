"""How long the download of the whole ICD-10-CM index takes, and how much memory, as CSV and XLSX.

Each measure runs in a process of its own (DEBUG off, the project's database: `make icd10` loads
the full set), so its peak RSS is the download's: a first request, which writes the file
(codes/exports.py), then a second one, served from it. Prints seconds, peak MB and rows against
the targets (CSV under 3 s and 150 MB). Exits 0 whatever the figures.

    .venv/bin/python bench/exports.py
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEASURE = """
import os, resource, sys, time
import django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="127.0.0.1")
for attempt in ("first", "again"):
    started = time.perf_counter()
    response = client.get("/icd10/codes/", {"_export": sys.argv[1]})
    size = sum(len(chunk) for chunk in response.streaming_content)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(attempt, response.status_code, size, f"{seconds:.2f}", f"{peak:.0f}")
"""


def main():
    print(f"{'download':<10}{'request':<8}{'status':>7}{'MB':>8}{'seconds':>9}{'peak MB':>9}")
    for export_format in ("csv", "xlsx"):
        with tempfile.TemporaryDirectory(prefix="cptref-exports-") as folder:
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "bench.settings",
                "DJANGO_DEBUG": "false",
                "EXPORT_DIR": folder,
                "PYTHONPATH": str(ROOT),
            }
            done = subprocess.run(
                [sys.executable, "-c", MEASURE, export_format],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
            )
            if done.returncode:
                sys.exit(done.stderr[-2000:])
            for line in done.stdout.split("\n"):
                if not line:
                    continue
                attempt, status, size, seconds, peak = line.split()
                print(
                    f"{export_format:<10}{attempt:<8}{status:>7}{int(size) / 1e6:>8.1f}"
                    f"{seconds:>9}{peak:>9}"
                )
    print("\ntargets: the whole ICD-10-CM as CSV under 3 s and 150 MB peak")


if __name__ == "__main__":
    main()
