"""The admin. Two staff members at once: a save, an action or a list save against a newer version is refused."""

from __future__ import annotations

import pytest

from recognition.models import Issuance, Publication
from tests.admin.helpers import RULES, change_form_post, errors, rule_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_editors(client, staff):
    from django.test import Client

    first, second = Client(), Client()
    first.force_login(staff("zhang", "规则编辑"))
    second.force_login(staff("li", "规则编辑"))
    return first, second


def test_a_rule_saved_from_a_form_opened_before_a_colleagues_save_is_refused_and_both_changes_survive(two_editors):
    first, second = two_editors
    rule = rule_at(1)
    url = f"{RULES}{rule.pk}/change/"
    page_first, page_second = first.get(url), second.get(url)
    assert 'name="_edit_version"' in page_first.content.decode()

    data = change_form_post(page_first) | {"apply_to_detail": "张的受理说明"}
    assert first.post(url, data).status_code == 302
    data = change_form_post(page_second) | {"quote": "李改过的原文摘录"}
    refused = second.post(url, data)

    found = errors(refused)
    message = " ".join(found["__all__"])
    assert "没有保存" in message and "zhang 于" in message
    assert "受理部门说明" in message and "原文" not in message.split("改动的字段:")[1].split(")")[0]
    assert f'href="{RULES}{rule.pk}/history/"' in refused.content.decode()
    rule.refresh_from_db()
    assert rule.apply_to_detail == "张的受理说明"  # the first change is kept
    assert rule.quote != "李改过的原文摘录"  # nothing of the second was written
    assert refused.context["adminform"].form["quote"].value() == "李改过的原文摘录"  # still in the form

    # Saved again from the re-shown form, the second editor's version is taken, knowingly.
    assert second.post(url, change_form_post(refused)).status_code == 302
    rule.refresh_from_db()
    assert rule.quote == "李改过的原文摘录"


def test_a_publish_action_or_a_change_to_an_inline_row_also_makes_a_form_stale(two_editors):
    first, second = two_editors
    rule = rule_at(2)
    url = f"{RULES}{rule.pk}/change/"
    stale = second.get(url)
    first.post(RULES, {"action": "make_draft", "_selected_action": [rule.pk]})
    refused = second.post(url, change_form_post(stale) | {"quote": "改"})
    assert "改动的字段:发布状态)" in " ".join(errors(refused)["__all__"])
    assert rule_at(2).publication == Publication.DRAFT

    rule = rule_at(4)  # it has a condition
    url = f"{RULES}{rule.pk}/change/"
    page, stale = first.get(url), second.get(url)
    assert first.post(url, change_form_post(page) | {"conditions-0-text": "新的适用条件"}).status_code == 302
    refused = second.post(url, change_form_post(stale))
    assert "改动的字段:适用条件)" in " ".join(errors(refused)["__all__"])
    assert rule_at(4).conditions.first().text == "新的适用条件"


def test_a_form_saved_with_no_colleague_in_between_is_not_refused(editor_client):
    rule = rule_at(3)
    url = f"{RULES}{rule.pk}/change/"
    page = editor_client.get(url)
    assert editor_client.post(url, change_form_post(page) | {"quote": "一次修改"}).status_code == 302
    page = editor_client.get(url)
    assert editor_client.post(url, change_form_post(page) | {"quote": "第二次修改"}).status_code == 302
    assert rule_at(3).quote == "第二次修改"


def test_a_publish_action_from_a_stale_list_is_refused_and_changes_nothing(two_editors):
    first, second = two_editors
    rule, other = rule_at(1), rule_at(5)
    stale_list = second.get(RULES)
    token = stale_list.context["row_versions"]
    assert 'name="_row_versions"' in stale_list.content.decode()

    first.post(RULES, {"action": "make_draft", "_selected_action": [rule.pk]})
    response = second.post(
        RULES,
        {"action": "make_draft", "_selected_action": [rule.pk, other.pk], "_row_versions": token},
        follow=True,
    )
    text = " ".join(str(m) for m in response.context["messages"])
    assert "zhang 于" in text and "没有执行" in text
    assert rule_at(5).publication == Publication.PUBLISHED  # the fresh row was not touched either

    # An action on rows nobody changed goes through.
    response = second.post(RULES, {"action": "make_draft", "_selected_action": [other.pk], "_row_versions": token})
    assert response.status_code == 302
    assert rule_at(5).publication == Publication.DRAFT


def test_a_list_editable_save_over_a_colleagues_change_is_refused(admin_client):
    url = "/admin/recognition/issuance/"
    issuance = Issuance.objects.order_by("pk").first()
    stale = admin_client.get(url)
    formset = stale.context["cl"].formset
    data = {"_save": "保存", "_row_versions": stale.context["row_versions"]}
    for name in formset.management_form.fields:
        data[f"{formset.prefix}-{name}"] = formset.management_form[name].value()
    for form in formset.forms:
        for name in form.fields:
            value = form[name].value()
            data[form.add_prefix(name)] = "" if value is None else value

    Issuance.objects.filter(pk=issuance.pk).update(source="同事改的来源")
    response = admin_client.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "本行没有保存" in page and f'href="{url}{issuance.pk}/history/"' in page
    issuance.refresh_from_db()
    assert issuance.source == "同事改的来源"

    # From a page opened after the colleague's change, the save goes through.
    fresh = admin_client.get(url)
    data["_row_versions"] = fresh.context["row_versions"]
    data[formset.forms[0].add_prefix("source")] = "我改的来源"
    assert admin_client.post(url, data).status_code == 302
    assert Issuance.objects.get(pk=formset.forms[0].instance.pk).source == "我改的来源"


def test_every_staff_change_form_and_list_carries_its_versions(admin_client):
    from django.contrib import admin

    from recognition.admin.base import StaffAdmin

    checked = []
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, StaffAdmin):
            continue
        opts = model._meta
        listing = admin_client.get(f"/admin/{opts.app_label}/{opts.model_name}/")
        obj = model._default_manager.order_by("pk").first()
        if obj is None:
            continue
        assert 'name="_row_versions"' in listing.content.decode(), opts.model_name
        page = admin_client.get(f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/change/")
        assert 'name="_edit_version"' in page.content.decode(), opts.model_name
        checked.append(opts.model_name)
    assert {"recognitionrule", "levelequivalence", "notice", "certificate", "issuance"} <= set(checked)
