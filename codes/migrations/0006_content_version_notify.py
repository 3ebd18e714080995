"""PostgreSQL: every change to the content version notifies channel `codes_content_version`.

A web process listens on it (codes/caching.py) and so knows the current version without asking
the database on each request. The trigger sits on the counter itself, so any write to it counts:
the content triggers' bumps, a flush, a restore. Notifications are sent at commit and never for
a rolled-back change. SQLite has no notifications: its pages read the version (a local file).
"""

from django.db import migrations

CHANNEL = "codes_content_version"


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE OR REPLACE FUNCTION codes_version_notify() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN PERFORM pg_notify('{CHANNEL}', ''); RETURN NULL; END $$",
        None,
    )
    schema_editor.execute(
        "CREATE TRIGGER codes_version_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        "ON codes_contentversion FOR EACH STATEMENT EXECUTE FUNCTION codes_version_notify()",
        None,
    )


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TRIGGER codes_version_notify ON codes_contentversion", None)
    schema_editor.execute("DROP FUNCTION codes_version_notify()", None)


class Migration(migrations.Migration):
    dependencies = [("codes", "0005_content_version")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
