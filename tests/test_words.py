"""Every word a worker reads and carries away is true to the notice (issue 16, review words-2026-12).

The pages are read as text, on screen and as the print stylesheet leaves them (tests/text.py), and
checked against expectations written here from the notice's own sentences, never read back from the
fixtures they check. Each test names the findings (A1–A31) it holds.
"""

from __future__ import annotations

import csv
import importlib
import io
import re

import pytest
from django.apps import apps

from recognition.models import Certificate, Issuance, Notice, ReferenceFact
from recognition.rules import engine, snapshot
from tests.test_engine import (
    ALL,
    ALL_COMBINATIONS,
    B_ELEC,
    B_WELD,
    FUSION,
    HIGH,
    LOW,
    NOTICE_ROWS,
    SPECIAL,
    in_picker_order,
)
from tests.text import lines, text

pytestmark = pytest.mark.django_db

SHORT = {
    LOW: "低压电工作业操作证",
    HIGH: "高压电工作业操作证",
    B_ELEC: "建筑电工操作证",
    FUSION: "熔化焊接与热切割作业操作证",
    B_WELD: "建筑焊工操作证",
    SPECIAL: "特种设备焊接操作人员证",
}
NAMES = {
    LOW: "低压电工作业特种作业操作证",
    HIGH: "高压电工作业特种作业操作证",
    B_ELEC: "建筑电工特种作业操作证",
    FUSION: "熔化焊接与热切割作业特种作业操作证",
    B_WELD: "建筑焊工特种作业操作证",
    SPECIAL: "特种设备焊接操作人员证书",
}
CLAUSES = {"s1-1": "一、(一)", "s1-2": "一、(二)"}

# Each row in the notice's words (一、(一), 一、(二)): 考核 and 安全技术考试 stay one item, as the notice
# names them; 序号7 waives the theory part, so its parts are named; 序号5 has no 直接.
NOTICE_WORDS = {
    1: "可以不参加安全作业培训,直接参加考核",
    2: "可以不参加安全作业培训,直接参加考核",
    3: "可以不参加安全技术培训,直接参加安全技术考试",
    4: "可以不参加安全作业培训,直接参加考核",
    5: "可以不参加动火作业安全管理考试,参加其他相关内容要求的考试",
    6: "可以不参加安全技术培训,直接参加安全技术考试",
    7: "可以不参加安全技术培训和安全技术理论考试,直接参加安全技术实操考试",
}
ROW = {(held, target): serial for serial, (held, target, *_) in NOTICE_ROWS.items()}
# The condition every row states (合法有效), and 序号4's place: 向颁发建筑焊工特种作业操作证地区的…申请.
REGION_CONDITION = "申请地区的住房城乡建设主管部门颁发建筑焊工特种作业操作证"


def get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def home(*held: str, region: str | None = None, on: str | None = None) -> str:
    query = "&".join(f"held={slug}" for slug in in_picker_order(held))
    return "/?" + query + (f"&region={region}" if region else "") + (f"&on={on}" if on else "")


def cards(page: str) -> list[str]:
    return re.findall(r'<article class="card[^"]*".*?</article>', page, flags=re.S)


def outcome_blocks(card: str) -> list[str]:
    return re.findall(r'<div class="outcome-line[^"]*">.*?</div>', card, flags=re.S)


def named(block: str) -> list[str]:
    """The certificates an outcome names (凭您的…), by their links."""
    held = re.search(r'<p class="card-held">(.*?)</p>', block, flags=re.S)
    return re.findall(r'href="/certificates/([a-z-]+)/"', held.group(1)) if held else []


def target_of(card: str) -> str:
    return re.search(r'aria-labelledby="card-([a-z-]+)"', card).group(1)


# --- the oracle: every combination, on screen and on paper ------------------------------------------


