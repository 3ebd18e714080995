import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from codes.export import export_records, to_json
from codes.models import CptCode


class Command(BaseCommand):
    help = (
        "Write the editorial content (every CPT article with its parts, and the reference records "
        "it needs or editors changed) as fixture JSON; `loaddata` restores it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            "-o",
            metavar="FILE",
            help="Write to FILE (replaced only once the export is complete) instead of stdout.",
        )
        parser.add_argument(
            "--all-reference",
            action="store_true",
            help="Include every reference record (all of ICD-10-CM, if imported), not only those "
            "the content needs or editors changed.",
        )

    def handle(self, *, output: str | None, all_reference: bool, **options) -> None:
        records = export_records(all_reference=all_reference)
        text = to_json(records)
        if output is None:
            self.stdout.write(text, ending="")
            return
        path = Path(output)
        write_atomically(path, text)
        if options["verbosity"] >= 1:
            articles = sum(isinstance(record, CptCode) for record in records)
            plural = "" if articles == 1 else "s"
            self.stdout.write(
                f"Exported {len(records)} records ({articles} article{plural}) to {path}."
            )


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to a temporary file beside `path`, then rename it: a failed or interrupted
    export never leaves a truncated backup in place of a good one."""
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as error:
        raise CommandError(f"Cannot write {path}: {error.strerror}.") from error
    try:
        with open(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o666 & ~umask())  # as open() would; mkstemp gives 0o600
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
