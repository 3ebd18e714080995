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

import client_times

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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    print(f"{'request':<24}{'median ms':>10}{'p95 ms':>9}{'target ms':>11}")
    for name, median, p95 in client_times.measure(CASES, args.runs):
        target = TARGETS["100" if name.startswith("100") else "one"]
        print(f"{name:<24}{median:>10.2f}{p95:>9.2f}{target:>11}")


if __name__ == "__main__":
    main()
