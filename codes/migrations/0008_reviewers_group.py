"""The Reviewers group, as the editors' workflow needs it.

Editors write: they add, change and delete content and read its history, and move articles
between draft and in review. Reviewers can do all that and also publish and archive articles
(permission codes.publish_cptcode). Readers need no account. The groups' rights follow the
registry of kinds and are given after each migrate (codes/derived.py); this migration only makes
the group, and its reverse removes it.
"""

from django.db import migrations

REVIEWERS = "Reviewers"


def create_reviewers(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=REVIEWERS)


def remove_reviewers(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=REVIEWERS).delete()


class Migration(migrations.Migration):
    dependencies = [("codes", "0007_editorial_workflow")]

    operations = [migrations.RunPython(create_reviewers, remove_reviewers)]
