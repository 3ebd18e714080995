"""The database's own full-text engines over the index `codes_search` (codes/search/index.py).

Words are matched by FTS5 on SQLite, by a weighted tsvector with a GIN index on PostgreSQL. A word
that matches nothing is read as the beginning of a word, then replaced by the most similar indexed
word (trigram similarity: pg_trgm on PostgreSQL, the same measure over FTS5's vocabulary on
SQLite). The engine is chosen by the database in use; codes/search/query.py reads through it.
"""

import operator
import re
import unicodedata
from dataclasses import dataclass
from functools import reduce
from typing import NamedTuple

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection
from django.db.models import BooleanField, Count, F, FloatField, IntegerField, Q, Value, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.utils.safestring import SafeString

from .. import driver, kinds
from ..caching import PerVersion
from ..htmltext import escape
from ..markup import plain
from ..models import SearchEntry
from ..paths import code_url
from . import documents, index

MAX_QUERY_LENGTH = 200  # characters of a query that are read; the rest is ignored
MAX_TERMS = 10
PER_GROUP = 5  # results of each kind on the page of all results
PAGE_SIZE = 20
# Up to this many matches in all, the best of each kind are ranked together (SqliteEngine.best).
WINDOW_MATCHES = 50
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
EMPTY = SafeString("")


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
    if not text.isprintable():  # it has a control character (category C), or a space not " "
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


class Vocabulary:
    """Indexed words, and which of them have each trigram: `similar(word)` finds, by pg_trgm's
    similarity (shared trigrams over all trigrams of the two words), the words most like `word`
    among those that share its trigrams, whose trigrams are known once. Each trigram's words are
    the bits of one integer, so that the words sharing at least n of a word's trigrams are found
    a few integers at a time, the best first: for a misspelt word among 600, 75 µs when each
    word's shared trigrams were counted one by one and all those sharing enough were scored,
    30 so (4 ms when each word's trigrams were worked out at each search)."""

    def __init__(self, words: list[str]):
        self.words = words
        self.sizes = []
        having: dict[str, list[int]] = {}
        for at, word in enumerate(words):
            grams = trigrams(word)
            self.sizes.append(len(grams))
            for gram in grams:
                having.setdefault(gram, []).append(at)
        self.masks = {gram: sum(1 << at for at in ats) for gram, ats in having.items()}
        # Trigrams that every word has (the site's vocabularies are a first letter's words:
        # "  h" is in all 606 of h's), counted for all at once rather than word by word.
        everyone = (1 << len(words)) - 1
        self.everywhere = {gram for gram, mask in self.masks.items() if mask == everyone}
        # up_to[n]: the words of at most n trigrams.
        self.up_to = [0] * (max(self.sizes, default=0) + 1)
        for at, size in enumerate(self.sizes):
            self.up_to[size] |= 1 << at
        for size in range(1, len(self.up_to)):
            self.up_to[size] |= self.up_to[size - 1]

    def similar(self, word: str, limit: int = 5) -> list[str]:
        """The `limit` words most similar to `word` (pg_trgm's similarity, at least
        SIMILARITY_THRESHOLD), best first, then in alphabetical order."""
        grams = trigrams(word)
        total, sizes, words = len(grams), self.sizes, self.words
        # A word sharing `count` trigrams scores at most count / len(grams) (it has at least
        # `count` of its own): those sharing fewer than the threshold's part are not scored.
        least = SIMILARITY_THRESHOLD * total - 1e-9
        # The trigrams every word has add to every count; if they alone reached the threshold,
        # every word would need scoring, and each is counted one by one.
        common = len(grams & self.everywhere)
        if common >= least:
            common = 0
        masks = [
            self.masks[gram]
            for gram in grams
            if gram in self.masks and not (common and gram in self.everywhere)
        ]
        # sharing[n]: the words that share more than n of these trigrams.
        sharing = [0] * len(masks)
        for seen, mask in enumerate(masks):
            for n in range(seen, 0, -1):
                sharing[n] |= sharing[n - 1] & mask
            sharing[0] |= mask
        scored = []  # (-similarity, word), best first
        for count in range(len(masks), 0, -1):
            shared = count + common
            # The score to reach: the threshold, or that of the `limit`-th best so far, which
            # a word may tie (and pass in alphabetical order).
            floor = -scored[limit - 1][0] if len(scored) >= limit else SIMILARITY_THRESHOLD
            # No word sharing `count` or fewer scores more than shared / len(grams) (it has
            # at least the shared trigrams): then the rest cannot enter.
            if shared < least or shared / total < floor:
                break
            # Those sharing `count` that reach it: of at most `largest` trigrams of their own
            # (shared / (total + size - shared) >= floor), read with some room to spare.
            largest = min(max(int(shared / floor - total + shared + 1e-6), 0), len(self.up_to) - 1)
            exactly = sharing[count - 1] & ~sharing[count] if count < len(masks) else sharing[-1]
            for at in _bits(exactly & self.up_to[largest]):
                scored.append((-shared / (total + sizes[at] - shared), words[at]))
            scored.sort()
            del scored[limit:]
        return [word for score, word in scored if -score >= SIMILARITY_THRESHOLD]


