"""Imports: limits said in Chinese, no upload left behind, refusals readable, long cells, the diff under the CSP."""

from __future__ import annotations

import io
import os
import time

import openpyxl
import pytest
import tablib
from django.core.management import call_command

from recognition.staff.resources import COLUMNS
from tests.admin.helpers import CSV_FORMAT, RULES, XLSX_FORMAT, confirm, export_dataset, rule_at, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = str(tmp_path / "uploads")
    return tmp_path / "uploads"


def leftovers(upload_dir) -> list[str]:
    return sorted(path.name for path in upload_dir.iterdir()) if upload_dir.exists() else []


def csv_of(dataset: tablib.Dataset) -> bytes:
    return dataset.export("csv").encode("utf-8-sig")


def with_change(column: str, value: str, row: int = 0) -> tablib.Dataset:
    dataset = export_dataset()
    rows = [list(r) for r in dataset]
    rows[row][list(COLUMNS).index(column)] = value
    return tablib.Dataset(*rows, headers=dataset.headers)


def test_a_file_over_the_size_limit_is_refused_at_once_in_chinese(admin_client, settings, upload_dir):
    settings.IMPORT_MAX_BYTES = 1000
    response = upload(admin_client, b"x" * 1001, "big.csv", CSV_FORMAT)
    assert response.status_code == 200
    page = response.content.decode()
    assert "文件太大" in page and "不能大于 1000" in page
    assert "result" not in response.context
    assert leftovers(upload_dir) == []


@pytest.mark.parametrize("file_format", [CSV_FORMAT, XLSX_FORMAT])
def test_a_file_over_the_row_limit_is_refused_in_chinese(admin_client, settings, upload_dir, file_format):
    settings.IMPORT_MAX_ROWS = 5
    response = admin_client.post(f"{RULES}export/", {"format": file_format, "resource": "0"})  # 7 rows
    page = upload(
        admin_client, response.content, "rules." + ("csv" if file_format == CSV_FORMAT else "xlsx"), file_format
    )
    text = page.content.decode()
    assert "行数太多" in text and "不能超过 5 行" in text
    assert leftovers(upload_dir) == []


def test_an_excel_file_that_unpacks_too_large_is_refused(admin_client, settings, upload_dir):
    settings.IMPORT_MAX_UNPACKED_BYTES = 50_000
    book = openpyxl.Workbook()
    book.active.append(list(COLUMNS.values()))
    book.active.append(["0" * 100_000])  # compresses to almost nothing
    data = io.BytesIO()
    book.save(data)
    assert len(data.getvalue()) < settings.IMPORT_MAX_BYTES
    text = upload(admin_client, data.getvalue(), "bomb.xlsx", XLSX_FORMAT).content.decode()
    assert "解压后太大" in text
    assert leftovers(upload_dir) == []


def test_no_upload_is_left_after_a_confirmed_import(admin_client, upload_dir):
    preview = upload(admin_client, csv_of(with_change("quote", "新的依据原文")), "rules.csv", CSV_FORMAT)
    assert "confirm_form" in preview.context
    assert len(leftovers(upload_dir)) == 1  # waiting for 确认导入
    assert confirm(admin_client, preview).status_code == 302
    assert rule_at(1).quote == "新的依据原文"
    assert leftovers(upload_dir) == []


def test_no_upload_is_left_after_a_refused_preview(admin_client, upload_dir):
    response = upload(admin_client, csv_of(with_change("held", "no-such-certificate")), "rules.csv", CSV_FORMAT)
    assert response.context["result"].has_validation_errors()
    assert leftovers(upload_dir) == []


def test_no_upload_is_left_after_an_unreadable_file(admin_client, upload_dir):
    response = upload(admin_client, "通知文号\n".encode("gbk") + b"\xff\xfe", "rules.csv", CSV_FORMAT)
    assert "无法读取这个文件" in response.content.decode()
    response = upload(admin_client, b"not a zip", "rules.xlsx", XLSX_FORMAT)
    assert "无法读取这个文件" in response.content.decode()
    assert leftovers(upload_dir) == []