def check_cards(page: str, held: tuple[str, ...], excluded_targets: frozenset[str] = frozenset()) -> list:
    """Every card's headline against each certificate it names; every printed outcome for its conditions and
    its citation. Returns the problems found."""
    problems = []
    for card in cards(page):
        target = target_of(card)
        headline = text(re.search(r"<h4[^>]*>(.*?)</h4>", card, flags=re.S).group(1))
        # A card whose outcomes are not laid out one by one is read as one outcome (how the check reads the
        # cards of before issue 16, to show that it fails on them).
        blocks = outcome_blocks(card) or [card]
        for index, block in enumerate(blocks):
            certs = named(block)
            on_paper = text(block, "print")
            for cert in certs:
                serial = ROW.get((cert, target))
                if serial is None:
                    problems.append((held, target, f"{cert} has no row for this target"))
                    continue
                words = NOTICE_WORDS[serial]
                if index == 0 and target not in excluded_targets:
                    spared = words.split(",")[0]  # 可以不参加…: what the row waives
                    if not headline.startswith(f"申请{SHORT[target]}:{spared},"):
                        problems.append((held, target, f"headline {headline!r} is not true of {cert} (序号{serial})"))
                    elif headline != f"申请{SHORT[target]}:{words}":
                        problems.append((held, target, f"headline {headline!r} is not in the notice's words"))
                if index > 0 and f":{words}" not in text(block):
                    problems.append((held, target, f"{cert}'s own waiver is not stated with it"))
                if f"所持{NAMES[cert]}" not in on_paper or "合法有效" not in on_paper:
                    problems.append((held, target, f"序号{serial}'s 合法有效 is not printed"))
                if serial == 4 and REGION_CONDITION not in on_paper:
                    problems.append((held, target, "序号4's region condition is not printed"))
                clause = CLAUSES[NOTICE_ROWS[serial][5]]
                cited = re.search(
                    rf"依据:人社厅发〔2026〕1号 {re.escape(clause)},附件序号([\d、]+)\(本站重建\)", on_paper
                )
                if not cited or str(serial) not in cited.group(1).split("、"):
                    problems.append((held, target, f"序号{serial} is not cited on paper with its outcome"))
    return problems


def check_silence(page: str, held: tuple[str, ...]) -> list:
    """The 本通知未规定 list names only pairs no row covers."""
    problems = []
    said = re.search(r"本通知未规定减免:持您所选的证书申请(.*?)。", text(page))
    for target in ALL:
        if said and NAMES[target] in said.group(1) and any((h, target) in ROW for h in held):
            problems.append((held, target, "called silent, but a row covers it"))
    return problems


def test_every_combination_states_only_what_each_certificate_gives_with_its_conditions_on_paper(client):
    """A3, A2, A8: the oracle over all 63 combinations with no region chosen."""
    problems = []
    for held in ALL_COMBINATIONS:
        page = get(client, home(*held))
        problems += check_cards(page, held) + check_silence(page, held)
    assert problems == []


def test_every_combination_in_a_region_that_does_not_issue_building_welder(client):
    """A3, A2 with a region: 上海市 marked as not issuing 建筑焊工, 江苏省 as unknown."""
    Issuance.objects.filter(province__code="31", certificate__slug=B_WELD).update(status=Issuance.Status.NOT_ISSUED)
    Certificate.objects.first().save()  # bumps the data version
    problems = []
    for region in ("31", "32"):
        for held in ALL_COMBINATIONS:
            page = get(client, home(*held, region=region))
            excluded = frozenset({B_WELD}) if region == "31" else frozenset()
            problems += check_cards(page, held, excluded) + check_silence(page, held)
            if region == "31" and FUSION in held and B_WELD not in held:
                assert "申请建筑焊工操作证:上海市不颁发此证" in page
    assert problems == []


