"""The one search of the site: codes, diagnoses, modifiers, taxonomies, payers and article text.

A query that names a code goes to its page (`jump`); one that begins codes lists them in code
order; anything else is searched as words (`search`). Words are matched by the database's own
full-text engine over the index `codes_search` that database triggers keep in step with the data
(migration 0004_search): FTS5 on SQLite, a weighted tsvector with a GIN index on PostgreSQL. A
word that matches nothing is read as the beginning of a word, then replaced by the most similar
indexed word (trigram similarity: pg_trgm on PostgreSQL, the same measure over FTS5's vocabulary
on SQLite). The engine is chosen by the database in use.
"""

import operator
import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import cached_property, reduce

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, F, Q, Value, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .markup import plain
from .models import (
    LISTED,
    CptCode,
    Icd10Code,
    Modifier,
    PlaceOfService,
    ProviderTaxonomy,
    SearchEntry,
)
from .paths import code_url

# Kinds of result, in the order the results page shows their groups, with their record pages.
KINDS = {
    "cpt": "CPT codes and articles",
    "icd10": "ICD-10-CM",
    "modifier": "Modifiers",
    "taxonomy": "Provider taxonomies",
    "payer": "Payers",
    "pos": "Places of service",
}
DETAIL_URLS = {
    "cpt": "codes:cpt-detail",
    "icd10": "codes:icd10-detail",
    "modifier": "codes:modifier-detail",
    "taxonomy": "codes:taxonomy-detail",
    "payer": "codes:payer-detail",
    "pos": "codes:pos-detail",
}
# SQLite rowids of the index: id * 8 + tag (as in migration 0004_search). Reading a row's kind
# from its rowid is free; reading the stored `kind` column made counting twice as slow.
ROWID_TAGS = {"cpt": 1, "icd10": 2, "modifier": 3, "taxonomy": 4, "payer": 5, "pos": 6}
TAG_KINDS = {tag: kind for kind, tag in ROWID_TAGS.items()}

MAX_QUERY_LENGTH = 200  # characters of a query that are read; the rest is ignored
MAX_TERMS = 10
PER_GROUP = 5  # results of each kind on the page of all results
PAGE_SIZE = 20
# PostgreSQL's English stop words (tsearch_data/english.stop): dropped on both engines, so that
# `spinal stenosis of the thoracic region` means the same everywhere.
STOPWORDS = frozenset(
    "i me my myself we our ours ourselves you your yours yourself yourselves he him his himself "
    "she her hers herself it its itself they them their theirs themselves what which who whom "
    "this that these those am is are was were be been being have has had having do does did "
    "doing a an the and but if or because as until while of at by for with about against "
    "between into through during before after above below to from up down in out on off over "
    "under again further then once here there when where why how all any both each few more "
    "most other some such no nor not only own same so than too very s t can will just don "
    "should now".split()
)
SIMILARITY_THRESHOLD = 0.3  # pg_trgm's default for the % operator
MARK_START, MARK_END = "\ue000", "\ue001"  # private-use characters around matched words


# -- Queries -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A word of the query. `prefix`: match words that begin with it. `lexeme`: it is a word
    of the index (stemmed), found for a misspelled word, not a word the reader typed."""

    text: str
    prefix: bool = False
    lexeme: bool = False


def clean(text: str) -> str:
    """The query as it is read: compatibility-normalised, without control characters, at most
    MAX_QUERY_LENGTH characters."""
    text = unicodedata.normalize("NFKC", text or "")[: MAX_QUERY_LENGTH * 2]
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return " ".join(text.split())[:MAX_QUERY_LENGTH]


def terms_of(text: str) -> list[Term]:
    """The words of a query: letters and digits only (every operator of FTS5 and tsquery syntax
    is dropped), lower case, without stop words or repeats."""
    words = []
    for word in re.findall(r"[^\W_]+", clean(text).lower()):
        if word not in STOPWORDS and word not in words:
            words.append(word)
    return [Term(word) for word in words[:MAX_TERMS]]


def trigrams(word: str) -> set[str]:
    """pg_trgm's trigrams of one word: padded with two spaces before and one after."""
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    """pg_trgm's similarity(): shared trigrams over all trigrams of the two words."""
    ta, tb = trigrams(a), trigrams(b)
    return len(ta & tb) / len(ta | tb)


