"""The admin: every page renders, every refusal, drafts and preview, history, import and export, roles."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
import tablib
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import ProtectedError
from django.urls import reverse
from reversion.models import Version

from recognition import roles, snapshot
from recognition.admin import RecognitionRuleAdmin
from recognition.models import (
    Certificate,
    Clause,
    DataVersion,
    Department,
    LevelEquivalence,
    Notice,
    Publication,
    RecognitionRule,
    SkillLevel,
    Step,
)
from recognition.resources import COLUMNS, RecognitionRuleResource

pytestmark = pytest.mark.django_db

RULES = "/admin/recognition/recognitionrule/"
CSV_FORMAT, XLSX_FORMAT = "0", "1"


# Helpers.


def rule_at(serial: int) -> RecognitionRule:
    return RecognitionRule.objects.get(notice__number="人社厅发〔2026〕1号", serial=serial)


def steps(certificate_slug: str, *names: str) -> list[int]:
    return [Step.objects.get(certificate__slug=certificate_slug, name=name).pk for name in names]


def rule_data(rule: RecognitionRule, **changes) -> dict:
    """The admin change form's POST for a rule, as the browser would send it, with changes."""
    conditions = list(rule.conditions.all())
    data = {
        "notice": rule.notice_id,
        "serial": rule.serial,
        "held": rule.held_id,
        "target": rule.target_id,
        "publication": rule.publication,
        "waived": [step.pk for step in rule.waived.all()],
        "remaining": [step.pk for step in rule.remaining.all()],
        "apply_to": rule.apply_to_id,
        "apply_to_detail": rule.apply_to_detail,
        "clause": rule.clause_id,
        "quote": rule.quote,
        "valid_from": rule.valid_from.isoformat(),
        "valid_until": rule.valid_until.isoformat() if rule.valid_until else "",
        "conditions-TOTAL_FORMS": len(conditions),
        "conditions-INITIAL_FORMS": len(conditions),
        "conditions-MIN_NUM_FORMS": 0,
        "conditions-MAX_NUM_FORMS": 1000,
    }
    for index, condition in enumerate(conditions):
        prefix = f"conditions-{index}-"
        data |= {
            prefix + "id": condition.pk,
            prefix + "rule": rule.pk,
            prefix + "order": condition.order,
            prefix + "text": condition.text,
            prefix + "kind": condition.kind,
        }
    data.update(changes)
    return data


def new_rule_data(**changes) -> dict:
    """A new draft rule 建筑电工 → 高压电工 (a pair the notice gives no row)."""
    data = {
        "notice": Notice.objects.get().pk,
        "serial": 8,
        "held": Certificate.objects.get(slug="building-electrician").pk,
        "target": Certificate.objects.get(slug="high-voltage-electrician").pk,
        "publication": Publication.DRAFT,
        "waived": steps("high-voltage-electrician", "安全技术培训"),
        "remaining": steps("high-voltage-electrician", "安全技术理论考试", "安全技术实操考试"),
        "apply_to": Department.objects.get(slug="emergency-management").pk,
        "apply_to_detail": "",
        "clause": Clause.objects.get(anchor="s1-1").pk,
        "quote": "(测试用草稿)",
        "valid_from": "2026-01-09",
        "valid_until": "",
        "conditions-TOTAL_FORMS": 0,
        "conditions-INITIAL_FORMS": 0,
        "conditions-MIN_NUM_FORMS": 0,
        "conditions-MAX_NUM_FORMS": 1000,
    }
    data.update(changes)
    return data


