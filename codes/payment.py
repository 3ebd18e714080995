"""Anesthesia payment arithmetic: allowed amount = total units x conversion factor.

Pure functions on the standard library, so the figures can be checked without a database.
Every figure (base units, conversion factor, modifier units, the payer's rules) comes in as an
input with its source: nothing here is a payer's number. Money is rounded to the cent once, at
the end, half up, as a payer's claim system does.
"""

import datetime
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

MAX_MINUTES = 24 * 60
CENT = Decimal("0.01")
CRNA_SUPERVISED_NOTE = (
    "The sources on this site do not state the CRNA's share under medical supervision (AD); "
    "ask the payer."
)


class Provision(enum.StrEnum):
    """How the service was provided, as its pricing modifier says."""

    PERSONAL = "AA"
    DIRECTED_QK = "QK"
    DIRECTED_QY = "QY"
    CRNA_ALONE = "QZ"
    SUPERVISED = "AD"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Provision.PERSONAL: "Personally performed (AA)",
    Provision.DIRECTED_QK: "Medically directed, 2-4 cases (QK + QX)",
    Provision.DIRECTED_QY: "Medically directed, one CRNA (QY + QX)",
    Provision.CRNA_ALONE: "CRNA without medical direction (QZ)",
    Provision.SUPERVISED: "Medical supervision (AD)",
}
# What each way of providing the service means, to explain why two of them cannot go together.
_MEANINGS = {
    "AA": "performed personally by the anesthesiologist",
    "QK": "medical direction of 2-4 concurrent cases",
    "QY": "medical direction of one CRNA",
    "QZ": "a CRNA without medical direction",
    "AD": "medical supervision of more than four concurrent cases",
}


class TimeRounding(enum.StrEnum):
    TENTHS = "tenths"  # minutes / minutes_per_unit to one decimal place (Medicare)
    UP = "up"  # whole units, any started unit counts
    AFTER = "after"  # whole units, a started unit counts once it reaches round_up_after minutes


class EstimateError(ValueError):
    """Bad input, with the name of the input it belongs to: `field` ("minutes", "payer", ...)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Sourced:
    """A figure with where it comes from; `source` may hold URLs, one per line."""

    value: Decimal
    source: str
    label: str = ""
    unverified: bool = False


@dataclass(frozen=True)
class PayerRules:
    """One payer's way of counting units; each per-rule source falls back to `source`."""

    payer: str
    minutes_per_unit: int = 15
    time_rounding: TimeRounding = TimeRounding.TENTHS
    round_up_after: int = 0  # minutes, for AFTER only
    physical_status_units: bool = False
    qualifying_circumstance_units: bool = False
    direction_share: Decimal = Decimal("0.50")  # anesthesiologist's share when medically directed
    no_time_units: frozenset[str] = frozenset()
    supervision_base_units: int | None = 3  # None: the payer has no supervision (AD) rule
    supervision_induction_units: int = 1
    source: str = ""
    time_source: str = ""
    modifying_source: str = ""
    direction_source: str = ""
    no_time_source: str = ""
    supervision_source: str = ""


@dataclass(frozen=True)
class Case:
    code: str
    base_units: Sourced
    minutes: int
    provision: Provision
    physical_status: str = ""  # "P3" or ""
    physical_status_units: Sourced | None = None
    qualifying: tuple[tuple[str, Sourced], ...] = ()  # (code, its units)
    present_at_induction: bool = False  # AD only


@dataclass(frozen=True)
class Step:
    """One line of the working: the arithmetic in words, the rule applied and its source."""

    label: str
    value: Decimal | None
    unit: str
    working: str
    rule: str
    source: str
    ignored: bool = False  # shown but not counted (units the payer ignores)
    unverified: bool = False


@dataclass(frozen=True)
class Share:
    role: str
    modifier: str
    amount: Decimal | None  # None: not worked out; `note` says why
    note: str = ""


