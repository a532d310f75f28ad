"""The public pages, rendered: every outcome, the HTMX branch, errors."""

import csv
import gzip
import io
import re
from html import escape
from pathlib import Path

import pytest
from django.conf import settings
from django.test import RequestFactory

from recognition.models import Certificate, Issuance
from recognition.rules import engine
from recognition.site import views
from tests.test_engine import ALL, ALL_COMBINATIONS, NOTICE_ROWS, PAIRS_WITH_A_ROW, in_picker_order

pytestmark = pytest.mark.django_db

NAMES = {
    "low-voltage-electrician": "低压电工作业特种作业操作证",
    "high-voltage-electrician": "高压电工作业特种作业操作证",
    "building-electrician": "建筑电工特种作业操作证",
    "fusion-welding-cutting": "熔化焊接与热切割作业特种作业操作证",
    "building-welder": "建筑焊工特种作业操作证",
    "special-equipment-welder": "特种设备焊接操作人员证书",
}


def html(response) -> str:
    return response.content.decode()


def query(*held, region=None) -> str:
    parts = [f"held={slug}" for slug in in_picker_order(held)]
    if region:
        parts.append(f"region={region}")
    return "/?" + "&".join(parts)


def test_home_without_a_choice_is_the_empty_picker(client):
    response = client.get("/")
    assert response.status_code == 200
    page = html(response)
    assert '<html lang="zh-Hans">' in page
    assert page.count('type="checkbox" name="held"') == 6
    for name in NAMES.values():
        assert name in page
    assert "电工证" in page and "焊工证" in page  # everyday names as hints
    assert "请在上方勾选您持有的证书" in page
    assert "查询结果" not in page
    assert 'id="results"' in page and 'aria-live="polite"' in page


def test_public_pages_set_no_cookie_and_carry_no_csrf_token(client):
    for url in ["/", query("building-welder"), "/routes/?target=building-welder", "/matrix/", "/notices/rstf-2026-1/"]:
        response = client.get(url)
        assert response.status_code == 200
        assert not response.cookies
        assert "csrfmiddlewaretoken" not in html(response)


def test_results_full_page_keeps_the_choices_and_cites_the_clause(client):
    page = html(client.get(query("fusion-welding-cutting", region="11")))
    assert 'value="fusion-welding-cutting" id="held-fusion-welding-cutting" checked' in page
    assert '<option value="11" selected>北京市</option>' in page
    assert 'id="card-building-welder"' in page and "申请建筑焊工操作证:可以不参加安全作业培训" in page
    assert 'id="card-special-equipment-welder"' in page
    assert "向颁发建筑焊工特种作业操作证地区的住房城乡建设主管部门申请" in page
    assert "依据:人社厅发〔2026〕1号 一、(二),附件序号4(本站重建)" in page
    assert '<a href="/notices/rstf-2026-1/#s1-2">在通知原文中查看一、(二)</a>' in page
    assert "附件序号4" in page and "附件序号5" in page
    assert "视同达到<strong>焊工初级工(五级)</strong>水平" in page
    assert "可按规定报名参加焊工<strong>中级工(四级)</strong>技能等级认定" in page
    assert '通知未写明报名条件;<span class="reading">本站的理解</span>是以职业技能等级认定机构的公告为准' in page
    assert "osta.mohrss.gov.cn" in page
    # Outcome first: the picker is folded to one line naming the choice, with its 修改 control.
    assert '<details id="picker-fold" class="picker-fold no-print">' in page
    assert "您持有:熔化焊接与热切割作业操作证;地区:北京市" in page and ">修改<" in page