def change_form_post(response, delete: dict | None = None) -> dict:
    """The POST a browser sends for an admin change page as rendered, optionally ticking DELETE on inline rows."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        data[name] = "" if value is None else value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[f"{formset.prefix}-{name}"] = formset.management_form[name].value()
        for sub in formset.forms:
            for name in sub.fields:
                value = sub[name].value()
                data[sub.add_prefix(name)] = "" if value is None else value
            if delete and delete.get(formset.prefix) == sub.instance:
                data[sub.add_prefix("DELETE")] = "on"
    return {name: value for name, value in data.items() if value is not False}


def errors(response) -> dict:
    """Every error the admin form shows, by field ('__all__' for the form, 'inline' for inlines)."""
    assert response.status_code == 200, response.status_code
    found = dict(response.context["adminform"].form.errors)
    inline = [str(error) for formset in response.context["inline_admin_formsets"] for error in formset.formset.errors]
    inline += [
        str(error) for formset in response.context["inline_admin_formsets"] for error in formset.non_form_errors()
    ]
    if any(inline):
        found["inline"] = inline
    return found


def lookup(client, held: str) -> dict:
    response = client.get(f"/api/v1/lookup?held={held}")
    assert response.status_code == 200
    return json.loads(response.content)


def recognition_to(body: dict, target: str) -> dict:
    return next(item for item in body["recognitions"] if item["target"] == target)


def version() -> int:
    return DataVersion.objects.get().revision


@pytest.fixture
def staff(django_user_model):
    def make(username: str, *groups: str):
        user = django_user_model.objects.create_user(username, password="not-used-force-login", is_staff=True)
        user.groups.set(Group.objects.filter(name__in=groups))
        return user

    return make


@pytest.fixture
def editor_client(client, staff):
    client.force_login(staff("editor", "规则编辑"))
    return client


@pytest.fixture
def viewer_client(client, staff):
    client.force_login(staff("viewer", "查看"))
    return client


# Every page renders.


def admin_pages():
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        yield model, model_admin, f"admin:{opts.app_label}_{opts.model_name}"


def test_smoke_every_list_add_change_history_and_delete_page(admin_client, admin_user):
    walked = 0
    for model, model_admin, name in admin_pages():
        assert admin_client.get(reverse(f"{name}_changelist")).status_code == 200, name
        request = type("Request", (), {"user": admin_user})()
        if model_admin.has_add_permission(request):
            assert admin_client.get(reverse(f"{name}_add")).status_code == 200, name
        obj = model._default_manager.order_by("pk").first()
        if obj is None:
            continue
        for page in ("change", "history", "delete"):
            response = admin_client.get(reverse(f"{name}_{page}", args=[obj.pk]))
            assert response.status_code == 200, (name, page)
            walked += 1
    assert walked >= 13 * 3
    for url in [RULES + "import/", RULES + "export/", RULES + "recover/"]:
        assert admin_client.get(url).status_code == 200, url


def test_every_recognition_model_is_in_the_admin_in_chinese(admin_client):
    page = admin_client.get("/admin/").content.decode()
    for label in ["通知", "发证部门", "职业", "技能等级", "证书", "取证环节", "互认规则", "等级比照", "省级地区"]:
        assert label in page
    assert "地区发证情况" in page and "参考信息" in page


def test_rule_list_shows_the_matrix_with_filters_and_search(admin_client):
    response = admin_client.get(RULES)
    page = response.content.decode()
    assert page.count('class="field-serial"') == 7
    assert "安全作业培训" in page and "安全技术理论考核、安全操作技能考核" in page
    titles = [str(spec.title) for spec in response.context["cl"].filter_specs]
    assert titles == ["近期变化", "发布状态", "持有证书", "申请证书", "受理部门"]  # 通知 once there are two
    assert admin_client.get(RULES, {"q": "建筑焊工"}).context["cl"].result_count == 2
    assert admin_client.get(RULES, {"q": "7"}).context["cl"].result_count == 1
    welder = Certificate.objects.get(slug="fusion-welding-cutting")
    assert admin_client.get(RULES, {"held__id__exact": welder.pk}).context["cl"].result_count == 2


def test_rule_list_costs_the_same_queries_for_7_and_70_rules(admin_client, django_assert_max_num_queries):
    """The list must stay fast when a second notice brings ten times the rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as seven:
        assert admin_client.get(RULES).status_code == 200
    template = rule_at(4)
    second = Notice.objects.create(
        number="测试〔2027〕1号", title="测试通知", issuers="测试", issued_on=date(2027, 1, 1)
    )
    clause = Clause.objects.create(notice=second, order=1, anchor="s1")
    for serial in range(1, 64):
        rule = RecognitionRule.objects.create(
            notice=second,
            serial=serial,
            held=template.held,
            target=template.target,
            apply_to=template.apply_to,
            clause=clause,
            quote="测试",
            valid_from=date(2027, 1, 1),
        )
        rule.waived.set(template.waived.all())
        rule.remaining.set(template.remaining.all())
    assert RecognitionRule.objects.count() == 70
    with CaptureQueriesContext(connection) as seventy:
        response = admin_client.get(RULES)
    assert response.context["cl"].result_count == 70
    assert "通知" in [str(spec.title) for spec in response.context["cl"].filter_specs]
    assert len(response.context["cl"].result_list) == 70  # one page
    assert len(seventy) == len(seven), [q["sql"] for q in seventy.captured_queries]


