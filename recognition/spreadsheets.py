"""Spreadsheets the site writes: no cell that a spreadsheet would run as a formula.

OWASP's advice for CSV injection: a cell that starts with `=`, `+`, `-`, `@`,
a tab or a carriage return gets a leading `'`, so that Excel, LibreOffice and
Google Sheets show it as text. A value that really starts with `'` gets one
too, so that the import can remove exactly one and every value comes back as
it was exported (`restore(neutralise(v)) == v` for every string).

Excel files are written with every cell stored as text (number format `@`),
so nothing in them is a formula, a number or a date to be reformatted.
"""

from __future__ import annotations

import re
from io import BytesIO

from import_export.formats.base_formats import XLSX

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
# Characters an XML file cannot keep as they are (a carriage return would be read back as a line feed):
# written as OOXML's own escape _xHHHH_, which Excel shows as the character and `unescape` reads back.
XML_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f]")
OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def ooxml_escape(text: str) -> str:
    return XML_UNSAFE.sub(lambda match: f"_x{ord(match.group(0)):04X}_", text)


def ooxml_unescape(value):
    if isinstance(value, str) and "_x" in value:
        return OOXML_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), value)
    return value


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def restore(value):
    if isinstance(value, str) and value.startswith("'"):
        return value[1:]
    return value


class TextXLSX(XLSX):
    """An Excel workbook with one sheet, named `sheet_title`, every cell text; the header bold and frozen."""

    sheet_title = "互认规则"

    def export_data(self, dataset, **kwargs) -> bytes:
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font

        book = Workbook()
        sheet = book.active
        sheet.title = self.sheet_title
        bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
        rows = [list(dataset.headers or []), *(list(row) for row in dataset)]
        for row_number, row in enumerate(rows, 1):
            for column_number, value in enumerate(row, 1):
                text = "" if value is None else ooxml_escape(str(value))
                cell = sheet.cell(row=row_number, column=column_number)
                if text:  # an empty cell stays empty
                    cell._value, cell.data_type = text, "s"  # a string, never parsed as a formula
                cell.number_format = "@"
                if row_number == 1:
                    cell.font = bold
                elif "\n" in text:
                    cell.alignment = wrap
        sheet.freeze_panes = "A2"
        output = BytesIO()
        book.save(output)
        return output.getvalue()
