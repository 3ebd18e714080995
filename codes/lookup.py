"""The lookup of a list of codes (`/lookup/?codes=…`): what each code of a claim or a superbill is,
in the order typed.

Plain functions: `read` splits the text as coders paste it (spaces, commas, semicolons, new
lines) and keeps the first MAX_CODES codes of the first MAX_CHARS characters, so that a megabyte
of text costs no more than a full list; `shapes` says which kinds of code a token could be, by
its shape, in the canonical form of each (codes/converters.py); `look_up` reads the codes that
exist, one query per kind whatever the number of codes, and answers one entry per code in the
order of first appearance.

- A token of two kinds, such as 23 (a modifier and a place of service), gets one row per kind
  the site knows it as, next to each other: each row is one code, one link, one kind, and a
  download stays one code per line. A one- or two-digit number is never read as a CPT code
  (coders write 620 for 00620, not 21 for 00021); chapter numbers of ICD-10-CM are not looked
  up either, as in the search.
- Duplicates are the same code however typed (M48.04, m4804): one entry, with every form typed
  and the count. Tokens that name nothing are the same when they would name the same codes.
- A token that has the shape of a code but names none is "Not on cptref"; one that has the shape
  of no code is "Not a code". Only what readers may open counts: published articles, and
  anesthesia codes without one (their page is the code's own).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms

from . import kinds
from .converters import (
    CptCodeConverter,
    ModifierConverter,
    PlaceOfServiceConverter,
    TaxonomyConverter,
)
from .formhtml import CONTROLS, FieldsHtml
from .forms import Form
from .models import (
    BaseUnit,
    CptCode,
    Icd10Code,
    Modifier,
    PlaceOfService,
    ProviderTaxonomy,
    taxonomy_name,
)
from .numbers import number
from .paths import code_url
from .search.engine import STOPWORDS

MAX_CODES = 200  # codes looked up at once
MAX_CHARS = 8_000  # characters read: 200 of the longest codes with generous separators
MAX_SHOWN = 24  # characters of a token written back in the table
SEPARATORS = re.compile(r"[\s,;]+")
# Pasted from a document, text carries invisible characters no code has: zero-width spaces,
# soft hyphens, byte-order marks and the bidirectional controls that could make a cell read
# other than it is. Dropped, as control characters are (codes/formhtml.py).
INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
EXAMPLE = "00620 QX M48.04 21 207L00000X"


@dataclass(frozen=True)
class Shape:
    """A kind of code as typed: what a token of it looks like (upper case), and its canonical
    form, as the kind's path converter writes it."""

    kind: str  # a kind of codes/kinds.py (CPT codes: "cpt", also found as "anescode")
    name: str  # as a sentence names a code of it
    pattern: re.Pattern
    canonical: Callable[[str], str]


SHAPES = (
    # 00620, also 620; 0213T, also 213T.
    Shape("cpt", "CPT code", re.compile(r"[0-9]{2,4}[0-9FTU]"), CptCodeConverter.canonical),
    # M48.04, also M4804; a block, M45-M49. Every category is a letter then a digit.
    Shape(
        "icd10",
        "ICD-10-CM code",
        re.compile(
            r"[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?|[A-Z][0-9][0-9A-Z]-[A-Z][0-9][0-9A-Z]"
        ),
        Icd10Code.canonical,
    ),
    # Places of service before modifiers: a coder's 21 is more often the one than the other.
    Shape("pos", "place of service", re.compile(r"[0-9]{1,2}"), PlaceOfServiceConverter.canonical),
    Shape("modifier", "modifier", re.compile(r"[0-9A-Z]{2}"), ModifierConverter.canonical),
    Shape(
        "taxonomy", "provider taxonomy", re.compile(r"[0-9A-Z]{9}X"), TaxonomyConverter.canonical
    ),
)
UNKNOWN = "Not on cptref"
MALFORMED = "Not a code"


# Reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """What was read of a list: the text as the form writes it back, the codes looked up, and
    what was left out."""

    text: str  # without control characters, cut at MAX_CHARS
    tokens: list[str]  # the first MAX_CODES
    rest: list[str]  # the tokens after them, in the text read
    cut: bool  # the text was longer than MAX_CHARS

    @property
    def notices(self) -> list[str]:
        """What the page says about what was left out, in plain words."""
        notices = []
        if self.rest:
            notices.append(
                f"The list has more than {MAX_CODES} codes: the first {MAX_CODES} were looked up, "
                f"up to {shown(self.tokens[-1])}. Split the list and look up the rest as a "
                "second one."
            )
        elif self.cut:
            notices.append(
                f"The list is longer than {MAX_CHARS:,} characters: only the codes in its first "
                f"{MAX_CHARS:,} were read."
            )
        return notices

    @property
    def rest_text(self) -> str:
        """The next MAX_CODES codes left out, for a link to their lookup."""
        return " ".join(self.rest[:MAX_CODES])


def clean(text: str) -> str:
    """The text without control or invisible characters, its lines ending in a newline."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return INVISIBLE.sub("", CONTROLS.sub("", text))