@dataclass(frozen=True)
class Estimate:
    case: Case
    rules: PayerRules
    conversion_factor: Sourced
    base_units: Decimal  # the base units applied (the supervision units for AD)
    time_units: Decimal
    modifying_units: Decimal  # counted physical status + qualifying units
    total_units: Decimal
    allowed: Decimal
    shares: tuple[Share, ...]
    steps: tuple[Step, ...]


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def provision_from_modifiers(modifiers: Iterable[str]) -> Provision:
    """The way of providing the service that the pricing modifiers name (others ignored).

    EstimateError("modifiers", ...) for none, an impossible combination, or a duplicate. A
    plain string is split on spaces and commas, since iterating it would give letters.
    """
    if isinstance(modifiers, str):
        modifiers = modifiers.replace(",", " ").split()
    seen: list[str] = []
    for modifier in (m.strip().upper() for m in modifiers):
        if modifier not in _MEANINGS and modifier != "QX":
            continue
        if modifier in seen:
            raise EstimateError("modifiers", f"{modifier} is reported twice: report it once.")
        seen.append(modifier)
    ways = [m for m in seen if m != "QX"]
    if not seen:
        message = "No pricing modifier: report AA, QK + QX, QY + QX, QZ or AD."
    elif not ways:
        message = (
            "QX is the CRNA's half of a medically directed case: "
            "report it with QK or QY on the anesthesiologist's line."
        )
    elif len(ways) > 1:
        named = " and ".join(f"{m} ({_MEANINGS[m]})" for m in ways)
        message = f"{named} are different ways of providing the service: report only one."
    elif "QX" in seen and ways[0] in ("AA", "QZ"):
        message = (
            f"QX is a CRNA under medical direction, but {ways[0]} means "
            f"{_MEANINGS[ways[0]]}: report {ways[0]} alone, or QK or QY with QX."
        )
    else:
        return Provision(ways[0])
    raise EstimateError("modifiers", message)


def minutes_between(start: datetime.time, end: datetime.time) -> int:
    """Anesthesia time from clock times, to the minute; an end before the start is past midnight.

    Equal times -> EstimateError("end", ...): neither no time nor exactly 24 hours is plausible.
    """
    minutes = (end.hour * 60 + end.minute - start.hour * 60 - start.minute) % MAX_MINUTES
    if minutes == 0:
        raise EstimateError("end", "The end time is the same as the start time.")
    return minutes


def time_units(minutes: int, rules: PayerRules, code: str) -> Decimal:
    _check_minutes(minutes)
    _check_rules(rules)
    return _time_step(minutes, rules, code).value


def estimate(case: Case, rules: PayerRules, conversion_factor: Sourced) -> Estimate:
    """The allowed amount and each clinician's share, with every step of the working.

    Validates the minutes (1..1440, EstimateError("minutes", ...)), AD for a payer without a
    supervision rule ("modifiers"), the conversion factor (more than 0, "factor"), the payer's
    rules ("payer") and every unit figure.
    """
    _check_minutes(case.minutes)
    _check_rules(rules)
    factor = conversion_factor.value
    if not factor.is_finite() or factor <= 0:
        raise EstimateError("factor", "The conversion factor must be more than $0.")
    payer, code = rules.payer, case.code
    code_base = _check_units(case.base_units, "base_units")
    if case.provision is Provision.SUPERVISED:
        if rules.supervision_base_units is None:
            raise EstimateError("modifiers", f"{payer} has no medical supervision (AD) rule.")
        src = rules.supervision_source or rules.source
        base = Decimal(rules.supervision_base_units)
        w = f"{_units(base)} for medical supervision, instead of {code}'s {_units(code_base)}."
        r = f"{payer} allows {_units(base)} for medical supervision (AD), whatever the code."
        base_step = Step("Base units", base, "units", w, r, src)
        induction = Decimal(rules.supervision_induction_units)
        time = induction if case.present_at_induction else Decimal(0)
        w = "" if case.present_at_induction else "not "
        w = f"Presence at induction {w}documented: {_units(time)}, whatever the minutes."
        r = (
            f"Under medical supervision {payer} allows {_units(induction)} of time "
            "only when presence at induction is documented."
        )
        time_step = Step("Time units", time, "units", w, r, src)
    else:
        base, src, flag = code_base, case.base_units.source, case.base_units.unverified
        w, r = f"{code} has {_num(base)} base units.", f"{payer} pays the code's base units."
        base_step = Step("Base units", base, "units", w, r, src, unverified=flag)
        time_step = _time_step(case.minutes, rules, code)
        time = time_step.value
    steps = [base_step, time_step, *_modifying_steps(case, rules)]

    modifying = sum((s.value for s in steps[2:] if not s.ignored), Decimal(0))
    total = base + time + modifying
    w = " + ".join(_num(s.value) for s in steps if not s.ignored) + f" = {_num(total)}"
    r = f"Total units are base units plus time units plus the modifying units {payer} counts."
    steps.append(Step("Total units", total, "units", w, r, rules.source))
    w = conversion_factor.label or f"${_num(factor)} per unit"
    r = "Each unit is paid at the conversion factor."
    src, flag = conversion_factor.source, conversion_factor.unverified
    steps.append(Step("Conversion factor", factor, "$ per unit", w, r, src, unverified=flag))
    allowed = money(total * factor)
    w = f"{_num(total)} × {_num(factor)} = {_num(total * factor)}, to the cent: {allowed:,}"
    r = "The allowed amount is total units × conversion factor, rounded once to the cent."
    steps.append(Step("Allowed amount", allowed, "$", w, r, rules.source))

    shares = _shares(case.provision, allowed, rules)
    for share, w, r, src in shares:
        steps.append(Step(f"{share.role} ({share.modifier})", share.amount, "$", w, r, src))
    shares = tuple(share for share, *_ in shares)
    return Estimate(
        case, rules, conversion_factor, base, time, modifying, total, allowed, shares, tuple(steps)
    )


