"""A staff member enters a two-clause notice with one rule in the admin, previews it and publishes it."""

import datetime

from django.contrib.auth.models import User
from playwright.sync_api import expect

from recognition.admin.base import clause_name
from recognition.models import Clause, Notice, RecognitionRule, Step
from tests.browser.test_admin_browser import PASSWORD, desktop, editor_group  # noqa: F401 (fixtures)

NUMBER = "测试人社发〔2026〕2号"


def test_staff_enter_a_notice_with_two_clauses_and_a_rule_preview_and_publish_it(site, desktop, editor_group):  # noqa: F811
    page, console_errors = desktop
    editor = User.objects.create_user("bianji", password=PASSWORD, is_staff=True)
    editor.groups.add(editor_group)
    training = Step.objects.get(certificate__slug="low-voltage-electrician", name="安全技术培训")

    page.goto(f"{site}/admin/")
    page.get_by_label("用户名").fill("bianji")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    # The notice, as a draft, with two clauses whose order and anchor are left to be filled in.
    page.goto(f"{site}/admin/recognition/notice/add/")
    page.locator("#id_number").fill(NUMBER)
    page.locator("#id_title").fill("关于扩大电工证书互通互认范围的通知(测试)")
    page.locator("#id_issuers").fill("人力资源社会保障部办公厅\n应急管理部办公厅")
    page.locator("#id_issued_on").fill("2026-10-01")
    for index, (numbering, heading, text) in enumerate(
        [
            ("一、", "扩大互认范围", ""),
            (
                "(一)",
                "高压电工申请低压电工作业操作证。",
                "取得高压电工作业操作证的人员,申请低压电工作业操作证时,可免予安全技术培训。",
            ),
        ]
    ):
        page.locator(".inline-group .add-row a").click()
        page.locator(f"#id_clauses-{index}-level").fill("1" if index == 0 else "2")
        page.locator(f"#id_clauses-{index}-numbering").fill(numbering)
        page.locator(f"#id_clauses-{index}-heading").fill(heading)
        page.locator(f"#id_clauses-{index}-text").fill(text)
    page.get_by_role("button", name="保存并继续编辑").click()
    expect(page.locator(".messagelist")).to_contain_text("成功")
    notice = Notice.objects.get(number=NUMBER)
    assert list(notice.clauses.values_list("order", "anchor", "label")) == [
        (10, "s1", "一、"),
        (20, "s1-1", "一、(一)"),
    ]

    # Its rule: 序号 is filled in, and only this notice's clauses are offered.
    page.goto(f"{site}/admin/recognition/recognitionrule/add/?notice={notice.pk}")
    expect(page.locator("label[for=id_serial]")).to_have_text("序号:")
    expect(page.locator("#id_serial")).to_have_value("1")
    page.locator("#id_held").select_option(label="高压电工作业操作证")
    page.locator("#id_target").select_option(label="低压电工作业操作证")
    page.locator(f'#id_waived input[value="{training.pk}"]').check()
    for name in ("安全技术理论考试", "安全技术实操考试"):
        step = Step.objects.get(certificate__slug="low-voltage-electrician", name=name)
        page.locator(f'#id_remaining input[value="{step.pk}"]').check()
    page.locator("#id_apply_to").select_option(label="应急管理部门")
    offered = page.locator("#id_clause option").all_inner_texts()
    assert [text for text in offered if text.strip("-")] == [clause_name(c) for c in notice.clauses.order_by("order")]
    page.locator("#id_clause").select_option(label=clause_name(Clause.objects.get(notice=notice, anchor="s1-1")))
    page.locator("#id_quote").fill("取得高压电工作业操作证的人员,申请低压电工作业操作证时,可免予安全技术培训。")
    page.locator("#id_valid_from").fill("2026-10-01")
    page.locator("#id_publication").select_option("published")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("成功")
    rule = RecognitionRule.objects.get(notice=notice)
    assert rule.serial == 1 and rule.valid_from == datetime.date(2026, 10, 1)

    # Preview shows it to staff; the public does not see it while the notice is a draft.
    answer = "#card-low-voltage-electrician"  # the card for applying for 低压电工
    page.goto(f"{site}/preview/?held=high-voltage-electrician")
    expect(page.locator(answer)).to_be_visible()
    expect(page.locator(answer)).to_contain_text("可以不参加安全技术培训")
    page.goto(f"{site}/?held=high-voltage-electrician")
    expect(page.locator(answer)).to_have_count(0)

    # Publishing the notice makes it public at once.
    page.goto(f"{site}/admin/recognition/notice/")
    page.locator(f'input[name="_selected_action"][value="{notice.pk}"]').check()
    page.locator("select[name=action]").select_option("publish")
    page.locator("button[name=index]").click()
    expect(page.locator(".messagelist")).to_contain_text("已发布")
    page.goto(f"{site}/?held=high-voltage-electrician")
    page.reload()  # the browser may keep the draft-time answer for the public max-age; asking again revalidates
    expect(page.locator(answer)).to_contain_text("可以不参加安全技术培训")
    assert console_errors == []


def test_the_rule_list_with_two_notices_fits_1366_pixels(site, browser, editor_group):  # noqa: F811
    import json
    from pathlib import Path

    from recognition.notice_files import packages

    packages.load(json.loads((Path(__file__).parent.parent / "data" / "provincial-notice.json").read_text()))
    editor = User.objects.create_user("bianji", password=PASSWORD, is_staff=True)
    editor.groups.add(editor_group)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(f"{site}/admin/")
    page.get_by_label("用户名").fill("bianji")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"{site}/admin/recognition/recognitionrule/")
    expect(page.locator("td.field-notice_number").first).to_be_visible()
    widths = page.evaluate("[document.documentElement.scrollWidth, document.querySelector('#result_list').scrollWidth]")
    context.close()
    assert widths[0] <= 1366, widths
