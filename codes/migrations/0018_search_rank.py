"""SQLite: beside the full-text index `codes_search`, a plain table of what ranks each of its rows
and never depends on the query: its weight (a billable code, a body of names) and the names a
query may equal (codes/search/engine.py). Reading them from FTS5's own row for every match took
two thirds of a search's ranking (0.6 of 0.9 ms for 153 matches): FTS5 fetches a whole stored row
for each column read. Filled and kept in step with the index by codes/search/index.py."""

from django.db import migrations

TABLE = "codes_search_rank"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            f"CREATE TABLE {TABLE} (id integer PRIMARY KEY, weight real NOT NULL, "
            "names text NOT NULL)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE {TABLE}")


class Migration(migrations.Migration):
    dependencies = [("codes", "0017_icd10_listed_partial_indexes")]

    operations = [migrations.RunPython(create, drop)]
