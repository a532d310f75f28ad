"""A staff member edits a rule in the admin in real Chromium, and the public result page follows."""

import pytest
import tablib
from django.contrib.auth.models import Group, Permission, User
from playwright.sync_api import expect

from recognition.models import RecognitionRule, Step
from recognition.staff import roles
from recognition.staff.resources import COLUMNS, RecognitionRuleResource

PASSWORD = "Ein-langes-Passwort-2026"


@pytest.fixture
def editor_group(site):
    """The 规则编辑 group as migration 0002 makes it: an earlier live-server test flushed every table."""
    roles.set_up_groups(Group, Permission)
    return Group.objects.get(name=roles.EDITOR)


@pytest.fixture
def desktop(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []

    def on_console(message):
        # The admin's pages name no icon, so Chromium asks for /favicon.ico and logs its 404.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page, errors
    context.close()


def test_staff_change_a_rules_waived_steps_and_the_public_page_shows_it(site, desktop, page, editor_group):
    staff_page, console_errors = desktop
    public_page = page
    editor = User.objects.create_user("bianji", password=PASSWORD, is_staff=True)
    editor.groups.add(editor_group)
    rule = RecognitionRule.objects.get(serial=4)  # 熔化焊接与热切割 → 建筑焊工
    step = {s.name: s.pk for s in Step.objects.filter(certificate=rule.target)}
    other_certificates_step = Step.objects.get(certificate__slug="low-voltage-electrician", name="安全技术培训")

    public_page.goto(f"{site}/?held=fusion-welding-cutting")
    headline = public_page.locator("#card-building-welder")
    expect(headline).to_have_text("申请建筑焊工操作证:可以不参加安全作业培训,直接参加考核")

    page = staff_page
    page.goto(f"{site}/admin/")
    page.get_by_label("用户名").fill("bianji")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="互认规则", exact=True).first.click()
    page.get_by_role("link", name="熔化焊接与热切割作业操作证").first.click()
    expect(page).to_have_url(f"{site}/admin/recognition/recognitionrule/{rule.pk}/change/")

    # Only the target certificate's steps are offered; another certificate's are hidden by the script.
    expect(page.locator(f'#id_waived input[value="{other_certificates_step.pk}"]')).to_be_hidden()
    expect(page.locator(f'#id_waived input[value="{step["安全技术理论考核"]}"]')).to_be_visible()
    page.locator(f'#id_waived input[value="{step["安全技术理论考核"]}"]').check()
    page.locator(f'#id_remaining input[value="{step["安全技术理论考核"]}"]').uncheck()
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("成功")

    # The visitor's browser may keep the page for the public max-age; asking again
    # (a reload revalidates its ETag) gets the new answer at once.
    public_page.reload()
    expect(headline).to_have_text(
        "申请建筑焊工操作证:可以不参加安全作业培训和安全技术理论考核,直接参加安全操作技能考核"
    )
    assert console_errors == []


def test_the_import_preview_highlights_a_one_character_change_under_the_csp(site, desktop, editor_group):
    """The library's diff used inline styles, which the Content-Security-Policy blocked (a console error)."""
    page, console_errors = desktop
    editor = User.objects.create_user("daoru", password=PASSWORD, is_staff=True)
    editor.groups.add(editor_group)
    dataset = RecognitionRuleResource().export()
    quote = list(COLUMNS).index("quote")
    rows = [list(row) for row in dataset]
    rows[0][quote] = f"{rows[0][quote]}。"
    content = tablib.Dataset(*rows, headers=dataset.headers).export("csv").encode("utf-8-sig")

    page.goto(f"{site}/admin/login/?next=/admin/recognition/recognitionrule/import/")
    page.get_by_label("用户名").fill("daoru")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.locator('input[type="file"]').set_input_files(
        files=[{"name": "rules.csv", "mimeType": "text/csv", "buffer": content}]
    )
    page.locator("#id_format").select_option("0")
    page.locator('input[type="submit"]').first.click()

    inserted = page.locator("ins.diff-ins", has_text="。")
    expect(inserted).to_be_visible()
    background = inserted.evaluate("node => getComputedStyle(node).backgroundColor")
    assert background == "rgb(182, 236, 182)"  # static/css/admin-import.css, allowed by the policy
    expect(page.get_by_text("修改 1 行")).to_be_visible()
    assert console_errors == []


def test_two_editors_on_one_rule_the_second_save_is_refused_and_keeps_its_input(site, browser, editor_group):
    pages = []
    for name in ("zhang", "li"):
        User.objects.create_user(name, password=PASSWORD, is_staff=True).groups.add(editor_group)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{site}/admin/login/")
        page.get_by_label("用户名").fill(name)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        pages.append(page)
    first, second = pages
    rule = RecognitionRule.objects.get(serial=1)
    url = f"{site}/admin/recognition/recognitionrule/{rule.pk}/change/"
    first.goto(url)
    second.goto(url)

    first.locator("#id_apply_to_detail").fill("张的受理说明")
    first.get_by_role("button", name="保存", exact=True).click()
    expect(first.locator(".messagelist")).to_contain_text("成功")
    second.locator("#id_quote").fill("李改过的依据原文")
    second.get_by_role("button", name="保存", exact=True).click()

    refusal = second.locator(".errornote, .errorlist.nonfield").filter(has_text="没有保存")
    expect(refusal).to_contain_text("zhang 于")
    expect(refusal).to_contain_text("受理部门说明")
    expect(refusal.get_by_role("link", name="修改历史")).to_have_attribute(
        "href", f"/admin/recognition/recognitionrule/{rule.pk}/history/"
    )
    expect(second.locator("#id_quote")).to_have_value("李改过的依据原文")
    rule.refresh_from_db()
    assert rule.apply_to_detail == "张的受理说明"
    assert rule.quote != "李改过的依据原文"
    for page in pages:
        page.context.close()
