"""Django's `loaddata`, stricter: every record is validated and a bad one is named.

Fixtures skip field validators, and Django's own messages name a failing record by primary key,
which our natural-key fixtures do not have. This command validates each record's fields, refuses a
natural key that points at nothing, and names the record in the error. As in Django's command,
all fixtures load in one transaction, so a failure leaves the database as it was.

It also refuses what would silently lose an edit. A record that appears twice in the fixtures
(Django would keep the last copy). A record whose database copy has a higher `version` than the
file's: an editor changed it after the file was written (export_content writes each record's
version; a fixture that names none stands for version 1). `--replace-newer` loads such records
anyway and gives them the next version, so a form opened before the restore cannot save over it;
`--keep-newer` leaves them as they are and loads the rest (`make run` loads the shipped fixtures
so, and keeps what editors changed).
"""

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.core.management.commands import loaddata
from django.db import DatabaseError, IntegrityError

from codes.locking import Versioned, restoring


def describe(obj) -> str:
    key = obj.natural_key() if hasattr(obj, "natural_key") else (obj.pk,)
    shown = ", ".join("?" if part is None else str(part) for part in key)
    return f"{obj._meta.label} ({shown})"


class Command(loaddata.Command):
    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--replace-newer",
            action="store_true",
            help="Load records even where the database holds a newer version (an editor changed "
            "them after the file was written); those changes are lost.",
        )

        parser.add_argument(
            "--keep-newer",
            action="store_true",
            help="Skip records where the database holds a newer version, keeping the editors' "
            "changes, and load the others.",
        )

    def handle(self, *fixture_labels, **options):
        if options["replace_newer"] and options["keep_newer"]:
            raise CommandError("Choose one of --replace-newer and --keep-newer.")
        self.replace_newer = options["replace_newer"]
        self.keep_newer = options["keep_newer"]
        self.kept = []
        self.loaded_keys = set()
        result = super().handle(*fixture_labels, **options)
        if self.kept and self.verbosity:
            shown = ", ".join(self.kept[:10]) + (", …" if len(self.kept) > 10 else "")
            self.stdout.write(f"Kept {len(self.kept)} newer record(s) of the database: {shown}")
        return result

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
        key = (type(record), record.natural_key() if hasattr(record, "natural_key") else record.pk)
        if key in self.loaded_keys:
            raise CommandError(
                f"Could not load {describe(record)}: it appears twice in the files loaded, and "
                "only one copy can be kept. Remove the other."
            )
        if key[1] is not None:  # a record without natural key or id is always new
            self.loaded_keys.add(key)
        if isinstance(record, Versioned) and record.pk is not None:
            if not self.check_version(record):
                self.kept.append(describe(record))
                return False
        try:
            with restoring(record):  # as the file has it, version included
                return super().save_obj(obj)
        except (DatabaseError, IntegrityError, ValueError) as error:
            raise CommandError(
                f"Could not load {describe(record)}: {error.__cause__ or error}"
            ) from error

    def check_version(self, record) -> bool:
        """Refuse to put an older version of `record` over the database's copy, unless
        --replace-newer was given (then the record gets the version after the database's) or
        --keep-newer (then False: the database's copy stays)."""
        current = (
            type(record)
            ._base_manager.db_manager(self.using)
            .filter(pk=record.pk)
            .values_list("version", flat=True)
            .first()
        )
        if current is None or current <= record.version:
            return True
        if self.keep_newer:
            return False
        if self.replace_newer:
            record.version = current + 1
            return True
        raise CommandError(
            f"Could not load {describe(record)}: the database has version {current}, newer than "
            f"version {record.version} in the file: someone changed it after the file was "
            "written. Nothing was loaded. To keep those changes, remove the record from the "
            "file; to overwrite them, load again with --replace-newer (after saving the current "
            "content, if wanted, with `manage.py export_content --output FILE`)."
        )