def test_the_oracle_catches_a_merged_card():
    """The check fails on the card as it was: one headline, two certificates, only 序号7's waiver."""
    before = (
        '<article class="card" aria-labelledby="card-fusion-welding-cutting"><h4>申请熔化焊接与热切割作业操作证:'
        "可以不参加安全技术培训和安全技术理论考试,直接参加安全技术实操考试</h4>"
        '<div class="outcome-line"><p class="card-held">凭您的<a href="/certificates/special-equipment-welder/">'
        '特种设备焊接操作人员证</a>、<a href="/certificates/building-welder/">建筑焊工操作证</a></p></div></article>'
    )
    problems = check_cards(before, (B_WELD, SPECIAL))
    assert any("is not true of building-welder" in problem[2] for problem in problems)


# --- A3: one card, each certificate with its own waiver ------------------------------------------------


def test_two_certificates_with_different_waivers_are_each_named_with_their_own(client):
    page = get(client, home(B_WELD, SPECIAL))
    [card] = cards(page)
    first, second = outcome_blocks(card)
    assert named(first) == [SPECIAL] and named(second) == [B_WELD]
    assert "另:凭您的建筑焊工操作证:可以不参加安全技术培训,直接参加安全技术考试" in text(second)
    on_paper = text(card, "print")
    assert "附件序号7(本站重建)" in text(first, "print") and "附件序号6(本站重建)" in text(second, "print")
    assert "凭您的特种设备焊接操作人员证、建筑焊工操作证" not in on_paper


# --- A1: the routes page tells the notice's silence from all routes, never from the filtered ones ---


@pytest.mark.parametrize("target", ALL)
def test_routes_with_a_certificate_held_never_call_the_notice_silent_where_it_is_not(client, book, target):
    every = engine.routes(book, target)
    starts = {route.start for route in every.direct + every.indirect}
    for held in [(), *((slug,) for slug in ALL)]:
        url = f"/routes/?target={target}" + "".join(f"&held={slug}" for slug in in_picker_order(held))
        words = text(get(client, url))
        silent_direct = f"本通知未规定哪种证书可以直接减免{NAMES[target]}的培训或考试。"
        assert (silent_direct in words) == (not every.direct), url
        listed = re.search(rf"本通知未规定以下证书可以缩短取得{re.escape(NAMES[target])}的路:(.*?)。", words)
        for slug in starts:
            assert not (listed and NAMES[slug] in listed.group(1)), (url, slug)
        if held and target not in held and every.direct and not any(r.start in held for r in every.direct):
            assert f"您持有的证书都不能直接减免{NAMES[target]}的培训或考试" in words, url


def test_the_review_s_routes_examples(client):
    words = text(get(client, "/routes/?target=fusion-welding-cutting&held=low-voltage-electrician"))
    assert "现行通知没有规定哪种证书可以直接减免" not in words
    assert "您持有的证书都不能直接减免熔化焊接与热切割作业特种作业操作证的培训或考试" in words
    listed = re.search(r"本通知未规定以下证书可以缩短取得熔化焊接与热切割作业特种作业操作证的路:(.*?)。", words)
    assert NAMES[B_WELD] not in listed.group(1) and NAMES[SPECIAL] not in listed.group(1)
    words = text(get(client, "/routes/?target=building-welder&held=special-equipment-welder&region=32"))
    listed = re.search(r"本通知未规定以下证书可以缩短取得建筑焊工特种作业操作证的路:(.*?)。", words)
    assert NAMES[FUSION] not in listed.group(1)


# --- A19: a day before the notice: not issued yet, not silent ----------------------------------------