def test_htmx_request_gets_only_the_results_partial(client):
    response = client.get(query("fusion-welding-cutting"), HTTP_HX_REQUEST="true")
    page = html(response)
    assert response.status_code == 200
    assert "<html" not in page and "<form" not in page
    assert page.lstrip().startswith("<title>查询结果:熔化焊接与热切割作业操作证 - 证书互认查询</title>")
    assert '<section class="results"' in page
    assert 'id="card-building-welder"' in page
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_full_page(client):
    response = client.get(
        query("fusion-welding-cutting"), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in html(response)


@pytest.mark.parametrize("held", ALL_COMBINATIONS, ids="+".join)
def test_every_combination_renders_its_outcomes(client, held):
    page = html(client.get(query(*held)))
    expected = sorted(serial for (a, b), serial in PAIRS_WITH_A_ROW.items() if a in held and b not in held)
    cited = re.findall(r'<p class="print-only print-cite">(.*?)</p>', page)
    # One clause's rows are cited together: 附件序号1、2(本站重建).
    serials = [int(s) for line in cited for group in re.findall(r"附件序号([\d、]+)", line) for s in group.split("、")]
    assert sorted(serials) == sorted(expected)
    targets = list(dict.fromkeys(NOTICE_ROWS[serial][1] for serial in sorted(expected, key=_display_order)))
    assert re.findall(r'<article class="card[^"]*" aria-labelledby="card-([a-z-]+)"', page) == targets
    if not expected:
        assert "申请其他证书时,没有可以减免的培训或考试" in page
    assert page.count('class="level"') == len(held)


def _display_order(serial):
    held, target, *_ = NOTICE_ROWS[serial]
    return (ALL.index(target), ALL.index(held))


def test_nothing_to_waive_says_why(client):
    page = html(client.get(query("low-voltage-electrician", "building-electrician")))
    assert "申请其他证书时,没有可以减免的培训或考试" in page
    assert "您已经持有" in page
    assert "本通知未规定减免" in page


def test_pairs_without_a_row_are_named_as_not_covered(client):
    """The notice is silent on them: silent, not 'no'."""
    page = html(client.get(query("building-electrician")))
    assert "本通知未规定减免:持您所选的证书申请高压电工作业特种作业操作证" in page
    for claim in ("不享受减免", "须按正常程序", "不能缩短"):
        assert claim not in page


def test_combined_levels_say_which_level_counts(client):
    page = html(client.get(query("low-voltage-electrician", "high-voltage-electrician")))
    assert "按其中最高的等级计:电工中级工(四级),可报名高级工(三级)" in page


def test_region_that_does_not_issue_building_welder_excludes_the_waiver(client):
    issuance = Issuance.objects.get(province__code="31", certificate__slug="building-welder")
    issuance.status = Issuance.Status.NOT_ISSUED
    issuance.save()
    page = html(client.get(query("fusion-welding-cutting", region="31")))
    assert "所选地区不适用" in page
    assert '<span class="mark mark-unmet">不满足</span>' in page
    assert "申请建筑焊工操作证:上海市不颁发此证,这项减免在上海市用不上" in page
    # The summary counts only the waiver that applies in 上海市 (熔化焊接 -> 特种设备焊接).
    assert '<p id="result-summary" class="summary">申请 1 种证书时可减免部分培训或考试' in page


@pytest.mark.parametrize(
    "url,fragment",
    [
        ("/?held=electrician", "没有这种证书"),
        ("/?held=building-welder&region=99", "没有这种地区"),
        ("/?held=%00", "无法识别的字符"),
        ("/?held=" + "x" * 80, "太长"),
        ("/routes/?target=nope", "没有这种证书"),
    ],
)
def test_bad_query_is_a_400_page_naming_the_choices(client, url, fragment):
    response = client.get(url)
    assert response.status_code == 400
    page = html(response)
    assert fragment in page
    assert '<html lang="zh-Hans">' in page
    assert "返回首页重新选择" in page
    if "region" in url:
        assert "北京市" in page and "新疆生产建设兵团" in page
    else:
        for name in NAMES.values():
            assert name in page


def test_routes_page(client):
    assert "请在上方选择您想取得的证书" in html(client.get("/routes/"))
    page = html(client.get("/routes/?target=building-welder"))
    assert "取得建筑焊工特种作业操作证的途径" in page
    assert 'value="building-welder" id="target-building-welder" checked' in page
    assert (
        "不凭任何证书直接申请建筑焊工操作证,通常的取证环节是:安全作业培训、安全技术理论考核、安全操作技能考核" in page
    )
    assert "(本站整理的通常环节,参考,以发证部门的规定为准;来源:各地培训考核通知(二手资料))" in page
    # What a direct route spares is what its rule waives, in the notice's words; no total of exams is claimed.
    assert "凭熔化焊接与热切割作业操作证,比直接申请少参加:安全作业培训。" in page
    assert '<p class="plain"><strong>可以不参加安全作业培训,直接参加考核</strong>' in page
    # 特种设备焊接 -> 熔化焊接 (1 exam) -> 建筑焊工 (2 exams): 3, as many as applying directly.
    assert "分步取得,但不比直接申请省事" in page and "分步取得,总共比直接申请少" not in page
    assert "从特种设备焊接操作人员证出发,途中取得熔化焊接与热切割作业操作证,依次须参加:" in page
    assert "附件序号4" in page
    partial = html(client.get("/routes/?target=building-welder", HTTP_HX_REQUEST="true"))
    assert "<html" not in partial and "取得建筑焊工特种作业操作证的途径" in partial


def test_a_two_step_route_with_more_exams_than_applying_directly_is_not_called_a_shortening(client):
    page = html(client.get("/routes/?target=special-equipment-welder"))
    # 建筑焊工 -> 熔化焊接 (2 exams) -> 特种设备焊接 (1 exam): three exams against two.
    longer = page.split("分步取得,但不比直接申请省事")[1]
    assert "从建筑焊工操作证出发,途中取得熔化焊接与热切割作业操作证,依次须参加:" in longer
    assert "分步取得,总共比直接申请少" not in page


def test_the_routes_page_counts_the_routes_beyond_the_bound(client, monkeypatch):
    assert "另有" not in html(client.get("/routes/?target=building-welder"))  # today every route is shown
    monkeypatch.setattr(engine, "ROUTES_SHOWN", 1)  # building-welder has two routes, from two certificates
    omitted = client.get("/api/v1/routes?target=building-welder&on=2026-06-01").json()["omitted"]
    assert omitted > 0
    page = html(client.get("/routes/?target=building-welder&on=2026-06-01"))
    assert omitted == 1 and "凭熔化焊接与热切割作业操作证,比直接申请少参加" in page and "从特种设备焊接" not in page
    assert f"另有1条途径未列出:本页每种起点证书最多列出{engine.ROUTES_PER_START}条、共最多列出1条," in page


def test_routes_page_with_no_direct_route_says_so(client):
    page = html(client.get("/routes/?target=high-voltage-electrician"))
    assert "本通知未规定哪种证书可以直接减免高压电工作业特种作业操作证的培训或考试。" in page


def test_matrix_page_and_csv(client):
    page = html(client.get("/matrix/"))
    assert page.count('<th scope="row">') == 7
    response = client.get("/matrix.csv")
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    assert header[:6] == ["通知", "序号", "持有证书", "持有证书发证部门", "申请证书", "受理部门"]
    column = {name: index for index, name in enumerate(header)}
    assert [row[column["序号"]] for row in rows[1:]] == ["1", "2", "3", "4", "5", "6", "7"]
    assert {row[column["通知"]] for row in rows[1:]} == {"人社厅发〔2026〕1号"}
    assert rows[7][column["免予"]] == "安全技术培训、安全技术理论考试"
    assert rows[7][column["仍须参加"]] == "安全技术实操考试"
    assert rows[7][column["依据条款"]] == "人社厅发〔2026〕1号 一、(二)"
    assert (rows[7][column["施行日期"]], rows[7][column["最后适用日"]]) == ("2026-01-09", "")


def test_notice_page_has_every_clause_with_its_anchor_and_rules(client):
    page = html(client.get("/notices/rstf-2026-1/"))
    for anchor in ["preamble", "s1", "s1-1", "s1-2", "s2", "s2-1", "s2-2", "s3", "s3-1", "s3-2", "s3-3", "signature"]:
        assert f'id="{anchor}"' in page
    assert "人社厅发〔2026〕1号" in page
    assert "附件序号1(本站重建):持有" in page and "附件序号7(本站重建):持有" in page
    assert "参见附件中序号1—3" in page


@pytest.mark.parametrize("slug", ALL)
def test_certificate_pages(client, slug):
    page = html(client.get(f"/certificates/{slug}/"))
    assert f"<h1>{NAMES[slug]}</h1>" in page
    assert "参考信息" in page and "以发证部门/认定机构的规定为准" in page
    if slug in ("building-electrician", "building-welder"):
        assert "zlaq.mohurd.gov.cn" in page and "公开代码库中的说明及多个二手网页" in page
    # What the certificate is for leads the page, once: not again under 参考信息.
    [uses] = re.findall(r"这张证用来做什么\(参考\):</strong>([^<]+)<", page)
    assert page.count(uses) == 1


def test_a_low_confidence_fact_is_not_shown_until_verified(client):
    Certificate.objects.get(slug="building-welder").reference_facts.create(
        order=900, topic="考核地点", text="只在省会考核(待核实)", source="一个论坛帖子", confidence="low"
    )
    page = html(client.get("/certificates/building-welder/"))
    assert "只在省会考核" not in page and "一个论坛帖子" not in page


def test_unknown_certificate_and_page_are_404_in_chinese(client):
    for url in ["/certificates/electrician/", "/no-such-page/"]:
        response = client.get(url)
        assert response.status_code == 404
        assert "找不到这个页面" in html(response)


def test_server_error_page_renders_without_the_database():
    response = views.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "系统暂时出错" in response.content.decode()


def test_home_page_is_light_and_self_contained(client):
    """Under 60 KB compressed with every asset, and nothing fetched from elsewhere."""
    page = html(client.get(query("fusion-welding-cutting")))
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets)
    assert not re.search(r'<(?:script|link|img)[^>]+(?:src|href)="(?:https?:)?//', page)
    total = len(gzip.compress(page.encode()))
    for asset in assets:
        path = Path(settings.STATIC_ROOT) / asset.removeprefix("/static/")
        total += len(gzip.compress(path.read_bytes()))
    assert total < 60 * 1024, total


