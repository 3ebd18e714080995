"""How long the anesthesia payment arithmetic takes (codes/payment.py), per estimate.

Pure Python, no database: each case is estimated `--number` times, best of `--repeat`, and the
time per estimate is printed against the target of 50 µs. Exits 0 whatever the figures.

    .venv/bin/python bench/payment.py
"""

import argparse
import sys
import timeit
from decimal import Decimal
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)

from codes import payment  # noqa: E402  (after the path is set)

TARGET_US = 50
MEDICARE = payment.PayerRules(
    payer="Medicare", no_time_units=frozenset({"01995", "01996"}), source="CMS"
)
COMMERCIAL = payment.PayerRules(
    payer="A commercial payer",
    time_rounding=payment.TimeRounding.UP,
    physical_status_units=True,
    qualifying_circumstance_units=True,
    source="contract",
)
BASE = payment.Sourced(Decimal(10), "CMS CY2022 base unit file")
FACTOR = payment.Sourced(Decimal("20.4976"), "CMS-1832-F")
P3 = payment.Sourced(Decimal(1), "ASA convention")
CASES = {
    "Medicare, AA": (payment.Case("00620", BASE, 176, payment.Provision.PERSONAL), MEDICARE),
    "Medicare, QK + QX, P3": (
        payment.Case(
            "00620", BASE, 176, payment.Provision.DIRECTED_QK, "P3", physical_status_units=P3
        ),
        MEDICARE,
    ),
    "Medicare, AD": (payment.Case("00620", BASE, 176, payment.Provision.SUPERVISED), MEDICARE),
    "commercial, QY + QX, P3, 99140": (
        payment.Case(
            "00620",
            BASE,
            176,
            payment.Provision.DIRECTED_QY,
            "P3",
            physical_status_units=P3,
            qualifying=(("99140", payment.Sourced(Decimal(2), "ASA RVG")),),
        ),
        COMMERCIAL,
    ),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--number", type=int, default=10_000, help="estimates per repeat")
    parser.add_argument("--repeat", type=int, default=5, help="repeats; the best is kept")
    args = parser.parse_args()
    print(f"{'case':<34}{'µs per estimate':>16}  target < {TARGET_US} µs")
    for name, (case, rules) in CASES.items():
        best = min(
            timeit.repeat(
                lambda case=case, rules=rules: payment.estimate(case, rules, FACTOR),
                number=args.number,
                repeat=args.repeat,
            )
        )
        micro = best / args.number * 1e6
        print(f"{name:<34}{micro:>16.1f}  {'yes' if micro < TARGET_US else 'no'}")


if __name__ == "__main__":
    main()