def test_a_day_before_the_notice_says_it_had_not_been_issued(client):
    words = text(get(client, home(LOW, on="2025-06-01")))
    assert "2025年6月1日没有施行中的通知:人社厅发〔2026〕1号当时尚未印发" in words
    assert "这一天没有适用的减免和技能等级规定" in words
    for wrong in ("本通知未规定", "通知没有对这些组合作出规定", "视同达到技能等级", "本结果依据整理", "依据:\n"):
        assert wrong not in words
    on_paper = text(get(client, home(LOW, on="2025-06-01")), "print")
    assert "依据:2025年6月1日没有施行中的通知" in on_paper and "这一天没有施行中的通知,仅供参考" in on_paper
    routes = text(get(client, "/routes/?target=building-electrician&on=2025-06-01"))
    assert "人社厅发〔2026〕1号当时尚未印发" in routes and "本通知未规定" not in routes
    certificate = text(get(client, "/certificates/low-voltage-electrician/?on=2025-06-01"))
    assert "人社厅发〔2026〕1号当时尚未印发" in certificate and "本通知未规定" not in certificate


def test_a_pair_covered_only_on_other_days_is_told_with_its_days(client, book):
    """A19: a rule not in force on the day is named with its period, not called silent."""
    words = text(get(client, home(LOW, on="2025-06-01")))
    assert "持有低压电工作业操作证申请建筑电工操作证:人社厅发〔2026〕1号 一、(一),附件序号1(本站重建)" in words
    assert "适用期间:2026年1月9日起" in words


# --- A2, A14, A15, A31: the printout -----------------------------------------------------------------


def test_the_printout_carries_the_region_condition_and_where_to_apply_for_row_4(client):
    on_paper = text(get(client, home(FUSION, region="32")), "print")
    assert REGION_CONDITION in on_paper and "合法有效" in on_paper
    assert "受理:颁发建筑焊工特种作业操作证地区的住房城乡建设主管部门" in on_paper
    assert "向颁发建筑焊工特种作业操作证地区的住房城乡建设主管部门" in on_paper


def test_the_print_stylesheet_hides_no_condition(client):
    """A2: what the conditions sit in is not hidden in print; the fold holds only what prints elsewhere."""
    page = get(client, home(FUSION))
    fold = re.findall(r'<details class="card-more">.*?</details>\s*</article>', page, flags=re.S)
    assert fold and not any('<ul class="conditions">' in part for part in fold)
    assert all('<ul class="conditions">' in block for card in cards(page) for block in outcome_blocks(card))


def test_printed_next_steps_name_the_certificate_each_link_verifies_and_carry_their_sources(client):
    on_paper = text(get(client, home(B_ELEC)), "print")
    assert "核验您所持的证书:建筑电工操作证 https://zlaq.mohurd.gov.cn/" in on_paper
    assert "核验证书 https://cx.mem.gov.cn/" not in on_paper  # the department applied to is not the one held
    [sources] = [line for line in lines(get(client, home(B_ELEC)), "print") if line.startswith("以上办理信息")]
    assert "不是通知的内容" in sources and "以受理部门的规定为准" in sources
    assert "多个公开页面(二手资料)" in sources  # the 住建 verification fact's own source


def test_nothing_on_paper_says_click(client):
    for held in ALL_COMBINATIONS:
        assert "点击" not in text(get(client, home(*held)), "print")


def test_on_screen_each_verification_is_for_a_named_certificate_with_its_source(client):
    card = cards(get(client, home(B_ELEC)))[0]
    assert "您所持的建筑电工操作证(住房城乡建设部门):" in text(card)
    assert "核验信息来源:" in text(card) and "多个公开页面(二手资料)" in text(card)


# --- A4, A24: next steps and the summary --------------------------------------------------------------


def test_no_next_step_adds_local_and_row_4_names_the_issuing_region(client):
    for held in ALL_COMBINATIONS:
        for line in re.findall(r'<p class="card-next">(.*?)</p>', get(client, home(*held))):
            assert "当地" not in line, line
    page = get(client, home(FUSION))
    assert "下一步:向颁发建筑焊工特种作业操作证地区的住房城乡建设主管部门申请" in text(page)


