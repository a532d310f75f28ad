"""The admin. Drafts, publishing and the staff preview."""

from __future__ import annotations

import pytest

from recognition.models import (
    Notice,
)
from tests.admin.helpers import (
    RULES,
    lookup,
    new_rule_data,
    recognition_to,
    rule_at,
    version,
)

pytestmark = pytest.mark.django_db


# Drafts, publishing and the staff preview.


def test_a_draft_is_invisible_to_the_public_and_visible_in_preview(admin_client, client):
    assert admin_client.post(f"{RULES}add/", new_rule_data()).status_code == 302
    public = lookup(client, "building-electrician")
    assert "high-voltage-electrician" not in [item["target"] for item in public["recognitions"]]
    assert (
        "高压电工作业特种作业操作证"
        not in client.get("/?held=building-electrician")
        .content.decode()
        .split("查询结果")[-1]
        .split("本通知未规定减免")[0]
    )
    preview = admin_client.get("/preview/?held=building-electrician")
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "预览:本页包含尚未发布的草稿规则" in page
    assert "申请高压电工作业特种作业操作证" in page
    assert "private" in preview["Cache-Control"] or "no-cache" in preview["Cache-Control"]


def test_publishing_makes_a_rule_live_at_once_and_changes_the_data_version(admin_client, client):
    assert admin_client.post(f"{RULES}add/", new_rule_data()).status_code == 302
    draft = rule_at(8)
    lookup(client, "building-electrician")  # warm the per-process cache
    before = version()
    response = admin_client.post(RULES, {"action": "publish", "_selected_action": [draft.pk]}, follow=True)
    assert "已发布 1 项" in response.content.decode()
    assert "网站和接口的每台服务器在 1 秒内按新数据回答" in response.content.decode()  # the version check bound
    assert version() > before
    body = lookup(client, "building-electrician")
    assert recognition_to(body, "high-voltage-electrician")["waived"] == ["安全技术培训"]
    assert "申请高压电工作业特种作业操作证" in client.get("/?held=building-electrician").content.decode()
    response = admin_client.post(RULES, {"action": "make_draft", "_selected_action": [draft.pk]}, follow=True)
    assert "已设为草稿 1 项" in response.content.decode()
    body = lookup(client, "building-electrician")
    assert "high-voltage-electrician" not in [item["target"] for item in body["recognitions"]]


def test_a_draft_notice_hides_its_rules_until_published(admin_client, client):
    notice = Notice.objects.get()
    response = admin_client.post(
        "/admin/recognition/notice/", {"action": "make_draft", "_selected_action": [notice.pk]}, follow=True
    )
    assert "已设为草稿 1 项" in response.content.decode()
    assert lookup(client, "building-welder")["recognitions"] == []
    assert (
        "申请熔化焊接与热切割作业特种作业操作证" in admin_client.get("/preview/?held=building-welder").content.decode()
    )
    admin_client.post("/admin/recognition/notice/", {"action": "publish", "_selected_action": [notice.pk]})
    assert recognition_to(lookup(client, "building-welder"), "fusion-welding-cutting")


def test_preview_is_for_staff_only(client, django_user_model):
    response = client.get("/preview/?held=building-welder")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    user = django_user_model.objects.create_user("worker", password="not-used")
    client.force_login(user)
    response = client.get("/preview/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_preview_does_not_make_the_public_pages_set_cookies(viewer_client):
    assert viewer_client.get("/preview/?held=building-welder").status_code == 200
    for url in ["/", "/?held=building-welder", "/api/v1/lookup?held=building-welder", "/matrix/"]:
        response = viewer_client.get(url)
        assert response.status_code == 200
        assert not response.cookies, url
        assert "预览" not in response.content.decode(), url


def test_preview_is_refused_to_staff_in_no_group(client, staff):
    client.force_login(staff("nobody-yet"))
    assert client.get("/admin/recognition/recognitionrule/").status_code == 403
    response = client.get("/preview/?held=building-welder")
    assert response.status_code == 403
    assert "没有权限" in response.content.decode()
    assert "申请" not in response.content.decode()


def test_preview_is_open_to_the_viewer_group(viewer_client):
    assert viewer_client.get("/preview/?held=building-welder").status_code == 200
