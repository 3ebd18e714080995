"""The claim check (/check/, /check.json): claim lines good and bad, with the findings each must
and must not produce, on the shipped content; the input coders paste; bad input; an editor's
change in the admin reaching the findings; and queries that do not grow with the line."""

import json
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from codes.models import CptCode, Icd10Code, Modifier
from tests.conftest import make_icd10
from tests.test_admin import change_form_data, inline_management, modifier_form_data

pytestmark = pytest.mark.django_db

GOOD = "00620|AA P3|M48.04|207L00000X|21|Medicare|2026-03-02|176"


def line(**changes) -> str:
    """GOOD with some columns changed, by name."""
    names = ["code", "modifiers", "diagnoses", "taxonomy", "pos", "payer", "dos", "minutes"]
    columns = dict(zip(names, GOOD.split("|"), strict=True)) | changes
    return "|".join(columns[name] for name in names)


@pytest.fixture
def headers(content):
    """M48 and M48.0, headers above the shipped M48.04, M48.05 and M48.06."""
    category = make_icd10("M48", kind=Icd10Code.Kind.CATEGORY, billable=False)
    make_icd10("M48.0", billable=False, parent=category)
    Icd10Code.objects.filter(code__startswith="M48.0").exclude(code="M48.0").update(
        lineage="13/M45-M49/M48/M48.0"
    )


def findings(client, text: str) -> dict:
    response = client.get(reverse("codes:check-json"), {"lines": text})
    assert response.status_code == 200, response.content
    [result] = json.loads(response.content)["lines"]
    return result


