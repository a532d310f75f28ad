"""The admin. A notice package waits on the server between its preview and 确认导入, and the confirmation
writes only what the preview showed: after a colleague's change it writes nothing and shows the preview again."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from recognition.models import Notice, Publication, RecognitionRule
from recognition.notice_files import packages

pytestmark = pytest.mark.django_db

PROVINCIAL = Path(__file__).resolve().parent.parent / "data" / "provincial-notice.json"
NOTICES = "/admin/recognition/notice/"
IMPORT = f"{NOTICES}import-package/"
NUMBER_1, NUMBER_JS = "人社厅发〔2026〕1号", "苏人社发〔2026〕99号"


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = str(tmp_path / "uploads")
    return tmp_path / "uploads"


@pytest.fixture
def two_editors(staff):
    first, second = Client(), Client()
    first.force_login(staff("zhang", "规则编辑"))
    second.force_login(staff("li", "规则编辑"))
    return first, second


def provincial() -> dict:
    return json.loads(PROVINCIAL.read_text(encoding="utf-8"))


def upload(client, data: dict, **extra):
    content = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return client.post(IMPORT, {"package_file": SimpleUploadedFile("p.json", content), **extra})


def confirm_fields(preview) -> dict:
    """The confirmation form's fields as the page renders them."""
    form = preview.content.decode().split('<form method="post" id="confirm-package">', 1)[1].split("</form>", 1)[0]
    return {
        match.group(1): match.group(2)
        for match in re.finditer(r'<input type="(?:hidden|submit)" name="([^"]+)"[^>]*?value="([^"]*)"', form)
    }


def confirm(client, preview):
    return client.post(IMPORT, confirm_fields(preview))


def leftovers(upload_dir) -> list[Path]:
    return sorted(upload_dir.iterdir()) if upload_dir.exists() else []


def rule_of(number: str, serial: int) -> RecognitionRule:
    return RecognitionRule.objects.get(notice__number=number, serial=serial)


def test_the_file_waits_on_the_server_and_the_form_carries_only_its_name_and_the_preview(admin_client, upload_dir):
    content = json.dumps(provincial(), ensure_ascii=False).encode("utf-8")
    preview = admin_client.post(IMPORT, {"package_file": SimpleUploadedFile("p.json", content)})
    fields = confirm_fields(preview)
    assert set(fields) == {"csrfmiddlewaretoken", "upload", "fingerprint", "confirm"}
    assert re.fullmatch(r"[0-9a-f]{32}\.upload", fields["upload"])
    assert [path.read_bytes() for path in leftovers(upload_dir)] == [content]  # the file, kept as it came
    assert 'name="package"' not in preview.content.decode()

    assert confirm(admin_client, preview).status_code == 302
    assert Notice.objects.filter(number=NUMBER_JS).exists()
    assert leftovers(upload_dir) == []


def test_a_colleague_withdrawing_a_rule_the_package_replaces_makes_the_confirmation_write_nothing(
    two_editors, upload_dir
):
    first, second = two_editors
    preview = upload(first, provincial())  # its 序号1 replaces 1号 序号3
    assert "确认导入" in preview.content.decode()
    withdraw = {"action": "make_draft", "_selected_action": [rule_of(NUMBER_1, 3).pk]}
    second.post("/admin/recognition/recognitionrule/", withdraw)

    again = confirm(first, preview)
    assert again.status_code == 200
    message = again.context["preview_changed"]
    assert f"{NUMBER_1} 序号3(li 于" in message and "没有写入任何数据" in message
    assert 'id="preview-changed"' in again.content.decode()
    assert not Notice.objects.filter(number=NUMBER_JS).exists()
    assert rule_of(NUMBER_1, 3).publication == Publication.DRAFT
    assert len(leftovers(upload_dir)) == 1  # still waiting, for the preview shown again
    assert confirm_fields(again)["fingerprint"] != confirm_fields(preview)["fingerprint"]

    assert confirm(first, again).status_code == 302  # confirmed from the preview as the data now is
    assert rule_of(NUMBER_JS, 1).replaces == rule_of(NUMBER_1, 3)
    assert leftovers(upload_dir) == []


