"""The content version: one row that database triggers bump on every change to the content.

Cached pages are stored under the version and answer conditional requests with it (codes/caching.py).
Triggers, not model signals, so that bulk updates, deletes, fixtures and the raw-SQL import count
too. The row is written with an upsert, so a flushed table starts counting again by itself.
"""

from django.db import migrations, models

# The content tables of the time. The triggers now follow the registry of kinds and are made
# after each migrate (codes/versioning.py, codes/derived.py); these are dropped if still here.
CONTENT_TABLES = [
    "codes_placeofservice",
    "codes_modifier",
    "codes_providertaxonomy",
    "codes_icd10code",
    "codes_payer",
    "codes_cptcode",
    "codes_articlesection",
    "codes_cptmodifier",
    "codes_cpttaxonomy",
    "codes_cptdiagnosis",
    "codes_cptpayer",
    "codes_relatedcode",
]
BUMP = {
    "sqlite": "INSERT INTO codes_contentversion (id, number, changed_at) "
    "VALUES (1, 1, strftime('%Y-%m-%d %H:%M:%f', 'now')) ON CONFLICT (id) DO UPDATE SET "
    "number = number + 1, changed_at = excluded.changed_at",
    "postgresql": "INSERT INTO codes_contentversion (id, number, changed_at) "
    "VALUES (1, 1, clock_timestamp()) ON CONFLICT (id) DO UPDATE SET "
    "number = codes_contentversion.number + 1, changed_at = excluded.changed_at",
}


def statements(vendor: str, tables: list[str]) -> list[str]:
    if vendor == "sqlite":  # no statement triggers: one bump per row
        return [
            f"CREATE TRIGGER codes_version_{table}_{event.lower()} AFTER {event} ON {table} "
            f"BEGIN {BUMP['sqlite']}; END"
            for table in tables
            for event in ("INSERT", "UPDATE", "DELETE")
        ]
    function = (
        "CREATE OR REPLACE FUNCTION codes_version_bump() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN {BUMP['postgresql']}; RETURN NULL; END $$"
    )
    return [function] + [
        f"CREATE TRIGGER codes_version_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION codes_version_bump()"
        for table in tables
    ]


def drop_statements(vendor: str, tables: list[str]) -> list[str]:
    if vendor == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS codes_version_{table}_{event}"
            for table in tables
            for event in ("insert", "update", "delete")
        ]
    return [f"DROP TRIGGER IF EXISTS codes_version_{table} ON {table}" for table in tables]


def create_triggers(apps, schema_editor):
    for sql in statements(schema_editor.connection.vendor, CONTENT_TABLES):
        schema_editor.execute(sql, None)
    schema_editor.execute(BUMP[schema_editor.connection.vendor], None)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in drop_statements(vendor, CONTENT_TABLES):
        schema_editor.execute(sql, None)
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS codes_version_bump() CASCADE", None)


class Migration(migrations.Migration):
    dependencies = [("codes", "0004_search")]

    operations = [
        migrations.CreateModel(
            name="ContentVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.BigIntegerField(default=0)),
                ("changed_at", models.DateTimeField(help_text="When the content last changed.")),
            ],
            options={
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("id", 1)), name="codes_contentversion_one"
                    )
                ],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
