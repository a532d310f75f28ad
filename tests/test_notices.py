"""Several notices over time: a test-only provincial notice beside 人社厅发〔2026〕1号.

The provincial notice (江苏 only, in force from 2026-07-01):
- adds a certificate (市政电工, test-only);
- 序号1 replaces 1号's 序号1 (低压电工 → 建筑电工) in 江苏 from 2027-01-01, waiving one exam more
  (elsewhere 1号's 序号1 goes on applying);
- 序号2 starts in the future (2027-03-01): 建筑焊工 → 特种设备焊接;
- 序号3 has a last day (2026-12-31): 市政电工 → 低压电工;
- a level equivalence for the new certificate.

Every answer is asked for fixed days before, on and after each change.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import asdict
from itertools import combinations

import pytest
import reversion
from django.db import transaction
from reversion.models import Version

from recognition.models import (
    Certificate,
    Clause,
    Department,
    LevelEquivalence,
    Notice,
    Occupation,
    Province,
    Publication,
    RecognitionRule,
    SkillLevel,
    Step,
)
from recognition.rules import engine, snapshot
from recognition.rules.book import NOTICE_SCOPE, REPLACED_IN_REGION
from tests.test_engine import ALL, B_ELEC, B_WELD, LOW, SPECIAL

pytestmark = pytest.mark.django_db

D = datetime.date
BASE = "人社厅发〔2026〕1号"
PROVINCIAL = "苏人社发〔2026〕99号"
MUNICIPAL = "municipal-electrician"
JIANGSU, BEIJING = "32", "11"
CLAUSE_TEXT = {
    "s1-1": "持有低压电工作业特种作业操作证的人员申请建筑电工特种作业操作证时,可免予安全作业培训和安全技术理论考核。",
    "s1-2": "持有建筑焊工特种作业操作证的人员申请特种设备焊接操作人员证书时,可免予动火作业安全管理考试。",
}


def step(certificate: Certificate, name: str) -> Step:
    return certificate.steps.get(name=name)


def make_provincial_notice() -> Notice:
    """The provincial notice, entered as staff would, and published."""
    certs = {cert.slug: cert for cert in Certificate.objects.all()}
    housing = Department.objects.get(slug="housing-construction")
    electrician = Occupation.objects.get(name="电工")
    notice = Notice.objects.create(
        number=PROVINCIAL,
        title="江苏省人力资源和社会保障厅关于电工焊工证书互认的补充通知(测试用)",
        short_title="电工焊工证书互认补充通知(测试用)",
        issuers="江苏省人力资源和社会保障厅",
        issued_on=D(2026, 6, 15),
        in_force_from=D(2026, 7, 1),
        publication=Publication.DRAFT,
    )
    notice.scope.set([Province.objects.get(code=JIANGSU)])
    Clause.objects.create(notice=notice, order=10, anchor="s1", numbering="一、", heading="互认", level=1)
    clauses = {
        anchor: Clause.objects.create(
            notice=notice, order=order, anchor=anchor, numbering=numbering, text=CLAUSE_TEXT.get(anchor, ""), level=2
        )
        for anchor, order, numbering in (("s1-1", 20, "(一)"), ("s1-2", 30, "(二)"))
    }
    municipal = Certificate.objects.create(
        slug=MUNICIPAL,
        name="市政电工作业证(测试用)",
        short_name="市政电工",
        department=housing,
        family="测试",
        occupation=electrician,
        order=99,
    )
    Step.objects.create(certificate=municipal, order=1, name="安全培训", kind="training")
    Step.objects.create(certificate=municipal, order=2, name="安全考核", kind="exam")

    def rule(serial, held, target, waived, remaining, clause, valid_from, valid_until=None, replaces=None):
        row = RecognitionRule.objects.create(
            notice=notice,
            serial=serial,
            held=held,
            target=target,
            apply_to=target.department,
            clause=clauses[clause],
            quote=CLAUSE_TEXT["s1-1" if clause == "s1-1" else "s1-2"],
            valid_from=valid_from,
            valid_until=valid_until,
            replaces=replaces,
            publication=Publication.PUBLISHED,
        )
        row.waived.set([step(target, name) for name in waived])
        row.remaining.set([step(target, name) for name in remaining])
        row.conditions.create(order=10, text=f"所持{held.name}合法有效")
        return row

    base_row_1 = RecognitionRule.objects.get(notice__number=BASE, serial=1)
    rule(1, certs[LOW], certs[B_ELEC], ["安全作业培训", "安全技术理论考核"], ["安全操作技能考核"], "s1-1",
         D(2027, 1, 1), replaces=base_row_1)  # fmt: skip
    rule(2, certs[B_WELD], certs[SPECIAL], ["动火作业安全管理考试"], ["其他相关内容要求的考试"], "s1-2", D(2027, 3, 1))
    rule(3, municipal, certs[LOW], ["安全技术培训"], ["安全技术理论考试", "安全技术实操考试"], "s1-2",
         D(2026, 7, 1), D(2026, 12, 31))  # fmt: skip
    LevelEquivalence.objects.create(
        notice=notice,
        certificate=municipal,
        occupation=electrician,
        deemed_level=SkillLevel.objects.get(number=5),
        eligible_level=SkillLevel.objects.get(number=4),
        clause=clauses["s1-2"],
        quote=CLAUSE_TEXT["s1-2"],
        valid_from=D(2026, 7, 1),
        publication=Publication.PUBLISHED,
    )
    with reversion.create_revision():
        notice.publication = Publication.PUBLISHED
        notice.save()
    return notice


@pytest.fixture
def provincial(db):
    return make_provincial_notice()


def keys(recognitions) -> list[tuple[str, int]]:
    return [r.rule.key for r in recognitions]


# Publishing a replacement, and withdrawing it.


def test_a_provincial_replacement_leaves_the_national_rows_days_alone(provincial):
    assert RecognitionRule.objects.get(notice__number=BASE, serial=1).valid_until is None


def test_publishing_the_replacement_ends_the_replaced_row_the_day_before(provincial):
    provincial.scope.clear()  # as a national notice, it replaces 1号's row everywhere
    provincial.save()
    replaced = RecognitionRule.objects.get(notice__number=BASE, serial=1)
    assert replaced.valid_until == D(2026, 12, 31)
    assert Version.objects.get_for_object(replaced).exists()  # recorded in its history

    replacement = RecognitionRule.objects.get(notice=provincial, serial=1)
    replacement.publication = Publication.DRAFT
    replacement.save()
    replaced.refresh_from_db()
    assert replaced.valid_until is None  # its previous last day, given back

    replacement.publication = Publication.PUBLISHED
    replacement.save()
    replaced.refresh_from_db()
    assert replaced.valid_until == D(2026, 12, 31)
    with transaction.atomic():
        replacement.delete()
    replaced.refresh_from_db()
    assert replaced.valid_until is None


def test_withdrawing_the_notice_withdraws_its_replacements(provincial):
    provincial.scope.clear()
    provincial.save()
    assert RecognitionRule.objects.get(notice__number=BASE, serial=1).valid_until == D(2026, 12, 31)
    provincial.publication = Publication.DRAFT
    provincial.save()
    assert RecognitionRule.objects.get(notice__number=BASE, serial=1).valid_until is None
    assert BASE in snapshot.current_rules().notices and PROVINCIAL not in snapshot.current_rules().notices


# The engine, on days before, on and after each change.


@pytest.mark.parametrize(
    "day,region,applying,excluded,ended",
    [
        (D(2026, 12, 31), JIANGSU, [(BASE, 1)], [], []),
        (D(2026, 12, 31), None, [(BASE, 1)], [], []),
        (D(2027, 1, 1), JIANGSU, [(PROVINCIAL, 1)], [], [(BASE, 1)]),
        (D(2027, 1, 1), None, [(BASE, 1), (PROVINCIAL, 1)], [], []),  # both, each with its region to confirm
        (D(2027, 1, 1), BEIJING, [(BASE, 1)], [(PROVINCIAL, 1)], []),  # 1号 goes on applying outside 江苏
    ],
)
def test_the_replacement_takes_over_in_its_region_on_its_first_day(provincial, day, region, applying, excluded, ended):
    book = snapshot.current_rules()
    result = engine.lookup(book, [LOW], region, on=day)
    assert keys(r for r in result.recognitions if not r.excluded) == applying
    assert keys(r for r in result.recognitions if r.excluded) == excluded
    assert keys(result.ended) == ended
    for recognition in result.ended:
        # Replaced in 江苏 only: nothing replaces it wherever it applies.
        assert recognition.rule.replaced_by is None and recognition.rule.replaced_in == ((PROVINCIAL, 1),)
    if day >= D(2027, 1, 1):
        everything = {r.rule.key: r for r in result.recognitions + result.ended}
        [scope] = [c for c in everything[(PROVINCIAL, 1)].conditions if c.kind == NOTICE_SCOPE]
        assert scope.text.startswith("仅适用于江苏省")
        assert scope.met is {JIANGSU: True, BEIJING: False, None: None}[region]
        replaced = [c for c in everything[(BASE, 1)].conditions if c.kind == REPLACED_IN_REGION]
        if region == BEIJING:
            assert replaced == []  # 江苏's own row says nothing about 北京
        else:
            [elsewhere] = replaced
            assert elsewhere.text.startswith("不适用于江苏省:江苏省自2027年1月1日起按苏人社发〔2026〕99号序号1办理")
            assert elsewhere.met is {JIANGSU: False, None: None}[region]


@pytest.fixture
def provincial_level(provincial):
    """The provincial notice also replaces 1号's level for 低压电工 in 江苏 from 2027-01-01, one level higher."""
    national = LevelEquivalence.objects.get(notice__number=BASE, certificate__slug=LOW)
    with reversion.create_revision():
        return LevelEquivalence.objects.create(
            notice=provincial,
            certificate=national.certificate,
            occupation=national.occupation,
            deemed_level=SkillLevel.objects.get(number=4),
            eligible_level=SkillLevel.objects.get(number=3),
            clause=provincial.clauses.get(anchor="s1-1"),
            quote=CLAUSE_TEXT["s1-1"],
            valid_from=D(2027, 1, 1),
            replaces=national,
            publication=Publication.PUBLISHED,
        )


