"""Everything the article page of a CPT code shows, in two queries written by hand.

The article is the page readers open most, and it must stay fast without a page cache: through
the ORM it takes one query per list, and the ORM spends longer turning each into SQL than SQLite
needs to run it (bench/README.md). Here one statement reads the code with its place of service
and base units, and one reads every list under it (sections, modifiers, provider taxonomies,
diagnoses, payers, related codes, policy updates and the change log). Both are plain SQL that
SQLite and PostgreSQL run alike; tests/test_article.py checks them against the ORM on both. What
readers may see is the models' rule (codes/models/base.py published_sql), not a condition of this
module's own. Editing stays with the models and the admin: this module only reads.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from operator import itemgetter

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from . import driver
from .models import (
    ArticleSection,
    BaseUnit,
    CptCode,
    PlaceOfService,
    SourceLink,
    published_sql,
    source_links,
    taxonomy_name,
)
from .paths import code_url

PUBLISHED = published_sql("c")  # what readers may see
CODE = """
    SELECT c.id, c.code, c.title, c.service_type, c.section, c.status, c.last_reviewed,
           c.updated_at, p.id, p.code, p.name, b.id, b.units, b.period, b.source, b.confidence
    FROM codes_cptcode c LEFT JOIN codes_placeofservice p ON p.id = c.place_of_service_id
    LEFT JOIN codes_baseunit b ON b.code = c.code
    WHERE c.code = %s"""

# Every list under the code, in one statement: (list, position, id, then five text columns whose
# meaning depends on the list). Text casts keep the branches' column types equal for PostgreSQL.
# Its rows are put in order by `load`: an ORDER BY made SQLite sort each branch apart to merge
# them (24 of the statement's 82 µs); two dozen rows sort in Python in 4 µs.
LISTS = f"""
    SELECT 'section', s.position, s.id, s.slug, s.heading, s.body, s.kind, CAST(s.level AS TEXT)
    FROM codes_articlesection s WHERE s.cpt_id = %s
    UNION ALL
    SELECT 'modifier', l.position, l.id, m.code, m.name, l.usage, NULL, NULL
    FROM codes_cptmodifier l JOIN codes_modifier m ON m.id = l.modifier_id WHERE l.cpt_id = %s
    UNION ALL
    SELECT 'taxonomy', l.position, l.id, t.code, t.classification, l.note, t.specialization, NULL
    FROM codes_cpttaxonomy l JOIN codes_providertaxonomy t ON t.id = l.taxonomy_id
    WHERE l.cpt_id = %s
    UNION ALL
    SELECT 'diagnosis', l.position, l.id, i.code, i.description, l.rationale,
           CASE WHEN i.billable THEN 'billable' ELSE '' END, NULL
    FROM codes_cptdiagnosis l JOIN codes_icd10code i ON i.id = l.icd10_id WHERE l.cpt_id = %s
    UNION ALL
    SELECT 'payer', l.position, l.id, p.slug, p.name, l.coverage_note, l.policy_reference,
           CAST(l.last_reviewed AS TEXT)
    FROM codes_cptpayer l JOIN codes_payer p ON p.id = l.payer_id WHERE l.cpt_id = %s
    UNION ALL
    SELECT 'related', r.position, r.id, r.code, r.description, r.source,
           CASE WHEN EXISTS (SELECT 1 FROM codes_cptcode c WHERE c.code = r.code
                             AND {PUBLISHED}) THEN 'article'
                WHEN EXISTS (SELECT 1 FROM codes_baseunit b WHERE b.code = r.code) THEN 'code'
                ELSE '' END, NULL
    FROM codes_relatedcode r WHERE r.cpt_id = %s
    UNION ALL
    SELECT 'policy', 0, u.id, p.slug, p.name, u.summary, u.reference, CAST(u.date AS TEXT)
    FROM codes_policyupdate u JOIN codes_payer p ON p.id = u.payer_id WHERE u.cpt_id = %s
    UNION ALL
    SELECT 'change', 0, e.id, CAST(e.date AS TEXT), e.summary, NULL, NULL, NULL
    FROM codes_changelogentry e WHERE e.cpt_id = %s"""
LIST_COUNT = LISTS.count("%s")
BY_POSITION = itemgetter(1, 2)  # a list's rows by position, then id


@dataclass
class Section:
    slug: str
    heading: str
    level: int
    kind: str
    body: str
    subsections: list["Section"] = field(default_factory=list)

    @property
    def shows_coding_tables(self) -> bool:
        return self.kind == ArticleSection.Kind.CODING


@dataclass
class Linked:
    """One row of an article table: the linked record's code, its page, and the link's own text."""

    code: str
    url: str
    name: str
    note: str
    billable: bool = True
    policy_reference: str = ""
    last_reviewed: date | None = None


@dataclass
class Related:
    code: str
    description: str
    sources: list[SourceLink]
    url: str | None  # its article, or the page of an anesthesia code without one
    has_article: bool = False


@dataclass
class PolicyNote:
    date: date
    payer: str
    payer_url: str
    summary: str
    sources: list[SourceLink]


@dataclass
class Change:
    date: date
    summary: str


@dataclass
class Article:
    cpt: CptCode
    base_units: BaseUnit | None  # an anesthesia code's, from CMS
    outline: list[Section]
    modifiers: list[Linked]
    taxonomies: list[Linked]
    diagnoses: list[Linked]
    payers: list[Linked]
    related: list[Related]
    policy_updates: list[PolicyNote]  # newest first
    change_log: list[Change]  # newest first


def outline(sections) -> list[Section]:
    """Top-level sections, each holding the subsections that follow it."""
    top: list[Section] = []
    for section in sections:
        if section.level == ArticleSection.Level.SECTION or not top:
            top.append(section)
        else:
            top[-1].subsections.append(section)
    return top


def _datetime(value) -> datetime | None:
    """A datetime column read by raw SQL: aware on PostgreSQL, a naive UTC value or its text on
    SQLite."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return timezone.localtime(value)


