"""The one search of the site: codes, diagnoses, modifiers, taxonomies, payers and article text.

A query that names a code goes to its page (`jump`); one that begins codes lists them in code
order; anything else is searched as words (`search`), by the database's full-text engine over the
search index (codes/search/engine.py, codes/search/index.py). The admin's search boxes match the
same way (`admin_filter`).
"""

import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from urllib.parse import quote_plus

from django.core.paginator import Paginator
from django.db.models import Expression, Q

from .. import kinds
from ..models import (
    LISTED,
    BaseUnit,
    CptCode,
    Icd10Code,
    Modifier,
    PlaceOfService,
    ProviderTaxonomy,
    published,
)
from ..paths import code_url
from .documents import name_key
from .engine import PAGE_SIZE, PER_GROUP, Hit, Term, clean, engine, terms_of


@kinds.per_registry
def labels() -> dict[str, str]:
    """kind -> its label, in the order the results page shows their groups."""
    return {kind.name: kind.label for kind in kinds.searchable()}


# -- Codes ---------------------------------------------------------------------------------------

CODE_SHAPED = re.compile(r"[A-Z0-9][A-Z0-9.]{0,9}")


@dataclass(frozen=True)
class CodeSet:
    kind: str
    model: type
    shape: re.Pattern  # what a beginning of one of its codes looks like
    listed: Q | Expression = field(default_factory=Q)  # which of its rows readers may open
    manager: str = "all"  # the method of its manager that gives the codes readers may open
    billable: Q | None = None  # its billable codes, if it has headers that are not

    def form(self, token: str) -> str | None:
        """`token` as this code set writes its codes, if it could begin one."""
        if self.kind == "icd10":
            token = Icd10Code.canonical(token)
        return token if self.shape.fullmatch(token) else None

    def starting_with(self, prefix: str, billable: bool = False):
        # A range on the code uses its unique index on both databases; startswith keeps it exact
        # whatever the collation.
        after = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        rows = getattr(self.model.objects, self.manager)()
        rows = rows.filter(self.listed, code__gte=prefix, code__lt=after)
        if billable and self.billable is not None:
            rows = rows.filter(self.billable)
        return rows.filter(code__startswith=prefix).order_by("code")


CODE_SETS = [
    CodeSet(
        "cpt",
        CptCode,
        re.compile(r"[0-9]{1,4}|[0-9]{4}[0-9FTU]"),
        listed=published(),  # as in the index: readers see published articles only
    ),
    # Anesthesia codes without an article have a page of their own.
    CodeSet(
        "anescode",
        BaseUnit,
        re.compile(r"[0-9]{1,4}|[0-9]{4}[0-9FTU]"),
        manager="without_article",
    ),
    CodeSet(
        "icd10",
        Icd10Code,
        re.compile(r"[A-Z][0-9][0-9A-Z]?(\.[0-9A-Z]{0,4})?"),
        listed=LISTED,  # chapter numbers and block ranges are not typed as codes
        billable=Q(billable=True),
    ),
    CodeSet("modifier", Modifier, re.compile(r"[0-9A-Z]{1,2}")),
    CodeSet("taxonomy", ProviderTaxonomy, re.compile(r"[0-9]{3}[0-9A-Z]{0,6}X?")),
    CodeSet("pos", PlaceOfService, re.compile(r"[0-9]{1,2}")),
]


def code_token(text: str) -> str | None:
    """The query as a code, or None: one word of letters, digits and dots with a digit in it
    (or two characters, as modifiers such as QS have)."""
    token = clean(text).upper()
    if CODE_SHAPED.fullmatch(token) and (any(ch.isdigit() for ch in token) or len(token) == 2):
        return token
    return None


def code_prefixes(text: str) -> dict[str, str]:
    """kind -> the query as a beginning of that code set's codes."""
    token = code_token(text)
    if token is None:
        return {}
    forms = {cs.kind: cs.form(token) for cs in CODE_SETS}
    return {kind: form for kind, form in forms.items() if form}


def jump(text: str) -> str | None:
    """The page a query names: exactly one code in all the code sets equals it, and no other
    code of its set begins with it (M48.0 begins M48.00 to M48.08, so it lists them)."""
    found, prefixes = [], code_prefixes(text)
    for cs in CODE_SETS:
        prefix = prefixes.get(cs.kind)
        if prefix:
            codes = list(cs.starting_with(prefix).values_list("code", flat=True)[:2])
            if prefix in codes:
                found.append((cs.kind, prefix, len(codes)))
    if len(found) == 1 and found[0][2] == 1:
        kind, code, _ = found[0]
        return code_url(kinds.get(kind).detail_url, code)
    return None


# -- Results -------------------------------------------------------------------------------------

BILLABLE = "1"  # the value of the `billable` parameter that keeps billable codes only


