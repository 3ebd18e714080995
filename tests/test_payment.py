"""codes/payment.py: worked examples with their sources, every bad input, and properties.

No database: the module is pure arithmetic on its inputs.
"""

import ast
import contextlib
import dataclasses
import datetime
import math
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codes import payment
from codes.payment import (
    MAX_MINUTES,
    Case,
    EstimateError,
    PayerRules,
    Provision,
    Share,
    Sourced,
    TimeRounding,
    estimate,
    minutes_between,
    money,
    provision_from_modifiers,
    time_units,
)

D = Decimal
CMS_CH12 = "CMS Pub. 100-04 Medicare Claims Processing Manual, Ch. 12 §50"
BASE_UNIT_FILE = "CMS CY2022 anesthesia base unit file"
ASA_RVG = "ASA Relative Value Guide"

# Medicare: time in tenths of 15-minute units, no time units for 01995/01996, physical status
# and qualifying circumstances informational, 50/50 direction, 3 (+1) units for supervision.
MEDICARE = PayerRules(
    payer="Medicare", no_time_units=frozenset({"01995", "01996"}), source=CMS_CH12
)
# Not a real payer: the commercial conventions the module must be able to express.
COMMERCIAL = PayerRules(
    payer="Commercial payer",
    time_rounding=TimeRounding.UP,
    physical_status_units=True,
    qualifying_circumstance_units=True,
    supervision_base_units=None,
    source="Test payer: whole units rounded up, counts modifying units, no AD rule",
)
AFTER_8 = PayerRules(
    payer="Round-after payer",
    time_rounding=TimeRounding.AFTER,
    round_up_after=8,
    source="Test payer: a started unit counts from 8 minutes",
)
# CMS CY2025 PFS final rule: national anesthesia conversion factor.
CF_2025 = Sourced(D("20.3178"), "CMS CY2025 PFS final rule", "CMS anesthesia CF, CY2025")
# CMS CY2026 PFS final rule (90 FR 49266, FR Doc 2025-19787): anesthesia CF, non-qualifying APM.
CF_2026 = Sourced(D("20.4976"), "CMS CY2026 PFS final rule", "CMS anesthesia CF, CY2026, non-QP")
BASE_00620 = Sourced(D(10), BASE_UNIT_FILE)  # 00620: thoracic spine and cord, posterior approach
BASE_01996 = Sourced(D(3), BASE_UNIT_FILE)  # 01996: daily management of epidural drug delivery
P3_UNITS = Sourced(D(1), ASA_RVG)  # ASA convention: P3 1 unit, P4 2, P5 3
Q99140_UNITS = Sourced(D(2), ASA_RVG, unverified=True)  # emergency conditions
ASA_STATUS_UNITS = {"P1": D(0), "P3": D(1), "P4": D(2), "P5": D(3)}


def case_00620(provision=Provision.PERSONAL, minutes=176, **kwargs):
    return Case("00620", BASE_00620, minutes, provision, **kwargs)


def step(result, label):
    (found,) = [s for s in result.steps if s.label == label]
    return found


@contextlib.contextmanager
def refused(field, match=None):
    """pytest.raises for an EstimateError about the input `field`."""
    with pytest.raises(EstimateError, match=match) as info:
        yield info
    assert info.value.field == field


# Worked examples


def test_00620_for_176_minutes_personally_performed_is_440_90_at_the_cy2025_factor():
    result = estimate(case_00620(), MEDICARE, CF_2025)
    # (10 + 11.7) x 20.3178 = 440.89626
    assert result.base_units == D(10)
    assert result.time_units == D("11.7")
    assert result.total_units == D("21.7")
    assert result.allowed == D("440.90")
    assert result.shares == (Share("Anesthesiologist", "AA", D("440.90")),)


def test_the_same_case_at_the_cy2026_non_qp_factor_is_444_80():
    # 21.7 x 20.4976 = 444.79792
    assert estimate(case_00620(), MEDICARE, CF_2026).allowed == D("444.80")


