"""The admin. What the admin refuses, with a message a non-programmer understands."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import transaction
from django.db.models import ProtectedError

from recognition.models import (
    Certificate,
    Clause,
    Department,
    LevelEquivalence,
    Notice,
    Publication,
    RecognitionRule,
    SkillLevel,
    Step,
)
from tests.admin.helpers import (
    RULES,
    change_form_post,
    errors,
    new_rule_data,
    rule_at,
    rule_data,
    steps,
)

pytestmark = pytest.mark.django_db


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
