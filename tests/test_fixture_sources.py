"""The fixtures say what their sources say: every base unit, conversion factor,
qualifying-circumstance unit, Medicare rule and provider taxonomy is checked against the copy of
the reference material in fixtures/sources/ (facts.json, the CMS and NUCC files). A figure changed
in one and not the other fails here, naming both. And no shipped text speaks of how the facts
were gathered."""

import csv
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent.parent / "fixtures"
FACTS = json.loads((FIXTURES / "sources" / "facts.json").read_text())
CMS_FILE = FIXTURES / "sources" / "cms" / "anesthesia_base_units_cy2022.csv"


def records(name: str, model: str) -> list[dict]:
    rows = json.loads((FIXTURES / name).read_text())
    return [row["fields"] for row in rows if row["model"] == model]


def urls(source) -> set[str]:
    text = " ".join(source) if isinstance(source, list) else source
    return set(re.findall(r"https?://\S+", text))


def test_every_anesthesia_code_of_the_cms_file_has_its_base_units():
    cms = {row["cpt"]: int(row["base_units"]) for row in csv.DictReader(CMS_FILE.open())}
    facts = {item["cpt"]: item for item in FACTS["anesthesia_base_units_cms"]["items"]}
    fixture = {
        row["code"]: row for row in records("06_anesthesia_base_units.json", "codes.baseunit")
    }
    assert len(cms) == len(facts) == len(fixture) == 276
    for code, units in cms.items():
        fact, row = facts[code], fixture[code]
        assert row["units"] == units == fact["base_units"], (
            f"{code}: fixture {row['units']}, CMS file {units}, facts.json {fact['base_units']}"
        )
        assert row["confidence"] == fact["confidence"], code
        assert fact["period"].startswith(row["period"]), code
        assert "CY_2022_Anesthesia_Base_Units_110921" in row["source"], code


def test_every_conversion_factor_is_a_fact_with_its_source_and_confidence():
    facts = [
        f for f in FACTS["anesthesia_conversion_factors_national"] if "proposed" not in f["status"]
    ]
    fixture = records("07_anesthesia_payment.json", "codes.conversionfactor")
    assert len(fixture) == len(facts) == 6
    for fact in facts:
        found = [row for row in fixture if Decimal(row["amount"]) == Decimal(str(fact["value"]))]
        assert len(found) == 1, f"facts.json {fact['year']} {fact['value']}: not in the fixtures"
        row = found[0]
        assert row["label"].startswith(fact["year"]), (row["label"], fact["year"])
        assert row["confidence"] == fact["confidence"], row["label"]
        assert urls(fact["source"]) <= urls(row["source"]), row["label"]


def test_the_periods_follow_the_facts_statuses():
    """CY2024 changed on 9 March (the Consolidated Appropriations Act 2024); CY2026 has one
    factor for qualifying APM participants and one for the others."""
    fixture = {
        (row["label"], row["clinicians"]): row
        for row in records("07_anesthesia_payment.json", "codes.conversionfactor")
    }
    assert fixture[("CY2024, to 8 March", "all")]["effective_to"] == "2024-03-08"
    assert fixture[("CY2024, from 9 March", "all")]["effective_from"] == "2024-03-09"
    assert fixture[("CY2026", "qp")]["amount"] == "20.5998"
    assert fixture[("CY2026", "non_qp")]["amount"] == "20.4976"


def test_qualifying_circumstance_units_are_the_facts():
    facts = {item["code"]: item for item in FACTS["qualifying_circumstances_units"]["items"]}
    fixture = records("07_anesthesia_payment.json", "codes.qualifyingcircumstance")
    assert {row["code"] for row in fixture} == set(facts)
    for row in fixture:
        fact = facts[row["code"]]
        assert (row["units"], row["confidence"]) == (fact["units"], fact["confidence"]), row
        assert urls(fact["source"]) <= urls(row["source"]), row["code"]


@pytest.mark.parametrize(
    "field, fact_begins",
    [
        ("source", "Allowed amount"),
        ("time_source", "Claim reports actual anesthesia minutes"),
        ("no_time_source", "No time units"),
        ("direction_source", "Medically directed cases"),
        ("supervision_source", "Medical supervision (AD)"),
        ("modifying_source", "Physical status modifiers"),
    ],
)
def test_each_medicare_rule_cites_the_source_of_its_fact(field, fact_begins):
    (rule,) = records("07_anesthesia_payment.json", "codes.payerrule")
    fact = next(
        f
        for f in FACTS["medicare_anesthesia_payment_rules"]
        if f.get("fact", "").startswith(fact_begins)
    )
    cited = fact["source"] if isinstance(fact["source"], list) else [fact["source"]]
    for source in cited:
        assert source in rule[field], f"{field}: {source}"