# (the line, findings it must produce as "severity rule", findings it must not produce)
CASES = [
    # A line as it should go out, and the same line as a coder pastes it.
    (GOOD, set(), "*"),
    (line(diagnoses="M48.04 M51.04"), set(), "*"),
    (
        line(modifiers="aa, p3", diagnoses="m4804", taxonomy="207l00000x", payer="medicare"),
        set(),
        "*",
    ),
    (line(pos="21", dos="2024-03-08"), set(), {"warning conversion-factor"}),
    # Codes
    (line(code="12345"), {"note cpt-code"}, {"error pricing-modifier", "error anesthesia-time"}),
    (line(code="00670", minutes="60"), {"note cpt-code"}, {"warning diagnosis-supports"}),
    (line(diagnoses="M99.999"), {"error diagnosis-exists"}, set()),
    (line(diagnoses="M48.04 M48.04"), {"warning diagnosis-exists"}, {"error diagnosis-exists"}),
    (line(diagnoses=""), {"error diagnosis-exists"}, set()),
    (line(diagnoses="M48.0"), {"error diagnosis-billable"}, {"error diagnosis-exists"}),
    (line(diagnoses="M48 M48.04"), {"error diagnosis-billable"}, {"warning diagnosis-supports"}),
    (line(diagnoses="M54.6"), {"warning diagnosis-supports"}, {"error diagnosis-exists"}),
    (line(diagnoses="M54.6 M48.04"), {"warning diagnosis-supports"}, set()),
    (line(diagnoses="M48.04 M54.6"), {"warning diagnosis-supports"}, set()),
    # Modifiers
    (line(modifiers="AA P3 ZZ"), {"error modifier-known"}, {"error pricing-modifier"}),
    (line(modifiers="AA AA P3"), {"error modifier-known"}, {"error pricing-modifier"}),
    (line(modifiers="P3"), {"error pricing-modifier"}, {"error modifier-known"}),
    (line(modifiers="QK QX P3"), {"error pricing-modifier", "error modifier-clinician"}, set()),
    (line(modifiers="QZ QK P3"), {"error pricing-modifier"}, set()),
    (line(modifiers="AA QX P3"), {"error pricing-modifier"}, set()),
    (line(modifiers="QK QY P3"), {"error pricing-modifier"}, {"error modifier-clinician"}),
    (
        line(modifiers="QX P3", taxonomy="367500000X"),
        {"note medical-direction"},
        {"error pricing-modifier", "error modifier-clinician"},
    ),
    (line(modifiers="QX P3"), {"error modifier-clinician"}, set()),
    (line(modifiers="QZ P3", taxonomy="367H00000X"), {"error modifier-clinician"}, set()),
    (line(modifiers="QZ P3", taxonomy="367500000X"), set(), "*"),
    (line(modifiers="QX P3", taxonomy="367H00000X"), set(), {"error modifier-clinician"}),
    (line(modifiers="AA P3", taxonomy="367500000X"), {"error modifier-clinician"}, set()),
    (line(modifiers="AD P3", taxonomy="367500000X"), {"error modifier-clinician"}, set()),
    (
        line(modifiers="QK P3", taxonomy="207X00000X"),
        {"note provider"},
        {"error modifier-clinician"},
    ),
    (line(modifiers="AA"), {"warning physical-status"}, {"error physical-status"}),
    (line(modifiers="AA P3 P4"), {"error physical-status"}, {"warning physical-status"}),
    (
        line(modifiers="QS P3"),
        {"error modifier-placement", "error pricing-modifier"},
        {"warning modifier-placement"},
    ),
    (line(modifiers="QS AA P3"), {"warning modifier-placement"}, {"error modifier-placement"}),
    (line(modifiers="AA QS P3"), set(), "*"),
    (line(modifiers="G8 AA P3"), {"warning modifier-placement"}, set()),
    (line(modifiers="AA G9 P3"), set(), "*"),
    (line(modifiers="AA 23 P3"), {"warning modifier-placement"}, set()),
    (line(modifiers="AA 47 P3"), {"warning modifier-placement"}, set()),
    (line(code="10021", modifiers="23"), {"note cpt-code"}, {"warning modifier-placement"}),
    # Setting and payer
    (line(pos=""), {"warning place-of-service"}, {"note place-of-service"}),
    (line(pos="11"), {"note place-of-service"}, {"warning place-of-service"}),
    (line(pos="1"), {"note place-of-service"}, set()),
    (line(dos="2022-06-01"), {"warning conversion-factor"}, set()),
    (line(dos=""), {"warning conversion-factor"}, set()),
    (line(payer="Aetna"), {"note conversion-factor"}, {"warning conversion-factor"}),
    (line(taxonomy=""), {"note provider"}, {"error modifier-clinician"}),
    # Time
    (line(minutes=""), {"error anesthesia-time"}, set()),
    (line(minutes="0"), {"error anesthesia-time"}, set()),
    (line(minutes="-5"), {"error anesthesia-time"}, set()),
    (line(minutes="1441"), {"error anesthesia-time"}, set()),
    (line(minutes="1440"), set(), {"error anesthesia-time"}),
    (line(code="01996", minutes="60"), {"warning anesthesia-time"}, {"error anesthesia-time"}),
    (line(code="01996", minutes=""), set(), {"error anesthesia-time", "warning anesthesia-time"}),
    (line(code="01996", minutes="60", payer="Aetna"), set(), {"warning anesthesia-time"}),
]


@pytest.mark.parametrize(("text", "present", "absent"), CASES, ids=[c[0] for c in CASES])
def test_each_line_gets_the_findings_its_faults_call_for(client, headers, text, present, absent):
    result = findings(client, text)
    assert result["errors"] == {}
    found = {f"{f['severity']} {f['rule']}" for f in result["findings"]}
    assert present <= found, result["findings"]
    if absent == "*":
        assert found == present, result["findings"]
        assert result["clean"] is not any(not p.startswith("note") for p in present)
    else:
        assert not absent & found, result["findings"]


def test_the_table_covers_forty_lines_and_every_rule():
    from codes import claims

    assert len(CASES) >= 40
    named = {rule for _, present, _ in CASES for item in present for rule in [item.split()[1]]}
    assert named == {rule.name for rule in claims.RULES} - {"payer-policy"}


def test_a_header_names_billable_codes_beneath_it(client, headers):
    [finding] = [
        f
        for f in findings(client, line(diagnoses="M48.0"))["findings"]
        if f["rule"] != "diagnosis-supports"
    ]
    assert "M48.0 is a header, not a billable code" in finding["message"]
    assert finding["message"].endswith("beneath it: M48.04, M48.05.")  # M48.06 is a header
    assert finding["links"] == [{"label": "M48.0", "url": "/icd10/M48.0/"}]