def test_no_upload_is_left_when_the_confirmation_is_refused(admin_client, upload_dir):
    preview = upload(admin_client, csv_of(with_change("quote", "新的依据原文")), "rules.csv", CSV_FORMAT)
    rule = rule_at(2)  # meanwhile someone makes row 1's pair clash
    rule.serial = 99
    rule.save()
    other = rule_at(1)
    other.serial = 2
    other.save()
    confirm(admin_client, preview)
    assert leftovers(upload_dir) == []


def test_abandoned_uploads_are_removed_after_an_hour(admin_client, upload_dir):
    upload(admin_client, csv_of(with_change("quote", "甲")), "a.csv", CSV_FORMAT)
    upload(admin_client, csv_of(with_change("quote", "乙")), "b.csv", CSV_FORMAT)
    first, second = leftovers(upload_dir)
    old = time.time() - 3601
    os.utime(upload_dir / first, (old, old))
    call_command("clear_import_uploads", verbosity=0)
    assert leftovers(upload_dir) == [second]
    os.utime(upload_dir / second, (old, old))
    upload(admin_client, csv_of(with_change("quote", "丙")), "c.csv", CSV_FORMAT)  # the next import cleans up too
    assert second not in leftovers(upload_dir) and len(leftovers(upload_dir)) == 1
    call_command("clear_import_uploads", "--all", verbosity=0)
    assert leftovers(upload_dir) == []


def test_a_forged_upload_name_is_not_a_path(admin_client, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    preview = upload(admin_client, csv_of(with_change("quote", "甲")), "a.csv", CSV_FORMAT)
    form = preview.context["confirm_form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    data["import_file_name"] = str(victim)
    response = admin_client.post(f"{RULES}process_import/", data)
    assert response.status_code in (200, 302, 400)
    assert victim.read_text() == "keep me"


def test_refused_rows_show_every_reason_in_chinese_on_the_page_with_empty_cells_empty(admin_client):
    dataset = with_change("held", "no-such-certificate")
    response = upload(admin_client, csv_of(dataset), "rules.csv", CSV_FORMAT)
    page = response.content.decode()
    assert "有 1 行不能通过检查,没有写入任何数据" in page
    assert "没有“no-such-certificate”这个证书" in page
    assert 'class="import-reasons"' in page and "validation-error-container" not in page  # not behind a hover
    assert ">None<" not in page
    assert "Traceback" not in page and "site-packages" not in page


def test_a_broken_row_shows_no_traceback(admin_client):
    dataset = with_change("serial", "not a number")
    page = upload(admin_client, csv_of(dataset), "rules.csv", CSV_FORMAT).content.decode()
    assert "Traceback" not in page and "site-packages" not in page and 'File "' not in page
    assert "附件序号" in page


def test_the_preview_marks_changed_text_with_classes_the_csp_allows(admin_client):
    response = upload(admin_client, csv_of(with_change("quote", rule_at(1).quote + "。")), "rules.csv", CSV_FORMAT)
    page = response.content.decode()
    assert '<ins class="diff-ins">。</ins>' in page
    assert "style=" not in page.split('class="import-preview"')[1]
    assert "css/admin-import" in page
    assert "修改 1 行" in page


@pytest.mark.parametrize("length", [131_073, 300_000])
def test_a_long_cell_is_accepted_or_refused_with_the_true_reason(admin_client, length):
    response = upload(admin_client, csv_of(with_change("quote", "长" * length)), "rules.csv", CSV_FORMAT)
    page = response.content.decode()
    assert "UTF-8" not in page.split("import-limits")[-1]  # not "must be UTF-8"
    result = response.context["result"]
    if result.has_validation_errors():
        assert "依据原文" in page
    else:
        assert [row.import_type for row in result.rows].count("update") == 1


def test_an_import_that_runs_out_of_time_stops_with_a_chinese_message_and_writes_nothing(admin_client, settings):
    settings.IMPORT_TIME_LIMIT = 0
    before = rule_at(1).quote
    response = upload(admin_client, csv_of(with_change("quote", "新的依据原文")), "rules.csv", CSV_FORMAT)
    assert response.status_code == 200
    page = response.content.decode()
    assert "0 秒内没有处理完,没有写入任何数据" in page
    assert page.count("秒内没有处理完") == 1
    assert "confirm_form" not in response.context
    assert rule_at(1).quote == before
