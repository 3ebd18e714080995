"""Every filter, sort and depth of the ICD-10-CM index, with the whole ICD-10-CM loaded: the
in-process server time of each combination of five filters (none, a chapter, billable, not
billable, a chapter's billable rows), eight sorts (code, description, billable and chapter,
each both ways) and three pages (1, 1,000 and 1,500; a page past the end shows the last),
120 addresses, through Django's test client in a process of its own (bench/client_times.py:
DEBUG off, no page cache, 10 warm-up rounds, then `--runs`). Prints the slowest, and how many
take longer than the issue's 10 ms. Exits 0 whatever the figures; 1 if a page does not answer
200. The database is the project's (or DATABASE_URL's): run `make icd10` first.

    make bench-icd10-index
    .venv/bin/python bench/icd10_index.py --runs 5 --show 20
"""

import argparse
import sys
from pathlib import Path
from urllib.parse import parse_qsl

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # `bench` as a package

from bench.client_times import measure  # noqa: E402

TARGET_MS = 10.0
FILTERS = ["", "chapter=13", "billable=true", "billable=false", "chapter=19&billable=true"]
SORTS = ["code", "description", "billable", "chapter"]
PAGES = ["1", "1000", "1500"]


def addresses() -> dict[str, list]:
    cases = {}
    for filters in FILTERS:
        for sort in [order for name in SORTS for order in (name, f"-{name}")]:
            for page in PAGES:
                query = "&".join(part for part in (filters, f"sort={sort}", f"page={page}") if part)
                cases[f"/icd10/codes/?{query}"] = ["/icd10/codes/", dict(parse_qsl(query))]
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed requests of each address")
    parser.add_argument("--show", type=int, default=10, help="the slowest addresses to print")
    args = parser.parse_args()
    rows = sorted(measure(addresses(), args.runs), key=lambda row: row[1], reverse=True)
    print(f"{'median ms':>10}{'p95 ms':>9}  address")
    for name, median, p95 in rows[: args.show]:
        print(f"{median:>10.2f}{p95:>9.2f}  {name}")
    over = sum(median > TARGET_MS for _, median, _ in rows)
    print(f"\n{len(rows)} addresses, {over} with a median over {TARGET_MS:g} ms")


if __name__ == "__main__":
    main()