def test_the_first_listed_diagnosis_finding_names_the_one_to_put_first(client, content):
    messages = [f["message"] for f in findings(client, line(diagnoses="M54.6 M51.04"))["findings"]]
    assert (
        "The first-listed diagnosis, M54.6, does not support 00620: list M51.04 first." in messages
    )


def test_a_diagnosis_under_a_linked_header_supports_the_code(client, headers):
    cpt = CptCode.objects.get(code="00620")
    cpt.diagnosis_links.create(icd10=Icd10Code.objects.get(code="M48.0"), position=9)
    found = findings(client, line(diagnoses="M48.06"))["findings"]
    assert not [f for f in found if f["rule"] == "diagnosis-supports"]


def test_findings_link_to_the_pages_that_support_them(client, content):
    result = findings(client, line(modifiers="QX P3", diagnoses="M54.6"))
    links = {link["url"] for f in result["findings"] for link in f["links"]}
    assert {"/modifiers/QX/", "/taxonomies/207L00000X/", "/icd10/M54.6/", "/codes/00620/"} <= links
    for url in links:
        assert client.get(url).status_code == 200, url


def test_rules_from_public_documents_cite_them(client, content):
    result = findings(client, line(modifiers="QK QY P3"))
    [pricing] = [f for f in result["findings"] if f["rule"] == "pricing-modifier"]
    assert pricing["source"] == [
        "https://www.emblemhealth.com/providers/claims-corner/coding/anesthesia-modifier-reporting"
    ]
    result = findings(client, line(code="01996", minutes="60"))
    [time] = [f for f in result["findings"] if f["rule"] == "anesthesia-time"]
    assert any("Ch. 12" in source for source in time["source"])


def test_a_clean_line_says_so_and_what_was_checked(client, content):
    response = client.get(reverse("codes:check"), {"lines": GOOD})
    body = response.content.decode()
    assert "No error and no warning." in body
    assert "What was checked" in body
    assert "An anesthesia line carries exactly one pricing modifier." in body


def test_the_result_links_to_the_estimate_of_the_same_case(client, content):
    result = findings(client, line(modifiers="QK P3", minutes="176"))
    assert result["estimate"] == (
        "/codes/00620/estimate/?minutes=176&modifiers=QK&ps=P3&payer=medicare&dos=2026-03-02"
    )
    assert client.get(result["estimate"]).status_code == 200
    assert findings(client, line(code="10021"))["estimate"] == ""


# Input ---------------------------------------------------------------------------------------


def test_the_fields_take_what_coders_paste(client, content):
    query = {
        "code": " 00620 ",
        "modifiers": "qk, p3",
        "diagnoses": "m4804,M51.04",
        "taxonomy": "207l00000x",
        "pos": "21",
        "payer": "medicare",
        "dos": "2026-03-02",
        "minutes": "176",
    }
    response = client.get(reverse("codes:check-json"), query)
    [result] = json.loads(response.content)["lines"]
    assert result["label"] == "The line" and result["errors"] == {}
    assert result["findings"] == [] and result["clean"]


def test_several_lines_at_once_say_which_line_each_finding_belongs_to(client, content):
    text = "\n".join(["# exported 2026-03-03", GOOD, "", line(modifiers="P3"), line(pos="")])
    response = client.get(reverse("codes:check"), {"lines": text})
    body = response.content.decode()
    assert "Line 2: 00620" in body and "Line 4: 00620" in body and "Line 5: 00620" in body
    assert "Line 1:" not in body and "Line 3:" not in body
    data = json.loads(client.get(reverse("codes:check-json"), {"lines": text}).content)
    assert [r["line"] for r in data["lines"]] == [2, 4, 5]
    assert [r["clean"] for r in data["lines"]] == [True, False, False]


