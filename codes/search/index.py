"""The search index `codes_search`, built from the documents of the kinds in codes/kinds.py.

SQLite has an FTS5 table, PostgreSQL a table with a weighted tsvector (GIN index) and a table of
its words under a trigram index (pg_trgm); migration 0004_search made them. What fills them is
made here, from the documents as they are now: database triggers that refresh a record's entry on
every insert, update and delete of its tables (so an admin save, a bulk delete and the raw-SQL
ICD-10-CM import are searchable in the same transaction), and the entries themselves. They are
installed after each migrate (codes/derived.py) and by `manage.py rebuild_search_index`, so no
migration needs to know a document.

On SQLite a row's id is `tag << 40 | record id`, the tag being the kind's place among the
searchable kinds: the kind is read from the id for free (reading the stored `kind` column made
counting twice as slow), and a range of ids is one kind.
"""

from dataclasses import dataclass

from . import documents
from .documents import Document

REF_BITS = 40  # record ids below 2**40; kinds up to 2**23


@dataclass(frozen=True)
class Indexed:
    """A kind of record in the index: its name (`kind`, at most 10 characters), its document and
    its tag (1, 2, ... in the order of the search page)."""

    kind: str
    document: Document
    tag: int

    def rowid(self, ref: str) -> str:
        return f"(({self.tag} << {REF_BITS}) + {ref})"


def kind_of(rowid: int) -> int:
    return rowid >> REF_BITS


def ref_of(rowid: int) -> int:
    return rowid & ((1 << REF_BITS) - 1)


def tag_range(tag: int) -> tuple[int, int]:
    """The first and last SQLite row id of a kind."""
    return tag << REF_BITS, ((tag + 1) << REF_BITS) - 1


COLUMNS = "kind, ref, code, title, body, detail"


# -- SQLite --------------------------------------------------------------------------------------


# Beside the FTS5 table, what ranks each of its rows and never depends on the query (migration
# 0018_search_rank): its lasting weight, SQL over the index row (`documents.lasting_weight`),
# and its detail, which holds the names a query may equal. Each row of the index has one.
RANK = "codes_search_rank"


def _sqlite_rank(entry: Indexed, ids: str) -> str:
    """Write the rank rows of the index rows of `entry` whose ids `ids` holds (SQL over `id`),
    from FTS5's table of their stored columns (the index's body and detail are its c4 and c5).
    Reading them through FTS5 itself made it write out its pending terms at each row of an
    import, which then took 20 % longer."""
    weight = documents.lasting_weight(entry.document, "sqlite")
    return (
        f"INSERT OR REPLACE INTO {RANK} (id, weight, names) SELECT id, {weight}, detail FROM "
        f"(SELECT id, c4 AS body, c5 AS detail FROM codes_search_content WHERE {ids})"
    )


def _sqlite_refresh(entry: Indexed, source, row: str, delete: bool = True) -> str:
    """Drop and write again the entries of the documents that `row` (NEW or OLD) of `source`
    makes up, and their rank rows."""
    table = entry.document.table
    if source.by:
        where = f"c.{source.by} = {row}.{source.key}"
        rowids = f"id IN (SELECT {entry.rowid('c.id')} FROM {table} c WHERE {where})"
        drop = (
            f"DELETE FROM codes_search WHERE rowid IN "
            f"(SELECT {entry.rowid('c.id')} FROM {table} c WHERE {where}); "
            f"DELETE FROM {RANK} WHERE {rowids}; "
        )
    else:
        ref = f"{row}.{source.key}"
        where = f"c.id = {ref}"
        rowids = f"id = {entry.rowid(ref)}"
        drop = (
            f"DELETE FROM codes_search WHERE rowid = {entry.rowid(ref)}; "
            f"DELETE FROM {RANK} WHERE {rowids}; "
        )
    select = entry.document.select("sqlite", entry.kind, where, rowid=entry.rowid("c.id"))
    return (
        (drop if delete else "")
        + f"INSERT INTO codes_search (rowid, {COLUMNS}) {select}; "
        + _sqlite_rank(entry, rowids)
        + ";"
    )