def test_rule_form_offers_the_steps_grouped_by_certificate_and_only_the_notices_clauses(admin_client):
    rule = rule_at(4)
    response = admin_client.get(f"{RULES}{rule.pk}/change/")
    form = response.context["adminform"].form
    groups = form.fields["waived"].widget.choices
    assert groups[0][0] == "建筑焊工特种作业操作证的环节"  # the target's steps come first
    assert [label for _, label in groups[0][1]] == ["安全作业培训", "安全技术理论考核(考核)", "安全操作技能考核(考核)"]
    page = response.content.decode()
    target = rule.target_id
    assert page.count(f'data-certificate="{target}"') == 6  # three steps, waived and remaining
    assert "recognition/admin/rule-steps." in page  # the script that hides other certificates' steps
    assert set(form.fields["clause"].queryset) == set(Clause.objects.filter(notice=rule.notice))
    assert f"/preview/?held={rule.held.slug}" in page


# Saving a rule: it shows at once on the site and in the API.


def test_a_change_saved_in_the_admin_shows_in_the_next_public_and_api_answer(admin_client, client):
    rule = rule_at(4)  # 熔化焊接与热切割 → 建筑焊工: waives 安全作业培训
    before = version()
    response = admin_client.post(
        f"{RULES}{rule.pk}/change/",
        rule_data(
            rule,
            waived=steps("building-welder", "安全作业培训", "安全技术理论考核"),
            remaining=steps("building-welder", "安全操作技能考核"),
        ),
    )
    assert response.status_code == 302, errors(response)
    assert version() > before
    body = lookup(client, "fusion-welding-cutting")
    assert recognition_to(body, "building-welder")["waived"] == ["安全作业培训", "安全技术理论考核"]
    assert recognition_to(body, "building-welder")["remaining"] == ["安全操作技能考核"]
    page = client.get("/?held=fusion-welding-cutting").content.decode()
    assert "安全作业培训、安全技术理论考核" in page


def test_an_admin_can_add_a_rule_with_conditions(admin_client):
    data = new_rule_data()
    data |= {
        "conditions-TOTAL_FORMS": 1,
        "conditions-0-order": 10,
        "conditions-0-text": "测试条件",
        "conditions-0-kind": "stated",
    }
    response = admin_client.post(f"{RULES}add/", data)
    assert response.status_code == 302, errors(response)
    rule = rule_at(8)
    assert [c.text for c in rule.conditions.all()] == ["测试条件"]
    assert [s.name for s in rule.waived.all()] == ["安全技术培训"]


def test_remaining_steps_may_be_empty_but_waived_may_not(admin_client):
    rule = rule_at(4)
    response = admin_client.post(f"{RULES}{rule.pk}/change/", rule_data(rule, remaining=[]))
    assert response.status_code == 302, errors(response)
    response = admin_client.post(f"{RULES}{rule.pk}/change/", rule_data(rule, waived=[]))
    assert "waived" in errors(response)