def split(text: str) -> list[str]:
    """`00620, qx;M4804\\n21` -> ["00620", "qx", "M4804", "21"]: the tokens as typed."""
    return [token for token in SEPARATORS.split(text) if token]


def read(text: str) -> Reading:
    """The list in `text`, as much of it as is looked up: at most MAX_CHARS characters (a code
    cut there is left out) and MAX_CODES codes."""
    cut = len(text) > MAX_CHARS
    if cut:
        whole = SEPARATORS.match(text, MAX_CHARS)  # the cut falls between two codes
        text = text[:MAX_CHARS]
        ends = [m.start() for m in SEPARATORS.finditer(text)]
        if not whole and ends and ends[-1] > 0:
            text = text[: ends[-1]]  # not the start of a code that goes on past the cut
    text = clean(text)
    tokens = split(text)
    return Reading(text, tokens[:MAX_CODES], tokens[MAX_CODES:], cut)


def shapes(token: str) -> dict[str, str]:
    """kind -> `token` as that kind writes its codes, for each kind it has the shape of:
    `m4804` -> {"icd10": "M48.04"}; `21` -> {"pos": "21", "modifier": "21"}; `<b>` -> {}."""
    upper = token.upper()
    return {s.kind: s.canonical(upper) for s in SHAPES if s.pattern.fullmatch(upper)}


def is_list(text: str) -> bool:
    """Whether a search names a list of codes: two or more tokens, each the shape of a code. An
    English word in lower case ("to be", "in an") is a word, though it has a modifier's shape;
    coders write modifiers in capitals when they could be words (AS, GO)."""
    tokens = split(clean(text[:MAX_CHARS]))
    return (
        len(tokens) >= 2
        and all(shapes(token) for token in tokens)
        and not any(token in STOPWORDS for token in tokens)
    )


def shown(token: str) -> str:
    """A token as the table writes it: cut at MAX_SHOWN characters."""
    return token if len(token) <= MAX_SHOWN else f"{token[: MAX_SHOWN - 1]}…"


# Looking up ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """A code the site has a page for."""

    kind: str  # a kind of codes/kinds.py
    code: str
    label: str  # what it is: "ICD-10-CM code", "Modifier"
    title: str
    billable: str = ""  # "Billable", "Header, not billable"; "" where it does not apply
    is_unverified: bool = False

    @property
    def url(self) -> str:
        return code_url(kinds.get(self.kind).detail_url, self.code)


@dataclass
class Entry:
    """One code of the list: how it was typed, how many times, and what it is."""

    typed: list[str]  # each form typed, once, in order
    count: int
    shapes: dict[str, str]  # kind -> code
    matches: list[Match] = field(default_factory=list)

    @property
    def problem(self) -> str:
        if self.matches:
            return ""
        return UNKNOWN if self.shapes else MALFORMED

    @property
    def explanation(self) -> str:
        """Why a code not found is not, in a sentence."""
        if not self.shapes:
            return f"Not the shape of a code cptref knows, such as {EXAMPLE.replace(' ', ', ')}."
        names = {s.kind: s.name for s in SHAPES}
        wanted = [f"{names[kind]} {code}" for kind, code in self.shapes.items()]
        return f"cptref has no {' or '.join(wanted)}."


@dataclass(frozen=True)
class Row:
    """A row of the lookup's table (codes/tables.py LookupTable)."""

    typed: str
    count: int
    code: str = ""
    label: str = ""
    title: str = ""
    billable: str = ""
    url: str = ""
    is_unverified: bool = False
    problem: bool = False  # not found: `label` says why, UNKNOWN or MALFORMED


def look_up(tokens: list[str]) -> list[Entry]:
    """Each code of `tokens` once, in the order of its first appearance, with what the site
    knows it as: one query per kind of code among them (six at most)."""
    wanted = [(token, shapes(token)) for token in tokens]
    by_kind: dict[str, set[str]] = {}
    for _, found in wanted:
        for kind, code in found.items():
            by_kind.setdefault(kind, set()).add(code)
    known = _known(by_kind)
    entries: dict[tuple, Entry] = {}
    for token, found in wanted:
        matches = [m for kind, code in found.items() for m in known.get((kind, code), ())]
        # The same code however typed; a token that names nothing, by the codes it would name.
        if matches:
            key = tuple((m.kind, m.code) for m in matches)
        else:
            key = ("?", *found.items()) if found else ("!", token.upper())
        entry = entries.get(key)
        if entry is None:
            entries[key] = Entry([token], 1, found, matches)
        else:
            entry.count += 1
            if token not in entry.typed:
                entry.typed.append(token)
    return list(entries.values())


