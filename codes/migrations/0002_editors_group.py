"""Create the Editors group. Its rights follow the registry of kinds and are given after each
migrate (codes/derived.py), so that a kind added later is covered at once."""

from django.db import migrations

EDITORS = "Editors"


def create_editors(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=EDITORS)


def remove_editors(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=EDITORS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("codes", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_editors, remove_editors)]