# What the admin refuses, with a message a non-programmer understands.


def test_refuses_a_rule_from_a_certificate_to_itself(admin_client):
    rule = rule_at(4)
    response = admin_client.post(
        f"{RULES}{rule.pk}/change/",
        rule_data(rule, held=rule.target_id),
    )
    assert "持有证书和申请证书不能是同一种证书" in str(errors(response)["target"])
    assert rule_at(4).held.slug == "fusion-welding-cutting"


def test_refuses_a_waived_step_of_another_certificate(admin_client):
    rule = rule_at(4)
    low_voltage_training = steps("low-voltage-electrician", "安全技术培训")
    response = admin_client.post(f"{RULES}{rule.pk}/change/", rule_data(rule, waived=low_voltage_training))
    message = str(errors(response)["waived"])
    assert "“安全技术培训” 不是申请证书“建筑焊工操作证”的取证环节" in message
    assert "安全作业培训、安全技术理论考核、安全操作技能考核" in message  # names the valid choices
    assert [s.name for s in rule_at(4).waived.all()] == ["安全作业培训"]


def test_refuses_a_remaining_step_of_another_certificate(admin_client):
    rule = rule_at(4)
    response = admin_client.post(
        f"{RULES}{rule.pk}/change/", rule_data(rule, remaining=steps("fusion-welding-cutting", "安全技术实操考试"))
    )
    assert "不是申请证书“建筑焊工操作证”的取证环节" in str(errors(response)["remaining"])


def test_refuses_steps_of_the_old_target_when_the_target_changes(admin_client):
    rule = rule_at(5)  # 熔化焊接 → 特种设备焊接; changing the target alone keeps the old steps
    other = Certificate.objects.get(slug="building-welder")
    response = admin_client.post(f"{RULES}{rule.pk}/change/", rule_data(rule, target=other.pk))
    found = errors(response)
    assert "不是申请证书“建筑焊工操作证”的取证环节" in str(found["waived"])
    assert "不是申请证书“建筑焊工操作证”的取证环节" in str(found["remaining"])


def test_refuses_a_step_both_waived_and_remaining(admin_client):
    rule = rule_at(4)
    response = admin_client.post(
        f"{RULES}{rule.pk}/change/",
        rule_data(rule, remaining=steps("building-welder", "安全作业培训", "安全操作技能考核")),
    )
    assert "“安全作业培训” 不能既免予又仍须参加" in str(errors(response)["remaining"])


def test_refuses_two_published_rules_for_the_same_pair_under_one_notice(admin_client):
    existing = rule_at(4)
    data = new_rule_data(
        held=existing.held_id,
        target=existing.target_id,
        waived=[s.pk for s in existing.waived.all()],
        remaining=[s.pk for s in existing.remaining.all()],
        publication=Publication.PUBLISHED,
    )
    response = admin_client.post(f"{RULES}add/", data)
    message = str(errors(response)["publication"])
    assert "已有一条已发布的“熔化焊接与热切割作业操作证 → 建筑焊工操作证”规则(序号 4)" in message
    assert "请先把那一条设为草稿" in message
    assert "one_published_rule" not in response.content.decode()  # never the constraint's name
    # As a draft it may be saved (a replacement being prepared) ...
    data["publication"] = Publication.DRAFT
    assert admin_client.post(f"{RULES}add/", data).status_code == 302
    # ... but not published by the action while the other is published.
    draft = rule_at(8)
    response = admin_client.post(RULES, {"action": "publish", "_selected_action": [draft.pk]}, follow=True)
    assert "未能发布" in response.content.decode()
    assert rule_at(8).publication == Publication.DRAFT


def test_refuses_a_duplicate_serial_in_a_notice(admin_client):
    response = admin_client.post(f"{RULES}add/", new_rule_data(serial=3))
    message = str(errors(response)["serial"])
    assert "已有序号为 3 的规则(建筑电工操作证 → 低压电工作业操作证)" in message
    assert "请换一个序号" in message
    assert RecognitionRule.objects.count() == 7