def test_the_summary_says_what_is_waived_and_that_conditions_apply(client):
    page = get(client, home(FUSION))
    summary = re.search(r'<p id="result-summary" class="summary">(.*?)<a', page).group(1)
    assert summary == "申请 2 种证书时可减免部分培训或考试,须满足所列条件。"
    page = get(client, home(LOW, B_ELEC))
    summary = re.search(r'<p id="result-summary" class="summary">(.*?)<a', page).group(1)
    assert summary == "申请其他证书时,没有可减免的培训或考试。"
    for held in ALL_COMBINATIONS:
        words = text(get(client, home(*held)))
        assert "减免的证书申请" not in words and ",并视同达到技能等级" not in words


# --- A5, A25: the notice's own words -----------------------------------------------------------------


@pytest.mark.parametrize("serial", sorted(NOTICE_ROWS))
def test_each_row_is_said_in_the_notice_s_words_and_the_split_is_labelled(client, serial):
    held, target, *_ = NOTICE_ROWS[serial]
    page = get(client, f"/certificates/{held}/")
    words = text(page)
    assert NOTICE_WORDS[serial] in words
    assert "考核(安全技术理论" not in words and "安全技术考试(安全技术理论" not in words
    if serial in (1, 2, 4):
        assert "考核(通常分为安全技术理论考核、安全操作技能考核;参考,来源:各地培训考核通知(二手资料))" in words
    if serial == 5:
        assert "直接参加其他相关内容要求的考试" not in words


# --- A10, A11: counts the notice does not give ---------------------------------------------------------


def test_routes_claim_no_count_of_exams_the_notice_leaves_open(client):
    words = text(get(client, "/routes/?target=special-equipment-welder"))
    assert "0 项培训" not in words and "只须参加" not in words and "共 3 项" not in words
    assert "凭熔化焊接与热切割作业操作证,比直接申请少参加:动火作业安全管理考试。" in words
    assert "(本站整理的通常环节,参考,以发证部门的规定为准)" in words
    for target in ALL:
        words = text(get(client, f"/routes/?target={target}"))
        assert not re.search(r"\d+ 项培训", words) and "要参加" not in words


@pytest.mark.parametrize("slug", ALL)
def test_every_certificate_page_labels_its_steps_and_its_use_as_reference(client, slug):
    """A11, A13: the usual steps and what the certificate is for carry the 参考 line and the authority."""
    words = text(get(client, f"/certificates/{slug}/"))
    assert "通常的取证环节(参考)" in words and "本站整理的通常环节,仅供参考" in words
    [use] = [line for line in words.split("\n") if line.startswith("这张证用来做什么")]
    assert use.startswith("这张证用来做什么(参考):") and "以发证部门的规定为准" in use and "来源:" in use


def test_building_welder_use_is_limited_to_where_it_is_issued(client):
    """A12."""
    [use] = [line for line in text(get(client, "/certificates/building-welder/")).split("\n") if "用来做什么" in line]
    assert "在颁发此证的地区" in use


# --- A16, A17, A18: readings and what the notice designates ------------------------------------------


def test_the_site_s_readings_are_labelled_and_the_notice_is_not_said_to_designate_osta(client):
    words = text(get(client, home(LOW, HIGH)))
    assert "通知未写明报名条件;本站的理解是以职业技能等级认定机构的公告为准" in words
    assert "通知指定" not in words and "由人力资源社会保障部门备案的" not in words
    assert "等级证书查询(参考,不是通知的内容)" in words
    assert "通知规定持证人员“分别报名”" not in words
    assert "同一职业持有多种证书时,通知未写明按哪一种计;本站的理解是按其中最高的等级计" in words


# --- A22, A9, A6, A8: levels, the matrix and the CSV -------------------------------------------------


def test_level_statements_keep_legal_validity(client):
    for slug in ALL:
        assert f"持有合法有效的{NAMES[slug]},视同达到" in text(get(client, home(slug)))
    matrix = text(get(client, "/matrix/"))
    assert "每一行都以所持证书合法有效为条件" in matrix and "是应急管理部门颁发的合法有效证书" in matrix