@pytest.mark.parametrize("provision", [Provision.DIRECTED_QK, Provision.DIRECTED_QY])
def test_medical_direction_splits_444_80_into_two_halves_of_222_40(provision):
    # CMS Pub. 100-04 Ch. 12 §50: each of the anesthesiologist and the CRNA gets 50%.
    result = estimate(case_00620(provision), MEDICARE, CF_2026)
    assert result.allowed == D("444.80")
    assert result.shares == (
        Share("Anesthesiologist", provision.value, D("222.40")),
        Share("CRNA", "QX", D("222.40")),
    )
    assert step(result, f"Anesthesiologist ({provision.value})").value == D("222.40")
    assert step(result, "CRNA (QX)").working == "444.80 − 222.40 = 222.40"


def test_a_crna_without_medical_direction_is_paid_the_whole_allowance():
    result = estimate(case_00620(Provision.CRNA_ALONE), MEDICARE, CF_2026)
    assert result.shares == (Share("CRNA", "QZ", D("444.80")),)


def test_medical_supervision_under_medicare_allows_3_base_units_whatever_the_code():
    # CMS Pub. 100-04 Ch. 12 §50: 3 base units, plus 1 time unit for presence at induction.
    result = estimate(case_00620(Provision.SUPERVISED), MEDICARE, CF_2026)
    # 3 x 20.4976 = 61.4928
    assert (result.base_units, result.time_units, result.allowed) == (D(3), D(0), D("61.49"))
    assert "instead of 00620's 10 units" in step(result, "Base units").working


def test_medical_supervision_adds_one_time_unit_when_presence_at_induction_is_documented():
    result = estimate(
        case_00620(Provision.SUPERVISED, present_at_induction=True), MEDICARE, CF_2026
    )
    # 4 x 20.4976 = 81.9904
    assert (result.total_units, result.allowed) == (D(4), D("81.99"))


@pytest.mark.parametrize("minutes", [1, 176, MAX_MINUTES])
def test_medical_supervision_pays_the_same_whatever_the_minutes(minutes):
    case = case_00620(Provision.SUPERVISED, minutes, present_at_induction=True)
    assert estimate(case, MEDICARE, CF_2026).allowed == D("81.99")


def test_the_crna_share_under_supervision_is_not_worked_out_and_says_to_ask_the_payer():
    result = estimate(case_00620(Provision.SUPERVISED), MEDICARE, CF_2026)
    doctor, crna = result.shares
    assert doctor == Share("Anesthesiologist", "AD", D("61.49"))
    assert (crna.role, crna.modifier, crna.amount) == ("CRNA", "QX", None)
    assert "do not state" in crna.note and "ask the payer" in crna.note
    assert step(result, "CRNA (QX)").value is None


def test_medical_supervision_counts_physical_status_units_when_the_payer_does():
    rules = dataclasses.replace(COMMERCIAL, supervision_base_units=3)
    case = case_00620(
        Provision.SUPERVISED,
        physical_status="P3",
        physical_status_units=P3_UNITS,
        present_at_induction=True,
    )
    result = estimate(case, rules, CF_2026)
    assert (result.modifying_units, result.total_units) == (D(1), D(5))


@pytest.mark.parametrize("code", ["01995", "01996"])
def test_medicare_pays_no_time_units_for_01995_and_01996_and_shows_the_step(code):
    # CMS Pub. 100-04 Ch. 12 §50; 01996 has 3 base units in the CMS CY2022 base unit file.
    result = estimate(Case(code, BASE_01996, 90, Provision.PERSONAL), MEDICARE, CF_2026)
    time = step(result, "Time units")
    assert (result.time_units, time.value) == (D(0), D(0))
    assert time.rule == f"Medicare pays no time units for {code}."
    # 3 x 20.4976 = 61.4928
    assert result.allowed == D("61.49")