def test_the_medicare_rule_values_are_the_facts():
    (rule,) = records("07_anesthesia_payment.json", "codes.payerrule")
    rules = " ".join(f.get("fact", "") for f in FACTS["medicare_anesthesia_payment_rules"])
    assert "divides minutes by 15 and rounds the time unit to one decimal place" in rules
    assert (rule["minutes_per_unit"], rule["time_rounding"]) == (15, "tenths")
    assert "No time units are recognized for CPT 01995 or 01996" in rules
    assert rule["no_time_units"] == "01995 01996"
    assert "each party gets 50% of the allowance" in rules and rule["direction_share"] == "0.50"
    assert "physician gets 3 base units (+1 time unit" in rules
    assert (rule["supervision_base_units"], rule["supervision_induction_units"]) == (3, 1)
    assert "do not add units under Medicare" in rules
    assert not rule["physical_status_units"] and not rule["qualifying_circumstance_units"]


# How the reference facts were gathered, not where they come from: words for researchers, never
# for readers (issue "what an outside check found", point 5).
RESEARCH_WORDS = ("this session", "re-read", "recalled", "not read here", "corpus")


def test_no_shipped_text_speaks_of_how_the_facts_were_gathered():
    for path in sorted(FIXTURES.glob("*.json")):
        for row in json.loads(path.read_text()):
            for field, value in row["fields"].items():
                if isinstance(value, str):
                    found = [word for word in RESEARCH_WORDS if word in value.lower()]
                    assert not found, f"{path.name} {row['model']} {field}: {found}"


def test_the_related_codes_cite_the_cms_file_their_base_units_come_from():
    cited = "CMS “Anesthesia Base Units by CPT Code” file for CY2022"
    codes = {item["cpt"] for item in FACTS["anesthesia_base_units_cms"]["items"]}
    related = records("10_cpt_00620.json", "codes.relatedcode")
    spine = [
        row
        for row in related
        if "00600" <= row["code"] <= "00670" and "00600-00670" in row["source"]
    ]
    assert len(spine) == 7
    for row in spine:
        assert row["code"] in codes and row["source"].startswith(cited), row["code"]


def test_the_taxonomies_are_nuccs_own_words():
    nucc_file = FIXTURES / "sources" / "nucc" / "nucc_taxonomy_251.csv"
    nucc = {row["Code"]: row for row in csv.DictReader(nucc_file.open(encoding="utf-8-sig"))}
    assert len(nucc) == 883
    for row in json.loads((FIXTURES / "02_provider_taxonomies.json").read_text()):
        fields = row["fields"]
        published = nucc[fields["code"]]
        for field, column in [
            ("grouping", "Grouping"),
            ("classification", "Classification"),
            ("specialization", "Specialization"),
        ]:
            assert fields.get(field, "") == published[column], (fields["code"], field)
        if fields.get("display_name"):
            assert fields["display_name"] == published["Display Name"], fields["code"]
        assert "NUCC Health Care Provider Taxonomy code set, version 25.1" in fields["source"]


def by_code(name: str, model: str) -> dict[str, dict]:
    return {row["code"]: row for row in records(name, model)}


def test_the_places_of_service_the_facts_name_are_the_facts():
    fixture = by_code("01_places_of_service.json", "codes.placeofservice")
    for fact in FACTS["place_of_service"]["items"]:
        row = fixture[fact["code"]]
        assert row["name"] == fact["name"], (fact["code"], row["name"], fact["name"])
        assert row["confidence"] == fact["confidence"], fact["code"]
        assert urls(fact["source"]) <= urls(row["source"]), fact["code"]