def test_columns_may_be_separated_by_tabs_or_semicolons(client, content):
    for separator in ("\t", ";"):
        result = findings(client, GOOD.replace("|", separator))
        assert result["errors"] == {} and result["findings"] == []


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("taxonomy", "207Q00000Y", "Not a provider taxonomy on cptref"),
        ("payer", "Acme Health", "Not a payer on cptref"),
        ("dos", "2026-02-30", "Enter the date of service as 2026-03-02."),
        ("minutes", "three hours", "whole number of minutes"),
        ("code", "<b>x</b>", "A CPT code has five characters"),
        ("pos", "999", "Not a place of service"),
    ],
)
def test_a_column_that_cannot_be_read_is_named_next_to_its_field_or_line(
    client, content, column, value, message
):
    result = findings(client, line(**{column: value}))
    assert message in result["errors"][column] and result["findings"] == []
    response = client.get(reverse("codes:check"), {"code": "00620", column: value})
    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_{column}_error"' in body and message.replace("'", "&#x27;") in body
    assert "<b>x</b>" not in body


def test_an_empty_form_asks_for_a_line(client, db):
    body = client.get(reverse("codes:check"), {"code": "", "lines": ""}).content.decode()
    assert "Give a claim line: its CPT code at least, or a list." in body
    response = client.get(reverse("codes:check-json"), {"code": ""})
    assert response.status_code == 400
    assert json.loads(response.content)["errors"]["__all__"]


@pytest.mark.parametrize(
    "field", ["code", "modifiers", "diagnoses", "taxonomy", "pos", "payer", "dos", "minutes"]
)
def test_ten_thousand_characters_in_a_field_get_a_message(client, content, field):
    response = client.get(reverse("codes:check"), {"code": "00620", field: "Q" * 10_000})
    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_{field}_error"' in body and "Too long" in body
    assert "Q" * 300 not in body


def test_a_list_of_500_lines_is_refused_with_the_limit(client, content):
    response = client.get(reverse("codes:check"), {"lines": "\n".join([GOOD] * 500)})
    body = response.content.decode()
    assert response.status_code == 200
    assert "at most 100 lines" in body or "at most 100 are checked" in body
    assert "Findings" not in body


def test_the_list_of_100_lines_is_checked(client, content):
    data = json.loads(
        client.get(reverse("codes:check-json"), {"lines": "\n".join([GOOD] * 100)}).content
    )
    assert len(data["lines"]) == 100 and all(r["clean"] for r in data["lines"])


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "' OR 1=1; DROP TABLE codes_cptcode; --",
        "M48.04\x00\x1b[31m\x7f",
        '"><img src=x onerror=alert(1)>',
    ],
)
def test_hostile_text_is_never_echoed_unescaped_nor_run(client, content, hostile):
    for field in ("modifiers", "diagnoses", "lines"):
        response = client.get(reverse("codes:check"), {"code": "00620", field: hostile})
        body = response.content.decode()
        assert response.status_code == 200
        assert "<script>alert" not in body and "<img src=x" not in body
        assert "\x00" not in body and "\x1b" not in body
    assert CptCode.objects.filter(code="00620").exists()


# Editors' changes ---------------------------------------------------------------------------


