"""The claim check's Django side: the form that reads claim lines as coders paste them, the facts
the rules of codes/claims.py need, read in a constant number of queries whatever the number of
lines, codes and modifiers, and the answer, line by line, with the pages that support it.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from django import forms
from django.db.models import BooleanField, ExpressionWrapper, Prefetch
from django.urls import reverse
from django.utils.dateparse import parse_date

from . import claims, driver
from .caching import per_version
from .estimator import Figures
from .formhtml import CONTROLS, FieldsHtml
from .forms import Form
from .models import (
    CptCode,
    CptDiagnosis,
    CptPayer,
    CptTaxonomy,
    Icd10Code,
    PlaceOfService,
    PolicyUpdate,
    ProviderTaxonomy,
    published,
)
from .paths import code_url

MAX_FIELD = 200  # characters in a field of the line
MAX_LINES = 100  # lines in the list, checked at once
MAX_LINE = 500  # characters in a line of the list
MAX_CODES = 12  # diagnoses or modifiers on one line
BENEATH = 8  # billable codes named beneath a header
COLUMNS = ("code", "modifiers", "diagnoses", "taxonomy", "pos", "payer", "dos", "minutes")
SEPARATOR = re.compile(r"[\t|;]")
LIST_HELP = (
    f"One line per claim line, at most {MAX_LINES} lines: CPT code | modifiers | ICD-10-CM codes "
    "| taxonomy | place of service | payer | date of service | minutes, separated by | ; or tabs. "
    "Empty columns may be left out at the end; lines starting with # are skipped."
)


def split_codes(text: str) -> list[str]:
    """`qk, qx`, `QK QX P3` -> ["QK", "QX", "P3"]."""
    return [part for part in re.split(r"[\s,]+", text.upper()) if part]


def place_code(text: str) -> str:
    """`1` -> `01`: the two digits of a place of service."""
    text = text.strip()
    return text.zfill(2) if text.isdigit() and len(text) < 2 else text


# The columns as the page names them in a line's errors.
LABELS = {
    "line": "The line",
    "code": "CPT code",
    "modifiers": "Modifiers",
    "diagnoses": "ICD-10-CM codes",
    "taxonomy": "Taxonomy",
    "pos": "Place of service",
    "payer": "Payer",
    "dos": "Date of service",
    "minutes": "Minutes",
}


@dataclass
class Entry:
    """One line to check: where it came from, what was typed, and what it means."""

    label: str  # "The line" or "Line 3"
    number: int  # 0: the form's fields; n: line n of the list
    typed: dict[str, str]
    line: claims.Line | None = None
    errors: dict[str, str] = field(default_factory=dict)  # column -> message

    @property
    def error_list(self) -> list[tuple[str, str]]:
        return [(LABELS[column], message) for column, message in self.errors.items()]


class CheckForm(FieldsHtml, Form):
    """A claim line in fields, and/or several in the list. GET: every result is a link."""

    code = forms.CharField(
        required=False, max_length=MAX_FIELD, label="CPT code", help_text="e.g. 00620."
    )
    modifiers = forms.CharField(
        required=False,
        max_length=MAX_FIELD,
        label="Modifiers",
        help_text="In claim order, e.g. QK P3 or qk, p3.",
    )
    diagnoses = forms.CharField(
        required=False,
        max_length=MAX_FIELD,
        label="ICD-10-CM codes",
        help_text="In order, first-listed first, e.g. M48.04 M4804 m51.04.",
    )
    taxonomy = forms.CharField(
        required=False,
        max_length=MAX_FIELD,
        label="Rendering provider taxonomy",
        help_text="e.g. 207L00000X.",
    )
    pos = forms.CharField(
        required=False, max_length=MAX_FIELD, label="Place of service", help_text="e.g. 21."
    )
    payer = forms.CharField(
        required=False, max_length=MAX_FIELD, label="Payer", help_text="Its name, e.g. Medicare."
    )
    dos = forms.CharField(
        required=False, max_length=MAX_FIELD, label="Date of service", help_text="e.g. 2026-03-02."
    )
    minutes = forms.CharField(
        required=False, max_length=MAX_FIELD, label="Anesthesia minutes", help_text="e.g. 176."
    )
    lines = forms.CharField(
        required=False,
        max_length=MAX_LINES * MAX_LINE,
        label="Several lines at once",
        help_text=LIST_HELP,
        error_messages={
            "max_length": f"The list is too long: at most {MAX_LINES} lines of "
            f"{MAX_LINE} characters."
        },
    )

    INPUTS = {
        name: ("text", ' autocomplete="off" spellcheck="false"')
        for name in ("code", "modifiers", "diagnoses", "taxonomy", "pos", "payer", "minutes")
    } | {"dos": ("date", "")}
    TEXTAREAS = {"lines": ' rows="6" cols="80" spellcheck="false"'}

    def __init__(self, data, *, figures: Figures, catalog: "Catalog", **kwargs):
        super().__init__(data, **kwargs)
        self.figures, self.catalog = figures, catalog
        self.entries: list[Entry] = []
        for name in self.fields:
            self.fields[name].error_messages.setdefault(
                "max_length", f"Too long: at most {MAX_FIELD} characters."
            )
        self.fields["payer"].widget.attrs["list"] = "payers"

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        # Control characters are no part of a code: dropped before anything reads or shows them.
        cleaned.update({name: CONTROLS.sub("", value) for name, value in cleaned.items()})
        entries = []
        if any(cleaned.get(name) for name in COLUMNS):
            entries.append(Entry("The line", 0, {n: cleaned.get(n, "") for n in COLUMNS}))
        rows = cleaned.get("lines", "").splitlines()
        listed = [(n, row) for n, row in enumerate(rows, 1) if row.strip()]
        listed = [(n, row) for n, row in listed if not row.lstrip().startswith("#")]
        if len(listed) > MAX_LINES:
            self.add_error(
                "lines",
                f"The list has {len(listed):,} lines; at most {MAX_LINES} are checked at once: "
                "split it.",
            )
            return cleaned
        for number, row in listed:
            entries.append(Entry(f"Line {number}", number, _columns(row)))
        if not entries:
            raise forms.ValidationError("Give a claim line: its CPT code at least, or a list.")
        _resolve(entries, self.figures, self.catalog)
        for name, message in entries[0].errors.items() if entries[0].number == 0 else ():
            self.add_error(name, message)
        self.entries = entries
        return cleaned


def _columns(row: str) -> dict[str, str]:
    parts = [part.strip() for part in SEPARATOR.split(row)]
    typed = dict(zip(COLUMNS, parts + [""] * len(COLUMNS), strict=False))
    if len(row) > MAX_LINE:
        typed = dict.fromkeys(COLUMNS, "")
        typed["_shape"] = f"The line is too long: at most {MAX_LINE} characters."
    elif len(parts) > len(COLUMNS):
        typed["_shape"] = f"The line has {len(parts)} columns; a line has {len(COLUMNS)}."
    return typed


@dataclass(frozen=True)
class Catalog:
    """What the rules read that is small enough to keep whole: the published articles' facts,
    the codes with an article in any status, the taxonomies and the places of service."""

    articles: dict[str, claims.ArticleFacts]
    codes: frozenset[str]
    taxonomies: dict[str, claims.TaxonomyFacts]
    places: dict[str, str]  # code -> name

    @classmethod
    def read(cls) -> "Catalog":
        """Eight queries, once per content version (`catalog`)."""
        articles, codes = _articles()
        taxonomies = ProviderTaxonomy.objects.only(
            "code", "grouping", "classification", "specialization"
        )
        return cls(
            articles,
            frozenset(codes),
            {
                t.code: claims.TaxonomyFacts(t.code, t.name, t.grouping, t.classification)
                for t in taxonomies
            },
            dict(PlaceOfService.objects.values_list("code", "name")),
        )


@per_version
def catalog() -> Catalog:
    """The catalog at a content version: `catalog(request.content_state)`."""
    return Catalog.read()


def _resolve(entries: list[Entry], figures: Figures, known: Catalog) -> None:
    """Each entry's claims.Line, or the errors of its columns."""
    payers = {p.slug: p.slug for p in figures.payers.values()}
    payers |= {p.name.casefold(): p.slug for p in figures.payers.values()}
    for entry in entries:
        typed, errors = entry.typed, entry.errors
        if "_shape" in typed:
            errors["line"] = typed["_shape"]
            continue
        code = typed["code"].strip().upper()
        if not code:
            errors.setdefault("code", "Give the CPT code, e.g. 00620.")
        elif not re.fullmatch(r"[0-9]{4}[0-9FTU]", code):
            errors["code"] = "A CPT code has five characters, e.g. 00620 or 0213T."
        modifiers, diagnoses = split_codes(typed["modifiers"]), split_codes(typed["diagnoses"])
        for name, given in (("modifiers", modifiers), ("diagnoses", diagnoses)):
            if len(given) > MAX_CODES:
                errors[name] = f"At most {MAX_CODES} codes on one line."
        taxonomy = typed["taxonomy"].strip().upper()
        if taxonomy and taxonomy not in known.taxonomies:
            errors["taxonomy"] = (
                "Not a provider taxonomy on cptref: check the code, e.g. 207L00000X."
            )
        place = place_code(typed["pos"])
        if place and place not in known.places:
            errors["pos"] = "Not a place of service: two digits, e.g. 21."
        payer = typed["payer"].strip()
        slug = payers.get(payer) or payers.get(payer.casefold())
        if payer and slug is None:
            names = ", ".join(p.name for p in figures.payers.values())
            errors["payer"] = f"Not a payer on cptref ({names})."
        day = _date(typed["dos"], errors)
        minutes = _minutes(typed["minutes"], errors)
        if not errors:
            entry.line = claims.Line(
                code=code,
                modifiers=tuple(modifiers),
                diagnoses=tuple(Icd10Code.canonical(d) for d in diagnoses),
                taxonomy=taxonomy,
                place=place,
                payer=slug or "",
                day=day,
                minutes=minutes,
            )