def sqlite_triggers(indexed: list[Indexed]) -> list[str]:
    statements = []
    for entry in indexed:
        for source in entry.document.sources:
            # Deleting an entry that is not there is not free: FTS5 writes out its pending terms
            # first, which made the ICD-10-CM import twice as slow. A new record has none yet.
            new_record = source.key == "id" and not source.by
            events = {
                "insert": ("INSERT", _sqlite_refresh(entry, source, "NEW", delete=not new_record)),
                "update": (
                    f"UPDATE OF {', '.join(source.columns)}",
                    _sqlite_refresh(entry, source, "OLD")
                    + " "
                    + _sqlite_refresh(entry, source, "NEW"),
                ),
                "delete": ("DELETE", _sqlite_refresh(entry, source, "OLD")),
            }
            for event, (when, action) in events.items():
                statements.append(
                    f"CREATE TRIGGER codes_search_{entry.kind}_{source.table}_{event} "
                    f"AFTER {when} ON {source.table} BEGIN {action} END"
                )
    return statements


# FTS5 merges the index's segments into one (0.3-0.4 s for the full ICD-10-CM). Each insert
# through the triggers adds a segment, which FTS5 merges only now and then: after a bulk import
# a search reads each of its words in every segment. Merged, "fracture femur" (2,400 matches)
# took 7 ms instead of 14; writing the hits of "disc disorder myelopathy" 0.24 ms instead of 0.41.
SQLITE_MERGE = "INSERT INTO codes_search (codes_search) VALUES ('optimize')"


