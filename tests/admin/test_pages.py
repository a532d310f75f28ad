"""The admin. Every admin page renders, in Chinese; a saved rule shows at once on the site and in the API."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.contrib import admin
from django.urls import reverse

from recognition.models import (
    Certificate,
    Clause,
    Notice,
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
    version,
)

pytestmark = pytest.mark.django_db


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
    assert "可以不参加安全作业培训和安全技术理论考核" in page


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


def test_the_admins_scripts_speak_chinese_too(admin_client):
    catalog = admin_client.get("/admin/jsi18n/").content.decode()

    def escaped(text: str) -> str:  # the catalog writes non-ASCII as \uXXXX
        return text.encode("unicode_escape").decode()

    assert escaped("点击“选择”箭头按钮") in catalog  # Django 5.2's zh_Hans catalog lacks this one
    assert escaped("选择全部") in catalog and escaped("删除全部") in catalog


def test_the_delete_page_names_link_rows_as_staff_know_them(admin_client):
    rule = rule_at(4)
    page = admin_client.get(f"{RULES}{rule.pk}/delete/").content.decode()
    assert "object (" not in page
    assert "关系" not in page
    assert f"免予的环节:{rule} → 安全作业培训" in page
    links = rule.waived.count() + rule.remaining.count()  # both link tables, counted together
    assert f"<li>免予的环节和仍须参加的环节: {links}</li>" in page


def test_clauses_are_named_as_a_reader_cites_them(admin_client):
    rule = rule_at(4)
    page = admin_client.get(f"{RULES}{rule.pk}/change/").content.decode()
    options = re.findall(r"<option value=\"\d+\"[^>]*>([^<]*)</option>", page)
    assert options and ">preamble<" not in page and ">signature<" not in page
    assert "序言" in options and "落款" in options and "一、(二) 推进焊工职业资格证书互通互认。" in options


@pytest.mark.parametrize(
    "url", ["/admin/", "/admin/auth/user/add/", "/admin/axes/accessattempt/", f"{RULES}import/", f"{RULES}export/"]
)
def test_no_english_words_on_admin_pages(admin_client, url):
    """Django 5.2's and django-axes' strings that their Chinese catalogs lack come from recognition/locale."""
    page = admin_client.get(url).content.decode()
    body = re.sub(r"<script.*?</script>|<style.*?</style>|<svg.*?</svg>|<[^>]+>", " ", page, flags=re.S)
    words = set(re.findall(r"[A-Za-z]{4,}(?: [A-Za-z]+)*", body)) - {"admin", "rsaquo", "xlsx", "LDAP", "HTTP Accept"}
    assert words == set()