def _date(text: str, errors: dict) -> date | None:
    text = text.strip()
    try:
        day = parse_date(text) if text else None
    except ValueError:
        day = None
    if text and day is None:
        errors["dos"] = "Enter the date of service as 2026-03-02."
    return day


def _minutes(text: str, errors: dict) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        errors["minutes"] = "Enter the anesthesia time as a whole number of minutes, e.g. 176."
        return None


# The facts ------------------------------------------------------------------------------------


def facts_for(lines: list[claims.Line], figures: Figures, known: Catalog) -> list[claims.Facts]:
    """The facts of each line: two queries at most for all of them (the ICD-10-CM codes), the
    rest is kept per content version (`catalog`, codes/estimator.py's figures)."""
    diagnoses = _diagnoses({d for line in lines for d in line.diagnoses})
    modifiers = {
        m.code: claims.ModifierFacts(
            m.code,
            m.name,
            m.kind == m.Kind.PRICING,
            m.is_physical_status,
            m.reporters,
            claims.Placement(m.placement),
        )
        for m in figures.modifiers.values()
    }
    return [
        claims.Facts(
            known_code=line.code in known.codes or line.code in figures.base_units,
            anesthesia=line.code in figures.base_units,
            article=known.articles.get(line.code),
            modifiers=modifiers,
            diagnoses={d: diagnoses[d] for d in line.diagnoses if d in diagnoses},
            taxonomy=known.taxonomies.get(line.taxonomy),
            place_name=known.places.get(line.place, ""),
            payer=_payer(line, figures),
        )
        for line in lines
    ]