def _date(value) -> date | None:
    return parse_date(value) if isinstance(value, str) else value


def load(code: str, *, published_only: bool = True) -> Article:
    """The article of `code`, in two queries. Raises CptCode.DoesNotExist for an unknown code,
    or for one whose article is not published unless `published_only` is false (previews)."""
    where = CODE + (f" AND {PUBLISHED}" if published_only else "")
    row, list_rows = driver.run(
        lambda cursor, placeholders: _read(cursor, placeholders, where, code)
    )
    if row is None:
        raise CptCode.DoesNotExist(f"No published article for CPT code {code}")
    cpt = CptCode(
        id=row[0],
        code=row[1],
        title=row[2],
        service_type=row[3],
        section=row[4],
        status=row[5],
        last_reviewed=_date(row[6]),
        updated_at=_datetime(row[7]),
    )
    if row[8] is not None:
        cpt.place_of_service = PlaceOfService(id=row[8], code=row[9], name=row[10])
    base_units = None
    if row[11] is not None:
        base_units = BaseUnit(id=row[11], code=code, units=row[12], period=row[13], source=row[14])
        base_units.confidence = row[15]
    lists = defaultdict(list)
    for kind, _position, _id, *columns in sorted(list_rows, key=BY_POSITION):
        lists[kind].append(columns)

    def linked(kind, url_name):
        return [Linked(c, code_url(url_name, c), name, note) for c, name, note, _, _ in lists[kind]]

    return Article(
        cpt=cpt,
        base_units=base_units,
        outline=outline(
            Section(slug, heading, int(level), kind, body)
            for slug, heading, body, kind, level in lists["section"]
        ),
        modifiers=linked("modifier", "codes:modifier-detail"),
        taxonomies=[
            Linked(c, code_url("codes:taxonomy-detail", c), taxonomy_name(cls, spec), note)
            for c, cls, note, spec, _ in lists["taxonomy"]
        ],
        diagnoses=[
            Linked(c, code_url("codes:icd10-detail", c), name, note, billable=bool(billable))
            for c, name, note, billable, _ in lists["diagnosis"]
        ],
        payers=[
            Linked(
                slug,
                code_url("codes:payer-detail", slug),
                name,
                note,
                policy_reference=reference,
                last_reviewed=parse_date(reviewed) if reviewed else None,
            )
            for slug, name, note, reference, reviewed in lists["payer"]
        ],
        related=[
            Related(
                c,
                text,
                source_links(source),
                code_url("codes:cpt-detail", c) if page else None,
                has_article=page == "article",
            )
            for c, text, source, page, _ in lists["related"]
        ],
        # Newest first: by date, and the later entry first on the same date.
        policy_updates=_newest_first(
            PolicyNote(
                parse_date(day),
                name,
                code_url("codes:payer-detail", slug),
                summary,
                source_links(reference),
            )
            for slug, name, summary, reference, day in lists["policy"]
        ),
        change_log=_newest_first(
            Change(parse_date(day), summary) for day, summary, _, _, _ in lists["change"]
        ),
    )


def _read(cursor, placeholders, sql: str, code: str) -> tuple:
    """The code's row (None if there is none) and the rows of its lists, through the driver's
    cursor (codes/driver.py)."""
    cursor.execute(placeholders(sql), [code])
    row = cursor.fetchone()
    if row is None:
        return None, []
    cursor.execute(placeholders(LISTS), [row[0]] * LIST_COUNT)
    return row, cursor.fetchall()


def _newest_first(entries):
    """Entries read in id order, newest date first; on one date the later entry first."""
    return sorted(reversed(list(entries)), key=lambda entry: entry.date, reverse=True)
