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
"""

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

    @property
    def table(self) -> str:
        return self.sources[0].table

    def select(self, vendor: str, kind: str, where: str, *, rowid: str = "") -> str:
        """SELECT [rowid,] kind, ref, code, title, body, detail of the records `where` holds."""
        fragments = {name: sql[vendor] for name, sql in self.parts.items()}
        body = self.body.format(nl=NEWLINE[vendor], **fragments)
        where = f"({where}) AND {self.condition}" if self.condition else where
        return (
            f"SELECT {rowid + ', ' if rowid else ''}'{kind}', c.id, {self.code}, {self.title}, "
            f"{body}, {self.detail} FROM {self.table} c WHERE {where}"
        )


NEWLINE = {"sqlite": "char(10)", "postgresql": "chr(10)"}
LINKED_WEIGHT = {"sqlite": 1.2, "postgresql": 1.6}
PREFERRED_WEIGHT = {"sqlite": 1.04, "postgresql": 1.04}


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

DIAGNOSIS = Document(
    group=20,
    sources=(Source(Icd10Code, "id", ("code", "description", "kind", "billable")),),
    code="c.code",
    title="c.description",
    detail="CASE WHEN c.kind = 'chapter' THEN 'Chapter' WHEN c.kind = 'block' THEN 'Block' "
    "WHEN c.billable THEN 'Billable' ELSE 'Not billable' END",
    linked=linked_by_articles(CptDiagnosis),
    preferred="detail = 'Billable'",
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
