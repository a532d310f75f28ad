"""Staff entering a notice by hand: filled-in clause order and anchor, 序号, the rule list, what changes soon."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from recognition.models import Clause, Notice, RecognitionRule
from recognition.notice_files import packages
from recognition.rules.clause_numbers import numeral, suggest_anchor
from tests.admin.helpers import change_form_post, errors, new_rule_data

pytestmark = pytest.mark.django_db

PROVINCIAL = Path(__file__).parent / "data" / "provincial-notice.json"
RULES = "/admin/recognition/recognitionrule/"
LEVELS = "/admin/recognition/levelequivalence/"


def load_provincial() -> Notice:
    packages.load(json.loads(PROVINCIAL.read_text(encoding="utf-8")))
    return Notice.objects.get(number="苏人社发〔2026〕99号")


@pytest.mark.parametrize(
    ("numbering", "number"),
    [("一、", 1), ("(二)", 2), ("十、", 10), ("(十二)", 12), ("二十一、", 21), ("3.", 3), ("", None)],
)
def test_numerals_are_read_from_the_numbering(numbering, number):
    assert numeral(numbering) == number


def test_anchors_follow_the_numbering():
    assert suggest_anchor(1, "二、", None, 50) == "s2"
    assert suggest_anchor(2, "(一)", "s2", 60) == "s2-1"
    assert suggest_anchor(1, "", None, 10) == "c10"


def test_new_clauses_get_their_order_and_anchor_filled_in(admin_client):
    notice = Notice.objects.create(number="测试〔2027〕1号", title="测试", issuers="测试", issued_on=date(2027, 1, 1))
    url = f"/admin/recognition/notice/{notice.pk}/change/"
    data = change_form_post(admin_client.get(url))
    rows = [(1, "", "前言"), (1, "一、", "第一部分"), (2, "(一)", "第一项"), (2, "(二)", "第二项")]
    for index, (level, numbering, heading) in enumerate(rows):
        prefix = f"clauses-{index}-"
        data |= {
            prefix + "order": "",
            prefix + "anchor": "",
            prefix + "level": level,
            prefix + "numbering": numbering,
            prefix + "heading": heading,
            prefix + "label": "",
            prefix + "text": heading + "的正文。",
            prefix + "notice": notice.pk,
        }
    data["clauses-TOTAL_FORMS"] = len(rows)
    response = admin_client.post(url, data)
    assert response.status_code == 302, errors(response)
    saved = list(Clause.objects.filter(notice=notice).values_list("order", "anchor", "label"))
    assert saved == [(10, "c10", "前言"), (20, "s1", "一、"), (30, "s1-1", "一、(一)"), (40, "s1-2", "一、(二)")]


def test_a_filled_in_anchor_or_order_is_kept(admin_client):
    notice = Notice.objects.create(number="测试〔2027〕1号", title="测试", issuers="测试", issued_on=date(2027, 1, 1))
    url = f"/admin/recognition/notice/{notice.pk}/change/"
    data = change_form_post(admin_client.get(url))
    data |= {
        "clauses-TOTAL_FORMS": 1,
        "clauses-0-order": "5",
        "clauses-0-anchor": "mine",
        "clauses-0-level": 1,
        "clauses-0-numbering": "一、",
        "clauses-0-heading": "标题",
        "clauses-0-text": "",
        "clauses-0-label": "",
        "clauses-0-notice": notice.pk,
    }
    assert admin_client.post(url, data).status_code == 302
    assert list(Clause.objects.filter(notice=notice).values_list("order", "anchor")) == [(5, "mine")]


def test_the_rule_number_is_the_attachments_serial_only_when_the_notice_has_one(admin_client):
    first = Notice.objects.get(number="人社厅发〔2026〕1号")
    form = admin_client.get(f"{RULES}add/", {"notice": first.pk}).context["adminform"].form
    assert form.fields["serial"].label == "附件序号"
    assert form.initial["serial"] == 8
    provincial = load_provincial()
    form = admin_client.get(f"{RULES}add/", {"notice": provincial.pk}).context["adminform"].form
    assert form.fields["serial"].label == "序号"
    assert form.initial["serial"] == 4


def test_a_blank_serial_gets_the_next_number(admin_client):
    response = admin_client.post(f"{RULES}add/", new_rule_data(serial=""))
    assert response.status_code == 302, errors(response)
    assert RecognitionRule.objects.filter(notice__number="人社厅发〔2026〕1号", serial=8).exists()


def test_the_rule_list_names_each_rules_notice(admin_client):
    load_provincial()
    page = admin_client.get(RULES).content.decode()
    assert page.count('class="field-notice_number"') == 10
    assert "苏人社发〔2026〕99号" in page and "2026-07-01 至 2026-12-31(含)" in page


@pytest.mark.parametrize(
    ("changing", "today", "expected"),
    [
        ("starting", date(2026, 11, 27), {("苏人社发〔2026〕99号", 1)}),
        ("starting", date(2026, 12, 15), {("苏人社发〔2026〕99号", 3)}),
        ("ending", date(2026, 11, 27), {("苏人社发〔2026〕99号", 2)}),  # 1号 序号3 is replaced in 江苏 only
        ("ending", date(2026, 12, 15), {("苏人社发〔2026〕99号", 2)}),
        ("ending", date(2027, 1, 1), set()),
    ],
)
def test_staff_see_what_starts_or_ends_within_90_days(admin_client, monkeypatch, changing, today, expected):
    load_provincial()
    monkeypatch.setattr("recognition.admin.rules.timezone.localdate", lambda: today)
    response = admin_client.get(RULES, {"changing": changing})
    assert {(rule.notice.number, rule.serial) for rule in response.context["cl"].result_list} == expected


def test_staff_see_the_rows_whose_review_is_due(admin_client, monkeypatch):
    notice = load_provincial()
    rule = RecognitionRule.objects.get(notice=notice, serial=2)
    rule.review_due = date(2026, 11, 1)
    rule.save()
    level = notice.level_equivalences.get()
    level.review_due = date(2027, 1, 1)
    level.save()
    monkeypatch.setattr("recognition.admin.rules.timezone.localdate", lambda: date(2026, 11, 27))
    assert list(admin_client.get(RULES, {"changing": "review"}).context["cl"].result_list) == [rule]
    assert list(admin_client.get(LEVELS, {"changing": "review"}).context["cl"].result_list) == []
    assert list(admin_client.get(LEVELS, {"changing": "starting"}).context["cl"].result_list) == []


def test_each_step_box_links_to_where_its_wording_is_edited(admin_client):
    from recognition.models import Step

    rule = RecognitionRule.objects.get(notice__number="人社厅发〔2026〕1号", serial=1)
    page = admin_client.get(f"{RULES}{rule.pk}/change/").content.decode()
    for step in Step.objects.all():
        assert f'href="/admin/recognition/step/{step.pk}/change/"' in page
    assert page.count('class="step-edit"') == 2 * Step.objects.count()  # waived and remaining


# Preview: every public page, with drafts, for staff only.


def draft_provincial() -> Notice:
    notice = load_provincial()
    notice.publication = "draft"
    notice.save()
    return notice


@pytest.mark.parametrize(
    ("path", "expected", "public_differs"),
    [
        ("/preview/notices/", "苏人社发〔2026〕99号", True),
        ("/preview/notices/test-js-2026-99/", "江苏省电工岗位能力证书(测试)的人员", True),
        ("/preview/matrix/?on=2026-12-15", "苏人社发〔2026〕99号", True),
        ("/preview/certificates/", "江苏省电工岗位能力证书(测试)", False),  # certificates have no drafts
        ("/preview/certificates/js-electrician-post/?on=2026-12-15", "苏人社发〔2026〕99号", True),
        ("/preview/routes/?target=building-electrician&on=2026-12-15", "苏人社发〔2026〕99号", True),
        ("/preview/?held=js-electrician-post&region=32&on=2026-12-15", "苏人社发〔2026〕99号", True),
    ],
)
def test_preview_shows_a_draft_notice_on_every_page_to_staff_only(admin_client, client, path, expected, public_differs):
    draft_provincial()
    response = admin_client.get(path)
    assert response.status_code == 200
    assert expected in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "private" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    public = client.get(path.removeprefix("/preview"))
    if public_differs:
        assert public.status_code == 404 or expected not in public.content.decode()
    assert client.get(path).status_code == 302  # to the admin login


def test_the_admin_links_a_notice_and_a_certificate_to_their_own_preview(admin_client):
    notice = draft_provincial()
    assert 'href="/preview/notices/test-js-2026-99/"' in admin_client.get("/admin/recognition/notice/").content.decode()
    page = admin_client.get(f"/admin/recognition/notice/{notice.pk}/change/").content.decode()
    assert 'href="/preview/notices/test-js-2026-99/"' in page
    certificate = notice.rules.get(serial=2).held
    page = admin_client.get(f"/admin/recognition/certificate/{certificate.pk}/change/").content.decode()
    assert 'href="/preview/certificates/js-electrician-post/"' in page


@pytest.mark.parametrize("path", ["/preview/matrix/", "/preview/notices/rstf-2026-1/", "/preview/certificates/"])
def test_every_preview_page_is_refused_to_staff_in_neither_group(client, django_user_model, path):
    client.force_login(django_user_model.objects.create_user("nobody", is_staff=True))
    assert client.get(path).status_code == 403