def test_refuses_a_clause_of_another_notice(admin_client):
    other = Notice.objects.create(number="测试〔2027〕1号", title="测试", issuers="测试", issued_on=date(2027, 1, 1))
    foreign = Clause.objects.create(notice=other, order=1, anchor="s1")
    rule = rule_at(4)
    response = admin_client.post(f"{RULES}{rule.pk}/change/", rule_data(rule, clause=foreign.pk))
    assert "clause" in errors(response)  # not even offered: the choices are the notice's clauses


def test_refuses_a_level_to_apply_for_that_is_not_above_the_level_held(admin_client):
    level = LevelEquivalence.objects.get(certificate__slug="low-voltage-electrician")
    data = {
        "notice": level.notice_id,
        "certificate": level.certificate_id,
        "occupation": level.occupation_id,
        "publication": level.publication,
        "deemed_level": level.deemed_level_id,
        "eligible_level": SkillLevel.objects.get(number=5).pk,  # 五级 held, 五级 to apply for
        "clause": level.clause_id,
        "quote": level.quote,
        "valid_from": level.valid_from.isoformat(),
        "valid_until": "",
    }
    response = admin_client.post(f"/admin/recognition/levelequivalence/{level.pk}/change/", data)
    assert "可报名的等级必须高于视同达到的等级" in str(errors(response)["eligible_level"])


def test_refuses_two_published_level_equivalences_for_one_certificate(admin_client):
    level = LevelEquivalence.objects.get(certificate__slug="low-voltage-electrician")
    data = {
        "notice": level.notice_id,
        "certificate": level.certificate_id,
        "occupation": level.occupation_id,
        "publication": Publication.PUBLISHED,
        "deemed_level": level.deemed_level_id,
        "eligible_level": level.eligible_level_id,
        "clause": level.clause_id,
        "quote": level.quote,
        "valid_from": level.valid_from.isoformat(),
        "valid_until": "",
    }
    response = admin_client.post("/admin/recognition/levelequivalence/add/", data)
    assert "已有一条已发布的“低压电工作业操作证”视同电工等级的规定" in str(errors(response)["publication"])


def test_refuses_deleting_a_certificate_that_rules_use_and_says_which(admin_client):
    certificate = Certificate.objects.get(slug="building-welder")
    url = f"/admin/recognition/certificate/{certificate.pk}/delete/"
    page = admin_client.get(url).content.decode()
    assert "不能删除证书“建筑焊工操作证”:下列内容仍在使用它" in page
    assert page.count("序号4 熔化焊接与热切割作业操作证 → 建筑焊工操作证") == 1  # its target, and uses its steps
    assert "序号6 建筑焊工操作证 → 熔化焊接与热切割作业操作证" in page
    assert "等级比照" in page
    assert "Yes" not in page and "确定" not in page  # no button to go ahead
    admin_client.post(url, {"post": "yes"})
    assert Certificate.objects.filter(pk=certificate.pk).exists()


@pytest.mark.parametrize(
    ("model", "lookup_kwargs", "user"),
    [
        (Department, {"slug": "market-regulation"}, "序号5"),
        (Notice, {}, "序号1"),
    ],
)
def test_refuses_deleting_what_published_rules_use(admin_client, model, lookup_kwargs, user):
    obj = model.objects.get(**lookup_kwargs)
    url = f"/admin/recognition/{model._meta.model_name}/{obj.pk}/delete/"
    page = admin_client.get(url).content.decode()
    assert "下列内容仍在使用它" in page and user in page
    admin_client.post(url, {"post": "yes"})
    assert model.objects.filter(pk=obj.pk).exists()


