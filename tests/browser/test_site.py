"""What only a browser shows: HTMX updates, Back, no-JavaScript, printing, accessibility."""

import io

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.test_engine import ALL


@pytest.fixture
def console_errors(page):
    """Errors the page logs (a CSP refusal, a failed script or asset) fail the test.

    The status of an error page's own document (400, 404) is logged too; that one is expected.
    """
    errors = []

    def on_console(message):
        if message.type == "error" and message.location.get("url") != page.url:
            errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield errors
    assert errors == []


def check_box(page, name):
    return page.get_by_role("checkbox", name=name, exact=True)


def results_text(page) -> str:
    return page.locator("#results").inner_text()


def results_all_text(page) -> str:
    """The results' text, closed disclosures included."""
    return page.locator("#results").text_content()


def test_ticking_boxes_updates_results_in_place_and_the_address_follows(site, page, console_errors):
    page.goto(site + "/")
    page.evaluate("window.__noReload = true")
    check_box(page, "熔化焊接与热切割作业特种作业操作证").check()
    page.wait_for_url("**/?held=fusion-welding-cutting*")
    page.locator("#results .results").wait_for()
    assert "申请建筑焊工操作证:可以不参加安全作业培训" in results_text(page)
    expect(page).to_have_title("查询结果:熔化焊接与热切割作业操作证 - 证书互认查询")
    expect(page.locator("#result-summary")).to_have_text("申请 2 种证书时可减免部分培训或考试,须满足所列条件。看结果")
    check_box(page, "特种设备焊接操作人员证书").check()
    page.wait_for_url("**held=special-equipment-welder*")
    # Holding both, only fusion welding -> building welder (序号4) is left to waive.
    expect(page.locator("#results")).not_to_contain_text("附件序号5")
    expect(page.locator("#results .card")).to_have_count(1)
    expect(page.locator("#result-summary")).to_contain_text("申请 1 种证书时可减免部分培训或考试")
    assert "附件序号4" in results_all_text(page) and "附件序号7" not in results_all_text(page)
    assert page.evaluate("window.__noReload") is True  # updated in place, not reloaded
    page.get_by_label("申请地区(可不选)").select_option("44")
    page.wait_for_url("**region=44*")
    expect(page.locator("#chosen-line")).to_have_text(
        "您持有:熔化焊接与热切割作业操作证、特种设备焊接操作人员证;地区:广东省"
    )


def test_back_restores_previous_results_and_ticked_boxes(site, page, console_errors):
    page.goto(site + "/")
    check_box(page, "低压电工作业特种作业操作证").check()
    page.wait_for_url("**/?held=low-voltage-electrician*")
    check_box(page, "建筑焊工特种作业操作证").check()
    page.wait_for_url("**held=building-welder*")
    expect(page.locator("#results")).to_contain_text("附件序号6")
    page.go_back()
    expect(page.locator("#results")).not_to_contain_text("附件序号6")
    assert page.url.endswith("/?held=low-voltage-electrician")  # no empty region= or on=
    assert check_box(page, "低压电工作业特种作业操作证").is_checked()
    assert not check_box(page, "建筑焊工特种作业操作证").is_checked()
    assert "附件序号1" in results_all_text(page)
    page.go_back()
    expect(page.locator("#results")).to_contain_text("请在上方勾选")
    assert not check_box(page, "低压电工作业特种作业操作证").is_checked()
    page.go_forward()
    expect(page.locator("#results")).to_contain_text("附件序号1")
    assert check_box(page, "低压电工作业特种作业操作证").is_checked()


def test_the_site_works_without_javascript(site, browser):
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(site + "/")
        check_box(page, "建筑电工特种作业操作证").check()
        page.get_by_role("button", name="查看结果").click()
        page.wait_for_url("**/?held=building-electrician")  # the short address, without region= and on=
        assert "申请低压电工作业操作证:可以不参加安全技术培训" in page.locator("#results").inner_text()
        page.locator("#picker-fold > summary").click()  # 修改: the folded picker opens without a script
        assert check_box(page, "建筑电工特种作业操作证").is_checked()
        page.goto(site + "/routes/")
        page.get_by_role("radio", name="熔化焊接与热切割作业特种作业操作证").check()
        page.get_by_role("button", name="查看途径").click()
        assert "取得熔化焊接与热切割作业特种作业操作证的途径" in page.content()
    finally:
        context.close()


def pdf_pages(page, url) -> int:
    page.goto(url)
    return len(PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True))).pages)


@pytest.mark.parametrize("slug", ALL)
def test_a_one_certificate_result_prints_on_one_a4_page(site, page, slug):
    assert pdf_pages(page, f"{site}/?held={slug}&region=11") == 1


def test_heavy_results_print_on_at_most_two_pages(site, page):
    assert pdf_pages(page, site + "/?" + "&".join(f"held={slug}" for slug in ALL)) <= 2
    # The most recognitions at once: four rows (1, 2, 6, 7) and four levels.
    heavy = ["low-voltage-electrician", "high-voltage-electrician", "building-welder", "special-equipment-welder"]
    assert pdf_pages(page, site + "/?" + "&".join(f"held={slug}" for slug in heavy)) <= 2


def test_print_shows_what_a_printed_result_needs(site, page):
    page.goto(site + "/?held=fusion-welding-cutting")
    page.emulate_media(media="print")
    assert not page.locator("#picker").is_visible()
    assert not page.locator(".site-header").is_visible()
    printed = page.locator("#results").inner_text()
    for needed in [
        "人社厅发〔2026〕1号",
        "熔化焊接与热切割作业特种作业操作证",
        "打印日期",
        "规则版本",
        "本页网址",
        "为准",
    ]:
        assert needed in printed
    qr = page.locator(".print-qr img")
    assert qr.is_visible() and qr.evaluate("img => img.complete && img.naturalWidth > 0")
    smallest = page.evaluate(
        """() => Math.min(...[...document.querySelectorAll('#results *')]
              .filter(el => el.offsetParent !== null && el.childNodes.length
                      && [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
              .map(el => parseFloat(getComputedStyle(el).fontSize)))"""
    )
    assert smallest >= 14  # 10.5 pt
    family = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "Noto Sans CJK SC" in family


def test_usable_at_320_pixels_without_sideways_scrolling(site, browser):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    try:
        for path in [
            "/",
            "/?held=fusion-welding-cutting&held=building-welder",
            "/routes/?target=building-welder",
            "/notices/rstf-2026-1/",
        ]:
            page.goto(site + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
    finally:
        context.close()


AXE_PAGES = [
    "/",
    "/?held=fusion-welding-cutting&region=11",
    "/?held=low-voltage-electrician&held=building-electrician",
    "/routes/",
    "/routes/?target=building-welder",
    "/routes/?target=building-welder&region=11",
    "/matrix/",
    "/notices/",
    "/notices/rstf-2026-1/",
    "/api/",
    "/certificates/building-welder/",
    "/certificates/?q=焊工证",
    "/?held=electrician",
    "/no-such-page/",
]


@pytest.mark.parametrize("path", AXE_PAGES)
def test_axe_finds_no_violations(site, page, path, console_errors):
    response = page.goto(site + path)
    assert response.status in {200, 400, 404}
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_axe_finds_no_violations_after_an_htmx_update(site, page, console_errors):
    page.goto(site + "/")
    check_box(page, "高压电工作业特种作业操作证").check()
    page.wait_for_url("**held=high-voltage-electrician*")
    page.locator("#results .results").wait_for()
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
