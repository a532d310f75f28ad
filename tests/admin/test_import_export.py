"""The admin. Import and export of the matrix."""

from __future__ import annotations

import csv
import io
import json

import pytest
import tablib
from reversion.models import Version

from recognition.staff.resources import COLUMNS, RecognitionRuleResource
from tests.admin.helpers import (
    CSV_FORMAT,
    RULES,
    XLSX_FORMAT,
    confirm,
    export_dataset,
    lookup,
    recognition_to,
    rule_at,
    snapshot_of_rules,
    upload,
    version,
)

pytestmark = pytest.mark.django_db


# Import and export of the matrix.


def test_export_has_chinese_headers_and_readable_values(admin_client):
    response = admin_client.post(f"{RULES}export/", {"format": CSV_FORMAT, "resource": "0"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    content = response.content
    assert content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    text = content.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    assert header == list(COLUMNS.values())
    assert "fusion-welding-cutting,熔化焊接与热切割作业特种作业操作证" in text
    assert "安全技术理论考核、安全操作技能考核" in text
    assert "已发布" in text
    assert len(export_dataset()) == 7


@pytest.mark.parametrize("file_format", [CSV_FORMAT, XLSX_FORMAT])
def test_an_export_imported_back_changes_nothing(admin_client, file_format):
    response = admin_client.post(f"{RULES}export/", {"format": file_format, "resource": "0"})
    exported = response.content
    before, data_version = snapshot_of_rules(), version()
    name = "matrix.csv" if file_format == CSV_FORMAT else "matrix.xlsx"
    preview = upload(admin_client, exported, name, file_format)
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert [row.import_type for row in result.rows] == ["skip"] * 7
    assert confirm(admin_client, preview).status_code == 302
    assert snapshot_of_rules() == before
    assert version() == data_version  # not even the data version moves
    assert not Version.objects.filter(revision__comment__startswith="从文件导入").exists()


def test_import_previews_every_change_before_writing_it(admin_client, client):
    dataset = export_dataset()
    column = list(COLUMNS.values()).index(COLUMNS["waived"])
    rows = [list(row) for row in dataset]
    rows[3][column] = "安全作业培训、安全技术理论考核"
    rows[3][column + 1] = "安全操作技能考核"
    changed = tablib.Dataset(*rows, headers=dataset.headers)
    before = snapshot_of_rules()

    preview = upload(admin_client, changed.export("csv").encode("utf-8-sig"), "matrix.csv", CSV_FORMAT)
    result = preview.context["result"]
    assert [row.import_type for row in result.rows] == ["skip"] * 3 + ["update"] + ["skip"] * 3
    page = preview.content.decode()
    assert "安全技术理论考核" in page and "<ins" in page  # the diff of the changed row
    assert snapshot_of_rules() == before  # the preview wrote nothing

    assert confirm(admin_client, preview).status_code == 302
    assert [s.name for s in rule_at(4).waived.all()] == ["安全作业培训", "安全技术理论考核"]
    body = lookup(client, "fusion-welding-cutting")
    assert recognition_to(body, "building-welder")["remaining"] == ["安全操作技能考核"]
    latest = Version.objects.get_for_object(rule_at(4)).select_related("revision").first()
    assert latest.revision.comment.startswith("从文件导入")


def test_an_import_with_an_invalid_row_writes_nothing(admin_client):
    dataset = export_dataset()
    headers = list(COLUMNS.values())
    rows = [list(row) for row in dataset]
    rows[0][headers.index(COLUMNS["quote"])] = "改过的原文"  # a valid change ...
    rows[4][headers.index(COLUMNS["waived"])] = "安全技术培训"  # ... and a step of another certificate
    rows[5][headers.index(COLUMNS["held"])] = "no-such-certificate"
    broken = tablib.Dataset(*rows, headers=dataset.headers)
    before, data_version = snapshot_of_rules(), version()

    preview = upload(admin_client, broken.export("csv").encode(), "matrix.csv", CSV_FORMAT)
    result = preview.context["result"]
    assert result.has_validation_errors()
    assert "confirm_form" not in preview.context  # nothing to confirm
    page = preview.content.decode()
    assert "“安全技术培训” 不是申请证书“特种设备焊接操作人员证”的取证环节" in page
    assert "没有“no-such-certificate”这个证书" in page
    assert COLUMNS["waived"] in page  # errors name the column, not a field name
    assert snapshot_of_rules() == before and version() == data_version

    # Even confirmed directly (skipping the preview), the valid row is not written either.
    resource = RecognitionRuleResource()
    result = resource.import_data(broken, dry_run=False, rollback_on_validation_errors=True)
    assert result.has_validation_errors()
    assert snapshot_of_rules() == before and version() == data_version


def test_import_refuses_what_the_admin_refuses(admin_client):
    headers = list(COLUMNS.values())
    rows = [list(row) for row in export_dataset()]
    new = list(rows[3])
    new[headers.index(COLUMNS["serial"])] = 3  # 序号 taken
    duplicate_pair = list(rows[3])
    duplicate_pair[headers.index(COLUMNS["serial"])] = 9  # same pair as 序号4, published
    both = list(rows[4])
    both[headers.index(COLUMNS["remaining"])] = "动火作业安全管理考试"  # also waived
    itself = list(rows[5])
    itself[headers.index(COLUMNS["target"])] = itself[headers.index(COLUMNS["held"])]
    repeated = list(rows[6])
    dataset = tablib.Dataset(rows[6], both, itself, duplicate_pair, repeated, headers=headers)
    result = RecognitionRuleResource().import_data(dataset, dry_run=True)
    messages = {row.number: json.dumps(row.error_dict, ensure_ascii=False) for row in result.invalid_rows}
    assert "不能既免予又仍须参加" in messages[2]
    assert "持有证书和申请证书不能是同一种证书" in messages[3]
    assert "已有一条已发布的“熔化焊接与热切割作业操作证 → 建筑焊工操作证”规则(序号 4)" in messages[4]
    assert "第 1 行已经是通知" in messages[5]
    assert 1 not in messages


def test_a_csv_in_the_wrong_encoding_gets_a_plain_message(admin_client):
    content = export_dataset().export("csv").encode("gbk")
    page = upload(admin_client, content, "matrix.csv", CSV_FORMAT).content.decode()
    assert "无法读取这个文件" in page and "CSV UTF-8" in page
