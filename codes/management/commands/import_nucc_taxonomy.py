"""Load the NUCC Health Care Provider Taxonomy code set from the CSV file published on nucc.org.

    python manage.py import_nucc_taxonomy nucc_taxonomy_251.csv

Columns are found by name (Code, Grouping, Classification, Specialization, Definition, Notes,
Display Name, Section); other columns are ignored. Each code is created, or updated if its NUCC
fields differ from the file, in one transaction: a bad line aborts the import and changes nothing.
A second run of the same file changes nothing.

Editorial fields stay with the editors: an existing record keeps its `note`, `confidence` and source
lines; a record the file creates or changes gains one source line naming the file. Records that are
not in the file are left alone.
"""

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection, transaction

from codes.models import Confidence, ProviderTaxonomy
from codes.search import index

# CSV column -> model field, in the order of the official file.
COLUMNS: dict[str, str] = {
    "Code": "code",
    "Grouping": "grouping",
    "Classification": "classification",
    "Specialization": "specialization",
    "Definition": "definition",
    "Notes": "nucc_notes",
    "Display Name": "display_name",
    "Section": "nucc_section",
}
FIELD_COLUMNS = {field: column for column, field in COLUMNS.items()}
NUCC_FIELDS = [field for field in COLUMNS.values() if field != "code"]
# The official file has been published in both.
ENCODINGS = (("utf-8", "UTF-8"), ("cp1252", "Windows-1252"))
MAX_PROBLEMS_SHOWN = 20


def source_line(path: Path) -> str:
    """The source line of the records a file creates or changes: NUCC's attribution, with the
    version where the file has NUCC's own name (nucc_taxonomy_251.csv is v25.1)."""
    named = re.fullmatch(r"nucc_taxonomy_(\d+)(\d)\.csv", path.name)
    if named:
        major, minor = named.groups()
        return f"Source: NUCC Health Care Provider Taxonomy, v{major}.{minor} (file {path.name})"
    return f"NUCC Health Care Provider Taxonomy code set, file {path.name}"


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]  # model field -> cleaned value, the code included

    @property
    def code(self) -> str:
        return self.values["code"]


class Problems(Exception):
    """Lines of the file that cannot be imported, each as 'line N: what is wrong'."""

    def __init__(self, problems: list[str]):
        super().__init__(problems)
        self.problems = problems


