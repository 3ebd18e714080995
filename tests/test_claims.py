"""The claim-check rules (codes/claims.py) on facts written by hand: no database, so each rule's
reading of the facts is seen on its own; and the module's shape (plain Python, small rules, the
sources it cites among the reference facts the project keeps)."""

import ast
import inspect
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

from codes import claims
from codes.claimcheck import _prefix_range
from codes.claims import (
    ArticleFacts,
    Coverage,
    DiagnosisFacts,
    Facts,
    Line,
    ModifierFacts,
    PayerFacts,
    Placement,
    Severity,
    TaxonomyFacts,
)

ROOT = Path(__file__).resolve().parent.parent
PHYSICIANS = "Allopathic & Osteopathic Physicians"
CRNA = "Nurse Anesthetist, Certified Registered"
MODIFIERS = {
    "AA": ModifierFacts("AA", "Personally performed", True, False, (PHYSICIANS,)),
    "QX": ModifierFacts("QX", "CRNA, medically directed", True, False, (CRNA,)),
    "QS": ModifierFacts("QS", "MAC", False, False, (), Placement.AFTER_PRICING),
    "P3": ModifierFacts("P3", "Severe systemic disease", False, True),
    "23": ModifierFacts("23", "Unusual anesthesia", False, False, (), Placement.PROCEDURE),
}
ANESTHESIOLOGIST = TaxonomyFacts("207L00000X", "Anesthesiology", PHYSICIANS, "Anesthesiology")
MEDICARE = PayerFacts(
    "medicare",
    "Medicare",
    has_rules=True,
    no_time_units=frozenset({"01996"}),
    no_time_source="CMS manual",
    factor_in_force=True,
)


def facts(**changes) -> Facts:
    fields = {
        "known_code": True,
        "anesthesia": True,
        "article": ArticleFacts(("M48.04",), ("207L00000X",), "21", "Inpatient Hospital"),
        "modifiers": MODIFIERS,
        "diagnoses": {"M48.04": DiagnosisFacts("M48.04", True, "code", ("M48", "M48.0"))},
        "taxonomy": ANESTHESIOLOGIST,
        "place_name": "Inpatient Hospital",
        "payer": MEDICARE,
    }
    return Facts(**(fields | changes))


def good(**changes) -> Line:
    fields = {
        "code": "00620",
        "modifiers": ("AA", "P3"),
        "diagnoses": ("M48.04",),
        "taxonomy": "207L00000X",
        "place": "21",
        "payer": "medicare",
        "day": date(2026, 3, 2),
        "minutes": 176,
    }
    return Line(**(fields | changes))


def named(found) -> list[str]:
    return [f"{f.severity} {f.rule}" for f in found]


def test_a_good_line_has_no_finding():
    assert claims.check(good(), facts()) == []


def test_findings_come_errors_first():
    found = claims.check(good(modifiers=("QS",), place="", minutes=None), facts())
    ranks = [f.severity.rank for f in found]
    assert ranks == sorted(ranks) and found[0].severity is Severity.ERROR


def test_who_reports_a_modifier_comes_from_its_facts():
    crna = TaxonomyFacts("367500000X", "Nurse Anesthetist", "APN", CRNA)
    assert "error modifier-clinician" in named(claims.check(good(), facts(taxonomy=crna)))
    anyone = MODIFIERS | {"AA": ModifierFacts("AA", "Personally performed", True, False)}
    found = claims.check(good(), facts(taxonomy=crna, modifiers=anyone))
    assert "error modifier-clinician" not in named(found)


def test_which_modifiers_price_a_line_comes_from_their_facts():
    line = good(modifiers=("AA", "QX", "P3"), taxonomy="")
    assert "error pricing-modifier" in named(claims.check(line, facts(taxonomy=None)))
    informational = MODIFIERS | {"QX": ModifierFacts("QX", "CRNA", False, False)}
    found = claims.check(line, facts(taxonomy=None, modifiers=informational))
    assert "error pricing-modifier" not in named(found)


def test_placement_comes_from_the_modifiers_facts():
    line = good(modifiers=("QS", "AA", "P3"))
    assert named(claims.check(line, facts())) == ["warning modifier-placement"]
    anywhere = MODIFIERS | {"QS": ModifierFacts("QS", "MAC", False, False)}
    assert claims.check(line, facts(modifiers=anywhere)) == []