@pytest.mark.parametrize(
    "day,region,notices",
    [
        (D(2026, 12, 31), JIANGSU, [BASE]),
        (D(2027, 1, 1), JIANGSU, [PROVINCIAL]),  # replaced there from its first day
        (D(2027, 1, 1), BEIJING, [BASE]),  # 1号's level goes on holding outside 江苏
        (D(2027, 1, 1), None, [BASE, PROVINCIAL]),  # both, each saying where
    ],
)
def test_a_provincial_level_replaces_the_national_one_in_its_region_only(provincial_level, day, region, notices):
    assert LevelEquivalence.objects.get(notice__number=BASE, certificate__slug=LOW).valid_until is None
    book = snapshot.current_rules()
    result = engine.lookup(book, [LOW], region, on=day)
    assert [level.notice_number for level in result.levels] == notices
    # The level counted as held: with no region chosen, only what holds everywhere it applies.
    [best] = result.best_levels
    assert best.deemed_level == (4 if notices == [PROVINCIAL] else 5)
    assert engine.routes(book, LOW, region=region, on=day).level.notice_number == notices[0]


def test_with_no_region_chosen_each_level_says_where_it_holds(client, provincial_level):
    page = page_text(client, f"/?held={LOW}&on=2027-01-01")
    assert "不适用于江苏省:江苏省自2027年1月1日起按苏人社发〔2026〕99号办理" in page
    assert "视同达到<strong>电工中级工(四级)</strong>水平" in page and "仅适用于江苏省。" in page
    in_jiangsu = page_text(client, f"/?held={LOW}&region={JIANGSU}&on=2027-01-01")
    assert "不适用于江苏省" not in in_jiangsu and "中级工(四级)</strong>水平" in in_jiangsu
    assert "初级工(五级)</strong>水平" not in in_jiangsu
    levels = client.get(f"/api/v1/lookup?held={LOW}&on=2027-01-01").json()["levels"]
    assert [level["replaced_by"] for level in levels] == [None, None]  # no region asked about
    assert [level["replaced_in"] for level in levels] == [[{"notice": PROVINCIAL, "held": LOW, "scope": [JIANGSU]}], []]


