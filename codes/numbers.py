"""Counts, money and units as the pages write them: the one way, used by the templates (Jinja2
filters in codes/templating.py, Django's in codes/templatetags/numbers.py) and by the tables'
cells (codes/tables.py). Downloads keep the raw numbers (codes/exports.py, `value_*` methods).

    number(98186)             98,186       a count: thousands separated
    money(1234.5)             $1,234.50    an amount: to the cent
    rate(Decimal("20.4976"))  $20.4976     dollars per unit: four places, as CMS publishes them
    units(Decimal("11.7"))    11.7         units: to one decimal place, whole units without one
    percent(Decimal("0.5"))   50%          a share: as units are
"""

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

CENT = Decimal("0.01")
TENTH = Decimal("0.1")


def _decimal(value) -> Decimal:
    # str() first: a float's binary value (2.675 is 2.67499…) would round the wrong way.
    return value if isinstance(value, Decimal) else Decimal(str(value))


# Amounts and units repeat from row to row (base units, factors): each is written once, by value
# and type (a float and a Decimal of the same value may round differently): 0.15 µs instead of
# 0.8-1.2 for a Decimal's rounding and formatting, 50 times on a page of an index.
remembered = lru_cache(maxsize=4096, typed=True)


def _dollars(value: Decimal, places: str) -> str:
    sign = "−" if value < 0 else ""  # the minus sign, as the estimate's working writes it
    return f"{sign}${abs(value):,{places}}"


def number(value: int) -> str:
    """A count, with thousands separated: 2,995."""
    return format(value, ",d")


@remembered
def money(value) -> str:
    """An amount in dollars, to the cent (half a cent rounds up): $1,234.50."""
    return _dollars(_decimal(value).quantize(CENT, ROUND_HALF_UP), "f")


@remembered
def rate(value) -> str:
    """Dollars per unit (a conversion factor), to the four places CMS publishes: $20.4976."""
    return _dollars(_decimal(value), ".4f")


@remembered
def units(value) -> str:
    """Units as payers write them, to one decimal place: 11.7; whole units without one: 10."""
    tenths = _decimal(value).quantize(TENTH, ROUND_HALF_UP)
    return f"{tenths:,.0f}" if tenths % 1 == 0 else f"{tenths:,.1f}"


def percent(value) -> str:
    """A share (0.5) as a percentage, written as units are: 50%, 42.5%."""
    return f"{units(_decimal(value) * 100)}%"