def test_matrix_and_csv_cite_the_level_s_own_clause_and_say_where_dates_and_serials_come_from(client):
    page = get(client, "/matrix/")
    assert "可报名中级工(四级)(人社厅发〔2026〕1号 二、(一))" in text(page)
    assert "2026年1月9日起(通知未写明施行日期;本站按印发日起计)" in text(page)
    rows = list(csv.DictReader(io.StringIO(client.get("/matrix.csv").content.decode("utf-8-sig"))))
    assert len(rows) == 7
    for row in rows:
        assert row["技能等级依据条款"] == "人社厅发〔2026〕1号 二、(一)"
        assert row["依据条款"] in ("人社厅发〔2026〕1号 一、(一)", "人社厅发〔2026〕1号 一、(二)")
        assert row["施行日期"] == "2026-01-09" and row["施行日期依据"] == "通知未写明施行日期;本站按印发日起计"
        assert "本站按通知正文的先后重建" in row["序号说明"]
    assert rows[0]["仍须参加"].startswith("考核(通常分为安全技术理论考核、安全操作技能考核;参考")


def test_notice_pages_lead_with_the_fact_that_no_date_is_stated(client):
    for url in ("/notices/", "/notices/rstf-2026-1/"):
        words = text(get(client, url))
        assert "通知未写明施行日期;本站按印发日(2026年1月9日)起计" in words and "自印发之日起" not in words


def test_every_cited_serial_is_labelled_as_the_site_s_reconstruction(client):
    for url in (home(FUSION), "/certificates/fusion-welding-cutting/", "/routes/?target=building-welder"):
        words = text(get(client, url)) + text(get(client, url), "print")
        assert re.findall(r"附件序号\d+(?!、|\d|\(本站重建\))", words) == [], url


# --- A7, A23, A26, A27, A29, A30, A20: the other pages' words ------------------------------------------


def test_the_notice_page_invents_no_attachment_title_and_keeps_row_4_s_place(client):
    words = text(get(client, "/notices/rstf-2026-1/"))
    assert "职业资格证书互通互认及比照认定对照表" not in words
    assert "附件(标题未随网页转载)" in words
    row_4 = "附件序号4(本站重建):持有熔化焊接与热切割作业操作证,向颁发建筑焊工特种作业操作证地区的住房城乡建设主管部门"
    assert row_4 + "申请建筑焊工操作证时,可免予安全作业培训" in words


def test_the_home_intro_states_the_rows_not_the_general_principle(client):
    words = text(get(client, "/"))
    assert "申请另一部门的对应证书时" not in words
    assert "未列出的组合,通知未规定减免" in words


def test_no_page_says_more_than_the_notice_about_its_scope_or_its_future(client):
    words = text(get(client, "/certificates/?q=驾驶证"))
    assert "通知只涉及" not in words and "本站收录的是通知互认规定所列的6种电工、焊工证书" in words
    for held in ALL_COMBINATIONS:
        assert "逐步扩大" not in text(get(client, home(*held)))


def test_no_everyday_name_is_a_phrase_rather_than_a_name(client):
    assert "持证上岗证" not in text(get(client, "/")) and "持证上岗证" not in text(get(client, "/certificates/"))


def test_a_region_check_is_promised_only_where_the_site_can_make_it(client):
    """A20: with no region's issuance recorded, choosing a region decides nothing; once one is, it does."""
    words = text(get(client, home(FUSION)))
    assert "本站尚未录入各地的发证情况,请向申请地区的住房城乡建设主管部门确认" in words
    assert "选择申请地区后可以判断" not in words
    routes = text(get(client, "/routes/?target=building-welder"))
    assert "只适用于某省的通知" not in routes and "选择地区后这些条件会直接判断" not in routes
    Issuance.objects.filter(province__code="44", certificate__slug=B_WELD).update(status=Issuance.Status.ISSUED)
    Certificate.objects.first().save()
    assert "选择申请地区后可以判断" in text(get(client, home(FUSION)))


