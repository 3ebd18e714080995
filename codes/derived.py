"""What the database derives from the registry of kinds (codes/kinds.py), installed after each
migrate: the search index with its triggers (codes/search/index.py), the content-version
triggers (codes/versioning.py) and the rights of the Editors and Reviewers groups.

Migrations hold the schema only. Before a migrate that changes the codes app, the triggers and
functions are dropped, so that no migration meets a trigger that reads a table it is rebuilding
(SQLite rebuilds a table to add or alter most columns). After it, they are made again from the
kinds as they are now, the index is filled anew and the content version moves on. When nothing
was migrated, they are made again only if the kinds changed since (a fingerprint of the SQL is
kept in the table codes_derived). `manage.py rebuild_search_index` does the same on demand.
"""

import hashlib
import logging

from django.contrib.auth.models import Group, Permission
from django.db import connections, transaction
from django.db.migrations.executor import MigrationExecutor

from . import kinds, versioning
from .search import index

logger = logging.getLogger(__name__)

EDITORS, REVIEWERS = "Editors", "Reviewers"
STATE = "CREATE TABLE IF NOT EXISTS codes_derived (fingerprint text NOT NULL)"


def indexed() -> list[index.Indexed]:
    return [
        index.Indexed(kind.name, kind.document, tag)
        for tag, kind in enumerate(kinds.searchable(), start=1)
    ]


def statements(vendor: str) -> list[str]:
    """The triggers and functions of the index and of the content version."""
    return index.TRIGGERS[vendor](indexed()) + versioning.trigger_statements(
        vendor, kinds.content_tables()
    )


def fingerprint(vendor: str) -> str:
    return hashlib.sha256("\n".join(statements(vendor)).encode()).hexdigest()


def drop(connection) -> None:
    """Drop every trigger and function of the index and of the content version."""
    vendor = connection.vendor
    with connection.cursor() as cursor:
        for query in (index.INSTALLED[vendor], versioning.INSTALLED[vendor]):
            cursor.execute(query)
            for (statement,) in cursor.fetchall():
                cursor.execute(statement)
        cursor.execute(STATE)
        cursor.execute("DELETE FROM codes_derived")


def install(connection) -> None:
    """Make the triggers and functions anew, fill the index, move the content version on."""
    vendor = connection.vendor
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        drop(connection)
        for statement in statements(vendor) + index.FILL[vendor](indexed()):
            cursor.execute(statement)
        cursor.execute("INSERT INTO codes_derived (fingerprint) VALUES (%s)", [fingerprint(vendor)])
        cursor.execute(versioning.BUMP[vendor])


def installed_fingerprint(connection) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(STATE)
        cursor.execute("SELECT fingerprint FROM codes_derived")
        row = cursor.fetchone()
    return row[0] if row else None


def fully_migrated(connection) -> bool:
    executor = MigrationExecutor(connection)
    return not executor.migration_plan(executor.loader.graph.leaf_nodes())


def _touches_codes(plan) -> bool:
    return any(migration.app_label == "codes" for migration, _ in plan or ())


def before_migrate(sender, using, plan=None, **kwargs) -> None:
    """pre_migrate: drop the derived objects before migrations of the codes app run."""
    if _touches_codes(plan):
        drop(connections[using])


def after_migrate(sender, using, plan=None, apps=None, **kwargs) -> None:
    """post_migrate (also sent by `flush`): install the derived objects, and give the editors'
    groups their rights."""
    connection = connections[using]
    if not fully_migrated(connection):
        # Migrated backwards, or to a chosen migration: the kinds describe the latest schema.
        logger.warning("codes: not fully migrated; search and cache triggers left out")
        return
    if _touches_codes(plan) or installed_fingerprint(connection) != fingerprint(connection.vendor):
        install(connection)
    grant_rights(using)


def editorial_rights() -> dict[str, list[tuple[str, str]]]:
    """group -> (app label, codename) of every right it gets: editors add, change, delete and
    view each kind of content, and view its history; reviewers also what the kinds reserve to
    them (publishing articles)."""
    rights = []
    for kind in kinds.KINDS:
        if not kind.editors:
            continue
        opts = kind.model._meta
        rights += [
            (opts.app_label, f"{action}_{opts.model_name}") for action in opts.default_permissions
        ]
        history = getattr(kind.model, "history", None)
        if history is not None:  # written by saves; nobody edits it by hand
            rights.append((opts.app_label, f"view_{history.model._meta.model_name}"))
    reserved = [
        (kind.model._meta.app_label, codename)
        for kind in kinds.KINDS
        for codename in kind.reviewers_only
    ]
    return {EDITORS: rights, REVIEWERS: rights + reserved}


def grant_rights(using: str) -> None:
    """Give each editorial group exactly the rights the kinds call for."""
    for name, rights in editorial_rights().items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        wanted = Permission.objects.using(using).filter(
            content_type__app_label__in={app for app, _ in rights},
            codename__in={codename for _, codename in rights},
        )
        found = {
            (p.content_type.app_label, p.codename): p for p in wanted.select_related("content_type")
        }
        missing = sorted(set(rights) - set(found))
        if missing:
            raise RuntimeError(f"codes: permissions missing after migrate: {missing}")
        group.permissions.set([found[right] for right in rights])
