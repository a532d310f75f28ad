"""Imports: a sheet is bounded while it is read. Columns and cells are capped row by row, the parts of an Excel
file read before its rows are capped before it is opened, and the time limit covers reading the file too."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest

from recognition.staff import uploads
from recognition.staff.resources import COLUMNS, RecognitionRuleResource
from tests.admin.helpers import CSV_FORMAT, RULES, XLSX_FORMAT, export_dataset, upload

pytestmark = pytest.mark.django_db

KNOWN = len(COLUMNS)  # 16


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = str(tmp_path / "uploads")
    settings.IMPORT_EXTRA_COLUMNS = 10
    return tmp_path / "uploads"


def rows_of_export(extra: int = 0, extra_in_data_only: bool = False) -> list[list]:
    """The exported matrix (7 rows), each row with `extra` more cells (and the header, unless data only)."""
    dataset = export_dataset()
    header = list(dataset.headers) + ([] if extra_in_data_only else [f"备注{i}" for i in range(extra)])
    return [header, *(list(row) + ["x"] * extra for row in dataset)]


def xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("互认规则")
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list]) -> bytes:
    import csv

    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def sent(client, rows: list[list], file_format: str):
    if file_format == XLSX_FORMAT:
        return upload(client, xlsx(rows), "rules.xlsx", XLSX_FORMAT)
    return upload(client, csv_bytes(rows), "rules.csv", CSV_FORMAT)


def refusal(response) -> str:
    assert response.status_code == 200
    assert "confirm_form" not in response.context and "result" not in response.context
    return " ".join(str(error) for error in response.context["form"].errors.get("import_file", []))


@pytest.mark.parametrize("file_format", [CSV_FORMAT, XLSX_FORMAT])
def test_a_sheet_wider_than_its_columns_and_the_slack_is_refused_naming_the_limits(admin_client, file_format):
    text = refusal(sent(admin_client, rows_of_export(extra=11), file_format))
    assert f"第 1 行有 {KNOWN + 11} 列" in text
    assert f"上限是 {KNOWN + 10} 列(导入的 {KNOWN} 列,另可多出 10 列)" in text


@pytest.mark.parametrize("file_format", [CSV_FORMAT, XLSX_FORMAT])
def test_a_data_row_wider_than_the_limit_is_refused_at_that_row(admin_client, file_format):
    rows = rows_of_export()
    rows[3] = rows[3] + ["x"] * 11
    assert f"第 4 行有 {KNOWN + 11} 列" in refusal(sent(admin_client, rows, file_format))


@pytest.mark.parametrize("file_format", [CSV_FORMAT, XLSX_FORMAT])
def test_a_sheet_with_the_slack_in_columns_still_imports(admin_client, file_format):
    response = sent(admin_client, rows_of_export(extra=10), file_format)
    assert "confirm_form" in response.context
    assert [row.import_type for row in response.context["result"].rows] == ["skip"] * 7


@pytest.mark.parametrize("file_format", [CSV_FORMAT, XLSX_FORMAT])
def test_a_sheet_with_more_cells_than_the_cap_is_refused_naming_it(admin_client, settings, file_format):
    settings.IMPORT_MAX_CELLS = 100  # the export's 8 rows of 16 cells are 128
    text = refusal(sent(admin_client, rows_of_export(), file_format))
    assert "单元格太多" in text and "上限是 100 个" in text


def test_empty_rows_count_against_the_cells_cap(admin_client, settings):
    settings.IMPORT_MAX_CELLS = 1000
    rows = rows_of_export() + [[None]] * 2000  # 2,000 empty rows, each written as a row of its own
    assert "单元格太多" in refusal(sent(admin_client, rows, XLSX_FORMAT))


def test_the_attacks_sheet_of_1999_rows_of_250_cells_is_refused_before_it_is_opened(admin_client, monkeypatch):
    cells = "<c><v>1</v></c>" * 250
    rows = "".join(f'<row r="{number}">{cells}</row>' for number in range(1, 2000))
    content = repacked(
        xlsx([["x"]]),
        {
            "xl/worksheets/sheet1.xml": lambda text: re.sub(
                "<sheetData>.*</sheetData>", f"<sheetData>{rows}</sheetData>", text
            )
        },
    )
    assert len(content) < 100_000  # the attack's was 63 KB: under every limit but these
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("opened"))
    text = refusal(upload(admin_client, content, "rules.xlsx", XLSX_FORMAT))
    assert "单元格太多,上限是 60000 个" in text  # counted before the file is opened


def repacked(content: bytes, parts: dict) -> bytes:
    """An Excel file with parts of its zip rewritten: {name: function of the part's text, "" when it is new}."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in dict.fromkeys([*source.namelist(), *parts]):
            data = source.read(name).decode() if name in source.namelist() else ""
            archive.writestr(name, parts[name](data) if name in parts else data)
    return out.getvalue()


def test_an_excel_file_whose_styles_unpack_large_is_refused_before_it_is_opened(admin_client, monkeypatch):
    comment = "<!--" + "x" * 3_000_000 + "-->"  # compresses to almost nothing
    content = repacked(
        xlsx(rows_of_export()), {"xl/styles.xml": lambda text: text.replace("</styleSheet>", comment + "</styleSheet>")}
    )
    assert len(content) < 100_000
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("opened"))
    text = refusal(upload(admin_client, content, "rules.xlsx", XLSX_FORMAT))
    assert "样式等部分解压后太大" in text and "上限是 2.0" in text