def rows(entries: list[Entry]) -> list[Row]:
    """The table's rows: one per code found (two for a token of two kinds), one per code not."""
    table = []
    for entry in entries:
        typed = ", ".join(shown(token) for token in entry.typed)
        for match in entry.matches:
            table.append(
                Row(
                    typed,
                    entry.count,
                    match.code,
                    match.label,
                    match.title,
                    match.billable,
                    match.url,
                    match.is_unverified,
                )
            )
        if not entry.matches:
            table.append(
                Row(typed, entry.count, label=entry.problem, title=entry.explanation, problem=True)
            )
    return table


def summary(entries: list[Entry]) -> str:
    """The lookup in a sentence: "6 codes typed, 5 different: 4 found, 1 not on cptref."."""
    typed = sum(entry.count for entry in entries)
    problems = [entry.problem for entry in entries]
    parts = [
        (len(entries) - sum(map(bool, problems)), "found"),
        (problems.count(UNKNOWN), UNKNOWN.lower()),
        (problems.count(MALFORMED), "not codes" if problems.count(MALFORMED) > 1 else "not a code"),
    ]
    found = ", ".join(f"{number(n)} {words}" for n, words in parts if n)
    different = "" if typed == len(entries) else f", {number(len(entries))} different"
    return f"{number(typed)} {'code' if typed == 1 else 'codes'} typed{different}: {found}."


def _known(by_kind: dict[str, set[str]]) -> dict[tuple[str, str], list[Match]]:
    """(kind, code) -> the Matches of the codes that exist: one query per kind asked for."""
    found: dict[tuple[str, str], list[Match]] = {}
    for kind, codes in by_kind.items():
        for match in READERS[kind](sorted(codes)):
            # An anesthesia code without an article is a CPT code the way a reader typed it.
            key = ("cpt" if match.kind == "anescode" else match.kind, match.code)
            found.setdefault(key, []).append(match)
    return found


def _cpt(codes: list[str]) -> list[Match]:
    """Published articles, then anesthesia codes without one: two queries."""
    articles = CptCode.objects.published().filter(code__in=codes).values_list("code", "title")
    found = [Match("cpt", code, "CPT code", title, "Billable") for code, title in articles]
    bases = BaseUnit.objects.without_article().filter(code__in=codes)
    bases = bases.values_list("code", "section", "units", "confidence")
    found += [
        Match(
            "anescode",
            code,
            "CPT code",
            f"{section}, {units} base units (no article yet)",
            "Billable",
            confidence == "medium",
        )
        for code, section, units, confidence in bases
    ]
    return found


ICD10_LABELS = {
    Icd10Code.Kind.BLOCK: "ICD-10-CM block",
    Icd10Code.Kind.CATEGORY: "ICD-10-CM category",
    Icd10Code.Kind.CODE: "ICD-10-CM code",
}


def _icd10(codes: list[str]) -> list[Match]:
    rows = Icd10Code.objects.filter(code__in=codes).exclude(kind=Icd10Code.Kind.CHAPTER)
    rows = rows.values_list("code", "description", "kind", "billable", "confidence")
    return [
        Match(
            "icd10",
            code,
            ICD10_LABELS[kind],
            description,
            "Billable" if billable else "Header, not billable",
            confidence == "medium",
        )
        for code, description, kind, billable, confidence in rows
    ]


def _modifiers(codes: list[str]) -> list[Match]:
    rows = Modifier.objects.filter(code__in=codes).values_list("code", "name", "confidence")
    return [Match("modifier", c, "Modifier", n, "", f == "medium") for c, n, f in rows]


def _places(codes: list[str]) -> list[Match]:
    rows = PlaceOfService.objects.filter(code__in=codes).values_list("code", "name", "confidence")
    return [Match("pos", c, "Place of service", n, "", f == "medium") for c, n, f in rows]


def _taxonomies(codes: list[str]) -> list[Match]:
    rows = ProviderTaxonomy.objects.filter(code__in=codes).values_list(
        "code", "classification", "specialization", "confidence"
    )
    return [
        Match("taxonomy", c, "Provider taxonomy", taxonomy_name(k, s), "", f == "medium")
        for c, k, s, f in rows
    ]


READERS = {
    "cpt": _cpt,
    "icd10": _icd10,
    "pos": _places,
    "modifier": _modifiers,
    "taxonomy": _taxonomies,
}


# The form ------------------------------------------------------------------------------------


class LookupForm(FieldsHtml, Form):
    """The list, in a textarea. GET: every lookup is a link. The page reads the list with `read`
    (never refused: what is too much is left out and said so); the form writes it back."""

    codes = forms.CharField(
        required=False,
        label="Codes",
        help_text=f"Up to {MAX_CODES} codes of any kind, separated by spaces, commas, semicolons "
        f"or new lines, e.g. {EXAMPLE}.",
    )

    TEXTAREAS = {"codes": ' rows="6" cols="60" spellcheck="false" autocapitalize="characters"'}
