"""Django's `loaddata`, stricter: every record is validated and a bad one is named.

Fixtures skip field validators, and Django's own messages name a failing record by primary key,
which our natural-key fixtures do not have. This command validates each record's fields, refuses a
natural key that points at nothing, and names the record in the error. As in Django's command,
all fixtures load in one transaction, so a failure leaves the database as it was.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.core.management.commands import loaddata
from django.db import DatabaseError, IntegrityError


def describe(obj) -> str:
    key = obj.natural_key() if hasattr(obj, "natural_key") else (obj.pk,)
    shown = ", ".join("?" if part is None else str(part) for part in key)
    return f"{obj._meta.label} ({shown})"


class Command(loaddata.Command):
    def save_obj(self, obj):
        record = obj.object
        if obj.deferred_fields:
            missing = "; ".join(
                f"{field.name} {value!r} does not exist"
                for field, value in obj.deferred_fields.items()
            )
            raise CommandError(f"Could not load {describe(record)}: {missing}.")
        try:
            record.clean_fields()
            record.clean()
        except ValidationError as error:
            problems = "; ".join(
                f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
            )
            raise CommandError(f"Could not load {describe(record)}: {problems}") from error
        try:
            return super().save_obj(obj)
        except (DatabaseError, IntegrityError, ValueError) as error:
            raise CommandError(
                f"Could not load {describe(record)}: {error.__cause__ or error}"
            ) from error
