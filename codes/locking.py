"""Optimistic locking: no editor's save silently overwrites another's.

Each editable record carries a `version`, kept by django-concurrency: a save updates the row only
if it still has the version the record was read with (UPDATE ... WHERE id = %s AND version = %s),
and the version then goes up by one. A save that finds another version raises EditConflict
(settings.CONCURRENCY_CALLBACK, codes/conflicts.py). The check sits in the model layer, so every
path that saves a model instance (the admin, its inlines, a shell, a script) is held to it.
A record read from the database and deleted since is refused too (Versioned.save). Fixtures
(`loaddata`) and queryset updates are not: they restore or change data deliberately
(`restoring`).
"""

from concurrency.api import concurrency_disable_increment
from concurrency.fields import AutoIncVersionField
from django.db import DatabaseError, models, router, transaction
from django.db.models import Value

from .conflicts import EditConflict

__all__ = ["EditConflict", "VersionField", "Versioned", "restoring"]

HELP_TEXT = "Goes up by one with every save; a save based on an older version is refused."


class VersionField(AutoIncVersionField):
    """django-concurrency's counting version field, as the tables have it: a positive integer
    that starts at 1 (also for rows inserted by raw SQL, such as the ICD-10-CM import), kept out
    of model forms (the admin's forms carry it themselves: codes/admin.py VersionedForm)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("help_text", HELP_TEXT)
        super().__init__(*args, **kwargs)  # the library's field keeps only a few arguments
        self.default, self.db_default, self.editable = 1, Value(1), False

    def get_internal_type(self) -> str:
        return "PositiveIntegerField"

    def deconstruct(self):
        name, _, args, kwargs = super().deconstruct()
        for managed in ("default", "db_default", "editable"):
            kwargs.pop(managed, None)
        return name, "codes.locking.VersionField", args, kwargs


class Versioned(models.Model):
    version = VersionField()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self._state.adding or kwargs.get("force_insert"):
            return super().save(*args, **kwargs)
        # A record read from the database is updated, never inserted again: if another editor
        # deleted it meanwhile, the save is refused (django-concurrency would insert it anew).
        # In a savepoint, so that the transaction stays usable for explaining the conflict.
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        try:
            with transaction.atomic(using=using):
                return super().save(*args, **{**kwargs, "force_update": True})
        except DatabaseError as error:
            # Django's own "Forced update did not affect any rows" (Model.NotUpdated from Django
            # 6.0): the versioned update found no row, since a stale version raises before it.
            if type(error) is DatabaseError and "did not affect any rows" in str(error):
                raise EditConflict(self, self.version) from None
            raise


def restoring(record):
    """Save `record` as it is, with the version it holds and without the check (loaddata)."""
    return concurrency_disable_increment(record)
