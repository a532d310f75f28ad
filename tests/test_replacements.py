"""Several provinces replacing one national row, each in its own regions.

Each province's notice (a package, as an operator loads it) replaces 1号 序号1 (低压电工 → 建筑电工) and 1号's
level for 低压电工, from a day of its own. For each province, on each day of its replacement's life, the answer
there follows the province's own row, every other region follows 1号, and an answer with no region names every
province that has replaced it so far. Two replacements of one row that would answer for one region on one day
are refused wherever a row is written: the admin form, publishing a notice, the rule import and packages.
"""

from __future__ import annotations

import datetime
import json

import pytest

from recognition.models import LevelEquivalence, Notice, Province, Publication, RecognitionRule
from recognition.notice_files import packages
from recognition.rules import engine, snapshot
from recognition.rules.book import REPLACED_IN_REGION, RuleBook
from tests.test_engine import B_ELEC, LOW

pytestmark = pytest.mark.django_db

D = datetime.date
BASE = "人社厅发〔2026〕1号"
FIRST_DAY = D(2027, 1, 1)
QUOTE = "在本地区申请建筑电工特种作业操作证时,可免予安全作业培训和安全技术理论考核。"


def number(code: str) -> str:
    return f"测试〔2027〕{code}号"


def start(index: int) -> datetime.date:
    """Each province starts on a day of its own, a week apart."""
    return FIRST_DAY + datetime.timedelta(days=7 * index)


def package(code: str, index: int, *, status: str = "published", valid_from: datetime.date | None = None) -> dict:
    first = (valid_from or start(index)).isoformat()
    return {
        "format": 1,
        "notice": {
            "number": number(code),
            "slug": f"test-2027-{code}",
            "title": f"(测试用){code}省贯彻落实通知",
            "issuers": ["测试省人力资源和社会保障厅"],
            "issued_on": "2026-12-01",
            "scope": [code],
            "status": status,
        },
        "clauses": [{"anchor": "s1", "level": 1, "numbering": "一、", "heading": "互认", "text": QUOTE}],
        "rules": [
            {
                "serial": 1,
                "held": LOW,
                "target": B_ELEC,
                "apply_to": "住房城乡建设部门",
                "waived": ["安全作业培训", "安全技术理论考核"],
                "remaining": ["安全操作技能考核"],
                "clause": "s1",
                "quote": QUOTE,
                "valid_from": first,
                "replaces": {"notice": BASE, "serial": 1},
            }
        ],
        "levels": [
            {
                "held": LOW,
                "occupation": "电工",
                "deemed_level": 4,
                "eligible_level": 3,
                "clause": "s1",
                "quote": QUOTE,
                "valid_from": first,
                "replaces": {"notice": BASE, "held": LOW, "occupation": "电工"},
            }
        ],
    }


def all_codes() -> list[str]:
    return list(Province.objects.order_by("order", "code").values_list("code", flat=True))


def load_provinces(count: int | None) -> list[str]:
    codes = all_codes()
    codes = codes if count is None else codes[:count]
    for index, code in enumerate(codes):
        packages.load(package(code, index))
    return codes


def applying(result: engine.LookupResult) -> list[tuple[str, int]]:
    return [r.rule.key for r in result.recognitions if r.rule.target == B_ELEC and not r.excluded]


def assert_each_region_answers_for_itself(book: RuleBook, codes: list[str], day: datetime.date) -> None:
    started = [code for index, code in enumerate(codes) if start(index) <= day]
    for code in all_codes():
        result = engine.lookup(book, [LOW], code, on=day)
        own = code in started
        expected = [(number(code), 1)] if own else [(BASE, 1)]
        assert applying(result) == expected, (code, day)
        assert [level.notice_number for level in result.levels] == [number(code) if own else BASE], (code, day)
        assert [best.deemed_level for best in result.best_levels] == [4 if own else 5], (code, day)
        ended = [r.rule.key for r in result.ended]
        assert ended == ([(BASE, 1)] if own else []), (code, day)
        routes = engine.routes(book, B_ELEC, [LOW], on=day, region=code)
        assert [route.rules[0].key for route in routes.direct if not route.steps[0].excluded] == expected
    # With no region chosen: 1号's row, with every province that has replaced it so far named in one condition.
    result = engine.lookup(book, [LOW], on=day)
    [national] = [r for r in result.recognitions if r.rule.key == (BASE, 1)]
    replaced = [c for c in national.conditions if c.kind == REPLACED_IN_REGION]
    if not started:
        assert replaced == []
        return
    [condition] = replaced
    assert condition.met is None
    for code in started:
        assert f"按{number(code)}序号1办理" in condition.text
    for code in set(codes) - set(started):
        assert number(code) not in condition.text