def _bits(mask: int):
    """The positions of the bits set in `mask`, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


# Each first letter's Vocabulary, for the content version it was read at.
VOCABULARIES = PerVersion(size=64)


def marked(text: str) -> SafeString:
    """Text from the index with its matched words in <mark>; everything else escaped. (Marks
    that do not pair up, from a private-use character in the text itself, are dropped.)"""
    if not text:  # the snippet of a record without a body (most diagnoses)
        return EMPTY
    html = escape(str(text))  # Django's escape, without its check for lazy strings
    if html.count(MARK_START) != html.count(MARK_END):
        return SafeString(html.replace(MARK_START, "").replace(MARK_END, ""))
    return SafeString(html.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))


# -- Engines -------------------------------------------------------------------------------------


class Hit(NamedTuple):
    """One result: a record of the index, with its matched words marked. (A named tuple: a
    page makes ten to twenty, and a frozen dataclass took 1 µs to make each, a third of that.)"""

    kind: str
    code: str
    title: SafeString
    snippet: SafeString
    detail: str
    linked: bool = False  # a published article links to the record

    @property
    def url(self) -> str:
        return code_url(kinds.get(self.kind).detail_url, self.code)

    @property
    def shows_code(self) -> bool:
        return self.kind != "payer"  # a payer's key is its slug, not a code


FIND = {"sqlite": "instr", "postgresql": "strpos"}  # (text, part): where part begins, or 0


def weight(kind: str, name: str = "", ref: str = "ref", rank: str = "") -> tuple[str, list]:
    """SQL over an index row of `kind`, whose record id is `ref`, and its parameters: how much
    more relevant what the site knows makes it (codes/search/documents.py: linked by an article,
    one of its names is `name`, the query's name_key, and its lasting weight: billable rather
    than a header, a body of names). `rank`: the alias of its row of codes_search_rank (SQLite),
    which holds its lasting weight and its detail; without it, they are read from the row."""
    sql, takes_name = _weight(kind, bool(name), ref, rank, connection.vendor)
    return sql, [f"\n{name}\n"] if takes_name else []


@kinds.per_registry
def _weight(kind: str, named: bool, ref: str, rank: str, vendor: str) -> tuple[str, bool]:
    """weight's SQL, and whether it takes the name as its parameter."""
    document = kinds.get(kind).document
    factors, takes_name = [], False
    linked_to = document.linked.format(ref=ref)
    if linked_to:
        factors.append(f"(CASE WHEN {linked_to} THEN {documents.LINKED_WEIGHT[vendor]} ELSE 1 END)")
    if named and document.names:  # the detail holds the names' keys, each between newlines
        names = f"{rank}.names" if rank else "detail"
        exact = f"{FIND[vendor]}({names}, %s) > 0"
        factors.append(f"(CASE WHEN {exact} THEN {documents.EXACT_WEIGHT[vendor]} ELSE 1 END)")
        takes_name = True
    lasting = f"{rank}.weight" if rank else documents.lasting_weight(document, vendor)
    if lasting != "1":
        factors.append(lasting)
    return " * ".join(factors) or "1", takes_name