def test_the_modifiers_are_the_facts():
    fixture = by_code("03_modifiers.json", "codes.modifier")
    for fact in FACTS["modifiers"]:
        row = fixture[fact["code"]]
        name = fact.get("meaning") or fact["short_label"]
        assert row["name"] == name, (fact["code"], row["name"], name)
        if "kind" in fact:
            assert fact["kind"].startswith(row["kind"]), (fact["code"], row["kind"], fact["kind"])
        assert row["confidence"] == fact["confidence"], fact["code"]
        assert urls(fact["source"]) <= urls(row["source"]), fact["code"]
        if "use" in fact:
            assert row["when_to_use"].startswith(fact["use"]), fact["code"]


def test_the_physical_status_units_are_the_facts():
    fixture = by_code("03_modifiers.json", "codes.modifier")
    for fact in FACTS["physical_status_modifiers"]["items"]:
        row = fixture[fact["code"]]
        assert (row["asa_units"], row["medicare_units"]) == (
            fact["asa_rvg_units"],
            fact["medicare_units"],
        ), fact["code"]
        assert row["confidence"] == fact["confidence"], fact["code"]
        assert urls(fact["source"]) <= urls(row["source"]), fact["code"]


def test_the_taxonomies_cite_the_sources_of_their_facts():
    fixture = by_code("02_provider_taxonomies.json", "codes.providertaxonomy")
    for fact in FACTS["provider_taxonomies"]["items"]:
        row = fixture[fact["code"]]
        assert urls(fact["source"]) <= urls(row["source"]), fact["code"]


# The line each ICD-10-CM record of the fixtures adds: the release the import checks it against.
ICD10_RELEASE = "ICD-10-CM tabular list (CDC/NCHS), from the simple-icd-10-cm package"
ICD10_TOKEN = re.compile(
    r"\b([A-Z]\d{2}(?:\.?[0-9A-Z]{1,4})?x?)(?:-([A-Z]\d{2}(?:\.[0-9A-Z]{1,4})?x?))?", re.I
)


def names_code(line: str, code: str) -> bool:
    """The source line names `code`, a family it belongs to (M48.0x, M51.0x-M51.3x, M50), or
    codes beneath it (M48.061 under M48.06)."""
    bare = code.replace(".", "")
    for first, last in ICD10_TOKEN.findall(line):
        low = first.upper().replace(".", "")
        if last:
            high = last.upper().replace(".", "")
            if low.endswith("X") and high.endswith("X"):
                if low[:-1] <= bare[: len(low) - 1] <= high[:-1]:
                    return True
        elif low.endswith("X") and len(low) > 3:
            if bare.startswith(low[:-1]):
                return True
        elif bare == low or low.startswith(bare) or (len(low) == 3 and bare.startswith(low)):
            return True
    return False


def test_names_code_reads_families_ranges_and_children():
    line = "ValueSet (M47.1x, M48.0x, M50.0x, M51.0x-M51.3x display strings)"
    assert names_code(line, "M48.04") and names_code(line, "M51.24")
    assert not names_code(line, "M51.44") and not names_code(line, "M54.6")
    assert names_code("seed (M48.04, M48.061)", "M48.06")
    assert names_code("https://pabau.com/diagnostic-codes/icd-10-code-m5134/", "M51.34")
    assert not names_code("https://mirahealth.care/reference/icd10/M51.05", "M48.04")
    assert names_code("(M50 cervical vs M51 thoracic/lumbar)", "M51.04")


def test_each_diagnosis_cites_what_supports_it_and_nothing_else():
    """Sources belong to the fact they support: M48.04 does not cite a page about M51.05."""
    facts = {item["code"]: item for item in FACTS["icd10cm"]["items"]}
    fixture = records("04_icd10cm.json", "codes.icd10code")
    assert {row["code"] for row in fixture} == set(facts)
    for row in fixture:
        code, fact = row["code"], facts[row["code"]]
        assert row["description"] == fact["description"], code
        assert row.get("billable", True) == fact["billable"], code
        assert row["confidence"] == fact["confidence"], code
        cited = row["source"].splitlines()
        assert cited[-1] == ICD10_RELEASE, code
        for line in cited[:-1]:
            assert line in fact["source"] and names_code(line, code), (code, line)
        missing = [s for s in fact["source"] if names_code(s, code) and s not in cited]
        assert not missing, (code, missing)


def test_related_codes_say_what_tells_them_apart():
    related = by_code("10_cpt_00620.json", "codes.relatedcode")
    assert "without one-lung ventilation" in related["00625"]["description"]
    assert "with one-lung ventilation" in related["00626"]["description"]
    assert related["00625"]["description"] != related["00626"]["description"]
