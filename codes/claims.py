"""Claim-line checks: what a payer would reject or question on one line, and why.

Plain functions on the standard library. A line (`Line`) and the facts the site holds about
what it names (`Facts`, filled from the database by codes/claimcheck.py) go in; findings come
out, each with its severity, one sentence saying what is wrong and what to do, the records that
support it (`Ref`) and, where the rule comes from a public document, its source. No list of
codes is written here: which modifiers price a line, which clinicians report them, what a code's
diagnoses and places of service are, all come from the facts, that is, from what editors keep.
"""

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

MAX_MINUTES = 24 * 60

# Public sources of the rules (fixtures/sources/facts.json: modifier_rules).
PRICING_EXCLUSIVE_SOURCE = (
    "https://www.emblemhealth.com/providers/claims-corner/coding/anesthesia-modifier-reporting"
)
MEDICAL_DIRECTION_SOURCE = "https://www.dmba.com/provider/AnesthesiaModifierTable.aspx"
PRICING_REQUIRED_SOURCE = (
    "https://anesthesiabilling.org/2010/07/anesthesia-modifier-with-example.html\n"
    "https://mirahealth.care/reference/glossary/anesthesia-modifier"
)


class Severity(enum.StrEnum):
    ERROR = "error"  # the payer will reject the line
    WARNING = "warning"  # likely to be questioned
    NOTE = "note"  # worth knowing

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class Placement(enum.StrEnum):
    """Where a modifier goes, as its page says (Modifier.placement)."""

    ANY = ""
    AFTER_PRICING = "after_pricing"  # on the same line as a pricing modifier, after it
    PROCEDURE = "procedure"  # on the procedure's own code, not on an anesthesia code