def test_procedure_modifiers_are_for_procedure_codes_only():
    line = good(modifiers=("AA", "23", "P3"))
    assert named(claims.check(line, facts())) == ["warning modifier-placement"]
    procedure = good(code="10021", modifiers=("23",), minutes=None)
    assert claims.check(procedure, facts(anesthesia=False, article=None)) == [
        claims.Finding(
            "cpt-code",
            Severity.NOTE,
            "CPT 10021 has no published article on cptref yet: its diagnoses, places of service "
            "and payers' coverage could not be checked.",
            (claims.Ref("cpt", "10021"),),
        )
    ]


def test_a_header_names_what_lies_beneath_it():
    header = DiagnosisFacts("M48.0", False, "code", ("M48",), ("M48.00", "M48.01"), 7)
    [finding] = claims.check(good(diagnoses=("M48.0",)), facts(diagnoses={"M48.0": header}))
    assert finding.message == (
        "M48.0 is a header, not a billable code: choose a billable code beneath it: M48.00, "
        "M48.01 and 7 more (see its page)."
    )


def test_a_diagnosis_under_a_linked_header_supports_the_code():
    article = ArticleFacts(("M48.0",), ("207L00000X",), "21", "Inpatient Hospital")
    assert claims.check(good(), facts(article=article)) == []


def test_coverage_notes_and_policy_updates_are_noted_for_the_payer_of_the_line():
    coverage = (
        Coverage("medicare", "Medicare", "Covered with documentation."),
        Coverage("medicare", "Medicare", "New LCD.", date(2026, 2, 1)),
        Coverage("aetna", "Aetna", "Prior authorization."),
    )
    article = ArticleFacts(("M48.04",), ("207L00000X",), "21", "Inpatient Hospital", coverage)
    found = claims.check(good(), facts(article=article))
    assert [f.message for f in found] == [
        "Medicare on 00620: Covered with documentation.",
        "Medicare, 2026-02-01: New LCD.",
    ]
    assert [f.refs for f in found] == [
        (claims.Ref("payer", "medicare"),),
        (claims.Ref("policy", "00620"),),
    ]


def test_time_is_not_asked_where_the_payer_pays_none():
    assert claims.check(good(code="01996", minutes=None), facts()) == []
    [finding] = claims.check(good(code="01996", minutes=30), facts())
    assert finding.rule == "anesthesia-time" and finding.source == "CMS manual"


def test_no_conversion_factor_on_the_day_is_said_plainly():
    payer = PayerFacts("medicare", "Medicare", has_rules=True, factor_in_force=False)
    [finding] = claims.check(good(), facts(payer=payer))
    assert finding.message == (
        "cptref has no conversion factor of Medicare in force on 2026-03-02: check the date of "
        "service, or the payer's fee schedule."
    )


# The module's shape -------------------------------------------------------------------------


def test_every_rule_is_small_and_named_once():
    names = [rule.name for rule in claims.RULES]
    assert len(names) == len(set(names)) >= 14
    for rule in claims.RULES:
        lines, _ = inspect.getsourcelines(rule.run)
        assert len(lines) < 30 + 1, rule.name  # the decorator line and the function


def test_the_module_imports_only_the_standard_library():
    tree = ast.parse((ROOT / "codes" / "claims.py").read_text())
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
        )
    }
    assert imported <= {"collections", "dataclasses", "datetime", "enum"}
    script = "import sys, codes.claims; print(sorted(m for m in sys.modules if 'django' in m))"
    output = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "[]"


def test_the_sources_the_rules_cite_are_among_the_reference_facts():
    facts_text = json.dumps(json.loads((ROOT / "fixtures" / "sources" / "facts.json").read_text()))
    sources = [
        claims.PRICING_EXCLUSIVE_SOURCE,
        claims.PRICING_REQUIRED_SOURCE,
        claims.MEDICAL_DIRECTION_SOURCE,
    ]
    for source in sources:
        for address in source.splitlines():
            assert address in facts_text, address


def test_the_codes_beneath_a_header_lie_in_one_range_of_codes():

    assert _prefix_range("M48.0") == ("M48.0", "M48.1")
    assert _prefix_range("M48.9") == ("M48.9", "M49")
    assert _prefix_range("M49") == ("M49", "M5")
    assert _prefix_range("S32.0Z") == ("S32.0Z", "S32.1")
    assert _prefix_range("Z99") == ("Z99", "ZZ")
    codes = ["M48.0", "M48.00", "M48.08", "M48.1", "M48.9", "M48.91", "M49", "M49.80", "M5"]
    for header in ("M48.0", "M48.9", "M49"):
        low, high = _prefix_range(header)
        assert [c for c in codes if low < c < high] == [
            c for c in codes if c.startswith(header) and c != header
        ]
