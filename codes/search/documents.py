"""How each kind of record reads in the search index: its search document.

A document is SQL over the record's row, aliased `c`: its code (the key of its URL), its title,
its body (more text to match) and a short detail shown with the result. `{nl}` is a newline on
either database; `parts` adds fragments of SQL that differ by database. A document may hold
only some records (`condition`) and take text from other tables (`sources`): a change to one of
their watched columns refreshes the document. codes/kinds.py gives each kind its document;
codes/search/index.py turns them into the index and the triggers that keep it.

Among results of similar relevance, what the site knows counts (codes/search/engine.py): a
record that a published article links to (`linked`) ranks higher, and a billable code a little
above a header of like relevance (`preferred`): enough to order near-equals (M51.04 first for
"myelopathy", G95.19 before its header G95.1), not to lift a weak match over a strong one (S72
stays first for "fracture femur"). The weights differ by engine because their scores do: bm25
separates "myelopathy"'s matches by a few percent, PostgreSQL's ts_rank (divided by the log of
the length) by a third. Both conditions are SQL over the index row (`ref`, `detail`), and the
results page marks linked records.

A diagnosis also has names (`names`): its title, and the Includes and inclusion terms of the
tabular list, which are its body too. A record one of whose names IS the query ranks above
those that only contain its words, by a third weight in the same product (`EXACT_WEIGHT`):
`hypertension` lists I10 first, whose inclusion term is "hypertension (arterial) (benign)
(essential) ...". The book puts nonessential modifiers in parentheses, so a name is compared
without its parenthesised parts, and without case, spaces and punctuation (`name_key`). The
index keeps the names in that form, one a line after the detail's own first line, which is all
a results page shows of it. A body of names adds matches, not length (`names_body`, a fourth
weight): a match in the title ranks as it did before the terms were indexed. `billable` is
what the search's billable-only option keeps.
"""

import re
import string
from dataclasses import dataclass, field

from ..models import (
    ArticleSection,
    BaseUnit,
    CptCode,
    CptDiagnosis,
    CptModifier,
    CptPayer,
    CptTaxonomy,
    Icd10Code,
    Modifier,
    Payer,
    PlaceOfService,
    ProviderTaxonomy,
    published_sql,
)


@dataclass(frozen=True)
class Source:
    """Rows of `model` make up the document whose id is in column `key`, or, with `by`, the
    documents whose column `by` equals the row's column `key` (an article and the base units of
    its code); a change to one of `columns` refreshes them."""

    model: type
    key: str
    columns: tuple[str, ...]
    by: str = ""

    @property
    def table(self) -> str:
        return self.model._meta.db_table


@dataclass(frozen=True)
class Document:
    group: int  # the place of its results on the search page (lowest first)
    sources: tuple[Source, ...]  # the record's own table first (key "id")
    code: str
    title: str = "''"
    body: str = "''"
    detail: str = "''"
    condition: str = ""  # only the records for which this holds are indexed
    parts: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> vendor -> SQL
    linked: str = ""  # a record that a published article links to: SQL over `{ref}`
    preferred: str = ""  # an index row that ranks above its like (a billable code)
    names: tuple[str, ...] = ()  # texts (NOT NULL) of the record's names, one name a line
    names_body: bool = False  # the body holds more names, not text: its length does not count
    billable: str = ""  # an index row that the search's billable-only option keeps

    @property
    def table(self) -> str:
        return self.sources[0].table

    def select(self, vendor: str, kind: str, where: str, *, rowid: str = "") -> str:
        """SELECT [rowid,] kind, ref, code, title, body, detail of the records `where` holds."""
        nl = NEWLINE[vendor]
        fragments = {name: sql[vendor] for name, sql in self.parts.items()}
        body = self.body.format(nl=nl, **fragments)
        detail = self.detail
        if self.names:  # "Billable\n<key>\n<key>\n": every key between two newlines
            detail = f"{detail} || {nl} || {name_keys(vendor, self.names)} || {nl}"
        where = f"({where}) AND {self.condition}" if self.condition else where
        return (
            f"SELECT {rowid + ', ' if rowid else ''}'{kind}', c.id, {self.code}, {self.title}, "
            f"{body}, {detail} FROM {self.table} c WHERE {where}"
        )


NEWLINE = {"sqlite": "char(10)", "postgresql": "chr(10)"}
LINKED_WEIGHT = {"sqlite": 1.2, "postgresql": 1.6}
PREFERRED_WEIGHT = {"sqlite": 1.04, "postgresql": 1.04}
# A name that is the query puts its record first: a name that is only an inclusion term too,
# though a word there counts less than in a title (ts_rank weighs a body at 0.2 of a title: 8
# lifts it). Checked on 600 titles and terms of the full ICD-10-CM, each searched as written:
# the record named so came first for all but those longer than a query (200 characters).
EXACT_WEIGHT = {"sqlite": 4.0, "postgresql": 8.0}
# A body of names (a diagnosis's inclusion terms) holds more matches, not more length. Both
# scores divide by the length of the row, so its words would lower a match in the title: this
# weight gives that back. On PostgreSQL exactly: ts_rank's normalisation 1 divides by the log
# of the length, and this makes it the length of the code and title (weight A) alone. SQLite's
# bm25 reads only the length of the whole row: 1.5 % a word of the body, what a title match
# loses (the median, on the full ICD-10-CM and on the test fixtures alike).
NAMES_BODY_WEIGHT = {
    "sqlite": "(CASE WHEN body = '' THEN 1 "  # most diagnoses have no inclusion term
    "ELSE 1 + 0.015 * (length(body) - length(replace(body, ' ', '')) + 1) END)",
    "postgresql": "(ln(length(vector) + 1) / ln(length(ts_filter(vector, '{a}')) + 1))",
}