def _shares(provision: Provision, allowed: Decimal, rules: PayerRules):
    """(share, working, rule, source) for each clinician paid for the case."""
    payer, src, shown = rules.payer, rules.source, f"{allowed:,}"
    whole = f"All of {shown}."
    if provision is Provision.PERSONAL:
        r = f"{payer} pays a case performed personally (AA) in full to the anesthesiologist."
        return ((Share("Anesthesiologist", "AA", allowed), whole, r, src),)
    if provision is Provision.CRNA_ALONE:
        r = f"{payer} pays a CRNA without medical direction (QZ) in full."
        return ((Share("CRNA", "QZ", allowed), whole, r, src),)
    if provision is Provision.SUPERVISED:
        src = rules.supervision_source or src
        r = f"{payer} pays the supervising anesthesiologist the supervision allowance."
        unknown = f"No source on this site says what {payer} pays the CRNA under supervision."
        return (
            (Share("Anesthesiologist", "AD", allowed), whole, r, src),
            (Share("CRNA", "QX", None, CRNA_SUPERVISED_NOTE), CRNA_SUPERVISED_NOTE, unknown, ""),
        )
    # The CRNA gets the remainder, so that the two shares add up to the allowance to the cent.
    share, src = rules.direction_share, rules.direction_source or src
    exact = allowed * share
    doctor, percent = money(exact), _num(share * 100)
    crna = allowed - doctor
    r = f"{payer} pays {percent}% of a medically directed case to the anesthesiologist, "
    r += "the rest to the CRNA."
    w = f"{percent}% of {shown} = {_num(exact)}, to the cent: {doctor:,}"
    return (
        (Share("Anesthesiologist", provision.value, doctor), w, r, src),
        (Share("CRNA", "QX", crna), f"{shown} − {doctor:,} = {crna:,}", r, src),
    )


def _modifying_steps(case: Case, rules: PayerRules):
    """A step for each physical status and qualifying circumstance, counted or ignored."""
    status, status_units = case.physical_status, case.physical_status_units
    if status and (len(status) != 2 or status[0] != "P" or status[1] not in "123456"):
        raise EstimateError("physical_status", f"{status} is not a physical status (P1-P6).")
    if not status and status_units is not None:
        raise EstimateError("physical_status", "Units are given but no physical status.")
    modifiers = [("physical_status", "Physical status", status, status_units)] if status else []
    modifiers += [("qualifying", "Qualifying circumstance", c, u) for c, u in case.qualifying]
    if not modifiers:
        return
    kinds = {
        "physical_status": (rules.physical_status_units, "physical status modifiers"),
        "qualifying": (rules.qualifying_circumstance_units, "qualifying circumstances"),
    }
    src = rules.modifying_source or rules.source
    seen = set()
    for field, label, name, units in modifiers:
        counted, kind = kinds[field]
        if name in seen:
            raise EstimateError(field, f"{name} is reported twice: report it once.")
        seen.add(name)
        if units is None and counted:
            raise EstimateError(field, f"No unit value was given for {name}.")
        # An ignored modifier may come without its units: it is still shown, valued None.
        value = None if units is None else _check_units(units, field)
        if counted:
            w, r = f"{name} adds {_units(value)}.", f"{rules.payer} adds units for {kind}."
        else:
            w = (
                f"{name}: not counted."
                if units is None
                else f"{name} ({_units(value)}): not counted."
            )
            r = f"{rules.payer} adds no units for {kind}; they are informational."
        sources, flag = (units.source, src) if units else (src,), bool(units and units.unverified)
        yield Step(f"{label} {name}", value, "units", w, r, _lines(*sources), not counted, flag)