def kept(kind: str, billable: bool) -> str:
    """SQL over an index row of `kind` that the billable-only option keeps ("": all of them)."""
    return kinds.get(kind).document.billable if billable else ""


def by_kind(sql_of, otherwise: str) -> tuple[str, list]:
    """One SQL expression over index rows of any kind, and its parameters: `sql_of(kind)` (SQL
    and parameters) for each kind."""
    cases, params = [], []
    for kind in tags():
        sql, more = sql_of(kind)
        cases.append(f"WHEN '{kind}' THEN {sql}")
        params += more
    return f"(CASE kind {' '.join(cases)} ELSE {otherwise} END)", params


def linked(kind: str) -> tuple[str, list]:
    """SQL over an index row of `kind`: 1 when a published article links to its record."""
    condition = kinds.get(kind).document.linked.format(ref="ref")
    return (f"(CASE WHEN {condition} THEN 1 ELSE 0 END)" if condition else "0"), []


@kinds.per_registry
def linked_sql() -> tuple[str, tuple]:
    """SQL over an index row of any kind: 1 when a published article links to its record."""
    sql, params = by_kind(linked, "0")
    return sql, tuple(params)


def label(detail: str) -> str:
    """What a result shows of the index's detail: its first line (the names' keys follow)."""
    return detail.partition("\n")[0]


def hit(kind: str, code: str, title: str, snippet: str, detail: str, linked_to) -> Hit:
    """A result from an index row as both engines read it: its title and snippet with their
    matched words between MARK_START and MARK_END, the snippet's Markdown marks not yet taken
    out, its detail whole, and whether an article links to it."""
    return Hit(kind, code, marked(title), marked(plain(snippet)), label(detail), bool(linked_to))


@kinds.per_registry
def tags() -> dict[str, int]:
    """kind -> its tag in the index's row ids (codes/derived.py gives them). Worked out once for
    the registry's list of kinds (a search asked for it 16 times), again if it is replaced."""
    return {kind.name: tag for tag, kind in enumerate(kinds.searchable(), start=1)}


class Engine:
    """What both engines share: a query matches or not through `known`, one statement for many;
    the best hits of each kind are `best`'s rows, then `hits` for them (`best_hits`; SQLite reads
    both in one statement)."""

    def has(self, terms: list[Term]) -> bool:
        """Whether the terms together match anything."""
        return self.known([terms])[0]

    def best_hits(
        self,
        terms: list[Term],
        per_kind: int,
        name: str = "",
        billable: bool = False,
        counts: dict[str, int] | None = None,
    ) -> tuple[list[Hit], dict[str, int]]:
        """The best `per_kind` hits of each kind (kinds in the index's order, each best first)
        with the words of `terms` marked, and the number of matches of each kind: `best`'s
        rows, then `hits` for them."""
        rows = self.best(terms, per_kind, name, billable, counts)
        keys = [(kind, ref) for kind, ref, _ in rows]
        found = self.hits(keys, terms)
        return [found[key] for key in keys if key in found], {kind: n for kind, _, n in rows}


