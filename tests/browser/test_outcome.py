"""The worker's answer first: on a phone the outcome comes before the picker, and the cards stay short."""

import itertools

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.test_engine import ALL, in_picker_order

PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
SHARED_LINK = "/?held=low-voltage-electrician&held=fusion-welding-cutting"


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1280"])
def test_a_shared_link_shows_the_first_outcome_in_the_first_screen(site, browser, javascript, viewport):
    context = browser.new_context(locale="zh-CN", viewport=viewport, java_script_enabled=javascript)
    page = context.new_page()
    try:
        page.goto(site + SHARED_LINK)
        first = page.locator("#results .card").first
        box = first.bounding_box()
        assert box["y"] + box["height"] <= viewport["height"], box
        assert "申请建筑电工操作证:可以不参加安全作业培训" in first.inner_text()
        # The picker is one line saying what was chosen, with a 修改 control that works without a script.
        assert not page.locator("#picker").is_visible()
        page.locator("#picker-fold > summary").click()
        assert page.get_by_role("checkbox", name="低压电工作业特种作业操作证", exact=True).is_checked()
    finally:
        context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_shared_routes_link_shows_the_first_route_in_the_first_screen(site, browser, javascript):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, java_script_enabled=javascript)
    page = context.new_page()
    try:
        page.goto(site + "/routes/?target=building-welder")
        first = page.locator("#routes-results .recognition").first
        box = first.bounding_box()
        assert box["y"] < PHONE["height"], box
        assert not page.locator("#target-picker").is_visible()
        expect(page.locator("#target-line")).to_have_text("我想取得:建筑焊工操作证")
        page.locator("#target-fold > summary").click()
        assert page.get_by_role("radio", name="建筑焊工特种作业操作证", exact=True).is_checked()
    finally:
        context.close()


def test_choosing_a_region_on_the_routes_page_decides_its_conditions(site, page):
    page.goto(site + "/routes/?target=building-welder")
    page.locator("#target-fold > summary").click()
    page.locator("#target-picker summary", has_text="申请地区").click()
    page.get_by_label("申请地区(可不选)").select_option("11")
    page.wait_for_url("**region=11*")
    expect(page.locator("#target-line")).to_have_text("我想取得:建筑焊工操作证;地区:北京市")
    # Nobody has entered whether 北京市 issues 建筑焊工 certificates: the site says so, and who to ask.
    expect(page.locator("#routes-results")).to_contain_text("北京市的发证情况尚未录入")
    results = Axe().run(page)  # the picker open, after an HTMX update
    assert results.violations_count == 0, results.generate_report()


def test_ticking_keeps_the_picker_where_it_is(site, page):
    page.goto(site + "/")
    assert page.locator("#picker").is_visible()
    page.get_by_role("checkbox", name="建筑电工特种作业操作证", exact=True).check()
    page.wait_for_url("**held=building-electrician*")
    page.locator("#results .card").first.wait_for()
    assert page.locator("#picker").is_visible()
    assert page.locator("#chosen-line").text_content() == "您持有:建筑电工操作证"


THREE = list(itertools.combinations(ALL, 3))


def test_any_three_certificates_fit_in_three_phone_screens_with_the_cards_closed(site, phone):
    heights = {}
    for held in THREE:
        phone.goto(site + "/?" + "&".join(f"held={slug}" for slug in in_picker_order(held)))
        top = phone.locator("#results-heading").bounding_box()["y"]
        cards = phone.locator("#results .card")
        end = cards.last.bounding_box() if cards.count() else phone.locator("#results .nothing").bounding_box()
        heights[held] = end["y"] + end["height"] - top
        assert phone.locator("#results details[open]").count() == 0
    assert max(heights.values()) <= 3 * PHONE["height"], max(heights.items(), key=lambda item: item[1])


def test_the_disclosure_opens_with_the_keyboard(site, page):
    page.goto(site + SHARED_LINK)
    summary = page.locator("#results .card-more > summary").first
    details = page.locator("#results .card-more").first
    # The conditions stand with the outcome, outside the fold; the fold holds where to apply and the quotes.
    conditions = page.locator("#results .card .outcome-line .conditions").first
    assert conditions.is_visible() and "需确认" in conditions.inner_text()
    where = details.locator(".outcome-detail p").first
    assert not where.is_visible()
    summary.focus()
    page.keyboard.press("Enter")
    assert details.evaluate("d => d.open") is True
    assert where.is_visible() and where.inner_text().startswith("受理:")
    page.keyboard.press("Space")
    assert details.evaluate("d => d.open") is False
    # The quote sits one more tap away, behind the visible clause label.
    page.keyboard.press("Enter")
    quote = details.locator(".quote").first
    assert quote.locator("summary").inner_text().startswith("依据:人社厅发〔2026〕1号 一、(一)")
    assert not quote.locator("q").is_visible()
    quote.locator("summary").focus()
    page.keyboard.press("Enter")
    assert quote.locator("q").is_visible()


