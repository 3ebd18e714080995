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
"""

import csv
import io
import re

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

FORMATS = {"csv": "CSV", "xlsx": "Excel (XLSX)"}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
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


def rows(table) -> list[list]:
    """The header row, then every row of `table` as django-tables2 exports it."""
    return [list(row) for row in table.as_values()]


def as_csv(values: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in values:
        writer.writerow([csv_cell(value) for value in row])
    return out.getvalue().encode("utf-8")


def as_xlsx(values: list[list], title: str) -> bytes:
    book = Workbook(write_only=True)
    # Excel allows 31 characters and none of []:*?/\ in a sheet's name.
    sheet = book.create_sheet(re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Data")
    sheet.freeze_panes = "A2"
    for number, row in enumerate(values):
        sheet.append([xlsx_cell(sheet, value, bold=number == 0) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def response(table, export_format: str, name: str, title: str) -> HttpResponse:
    """`table` as a download, `<name>.<format>`, its sheet called `title`."""
    values = rows(table)
    body = as_csv(values) if export_format == "csv" else as_xlsx(values, title)
    reply = HttpResponse(body, content_type=CONTENT_TYPES[export_format])
    reply["Content-Disposition"] = f'attachment; filename="{name}.{export_format}"'
    return reply