def clean(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def shown(value: str, limit: int = 40) -> str:
    return f'"{value}"' if len(value) <= limit else f'"{value[: limit - 1]}…"'


def decode(path: Path) -> tuple[str, str]:
    """The text of the file and the name of its encoding."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file.") from None
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror or error}.") from error
    # As the "utf-8-sig" codec does, drop a UTF-8 byte-order mark; but with a mark the file says it
    # is UTF-8, so a byte that is not UTF-8 is an error rather than a sign of Windows-1252.
    has_bom = data.startswith(codecs.BOM_UTF8)
    if has_bom:
        data = data[len(codecs.BOM_UTF8) :]
    encodings = ENCODINGS[:1] if has_bom else ENCODINGS
    for encoding, name in encodings:
        try:
            return data.decode(encoding), name
        except UnicodeDecodeError as error:
            failure = error
    line = data.count(b"\n", 0, failure.start) + 1
    what = "not UTF-8" if has_bom else "neither UTF-8 nor Windows-1252 (CP1252)"
    raise CommandError(
        f"{path.name}, line {line}: byte 0x{data[failure.start]:02X} is {what} text; "
        "save the file as UTF-8. Nothing was imported."
    )


def column_positions(header: list[str]) -> dict[str, int]:
    """Where each column is, found by name (case and surrounding spaces do not matter)."""
    positions: dict[str, int] = {}
    wanted = {column.casefold(): column for column in COLUMNS}
    for position, name in enumerate(header):
        column = wanted.get(name.strip().casefold())
        if column is None:
            continue
        if column in positions:
            raise Problems([f'line 1: the header names the column "{column}" twice.'])
        positions[column] = position
    missing = [column for column in COLUMNS if column not in positions]
    if missing:
        names = ", ".join(f'"{column}"' for column in missing)
        plural = "columns" if len(missing) > 1 else "column"
        raise Problems(
            [
                f"line 1: the header lacks the {plural} {names}; the NUCC file has the columns "
                f"{', '.join(COLUMNS)}."
            ]
        )
    return positions


def field_problems(values: dict[str, str]) -> list[str]:
    """What the model's field validators say about a row, in the words of the CSV columns."""
    try:
        ProviderTaxonomy(**values).clean_fields()
    except ValidationError as error:
        problems = []
        for field, errors in error.error_dict.items():
            column = FIELD_COLUMNS.get(field, field)
            if any(e.code == "blank" for e in errors):
                problems.append(f"{column} is empty.")
            else:
                messages = " ".join(message for e in errors for message in e.messages)
                problems.append(f"{column} {shown(values.get(field, ''))}: {messages}")
        return problems
    return []


def parse(text: str) -> list[Row]:
    """The rows of the file, checked; raises Problems listing every bad line."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 1  # where the record being read starts
    problems: list[str] = []
    first_line: dict[str, int] = {}
    rows: list[Row] = []
    try:
        header = next(reader, None)
        if header is None:
            raise Problems([f"line 1: the file is empty; expected the header {','.join(COLUMNS)}."])
        positions = column_positions(header)
        line = reader.line_num + 1
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(field.strip() for field in record):
                continue
            if len(record) != len(header):
                problems.append(
                    f"line {start}: {len(record)} fields, but the header has {len(header)} "
                    "(is a quote missing?)."
                )
                continue
            values = {COLUMNS[column]: clean(record[i]) for column, i in positions.items()}
            values["code"] = values["code"].upper()
            found = field_problems(values)
            problems.extend(f"line {start}: {problem}" for problem in found)
            if found:
                continue
            code = values["code"]
            if code in first_line:
                problems.append(f'line {start}: Code "{code}" is also on line {first_line[code]}.')
                continue
            first_line[code] = start
            rows.append(Row(start, values))
    except csv.Error as error:
        problems.append(f"line {line}: the CSV cannot be read ({error}).")
    if problems:
        raise Problems(problems)
    return rows


def with_source(source: str, line: str) -> str:
    if line in (existing.strip() for existing in source.splitlines()):
        return source
    return f"{source.rstrip()}\n{line}" if source.strip() else line


class Command(BaseCommand):
    help = (
        "Load the NUCC Health Care Provider Taxonomy CSV file from nucc.org: create new codes and "
        "update changed ones, all or nothing; a second run of the same file changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "csv_file",
            metavar="FILE.csv",
            help="The taxonomy CSV downloaded from nucc.org (e.g. nucc_taxonomy_251.csv).",
        )

    def handle(self, csv_file: str, **options) -> None:
        verbosity: int = options["verbosity"]
        path = Path(csv_file)
        text, encoding = decode(path)
        if verbosity >= 2:
            self.stdout.write(f"Reading {path.name} as {encoding}.")
        try:
            rows = parse(text)
        except Problems as error:
            raise CommandError(self.describe(path, error.problems)) from None
        try:
            with transaction.atomic():
                created, updated, not_in_file = self.apply(rows, source_line(path))
                if created or updated:
                    index.merge_segments(connection)
        except DatabaseError as error:
            raise CommandError(
                f"{path.name}: the database refused the import ({error}). Nothing was imported."
            ) from error
        if verbosity >= 2:
            for record in created:
                self.stdout.write(f"Created {record.code} {record.name}")
            for record, fields in updated:
                columns = ", ".join(FIELD_COLUMNS[field] for field in fields)
                self.stdout.write(f"Updated {record.code} {record.name}: {columns}")
        if verbosity >= 1:
            unchanged = len(rows) - len(created) - len(updated)
            summary = (
                f"NUCC taxonomy: {len(created)} created, {len(updated)} updated, "
                f"{unchanged} unchanged, {not_in_file} not in the file (left alone)."
            )
            if created or updated:
                self.stdout.write(self.style.SUCCESS(summary))
            else:
                self.stdout.write(f"{summary} Nothing changed.")

    def apply(
        self, rows: list[Row], line: str
    ) -> tuple[list[ProviderTaxonomy], list[tuple[ProviderTaxonomy, list[str]]], int]:
        """Write the rows: new ones created, changed ones updated. Call inside a transaction."""
        existing = {record.code: record for record in ProviderTaxonomy.objects.select_for_update()}
        created: list[ProviderTaxonomy] = []
        updated: list[tuple[ProviderTaxonomy, list[str]]] = []
        for row in rows:
            record = existing.get(row.code)
            if record is None:
                created.append(
                    ProviderTaxonomy(**row.values, source=line, confidence=Confidence.HIGH)
                )
                continue
            changed = [
                field for field in NUCC_FIELDS if getattr(record, field) != row.values[field]
            ]
            if changed:
                for field in changed:
                    setattr(record, field, row.values[field])
                record.source = with_source(record.source, line)
                updated.append((record, changed))
        ProviderTaxonomy.objects.bulk_create(created)
        ProviderTaxonomy.objects.bulk_update(
            [record for record, _ in updated], [*NUCC_FIELDS, "source"]
        )
        not_in_file = len(existing.keys() - {row.code for row in rows})
        return created, updated, not_in_file

    @staticmethod
    def describe(path: Path, problems: list[str]) -> str:
        if len(problems) == 1:
            return f"{path.name}, {problems[0]} Nothing was imported."
        lines = [f"{path.name}: {len(problems)} problems; nothing was imported."]
        lines += [f"  {problem}" for problem in problems[:MAX_PROBLEMS_SHOWN]]
        if len(problems) > MAX_PROBLEMS_SHOWN:
            lines.append(f"  … and {len(problems) - MAX_PROBLEMS_SHOWN} more.")
        return "\n".join(lines)
