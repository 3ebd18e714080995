"""Load the whole ICD-10-CM tabular list from the simple-icd-10-cm package (no network needed):
every chapter, block, category and code in its place in the tree, with its instructional notes,
and the release it comes from."""

import json
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import simple_icd_10_cm as cm
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from codes.models import CodeSetRelease, Confidence, Icd10Code, SearchEntry
from codes.search import index
from codes.tabular import NOTE_KINDS, SEVENTH_DEF, SEVENTH_NOTE, search_terms

Kind = Icd10Code.Kind
BATCH = 5000
# The columns written; the others (id, version) take the database's defaults.
COLUMNS = (
    "code, description, billable, kind, parent_id, chapter_id, lineage, position, notes, terms, "
    "source, confidence, note"
)
INSERT = "INSERT INTO {table} (" + COLUMNS + ") VALUES (" + ", ".join(["%s"] * 13) + ")"
COPY = "COPY {table} (" + COLUMNS + ") FROM STDIN"
FIELDS = [
    "description",
    "billable",
    "kind",
    "parent_id",
    "chapter_id",
    "lineage",
    "position",
    "notes",
    "terms",
]
# The package's reader of each kind of note (the same names, but inclusion terms').
READERS = {kind: getattr(cm, f"get_{kind}") for kind in NOTE_KINDS if kind != "inclusion_terms"}
READERS["inclusion_terms"] = cm.get_inclusion_term
MONTHS = "January February March April May June July August September October November December"


@dataclass
class Node:
    code: str
    description: str
    kind: str
    billable: bool
    parent: str
    lineage: str
    position: int
    notes: dict = field(default_factory=dict)

    @property
    def depth(self) -> int:
        return self.lineage.count("/") + 1 if self.lineage else 0

    @property
    def chapter(self) -> str:
        return self.lineage.split("/", 1)[0] if self.lineage else ""

    def values(self, ids: dict[str, int]) -> tuple:
        """The row's FIELDS, with the ids of its parent and chapter."""
        parent_id, chapter_id = ids.get(self.parent), ids.get(self.chapter)
        return (
            self.description,
            self.billable,
            self.kind,
            parent_id,
            chapter_id,
            self.lineage,
            self.position,
            self.notes,
            search_terms(self.notes),
        )


def stored(values: tuple) -> tuple:
    """The row's FIELDS as the INSERT and COPY write them: the notes as JSON text."""
    return tuple(json.dumps(v, sort_keys=True) if isinstance(v, dict) else v for v in values)


def fingerprint(values) -> int:
    """What tells a row's FIELDS from others, in a few bytes (98,500 rows with their notes would
    hold 50 MB more); the same for the database's copy and the package's."""
    return hash(stored(tuple(values)))


def block_name(code: str) -> str:
    """A block is named by its range; a block of one category, B10, becomes B10-B10."""
    return code if "-" in code else f"{code}-{code}"


def lineage_of(code: str) -> list[str]:
    """Codes of the ancestors, chapter first. The package names a one-category block like its
    category (B10 within B10), and lists the block right after the category."""
    names, previous = [], code
    for name in cm.get_ancestors(code):
        is_block = cm.is_block(name) and (name == previous or not cm.is_category(name))
        names.append(block_name(name) if is_block else name)
        previous = name
    return names[::-1]


def notes_of(code: str, block: bool) -> dict:
    """The entry's own instructional notes, by kind (codes/tabular.py), only the kinds it has.
    A note of several lines (a lead and its items) is kept as the package gives it."""
    notes = {}
    for kind, read in READERS.items():
        found = read(code, prioritize_blocks=block)
        found = [found] if isinstance(found, str) else found
        if any(text.strip() for text in found):
            notes[kind] = [text.strip() for text in found if text.strip()]
    seventh = cm.get_seven_chr_def(code, prioritize_blocks=block)
    if seventh:
        # Pairs, in the book's order (PostgreSQL's jsonb would reorder an object's keys).
        notes[SEVENTH_DEF] = [[character, meaning] for character, meaning in seventh.items()]
        notes[SEVENTH_NOTE] = cm.get_seven_chr_note(code, prioritize_blocks=block)
    return notes


