"""How long the lookup of a list of codes takes (/lookup/), with the full ICD-10-CM set loaded.

In a child process (bench.settings: DEBUG off, page cache off; the project's database, which
`make icd10` fills with the whole tabular list), Django's test client asks for a list of 10
codes; for 200 codes of every kind, 20 of them repeated (CPT codes, anesthesia codes without an
article, modifiers, ICD-10-CM codes with and without their dot, headers, places of service,
taxonomies, codes the site does not hold and tokens that are no code); for 200 different codes
read from the database (the worst case: 200 rows); and for the CSV download of those, 10
warm-up calls each, then `--runs` calls in round-robin order. Prints the median and p95
server time in ms against the target (200 codes under 100 ms). Exits 0 whatever the figures, 1
if a request does not answer 200.

    make bench-lookup
    .venv/bin/python bench/lookup.py --runs 50
"""

import argparse
from itertools import cycle, islice

import client_times

MIXED = [
    "00620", "QX", "M48.04", "m4804", "21", "207L00000X", "00670", "620", "M48.0", "M48",
    "23", "P3", "S32.010A", "I10", "1", "367500000X", "99999", "Z99.999", "<b>", "QQ",
]  # fmt: skip
CODES = " ".join(islice(cycle(MIXED), 200))
DIFFERENT = "different"  # the child process reads them
CASES = {
    "10 codes (page)": ("/lookup/", {"codes": " ".join(MIXED[:10])}),
    "200 codes, 20 repeated (page)": ("/lookup/", {"codes": CODES}),
    "200 different codes (page)": ("/lookup/", {"codes": DIFFERENT}),
    "200 different codes (CSV)": ("/lookup/", {"codes": DIFFERENT, "_export": "csv"}),
}
TARGET = 100  # ms, for 200 codes
# Run in the child process: 200 different codes read from the database.
SETUP = """
from codes.models import BaseUnit, Icd10Code, Modifier, PlaceOfService, ProviderTaxonomy
# 90 ICD-10-CM codes spread over the code set (every other one without its dot), 10 headers,
# 40 anesthesia codes, every modifier, 20 places of service and 15 taxonomies, then codes the
# site does not hold and tokens that are no code: 200 different codes.
billable = Icd10Code.objects.filter(kind="code", billable=True).values_list("code", flat=True)
billable = list(billable)[::800][:90]
codes = [code if n % 2 else code.replace(".", "") for n, code in enumerate(billable)]
headers = Icd10Code.objects.filter(kind="code", billable=False).values_list("code", flat=True)
codes += list(headers)[::500][:10]
codes += BaseUnit.objects.values_list("code", flat=True)[:40]
codes += Modifier.objects.values_list("code", flat=True)[:19]
codes += PlaceOfService.objects.values_list("code", flat=True)[:20]
codes += ProviderTaxonomy.objects.values_list("code", flat=True)[:15]
codes += ["99999", "Z99.999", "QQ", "<b>", "0213X", "M48.04.1"]
assert len(set(codes)) == 200, len(set(codes))
for path, query in cases.values():
    if query["codes"] == "different":
        query["codes"] = chr(10).join(codes)
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    print(f"{'request':<32}{'median ms':>10}{'p95 ms':>9}{'target ms':>11}")
    for name, median, p95 in client_times.measure(CASES, args.runs, SETUP):
        target = TARGET if name.startswith("200") else ""
        print(f"{name:<32}{median:>10.2f}{p95:>9.2f}{target:>11}")


if __name__ == "__main__":
    main()