def _articles() -> tuple[dict[str, claims.ArticleFacts], set[str]]:
    """The facts of the published articles, and the codes with an article in any status: five
    queries."""
    found = (
        CptCode.objects.annotate(
            readable=ExpressionWrapper(published(), output_field=BooleanField())
        )
        .select_related("place_of_service")
        .prefetch_related(
            Prefetch("diagnosis_links", CptDiagnosis.objects.select_related("icd10")),
            Prefetch("taxonomy_links", CptTaxonomy.objects.select_related("taxonomy")),
            Prefetch("payer_links", CptPayer.objects.select_related("payer")),
            Prefetch("policy_updates", PolicyUpdate.objects.select_related("payer")),
        )
    )
    articles, every = {}, set()
    for article in found:
        every.add(article.code)
        if not article.readable:
            continue
        coverage = [
            claims.Coverage(link.payer.slug, link.payer.name, link.coverage_note)
            for link in article.payer_links.all()
            if link.coverage_note.strip()
        ]
        coverage += [
            claims.Coverage(update.payer.slug, update.payer.name, update.summary, update.date)
            for update in article.policy_updates.all()  # newest first (Meta.ordering)
        ]
        place = article.place_of_service
        articles[article.code] = claims.ArticleFacts(
            diagnoses=tuple(link.icd10.code for link in article.diagnosis_links.all()),
            taxonomies=tuple(link.taxonomy.code for link in article.taxonomy_links.all()),
            place=place.code if place else "",
            place_name=place.name if place else "",
            coverage=tuple(coverage),
        )
    return articles, every