def _time_step(minutes: int, rules: PayerRules, code: str) -> Step:
    payer, per = rules.payer, rules.minutes_per_unit
    if code in rules.no_time_units:
        w = f"{code} is paid without time units, whatever the minutes ({minutes:,}): 0"
        r = f"{payer} pays no time units for {code}."
        return Step("Time units", Decimal(0), "units", w, r, rules.no_time_source or rules.source)
    full, rest = divmod(minutes, per)
    shown = f"{minutes:,} minutes ÷ {per} = {_quotient(minutes, per)}"
    if rules.time_rounding is TimeRounding.TENTHS:
        # Integer half-up to tenths: exact, where rounding a long decimal quotient may not be.
        units = Decimal((minutes * 20 + per) // (per * 2)).scaleb(-1)
        w = f"{shown}, to one decimal place: {units}"
        r = f"{payer} counts time as minutes ÷ {per} to one decimal place."
    elif rules.time_rounding is TimeRounding.UP:
        units = Decimal(full + (rest > 0))
        w = f"{shown}, rounded up to whole units: {units}"
        r = f"{payer} counts time in whole {per}-minute units, any started unit counting."
    else:
        after = rules.round_up_after
        counts = rest >= after
        units = Decimal(full + counts)
        w = f"{minutes:,} minutes = {full} full units of {per}"
        if rest:
            verdict = "≥" if counts else "<"
            w += f" and {rest} minutes; {rest} {verdict} {after}, so the started unit " + (
                "counts" if counts else "does not count"
            )
        w += f": {units}"
        r = (
            f"{payer} counts time in whole {per}-minute units; "
            f"a started unit counts once it reaches {after} minutes."
        )
    return Step("Time units", units, "units", w, r, rules.time_source or rules.source)


def _check_minutes(minutes: int) -> None:
    if not isinstance(minutes, int) or isinstance(minutes, bool):
        raise EstimateError("minutes", "Anesthesia time must be a whole number of minutes.")
    if not 1 <= minutes <= MAX_MINUTES:
        raise EstimateError(
            "minutes", "Anesthesia time must be between 1 minute and 24 hours (1,440 minutes)."
        )


def _check_rules(rules: PayerRules) -> None:
    per, after = rules.minutes_per_unit, rules.round_up_after
    supervision = (rules.supervision_base_units or 0, rules.supervision_induction_units)
    if per < 1:
        problem = "a time unit must be at least 1 minute"
    elif rules.time_rounding is TimeRounding.AFTER and not 1 <= after <= per:
        problem = f"a started unit must count after 1 to {per} minutes, not {after}"
    elif not 0 <= rules.direction_share <= 1:
        problem = "the anesthesiologist's share must be between 0 and 1"
    elif min(supervision) < 0:
        problem = "supervision units cannot be negative"
    else:
        return
    raise EstimateError("payer", f"{rules.payer}'s rules cannot be used: {problem}.")


def _check_units(units: Sourced, field: str) -> Decimal:
    if not units.value.is_finite() or units.value < 0:
        raise EstimateError(field, f"Units must be zero or more, not {units.value}.")
    return units.value


def _lines(*sources: str) -> str:
    return "\n".join(dict.fromkeys(s for s in sources if s))


def _num(value: Decimal) -> str:
    """A Decimal as written by hand, without exponent or trailing zeros: 21.7, 50, 444.79792."""
    return f"{value.normalize():f}"


def _units(value: Decimal) -> str:
    return f"{_num(value)} unit" + ("" if value == 1 else "s")


def _quotient(minutes: int, per: int) -> str:
    """minutes ÷ per as written by hand: exact when short, else two places and an ellipsis."""
    hundredths, rest = divmod(minutes * 100, per)
    if rest:
        return f"{hundredths // 100}.{hundredths % 100:02}…"
    return _num(Decimal(hundredths).scaleb(-2))