def test_region_with_unknown_issuance_says_where_to_ask(client):
    page = html(client.get(query("fusion-welding-cutting", region="11")))
    assert "北京市的发证情况尚未录入,请向北京市的住房城乡建设主管部门确认" in page
    assert "所选地区不适用" not in page


def test_staff_preview_form_stays_in_the_preview(admin_client):
    page = html(admin_client.get("/preview/?held=building-welder"))
    assert 'action="/preview/"' in page and 'hx-get="/preview/"' in page


def test_head_is_answered_like_get_without_a_body(client):
    """Load balancers and link checkers ask with HEAD."""
    for url in ["/", query("building-welder"), "/api/v1/lookup?held=building-welder", "/healthz"]:
        response = client.head(url)
        assert response.status_code == 200, url
        assert response.content == b""


def test_certificate_index_finds_certificates_by_everyday_name(client):
    page = html(client.get("/certificates/"))
    assert page.count('<li>\n    <a href="/certificates/') == 6
    page = html(client.get("/certificates/?q=" + "电工证"))
    assert "“电工证”找到3种证书" in page
    assert NAMES["low-voltage-electrician"] in page and NAMES["fusion-welding-cutting"] not in page
    page = html(client.get("/certificates/?q=" + "驾驶证"))
    assert "没有找到名称或俗称包含“驾驶证”的证书" in page
    assert client.get("/certificates/?q=%00").status_code == 400


