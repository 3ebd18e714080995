"""The two editorial groups, as the workflow needs them.

Editors write: they add, change and delete content and read its history, and move articles
between draft and in review. Reviewers can do all that and also publish and archive articles
(permission codes.publish_cptcode). Readers need no account.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS, REVIEWERS = "Editors", "Reviewers"
PUBLISH = "publish_cptcode"


def editorial_permissions(apps):
    """Every right on the content, and the right to read (not rewrite) its history."""
    app_config = apps.get_app_config("codes")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    rights = Permission.objects.filter(content_type__app_label="codes").exclude(codename=PUBLISH)
    # The history tables are written by saves; nobody edits them by hand.
    rights = rights.exclude(codename__regex=r"^(add|change|delete)_historical")
    # The counter behind the page cache is written by database triggers only.
    return rights.exclude(codename__endswith="_contentversion").exclude(
        codename__endswith="_searchentry"
    )


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    rights = list(editorial_permissions(apps))
    editors, _ = Group.objects.get_or_create(name=EDITORS)
    editors.permissions.set(rights)
    reviewers, _ = Group.objects.get_or_create(name=REVIEWERS)
    publish = Permission.objects.get(content_type__app_label="codes", codename=PUBLISH)
    reviewers.permissions.set([*rights, publish])


def remove_reviewers(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=REVIEWERS).delete()


class Migration(migrations.Migration):
    dependencies = [("codes", "0007_editorial_workflow")]

    operations = [migrations.RunPython(create_groups, remove_reviewers)]