def test_refuses_deleting_a_step_that_a_rule_uses(admin_client):
    step = Step.objects.get(certificate__slug="building-welder", name="安全作业培训")
    url = f"/admin/recognition/step/{step.pk}/delete/"
    page = admin_client.get(url).content.decode()
    assert "不能删除取证环节“建筑焊工操作证:安全作业培训”:下列内容仍在使用它" in page
    assert "序号4 熔化焊接与热切割作业操作证 → 建筑焊工操作证" in page
    admin_client.post(url, {"post": "yes"})
    assert Step.objects.filter(pk=step.pk).exists()
    # The bulk delete action refuses too.
    response = admin_client.post(
        "/admin/recognition/step/", {"action": "delete_selected", "_selected_action": [step.pk], "post": "yes"}
    )
    assert "不能删除所选的取证环节" in response.content.decode()
    assert Step.objects.filter(pk=step.pk).exists()


def test_refuses_deleting_a_used_step_from_the_certificate_page(admin_client):
    certificate = Certificate.objects.get(slug="building-welder")
    url = f"/admin/recognition/certificate/{certificate.pk}/change/"
    step = Step.objects.get(certificate=certificate, name="安全作业培训")
    response = admin_client.post(url, change_form_post(admin_client.get(url), delete={"steps": step}))
    message = " ".join(errors(response)["inline"])
    assert "不能删除取证环节“建筑焊工操作证:安全作业培训”" in message
    assert "序号4 熔化焊接与热切割作业操作证 → 建筑焊工操作证" in message
    assert "请先在这些规则中取消勾选这个环节" in message
    assert Step.objects.filter(pk=step.pk).exists()


def test_refuses_deleting_a_clause_that_rules_cite_from_the_notice_page(admin_client):
    notice = Notice.objects.get()
    url = f"/admin/recognition/notice/{notice.pk}/change/"
    clause = Clause.objects.get(anchor="s1-2")
    response = admin_client.post(url, change_form_post(admin_client.get(url), delete={"clauses": clause}))
    message = " ".join(errors(response)["inline"])
    assert "序号4" in message and "序号7" in message  # Django's own refusal names the rules citing it
    assert Clause.objects.filter(pk=clause.pk).exists()


def test_deleting_a_used_step_is_refused_on_every_path():
    step = Step.objects.get(certificate__slug="building-welder", name="安全作业培训")
    with pytest.raises(ProtectedError, match="序号4"), transaction.atomic():
        step.delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        Step.objects.filter(pk=step.pk).delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        Certificate.objects.filter(pk=step.certificate_id).delete()
    assert rule_at(4).waived.filter(pk=step.pk).exists()