@pytest.mark.parametrize(
    "slug,level",
    [("low-voltage-electrician", "申报四级(中级工)"), ("special-equipment-welder", "申报三级(高级工)")],
)
def test_certificate_page_gives_the_usual_conditions_for_the_next_level_as_reference(client, slug, level):
    page = html(client.get(f"/certificates/{slug}/"))
    reference = page.split('id="reference-heading"')[1]
    assert level in reference and "以职业技能等级认定机构的公告为准" in reference


def test_a_summary_beside_the_picker_counts_the_waivers(client):
    page = html(client.get(query("fusion-welding-cutting")))
    assert '<p id="result-summary" class="summary">申请 2 种证书时可减免部分培训或考试,须满足所列条件。' in page
    page = html(client.get(query("low-voltage-electrician", "building-electrician")))
    assert '<p id="result-summary" class="summary">申请其他证书时,没有可减免的培训或考试。' in page
    assert '<p id="result-summary" class="summary"></p>' in html(client.get("/"))
    fragment = html(client.get(query("fusion-welding-cutting"), HTTP_HX_REQUEST="true"))
    assert '<div hx-swap-oob="innerHTML:#result-summary">申请 2 种证书时可减免部分培训或考试' in fragment


def test_the_400_page_names_the_choices_in_words_not_slugs(client):
    page = html(client.get("/?held=electrician"))
    choices = page.split('<ul class="choices">')[1].split("</ul>")[0]
    assert "低压电工作业特种作业操作证" in choices
    assert "low-voltage-electrician</" not in choices and "<code>" not in choices


