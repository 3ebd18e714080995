"""The editorial content as one fixture file, for backups and moving content between sites.

The file holds every CPT article (whatever its status) with its sections, links, policy updates
and change log, and the reference records it needs: those the content links to (with their
ICD-10-CM ancestors, so the file loads on an empty database) and those editors changed in the
admin (`edited_at`). Not the history tables, users, the search index or the content version.

Records come in dependency order and, within a model, in natural-key order computed in Python, so
SQLite and PostgreSQL write the same bytes for the same content, and export, flush, `loaddata`
and export again gives an identical file. Each record keeps its `version`, which `loaddata`
compares with the database's copy (codes/management/commands/loaddata.py).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.core import serializers
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction

from . import kinds


def foreign_keys(model) -> list[models.ForeignKey]:
    return [field for field in model._meta.concrete_fields if field.many_to_one]


def dependency_order(models_: list) -> list:
    """`models_` with every model after the models it points at, otherwise in the given order."""
    ordered, pending = [], list(models_)
    while pending:
        ready = next(
            model
            for model in pending
            if all(
                field.related_model in ordered
                or field.related_model not in pending
                or field.related_model is model
                for field in foreign_keys(model)
            )
        )
        ordered.append(ready)
        pending.remove(ready)
    return ordered


# Public code sets: exported when the content needs them or an editor changed them. What editors
# write: exported whole. Parents before the records that point at them (codes/kinds.py).
REFERENCE_MODELS = dependency_order(
    [kind.model for kind in kinds.KINDS if kind.backup == kinds.Backup.NEEDED]
)
CONTENT_MODELS = dependency_order(
    [kind.model for kind in kinds.KINDS if kind.backup == kinds.Backup.WHOLE]
)
EXPORTED_MODELS = REFERENCE_MODELS + CONTENT_MODELS


def export_records(*, all_reference: bool = False, using: str = DEFAULT_DB_ALIAS) -> list:
    """The records to export, in the order they are written. Queries each exported model once,
    plus one query per level of ICD-10-CM ancestors."""
    with snapshot(using):
        records = []
        for model in EXPORTED_MODELS:
            queryset = model._default_manager.using(using).select_related(
                *(field.name for field in foreign_keys(model))
            )
            if model in REFERENCE_MODELS and not all_reference:
                queryset = queryset.filter(pk__in=needed_ids(model, using))
            records += in_dependency_order(model, list(queryset))
        return records


def to_json(records: list) -> str:
    """Fixture JSON, as `dumpdata` writes it: natural keys, no ids, UTF-8 text (not \\u escapes),
    a newline at the end. Times are written to the millisecond, as JSON fixtures hold them: a time
    whose milliseconds are 000 and microseconds are not would otherwise be written with ".000"
    once and without it after a restore."""
    for record in records:
        for field in record._meta.concrete_fields:
            value = getattr(record, field.attname)
            if isinstance(value, datetime):
                setattr(
                    record,
                    field.attname,
                    value.replace(microsecond=value.microsecond // 1000 * 1000),
                )
    return serializers.serialize(
        "json",
        records,
        indent=2,
        use_natural_foreign_keys=True,
        use_natural_primary_keys=True,
        ensure_ascii=False,
    )


@contextmanager
def snapshot(using: str) -> Iterator[None]:
    """Read every table as of one moment, so a link an editor adds while the export runs cannot
    reach the file without the record it points at. SQLite's read transaction already sees one
    snapshot; PostgreSQL needs REPEATABLE READ, which must be set before the first query."""
    connection = connections[using]
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def needed_ids(model, using: str) -> set[int]:
    """Ids of the `model` records the file needs: edited by an editor, linked from the content,
    and the records those point at in turn (an ICD-10-CM code's parent and chapter)."""
    manager = model._default_manager.using(using)
    ids = set(manager.filter(edited_at__isnull=False).values_list("pk", flat=True))
    for content in CONTENT_MODELS:
        for field in foreign_keys(content):
            if field.related_model is model:
                ids |= set(
                    content._default_manager.using(using)
                    .filter(**{f"{field.attname}__isnull": False})
                    .values_list(field.attname, flat=True)
                )
    own = [field.attname for field in foreign_keys(model) if field.related_model is model]
    new = set(ids)
    while own and new:
        rows = manager.filter(pk__in=new).values_list(*own)
        new = {pk for row in rows for pk in row if pk is not None} - ids
        ids |= new
    return ids


def in_dependency_order(model, records: list) -> list:
    """Natural-key order, Python's (so both databases agree). Records that point at records of
    their own model (an ICD-10-CM code at its parent and chapter) come after those, one level at
    a time, so `loaddata` never meets a key it has not loaded yet."""
    own = [field.attname for field in foreign_keys(model) if field.related_model is model]
    if not own:
        return sorted(records, key=lambda record: record.natural_key())
    by_id = {record.pk: record for record in records}
    levels: dict[int, int] = {}

    def level(record) -> int:
        if record.pk not in levels:
            levels[record.pk] = 0  # a loop in the data must not recurse forever
            above = {getattr(record, name) for name in own} - {None, record.pk}
            levels[record.pk] = max(
                (level(by_id[pk]) + 1 for pk in above if pk in by_id), default=0
            )
        return levels[record.pk]

    return sorted(records, key=lambda record: (level(record), record.natural_key()))