def test_each_condition_says_what_decided_it_on_cards_routes_and_certificate_pages(client, provincial):
    card = page_text(client, f"/?held={LOW}&region={JIANGSU}&on=2027-01-01")
    scope = "仅适用于江苏省(苏人社发〔2026〕99号的适用范围)"
    assert f'mark-met">满足</span>{scope}<span class="status">(所选地区:江苏省)' in card
    assert "江苏省:已录入为颁发" not in card  # that note is for whether a certificate is issued there
    route = page_text(client, f"/routes/?target={B_ELEC}&region={BEIJING}&on=2027-01-01")
    assert f'mark-unmet">不满足</span>{scope}<span class="status">(所选地区:北京市)' in route
    assert f"所选地区不适用:</strong>不满足“{scope}”。此项减免无法使用。" in route
    certificate = page_text(client, f"/certificates/{B_ELEC}/?on=2027-01-01")
    assert f'mark-check">需确认</span>{scope}<span class="status">(选择申请地区后可以判断)' in certificate


def test_a_rule_starting_within_90_days_is_upcoming(provincial):
    book = snapshot.current_rules()
    assert keys(engine.lookup(book, [B_WELD], on=D(2026, 11, 27)).upcoming) == []  # 94 days ahead
    assert keys(engine.lookup(book, [B_WELD], on=D(2026, 12, 1)).upcoming) == [(PROVINCIAL, 2)]
    on_the_day = engine.lookup(book, [B_WELD], JIANGSU, on=D(2027, 3, 1))
    assert (PROVINCIAL, 2) in keys(on_the_day.recognitions) and on_the_day.upcoming == ()


