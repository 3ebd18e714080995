"""The search index `codes_search`: one row per searchable record, kept in step by triggers.

SQLite gets an FTS5 table, PostgreSQL a table with a weighted tsvector (GIN index) and a trigram
index (pg_trgm). Database triggers refresh a record's row on every insert, update and delete of
its tables, so an admin save, a bulk delete and the raw-SQL ICD-10-CM import are all searchable
in the same transaction. codes/search.py reads the table.

The triggers and entries now follow the search documents (codes/search/documents.py) and are
made after each migrate (codes/derived.py); this migration's stay as they were written, frozen.
"""

from django.contrib.postgres.search import SearchVectorField
from django.db import migrations, models

# kind: (rowid tag, table, code, title, body, detail[, condition]). Expressions over the source
# row `c`; a record is indexed only when the optional condition holds (0009: published articles).
# The rowid tag keeps SQLite rowids unique across kinds: rowid = id * 8 + tag.
DOCUMENTS = {
    "cpt": (
        1,
        "codes_cptcode",
        "c.code",
        "c.title",
        "c.section || {nl} || coalesce(({sections}), '')",
        "c.section",
    ),
    "icd10": (
        2,
        "codes_icd10code",
        "c.code",
        "c.description",
        "''",
        "CASE WHEN c.kind = 'chapter' THEN 'Chapter' WHEN c.kind = 'block' THEN 'Block' "
        "WHEN c.billable THEN 'Billable' ELSE 'Not billable' END",
    ),
    "modifier": (
        3,
        "codes_modifier",
        "c.code",
        "c.name",
        "c.description || {nl} || c.when_to_use || {nl} || c.payment_effect",
        "CASE WHEN c.kind = 'pricing' THEN 'Pricing modifier' ELSE 'Informational modifier' END",
    ),
    "taxonomy": (
        4,
        "codes_providertaxonomy",
        "c.code",
        "c.classification || CASE WHEN c.specialization <> '' "
        "THEN ': ' || c.specialization ELSE '' END",
        "c.display_name || {nl} || c.definition",
        "c.grouping",
    ),
    "payer": (5, "codes_payer", "c.slug", "c.name", "''", "''"),
    "pos": (6, "codes_placeofservice", "c.code", "c.name", "c.description", "''"),
}
# Tables whose changes refresh a document: (table, column holding the document's id, columns
# that the document shows; an update of other columns leaves the index alone).
SOURCES = {
    "cpt": [
        ("codes_cptcode", "id", ["code", "title", "section"]),
        ("codes_articlesection", "cpt_id", ["cpt_id", "heading", "body", "position"]),
    ],
    "icd10": [("codes_icd10code", "id", ["code", "description", "kind", "billable"])],
    "modifier": [
        (
            "codes_modifier",
            "id",
            ["code", "name", "kind", "description", "when_to_use", "payment_effect"],
        ),
    ],
    "taxonomy": [
        (
            "codes_providertaxonomy",
            "id",
            ["code", "classification", "specialization", "display_name", "definition", "grouping"],
        ),
    ],
    "payer": [("codes_payer", "id", ["slug", "name"])],
    "pos": [("codes_placeofservice", "id", ["code", "name", "description"])],
}
SECTIONS = {
    "sqlite": "SELECT group_concat(heading || char(10) || body, char(10)) FROM "
    "(SELECT heading, body FROM codes_articlesection s WHERE s.cpt_id = c.id "
    "ORDER BY s.position, s.id)",
    "postgresql": "SELECT string_agg(s.heading || chr(10) || s.body, chr(10) "
    "ORDER BY s.position, s.id) FROM codes_articlesection s WHERE s.cpt_id = c.id",
}
NEWLINE = {"sqlite": "char(10)", "postgresql": "chr(10)"}


def document_select(vendor: str, kind: str, where: str, documents=DOCUMENTS) -> str:
    tag, table, code, title, body, detail, *condition = documents[kind]
    body = body.format(nl=NEWLINE[vendor], sections=SECTIONS[vendor])
    where = f"{where} AND {condition[0]}" if condition else where
    rowid = f"c.id * 8 + {tag}, " if vendor == "sqlite" else ""
    return (
        f"SELECT {rowid}'{kind}', c.id, {code}, {title}, {body}, {detail} "
        f"FROM {table} c WHERE {where}"
    )