class SqliteEngine(Engine):
    """FTS5 with the porter stemmer; bm25 ranks a match in a code or title above one in a body.
    A kind is a range of row ids (codes/search/index.py), which FTS5 filters on cheaply."""

    @staticmethod
    def rank(kind: str) -> str:
        code, title, body = documents.BM25_WEIGHTS[kinds.get(kind).document.names_body]
        return f"bm25(codes_search, 0, 0, {code}, {title}, {body}, 0)"

    def expression(self, terms: list[Term]) -> str:
        # Terms hold letters and digits only; each is quoted, so none is read as an operator.
        phrases = " ".join(f'"{t.text}"' + ("*" if t.prefix else "") for t in terms)
        return "{code title body} : (" + phrases + ")"

    def _rows(self, sql: str, params) -> list[tuple]:
        return driver.fetch_all(sql, params)  # the driver's cursor, as a page's statements

    def known(self, queries: list[list[Term]]) -> list[bool]:
        """Whether each query matches anything, in one statement."""
        exists = "EXISTS (SELECT 1 FROM codes_search WHERE codes_search MATCH %s)"
        sql = "SELECT " + ", ".join([exists] * len(queries))
        return [bool(v) for v in self._rows(sql, [self.expression(q) for q in queries])[0]]

    # The SQL of each statement is written once for each shape (kinds, options), as the
    # registry gives it (kinds.per_registry): a search wrote it at every query, 30-40 µs.

    @staticmethod
    @kinds.per_registry
    def _kept_only(billable: bool, rowid: str = "rowid") -> str:
        """SQL to AND to a search of all kinds: each kind's rows that the billable-only option
        keeps (within the kind's range of row ids), "" for none."""
        only = ""
        for kind, tag in tags().items():
            if kept(kind, billable):
                first, last = index.tag_range(tag)
                only += f" AND ({rowid} NOT BETWEEN {first} AND {last} OR {kept(kind, billable)})"
        return only

    @staticmethod
    @kinds.per_registry
    def _names() -> dict[int, str]:
        """tag -> kind."""
        return {tag: kind for kind, tag in tags().items()}

    @staticmethod
    @kinds.per_registry
    def _counts_sql(billable: bool) -> str:
        return (
            f"SELECT rowid >> {index.REF_BITS}, count(*) FROM codes_search "
            f"WHERE codes_search MATCH %s{SqliteEngine._kept_only(billable)} GROUP BY 1"
        )

    def counts(self, terms: list[Term], billable: bool = False) -> dict[str, int]:
        names, sql = self._names(), self._counts_sql(billable)
        return {names[tag]: n for tag, n in self._rows(sql, [self.expression(terms)])}

    def best(
        self,
        terms: list[Term],
        per_kind: int,
        name: str = "",
        billable: bool = False,
        counts: dict[str, int] | None = None,
    ) -> list[tuple[str, int, int]]:
        """(kind, ref, matches of that kind) of the best `per_kind` matches of each kind.

        The counts first, unless given (`counts`: the matches of each kind). Then, for up to
        WINDOW_MATCHES matches in all, one evaluation of the query ranks those of every kind (a
        window over them); for more, one ORDER BY ... LIMIT per kind that has matches, in one
        statement (for 3,000 matches twice as fast as the window). bm25 counts the rows that
        hold each word once for each evaluation: 200 µs for a word as common as "disorder",
        which a search of three words paid twice."""
        if counts is None:
            counts = self.counts(terms, billable)
        if not counts:
            return []
        sql, params = self._ranking(terms, counts, per_kind, name, billable)
        names = self._names()
        found = [
            (names[index.kind_of(rowid)], index.ref_of(rowid))
            for rowid, _ in self._rows(sql, params)
        ]
        return [(kind, ref, counts[kind]) for kind, ref in found]

    def best_hits(
        self,
        terms: list[Term],
        per_kind: int,
        name: str = "",
        billable: bool = False,
        counts: dict[str, int] | None = None,
    ) -> tuple[list[Hit], dict[str, int]]:
        """As Engine.best_hits, in one statement after the counts: `best`'s ranking, kept whole
        (a materialized CTE), chooses the rows that `hits` reads and marks. A statement less on
        every search of words, the same work in SQLite (2026-12-06)."""
        if counts is None:
            counts = self.counts(terms, billable)
        if not counts:
            return [], {}
        ranking, params = self._ranking(terms, counts, per_kind, name, billable)
        select, more = self._marked_select(True)
        sql = (
            f"WITH best(id, place) AS MATERIALIZED ({ranking}) {select}, "
            "(SELECT place FROM best WHERE id = codes_search.rowid), codes_search.rowid "
            "FROM codes_search WHERE codes_search MATCH %s AND +rowid IN (SELECT id FROM best)"
        )
        rows = self._rows(sql, [*params, *more, self.expression(terms)])
        # Kind by kind (the order of their tags, as `best` gives them), each in its ranking.
        rows.sort(key=lambda row: (index.kind_of(row[-1]), row[-2], row[-1]))
        found = [hit(kind, code, *marks, on) for kind, _, code, *marks, on, _, _ in rows]
        return found, counts

    def _ranking(self, terms, counts, per_kind, name, billable) -> tuple[str, list]:
        """SELECT (row id, place within its kind) of the best `per_kind` matches of each kind
        that has matches (`counts`), kind by kind, each best first; and its parameters. Up to
        WINDOW_MATCHES matches in all, from one evaluation of the query (a window); more, one
        ORDER BY ... LIMIT a kind (`best`)."""
        if len(counts) > 1 and sum(counts.values()) <= WINDOW_MATCHES:
            sql, named = self._windowed_sql(tuple(counts), bool(name), billable)
            return sql, [*[f"\n{name}\n"] * named, self.expression(terms), per_kind]
        parts, params = [], []
        for kind in counts:
            sql, more = self._ranked(terms, kind, 0, per_kind, name, billable)
            parts.append(f"SELECT * FROM ({sql})")
            params += more
        return " UNION ALL ".join(parts), params

    @staticmethod
    @kinds.per_registry
    def _windowed_sql(kinds_found: tuple, named: bool, billable: bool) -> tuple[str, int]:
        """SELECT (row id, place within its kind) of the best matches of each of `kinds_found`,
        each ranked as `_ranked` ranks them, from one evaluation of the query; and how many
        times it takes the name as a parameter (then the query, then the number a kind)."""
        ranks, takes_name = [], 0
        for kind in kinds_found:
            tag = tags()[kind]
            first, _ = index.tag_range(tag)
            rowid = f"(codes_search.rowid - {first})"
            weighted, takes = _weight(kind, named, rowid, "r", "sqlite")
            ranks.append(f"WHEN {tag} THEN {SqliteEngine.rank(kind)} * {weighted}")
            takes_name += takes
        kind_of = f"codes_search.rowid >> {index.REF_BITS}"
        sql = (
            "SELECT rowid, n FROM (SELECT codes_search.rowid AS rowid, row_number() OVER ("
            f"PARTITION BY {kind_of} ORDER BY (CASE {kind_of} {' '.join(ranks)} END), "
            f"codes_search.rowid) AS n FROM codes_search CROSS JOIN {index.RANK} r "
            "ON r.id = codes_search.rowid WHERE codes_search MATCH %s"
            f"{SqliteEngine._kept_only(billable, 'codes_search.rowid')}) "
            f"WHERE n <= %s ORDER BY rowid >> {index.REF_BITS}, n"
        )
        return sql, takes_name

    def _ranked(self, terms, kind, offset, limit, name, billable) -> tuple[str, list]:
        """SELECT (row id, score) of a page of the matches of `kind`, best first, and its
        parameters.
        Equal ranks keep the order of the records (the tabular list's, for ICD-10-CM). bm25 is
        negative, better when lower: a weight above 1 moves a row up."""
        sql, takes_name = self._ranked_sql(kind, bool(name), billable)
        named = [f"\n{name}\n"] if takes_name else []
        return sql, [*named, self.expression(terms), limit, offset]

    @staticmethod
    @kinds.per_registry
    def _ranked_sql(kind: str, named: bool, billable: bool) -> tuple[str, bool]:
        """_ranked's SQL, and whether it takes the name as a parameter."""
        first, last = index.tag_range(tags()[kind])
        # The record's id from the row id: reading the stored `ref` cost 2 ms over 2,000 rows.
        # What ranks a row and does not depend on the query comes from its rank row (CROSS
        # JOIN: the matches first, then their rank rows by id).
        rowid = f"(codes_search.rowid - {first})"
        weighted, takes_name = _weight(kind, named, rowid, "r", "sqlite")
        only = f" AND {kept(kind, billable)}" if kept(kind, billable) else ""
        sql = (
            f"SELECT codes_search.rowid AS id, {SqliteEngine.rank(kind)} * {weighted} AS score "
            f"FROM codes_search CROSS JOIN {index.RANK} r ON r.id = codes_search.rowid "
            f"WHERE codes_search MATCH %s AND codes_search.rowid BETWEEN {first} AND {last}"
            f"{only} ORDER BY score, id LIMIT %s OFFSET %s"
        )
        return sql, takes_name

    def ranked(
        self,
        terms: list[Term],
        kind: str,
        offset: int,
        limit: int,
        name: str = "",
        billable: bool = False,
    ):
        sql, params = self._ranked(terms, kind, offset, limit, name, billable)
        return [(kind, index.ref_of(rowid)) for rowid, _ in self._rows(sql, params)]

    def hits(self, keys: list[tuple[str, int]], terms: list[Term]) -> dict[tuple, Hit]:
        """The index rows of `keys`, with the words of `terms` marked (none when empty)."""
        if not keys:
            return {}
        rowids = [(tags()[kind] << index.REF_BITS) + ref for kind, ref in keys]
        select, params = self._marked_select(bool(terms))
        ids = ", ".join(["%s"] * len(rowids))
        if terms:
            # `+rowid`: FTS5 runs the query once and keeps the rows of `keys` as they come
            # (150-190 µs), rather than once for each of them (220-370 µs, 2026-12-06).
            sql = f"{select} FROM codes_search WHERE codes_search MATCH %s AND +rowid IN ({ids})"
            params = [*params, self.expression(terms), *rowids]
        else:
            sql = f"{select} FROM codes_search WHERE rowid IN ({ids})"
            params = [*params, *rowids]
        return {
            (kind, ref): hit(kind, code, title, snippet, detail, on)
            for kind, ref, code, title, snippet, detail, on in self._rows(sql, params)
        }

    @staticmethod
    @kinds.per_registry
    def _marked_select(marked: bool) -> tuple[str, tuple]:
        """SELECT of an index row as `hit` takes it, with the words of the query marked (or
        none), and its parameters."""
        is_linked, params = linked_sql()
        if marked:
            marks = f"'{MARK_START}', '{MARK_END}'"
            texts = (
                f"highlight(codes_search, 3, {marks}), snippet(codes_search, 4, {marks}, '…', 24)"
            )
        else:
            texts = "title, ''"
        return f"SELECT kind, ref, code, {texts}, detail, {is_linked}", params

    def similar(self, word: str, state: str | None = None) -> list[str]:
        """Indexed words (porter stems) most like `word`, best first. Words that begin with the
        same letter are compared: FTS5's vocabulary table reads that range of terms only, and
        their trigrams are indexed once per content version `state` (Vocabulary)."""
        first = word[0]
        vocabulary = VOCABULARIES.get(state, first, lambda: self._vocabulary(first))
        return vocabulary.similar(word)

    def _vocabulary(self, first: str) -> "Vocabulary":
        sql = "SELECT term FROM codes_search_vocab WHERE term >= %s AND term < %s"
        rows = self._rows(sql, [first, chr(ord(first) + 1)])
        return Vocabulary([term for (term,) in rows if len(term) >= 3 and term.isalpha()])

    def matching_ids(self, kind: str, terms: list[Term]):
        """The ids of the records of `kind` that match, as a subquery."""
        sql = (
            "SELECT rowid - %s FROM codes_search WHERE codes_search MATCH %s "
            "AND rowid BETWEEN %s AND %s"
        )
        first, last = index.tag_range(tags()[kind])
        return RawSQL(sql, [first, self.expression(terms), first, last])