def test_physical_status_p3_is_shown_but_not_counted_under_medicare():
    # CMS Pub. 100-04 Ch. 12 §50: physical status modifiers add no units under Medicare.
    case = case_00620(physical_status="P3", physical_status_units=P3_UNITS)
    result = estimate(case, MEDICARE, CF_2026)
    p3 = step(result, "Physical status P3")
    assert (p3.value, p3.ignored) == (D(1), True)
    assert "informational" in p3.rule
    assert (result.modifying_units, result.allowed) == (D(0), D("444.80"))


def test_physical_status_p3_adds_one_unit_for_a_payer_that_counts_it():
    case = case_00620(physical_status="P3", physical_status_units=P3_UNITS)
    result = estimate(case, COMMERCIAL, CF_2026)
    assert not step(result, "Physical status P3").ignored
    # 10 + 12 + 1 = 23; 23 x 20.4976 = 471.4448
    assert (result.modifying_units, result.total_units) == (D(1), D(23))
    assert result.allowed == D("471.44")


def test_qualifying_circumstance_99140_adds_two_unverified_units_where_counted():
    case = case_00620(qualifying=(("99140", Q99140_UNITS),))
    result = estimate(case, COMMERCIAL, CF_2026)
    q = step(result, "Qualifying circumstance 99140")
    assert (q.value, q.ignored, q.unverified) == (D(2), False, True)
    assert result.total_units == D(24)


def test_qualifying_circumstance_99140_is_shown_ignored_under_medicare():
    case = case_00620(qualifying=(("99140", Q99140_UNITS),))
    result = estimate(case, MEDICARE, CF_2026)
    q = step(result, "Qualifying circumstance 99140")
    assert (q.value, q.ignored, q.unverified) == (D(2), True, True)
    assert result.total_units == D("21.7")


def test_an_ignored_modifier_given_without_its_units_is_still_shown():
    result = estimate(case_00620(physical_status="P4"), MEDICARE, CF_2026)
    p4 = step(result, "Physical status P4")
    assert (p4.value, p4.ignored) == (None, True)


def test_whole_units_rounded_up_count_176_minutes_as_12():
    assert time_units(176, COMMERCIAL, "00620") == D(12)
    working = step(estimate(case_00620(), COMMERCIAL, CF_2026), "Time units").working
    assert working == "176 minutes ÷ 15 = 11.73…, rounded up to whole units: 12"


@pytest.mark.parametrize(("minutes", "units"), [(176, 12), (172, 11), (165, 11), (7, 0), (8, 1)])
def test_a_started_unit_counts_once_it_reaches_8_minutes(minutes, units):
    assert time_units(minutes, AFTER_8, "00620") == D(units)


@pytest.mark.parametrize(
    ("minutes", "working"),
    [
        (176, "and 11 minutes; 11 ≥ 8, so the started unit counts: 12"),
        (172, "and 7 minutes; 7 < 8, so the started unit does not count: 11"),
        (165, "165 minutes = 11 full units of 15: 11"),
    ],
)
def test_the_round_after_working_says_whether_the_started_unit_counts(minutes, working):
    result = estimate(case_00620(minutes=minutes), AFTER_8, CF_2026)
    assert step(result, "Time units").working.endswith(working)


@pytest.mark.parametrize(
    ("minutes", "units"),
    [(176, "11.7"), (15, "1.0"), (1, "0.1"), (8, "0.5"), (22, "1.5"), (1440, "96.0")],
)
def test_medicare_time_units_are_minutes_over_15_to_one_decimal(minutes, units):
    assert time_units(minutes, MEDICARE, "00620") == D(units)


def test_tenths_round_an_exact_half_up():
    # 1 minute / 20 = 0.05 exactly.
    assert time_units(1, dataclasses.replace(MEDICARE, minutes_per_unit=20), "00620") == D("0.1")


def test_the_steps_read_base_time_modifiers_total_factor_allowed_then_shares():
    case = case_00620(
        Provision.DIRECTED_QK,
        physical_status="P3",
        physical_status_units=P3_UNITS,
        qualifying=(("99140", Q99140_UNITS),),
    )
    labels = [s.label for s in estimate(case, MEDICARE, CF_2026).steps]
    assert labels == [
        "Base units",
        "Time units",
        "Physical status P3",
        "Qualifying circumstance 99140",
        "Total units",
        "Conversion factor",
        "Allowed amount",
        "Anesthesiologist (QK)",
        "CRNA (QX)",
    ]