def test_a_replacement_confirmed_after_a_colleague_edited_the_notice_keeps_the_colleagues_change(two_editors):
    first, _second = two_editors
    packages.load(provincial())
    changed = provincial()
    changed["notice"]["status_note"] = "部分条款已修改"
    preview = upload(first, changed, replace="1")
    assert "通知 status_note" in preview.content.decode()
    RecognitionRule.objects.filter(pk=rule_of(NUMBER_JS, 2).pk).update(quote="同事改过的原文")

    again = confirm(first, preview)
    assert f"{NUMBER_JS} 序号2(另一位工作人员修改" in again.context["preview_changed"]
    assert rule_of(NUMBER_JS, 2).quote == "同事改过的原文"
    assert Notice.objects.get(number=NUMBER_JS).status_note == ""
    assert "规则 序号2 quote:同事改过的原文 → " in again.content.decode()  # the preview as the data now is


def test_a_certificate_a_colleague_adds_with_the_packages_slug_is_seen(admin_client):
    from recognition.models import Certificate, Department, Occupation

    preview = upload(admin_client, provincial())
    Certificate.objects.create(
        slug="js-electrician-post",
        name="同事加的证书",
        short_name="同事加的",
        department=Department.objects.get(slug="housing-construction"),
        occupation=Occupation.objects.get(name="电工"),
        family="测试",
    )
    again = confirm(admin_client, preview)
    assert "证书 js-electrician-post(另一位工作人员新增" in again.context["preview_changed"]
    assert not Notice.objects.filter(number=NUMBER_JS).exists()


def test_the_replace_option_is_the_previews_not_the_confirmations(admin_client):
    packages.load(provincial())
    changed = provincial()
    changed["notice"]["status_note"] = "部分条款已修改"
    preview = upload(admin_client, changed, replace="1")
    fields = confirm_fields(preview)
    assert "replace" not in fields
    assert admin_client.post(IMPORT, fields).status_code == 302
    assert Notice.objects.get(number=NUMBER_JS).status_note == "部分条款已修改"


@pytest.mark.parametrize(
    "forge",
    [
        lambda fields, other: {**fields, "fingerprint": ""},
        lambda fields, other: {**fields, "fingerprint": other["fingerprint"]},
        lambda fields, other: {**fields, "upload": other["upload"]},
        lambda fields, other: {**fields, "upload": "../outside.json"},
        lambda fields, other: {**fields, "upload": "0" * 32},  # a name as the shared cache gives them
        lambda fields, other: {"package": json.dumps(provincial(), ensure_ascii=False), "confirm": "1"},  # the old form
    ],
    ids=["no fingerprint", "another previews fingerprint", "another upload", "a path", "a cache name", "posted back"],
)
def test_a_confirmation_that_is_not_its_previews_writes_nothing(admin_client, tmp_path, forge):
    (tmp_path / "outside.json").write_text(json.dumps(provincial(), ensure_ascii=False), encoding="utf-8")
    preview = upload(admin_client, provincial())
    other_package = provincial()
    other_package["notice"]["title"] = "另一份文件"
    other = upload(admin_client, other_package)
    response = admin_client.post(IMPORT, forge(confirm_fields(preview), confirm_fields(other)))
    assert response.status_code == 200
    assert any("预览已失效" in problem and "没有写入任何数据" in problem for problem in response.context["problems"])
    assert not Notice.objects.filter(number=NUMBER_JS).exists()


def test_abandoned_package_uploads_are_removed_as_the_spreadsheet_ones_are(admin_client, upload_dir):
    preview = upload(admin_client, provincial())
    (waiting,) = leftovers(upload_dir)
    old = time.time() - 3601
    os.utime(waiting, (old, old))
    call_command("clear_import_uploads", verbosity=0)
    assert leftovers(upload_dir) == []
    response = confirm(admin_client, preview)
    assert any("已不在服务器上" in problem for problem in response.context["problems"])
    assert not Notice.objects.filter(number=NUMBER_JS).exists()


def test_a_refused_or_unchanged_preview_keeps_no_upload(admin_client, upload_dir):
    refused = provincial()
    del refused["rules"][0]["replaces"]  # it then overlaps 1号 序号3
    assert upload(admin_client, refused).context["problems"]
    packages.load(provincial())
    assert upload(admin_client, provincial()).context["result"].action == "unchanged"
    assert leftovers(upload_dir) == []