def marked(text: str) -> SafeString:
    """Text from the index with its matched words in <mark>; everything else escaped. (Marks
    that do not pair up, from a private-use character in the text itself, are dropped.)"""
    html = escape(text)
    if html.count(MARK_START) != html.count(MARK_END):
        return mark_safe(html.replace(MARK_START, "").replace(MARK_END, ""))
    return mark_safe(html.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))


# -- Engines -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """One result: a record of the index, with its matched words marked."""

    kind: str
    code: str
    title: SafeString
    snippet: SafeString
    detail: str

    @property
    def url(self) -> str:
        return code_url(DETAIL_URLS[self.kind], self.code)

    @property
    def shows_code(self) -> bool:
        return self.kind != "payer"  # a payer's key is its slug, not a code


class SqliteEngine:
    """FTS5 with the porter stemmer; bm25 ranks a match in a code or title above one in a body."""

    RANK = "bm25(codes_search, 0, 0, 8.0, 4.0, 1.0, 0)"

    def expression(self, terms: list[Term]) -> str:
        # Terms hold letters and digits only; each is quoted, so none is read as an operator.
        phrases = " ".join(f'"{t.text}"' + ("*" if t.prefix else "") for t in terms)
        return "{code title body} : (" + phrases + ")"

    def _rows(self, sql: str, params) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def has(self, terms: list[Term]) -> bool:
        return self.known([terms])[0]

    def known(self, queries: list[list[Term]]) -> list[bool]:
        """Whether each query matches anything, in one statement."""
        exists = "EXISTS (SELECT 1 FROM codes_search WHERE codes_search MATCH %s)"
        sql = "SELECT " + ", ".join([exists] * len(queries))
        return [bool(v) for v in self._rows(sql, [self.expression(q) for q in queries])[0]]

    def counts(self, terms: list[Term]) -> dict[str, int]:
        sql = "SELECT rowid %% 8, count(*) FROM codes_search WHERE codes_search MATCH %s GROUP BY 1"
        return {TAG_KINDS[tag]: n for tag, n in self._rows(sql, [self.expression(terms)])}

    def best(self, terms: list[Term], per_kind: int) -> list[tuple[str, int, int]]:
        """(kind, ref, matches of that kind) of the best `per_kind` matches of each kind.

        The counts first, then one ORDER BY ... LIMIT per kind that has matches, in one
        statement: for 3,000 matches that is twice as fast as a window over them."""
        counts = self.counts(terms)
        if not counts:
            return []
        params = []
        for kind in counts:
            params += [self.expression(terms), ROWID_TAGS[kind], per_kind, 0]
        rows = self._rows(
            " UNION ALL ".join([f"SELECT * FROM ({self.RANKED})"] * len(counts)), params
        )
        kinds = [(TAG_KINDS[rowid % 8], rowid // 8) for (rowid,) in rows]
        return [(kind, ref, counts[kind]) for kind, ref in kinds]

    # Equal ranks keep the order of the records (the tabular list's, for ICD-10-CM).
    RANKED = (
        "SELECT rowid FROM codes_search WHERE codes_search MATCH %s AND rowid %% 8 = %s "
        f"ORDER BY {RANK}, rowid LIMIT %s OFFSET %s"
    )

    def ranked(self, terms: list[Term], kind: str, offset: int, limit: int):
        params = [self.expression(terms), ROWID_TAGS[kind], limit, offset]
        return [(kind, rowid // 8) for (rowid,) in self._rows(self.RANKED, params)]

    def hits(self, keys: list[tuple[str, int]], terms: list[Term]) -> dict[tuple, Hit]:
        """The index rows of `keys`, with the words of `terms` marked (none when empty)."""
        if not keys:
            return {}
        rowids = [ref * 8 + ROWID_TAGS[kind] for kind, ref in keys]
        marks = f"'{MARK_START}', '{MARK_END}'"
        if terms:
            sql = (
                f"SELECT kind, ref, code, highlight(codes_search, 3, {marks}), "
                f"snippet(codes_search, 4, {marks}, '…', 24), detail FROM codes_search "
                f"WHERE codes_search MATCH %s AND rowid IN ({', '.join(['%s'] * len(rowids))})"
            )
            params = [self.expression(terms), *rowids]
        else:
            sql = (
                "SELECT kind, ref, code, title, '', detail FROM codes_search "
                f"WHERE rowid IN ({', '.join(['%s'] * len(rowids))})"
            )
            params = rowids
        return {
            (kind, ref): Hit(kind, code, marked(title), marked(plain(snippet)), detail)
            for kind, ref, code, title, snippet, detail in self._rows(sql, params)
        }

    def similar(self, word: str) -> list[str]:
        """Indexed words (porter stems) most like `word`, best first. Words that begin with the
        same letter are compared; FTS5's vocabulary table reads that range of terms only."""
        first = word[0]
        sql = "SELECT term FROM codes_search_vocab WHERE term >= %s AND term < %s"
        scored = [
            (similarity(word, term), term)
            for (term,) in self._rows(sql, [first, chr(ord(first) + 1)])
            if len(term) >= 3 and term.isalpha()
        ]
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        return [term for score, term in scored[:5] if score >= SIMILARITY_THRESHOLD]

    def matching_ids(self, kind: str, terms: list[Term]):
        """The ids of the records of `kind` that match, as a subquery."""
        sql = "SELECT rowid / 8 FROM codes_search WHERE codes_search MATCH %s AND rowid %% 8 = %s"
        return RawSQL(sql, [self.expression(terms), ROWID_TAGS[kind]])


class PostgresEngine:
    """Full-text search with the English configuration: `vector` (code and title weighted A,
    body C) under a GIN index, ranked by SearchRank; misspellings by pg_trgm similarity."""

    def expression(self, terms: list[Term]) -> SearchQuery:
        query = None
        for t in terms:
            if t.prefix:  # letters and digits only: safe in tsquery syntax
                config = "simple" if t.lexeme else "english"  # a lexeme is already stemmed
                part = SearchQuery(f"{t.text}:*", search_type="raw", config=config)
            else:
                part = SearchQuery(t.text, config="english")
            query = part if query is None else query & part
        return query

    def _matching(self, terms: list[Term]):
        return SearchEntry.objects.filter(vector=self.expression(terms))

    def has(self, terms: list[Term]) -> bool:
        return self._matching(terms).exists()

    def known(self, queries: list[list[Term]]) -> list[bool]:
        """Whether each query matches anything, in one statement."""
        parts, params = [], []
        for terms in queries:
            sql, more = self._matching(terms).values("ref")[:1].query.sql_with_params()
            parts.append(f"EXISTS ({sql})")
            params += more
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(parts), params)
            return list(cursor.fetchone())

    def counts(self, terms: list[Term]) -> dict[str, int]:
        rows = self._matching(terms).values("kind").annotate(n=Count("ref")).order_by()
        return {row["kind"]: row["n"] for row in rows}

    def _rank(self, terms):
        # Normalisation 1 divides by 1 + log(length): "Fracture of femur" ranks above a long
        # description that repeats "fracture".
        return SearchRank(F("vector"), self.expression(terms), normalization=Value(1))

    def best(self, terms: list[Term], per_kind: int) -> list[tuple[str, int, int]]:
        rows = self._matching(terms).annotate(
            n=Window(
                RowNumber(),
                partition_by=F("kind"),
                order_by=[self._rank(terms).desc(), F("code").asc()],
            ),
            total=Window(Count("*"), partition_by=F("kind")),
        )
        return list(rows.filter(n__lte=per_kind).values_list("kind", "ref", "total"))

    def ranked(self, terms: list[Term], kind: str, offset: int, limit: int):
        rows = self._matching(terms).filter(kind=kind).annotate(rank=self._rank(terms))
        return list(rows.order_by("-rank", "code").values_list("kind", "ref")[offset:][:limit])

    def hits(self, keys: list[tuple[str, int]], terms: list[Term]) -> dict[tuple, Hit]:
        if not keys:
            return {}
        # One `ref IN` per kind: the tuple lookup pk__in=keys took 2 ms to build here.
        refs: dict[str, list[int]] = {}
        for kind, ref in keys:
            refs.setdefault(kind, []).append(ref)
        rows = SearchEntry.objects.filter(
            reduce(operator.or_, (Q(kind=kind, ref__in=ids) for kind, ids in refs.items()))
        )
        if terms:
            query = self.expression(terms)
            marks = {"start_sel": MARK_START, "stop_sel": MARK_END, "config": "english"}
            rows = rows.annotate(
                marked_title=SearchHeadline("title", query, highlight_all=True, **marks),
                snippet=SearchHeadline(
                    "body",
                    query,
                    max_words=30,
                    min_words=12,
                    max_fragments=2,
                    fragment_delimiter=" … ",
                    **marks,
                ),
            )
        else:
            rows = rows.annotate(marked_title=F("title"), snippet=Value(""))
        fields = ("kind", "ref", "code", "marked_title", "snippet", "detail")
        return {
            (kind, ref): Hit(kind, code, marked(title), marked(plain(snippet)), detail)
            for kind, ref, code, title, snippet, detail in rows.values_list(*fields)
        }

    def similar(self, word: str) -> list[str]:
        """Indexed words (English stems) most like `word`, best first (pg_trgm)."""
        sql = (
            "SELECT word FROM codes_search_word WHERE word %% %s "
            "ORDER BY similarity(word, %s) DESC, word LIMIT 5"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [word, word])
            return [word for (word,) in cursor.fetchall()]

    def matching_ids(self, kind: str, terms: list[Term]):
        return self._matching(terms).filter(kind=kind).values("ref")


def engine():
    return PostgresEngine() if connection.vendor == "postgresql" else SqliteEngine()


# -- Codes ---------------------------------------------------------------------------------------

CODE_SHAPED = re.compile(r"[A-Z0-9][A-Z0-9.]{0,9}")


@dataclass(frozen=True)
class CodeSet:
    kind: str
    model: type
    shape: re.Pattern  # what a beginning of one of its codes looks like
    listed: Q = field(default_factory=Q)

    def form(self, token: str) -> str | None:
        """`token` as this code set writes its codes, if it could begin one."""
        if self.kind == "icd10":
            token = Icd10Code.canonical(token)
        return token if self.shape.fullmatch(token) else None

    def starting_with(self, prefix: str):
        # A range on the code uses its unique index on both databases; startswith keeps it exact
        # whatever the collation.
        after = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        rows = self.model.objects.filter(self.listed, code__gte=prefix, code__lt=after)
        return rows.filter(code__startswith=prefix).order_by("code")


CODE_SETS = [
    CodeSet(
        "cpt",
        CptCode,
        re.compile(r"[0-9]{1,4}|[0-9]{4}[0-9FTU]"),
        listed=Q(status=CptCode.Status.PUBLISHED),  # as in the index (migration 0009)
    ),
    CodeSet(
        "icd10",
        Icd10Code,
        re.compile(r"[A-Z][0-9][0-9A-Z]?(\.[0-9A-Z]{0,4})?"),
        listed=LISTED,  # chapter numbers and block ranges are not typed as codes
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
        return code_url(DETAIL_URLS[kind], code)
    return None


# -- Results -------------------------------------------------------------------------------------


@dataclass
class Group:
    kind: str
    count: int
    hits: list[Hit]

    @property
    def label(self) -> str:
        return KINDS[self.kind]


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
    """Records whose indexed text contains every word."""

    def __init__(self, terms: list[Term]):
        self.engine, self.terms = engine(), terms

    def counts(self) -> dict[str, int]:
        return self.engine.counts(self.terms)

    def best(self, per_kind: int) -> tuple[list[Hit], dict[str, int]]:
        """The best hits of each kind, and the number of matches of each kind."""
        rows = self.engine.best(self.terms, per_kind)
        counts = {kind: total for kind, _, total in rows}
        return self._hits([(kind, ref) for kind, ref, _ in rows]), counts

    def page(self, kind: str, offset: int, limit: int) -> list[Hit]:
        return self._hits(self.engine.ranked(self.terms, kind, offset, limit))


class CodeSource(Source):
    """Codes that begin with the query, in code order."""

    def __init__(self, prefixes: dict[str, str]):
        self.engine = engine()
        self.rows = {
            cs.kind: cs.starting_with(prefixes[cs.kind]) for cs in CODE_SETS if cs.kind in prefixes
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

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, "")

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def kinds(self) -> list[tuple[str, str, int]]:
        """(kind, label, count) of the kinds with results, in the order of the page."""
        return [
            (kind, label, self.counts[kind])
            for kind, label in KINDS.items()
            if self.counts.get(kind)
        ]


def corrected(terms: list[Term]) -> tuple[list[Term], dict[str, str]]:
    """Terms that match nothing are read as the beginning of a word, then replaced by the most
    similar indexed word that matches something. Returns the terms and what was replaced."""
    eng = engine()
    out, replaced = [], {}
    # corrected() runs when the words together match nothing: one word alone is unknown.
    matched = eng.known([[t] for t in terms]) if len(terms) > 1 else [False]
    for term, known in zip(terms, matched, strict=True):
        if known:
            out.append(term)
            continue
        as_prefix = replace(term, prefix=True)
        if len(term.text) >= 3 and eng.has([as_prefix]):
            out.append(as_prefix)
            continue
        for word in eng.similar(term.text) if len(term.text) >= 3 else []:
            candidate = Term(word, prefix=True, lexeme=True)
            if eng.has([candidate]):
                out.append(candidate)
                replaced[term.text] = shown_word(eng, candidate) or word
                break
        else:
            out.append(term)  # nothing like it: the search finds nothing, and says so
    return out, replaced


def shown_word(eng, term: Term) -> str:
    """The word as the index's text writes it (`stenosis` for the stem `stenosi`)."""
    keys = [(kind, ref) for kind, ref, _ in eng.best([term], 1)][:1]
    for hit in eng.hits(keys, [term]).values():
        words = re.findall(r"<mark>(.*?)</mark>", f"{hit.title} {hit.snippet}")
        if words:
            return words[0].lower()
    return ""


def search(text: str, kind: str | None = None, page: str | int | None = 1) -> Results:
    """Everything the results page shows for a query: the codes it begins, or the records that
    contain its words; of all kinds (the best few of each) or of one kind (a page)."""
    results = Results(query=clean(text), kind=kind if kind in KINDS else None)
    prefixes = code_prefixes(text)
    source = CodeSource(prefixes) if prefixes else None
    if source is not None and source.counts():
        results.by_code = True
        return _fill(results, source, page)
    terms = terms_of(text)
    if not terms:
        results.ignored = True
        return results
    _fill(results, TextSource(terms), page)
    if not results.counts:  # only then look for the words that match nothing
        fixed, results.corrections = corrected(terms)
        if fixed != terms:
            _fill(results, TextSource(fixed), page)
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
            for kind in KINDS
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
        terms, _ = corrected(terms)
        condition |= Q(pk__in=engine().matching_ids(kind, terms))
    return condition