def with_shared_texts(content: bytes, count: int) -> bytes:
    """The file with a shared strings part of `count` entries, as Excel writes its texts."""
    relationship = (
        '<Relationship Id="rIdTexts" Target="sharedStrings.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
    )
    override = (
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    )
    texts = (
        '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + "<si><t>a</t></si>" * count
        + "</sst>"
    )
    return repacked(
        content,
        {
            "xl/_rels/workbook.xml.rels": lambda text: text.replace(
                "</Relationships>", relationship + "</Relationships>"
            ),
            "[Content_Types].xml": lambda text: text.replace("</Types>", override + "</Types>"),
            "xl/sharedStrings.xml": lambda text: texts,
        },
    )


def test_an_excel_file_with_more_shared_texts_than_cells_allowed_is_refused_before_it_is_opened(
    admin_client, settings, monkeypatch
):
    settings.IMPORT_MAX_CELLS = 1000
    content = with_shared_texts(xlsx(rows_of_export()), 1001)
    assert openpyxl.load_workbook(io.BytesIO(content), read_only=True)  # a file Excel and openpyxl read
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("opened"))
    text = refusal(upload(admin_client, content, "rules.xlsx", XLSX_FORMAT))
    assert "文字条目太多(1001 条" in text and "上限是 1000 条" in text


def test_an_excel_file_with_as_many_shared_texts_as_cells_allowed_is_read(admin_client, settings):
    settings.IMPORT_MAX_CELLS = 1000
    response = upload(admin_client, with_shared_texts(xlsx(rows_of_export()), 1000), "rules.xlsx", XLSX_FORMAT)
    assert "confirm_form" in response.context


@pytest.mark.parametrize("file_format", [CSV_FORMAT, XLSX_FORMAT])
def test_the_time_limit_covers_reading_the_file(admin_client, settings, monkeypatch, file_format):
    settings.IMPORT_TIME_LIMIT = 0
    monkeypatch.setattr(RecognitionRuleResource, "import_data", lambda *a, **k: pytest.fail("the rows were imported"))
    exported = admin_client.post(f"{RULES}export/", {"format": file_format, "resource": "0"}).content
    name = "rules.csv" if file_format == CSV_FORMAT else "rules.xlsx"
    text = refusal(upload(admin_client, exported, name, file_format))
    assert "0 秒内没有处理完,没有写入任何数据" in text


def test_the_deadline_is_checked_row_by_row_while_a_sheet_is_read(settings, monkeypatch):
    """A clock that moves one second a look: the sheet stops being read once the limit has passed."""
    ticks = iter(range(10_000))
    monkeypatch.setattr(uploads, "clock", lambda: next(ticks))
    settings.IMPORT_TIME_LIMIT = 5
    read = []
    original = uploads.LimitedXLSX.rows

    def counted(self, sheet):
        for row in original(self, sheet):
            read.append(row)
            yield row

    monkeypatch.setattr(uploads.LimitedXLSX, "rows", counted)
    with uploads.time_limit(), pytest.raises(uploads.ImportLimitError, match="5 秒内没有处理完"):
        uploads.LimitedXLSX().create_dataset(xlsx(rows_of_export()))
    assert 1 <= len(read) < 8


def test_the_import_page_names_every_limit(admin_client, settings):
    page = admin_client.get(f"{RULES}import/").content.decode()
    assert f"不能超过 2000 行、{KNOWN + 10} 列、{settings.IMPORT_MAX_CELLS} 个单元格" in page