@dataclass(frozen=True)
class Ref:
    """A record that supports a finding: kind ("cpt", "modifier", "icd10", "taxonomy", "pos",
    "payer", "policy", "factors") and its code (a payer's slug)."""

    kind: str
    code: str


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    refs: tuple[Ref, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class Line:
    """One claim line as the coder gave it, codes in their canonical form."""

    code: str
    modifiers: tuple[str, ...] = ()
    diagnoses: tuple[str, ...] = ()
    taxonomy: str = ""
    place: str = ""
    payer: str = ""  # a payer's slug
    day: date | None = None
    minutes: int | None = None


@dataclass(frozen=True)
class ModifierFacts:
    code: str
    name: str
    pricing: bool
    physical_status: bool
    reported_by: tuple[str, ...] = ()  # NUCC groupings or classifications; empty: anyone
    placement: Placement = Placement.ANY


@dataclass(frozen=True)
class DiagnosisFacts:
    code: str
    billable: bool
    kind: str  # chapter, block, category or code
    ancestors: tuple[str, ...] = ()
    billable_beneath: tuple[str, ...] = ()  # the first few billable codes beneath a header
    more_beneath: int = 0  # how many more there are


@dataclass(frozen=True)
class TaxonomyFacts:
    code: str
    name: str
    grouping: str
    classification: str


@dataclass(frozen=True)
class Coverage:
    """A payer's word on the code: its coverage note, or a dated policy update."""

    payer: str  # slug
    payer_name: str
    text: str
    day: date | None = None  # a policy update's date


@dataclass(frozen=True)
class ArticleFacts:
    """What the code's published article says."""

    diagnoses: tuple[str, ...] = ()  # linked ICD-10-CM codes, in the article's order
    taxonomies: tuple[str, ...] = ()
    place: str = ""  # the typical place of service
    place_name: str = ""
    coverage: tuple[Coverage, ...] = ()  # coverage notes, then policy updates newest first


@dataclass(frozen=True)
class PayerFacts:
    slug: str
    name: str
    has_rules: bool = False
    no_time_units: frozenset[str] = frozenset()
    no_time_source: str = ""
    factor_in_force: bool = False  # a conversion factor on the line's date of service


@dataclass(frozen=True)
class Facts:
    """Everything the rules read about one line."""

    known_code: bool = False  # an article (in any status) or base units
    anesthesia: bool = False  # the code has base units
    article: ArticleFacts | None = None  # the published article
    modifiers: dict[str, ModifierFacts] = field(default_factory=dict)  # every modifier known
    diagnoses: dict[str, DiagnosisFacts] = field(default_factory=dict)  # those that exist
    taxonomy: TaxonomyFacts | None = None
    place_name: str = ""  # the line's place of service, if known
    payer: PayerFacts | None = None


@dataclass(frozen=True)
class Rule:
    name: str
    checks: str  # what it checks, for "what was checked"
    run: Callable[[Line, Facts], Iterator[Finding]]


RULES: list[Rule] = []


def rule(name: str, checks: str):
    def register(function):
        RULES.append(Rule(name, checks, function))
        return function

    return register


def check(line: Line, facts: Facts) -> list[Finding]:
    """Every finding of every rule, errors first, in the rules' order within a severity."""
    found = [finding for each in RULES for finding in each.run(line, facts)]
    return sorted(found, key=lambda finding: finding.severity.rank)


def _listed(codes, more: int = 0) -> str:
    text = ", ".join(codes)
    return f"{text} and {more:,} more" if more else text


def _supported(code: str, facts: Facts) -> bool:
    """The article links the diagnosis, or a header above it."""
    linked = set(facts.article.diagnoses)
    found = facts.diagnoses.get(code)
    return code in linked or (found is not None and bool(linked & set(found.ancestors)))


def _pricing(line: Line, facts: Facts) -> list[str]:
    return [
        m for m in dict.fromkeys(line.modifiers) if m in facts.modifiers and _is_pricing(m, facts)
    ]


def _is_pricing(code: str, facts: Facts) -> bool:
    return facts.modifiers[code].pricing


# Codes --------------------------------------------------------------------------------------


@rule("cpt-code", "The CPT code is known to the site and has a published article.")
def cpt_code(line: Line, facts: Facts) -> Iterator[Finding]:
    ref = (Ref("cpt", line.code),)
    if not facts.known_code:
        yield Finding(
            "cpt-code",
            Severity.NOTE,
            f"cptref has nothing on CPT {line.code}: the modifiers and diagnoses were checked "
            "on their own, not against the code.",
        )
    elif facts.article is None:
        yield Finding(
            "cpt-code",
            Severity.NOTE,
            f"CPT {line.code} has no published article on cptref yet: its diagnoses, places of "
            "service and payers' coverage could not be checked.",
            ref,
        )


def once_and_known(
    name: str, codes, known, *, kind: str, twice: tuple, unknown: str
) -> Iterator[Finding]:
    """For rule `name`: a code given again (`twice`: its severity and sentence, linked to the
    code's page) and a code the site does not know (`unknown`, an error); "{}" is the code."""
    seen = set()
    for code in codes:
        if code in seen:
            severity, sentence = twice
            yield Finding(name, severity, sentence.format(code), (Ref(kind, code),))
        elif code not in known:
            yield Finding(name, Severity.ERROR, unknown.format(code))
        seen.add(code)


@rule("diagnosis-exists", "Each ICD-10-CM code exists and is given once.")
def diagnosis_exists(line: Line, facts: Facts) -> Iterator[Finding]:
    if not line.diagnoses:
        yield Finding(
            "diagnosis-exists",
            Severity.ERROR,
            "No diagnosis: a claim line points to at least one ICD-10-CM code.",
        )
    yield from once_and_known(
        "diagnosis-exists",
        line.diagnoses,
        facts.diagnoses,
        kind="icd10",
        twice=(Severity.WARNING, "{} is listed twice: list each diagnosis once."),
        unknown="{} is not an ICD-10-CM code: check it against the code book.",
    )


@rule("diagnosis-billable", "Each ICD-10-CM code is billable, not a header.")
def diagnosis_billable(line: Line, facts: Facts) -> Iterator[Finding]:
    for code in dict.fromkeys(line.diagnoses):
        found = facts.diagnoses.get(code)
        if found is None or found.billable:
            continue
        beneath = "choose a billable code beneath it"
        if found.billable_beneath:
            beneath += f": {_listed(found.billable_beneath, found.more_beneath)}"
        if found.more_beneath:
            beneath += " (see its page)"
        yield Finding(
            "diagnosis-billable",
            Severity.ERROR,
            f"{code} is a header, not a billable code: {beneath}.",
            (Ref("icd10", code),),
        )


@rule(
    "diagnosis-supports",
    "Each ICD-10-CM code is among those the code's article links, and one of them comes first.",
)
def diagnosis_supports(line: Line, facts: Facts) -> Iterator[Finding]:
    if facts.article is None or not facts.article.diagnoses:
        return
    given = [c for c in dict.fromkeys(line.diagnoses) if c in facts.diagnoses]
    linked = _listed(facts.article.diagnoses)
    ref = Ref("cpt", line.code)
    for code in given:
        if facts.diagnoses[code].billable and not _supported(code, facts):
            yield Finding(
                "diagnosis-supports",
                Severity.WARNING,
                f"{code} is not among the diagnoses that support {line.code} on cptref "
                f"({linked}): check that the record supports the procedure.",
                (Ref("icd10", code), ref),
            )
    supporting = [code for code in given if _supported(code, facts)]
    first = given[0] if given else None
    if first and facts.diagnoses[first].billable and supporting and first not in supporting:
        yield Finding(
            "diagnosis-supports",
            Severity.WARNING,
            f"The first-listed diagnosis, {given[0]}, does not support {line.code}: list "
            f"{supporting[0]} first.",
            (Ref("icd10", supporting[0]), ref),
        )


# Modifiers ----------------------------------------------------------------------------------


@rule("modifier-known", "Each modifier exists and is given once.")
def modifier_known(line: Line, facts: Facts) -> Iterator[Finding]:
    yield from once_and_known(
        "modifier-known",
        line.modifiers,
        facts.modifiers,
        kind="modifier",
        twice=(Severity.ERROR, "{} is given twice: report a modifier once."),
        unknown="{} is not a modifier on cptref: check it against the code set.",
    )


@rule("pricing-modifier", "An anesthesia line carries exactly one pricing modifier.")
def pricing_modifier(line: Line, facts: Facts) -> Iterator[Finding]:
    pricing = _pricing(line, facts)
    if facts.anesthesia and not pricing:
        named = ", ".join(m.code for m in facts.modifiers.values() if m.pricing)
        yield Finding(
            "pricing-modifier",
            Severity.ERROR,
            f"No pricing modifier: every anesthesia line carries one of {named}.",
            source=PRICING_REQUIRED_SOURCE,
        )
    if len(pricing) > 1:
        refs = tuple(Ref("modifier", m) for m in pricing)
        meanings = "; ".join(f"{m}: {facts.modifiers[m].name}" for m in pricing)
        message = (
            f"{' and '.join(pricing)} are pricing modifiers, and a line carries only one "
            f"({meanings})."
        )
        if "QX" in pricing:
            message += (
                " A medically directed case is two lines: the anesthesiologist's with QK or "
                "QY, the CRNA's with QX."
            )
        yield Finding("pricing-modifier", Severity.ERROR, message, refs, PRICING_EXCLUSIVE_SOURCE)


@rule("medical-direction", "A CRNA's medically directed line has its anesthesiologist's line.")
def medical_direction(line: Line, facts: Facts) -> Iterator[Finding]:
    if _pricing(line, facts) == ["QX"]:
        yield Finding(
            "medical-direction",
            Severity.NOTE,
            "QX is the CRNA's half of a medically directed case: the anesthesiologist's line "
            "for the same case carries QK or QY.",
            (Ref("modifier", "QX"),),
            MEDICAL_DIRECTION_SOURCE,
        )


@rule("modifier-clinician", "Each modifier is one that the line's provider type reports.")
def modifier_clinician(line: Line, facts: Facts) -> Iterator[Finding]:
    taxonomy = facts.taxonomy
    if taxonomy is None:
        return
    for code in dict.fromkeys(line.modifiers):
        known = facts.modifiers.get(code)
        if known is None or not known.reported_by:
            continue
        if taxonomy.grouping in known.reported_by or taxonomy.classification in known.reported_by:
            continue
        yield Finding(
            "modifier-clinician",
            Severity.ERROR,
            f"{code} is reported by {' or '.join(known.reported_by)}, but the rendering "
            f"provider's taxonomy {taxonomy.code} is {taxonomy.name}: check the modifier or "
            "the rendering provider.",
            (Ref("modifier", code), Ref("taxonomy", taxonomy.code)),
        )


@rule("physical-status", "An anesthesia line carries one physical status modifier.")
def physical_status(line: Line, facts: Facts) -> Iterator[Finding]:
    given = [m for m in dict.fromkeys(line.modifiers) if m in facts.modifiers]
    status = [m for m in given if facts.modifiers[m].physical_status]
    if facts.anesthesia and not status:
        named = ", ".join(m.code for m in facts.modifiers.values() if m.physical_status)
        yield Finding(
            "physical-status",
            Severity.WARNING,
            f"No physical status modifier ({named}): payers that add physical status units "
            "price the line from it.",
        )
    if len(status) > 1:
        yield Finding(
            "physical-status",
            Severity.ERROR,
            f"{' and '.join(status)} are both physical status modifiers: a patient has one "
            "physical status; report only the one the anesthesiologist assessed.",
            tuple(Ref("modifier", m) for m in status),
        )


@rule("modifier-placement", "Each modifier sits where its page says it goes.")
def modifier_placement(line: Line, facts: Facts) -> Iterator[Finding]:
    order = [m for m in dict.fromkeys(line.modifiers) if m in facts.modifiers]
    pricing = [order.index(m) for m in _pricing(line, facts)]
    for position, code in enumerate(order):
        placement, ref = facts.modifiers[code].placement, (Ref("modifier", code),)
        if placement == Placement.AFTER_PRICING and not pricing:
            message = f"{code} is informational: report it with a pricing modifier, after it."
            yield Finding(
                "modifier-placement", Severity.ERROR, message, ref, PRICING_REQUIRED_SOURCE
            )
        elif placement == Placement.AFTER_PRICING and position < min(pricing):
            message = f"{code} goes after the pricing modifier: {order[min(pricing)]} {code}."
            yield Finding(
                "modifier-placement", Severity.WARNING, message, ref, PRICING_REQUIRED_SOURCE
            )
        elif placement == Placement.PROCEDURE and facts.anesthesia:
            message = (
                f"{code} goes on the code of the procedure itself, not on an anesthesia code "
                f"such as {line.code}: see its page for when to use it."
            )
            yield Finding("modifier-placement", Severity.WARNING, message, ref)


# Setting and payer --------------------------------------------------------------------------


@rule("provider", "The rendering provider's taxonomy is one that bills the code.")
def provider(line: Line, facts: Facts) -> Iterator[Finding]:
    if not line.taxonomy and facts.anesthesia:
        yield Finding(
            "provider",
            Severity.NOTE,
            "No rendering provider taxonomy: without it the modifiers could not be checked "
            "against the provider type.",
        )
    article, taxonomy = facts.article, facts.taxonomy
    if article and article.taxonomies and taxonomy and taxonomy.code not in article.taxonomies:
        yield Finding(
            "provider",
            Severity.NOTE,
            f"{taxonomy.code} ({taxonomy.name}) is not among the provider types that bill "
            f"{line.code} on cptref ({_listed(article.taxonomies)}).",
            (Ref("taxonomy", taxonomy.code), Ref("cpt", line.code)),
        )


@rule("place-of-service", "The place of service is given and typical of the code.")
def place_of_service(line: Line, facts: Facts) -> Iterator[Finding]:
    if not line.place:
        yield Finding(
            "place-of-service",
            Severity.WARNING,
            "No place of service: a professional claim line states one.",
        )
        return
    article = facts.article
    if article is not None and article.place and line.place != article.place:
        yield Finding(
            "place-of-service",
            Severity.NOTE,
            f"{line.code} is typically billed in place of service {article.place} "
            f"({article.place_name}), not {line.place} ({facts.place_name}): check the setting.",
            (Ref("pos", line.place), Ref("cpt", line.code)),
        )


@rule("payer-policy", "The payer's coverage note and policy updates for the code.")
def payer_policy(line: Line, facts: Facts) -> Iterator[Finding]:
    if facts.article is None or not line.payer:
        return
    for said in facts.article.coverage:
        if said.payer != line.payer:
            continue
        if said.day is None:
            message = f"{said.payer_name} on {line.code}: {said.text}"
            ref = Ref("payer", said.payer)
        else:
            message = f"{said.payer_name}, {said.day.isoformat()}: {said.text}"
            ref = Ref("policy", line.code)
        yield Finding("payer-policy", Severity.NOTE, message, (ref,))


@rule("conversion-factor", "The payer has a conversion factor in force on the date of service.")
def conversion_factor(line: Line, facts: Facts) -> Iterator[Finding]:
    if not facts.anesthesia:
        return
    if line.day is None:
        yield Finding(
            "conversion-factor",
            Severity.WARNING,
            "No date of service: a claim line states one, and it picks the conversion factor.",
        )
        return
    payer = facts.payer
    if payer is None:
        return
    if not payer.has_rules:
        message = f"cptref has no anesthesia rules of {payer.name}: the line could not be priced."
        yield Finding("conversion-factor", Severity.NOTE, message, (Ref("payer", payer.slug),))
    elif not payer.factor_in_force:
        message = (
            f"cptref has no conversion factor of {payer.name} in force on "
            f"{line.day.isoformat()}: check the date of service, or the payer's fee schedule."
        )
        yield Finding(
            "conversion-factor",
            Severity.WARNING,
            message,
            (Ref("payer", payer.slug), Ref("factors", "")),
        )


# Time ---------------------------------------------------------------------------------------


@rule("anesthesia-time", "Anesthesia time is given, plausible and paid for the code.")
def anesthesia_time(line: Line, facts: Facts) -> Iterator[Finding]:
    minutes, payer = line.minutes, facts.payer
    unpaid = payer is not None and line.code in payer.no_time_units
    if not facts.anesthesia:
        return
    if minutes is None and not unpaid:
        message = "No anesthesia time: time units are paid from the minutes on the line."
        yield Finding("anesthesia-time", Severity.ERROR, message)
    elif minutes is not None and minutes <= 0:
        message = "Anesthesia time is zero or less: give the minutes from start to end."
        yield Finding("anesthesia-time", Severity.ERROR, message)
    elif minutes is not None and minutes > MAX_MINUTES:
        message = f"{minutes:,} minutes is over 24 hours: check the start and end times."
        yield Finding("anesthesia-time", Severity.ERROR, message)
    elif minutes is not None and unpaid:
        yield Finding(
            "anesthesia-time",
            Severity.WARNING,
            f"{payer.name} pays no time units for {line.code}: the {minutes:,} minutes add "
            "nothing; report the base units only.",
            (Ref("payer", payer.slug),),
            payer.no_time_source,
        )
