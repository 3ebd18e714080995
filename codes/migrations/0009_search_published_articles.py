"""Search indexes an article only while it is published: a draft's text must not reach readers
through search results or their snippets. The CPT entries and their triggers are rebuilt with the
condition, and a change of status now refreshes the entry. (The admin finds drafts by code and
title without the index.)"""

import importlib

from django.db import migrations

search = importlib.import_module("codes.migrations.0004_search")

PUBLISHED = "c.status = 'published'"
DOCUMENTS = {"cpt": (*search.DOCUMENTS["cpt"], PUBLISHED)}
SOURCES = {
    "cpt": [
        ("codes_cptcode", "id", ["code", "title", "section", "status"]),
        ("codes_articlesection", "cpt_id", ["cpt_id", "heading", "body", "position"]),
    ]
}
ORIGINAL = ({"cpt": search.DOCUMENTS["cpt"]}, {"cpt": search.SOURCES["cpt"]})


def rebuild(documents, sources):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        tables = [table for table, _, _ in sources["cpt"]]
        if vendor == "sqlite":
            drop = [
                f"DROP TRIGGER codes_search_{table}_{event}"
                for table in tables
                for event in ("insert", "update", "delete")
            ]
            create = search.sqlite_statements(documents, sources, tables=False)
        else:
            drop = [f"DROP FUNCTION codes_search_sync_{table}() CASCADE" for table in tables] + [
                f"DROP FUNCTION codes_search_{verb}_cpt(bigint[])" for verb in ("refresh", "add")
            ]
            create = search.postgresql_statements(documents, sources, tables=False)
        for sql in [*drop, "DELETE FROM codes_search WHERE kind = 'cpt'", *create]:
            schema_editor.execute(sql, None)

    return run


class Migration(migrations.Migration):
    dependencies = [("codes", "0008_reviewers_group")]

    operations = [migrations.RunPython(rebuild(DOCUMENTS, SOURCES), rebuild(*ORIGINAL))]