def test_a_diagnosis_unlinked_and_a_policy_update_added_in_the_admin_change_the_findings(
    client, reviewer, cpt_00620
):
    text = line(diagnoses="M51.04", payer="Aetna")
    before = findings(client, text)["findings"]
    assert not [f for f in before if f["rule"] in ("diagnosis-supports", "payer-policy")]
    client.force_login(reviewer)
    data = change_form_data(cpt_00620)
    [index] = [
        i
        for i in range(10)
        if data.get(f"diagnosis_links-{i}-icd10") == Icd10Code.objects.get(code="M51.04").pk
    ]
    data[f"diagnosis_links-{index}-DELETE"] = "on"
    data |= inline_management("policy_updates", 1, 0) | {
        "policy_updates-0-cpt": cpt_00620.pk,
        "policy_updates-0-date": "2026-02-01",
        "policy_updates-0-payer": cpt_00620.payer_links.get(payer__slug="aetna").payer_id,
        "policy_updates-0-summary": "Prior authorization now required for thoracic cases.",
        "policy_updates-0-reference": "https://example.org/aetna-notice",
    }
    response = client.post(reverse("admin:codes_cptcode_change", args=[cpt_00620.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    client.logout()
    after = {f"{f['severity']} {f['rule']}": f for f in findings(client, text)["findings"]}
    assert "M51.04 is not among the diagnoses" in after["warning diagnosis-supports"]["message"]
    policy = after["note payer-policy"]
    assert policy["message"] == (
        "Aetna, 2026-02-01: Prior authorization now required for thoracic cases."
    )
    assert policy["links"] == [
        {"label": "Policy updates of 00620", "url": "/codes/00620/#policy-updates"}
    ]


def test_who_reports_a_modifier_is_the_editors_to_change(client, content):
    text = line(modifiers="QX P3")
    assert "error modifier-clinician" in {
        f"{f['severity']} {f['rule']}" for f in findings(client, text)["findings"]
    }
    Modifier.objects.filter(code="QX").update(reported_by="")
    assert not [f for f in findings(client, text)["findings"] if f["rule"] == "modifier-clinician"]


def test_reported_by_must_name_a_nucc_grouping_or_classification(client, reviewer, content):
    modifier = Modifier.objects.get(code="QZ")
    data = modifier_form_data(modifier) | {
        "placement": "",
        "reported_by": "Nurse Anesthetist, Certified Registered\nNurse Anaesthetist",
    }
    client.force_login(reviewer)
    response = client.post(reverse("admin:codes_modifier_change", args=[modifier.pk]), data)
    assert response.status_code == 200
    assert "taxonomy on cptref: Nurse Anaesthetist. Copy it from" in response.content.decode()
    data["reported_by"] = "Nurse Anesthetist, Certified Registered"
    response = client.post(reverse("admin:codes_modifier_change", args=[modifier.pk]), data)
    assert response.status_code == 302


# Queries -------------------------------------------------------------------------------------


def _queries(client, query: dict) -> int:
    client.get(reverse("codes:check-json"), query)  # the figures are read once per version
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("codes:check-json"), query)
    assert response.status_code == 200
    return len(captured)


def test_queries_do_not_grow_with_modifiers_diagnoses_or_lines(client, headers, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    one = _queries(client, {"lines": line(modifiers="AA", diagnoses="M48.04")})
    many = _queries(
        client,
        {
            "lines": line(
                modifiers="QS AA P3 P4 G8 23 ZZ",
                diagnoses="M48 M48.0 M48.04 M48.05 M48.06 M51.04 M54.6 M99.9",
            )
        },
    )
    lines = _queries(
        client,
        {
            "lines": "\n".join(
                line(diagnoses=f"M48.0{n % 7}", pos=f"{11 + n % 12}") for n in range(50)
            )
        },
    )
    assert many == one + 1  # the billable codes beneath the headers
    assert lines <= many
    assert many <= 10


def test_the_page_and_its_query_string_round_trip(client, content):
    query = {"code": "00620", "modifiers": "QK QX", "diagnoses": "M48.04", "lines": GOOD}
    body = client.get(f"{reverse('codes:check')}?{urlencode(query)}").content.decode()
    assert 'value="QK QX"' in body and f"\n{GOOD}</textarea>" in body


def test_a_line_too_long_or_with_too_many_columns_is_named_and_the_rest_checked(client, content):
    text = "\n".join([GOOD + "|extra", "0" * 600, GOOD])
    data = json.loads(client.get(reverse("codes:check-json"), {"lines": text}).content)
    assert [r["errors"] for r in data["lines"]] == [
        {"line": "The line has 9 columns; a line has 8."},
        {"line": "The line is too long: at most 500 characters."},
        {},
    ]
    assert data["lines"][2]["clean"]
    body = client.get(reverse("codes:check"), {"lines": text}).content.decode()
    assert "This line could not be read, so it was not checked:" in body
    assert "The line: The line has 9 columns; a line has 8." in body
    assert "Line 2: no code" in body  # the heading does not repeat the long line