@pytest.mark.parametrize("count", [2, 3, None], ids=["two", "three", "all"])
def test_several_provinces_replacing_one_row_each_answer_for_their_own_region(count):
    codes = load_provinces(count)
    book = snapshot.current_rules()
    national = book.rule((BASE, 1))
    assert national.replaced_by is None and national.valid_until is None  # 1号 keeps its days everywhere
    assert national.replaced_in == tuple((number(code), 1) for code in codes)
    days = {FIRST_DAY - datetime.timedelta(days=1)}
    for index in range(len(codes)):
        days |= {start(index) - datetime.timedelta(days=1), start(index), start(index) + datetime.timedelta(days=3)}
    if count is None:
        days = sorted(days)[:: max(1, len(days) // 12)]  # every province's start, sampled: 32 × 33 answers a day
    for day in sorted(days):
        assert_each_region_answers_for_itself(book, codes, day)


def test_the_api_gives_the_replacement_for_the_region_asked_about_and_every_replacement(client):
    first, second, third = load_provinces(3)
    day = start(2).isoformat()
    in_second = client.get(f"/api/v1/lookup?held={LOW}&region={second}&on={day}").json()
    [ended] = in_second["ended"]
    assert ended["replaced_by"] == {"notice": number(second), "serial": 1}
    every = [{"notice": number(code), "serial": 1, "scope": [code]} for code in (first, second, third)]
    assert ended["replaced_in"] == every
    [level] = in_second["levels"]
    assert level["notice"] == number(second) and level["replaced_in"] == []
    nowhere = client.get(f"/api/v1/lookup?held={LOW}&on={day}").json()
    [national] = [r for r in nowhere["recognitions"] if (r["notice"], r["serial"]) == (BASE, 1)]
    assert national["replaced_by"] is None and national["replaced_in"] == every
    [national_level] = [lvl for lvl in nowhere["levels"] if lvl["notice"] == BASE]
    assert national_level["replaced_by"] is None
    assert [other["notice"] for other in national_level["replaced_in"]] == [number(c) for c in (first, second, third)]
    elsewhere = client.get(f"/api/v1/lookup?held={LOW}&region={all_codes()[-1]}&on={day}").json()
    [row] = [r for r in elsewhere["recognitions"] if (r["notice"], r["serial"]) == (BASE, 1)]
    assert row["applies"] and row["replaced_by"] is None and row["replaced_in"] == every
    matrix = client.get("/api/v1/matrix?on=all").json()
    [national] = [r for r in matrix["rules"] if (r["notice"], r["serial"]) == (BASE, 1)]
    assert national["replaced_by"] is None and national["replaced_in"] == every
    assert "replaced_in" in client.get("/api/").content.decode()


def test_the_notice_and_certificate_pages_say_partly_replaced(client):
    first, second = load_provinces(2)
    day = start(1).isoformat()
    notice = client.get(f"/notices/rstf-2026-1/?on={day}").content.decode()
    expected = f"部分地区已由{number(first)}序号1(" in notice and f"{number(second)}序号1(" in notice
    assert expected, notice
    assert "已被替代" not in notice
    certificate = client.get(f"/certificates/{B_ELEC}/?on={day}").content.decode()
    assert f"部分地区已由{number(first)}序号1(" in certificate


def test_a_second_replacement_of_one_row_in_the_same_region_is_refused_by_a_package_naming_the_other():
    [code] = load_provinces(1)
    rival = package(code, 0)
    rival["notice"]["number"] = "测试〔2027〕第二号"
    rival["notice"]["slug"] = "test-2027-second"
    with pytest.raises(packages.PackageError) as caught:
        packages.load(rival)
    problems = " ".join(caught.value.problems)
    assert f"已发布的 {number(code)} 序号1" in problems and "也取代" in problems
    assert f"已发布的 {number(code)} 等级比照" in problems  # its level equivalence, likewise
    assert not Notice.objects.filter(number="测试〔2027〕第二号").exists()
    # Later days, after the first one's last day, do not overlap: the second one loads.
    first = RecognitionRule.objects.get(notice__number=number(code))
    first.valid_until = D(2027, 6, 30)
    first.save()
    rival["rules"][0]["valid_from"] = "2027-07-01"
    del rival["levels"]
    packages.load(rival)


def test_the_admin_form_the_publish_action_and_the_import_refuse_a_second_replacement(admin_client):
    import tablib

    from recognition.staff.resources import COLUMNS, RecognitionRuleResource
    from tests.admin.helpers import errors, rule_data

    [code] = load_provinces(1)
    other_code = next(c for c in all_codes() if c != code)
    packages.load(package(other_code, 1, status="draft"))
    notice = Notice.objects.get(number=number(other_code))
    # A second notice for the first province, as a draft: publishing it would give that region two answers.
    notice.scope.set(Province.objects.filter(code=code))
    rule = RecognitionRule.objects.get(notice=notice)

    response = admin_client.post(
        "/admin/recognition/notice/", {"action": "publish", "_selected_action": [notice.pk]}, follow=True
    )
    page = response.content.decode()
    assert "未能发布" in page and f"{number(code)} 序号1" in page and "也取代" in page
    assert Notice.objects.get(pk=notice.pk).publication == Publication.DRAFT

    # With its rule a draft, the notice publishes; publishing the rule is then refused, in the form and the import.
    rule.publication = Publication.DRAFT
    rule.save()
    LevelEquivalence.objects.filter(notice=notice).delete()
    admin_client.post("/admin/recognition/notice/", {"action": "publish", "_selected_action": [notice.pk]})
    assert Notice.objects.get(pk=notice.pk).publication == Publication.PUBLISHED
    rule.refresh_from_db()
    rule.publication = Publication.PUBLISHED
    response = admin_client.post(
        f"/admin/recognition/recognitionrule/{rule.pk}/change/", rule_data(rule, replaces=rule.replaces_id)
    )
    assert f"{number(code)} 序号1" in " ".join(errors(response)["replaces"])

    exported = RecognitionRuleResource().export()
    headers = list(COLUMNS.values())
    rows = [list(row) for row in exported]
    numbers, publication = headers.index(COLUMNS["notice"]), headers.index(COLUMNS["publication"])
    published = rows[0][publication]  # 1号 序号1 is published
    row = next(row for row in rows if row[numbers] == number(other_code))
    assert row[publication] != published
    row[publication] = published
    result = RecognitionRuleResource().import_data(tablib.Dataset(row, headers=headers), dry_run=True)
    messages = json.dumps([r.error_dict for r in result.invalid_rows], ensure_ascii=False)
    assert f"{number(code)} 序号1" in messages and "也取代" in messages
