"""Load the whole ICD-10-CM tabular list from the simple-icd-10-cm package (no network needed)."""

from collections import Counter
from dataclasses import dataclass
from importlib.metadata import version

import simple_icd_10_cm as cm
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models import Max

from codes.models import Confidence, Icd10Code, SearchEntry

Kind = Icd10Code.Kind
BATCH = 5000
# The columns written; the others (id, version) take the database's defaults.
COLUMNS = (
    "code, description, billable, kind, parent_id, chapter_id, lineage, position, source, "
    "confidence, note"
)
INSERT = "INSERT INTO {table} (" + COLUMNS + ") VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
COPY = "COPY {table} (" + COLUMNS + ") FROM STDIN"
FIELDS = ["description", "billable", "kind", "parent_id", "chapter_id", "lineage", "position"]


@dataclass
class Node:
    code: str
    description: str
    kind: str
    billable: bool
    parent: str
    lineage: str
    position: int

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
        )


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
            )
        )
    return nodes


class Command(BaseCommand):
    help = "Load or refresh the whole ICD-10-CM tabular list (chapters, blocks, categories, codes)."

    def handle(self, **options):
        package = f"simple-icd-10-cm {version('simple-icd-10-cm')}"
        source = f"ICD-10-CM tabular list (CDC/NCHS), from the {package} package"
        nodes = tabular_list()
        self.progress(f"Read {len(nodes)} entries from the tabular list.")
        with transaction.atomic():
            # code -> (id, *FIELDS) of every row already there
            current = {
                row[0]: row[1:]
                for row in Icd10Code.objects.values_list("code", "id", *FIELDS).iterator(BATCH)
            }
            ids = {code: row[0] for code, row in current.items()}
            created = self.create_missing(nodes, ids, source)
            updated, unchanged = self.update_changed(nodes, ids, current)
            left_alone = len(current) + len(created) - len(nodes)
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
        if self.stdout.isatty():
            self.stdout.write("")  # end the progress line
        self.stdout.write(summary)

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
                    (n.code, *n.values(ids), source, Confidence.HIGH, "") for n in levels[depth]
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
            pk, *stored = current[n.code]
            if tuple(stored) != wanted:
                changed.append(
                    Icd10Code(id=pk, code=n.code, **dict(zip(FIELDS, wanted, strict=True)))
                )
        Icd10Code.objects.bulk_update(changed, FIELDS, batch_size=500)
        return len(changed), sum(n.code in current for n in nodes) - len(changed)

    def progress(self, message: str) -> None:
        if self.stdout.isatty():
            self.stdout.write(f"\r{message:<60}", ending="")
            self.stdout.flush()