def _diagnoses(codes: set[str]) -> dict[str, claims.DiagnosisFacts]:
    """The ICD-10-CM codes of `codes` that exist, headers with the first billable codes beneath
    them: two queries."""
    rows = Icd10Code.objects.filter(code__in=codes).values_list(
        "code", "billable", "kind", "lineage"
    )
    found = {code: (billable, kind, lineage) for code, billable, kind, lineage in rows}
    headers = [c for c, (billable, kind, _) in found.items() if not billable and kind != "chapter"]
    beneath = _beneath(sorted(h for h in headers if found[h][1] != "block"))
    return {
        code: claims.DiagnosisFacts(
            code,
            billable,
            kind,
            tuple(part for part in lineage.split("/") if part),
            tuple(beneath[code][0]) if code in beneath else (),
            max(beneath[code][1] - BENEATH, 0) if code in beneath else 0,
        )
        for code, (billable, kind, lineage) in found.items()
    }


def _beneath(headers: list[str]) -> dict[str, tuple[list[str], int]]:
    """For each header category or code: its first BENEATH billable codes and how many there
    are, in one query: a window over the codes whose prefix is each header's (_prefix_range),
    read through the index on code. Written in SQL (the same on SQLite and PostgreSQL): the
    ORM's window and filter took longer to compile than the query takes to run."""
    if not headers:
        return {}
    ranges = [(header, *_prefix_range(header)) for header in headers]
    wanted = " UNION ALL ".join(["SELECT %s AS header, %s AS low, %s AS high"] * len(ranges))
    sql = f"""
        SELECT header, code, total FROM (
            SELECT h.header, c.code,
                   ROW_NUMBER() OVER (PARTITION BY h.header ORDER BY c.code) AS n,
                   COUNT(*) OVER (PARTITION BY h.header) AS total
            FROM ({wanted}) h
            JOIN {Icd10Code._meta.db_table} c
              ON c.code > h.low AND c.code < h.high
            WHERE c.billable AND c.kind = %s
        ) ranked
        WHERE n <= %s
        ORDER BY header, code
    """
    params = [value for row in ranges for value in row] + [Icd10Code.Kind.CODE, BENEATH]
    found: dict[str, tuple[list[str], int]] = {}
    for header, code, total in driver.fetch_all(sql, params):  # the driver's cursor
        found.setdefault(header, ([], total))[0].append(code)
    return found


def _prefix_range(code: str) -> tuple[str, str]:
    """The codes that start with `code` lie above it and below the returned bound, in any
    collation (ICD-10-CM codes are a capital, then digits and capitals, with one dot):
    M48.0 -> (M48.0, M48.1); a last 9 or Z carries over the dot, M48.9 -> (M48.9, M49),
    M49 -> (M49, M5); Z99 -> (Z99, ZZ), above every code."""
    stem = code.rstrip("9Z.")
    if not stem:
        return code, "ZZ"
    return code, stem[:-1] + chr(ord(stem[-1]) + 1)