def lasting_weight(document: Document, vendor: str) -> str:
    """SQL over an index row (its body and detail): the part of its weight that its own text
    decides, whatever the query: a billable code (`preferred`), a body of names. SQLite keeps it
    beside the index (codes/search/index.py: RANK); the other parts (`linked`, a name that is
    the query) are worked out at each search (codes/search/engine.py: weight)."""
    factors = []
    if document.preferred:
        factors.append(
            f"(CASE WHEN {document.preferred} THEN {PREFERRED_WEIGHT[vendor]} ELSE 1 END)"
        )
    if document.names_body:
        factors.append(NAMES_BODY_WEIGHT[vendor])
    return " * ".join(factors) or "1"


# bm25's weights of the code, title and body: a word of a body of names counts half a word of
# text. A match in both the title and a term ("Midcervical fracture of femur", "Transcervical
# fracture of femur NOS") still ranks above the title alone, but not above a shorter title: S72
# "Fracture of femur" stays first for "fracture femur". (ts_rank weighs a body at 0.2 already.)
BM25_WEIGHTS = {False: (8.0, 4.0, 1.0), True: (8.0, 4.0, 0.5)}  # by Document.names_body


# -- Names ---------------------------------------------------------------------------------------

# What comparing names ignores, besides the parenthesised parts: case, spaces and the punctuation
# between words. (Each is one more nested replace() in SQL, and SQLite's parser allows about 20.)
IGNORED = " \t,.;:-/\\'\"[]"
ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def name_key(name: str) -> str:
    """A name as it is compared: its parts outside parentheses, without IGNORED characters,
    ASCII letters in lower case ("Essential (primary) hypertension" -> "essentialhypertension")."""
    kept = "".join(re.split(r"[()]", name)[::2]).translate(ASCII_LOWER)
    return "".join(ch for ch in kept if ch not in IGNORED)


def _sqlite_outside(lines: str) -> str:
    """SQL: the text `lines` without the parenthesised parts of each line. SQLite has no
    function that splits a text, but JSON: the text quoted as a JSON string becomes an array
    of its lines when each escaped newline ends an element, and a line an array of its parts
    when "(" and ")" end one; the parts outside parentheses are the even ones. Backslashes go
    first, so that every one left is JSON's (name_key ignores them too)."""
    parts = (
        "(SELECT group_concat(part.value, '') FROM json_each('[' || replace(replace("
        "json_quote(line.value), '(', '\",\"'), ')', '\",\"') || ']') AS part "
        "WHERE part.key % 2 = 0)"
    )
    split = (
        f"(SELECT group_concat({parts}, char(10)) FROM json_each('[' || replace(json_quote("
        f"replace({lines}, char(92), '')), '\\n', '\",\"') || ']') AS line)"
    )
    return f"CASE WHEN instr({lines}, '(') = 0 THEN {lines} ELSE {split} END"


def _postgresql_outside(lines: str) -> str:
    """SQL: the text `lines` without the parenthesised parts of each line, as on SQLite."""
    parts = (
        "(SELECT string_agg(part.value, '' ORDER BY part.n) FROM regexp_split_to_table("
        "line.value, '[()]') WITH ORDINALITY AS part(value, n) WHERE part.n % 2 = 1)"
    )
    split = (
        f"(SELECT string_agg({parts}, chr(10) ORDER BY line.n) FROM regexp_split_to_table("
        f"{lines}, chr(10)) WITH ORDINALITY AS line(value, n))"
    )
    return f"CASE WHEN strpos({lines}, '(') = 0 THEN {lines} ELSE {split} END"


OUTSIDE = {"sqlite": _sqlite_outside, "postgresql": _postgresql_outside}


def _sqlite_ignoring(sql: str) -> str:
    """SQL: the text `sql` without the IGNORED characters, lower case (ASCII letters only, as
    name_key)."""
    for ch in IGNORED:
        literal = ch.replace("'", "''")
        sql = f"replace({sql}, '{literal}', '')"
    return f"lower({sql})"


def _postgresql_ignoring(sql: str) -> str:
    """The same on PostgreSQL, in one regular expression: thirteen replace() took 0.7 s over
    the full ICD-10-CM, this 0.2 s. (Its lower() also lowers capitals beyond ASCII, which
    name_key leaves: ICD-10-CM has none.)"""
    others = IGNORED.replace("\\", "\\\\").replace("[", "").replace("]", "").replace("-", "")
    characters = f"[][{others}-]".replace("'", "''")  # "]" first and "-" last: themselves
    return f"lower(regexp_replace({sql}, '{characters}', '', 'g'))"