def test_each_step_shows_its_working_rule_and_source():
    result = estimate(case_00620(), MEDICARE, CF_2026)
    time = step(result, "Time units")
    assert time.working == "176 minutes ÷ 15 = 11.73…, to one decimal place: 11.7"
    assert time.rule == "Medicare counts time as minutes ÷ 15 to one decimal place."
    assert time.source == CMS_CH12
    assert step(result, "Base units").source == BASE_UNIT_FILE
    assert step(result, "Total units").working == "10 + 11.7 = 21.7"
    factor = step(result, "Conversion factor")
    assert (factor.value, factor.unit) == (CF_2026.value, "$ per unit")
    assert factor.source == CF_2026.source
    allowed = step(result, "Allowed amount")
    assert allowed.working == "21.7 × 20.4976 = 444.79792, to the cent: 444.80"
    assert (allowed.value, allowed.unit) == (D("444.80"), "$")


def test_a_rules_own_source_takes_precedence_over_the_payers_general_source():
    rules = dataclasses.replace(
        MEDICARE, time_source="time rule", direction_source="direction rule"
    )
    result = estimate(case_00620(Provision.DIRECTED_QY), rules, CF_2026)
    assert step(result, "Time units").source == "time rule"
    assert step(result, "Anesthesiologist (QY)").source == "direction rule"
    assert step(result, "Total units").source == CMS_CH12


def test_unverified_figures_mark_their_steps_unverified():
    factor = dataclasses.replace(CF_2026, unverified=True)
    base = dataclasses.replace(BASE_00620, unverified=True)
    result = estimate(Case("00620", base, 176, Provision.PERSONAL), MEDICARE, factor)
    assert step(result, "Conversion factor").unverified
    assert step(result, "Base units").unverified
    assert not step(result, "Time units").unverified


def test_money_is_rounded_half_up_to_the_cent():
    assert money(D("0.005")) == D("0.01")
    assert money(D("2.675")) == D("2.68")
    assert money(D("1.0049")) == D("1.00")
    assert str(money(D(3))) == "3.00"


def test_the_allowed_amount_is_rounded_once_not_per_component():
    # 1 base + 1.0 time units at $0.005: 2 x 0.005 = 0.01, where rounding each part would give 0.02.
    case = Case("00000", Sourced(D(1), "test"), 15, Provision.PERSONAL)
    assert estimate(case, MEDICARE, Sourced(D("0.005"), "test")).allowed == D("0.01")


def test_each_provision_has_a_plain_label():
    assert [p.label for p in Provision] == [
        "Personally performed (AA)",
        "Medically directed, 2-4 cases (QK + QX)",
        "Medically directed, one CRNA (QY + QX)",
        "CRNA without medical direction (QZ)",
        "Medical supervision (AD)",
    ]


# Modifiers


@pytest.mark.parametrize(
    ("modifiers", "provision"),
    [
        (["AA"], Provision.PERSONAL),
        (["QK", "QX"], Provision.DIRECTED_QK),
        (["QX", "QK"], Provision.DIRECTED_QK),
        (["QY", "QX"], Provision.DIRECTED_QY),
        (["QZ"], Provision.CRNA_ALONE),
        (["AD"], Provision.SUPERVISED),
        (["AD", "QX"], Provision.SUPERVISED),
        # The anesthesiologist's own claim line carries QK or QY without the CRNA's QX.
        (["QK"], Provision.DIRECTED_QK),
        (["P3", "QK", "QS", "QX", "G8"], Provision.DIRECTED_QK),
        ([" qy ", "qx"], Provision.DIRECTED_QY),
        ("QK QX", Provision.DIRECTED_QK),
        ("QZ, P3", Provision.CRNA_ALONE),
    ],
)
def test_pricing_modifiers_name_one_way_of_providing_the_service(modifiers, provision):
    assert provision_from_modifiers(modifiers) is provision