def test_an_unused_step_and_an_unused_rule_can_be_deleted(admin_client):
    step = Step.objects.create(certificate=Certificate.objects.get(slug="building-welder"), order=9, name="测试环节")
    response = admin_client.post(f"/admin/recognition/step/{step.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Step.objects.filter(pk=step.pk).exists()
    rule = rule_at(7)
    assert admin_client.post(f"{RULES}{rule.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not RecognitionRule.objects.filter(pk=rule.pk).exists()


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


# Import and export of the matrix.


def export_dataset() -> tablib.Dataset:
    return RecognitionRuleResource().export()


def upload(client, content: bytes, name: str, file_format: str):
    return client.post(
        f"{RULES}import/",
        {"format": file_format, "resource": "0", "import_file": SimpleUploadedFile(name, content)},
    )


def confirm(client, preview):
    form = preview.context["confirm_form"]
    return client.post(f"{RULES}process_import/", {name: form.initial.get(name, "") for name in form.fields})


def snapshot_of_rules() -> list:
    return [
        (
            rule.notice_id,
            rule.serial,
            rule.held_id,
            rule.target_id,
            sorted(rule.waived.values_list("pk", flat=True)),
            sorted(rule.remaining.values_list("pk", flat=True)),
            rule.apply_to_id,
            rule.apply_to_detail,
            rule.clause_id,
            rule.quote,
            rule.valid_from,
            rule.valid_until,
            rule.publication,
        )
        for rule in RecognitionRule.objects.order_by("pk")
    ]


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


# Roles.


def test_the_groups_have_exactly_the_permissions_they_need():
    editor = set(Group.objects.get(name="规则编辑").permissions.values_list("codename", flat=True))
    viewer = set(Group.objects.get(name="查看").permissions.values_list("codename", flat=True))
    models = {model._meta.model_name for model in apps.get_app_config("recognition").get_models()}
    assert models - {"dataversion"} == set(roles.EDITED_MODELS)  # a new model must be added to the groups
    actions = ("add", "change", "delete", "view")
    assert editor == {f"{action}_{model}" for model in roles.EDITED_MODELS for action in actions}
    assert viewer == {f"view_{model}" for model in roles.EDITED_MODELS}
    assert all(p.content_type.app_label == "recognition" for p in Group.objects.get(name="规则编辑").permissions.all())


def test_an_editor_can_change_a_rule_and_import(editor_client, client):
    rule = rule_at(4)
    response = editor_client.post(
        f"{RULES}{rule.pk}/change/",
        rule_data(
            rule,
            waived=steps("building-welder", "安全作业培训", "安全技术理论考核"),
            remaining=steps("building-welder", "安全操作技能考核"),
        ),
    )
    assert response.status_code == 302, errors(response)
    page = editor_client.get(RULES).content.decode()
    assert "import/" in page and "export/" in page
    preview = upload(editor_client, export_dataset().export("csv").encode(), "matrix.csv", CSV_FORMAT)
    assert "confirm_form" in preview.context


def test_a_viewer_sees_everything_and_can_save_nothing(viewer_client):
    rule = rule_at(4)
    assert viewer_client.get(RULES).status_code == 200
    page = viewer_client.get(f"{RULES}{rule.pk}/change/").content.decode()
    assert 'name="_save"' not in page
    response = viewer_client.post(
        f"{RULES}{rule.pk}/change/", rule_data(rule, waived=steps("building-welder", "安全技术理论考核"))
    )
    assert response.status_code == 403
    assert [s.name for s in rule_at(4).waived.all()] == ["安全作业培训"]
    assert viewer_client.post(f"{RULES}add/", new_rule_data()).status_code == 403
    assert viewer_client.post(f"{RULES}{rule.pk}/delete/", {"post": "yes"}).status_code == 403
    viewer_client.post(RULES, {"action": "make_draft", "_selected_action": [rule.pk]})
    assert rule_at(4).publication == Publication.PUBLISHED
    assert viewer_client.get(f"{RULES}import/").status_code == 403
    assert viewer_client.get(f"{RULES}{rule.pk}/history/").status_code == 200
    assert viewer_client.post(f"{RULES}export/", {"format": CSV_FORMAT, "resource": "0"}).status_code == 200


def test_staff_outside_the_groups_see_nothing(client, staff):
    client.force_login(staff("nobody"))
    page = client.get("/admin/").content.decode()
    assert "互认规则" not in page
    assert client.get(RULES).status_code == 403
    assert client.post(f"{RULES}export/", {"format": CSV_FORMAT, "resource": "0"}).status_code == 403
    assert client.get(f"{RULES}import/").status_code == 403


def test_the_rule_admin_is_registered_with_history_and_import_export():
    model_admin = admin.site._registry[RecognitionRule]
    assert isinstance(model_admin, RecognitionRuleAdmin)
    import reversion

    assert reversion.is_registered(RecognitionRule)
    assert "conditions" in reversion.revisions._get_options(RecognitionRule).follow
    assert "steps" in reversion.revisions._get_options(Certificate).follow
    assert "clauses" in reversion.revisions._get_options(Notice).follow


def test_snapshot_cache_is_not_stale_after_admin_writes(admin_client, client):
    snapshot.clear_cache()
    lookup(client, "building-welder")
    rule = rule_at(6)
    response = admin_client.post(f"{RULES}{rule.pk}/change/", rule_data(rule, apply_to_detail="测试说明"))
    assert response.status_code == 302, errors(response)
    body = lookup(client, "building-welder")
    assert recognition_to(body, "fusion-welding-cutting")["apply_to_detail"] == "测试说明"