def tabular_list() -> list[Node]:
    """Every chapter, block, category and code, in the order of the tabular list."""
    codes = cm.get_all_codes(True)
    # A one-category block is listed first under its category's code, then the category.
    pending_blocks = {code for code, count in Counter(codes).items() if count > 1}
    nodes: list[Node] = []
    lineages: dict[str, list[str]] = {}
    for position, code in enumerate(codes):
        if cm.is_chapter(code):
            kind, name, lineage = Kind.CHAPTER, code, []
        elif code in pending_blocks:
            pending_blocks.discard(code)
            kind, name = Kind.BLOCK, block_name(code)
            lineage = lineage_of(code)[:-1]
        elif cm.is_block(code) and "-" in code:
            kind, name, lineage = Kind.BLOCK, code, lineage_of(code)
        else:
            kind = Kind.CATEGORY if cm.is_category(code) else Kind.CODE
            parent = cm.get_parent(code) if kind == Kind.CODE else ""
            # A code's parent is a category or code listed before it: its lineage plus itself.
            name = code
            lineage = [*lineages[parent], parent] if parent in lineages else lineage_of(code)
            lineages[code] = lineage
        block = kind == Kind.BLOCK
        nodes.append(
            Node(
                code=name,
                description=cm.get_description(code, prioritize_blocks=block),
                kind=kind,
                billable=kind in (Kind.CATEGORY, Kind.CODE) and cm.is_leaf(code),
                parent=lineage[-1] if lineage else "",
                lineage="/".join(lineage),
                position=position,
                notes=notes_of(code, block),
            )
        )
    return nest_blocks(nodes)


def outer_blocks(nodes: list[Node]) -> dict[str, list[str]]:
    """block -> the blocks that hold it, outermost first. The package puts every block of a
    chapter directly under it; the book nests them (M40-M54 holds M40-M43, M45-M49 and M50-M54):
    a block holds another of its chapter whose range lies within its own. Ranges are compared by
    the places of their categories in the tabular list, which orders C7A after C75 and before
    C76 (as text, it would sort after C76)."""
    place = {n.code: n.position for n in nodes if n.kind == Kind.CATEGORY}
    by_text = sorted(place)

    def first_place(code: str) -> int:  # a range's start that is no category: U00 of U00-U49
        return place[code] if code in place else place[by_text[bisect_left(by_text, code)]]

    def last_place(code: str) -> int:
        return place[code] if code in place else place[by_text[bisect_right(by_text, code) - 1]]

    blocks: dict[str, list[tuple[str, int, int]]] = {}
    for n in nodes:
        if n.kind == Kind.BLOCK:
            first, last = n.code.split("-")
            span = (n.code, first_place(first), last_place(last))
            blocks.setdefault(n.chapter, []).append(span)
    holders = {}
    for chapter_blocks in blocks.values():
        for code, first, last in chapter_blocks:
            around = [
                (outer_first, -outer_last, outer)
                for outer, outer_first, outer_last in chapter_blocks
                if outer != code and outer_first <= first and last <= outer_last
            ]
            around.sort()  # outermost first: the one that starts first, then ends last
            holders[code] = [outer for _, _, outer in around]
    return holders


def nest_blocks(nodes: list[Node]) -> list[Node]:
    """Put each block under the blocks that hold it, and everything below it with it."""
    holders = outer_blocks(nodes)
    for n in nodes:
        parts = n.lineage.split("/") if n.lineage else []
        if n.kind == Kind.BLOCK:
            parts = [n.chapter, *holders[n.code]]
        elif len(parts) > 1 and parts[1] in holders:
            parts = [parts[0], *holders[parts[1]], *parts[1:]]
        else:
            continue
        n.lineage, n.parent = "/".join(parts), parts[-1]
    return nodes


def release() -> tuple[str, str]:
    """The release the package holds, read from its data: the fiscal year in the tabular file's
    <version> and the date in its name (icd10c-tabular-April-1-2026.xml): its name for readers
    and the file it comes from."""
    data = Path(cm.__file__).parent / "data"
    tabular = next(data.glob("icd10c-tabular-*.xml"))
    with tabular.open(encoding="utf-8") as file:
        head = file.read(500)
    year = re.search(r"<version>(\d{4})</version>", head)
    dated = re.fullmatch(r"icd10c-tabular-([A-Za-z]+)-(\d{1,2})-(\d{4})\.xml", tabular.name)
    if not year or not dated or dated.group(1) not in MONTHS.split():
        return f"ICD-10-CM, {tabular.name} (CDC/NCHS)", tabular.name
    month, day, calendar_year = dated.groups()
    # October 1 opens the fiscal year; a release of another date updates it.
    what = "release" if month == "October" else "update"
    name = f"ICD-10-CM FY{year.group(1)}, {month} {int(day)}, {calendar_year} {what} (CDC/NCHS)"
    return name, tabular.name


