"""Downloads of the site's tables, as CSV or Excel, safe to open in a spreadsheet.

A table declares its columns and the value each exports (django-tables2's `value_<column>`);
this module writes those values. A cell that begins with =, +, -, @, a tab or a carriage return
is a formula to a spreadsheet program, which runs it when the file is opened (CSV or formula
injection). Text that editors or imports wrote can begin so; it is written as text that cannot
run: in CSV behind a single quote (the OWASP rule), in XLSX as a string cell, never a formula.
Numbers, and text that reads as a number (-12.50), are written as they are.

XLSX is written by openpyxl in write-only mode (rows go to the file as they come); its sheet is
named after the listing, with the header row frozen; codes are text cells, so 00620 keeps its
zeros.

A download of more than LARGE rows (the whole ICD-10-CM is 98,000) is written once per content
version to a file in settings.EXPORT_DIR, read from the database a few thousand rows at a time
(Table.export_values), and served from there: ten readers asking at once cost one export, the
others wait for it (a file lock), and memory stays flat whatever the size. Files of older
versions are removed as new ones are written.
"""

import csv
import fcntl
import hashlib
import io
import os
import re
import tempfile
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

# The download links name what each is for (README.md § Full code sets).
FORMATS = {"csv": "CSV (UTF-8, for other programs)", "xlsx": "Excel (XLSX, for people)"}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
LARGE = 2_000  # rows: above, a download is written to a file once per content version
# The code that writes the files is part of their key: a new release never serves a file an
# older one wrote.
WRITER = hashlib.sha256(
    b"".join(Path(__file__).with_name(name).read_bytes() for name in ("exports.py", "tables.py"))
).hexdigest()[:12]
NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)*")


def is_format(name) -> bool:
    return name in FORMATS


def runs(value) -> bool:
    """Whether a spreadsheet would read `value` as a formula."""
    return (
        isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.fullmatch(value)
    )


def csv_cell(value):
    """A value as a CSV cell that cannot run."""
    if value is None:
        return ""
    return f"'{value}" if runs(value) else value


def xlsx_cell(sheet, value, bold: bool = False) -> WriteOnlyCell:
    """A value as an XLSX cell: text stays text (a string cell, never a formula)."""
    if value is None:
        value = ""
    elif not isinstance(value, int | float) or isinstance(value, bool):
        value = str(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    if bold:
        cell.font = Font(bold=True)
    return cell


def write_csv(values, out) -> None:
    """Rows of values to `out`, a binary file, as UTF-8 CSV."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text)
    for row in values:
        writer.writerow([csv_cell(value) for value in row])
    text.detach()


def write_xlsx(values, out, title: str) -> None:
    """Rows of values to `out`, a binary file, as one XLSX sheet called `title`."""
    book = Workbook(write_only=True)
    # Excel allows 31 characters and none of []:*?/\ in a sheet's name.
    sheet = book.create_sheet(re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Data")
    sheet.freeze_panes = "A2"
    for number, row in enumerate(values):
        sheet.append([xlsx_cell(sheet, value, bold=number == 0) for value in row])
    book.save(out)


def write(values, out, export_format: str, title: str) -> None:
    if export_format == "csv":
        write_csv(values, out)
    else:
        write_xlsx(values, out, title)


def response(table, export_format: str, name: str, title: str, *, rows: int, state=None, key=""):
    """`table` (of `rows` rows) as the download `<name>.<format>`, its sheet called `title`.
    A large one is kept in a file under the content version `state` and `key` (the address)."""
    filename = f"{name}.{export_format}"
    if rows <= LARGE:
        out = io.BytesIO()
        write(table.export_values(), out, export_format, title)
        reply = HttpResponse(out.getvalue(), content_type=CONTENT_TYPES[export_format])
        reply["Content-Disposition"] = f'attachment; filename="{filename}"'
        return reply
    path = exported_file(table, export_format, title, state, key)
    reply = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type=CONTENT_TYPES[export_format],
    )
    if state is None:
        path.unlink()  # not kept: the version is not known; the open file is still read
    return reply


def exported_file(table, export_format: str, title: str, state, key: str) -> Path:
    """The file of the download: written now, or by an earlier (or a concurrent) request of the
    same content version and address."""
    folder = Path(settings.EXPORT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    if state is None:
        handle, name = tempfile.mkstemp(dir=folder, suffix=f".{export_format}")
        with os.fdopen(handle, "wb") as out:
            write(table.export_values(), out, export_format, title)
        return Path(name)
    digest = hashlib.sha256(f"{WRITER} {export_format} {key}".encode()).hexdigest()[:32]
    path = folder / f"{state}-{digest}.{export_format}"
    with open(folder / f"{digest}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a concurrent request of the same file waits here
        if not path.exists():
            handle, partial = tempfile.mkstemp(dir=folder, prefix=".partial-")
            try:
                with os.fdopen(handle, "wb") as out:
                    write(table.export_values(), out, export_format, title)
                os.replace(partial, path)
            except BaseException:
                os.unlink(partial)
                raise
            for old in folder.glob(f"*-{digest}.{export_format}"):
                if old != path:
                    old.unlink(missing_ok=True)  # an older version's; its readers keep reading
    return path