def _payer(line: claims.Line, figures: Figures) -> claims.PayerFacts | None:
    payer = figures.payers.get(line.payer)
    if payer is None:
        return None
    rule = getattr(payer, "anesthesia_rule", None)
    rules = rule.rules() if rule is not None else None
    in_force = line.day is not None and any(
        figures.factor(payer, line.day, qp) for qp in (False, True)
    )
    return claims.PayerFacts(
        payer.slug,
        payer.name,
        has_rules=rules is not None,
        no_time_units=rules.no_time_units if rules else frozenset(),
        no_time_source=(rules.no_time_source or rules.source) if rules else "",
        factor_in_force=in_force,
    )


# The answer -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Shown:
    """A finding as the page shows it: its links resolved."""

    finding: claims.Finding
    links: tuple[Link, ...]


@dataclass
class Result:
    entry: Entry
    findings: list[Shown] = field(default_factory=list)
    estimate: str = ""  # the estimator of the same case, for an anesthesia code

    @property
    def counts(self) -> dict[str, int]:
        counted = defaultdict(int)
        for shown in self.findings:
            counted[shown.finding.severity.value] += 1
        return dict(counted)

    @property
    def clean(self) -> bool:
        return not self.entry.errors and not any(
            s.finding.severity != claims.Severity.NOTE for s in self.findings
        )

    def as_json(self) -> dict:
        line = self.entry.line
        return {
            "line": self.entry.number,
            "label": self.entry.label,
            "input": {k: v for k, v in self.entry.typed.items() if not k.startswith("_")},
            "errors": self.entry.errors,
            "clean": self.clean,
            "findings": [
                {
                    "severity": s.finding.severity.value,
                    "rule": s.finding.rule,
                    "message": s.finding.message,
                    "links": [{"label": link.label, "url": link.url} for link in s.links],
                    "source": s.finding.source.splitlines(),
                }
                for s in self.findings
            ],
            "estimate": self.estimate,
            "code": line.code if line else None,
        }


def results(entries: list[Entry], figures: Figures, known: Catalog) -> list[Result]:
    """Every entry checked: the lines that could be read, by the rules of codes/claims.py."""
    readable = [entry for entry in entries if entry.line is not None]
    facts = facts_for([entry.line for entry in readable], figures, known)
    by_entry = {id(entry): each for entry, each in zip(readable, facts, strict=True)}
    answered = []
    for entry in entries:
        line_facts = by_entry.get(id(entry))
        if line_facts is None:
            answered.append(Result(entry))
            continue
        found = claims.check(entry.line, line_facts)
        shown = [Shown(f, tuple(_link(ref, figures) for ref in f.refs)) for f in found]
        estimate = _estimate_url(entry.line, figures) if line_facts.anesthesia else ""
        answered.append(Result(entry, shown, estimate))
    return answered


_KINDS = {
    "cpt": ("codes:cpt-detail", "CPT {}"),
    "modifier": ("codes:modifier-detail", "Modifier {}"),
    "icd10": ("codes:icd10-detail", "{}"),
    "taxonomy": ("codes:taxonomy-detail", "Taxonomy {}"),
    "pos": ("codes:pos-detail", "Place of service {}"),
}


def _link(ref: claims.Ref, figures: Figures) -> Link:
    if ref.kind in _KINDS:
        name, label = _KINDS[ref.kind]
        return Link(label.format(ref.code), code_url(name, ref.code))
    if ref.kind == "payer":
        payer = figures.payers[ref.code]
        return Link(payer.name, code_url("codes:payer-detail", ref.code))
    if ref.kind == "policy":
        url = code_url("codes:cpt-detail", ref.code)
        return Link(f"Policy updates of {ref.code}", f"{url}#policy-updates")
    return Link("Conversion factors", reverse("codes:factor-list"))


def _estimate_url(line: claims.Line, figures: Figures) -> str:
    known = [figures.modifiers[m] for m in line.modifiers if m in figures.modifiers]
    pricing = [m.code for m in known if m.kind == m.Kind.PRICING]
    query = {"minutes": line.minutes or "", "modifiers": " ".join(pricing)}
    statuses = [m.code for m in known if m.is_physical_status]
    if statuses:
        query["ps"] = statuses[0]
    query["payer"] = line.payer or "medicare"
    if line.day:
        query["dos"] = line.day.isoformat()
    return f"{code_url('codes:estimate', line.code)}?{urlencode(query)}"