def sqlite_statements(documents=DOCUMENTS, sources_of=SOURCES, tables=True) -> list[str]:
    """The index tables (unless `tables` is false), then for each kind of `sources_of` its
    entries and the triggers that keep them."""
    columns = "kind, ref, code, title, body, detail"
    statements = [
        "CREATE VIRTUAL TABLE codes_search USING fts5(kind UNINDEXED, ref UNINDEXED, code, "
        "title, body, detail UNINDEXED, tokenize = 'porter unicode61 remove_diacritics 2', "
        "prefix = '3 4')",
        # Its words, for matching misspelled words (codes/search.py).
        "CREATE VIRTUAL TABLE codes_search_vocab USING fts5vocab(codes_search, 'row')",
    ]
    statements = statements if tables else []
    for kind, sources in sources_of.items():
        tag = documents[kind][0]
        statements.append(
            f"INSERT INTO codes_search (rowid, {columns}) "
            + document_select("sqlite", kind, "1 = 1", documents)
        )

        def refresh(ref: str, kind=kind, tag=tag, delete=True) -> str:
            return (
                (f"DELETE FROM codes_search WHERE rowid = {ref} * 8 + {tag}; " if delete else "")
                + f"INSERT INTO codes_search (rowid, {columns}) "
                + document_select("sqlite", kind, f"c.id = {ref}", documents)
                + ";"
            )

        for table, key, shown in sources:
            # A new record has no entry yet. (Deleting one that is not there is not free: FTS5
            # writes out its pending terms first, which made the ICD-10-CM import twice as slow.)
            new_record = key == "id"
            events = {
                "insert": ("INSERT", refresh(f"NEW.{key}", delete=not new_record)),
                "update": (
                    f"UPDATE OF {', '.join(shown)}",
                    refresh(f"OLD.{key}") + " " + refresh(f"NEW.{key}"),
                ),
                "delete": ("DELETE", refresh(f"OLD.{key}")),
            }
            for event, (when, action) in events.items():
                statements.append(
                    f"CREATE TRIGGER codes_search_{table}_{event} AFTER {when} ON {table} "
                    f"BEGIN {action} END"
                )
    return statements