def test_the_disclosure_opens_with_a_tap(site, phone):
    phone.goto(site + SHARED_LINK)
    details = phone.locator("#results .card-more").first
    details.locator(":scope > summary").tap()
    assert details.evaluate("d => d.open") is True
    assert details.locator(".next-steps").is_visible()
    assert "12345" in details.locator(".next-steps").inner_text()


def test_the_region_question_folds_away_when_nothing_depends_on_it(site, page):
    page.goto(site + "/?held=low-voltage-electrician")
    page.locator("#picker-fold > summary").click()
    assert not page.get_by_label("申请地区(可不选)").is_visible()
    page.get_by_role("checkbox", name="熔化焊接与热切割作业特种作业操作证", exact=True).check()
    page.wait_for_url("**held=fusion-welding-cutting*")
    page.get_by_label("申请地区(可不选)").wait_for()
    assert "判断建筑焊工操作证在该地区是否颁发" in page.locator("#region-hint").inner_text()


def test_a_loading_indicator_shows_while_htmx_updates(site, page):
    page.goto(site + "/")
    indicator = page.locator("#loading")
    assert not indicator.is_visible()
    held_back = []
    page.route("**/?held=*", lambda route: held_back.append(route))  # the answer waits until the indicator was seen
    page.get_by_role("checkbox", name="建筑电工特种作业操作证", exact=True).check()
    expect(indicator).to_be_visible()
    # Written into the status region now, so that a screen reader reads it out.
    expect(indicator).to_have_text("正在更新结果…")
    assert page.locator("#results .card").count() == 0
    held_back[0].continue_()
    page.locator("#results .card").first.wait_for()
    expect(indicator).to_be_hidden()
    expect(indicator).to_have_text("")


def test_the_print_control_is_visible_and_prints(site, page):
    page.goto(site + SHARED_LINK)
    page.evaluate("window.print = () => { window.__printed = true; }")
    button = page.get_by_role("button", name="打印")
    assert button.is_visible()
    button.click()
    assert page.evaluate("window.__printed") is True
    for path in ["/routes/?target=building-welder", "/certificates/building-welder/"]:
        page.goto(site + path)
        assert page.get_by_role("button", name="打印").is_visible(), path


AXE_STATES = [
    SHARED_LINK,
    "/?held=fusion-welding-cutting&region=31",
    "/routes/?target=special-equipment-welder",
    "/certificates/special-equipment-welder/",
    "/?held=nope",
    "/certificates/nope/",
]


@pytest.mark.parametrize("path", AXE_STATES)
def test_axe_finds_no_violations_with_every_card_open(site, page, path):
    page.goto(site + path)
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_axe_finds_no_violations_on_a_phone_with_the_picker_folded(site, phone):
    phone.goto(site + SHARED_LINK)
    results = Axe().run(phone)
    assert results.violations_count == 0, results.generate_report()


def test_the_matrix_reads_without_sideways_scrolling_on_a_phone_and_unsqueezed_on_a_desktop(site, browser):
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(site + "/matrix/")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        scroller = page.locator(".table-scroll")
        assert scroller.evaluate("el => el.scrollWidth <= el.clientWidth")
        first = page.locator(".matrix tbody tr").first
        assert first.bounding_box()["width"] <= PHONE["width"]
        page.set_viewport_size(DESKTOP)
        page.goto(site + "/matrix/")
        cite = page.locator(".matrix tbody tr").first.locator("td").nth(7)  # 减免依据: 人社厅发〔2026〕1号 一、(一)
        line_height = float(cite.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)"))
        padding = float(cite.evaluate("el => parseFloat(getComputedStyle(el).paddingTop) * 2"))
        link = cite.locator("a").bounding_box()
        assert link["height"] < 2 * line_height, (link, line_height, padding)  # 一、(一) on one line
    finally:
        context.close()