class PostgresEngine(Engine):
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

    def _matching(self, terms: list[Term], billable: bool = False):
        rows = SearchEntry.objects.filter(vector=self.expression(terms))
        only = [
            f"(kind <> '{kind}' OR {kept(kind, billable)})"
            for kind in tags()
            if kept(kind, billable)
        ]
        if only:
            rows = rows.filter(RawSQL(" AND ".join(only), [], output_field=BooleanField()))
        return rows

    def known(self, queries: list[list[Term]]) -> list[bool]:
        """Whether each query matches anything, in one statement. Each query's matches are
        found through the GIN index (a materialized CTE is planned for all its rows): asked for
        one row, the planner read the table from the start until one matched, the whole table
        (40 ms) for a word that matches nothing, which is what a misspelt word is."""
        ctes, parts, params = [], [], []
        for n, terms in enumerate(queries):
            sql, more = self._matching(terms).values("ref").query.sql_with_params()
            ctes.append(f"m{n} AS MATERIALIZED ({sql})")
            parts.append(f"EXISTS (SELECT 1 FROM m{n})")
            params += more
        with connection.cursor() as cursor:
            cursor.execute(f"WITH {', '.join(ctes)} SELECT {', '.join(parts)}", params)
            return list(cursor.fetchone())

    def counts(self, terms: list[Term], billable: bool = False) -> dict[str, int]:
        rows = self._matching(terms, billable).values("kind").annotate(n=Count("ref")).order_by()
        return {row["kind"]: row["n"] for row in rows}

    def _rank(self, terms, weighted: tuple[str, list]):
        # Normalisation 1 divides by 1 + log(length): "Fracture of femur" ranks above a long
        # description that repeats "fracture". The weight is what the site knows of the record.
        rank = SearchRank(F("vector"), self.expression(terms), normalization=Value(1))
        return rank * RawSQL(*weighted, output_field=FloatField())

    def best(
        self,
        terms: list[Term],
        per_kind: int,
        name: str = "",
        billable: bool = False,
        counts: dict[str, int] | None = None,
    ) -> list[tuple[str, int, int]]:
        """As SqliteEngine.best; the matches of each kind are counted in the same statement
        (a window), so `counts` is not needed."""
        weighted = by_kind(lambda kind: weight(kind, name), "1")
        rows = self._matching(terms, billable).annotate(
            n=Window(
                RowNumber(),
                partition_by=F("kind"),
                order_by=[self._rank(terms, weighted).desc(), F("code").asc()],
            ),
            total=Window(Count("*"), partition_by=F("kind")),
        )
        return list(rows.filter(n__lte=per_kind).values_list("kind", "ref", "total"))

    def ranked(
        self,
        terms: list[Term],
        kind: str,
        offset: int,
        limit: int,
        name: str = "",
        billable: bool = False,
    ):
        rows = self._matching(terms, billable).filter(kind=kind)
        rows = rows.annotate(rank=self._rank(terms, weight(kind, name)))
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
        rows = rows.annotate(linked=RawSQL(*linked_sql(), IntegerField()))
        fields = ("kind", "ref", "code", "marked_title", "snippet", "detail", "linked")
        return {
            (kind, ref): hit(kind, code, title, snippet, detail, on)
            for kind, ref, code, title, snippet, detail, on in rows.values_list(*fields)
        }

    def similar(self, word: str, state: str | None = None) -> list[str]:
        """Indexed words (English stems) most like `word`, best first (pg_trgm): nearest by
        trigram distance (1 - similarity), which the GiST index of the words walks in order
        (migration 0019_search_word_gist)."""
        sql = (
            "SELECT word FROM codes_search_word WHERE word %% %s ORDER BY word <-> %s, word LIMIT 5"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [word, word])
            return [word for (word,) in cursor.fetchall()]

    def matching_ids(self, kind: str, terms: list[Term]):
        return self._matching(terms).filter(kind=kind).values("ref")


def engine():
    return PostgresEngine() if connection.vendor == "postgresql" else SqliteEngine()