@pytest.mark.parametrize(
    ("modifiers", "match"),
    [
        (["QX"], "QX is the CRNA's half of a medically directed case: report it with QK or QY"),
        (["QX", "P3"], "QX is the CRNA's half"),
        (["QZ", "QK"], "QZ .* and QK .* report only one"),
        (["QZ", "QY"], "QZ .* and QY .* report only one"),
        (["QZ", "AA"], "QZ .* and AA .* report only one"),
        (["QZ", "AD"], "QZ .* and AD .* report only one"),
        (["QZ", "QX"], "QZ means a CRNA without medical direction"),
        (["AA", "QX"], "AA means performed personally"),
        (["QK", "QY", "QX"], "QK .* and QY .* report only one"),
        (["AA", "QK"], "AA .* and QK"),
        (["AA", "QY"], "AA .* and QY"),
        (["AA", "AD"], "AA .* and AD"),
        (["AD", "QK"], "AD .* and QK"),
        (["AD", "QY", "QX"], "AD .* and QY"),
        (["QK", "QK"], "QK is reported twice"),
        ("QK QX QX", "QX is reported twice"),
        ([], "No pricing modifier"),
        (["P3", "QS", "G8"], "No pricing modifier"),
    ],
)
def test_an_impossible_or_missing_pricing_modifier_is_refused_in_plain_words(modifiers, match):
    with refused("modifiers", match):
        provision_from_modifiers(modifiers)


# Clock times


def test_minutes_between_clock_times_on_the_same_day():
    assert minutes_between(datetime.time(8, 0), datetime.time(10, 56)) == 176


def test_an_end_before_the_start_is_past_midnight():
    assert minutes_between(datetime.time(23, 30), datetime.time(1, 15)) == 105


def test_seconds_do_not_count():
    assert minutes_between(datetime.time(8, 0, 59), datetime.time(8, 1, 0)) == 1


def test_an_end_equal_to_the_start_is_refused():
    with refused("end"):
        minutes_between(datetime.time(9, 15), datetime.time(9, 15))


# Bad inputs

MINUTES_MESSAGE = r"between 1 minute and 24 hours \(1,440 minutes\)"


@pytest.mark.parametrize("minutes", [0, -1, -176, MAX_MINUTES + 1])
def test_anesthesia_time_outside_1_minute_to_24_hours_is_refused(minutes):
    with refused("minutes", MINUTES_MESSAGE):
        estimate(case_00620(minutes=minutes), MEDICARE, CF_2026)
    with refused("minutes", MINUTES_MESSAGE):
        time_units(minutes, MEDICARE, "00620")


@pytest.mark.parametrize("minutes", [90.5, True, "90"])
def test_anesthesia_time_that_is_not_a_whole_number_of_minutes_is_refused(minutes):
    with refused("minutes", "whole number"):
        estimate(case_00620(minutes=minutes), MEDICARE, CF_2026)


def test_supervision_is_refused_for_a_payer_without_a_supervision_rule():
    with refused("modifiers", "no medical supervision"):
        estimate(case_00620(Provision.SUPERVISED), COMMERCIAL, CF_2026)


@pytest.mark.parametrize("factor", ["0", "-20.4976", "NaN", "Infinity"])
def test_a_conversion_factor_that_is_not_positive_is_refused(factor):
    with refused("factor", "more than"):
        estimate(case_00620(), MEDICARE, Sourced(D(factor), "test"))


@pytest.mark.parametrize(
    "change",
    [
        {"minutes_per_unit": 0},
        {"time_rounding": TimeRounding.AFTER, "round_up_after": 0},
        {"time_rounding": TimeRounding.AFTER, "round_up_after": 16},
        {"direction_share": D("1.01")},
        {"direction_share": D("-0.5")},
        {"supervision_base_units": -3},
        {"supervision_induction_units": -1},
    ],
)
def test_payer_rules_that_cannot_be_applied_are_refused(change):
    rules = dataclasses.replace(MEDICARE, **change)
    with refused("payer", "Medicare's rules cannot be used"):
        estimate(case_00620(), rules, CF_2026)
    with refused("payer"):
        time_units(176, rules, "00620")


