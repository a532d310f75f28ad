"""Imported files: limits, where an upload waits for its confirmation, and cleaning up.

A file is refused at once when it is larger than IMPORT_MAX_BYTES, or (an
Excel file being a zip) unpacks to more than IMPORT_MAX_UNPACKED_BYTES or has
more of what is read before its rows (styles, shared texts) than a sheet of its
size needs. While it is read, row by row, it is refused once it has more rows
than IMPORT_MAX_ROWS, a row wider than the import's columns and
IMPORT_EXTRA_COLUMNS, more cells than IMPORT_MAX_CELLS, or takes longer than
IMPORT_TIME_LIMIT (counted from the start of the request: time_limit()). Every
message says the limit, in Chinese.

Between the preview and 确认导入 an upload (a spreadsheet, or a notice package:
keep(), kept(), forget()) waits in IMPORT_UPLOAD_DIR (or in the shared cache
when there is one, see settings). It is removed when the import is confirmed
or refused, and any upload older than an hour is removed by the next upload or
by `manage.py clear_import_uploads`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import tempfile
import time
import zipfile
from contextvars import ContextVar
from pathlib import Path
from uuid import uuid4

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.template.defaultfilters import filesizeformat
from django.utils.module_loading import import_string
from import_export.formats.base_formats import CSV
from import_export.tmp_storages import TempFolderStorage

from recognition.rules import fields
from recognition.spreadsheets import TextXLSX, ooxml_unescape

ABANDONED_AFTER = 3600  # seconds
NAME = re.compile(r"[0-9a-f]{32}\.upload")
SHEET_COLUMNS = fields.columns(fields.RULE, "sheet")  # the import's own columns


class ImportLimitError(ValueError):
    """A file over a limit; the message (Chinese) is shown to staff as it is."""


def upload_dir() -> Path:
    return Path(settings.IMPORT_UPLOAD_DIR or Path(tempfile.gettempdir()) / "hurenn-imports")


def remove_abandoned(older_than: float = ABANDONED_AFTER) -> int:
    """Remove uploads never confirmed; returns how many."""
    removed = 0
    cutoff = time.time() - older_than
    with contextlib.suppress(FileNotFoundError):
        for path in upload_dir().iterdir():
            if NAME.fullmatch(path.name):
                with contextlib.suppress(FileNotFoundError):
                    if path.stat().st_mtime <= cutoff:
                        path.unlink()
                        removed += 1
    return removed


class UploadStorage(TempFolderStorage):
    """import-export's temporary folder storage, in a folder of its own, read without newline translation.

    (The library reads CSV in text mode with universal newlines, which turns a
    carriage return inside a cell into a line feed.)
    """

    def save(self, data) -> None:
        remove_abandoned()
        directory = upload_dir()
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not self.name:
            self.name = f"{uuid4().hex}.upload"
        self.get_full_path().write_bytes(data if isinstance(data, bytes) else data.encode(self.encoding or "utf-8"))

    def read(self):
        path = self.get_full_path()
        if "b" in self.read_mode:
            return path.read_bytes()
        with open(path, encoding=self.encoding, newline="") as file:
            return file.read()

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.get_full_path())

    def get_full_path(self) -> Path:
        # The name comes back from the confirmation form: it must never be a path.
        if not NAME.fullmatch(os.path.basename(self.name or "")) or os.path.basename(self.name) != self.name:
            raise SuspiciousOperation("Not an import upload name.")
        return upload_dir() / self.name


def max_columns() -> int:
    return len(SHEET_COLUMNS) + settings.IMPORT_EXTRA_COLUMNS


# Any upload waiting for its confirmation (a spreadsheet, a notice package), in the storage the spreadsheet
# import uses (IMPORT_EXPORT_TMP_STORAGE_CLASS: this folder, or the shared cache): its name, never a path.
KEPT_NAME = re.compile(r"[0-9a-f]{32}(?:\.upload)?")


def kept_storage(name: str | None = None):
    storage_class = import_string(settings.IMPORT_EXPORT_TMP_STORAGE_CLASS)
    return storage_class(name=name, read_mode="rb")


def keep(content: bytes) -> str:
    """Keep an upload until its confirmation; its name."""
    storage = kept_storage()
    storage.save(content)
    return storage.name


def kept(name: str) -> bytes | None:
    """A kept upload, or None if the name is not one or it is gone (confirmed, or cleaned after an hour)."""
    if not KEPT_NAME.fullmatch(name or ""):
        return None
    try:
        return kept_storage(name).read()
    except (FileNotFoundError, SuspiciousOperation):  # the folder's names end in .upload, the cache's do not
        return None


def forget(name: str) -> None:
    if KEPT_NAME.fullmatch(name or ""):
        with contextlib.suppress(FileNotFoundError, SuspiciousOperation):
            kept_storage(name).remove()


def limits_text() -> str:
    return (
        f"文件不能大于 {filesizeformat(settings.IMPORT_MAX_BYTES)},不能超过 {settings.IMPORT_MAX_ROWS} 行、"
        f"{max_columns()} 列、{settings.IMPORT_MAX_CELLS} 个单元格"
    )


def check_size(size: int) -> None:
    if size > settings.IMPORT_MAX_BYTES:
        raise ImportLimitError(
            f"文件太大({filesizeformat(size)}):{limits_text()}。请把文件拆成几个较小的文件分批导入。"
        )


def too_many_rows() -> ImportLimitError:
    return ImportLimitError(f"文件的行数太多:{limits_text()}。请把文件拆成几个较小的文件分批导入。")


# The time limit: from the start of the request (time_limit(), in the admin's import views) to the last row
# checked, reading the file included. The server's threads are not killed by a timeout (gunicorn's only
# watches the worker's event loop), so an import bounds itself, by looking at the clock row by row.
clock = time.monotonic
_deadline: ContextVar[float | None] = ContextVar("import_deadline", default=None)


@contextlib.contextmanager
def time_limit():
    token = _deadline.set(clock() + settings.IMPORT_TIME_LIMIT)
    try:
        yield
    finally:
        _deadline.reset(token)


def deadline() -> float:
    """When the import in progress must stop: time_limit()'s, or IMPORT_TIME_LIMIT from now outside one."""
    return _deadline.get() or clock() + settings.IMPORT_TIME_LIMIT


