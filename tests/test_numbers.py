"""Counts, money and units are written one way on every page, by codes/numbers.py: the helper
itself, the pages that show its figures, and a guard that templates and tables format numbers
through it and no other way. Downloads keep raw numbers (tests/test_exports.py)."""

import re
from decimal import Decimal
from pathlib import Path

import django_tables2 as dt2
import pytest
from django.urls import reverse

from codes import numbers, tables
from codes.models import Icd10Code

from .conftest import PAGE_KINDS

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).parent.parent


@pytest.mark.parametrize(
    "value, written",
    [(0, "0"), (7, "7"), (999, "999"), (2995, "2,995"), (98186, "98,186"), (1234567, "1,234,567")],
)
def test_a_count_has_its_thousands_separated(value, written):
    assert numbers.number(value) == written


def test_a_count_is_a_whole_number():
    with pytest.raises(ValueError):
        numbers.number(2.5)


@pytest.mark.parametrize(
    "value, written",
    [
        (0, "$0.00"),
        (Decimal("60"), "$60.00"),
        (1234.5, "$1,234.50"),
        (Decimal("444.80"), "$444.80"),
        (Decimal("444.795"), "$444.80"),  # half a cent rounds up, as payers round
        (Decimal("1380.004"), "$1,380.00"),
        (2.675, "$2.68"),  # the float's decimal value, not its binary one (2.67499…)
        (Decimal("1234567.891"), "$1,234,567.89"),
    ],
)
def test_money_is_written_to_the_cent(value, written):
    assert numbers.money(value) == written


@pytest.mark.parametrize(
    "value, written",
    [
        (Decimal("20.4976"), "$20.4976"),
        (Decimal("55.5"), "$55.5000"),
        (Decimal("60.0000"), "$60.0000"),
        (Decimal("1234.5"), "$1,234.5000"),
    ],
)
def test_a_conversion_factor_is_written_to_four_places(value, written):
    assert numbers.rate(value) == written


@pytest.mark.parametrize(
    "value, written",
    [
        (10, "10"),
        (Decimal("0"), "0"),
        (Decimal("11.7"), "11.7"),
        (Decimal("12.0"), "12"),
        (Decimal("11.75"), "11.8"),  # to one decimal place, half up
        (Decimal("11.96"), "12"),
        (Decimal("1234.5"), "1,234.5"),
        (2.25, "2.3"),
    ],
)
def test_units_are_written_to_one_decimal_place_whole_units_without_it(value, written):
    assert numbers.units(value) == written


@pytest.mark.parametrize(
    "value, written", [(Decimal("0.5"), "50%"), (Decimal("0.425"), "42.5%"), (1, "100%")]
)
def test_a_share_is_written_as_a_percentage(value, written):
    assert numbers.percent(value) == written


def test_a_figure_column_writes_the_page_and_keeps_the_download_raw():
    class Figures(dt2.Table):
        cases = tables.FigureColumn("Cases")
        units = tables.FigureColumn("Units", write=numbers.units)

    row = Figures([{"cases": 12345, "units": Decimal("11.70")}]).rows[0]
    assert (row.get_cell("cases"), row.get_cell("units")) == ("12,345", "11.7")
    assert (row.get_cell_value("cases"), row.get_cell_value("units")) == (12345, Decimal("11.70"))


def test_the_icd10_index_counts_its_entries_with_a_thousands_separator(client, content):
    Icd10Code.objects.bulk_create(
        Icd10Code(code=f"Q0{n // 100}.{n % 100:02}", description=f"Test code {n}")
        for n in range(1000)
    )
    body = client.get(reverse("codes:icd10-list")).content.decode()
    assert '<p class="count">1,017 entries.</p>' in body
    assert re.search(r"Page 1 of \d+</p>", body)


def test_the_estimate_writes_money_to_the_cent_and_factors_to_four_places(client, content):
    body = client.get(PAGE_KINDS["estimate"]).content.decode()
    table = body[body.index('class="data comparison"') : body.index("</table>")]
    rows = dict(re.findall(r'<th scope="row">(.*?)</th><td class="number">([^<]*)', table))
    assert rows["Allowed amount"] == "$444.80"
    assert rows["Anesthesiologist (QK)"] == rows["CRNA (QX)"] == "$222.40"
    assert rows["Conversion factor"] == "$20.4976"
    assert (rows["Base units"], rows["Time units"], rows["Total units"]) == ("10", "11.7", "21.7")
    # The working's headlines write each figure as the table does.
    assert "<strong>Allowed amount: $444.80</strong>" in body
    assert "176 minutes, " in body


def test_a_payers_rules_write_their_share_as_a_percentage(client, content):
    body = client.get(reverse("codes:payer-detail", args=["medicare"])).content.decode()
    assert "The anesthesiologist gets 50% of a directed case" in body


# What formats a number outside codes/numbers.py: Jinja's and Django's own filters, Python's
# format strings, and printf-style formats.
OTHER_FORMATS = re.compile(
    r"\|\s*(round|format|floatformat|filesizeformat|intcomma|stringformat)\b"
    r"|\bformat\(|[\"']\{:|[\"']%[-+ #0]*\d*(\.\d+)?[dfi]"
)
# An expression that prints a count, an amount or units, unless it ends in one of the filters
# of codes/numbers.py (or is a condition choosing words: "line" if … == 1 else "lines").
FIGURES = re.compile(
    r"\b(units|count|amount|minutes|length|total|num_pages|max_lines|share|round_up_after"
    r"|minutes_per_unit|cpt_count)\b"
)
THE_WAY = re.compile(r"\|\s*(number|money|rate|units|percent|figure)\s*(\(.*\))?\s*$")


def test_templates_write_numbers_only_through_codes_numbers():
    found = []
    for template in sorted((ROOT / "templates").rglob("*.html")):
        if "admin" in template.parts or "registration" in template.parts:
            continue  # Django's admin and login pages
        text = template.read_text()
        name = template.relative_to(ROOT)
        found += [f"{name}: {m[0]}" for m in OTHER_FORMATS.finditer(text)]
        for expression in re.findall(r"\{\{(.*?)\}\}", text, flags=re.S):
            expression = expression.strip()
            if expression.startswith("fields."):
                continue  # a form's field, as its HTML
            if FIGURES.search(expression) and not THE_WAY.search(expression):
                if " if " not in expression:
                    found.append(f"{name}: {{{{ {expression} }}}}")
    assert found == []


def test_tables_and_filters_write_numbers_only_through_codes_numbers():
    found = []
    for module in ("codes/tables.py", "codes/templating.py"):
        text = (ROOT / module).read_text()
        found += [f"{module}: {m[0]}" for m in re.finditer(r"\{[^{}]*:[^{}]*[,.]\d*[df]\}", text)]
        found += [f"{module}: {m[0]}" for m in re.finditer(r"\$\{", text)]
    assert found == []


def test_a_float_and_a_decimal_equal_to_it_are_each_rounded_as_their_own():
    """The written numbers are remembered by value and type: the float 0.35 is read as its
    shortest text, 0.35 (up to 0.4); the Decimal of its exact binary value, 0.3499…, which equals
    the float, rounds down."""
    exact = Decimal(0.35)
    assert exact == 0.35
    assert (numbers.units(0.35), numbers.units(exact)) == ("0.4", "0.3")
    assert (numbers.units(exact), numbers.units(0.35)) == ("0.3", "0.4")