def test_negative_base_units_are_refused():
    case = Case("00620", Sourced(D(-1), "test"), 176, Provision.PERSONAL)
    with refused("base_units"):
        estimate(case, MEDICARE, CF_2026)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"physical_status": "P7", "physical_status_units": P3_UNITS}, "physical_status"),
        ({"physical_status": "3"}, "physical_status"),
        ({"physical_status_units": P3_UNITS}, "physical_status"),
        ({"physical_status": "P3"}, "physical_status"),  # counted, but no units given
        (
            {"physical_status": "P3", "physical_status_units": Sourced(D(-1), "x")},
            "physical_status",
        ),
        ({"qualifying": (("99140", Q99140_UNITS), ("99140", Q99140_UNITS))}, "qualifying"),
        ({"qualifying": (("99100", None),)}, "qualifying"),
    ],
)
def test_bad_modifying_units_are_refused(change, field):
    with refused(field):
        estimate(case_00620(**change), COMMERCIAL, CF_2026)


def test_estimate_error_is_a_value_error_that_names_its_input():
    error = EstimateError("minutes", "Too long.")
    assert isinstance(error, ValueError)
    assert (error.field, str(error)) == ("minutes", "Too long.")


# The module stands alone


def test_the_module_imports_only_the_standard_library():
    tree = ast.parse(Path(payment.__file__).read_text())
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
        )
    }
    assert imported <= {"collections", "dataclasses", "datetime", "decimal", "enum", "math"}


def test_importing_the_module_loads_no_django():
    script = "import sys, codes.payment; print(sorted(m for m in sys.modules if 'django' in m))"
    root = Path(__file__).resolve().parent.parent
    output = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "[]"


# Properties

minutes_st = st.integers(1, MAX_MINUTES)
factors = st.decimals(min_value=D("0.01"), max_value=D("200.00"), places=4)
direction_shares = st.decimals(min_value=D(0), max_value=D(1), places=2)
base_units_st = st.integers(0, 30).map(D)


@st.composite
def payer_rules(draw):
    per = draw(st.integers(1, 60))
    return PayerRules(
        payer="Any payer",
        minutes_per_unit=per,
        time_rounding=draw(st.sampled_from(TimeRounding)),
        round_up_after=draw(st.integers(1, per)),
        physical_status_units=draw(st.booleans()),
        qualifying_circumstance_units=draw(st.booleans()),
        direction_share=draw(direction_shares),
        no_time_units=draw(st.sampled_from([frozenset(), frozenset({"00620"})])),
        supervision_base_units=draw(st.integers(0, 5)),
        supervision_induction_units=draw(st.integers(0, 2)),
    )


@st.composite
def cases(draw, minutes=minutes_st):
    status = draw(st.sampled_from(["", *ASA_STATUS_UNITS]))
    return Case(
        "00620",
        Sourced(draw(base_units_st), "test"),
        draw(minutes),
        draw(st.sampled_from(Provision)),
        physical_status=status,
        physical_status_units=Sourced(ASA_STATUS_UNITS[status], ASA_RVG) if status else None,
        qualifying=draw(st.sampled_from([(), (("99140", Q99140_UNITS),)])),
        present_at_induction=draw(st.booleans()),
    )


@given(cases(), payer_rules(), factors)
def test_the_total_is_never_below_the_base_units_applied(case, rules, factor):
    result = estimate(case, rules, Sourced(factor, "test"))
    assert result.total_units >= result.base_units
    assert result.total_units == result.base_units + result.time_units + result.modifying_units


@given(cases(), payer_rules(), factors)
def test_the_allowed_amount_always_has_exactly_two_decimal_places(case, rules, factor):
    result = estimate(case, rules, Sourced(factor, "test"))
    assert result.allowed.as_tuple().exponent == -2
    for share in result.shares:
        assert share.amount is None or share.amount.as_tuple().exponent == -2


