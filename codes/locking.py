"""Optimistic locking: no editor's save silently overwrites another's.

Each editable record carries a `version`. A save sends the version the editor opened and updates
the row only if it still has it (UPDATE ... WHERE id = %s AND version = %s), raising EditConflict
otherwise; the version then goes up by one. The check sits in the model layer, so every path
that saves a model instance (the admin, its inlines, a shell, a script) is held to it; fixtures
(`loaddata`, raw saves) and queryset updates are not: they restore or change data deliberately.
"""

from django.db import models


class EditConflict(Exception):
    """The record changed, or was deleted, since the version the save was based on."""

    def __init__(self, instance, expected: int):
        self.instance, self.expected = instance, expected
        model = instance._meta.verbose_name
        super().__init__(
            f"The {model} “{instance}” changed since version {expected} was opened; "
            "nothing was saved."
        )


class Versioned(models.Model):
    version = models.PositiveIntegerField(
        default=1,
        db_default=1,  # rows inserted by raw SQL (the ICD-10-CM import) start at 1 too
        editable=False,
        help_text="Goes up by one with every save; a save based on an older version is refused.",
    )

    class Meta:
        abstract = True

    def _save_table(self, raw=False, *args, **kwargs):
        self._checks_version = not raw
        return super()._save_table(raw, *args, **kwargs)

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update):
        if not getattr(self, "_checks_version", False):
            return super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update)
        expected = self.version
        field = self._meta.get_field("version")
        values = [row for row in values if row[0] is not field] + [(field, None, expected + 1)]
        matched = base_qs.filter(version=expected)
        if super()._do_update(matched, using, pk_val, values, update_fields, forced_update):
            self.version = expected + 1
            return True
        if self._state.adding and not base_qs.filter(pk=pk_val).exists():
            return False  # a new record with a chosen id: Django inserts it
        raise EditConflict(self, expected)  # changed, or deleted, since it was read
