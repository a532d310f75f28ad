"""Imported files: limits, where an upload waits for its confirmation, and cleaning up.

A file is refused at once when it is larger than IMPORT_MAX_BYTES, has more
rows than IMPORT_MAX_ROWS, or (an Excel file being a zip) unpacks to more than
IMPORT_MAX_UNPACKED_BYTES; the message says the limit, in Chinese.

Between the preview and 确认导入 the upload waits in IMPORT_UPLOAD_DIR (or in
the shared cache when there is one, see settings). It is removed when the
import is confirmed or refused, and any upload older than an hour is removed
by the next import or by `manage.py clear_import_uploads`.
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
from pathlib import Path
from uuid import uuid4

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.template.defaultfilters import filesizeformat
from import_export.formats.base_formats import CSV
from import_export.tmp_storages import TempFolderStorage

from recognition.spreadsheets import TextXLSX, ooxml_unescape

ABANDONED_AFTER = 3600  # seconds
NAME = re.compile(r"[0-9a-f]{32}\.upload")


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


def limits_text() -> str:
    return f"文件不能大于 {filesizeformat(settings.IMPORT_MAX_BYTES)},不能超过 {settings.IMPORT_MAX_ROWS} 行"


def check_size(size: int) -> None:
    if size > settings.IMPORT_MAX_BYTES:
        raise ImportLimitError(
            f"文件太大({filesizeformat(size)}):{limits_text()}。请把文件拆成几个较小的文件分批导入。"
        )


def too_many_rows() -> ImportLimitError:
    return ImportLimitError(f"文件的行数太多:{limits_text()}。请把文件拆成几个较小的文件分批导入。")


class LimitedCSV(CSV):
    def create_dataset(self, in_stream):
        # A cell may be as long as the whole file; the model's field then says if it is too long.
        csv.field_size_limit(max(settings.IMPORT_MAX_BYTES, 131072))
        if isinstance(in_stream, str) and in_stream.count("\n") > settings.IMPORT_MAX_ROWS + 1:
            # More lines than rows allowed may still be fewer rows (cells with line breaks): count them.
            rows = sum(1 for _ in csv.reader(io.StringIO(in_stream)))
            if rows > settings.IMPORT_MAX_ROWS + 1:
                raise too_many_rows()
        return super().create_dataset(in_stream)


class LimitedXLSX(TextXLSX):
    def create_dataset(self, in_stream):
        import openpyxl
        import tablib

        with zipfile.ZipFile(io.BytesIO(in_stream)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > settings.IMPORT_MAX_UNPACKED_BYTES:
            raise ImportLimitError(
                f"这个 Excel 文件解压后太大({filesizeformat(unpacked)},上限是 "
                f"{filesizeformat(settings.IMPORT_MAX_UNPACKED_BYTES)}):{limits_text()}。"
            )
        book = openpyxl.load_workbook(io.BytesIO(in_stream), read_only=True, data_only=True)
        try:
            rows = book.active.iter_rows(values_only=True)
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