def test_a_rule_with_a_last_day_applies_on_it_and_has_ended_after(provincial):
    book = snapshot.current_rules()
    assert keys(engine.lookup(book, [MUNICIPAL], JIANGSU, on=D(2026, 12, 31)).recognitions) == [(PROVINCIAL, 3)]
    after = engine.lookup(book, [MUNICIPAL], JIANGSU, on=D(2027, 1, 1))
    assert after.recognitions == () and keys(after.ended) == [(PROVINCIAL, 3)]
    # Its level equivalence has no last day, and applies only in its region.
    assert [lvl.held for lvl in after.levels] == [MUNICIPAL]
    assert engine.lookup(book, [MUNICIPAL], BEIJING, on=D(2027, 1, 1)).levels == ()


def test_before_the_provincial_notice_is_in_force_nothing_of_it_applies(provincial):
    book = snapshot.current_rules()
    result = engine.lookup(book, [MUNICIPAL, LOW, B_WELD], JIANGSU, on=D(2026, 6, 30))
    assert {r.rule.notice_number for r in result.recognitions} == {BASE}
    assert result.levels == tuple(lvl for lvl in result.levels if lvl.notice_number == BASE)


def comparable(result: engine.LookupResult) -> dict:
    """An answer with what is new set aside: the replaced row's new last day, and what is about to start."""
    data = asdict(result)
    assert {r["rule"]["notice_number"] for r in data.pop("upcoming")} <= {PROVINCIAL}
    rules = [recognition["rule"] for recognition in data["recognitions"]] + list(data["already_held"])
    for rule in rules:
        if (rule["notice_number"], rule["serial"]) == (BASE, 1):
            rule["valid_until"] = rule["replaced_by"] = None
            rule["replaced_in"] = ()
    return data


def test_on_2026_11_27_the_notices_63_combinations_answer_as_before(django_db_blocker):
    day = D(2026, 11, 27)
    combos = [combo for size in range(1, 7) for combo in combinations(ALL, size)]
    before = snapshot.current_rules()
    expected = {combo: comparable(engine.lookup(before, combo, on=day)) for combo in combos}
    make_provincial_notice()
    after = snapshot.current_rules()
    assert after is not before and PROVINCIAL in after.notices
    for combo in combos:
        assert comparable(engine.lookup(after, combo, on=day)) == expected[combo], combo


# Pages and the API cite the right notice and clause, and each citation leads to its clause.

CITATION = re.compile(r'href="(/notices/([a-z0-9-]+)/)#([A-Za-z0-9_-]+)"')


def assert_citations_lead_to_their_clause(client, page: str) -> int:
    found = CITATION.findall(page)
    for path, _, anchor in set(found):
        notice_page = client.get(path).content.decode()
        assert f'id="{anchor}"' in notice_page, (path, anchor)
    return len(found)