def test_the_404_page_links_the_certificate_list_and_the_home_page(client):
    page = html(client.get("/no-such-page/"))
    assert 'href="/certificates/"' in page and 'href="/"' in page


def test_results_offer_printing_but_no_json_link(client):
    page = html(client.get(query("fusion-welding-cutting")))
    assert "data-print hidden>打印</button>" in page
    assert "JSON 数据" not in page.split('id="results"')[1].split("</section>")[0]
    assert "开放数据接口(API)" in page  # the footer


def test_certificate_pages_say_what_the_certificate_is_for_with_the_source(client):
    for slug, words in [
        ("building-welder", "施工现场"),
        ("special-equipment-welder", "锅炉、压力容器、压力管道"),
        ("low-voltage-electrician", "生产经营单位"),
    ]:
        page = html(client.get(f"/certificates/{slug}/"))
        uses = page.split('<p class="uses">')[1].split("</p>")[0]
        assert words in uses and "来源:" in uses
        assert "打印日期" in page and 'class="print-qr"' in page  # prints with the same footer


@pytest.mark.parametrize(
    "sent,short",
    [
        ("/?held=building-welder&region=&on=", "/?held=building-welder"),
        ("/?region=&on=", "/"),
        ("/routes/?target=building-welder&region=&on=", "/routes/?target=building-welder"),
    ],
)
def test_a_form_sent_without_a_script_lands_on_the_short_address(client, sent, short):
    response = client.get(sent)
    assert (response.status_code, response["Location"]) == (302, short)
    # htmx leaves them out itself; asked anyway, the fragment too comes from the short address.
    response = client.get(sent, headers={"HX-Request": "true"})
    assert (response.status_code, response["Location"]) == (302, short)


@pytest.mark.parametrize(
    "sent,own",
    [
        # WeChat adds these to a shared link: it still opens, at the page's own address.
        ("/?held=building-welder&from=singlemessage&isappinstalled=0", "/?held=building-welder"),
        ("/?held=building-welder&held=low-voltage-electrician", "/?held=low-voltage-electrician&held=building-welder"),
        ("/?held=building-welder&held=building-welder", "/?held=building-welder"),
        ("/?region=11&held=building-welder", "/?held=building-welder&region=11"),
        (
            "/routes/?held=building-welder&target=building-electrician",
            "/routes/?target=building-electrician&held=building-welder",
        ),
        ("/matrix/?x=" + "y" * 900, "/matrix/"),
        ("/certificates/?q=%E7%94%B5%E5%B7%A5%E8%AF%81&utm_source=x", "/certificates/?q=%E7%94%B5%E5%B7%A5%E8%AF%81"),
        ("/notices/rstf-2026-1/?on=2026-03-01&ref=qr", "/notices/rstf-2026-1/?on=2026-03-01"),
    ],
)
def test_a_page_asked_in_another_form_is_sent_to_its_own_address_before_rendering(client, sent, own):
    response = client.get(sent)
    assert (response.status_code, response["Location"]) == (302, own)
    page = client.get(own)
    assert page.status_code == 200
    if "print-qr" in html(page):
        assert escape(f"http://testserver{own}") in html(page)  # printed as its own address


def test_the_answer_store_keeps_no_junk_address(client):
    from recognition.http import answer_store

    answer_store.forget()
    for n in range(200):
        assert client.get(f"/?held=building-welder&junk={n}").status_code == 302
    assert client.get("/?held=building-welder").status_code == 200
    assert len(answer_store.store) == 1