def billable_only(value: str | bool | None) -> bool:
    """Whether the `billable` parameter asks for billable ICD-10-CM codes only: "1" (or "true",
    "on"); anything else, or nothing, is read as no."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in (BILLABLE, "true", "on")


@dataclass
class Group:
    kind: str
    count: int
    hits: list[Hit]
    start: int = 1  # the number of its first hit among all of the kind's results

    @property
    def label(self) -> str:
        return kinds.get(self.kind).label


class LazyHits:
    """The results of one kind, for Django's Paginator: counted once, read a page at a time."""

    def __init__(self, source, kind: str, total: int):
        self.source, self.kind, self.total = source, kind, total

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, window: slice) -> list[Hit]:
        start = window.start or 0
        limit = min(window.stop, self.total) - start
        return self.source.page(self.kind, start, limit) if limit > 0 else []


class Source:
    """Where results come from; `terms` are the words to mark in them (none for codes)."""

    terms: list[Term] = []

    def _hits(self, keys) -> list[Hit]:
        found = self.engine.hits(keys, self.terms)
        return [found[key] for key in keys if key in found]  # in the order of `keys`


class TextSource(Source):
    """Records whose indexed text contains every word; first those with a name that is the
    query (`name`, its name_key). `billable`: of ICD-10-CM, the billable codes only. `counts`:
    the matches of each kind, when they were counted already (corrected)."""

    def __init__(
        self,
        terms: list[Term],
        name: str = "",
        billable: bool = False,
        counts: dict[str, int] | None = None,
    ):
        self.engine, self.terms, self.name, self.billable = engine(), terms, name, billable
        self._counts = counts

    def counts(self) -> dict[str, int]:
        if self._counts is None:
            self._counts = self.engine.counts(self.terms, self.billable)
        return self._counts

    def best(self, per_kind: int) -> tuple[list[Hit], dict[str, int]]:
        """The best hits of each kind, and the number of matches of each kind."""
        return self.engine.best_hits(self.terms, per_kind, self.name, self.billable, self._counts)

    def page(self, kind: str, offset: int, limit: int) -> list[Hit]:
        ranked = self.engine.ranked(self.terms, kind, offset, limit, self.name, self.billable)
        return self._hits(ranked)


class CodeSource(Source):
    """Codes that begin with the query, in code order."""

    def __init__(self, prefixes: dict[str, str], billable: bool = False):
        self.engine = engine()
        self.rows = {
            cs.kind: cs.starting_with(prefixes[cs.kind], billable)
            for cs in CODE_SETS
            if cs.kind in prefixes
        }

    @cached_property
    def _counts(self) -> dict[str, int]:
        counts = {kind: rows.count() for kind, rows in self.rows.items()}
        return {kind: n for kind, n in counts.items() if n}

    def counts(self) -> dict[str, int]:
        return self._counts

    def best(self, per_kind: int) -> tuple[list[Hit], dict[str, int]]:
        keys = [
            (kind, pk)
            for kind in self._counts
            for pk in self.rows[kind].values_list("pk", flat=True)[:per_kind]
        ]
        return self._hits(keys), self._counts

    def page(self, kind: str, offset: int, limit: int) -> list[Hit]:
        pks = self.rows[kind].values_list("pk", flat=True)[offset : offset + limit]
        return self._hits([(kind, pk) for pk in pks])


@dataclass
class Results:
    query: str  # as read (clean)
    kind: str | None  # the one kind shown, or None for all
    counts: dict[str, int] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)  # all kinds: the best of each
    page: object = None  # one kind: a Paginator page of hits
    by_code: bool = False  # results are the codes that begin with the query
    corrections: dict[str, str] = field(default_factory=dict)  # typed word -> word searched
    ignored: bool = False  # the query had no word to search for
    billable: bool = False  # ICD-10-CM results are billable codes only

    @property
    def kind_label(self) -> str:
        return kinds.get(self.kind).label if self.kind else ""

    def link(self, kind: str | None = None, page: int | None = None) -> str:
        """The query string of these results: of all kinds, or of one (and a page of it), with
        the billable-only option if it is on. As urlencode writes it, the query encoded once
        for all the page's links."""
        params = {"kind": kind, "billable": BILLABLE if self.billable else None, "page": page}
        parts = [f"{name}={quote_plus(str(value))}" for name, value in params.items() if value]
        return "?" + "&".join([self._query, *parts] if self._query else parts)

    @cached_property
    def _query(self) -> str:
        return f"q={quote_plus(self.query)}" if self.query else ""

    @property
    def sections(self) -> list[Group]:
        """The groups of hits the page shows: the page of one kind's results (none if the kind
        has none), or the best of each kind."""
        if not self.kind:
            return self.groups
        if not (self.page and self.page.paginator.count):
            return []
        page = self.page
        return [Group(self.kind, page.paginator.count, list(page), page.start_index())]

    @property
    def hits(self) -> list[Hit]:
        """The results on the page, in its order."""
        if self.kind:
            return list(self.page.object_list) if self.page else []
        return [hit for group in self.groups for hit in group.hits]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def kinds(self) -> list[tuple[str, str, int]]:
        """(kind, label, count) of the kinds with results, in the order of the page."""
        return [
            (kind, label, self.counts[kind])
            for kind, label in labels().items()
            if self.counts.get(kind)
        ]