class Command(BaseCommand):
    help = "Load or refresh the whole ICD-10-CM tabular list (chapters, blocks, categories, codes)."

    def handle(self, **options):
        package = f"simple-icd-10-cm {version('simple-icd-10-cm')}"
        source = f"ICD-10-CM tabular list (CDC/NCHS), from the {package} package"
        nodes = tabular_list()
        self.progress(f"Read {len(nodes)} entries from the tabular list.")
        with transaction.atomic():
            # code -> (id, fingerprint of its FIELDS) of every row already there
            current = {
                row[0]: (row[1], fingerprint(row[2:]))
                for row in Icd10Code.objects.values_list("code", "id", *FIELDS).iterator(BATCH)
            }
            ids = {code: row[0] for code, row in current.items()}
            created = self.create_missing(nodes, ids, source)
            updated, unchanged = self.update_changed(nodes, ids, current)
            left_alone = len(current) + len(created) - len(nodes)
            replaced = self.record_release(package)
            if created or updated:
                index.merge_segments(connection)
        # Fresh statistics, so that the planner uses the indexes of the index page. On
        # PostgreSQL VACUUM also marks the pages visible, for index-only scans, and moves the
        # search index's new entries out of the GIN pending list, which every search would
        # otherwise read through (30 ms instead of 0.4 ms for a word that matches nothing).
        tables = [Icd10Code._meta.db_table]
        analyze = "ANALYZE"
        if connection.vendor == "postgresql":
            analyze, tables = "VACUUM ANALYZE", [*tables, SearchEntry._meta.db_table]
        if not connection.in_atomic_block:  # VACUUM cannot run inside a transaction
            with connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(f"{analyze} {table}")
        summary = (
            f"ICD-10-CM: {len(created)} created, {updated} updated, {unchanged} unchanged, "
            f"{left_alone} not in the tabular list (left alone)."
        )
        if not created and not updated:
            summary += " Nothing changed."
        if replaced:
            summary += f" {replaced}"
        if self.stdout.isatty():
            self.stdout.write("")  # end the progress line
        self.stdout.write(summary)

    def record_release(self, package: str) -> str:
        """Record the release loaded; say which one it replaced, if another."""
        name, file_name = release()
        current = CodeSetRelease.current(CodeSetRelease.CodeSet.ICD10CM)
        if current and current.name == name:
            return ""
        CodeSetRelease.objects.update_or_create(
            code_set=CodeSetRelease.CodeSet.ICD10CM,
            defaults={
                "name": name,
                "source": f"{file_name}, from the {package} package",
                "replaced": current.name if current else "",
                "loaded_at": timezone.now(),
            },
        )
        return f"Release: {name}" + (f" (replaces {current.name})." if current else ".")

    def create_missing(self, nodes, ids, source) -> set[str]:
        """Insert new entries level by level, so that each knows its parent's id.

        One prepared INSERT run over all rows of a level: bulk_create would split them into
        statements of 90 rows on SQLite and take twice as long."""
        new = [n for n in nodes if n.code not in ids]
        levels: dict[int, list[Node]] = {}
        for n in new:
            levels.setdefault(n.depth, []).append(n)
        table = Icd10Code._meta.db_table
        with connection.cursor() as cursor:
            for depth in sorted(levels):
                rows = [
                    (n.code, *stored(n.values(ids)), source, Confidence.HIGH, "")
                    for n in levels[depth]
                ]
                last_id = Icd10Code.objects.aggregate(last=Max("id"))["last"] or 0
                if connection.vendor == "postgresql":  # COPY is 5x faster there
                    with cursor.cursor.copy(COPY.format(table=table)) as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    # Staged, then copied in one statement: the search index's trigger writes
                    # to FTS5, which flushes its buffer at the end of every statement (a row at
                    # a time took 11 s instead of 2).
                    cursor.execute(
                        f"CREATE TEMP TABLE staged AS SELECT {COLUMNS} FROM {table} WHERE 0"
                    )
                    cursor.executemany(INSERT.format(table="staged"), rows)
                    cursor.execute(f"INSERT INTO {table} ({COLUMNS}) SELECT {COLUMNS} FROM staged")
                    cursor.execute("DROP TABLE staged")
                if depth != max(levels):  # the next level needs these ids for its parents
                    inserted = Icd10Code.objects.filter(id__gt=last_id)
                    ids.update(inserted.values_list("code", "id"))
                self.progress(f"Created level {depth}: {len(rows)} entries.")
        return {n.code for n in new}

    def update_changed(self, nodes, ids, current) -> tuple[int, int]:
        """Bring rows that were there before in line with the tabular list; equal ones are not
        written."""
        changed = []
        for n in nodes:
            if n.code not in current:
                continue
            wanted = n.values(ids)
            pk, stored_fingerprint = current[n.code]
            if stored_fingerprint != fingerprint(wanted):
                changed.append(
                    Icd10Code(id=pk, code=n.code, **dict(zip(FIELDS, wanted, strict=True)))
                )
        Icd10Code.objects.bulk_update(changed, FIELDS, batch_size=500)
        return len(changed), sum(n.code in current for n in nodes) - len(changed)

    def progress(self, message: str) -> None:
        if self.stdout.isatty():
            self.stdout.write(f"\r{message:<60}", ending="")
            self.stdout.flush()