def page_text(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.mark.parametrize("day", ["2026-12-31", "2027-01-01", "2027-03-01"])
def test_every_citation_on_every_page_leads_to_its_clause(client, provincial, day):
    urls = [
        f"/?held={LOW}&held={B_WELD}&held={MUNICIPAL}&on={day}",
        f"/?held={LOW}&region={JIANGSU}&on={day}",
        f"/routes/?target={B_ELEC}&on={day}",
        f"/matrix/?on={day}",
        "/matrix/?on=all",
        *(f"/certificates/{slug}/?on={day}" for slug in (*ALL, MUNICIPAL)),
        f"/notices/srsf-2026-99/?on={day}",
        f"/notices/rstf-2026-1/?on={day}",
    ]
    cited = sum(assert_citations_lead_to_their_clause(client, page_text(client, url)) for url in urls)
    assert cited > 20
    for url in (f"/api/v1/lookup?held={LOW}&held={MUNICIPAL}&on={day}", f"/api/v1/matrix?on={day}"):
        body = client.get(url).json()
        rows = body.get("recognitions", []) + body.get("rules", []) + body.get("levels", [])
        assert rows
        for row in rows:
            path, anchor = row["clause_url"].split("#")
            assert path == row["notice_url"]
            assert f'id="{anchor}"' in page_text(client, path)


def test_the_replacement_is_cited_from_its_first_day(client, provincial):
    before = page_text(client, f"/?held={LOW}&region={JIANGSU}&on=2026-12-31")
    assert "依据:人社厅发〔2026〕1号 一、(一),附件序号1" in before
    assert '<a href="/notices/rstf-2026-1/#s1-1">' in before
    assert "即将施行的规定" in before and "将于2027年1月1日起施行" in before
    after = page_text(client, f"/?held={LOW}&region={JIANGSU}&on=2027-01-01")
    assert "依据:苏人社发〔2026〕99号 一、(一),序号1" in after
    assert '<a href="/notices/srsf-2026-99/#s1-1">' in after
    assert "以下按<strong>2027年1月1日</strong>适用的规定作答" in after
    assert "已经停止适用的规定" not in after  # the pair is answered by its replacement
    notice_page = page_text(client, "/notices/srsf-2026-99/")
    assert CLAUSE_TEXT["s1-1"] in notice_page


def test_the_region_scope_decides_the_provincial_rule(client, provincial):
    elsewhere = page_text(client, f"/?held={LOW}&region={BEIJING}&on=2027-01-01")
    assert "仅适用于江苏省" in elsewhere and "所选地区不适用" in elsewhere
    assert "依据:人社厅发〔2026〕1号 一、(一),附件序号1" in elsewhere  # 1号 goes on applying in 北京
    undecided = page_text(client, f"/?held={LOW}&on=2027-01-01")
    assert "仅适用于江苏省" in undecided and "不适用于江苏省" in undecided and "需确认" in undecided
    api = client.get(f"/api/v1/lookup?held={LOW}&region={BEIJING}&on=2027-01-01").json()
    assert [(r["notice"], r["serial"], r["applies"]) for r in api["recognitions"]] == [
        (BASE, 1, True),
        (PROVINCIAL, 1, False),
    ]
    assert api["recognitions"][1]["scope"] == [JIANGSU] and api["ended"] == []
    in_jiangsu = client.get(f"/api/v1/lookup?held={LOW}&region={JIANGSU}&on=2027-01-01").json()
    assert [(r["notice"], r["serial"]) for r in in_jiangsu["recognitions"]] == [(PROVINCIAL, 1)]
    assert [(r["notice"], r["serial"], r["replaced_by"]) for r in in_jiangsu["ended"]] == [
        (BASE, 1, {"notice": PROVINCIAL, "serial": 1})
    ]


def test_the_footer_and_print_name_the_notices_the_answer_rests_on(client, provincial):
    only_base = page_text(client, f"/?held={B_ELEC}&on=2027-01-01")
    footer = only_base.split('<footer class="site-footer">')[1]
    assert BASE in footer and PROVINCIAL not in footer
    both = page_text(client, f"/?held={LOW}&held={MUNICIPAL}&region={JIANGSU}&on=2026-12-01")
    footer = both.split('<footer class="site-footer">')[1]
    assert BASE in footer and PROVINCIAL in footer
    assert f"本结果依据{BASE}、{PROVINCIAL}整理" in both


def test_matrix_lists_the_rules_of_the_day_or_all_with_their_notice_and_period(client, provincial):
    def rows(url):
        return client.get(url).json()["rules"]

    assert [(r["notice"], r["serial"]) for r in rows("/api/v1/matrix?on=2026-06-30")] == [
        (BASE, serial) for serial in range(1, 8)
    ]
    on_new_year = [(r["notice"], r["serial"]) for r in rows("/api/v1/matrix?on=2027-01-01")]
    assert (BASE, 1) in on_new_year and (PROVINCIAL, 1) in on_new_year and (PROVINCIAL, 3) not in on_new_year
    everything = rows("/api/v1/matrix?on=all")
    assert len(everything) == 10
    [replaced] = [r for r in everything if (r["notice"], r["serial"]) == (BASE, 1)]
    assert replaced["valid_until"] is None and replaced["replaced_by"] is None  # replaced in 江苏 only
    assert replaced["replaced_in"] == [{"notice": PROVINCIAL, "serial": 1, "scope": [JIANGSU]}]
    [last_day] = [r for r in everything if (r["notice"], r["serial"]) == (PROVINCIAL, 3)]
    assert last_day["valid_until"] == "2026-12-31"  # inclusive: the last day it applies
    page = page_text(client, "/matrix/?on=all")
    assert "2026年7月1日至2026年12月31日" in page and "仅适用于江苏省" in page
    csv_text = client.get("/matrix.csv?on=all").content.decode("utf-8-sig")
    assert f"{PROVINCIAL},3," in csv_text and "2026-07-01,通知写明的施行日期,2026-12-31" in csv_text


def test_notices_are_listed_by_their_status_on_the_day(client, provincial):
    def group_of(day: str, number: str) -> str:
        page = page_text(client, f"/notices/?on={day}")
        position = page.index(f">{number}</a>")
        headings = [(m.start(), m.group(1)) for m in re.finditer(r"<h2 id=\"group-\d\">([^<]+)</h2>", page)]
        return [title for start, title in headings if start < position][-1]

    assert group_of("2026-06-20", PROVINCIAL) == "尚未施行"
    assert group_of("2026-11-27", PROVINCIAL) == "现行有效"
    assert group_of("2026-11-27", BASE) == "现行有效"
    page = page_text(client, "/notices/")
    # 1号 states no date in force: the fact first, then the site's reckoning.
    assert "通知未写明施行日期;本站按印发日(2026年1月9日)起计" in page and "自印发之日起" not in page
    assert "2026年7月1日" in page and "江苏省" in page


# Addresses and dates.


def test_the_old_notice_address_is_a_permanent_redirect_to_1号(client):
    response = client.get("/notice/")
    assert response.status_code == 301 and response["Location"] == "/notices/rstf-2026-1/"
    assert client.get("/notice/?on=2027-01-01")["Location"] == "/notices/rstf-2026-1/?on=2027-01-01"


PUBLIC_URLS = [
    "/",
    f"/?held={LOW}",
    f"/routes/?target={B_ELEC}",
    "/matrix/",
    "/matrix.csv",
    "/notices/",
    "/notices/rstf-2026-1/",
    "/certificates/",
    f"/certificates/{LOW}/",
    f"/api/v1/lookup?held={LOW}",
    f"/api/v1/routes?target={B_ELEC}",
    "/api/v1/matrix",
]


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_every_public_url_takes_a_day_and_refuses_an_impossible_one(client, url):
    glue = "&" if "?" in url else "?"
    assert client.get(f"{url}{glue}on=2027-03-01").status_code == 200
    for bad in ("2027-02-30", "2027-3-1", "tomorrow", "1999-12-31"):
        response = client.get(f"{url}{glue}on={bad}")
        assert response.status_code == 400, (url, bad)
        text = response.content.decode()
        assert "日期" in text and "Traceback" not in text
        if url.startswith("/api/"):
            assert response.json()["field"] == "on"


def test_a_page_for_another_day_says_so_and_links_to_today(client):
    page = page_text(client, f"/?held={LOW}&on=2027-03-01")
    assert "以下按<strong>2027年3月1日</strong>适用的规定作答" in page
    assert f'<a href="/?held={LOW}">查看今天' in page
    assert "按2027年3月1日适用的规定作答 · 打印日期:" in page
    assert "以下按" not in page_text(client, f"/?held={LOW}")


def test_the_api_says_which_day_it_answers_for(client):
    assert client.get(f"/api/v1/lookup?held={LOW}&on=2027-03-01").json()["on"] == "2027-03-01"
    assert client.get("/api/v1/matrix?on=all").json()["on"] == "all"


def test_notice_slug_is_suggested_from_the_number(db):
    from recognition.models import suggest_notice_slug

    assert suggest_notice_slug(BASE) == "rstf-2026-1"
    assert suggest_notice_slug(PROVINCIAL) == "srsf-2026-99"
    assert Notice.objects.get(number=BASE).slug == "rstf-2026-1"