def corrected(
    terms: list[Term], state: str | None = None, billable: bool = False
) -> tuple[list[Term], dict[str, Term], dict[str, int] | None]:
    """Terms that match nothing are read as the beginning of a word, then replaced by the most
    similar indexed word that matches something. Returns the terms, what was replaced (the
    typed word -> the term searched instead) and, for a query of one word, the matches of each
    kind of the term returned, which were counted to choose it (else None): a word alone is
    replaced by one with results to show (billable ones, with `billable`), and the search does
    not count them again. `state`: the content version, under which the index's words are kept
    (engine.similar)."""
    eng = engine()
    out, replaced, counted = [], {}, None
    # corrected() runs when the words together match nothing: one word alone is unknown.
    if len(terms) == 1:
        matched = [False]

        def matches(term: Term) -> bool:
            nonlocal counted
            counted = eng.counts([term], billable) or None
            return counted is not None

    else:
        matched = eng.known([[t] for t in terms])

        def matches(term: Term) -> bool:
            return eng.has([term])

    for term, known in zip(terms, matched, strict=True):
        if known:
            out.append(term)
            continue
        as_prefix = replace(term, prefix=True)
        if len(term.text) >= 3 and matches(as_prefix):
            out.append(as_prefix)
            continue
        for word in eng.similar(term.text, state) if len(term.text) >= 3 else []:
            candidate = Term(word, prefix=True, lexeme=True)
            if matches(candidate):
                out.append(candidate)
                replaced[term.text] = candidate
                break
        else:
            out.append(term)  # nothing like it: the search finds nothing, and says so
    return out, replaced, counted


MARKED = re.compile(r"<mark>(.*?)</mark>")


def shown_word(term: Term, hits: list[Hit] = ()) -> str:
    """The word as the index's text writes it (`stenosis` for the stem `stenosi`): as the first
    of `hits` that marks a word writes it, the results of `term` alone, best first. Without them,
    as the best match of `term` alone writes it (two more queries on SQLite, three on
    PostgreSQL)."""
    if not hits:
        hits = engine().best_hits([term], 1)[0][:1]
    for hit in hits:
        words = MARKED.findall(f"{hit.title} {hit.snippet}")
        if words:
            return words[0].lower()
    return ""


def search(
    text: str,
    kind: str | None = None,
    page: str | int | None = 1,
    billable: str | bool | None = None,
    state: str | None = None,
) -> Results:
    """Everything the results page shows for a query: the codes it begins, or the records that
    contain its words; of all kinds (the best few of each) or of one kind (a page). `billable`:
    the `billable` parameter (billable_only). `state`: the content version (corrected)."""
    results = Results(
        query=clean(text),
        kind=kind if kind in labels() else None,
        billable=billable_only(billable),
    )
    prefixes = code_prefixes(text)
    source = CodeSource(prefixes, results.billable) if prefixes else None
    if source is not None and source.counts():
        results.by_code = True
        return _fill(results, source, page)
    terms = terms_of(text)
    if not terms:
        results.ignored = True
        return results
    name = name_key(results.query)
    _fill(results, TextSource(terms, name, results.billable), page)
    # Only then look for the words that match nothing (not for those that only match headers).
    if not results.counts and not (results.billable and engine().has(terms)):
        fixed, replaced, counts = corrected(terms, state, results.billable)
        if fixed != terms:
            _fill(results, TextSource(fixed, name, results.billable, counts), page)
        # A query of one word: its results are those of the word searched instead, and the
        # first of them writes it as the reader sees it.
        alone = results.hits if len(fixed) == 1 else []
        results.corrections = {
            typed: shown_word(term, alone) or term.text for typed, term in replaced.items()
        }
    return results


def _fill(results: Results, source, page) -> Results:
    """The counts, and the page of one kind or the best hits of each kind."""
    if results.kind:
        results.counts = source.counts()
        total = results.counts.get(results.kind, 0)
        paginator = Paginator(LazyHits(source, results.kind, total), PAGE_SIZE)
        results.page = paginator.get_page(page)
    else:
        hits, results.counts = source.best(PER_GROUP)
        results.groups = [
            Group(kind, results.counts[kind], [h for h in hits if h.kind == kind])
            for kind in labels()
            if results.counts.get(kind)
        ]
    return results


def admin_filter(kind: str, text: str) -> Q:
    """The same matching for an admin list of `kind`: codes that begin with the query, or
    records that contain its words."""
    condition = Q(pk__in=[])
    prefix = code_prefixes(text).get(kind)
    if prefix:
        condition |= Q(code__startswith=prefix)
    terms = terms_of(text)
    if terms:
        terms, _, _ = corrected(terms)
        condition |= Q(pk__in=engine().matching_ids(kind, terms))
    return condition