def out_of_time(when: float) -> bool:
    return clock() >= when


def too_slow_message() -> str:
    return (
        f"文件太大,{settings.IMPORT_TIME_LIMIT:g} 秒内没有处理完,没有写入任何数据。请把文件拆成几个较小的文件分批导入。"
    )


class SheetLimits:
    """Columns, cells and the time limit, looked at row by row as a sheet is read."""

    def __init__(self):
        self.deadline = deadline()
        self.cells = 0

    def check(self, number: int, width: int) -> None:
        if out_of_time(self.deadline):
            raise ImportLimitError(too_slow_message())
        if width > max_columns():
            raise ImportLimitError(
                f"第 {number} 行有 {width} 列,超过了上限:上限是 {max_columns()} 列(导入的 {len(SHEET_COLUMNS)} 列,"
                f"另可多出 {settings.IMPORT_EXTRA_COLUMNS} 列)。请删去多余的列(包括只有格式、没有内容的列)后再上传。"
            )
        self.cells += max(width, 1)  # an empty row costs as much to read as a cell
        if self.cells > settings.IMPORT_MAX_CELLS:
            raise too_many_cells()


def too_many_cells() -> ImportLimitError:
    return ImportLimitError(
        f"表格的单元格太多,上限是 {settings.IMPORT_MAX_CELLS} 个(空行和空单元格也算在内,Excel 文件的每张工作表都算):"
        f"{limits_text()}。请删去多余的行和列,或把文件拆成几个较小的文件分批导入。"
    )


class LimitedCSV(CSV):
    def create_dataset(self, in_stream):
        # A cell may be as long as the whole file; the model's field then says if it is too long.
        csv.field_size_limit(max(settings.IMPORT_MAX_BYTES, 131072))
        if isinstance(in_stream, str):
            limits = SheetLimits()
            for number, row in enumerate(csv.reader(io.StringIO(in_stream, newline="")), 1):
                limits.check(number, len(row))
                if number > settings.IMPORT_MAX_ROWS + 1:  # rows, not lines: a cell may hold line breaks
                    raise too_many_rows()
        return super().create_dataset(in_stream)