def postgresql_statements(documents=DOCUMENTS, sources_of=SOURCES, tables=True) -> list[str]:
    statements = [
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        "CREATE TABLE codes_search (kind varchar(10) NOT NULL, ref bigint NOT NULL, "
        "code text NOT NULL, title text NOT NULL, body text NOT NULL, detail text NOT NULL, "
        "vector tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('english', code || ' ' || title), 'A') || "
        "setweight(to_tsvector('english', body), 'C')) STORED, "
        "PRIMARY KEY (kind, ref))",
        # The indexed words (stemmed, as in `vector`), for matching misspelled words by trigram
        # similarity. Words are only added: one that no longer occurs is harmless, since a
        # suggestion is searched before it is shown. (A trigram index over the documents
        # themselves made the ICD-10-CM import 3 s slower.)
        "CREATE TABLE codes_search_word (word text PRIMARY KEY)",
    ]
    statements = statements if tables else []
    for kind, sources in sources_of.items():
        # add: index records that have no entry yet; refresh: re-index, or drop the entries
        # of records that are gone. Both record the words of the new entries.
        words = (
            "INSERT INTO codes_search_word (word) SELECT word FROM ts_stat(format("
            "'SELECT vector FROM codes_search WHERE kind = %L AND ref = ANY(%L::bigint[])', "
            f"'{kind}', ids)) WHERE word ~ '^[[:alpha:]]{{3,}}$' ON CONFLICT DO NOTHING;"
        )
        add = (
            "INSERT INTO codes_search (kind, ref, code, title, body, detail) "
            + document_select("postgresql", kind, "c.id = ANY(ids)", documents)
            + "; "
            + words
        )
        statements += [
            f"CREATE FUNCTION codes_search_add_{kind}(ids bigint[]) RETURNS void "
            f"LANGUAGE plpgsql AS $$ BEGIN {add} END $$",
            f"CREATE FUNCTION codes_search_refresh_{kind}(ids bigint[]) RETURNS void "
            f"LANGUAGE plpgsql AS $$ BEGIN "
            f"DELETE FROM codes_search WHERE kind = '{kind}' AND ref = ANY(ids); {add} END $$",
        ]
        for table, key, shown in sources:
            changed = " OR ".join(f"n.{col} IS DISTINCT FROM o.{col}" for col in shown)
            statements.append(
                f"CREATE FUNCTION codes_search_sync_{table}() RETURNS trigger "
                f"LANGUAGE plpgsql AS $$ BEGIN "
                f"IF TG_OP = 'INSERT' THEN "
                f"PERFORM codes_search_{'add' if key == 'id' else 'refresh'}_{kind}("
                f"ARRAY(SELECT {key} FROM new_rows)); "
                f"ELSIF TG_OP = 'UPDATE' THEN "
                f"PERFORM codes_search_refresh_{kind}(ARRAY("
                f"SELECT unnest(ARRAY[o.{key}, n.{key}]) FROM new_rows n "
                f"JOIN old_rows o ON o.id = n.id WHERE {changed})); "
                f"ELSIF TG_OP = 'DELETE' THEN "
                f"PERFORM codes_search_refresh_{kind}(ARRAY(SELECT {key} FROM old_rows)); "
                f"ELSE "  # TRUNCATE, as `flush` does
                f"DELETE FROM codes_search WHERE kind = '{kind}'; "
                f"PERFORM codes_search_refresh_{kind}(ARRAY(SELECT id FROM "
                f"{documents[kind][1]})); "
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
                    f"CREATE TRIGGER codes_search_{table}_{event.lower()} AFTER {event} "
                    f"ON {table} {referencing} FOR EACH STATEMENT "
                    f"EXECUTE FUNCTION codes_search_sync_{table}()"
                )
        statements.append(
            f"SELECT codes_search_add_{kind}(ARRAY(SELECT id FROM {documents[kind][1]}))"
        )
    if not tables:
        return statements
    # Built after the entries are in: one GIN build instead of 98,000 insertions.
    return statements + [
        "CREATE INDEX codes_search_vector ON codes_search USING gin (vector)",
        "CREATE INDEX codes_search_word_trigram ON codes_search_word USING gin (word gin_trgm_ops)",
    ]


def drop_statements(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return ["DROP TABLE codes_search_vocab", "DROP TABLE codes_search"] + [
            f"DROP TRIGGER IF EXISTS codes_search_{table}_{event}"
            for sources in SOURCES.values()
            for table, _, _ in sources
            for event in ("insert", "update", "delete")
        ]
    return (
        [
            f"DROP FUNCTION IF EXISTS codes_search_sync_{table}() CASCADE"
            for sources in SOURCES.values()
            for table, _, _ in sources
        ]
        + [
            f"DROP FUNCTION IF EXISTS codes_search_{verb}_{kind}(bigint[]) CASCADE"
            for kind in SOURCES
            for verb in ("refresh", "add")
        ]
        + ["DROP TABLE codes_search", "DROP TABLE codes_search_word"]
    )


STATEMENTS = {"sqlite": sqlite_statements, "postgresql": postgresql_statements}


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in STATEMENTS:
        raise NotImplementedError(f"cptref's search supports SQLite and PostgreSQL, not {vendor}.")
    for sql in STATEMENTS[vendor]():
        schema_editor.execute(sql, None)


def drop_index(apps, schema_editor):
    for sql in drop_statements(schema_editor.connection.vendor):
        schema_editor.execute(sql, None)


class Migration(migrations.Migration):
    dependencies = [("codes", "0003_code_sets")]

    operations = [
        migrations.CreateModel(
            name="SearchEntry",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "kind", "ref", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("kind", models.CharField(max_length=10)),
                ("ref", models.BigIntegerField()),
                ("code", models.TextField()),
                ("title", models.TextField()),
                ("body", models.TextField()),
                ("detail", models.TextField()),
                ("vector", SearchVectorField(editable=False)),
            ],
            options={"db_table": "codes_search", "managed": False},
        ),
        migrations.RunPython(create_index, drop_index),
    ]