def merge_segments(connection) -> None:
    """After a bulk import through the triggers (ICD-10-CM, the NUCC taxonomy): on SQLite, the
    index's segments merged into one (`SQLITE_MERGE`). PostgreSQL's GIN index needs a VACUUM
    instead, which cannot run inside a transaction: the ICD-10-CM import runs it."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(SQLITE_MERGE)


def sqlite_fill(indexed: list[Indexed]) -> list[str]:
    return (
        ["DELETE FROM codes_search", f"DELETE FROM {RANK}"]
        + [
            f"INSERT INTO codes_search (rowid, {COLUMNS}) "
            + entry.document.select("sqlite", entry.kind, "1 = 1", rowid=entry.rowid("c.id"))
            for entry in indexed
        ]
        + [
            _sqlite_rank(entry, "id BETWEEN {} AND {}".format(*tag_range(entry.tag)))
            for entry in indexed
        ]
        + [SQLITE_MERGE]
    )


# -- PostgreSQL ----------------------------------------------------------------------------------


def _words(kind: str) -> str:
    """Record the words of the entries of `kind` whose ids are in `ids`, for matching
    misspellings. Words are only added: one that no longer occurs is harmless, since a
    suggestion is searched before it is shown."""
    return (
        "INSERT INTO codes_search_word (word) SELECT word FROM ts_stat(format("
        "'SELECT vector FROM codes_search WHERE kind = %L AND ref = ANY(%L::bigint[])', "
        f"'{kind}', ids)) WHERE word ~ '^[[:alpha:]]{{3,}}$' ON CONFLICT DO NOTHING;"
    )


def postgresql_triggers(indexed: list[Indexed]) -> list[str]:
    statements = []
    for entry in indexed:
        kind = entry.kind
        add = (
            f"INSERT INTO codes_search ({COLUMNS}) "
            + entry.document.select("postgresql", kind, "c.id = ANY(ids)")
            + "; "
            + _words(kind)
        )
        statements += [
            f"CREATE FUNCTION codes_search_add_{kind}(ids bigint[]) RETURNS void "
            f"LANGUAGE plpgsql AS $$ BEGIN {add} END $$",
            f"CREATE FUNCTION codes_search_refresh_{kind}(ids bigint[]) RETURNS void "
            f"LANGUAGE plpgsql AS $$ BEGIN "
            f"DELETE FROM codes_search WHERE kind = '{kind}' AND ref = ANY(ids); {add} END $$",
        ]
        for source in entry.document.sources:
            key, table = source.key, source.table
            changed = " OR ".join(f"n.{col} IS DISTINCT FROM o.{col}" for col in source.columns)
            function = f"codes_search_sync_{kind}_{table}"

            def ids(values: str, source=source, entry=entry) -> str:
                """The ids of the documents that the rows' `values` of the key make up."""
                if not source.by:
                    return f"ARRAY({values})"
                return (
                    f"ARRAY(SELECT c.id FROM {entry.document.table} c "
                    f"WHERE c.{source.by} IN ({values}))"
                )

            add = "add" if key == "id" and not source.by else "refresh"
            statements.append(
                f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF TG_OP = 'INSERT' THEN "
                f"PERFORM codes_search_{add}_{kind}({ids(f'SELECT {key} FROM new_rows')}); "
                f"ELSIF TG_OP = 'UPDATE' THEN "
                f"PERFORM codes_search_refresh_{kind}("
                + ids(
                    f"SELECT unnest(ARRAY[o.{key}, n.{key}]) FROM new_rows n "
                    f"JOIN old_rows o ON o.id = n.id WHERE {changed}"
                )
                + "); "
                f"ELSIF TG_OP = 'DELETE' THEN "
                f"PERFORM codes_search_refresh_{kind}({ids(f'SELECT {key} FROM old_rows')}); "
                f"ELSE "  # TRUNCATE, as `flush` does
                f"DELETE FROM codes_search WHERE kind = '{kind}'; "
                f"PERFORM codes_search_refresh_{kind}(ARRAY(SELECT id FROM "
                f"{entry.document.table})); "
                f"END IF; RETURN NULL; END $$"
            )
            # A trigger with transition tables fires once per statement for one event: a COPY
            # of 98,000 rows refreshes them in one set-based statement.
            transitions = {
                "INSERT": "REFERENCING NEW TABLE AS new_rows",
                "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
                "DELETE": "REFERENCING OLD TABLE AS old_rows",
                "TRUNCATE": "",
            }
            for event, referencing in transitions.items():
                statements.append(
                    f"CREATE TRIGGER codes_search_{kind}_{table}_{event.lower()} AFTER {event} "
                    f"ON {table} {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
                )
    return statements


def postgresql_fill(indexed: list[Indexed]) -> list[str]:
    # The GIN index is built once after the entries are in: one build instead of 98,000
    # insertions (migration 0004_search defines it the same way).
    return (
        ["DROP INDEX IF EXISTS codes_search_vector", "TRUNCATE codes_search"]
        + [
            f"SELECT codes_search_add_{entry.kind}(ARRAY(SELECT id FROM {entry.document.table}))"
            for entry in indexed
        ]
        + ["CREATE INDEX codes_search_vector ON codes_search USING gin (vector)"]
    )


TRIGGERS = {"sqlite": sqlite_triggers, "postgresql": postgresql_triggers}
FILL = {"sqlite": sqlite_fill, "postgresql": postgresql_fill}

# What `installed` finds and `drop` removes: every trigger and function of the index.
INSTALLED = {
    "sqlite": "SELECT 'DROP TRIGGER ' || name FROM sqlite_master "
    "WHERE type = 'trigger' AND name LIKE 'codes_search_%'",
    # Dropping a function drops the triggers that call it.
    "postgresql": "SELECT 'DROP FUNCTION ' || oid::regprocedure || ' CASCADE' FROM pg_proc "
    "WHERE proname LIKE 'codes_search_%' AND pronamespace = current_schema()::regnamespace",
}