IGNORING = {"sqlite": _sqlite_ignoring, "postgresql": _postgresql_ignoring}


def name_keys(vendor: str, names: tuple[str, ...]) -> str:
    """SQL: the name_key() of each line of the texts `names`, one a line, in one pass over all
    of them: the lines stay apart, since a newline is not IGNORED."""
    return IGNORING[vendor](f" || {NEWLINE[vendor]} || ".join(OUTSIDE[vendor](t) for t in names))


def linked_by_articles(link) -> str:
    """Index rows of the records that a published article links to through `link` (a model
    such as CptDiagnosis), as a condition on the record's id, `{ref}` (the engine says how it
    reads it: SQLite from the row id, which costs nothing)."""
    target = next(f for f in link._meta.concrete_fields if f.many_to_one and f.name != "cpt")
    return (
        f"{{ref}} IN (SELECT l.{target.column} FROM {link._meta.db_table} l "
        f"JOIN codes_cptcode a ON a.id = l.cpt_id WHERE {published_sql('a')})"
    )


ARTICLE = Document(
    group=10,
    sources=(
        Source(CptCode, "id", ("code", "title", "section", "status")),
        Source(ArticleSection, "cpt_id", ("cpt_id", "heading", "body", "position")),
    ),
    code="c.code",
    title="c.title",
    body="c.section || {nl} || coalesce(({sections}), '')",
    detail="c.section",
    # A draft's text must not reach readers through results or their snippets.
    condition=published_sql("c"),
    parts={
        "sections": {
            "sqlite": "SELECT group_concat(heading || char(10) || body, char(10)) FROM "
            "(SELECT heading, body FROM codes_articlesection s WHERE s.cpt_id = c.id "
            "ORDER BY s.position, s.id)",
            "postgresql": "SELECT string_agg(s.heading || chr(10) || s.body, chr(10) "
            "ORDER BY s.position, s.id) FROM codes_articlesection s WHERE s.cpt_id = c.id",
        }
    },
)

# An anesthesia code without a published article: found by its code (its page is the code's
# own), marked as such; no words, since the site ships no descriptor.
ANESTHESIA_CODE = Document(
    group=15,
    sources=(
        Source(BaseUnit, "id", ("code", "units")),
        Source(CptCode, "code", ("code", "status"), by="code"),
    ),
    code="c.code",
    detail="'No article yet · ' || c.units || ' base units'",
    condition=f"NOT EXISTS (SELECT 1 FROM codes_cptcode a WHERE a.code = c.code "
    f"AND {published_sql('a')})",
)

# The detail of a billable diagnosis begins with "Billable" (no other begins so), then its names.
BILLABLE_DIAGNOSIS = "substr(detail, 1, 8) = 'Billable'"

DIAGNOSIS = Document(
    group=20,
    sources=(Source(Icd10Code, "id", ("code", "description", "kind", "billable", "terms")),),
    code="c.code",
    title="c.description",
    # The Includes and inclusion terms of the tabular list, as a snippet shows them.
    body="replace(c.terms, {nl}, '; ')",
    detail="CASE WHEN c.kind = 'chapter' THEN 'Chapter' WHEN c.kind = 'block' THEN 'Block' "
    "WHEN c.billable THEN 'Billable' ELSE 'Not billable' END",
    linked=linked_by_articles(CptDiagnosis),
    preferred=BILLABLE_DIAGNOSIS,
    names=("c.description", "c.terms"),
    names_body=True,
    billable=BILLABLE_DIAGNOSIS,
)

MODIFIER = Document(
    group=30,
    sources=(
        Source(
            Modifier,
            "id",
            ("code", "name", "kind", "description", "when_to_use", "payment_effect"),
        ),
    ),
    code="c.code",
    title="c.name",
    body="c.description || {nl} || c.when_to_use || {nl} || c.payment_effect",
    detail="CASE WHEN c.kind = 'pricing' THEN 'Pricing modifier' ELSE 'Informational modifier' END",
    linked=linked_by_articles(CptModifier),
)

TAXONOMY = Document(
    group=40,
    sources=(
        Source(
            ProviderTaxonomy,
            "id",
            ("code", "classification", "specialization", "display_name", "definition", "grouping"),
        ),
    ),
    code="c.code",
    title="c.classification || CASE WHEN c.specialization <> '' "
    "THEN ': ' || c.specialization ELSE '' END",
    body="c.display_name || {nl} || c.definition",
    detail="c.grouping",
    linked=linked_by_articles(CptTaxonomy),
)

PAYER = Document(
    group=50,
    sources=(Source(Payer, "id", ("slug", "name")),),
    code="c.slug",
    title="c.name",
    linked=linked_by_articles(CptPayer),
)

PLACE_OF_SERVICE = Document(
    group=60,
    sources=(Source(PlaceOfService, "id", ("code", "name", "description")),),
    code="c.code",
    title="c.name",
    body="c.description",
)
