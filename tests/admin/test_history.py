"""The admin. History and restore."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from reversion.models import Version

from recognition import history
from recognition.models import (
    Department,
    RecognitionRule,
)
from tests.admin.helpers import (
    RULES,
    errors,
    lookup,
    new_rule_data,
    recognition_to,
    rule_at,
    rule_data,
    steps,
)

pytestmark = pytest.mark.django_db


# History and restore.


def test_history_records_who_changed_what_and_restores_an_earlier_version(admin_client, admin_user, client):
    rule = rule_at(4)
    original = [s.name for s in rule.waived.all()]
    response = admin_client.post(
        f"{RULES}{rule.pk}/change/",
        rule_data(
            rule,
            waived=steps("building-welder", "安全作业培训", "安全技术理论考核"),
            remaining=steps("building-welder", "安全操作技能考核"),
        ),
    )
    assert response.status_code == 302, errors(response)
    versions = Version.objects.get_for_object(rule).select_related("revision")
    assert versions.count() == 2  # the data as loaded, then the change
    latest, baseline = versions  # newest first
    assert latest.revision.user == admin_user
    assert "免予的环节" in latest.revision.get_comment()
    assert baseline.revision.comment.startswith("修改前的原始数据")
    history = admin_client.get(f"{RULES}{rule.pk}/history/").content.decode()
    assert "修改前的原始数据" in history and admin_user.username in history

    # Restoring the version loaded from fixtures brings back the waived steps (many-to-many).
    url = f"{RULES}{rule.pk}/history/{baseline.pk}/"
    form = admin_client.get(url)
    assert form.status_code == 200
    assert [s.name for s in rule_at(4).waived.all()] != original  # viewing a version changes nothing
    response = admin_client.post(
        url, rule_data(rule_at(4), waived=baseline.field_dict["waived"], remaining=baseline.field_dict["remaining"])
    )
    assert response.status_code == 302, errors(response)
    assert [s.name for s in rule_at(4).waived.all()] == original
    assert recognition_to(lookup(client, "fusion-welding-cutting"), "building-welder")["waived"] == original


def test_a_publish_action_saves_one_revision_per_rule(admin_client):
    rules = [rule_at(1), rule_at(2)]
    admin_client.post(RULES, {"action": "make_draft", "_selected_action": [r.pk for r in rules]})
    for rule in rules:
        latest = Version.objects.get_for_object(rule).select_related("revision").first()
        assert latest.revision.comment == "设为草稿"
        assert latest.revision.version_set.filter(content_type__model="recognitionrule").count() == 1


def test_a_deleted_rule_can_be_recovered_with_its_steps_and_conditions(admin_client):
    rule = rule_at(7)
    pk, waived = rule.pk, [s.pk for s in rule.waived.all()]
    conditions = [c.text for c in rule.conditions.all()]
    assert admin_client.post(f"{RULES}{pk}/delete/", {"post": "yes"}).status_code == 302
    recover = admin_client.get(f"{RULES}recover/").content.decode()
    assert "序号7" in recover
    deleted = Version.objects.get_deleted(RecognitionRule).get(object_id=str(pk))
    data = rule_data(rule, waived=waived)
    data |= {f"conditions-{i}-id": "" for i in range(len(conditions))}
    data["conditions-INITIAL_FORMS"] = 0
    response = admin_client.post(f"{RULES}recover/{deleted.pk}/", data)
    assert response.status_code == 302, errors(response)
    restored = RecognitionRule.objects.get(pk=pk)
    assert [s.pk for s in restored.waived.all()] == waived
    assert [c.text for c in restored.conditions.all()] == conditions


def test_history_says_which_field_changed_from_what_to_what(admin_client):
    rule = rule_at(4)
    old_detail = rule.apply_to_detail
    data = rule_data(
        rule,
        apply_to_detail="新的受理部门说明",
        waived=steps("building-welder", "安全作业培训", "安全技术理论考核"),
        remaining=steps("building-welder", "安全操作技能考核"),
    )
    data["conditions-0-text"] = "改过的适用条件"
    assert admin_client.post(f"{RULES}{rule.pk}/change/", data).status_code == 302
    page = admin_client.get(f"{RULES}{rule.pk}/history/").content.decode()
    assert "改了什么(原来 → 现在)" in page
    assert f"<strong>受理部门说明</strong>:<del>{old_detail or '(空)'}</del> → <ins>新的受理部门说明</ins>" in page
    assert "<strong>免予的环节</strong>:<del>安全作业培训</del> → <ins>安全作业培训、安全技术理论考核</ins>" in page
    assert "改过的适用条件" in page
    assert "最早的版本" in page
    assert "Choose a date" not in page


def test_recovering_a_deleted_rule_whose_serial_is_taken_names_the_rule_that_took_it(admin_client):
    rule = rule_at(7)
    data = rule_data(rule)
    assert admin_client.post(f"{RULES}{rule.pk}/delete/", {"post": "yes"}).status_code == 302
    assert admin_client.post(f"{RULES}add/", new_rule_data(serial=7)).status_code == 302
    deleted = Version.objects.get_deleted(RecognitionRule).get(object_id=str(rule.pk))

    for response in (
        admin_client.get(f"{RULES}recover/{deleted.pk}/"),
        admin_client.post(f"{RULES}recover/{deleted.pk}/", data),
    ):
        assert response.status_code == 302
        text = " ".join(str(m) for m in get_messages(response.wsgi_request))
        assert "无法恢复这个版本" in text
        assert "已有序号为 7 的规则(建筑电工操作证 → 高压电工作业操作证)" in text
        assert "缺少依赖" not in text and "请先修改那一条冲突的数据" in text
    assert not RecognitionRule.objects.filter(pk=rule.pk).exists()


def test_restoring_an_old_version_that_clashes_with_a_newer_row_names_that_row(admin_client):
    third, fourth = rule_at(3), rule_at(4)
    assert admin_client.post(f"{RULES}{third.pk}/change/", rule_data(third, serial=9)).status_code == 302
    assert admin_client.post(f"{RULES}{fourth.pk}/change/", rule_data(fourth, serial=3)).status_code == 302
    oldest = Version.objects.get_for_object(third).order_by("pk").first()
    response = admin_client.get(f"{RULES}{third.pk}/history/{oldest.pk}/")
    assert response.status_code == 302
    text = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert f"已有序号为 3 的规则({fourth.held} → {fourth.target})" in text
    assert rule_at(9).pk == third.pk and rule_at(3).pk == fourth.pk


def test_restoring_a_row_whose_unique_value_is_now_taken_names_the_row_that_has_it(admin_client):
    department = Department.objects.order_by("pk").first()
    old_slug = department.slug
    history.save_revisions([department], None, "测试用的旧版本")
    old = Version.objects.get_for_object(department).first()
    Department.objects.filter(pk=department.pk).update(slug="renamed")
    Department.objects.create(name="新建的部门", slug=old_slug)
    response = admin_client.get(f"/admin/recognition/department/{department.pk}/history/{old.pk}/")
    assert response.status_code == 302
    text = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "与现有的发证部门“新建的部门”冲突:两者的“标识”相同" in text
    assert Department.objects.get(pk=department.pk).slug == "renamed"