@given(
    minutes_st,
    st.sampled_from([Provision.DIRECTED_QK, Provision.DIRECTED_QY]),
    factors,
    direction_shares,
)
def test_medically_directed_shares_add_up_to_the_allowed_amount_to_the_cent(
    minutes, provision, factor, share
):
    rules = dataclasses.replace(MEDICARE, direction_share=share)
    result = estimate(case_00620(provision, minutes), rules, Sourced(factor, "test"))
    doctor, crna = result.shares
    assert doctor.amount + crna.amount == result.allowed
    assert doctor.amount == money(result.allowed * share)
    assert min(doctor.amount, crna.amount) >= 0


@given(cases(minutes=st.integers(1, MAX_MINUTES - 1)), st.data(), payer_rules(), factors)
def test_more_minutes_never_pay_less(case, data, rules, factor):
    more = dataclasses.replace(case, minutes=data.draw(st.integers(case.minutes, MAX_MINUTES)))
    factor = Sourced(factor, "test")
    shorter, longer = estimate(case, rules, factor), estimate(more, rules, factor)
    assert longer.allowed >= shorter.allowed
    for short, long in zip(shorter.shares, longer.shares, strict=True):
        if short.amount is not None:
            assert long.amount >= short.amount


@given(minutes_st, st.integers(1, 60))
def test_tenths_are_minutes_over_the_unit_rounded_half_up_to_one_decimal(minutes, per):
    rules = dataclasses.replace(MEDICARE, minutes_per_unit=per)
    expected = math.floor(Fraction(minutes * 10, per) + Fraction(1, 2))
    units = time_units(minutes, rules, "00620")
    assert units == D(expected) / 10
    assert units.as_tuple().exponent == -1


@given(minutes_st)
def test_medicare_tenths_match_round_half_up_of_minutes_over_15(minutes):
    expected = math.floor(Fraction(minutes, 15) * 10 + Fraction(1, 2))
    assert time_units(minutes, MEDICARE, "00620") == D(expected) / 10


@given(minutes_st, st.integers(1, 60))
def test_rounding_up_is_the_ceiling_of_minutes_over_the_unit(minutes, per):
    rules = dataclasses.replace(COMMERCIAL, minutes_per_unit=per)
    assert time_units(minutes, rules, "00620") == math.ceil(Fraction(minutes, per))


@given(minutes_st, st.data())
def test_rounding_after_counts_a_started_unit_only_from_the_threshold(minutes, data):
    per = data.draw(st.integers(1, 60))
    after = data.draw(st.integers(1, per))
    rules = dataclasses.replace(AFTER_8, minutes_per_unit=per, round_up_after=after)
    # Shifting by (per - after) carries a remainder of `after` or more into the next unit.
    assert time_units(minutes, rules, "00620") == (minutes + per - after) // per


@given(st.times(), st.integers(1, MAX_MINUTES - 1))
def test_minutes_between_undoes_adding_minutes_to_a_clock_time(start, minutes):
    start = start.replace(second=0, microsecond=0, tzinfo=None)
    moment = datetime.datetime.combine(datetime.date(2025, 1, 1), start)
    end = (moment + datetime.timedelta(minutes=minutes)).time()
    assert minutes_between(start, end) == minutes


COMBINATIONS = {
    Provision.PERSONAL: ["AA"],
    Provision.DIRECTED_QK: ["QK", "QX"],
    Provision.DIRECTED_QY: ["QY", "QX"],
    Provision.CRNA_ALONE: ["QZ"],
    Provision.SUPERVISED: ["AD", "QX"],
}


@given(st.sampled_from(Provision), st.data())
def test_the_pricing_modifiers_give_their_provision_in_any_order_among_others(provision, data):
    others = data.draw(st.lists(st.sampled_from(["P1", "P3", "QS", "G8", "59"]), unique=True))
    modifiers = data.draw(st.permutations(COMBINATIONS[provision] + others))
    assert provision_from_modifiers(modifiers) is provision