# The parts of an Excel file that openpyxl reads whole when it opens the file, before a row is read: the
# shared texts are bounded by the cells they could fill, the others (styles, the workbook, relationships,
# properties) together by this. A workbook Excel writes has some tens of kilobytes of them.
OTHER_PARTS_MAX_BYTES = 2 * 1024 * 1024
SHARED_TEXTS = "xl/sharedStrings.xml"
TEXT_ENTRY = re.compile(rb"<(?:\w+:)?si[\s/>]")
ELEMENTS_PER_CELL = 4


class LimitedXLSX(TextXLSX):
    def create_dataset(self, in_stream):
        import openpyxl
        import tablib

        self.check_parts(in_stream)
        book = openpyxl.load_workbook(io.BytesIO(in_stream), read_only=True, data_only=True)
        try:
            rows = self.rows(book.active)
            dataset = tablib.Dataset()
            dataset.headers = list(next(rows, ()))
            for row in rows:
                if all(value is None for value in row):
                    continue
                if len(dataset) >= settings.IMPORT_MAX_ROWS:
                    raise too_many_rows()
                values = [ooxml_unescape(value) for value in row[: len(dataset.headers)]]
                dataset.append(values + [None] * (len(dataset.headers) - len(values)))
        finally:
            book.close()
        return dataset

    def rows(self, sheet):
        """The sheet's rows as values, each checked before the next is parsed."""
        limits = SheetLimits()
        for number, row in enumerate(sheet.iter_rows(values_only=True), 1):
            limits.check(number, len(row))
            yield row

    @staticmethod
    def check_parts(content: bytes) -> None:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
            unpacked = sum(info.file_size for info in parts)
            if unpacked > settings.IMPORT_MAX_UNPACKED_BYTES:
                raise ImportLimitError(
                    f"这个 Excel 文件解压后太大({filesizeformat(unpacked)},上限是 "
                    f"{filesizeformat(settings.IMPORT_MAX_UNPACKED_BYTES)}):{limits_text()}。"
                )
            others = sum(
                info.file_size
                for info in parts
                if info.filename.endswith((".xml", ".rels"))
                and info.filename != SHARED_TEXTS
                and not info.filename.startswith("xl/worksheets/")
            )
            if others > OTHER_PARTS_MAX_BYTES:
                raise ImportLimitError(
                    f"这个 Excel 文件的样式等部分解压后太大({filesizeformat(others)},上限是 "
                    f"{filesizeformat(OTHER_PARTS_MAX_BYTES)})。请把数据复制到一个新的工作簿,另存后再上传。"
                )
            if SHARED_TEXTS in archive.namelist():
                with archive.open(SHARED_TEXTS) as texts:
                    entries = count_tags(texts, TEXT_ENTRY)
                if entries > settings.IMPORT_MAX_CELLS:
                    raise ImportLimitError(
                        f"这个 Excel 文件中的文字条目太多({entries} 条),上限是 {settings.IMPORT_MAX_CELLS} 条"
                        f"(不会多于单元格的上限):{limits_text()}。请把数据复制到一个新的工作簿,另存后再上传。"
                    )
            # openpyxl reads a sheet without a <dimension> whole when it opens the file: the elements of every
            # sheet are counted first (a cell is at most three, <c><is><t>, and its row's share).
            cap, counted = settings.IMPORT_MAX_CELLS * ELEMENTS_PER_CELL, 0
            for info in parts:
                if info.filename.startswith("xl/worksheets/"):
                    with archive.open(info) as sheet:
                        counted += count_elements(sheet, stop_after=cap - counted)
                    if counted > cap:
                        raise too_many_cells()


def count_tags(stream, tag: re.Pattern, chunk: int = 1024 * 1024) -> int:
    """How many times `tag` opens in an XML part, counted as it unpacks, without parsing it."""
    count, tail = 0, b""
    while block := stream.read(chunk):
        data = tail + block
        keep = max(len(data) - 16, 0)  # a tag starting in the last bytes may end in the next block
        count += sum(1 for match in tag.finditer(data) if match.start() < keep)
        tail = data[keep:]
    return count + len(tag.findall(tail))


def count_elements(stream, stop_after: int, chunk: int = 1024 * 1024) -> int:
    """About how many elements an XML part holds (tags opened, give or take one a chunk), a little past
    `stop_after` at most; ten times as fast as a regular expression."""
    count = 0
    while (block := stream.read(chunk)) and count <= stop_after:
        count += block.count(b"<") - block.count(b"</")
    return count