# --- A21: the API -------------------------------------------------------------------------------------


def test_the_api_says_whether_a_condition_it_could_decide_is_still_open(client):
    body = client.get("/api/v1/lookup?held=fusion-welding-cutting&region=32").json()
    by_serial = {r["serial"]: r for r in body["recognitions"]}
    assert by_serial[4]["applies"] is True and by_serial[4]["decided"] is False
    assert by_serial[5]["decided"] is True  # only 合法有效, which no site can decide
    Issuance.objects.filter(province__code="32", certificate__slug=B_WELD).update(status=Issuance.Status.ISSUED)
    Certificate.objects.first().save()
    body = client.get("/api/v1/lookup?held=fusion-welding-cutting&region=32").json()
    assert {r["serial"]: r["decided"] for r in body["recognitions"]}[4] is True
    routes = client.get("/api/v1/routes?target=building-welder").json()
    assert routes["direct"][0]["steps"][0]["decided"] is False
    docs = get(client, "/api/")
    assert "<code>decided</code>" in docs and "<code>serial_note</code>" in docs and "2026-12(二)" in docs


# --- data shipped before: the migration reaches rows staff have not edited --------------------------


def test_the_migration_rewrites_the_shipped_words_and_keeps_staff_edits():
    """A7, A12, A28, A30 in existing databases: only rows holding the text first loaded change."""
    migration = importlib.import_module("recognition.migrations.0009_words_true_to_the_notice")
    notice = Notice.objects.get(number="人社厅发〔2026〕1号")
    notice.attachment_title = migration.ATTACHMENT[0]
    notice.save()
    validity = ReferenceFact.objects.filter(topic="有效期", certificate__slug=LOW)
    validity.update(text=migration.EM_VALIDITY[0])
    edited = ReferenceFact.objects.filter(topic="有效期", certificate__slug=HIGH)
    edited.update(text="工作人员改过的文字")
    Certificate.objects.filter(slug=SPECIAL).update(everyday_names=migration.SPECIAL_NAMES[0])
    ReferenceFact.objects.filter(topic="用途", certificate__slug=B_WELD).update(text=migration.WELDER_USE[0])
    migration.forwards(apps, None)
    notice.refresh_from_db()
    assert notice.attachment_title == "附件(标题未随网页转载)"
    assert "经原考核发证机关" not in validity.get().text
    assert edited.get().text == "工作人员改过的文字"
    assert "持证上岗证" not in Certificate.objects.get(slug=SPECIAL).everyday_names
    assert ReferenceFact.objects.get(topic="用途", certificate__slug=B_WELD).text.startswith("在颁发此证的地区")


def test_the_shipped_facts_say_no_more_than_their_sources(client):
    """A28: what ../shared/docs/domain.md records, and the 特种设备 fact from the regulations' older editions."""
    words = text(get(client, "/certificates/low-voltage-electrician/"))
    assert "经原考核发证机关或者从业所在地考核发证机关同意" not in words
    assert "向原考核发证机关" not in text(get(client, "/certificates/building-electrician/"))
    special = text(get(client, "/certificates/special-equipment-welder/"))
    assert "申请延续。" in special and "(复审)" not in special and "较早版本" in special


def test_an_unmet_condition_is_marked_by_its_code_and_named(client):
    """The templates test the condition's code, not its display text, and name what is not met."""
    snapshot.clear_cache()
    Issuance.objects.filter(province__code="31", certificate__slug=B_WELD).update(status=Issuance.Status.NOT_ISSUED)
    Certificate.objects.first().save()
    page = get(client, home(FUSION, region="31"))
    assert '<span class="mark mark-unmet">不满足</span>' in page
    assert "不满足“申请地区的住房城乡建设主管部门颁发建筑焊工特种作业操作证”。此项减免无法使用。" in text(page)
