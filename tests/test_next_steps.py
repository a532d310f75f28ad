"""Next steps (办事指引): national channels everywhere, local offices where staff entered them."""

import re

import pytest
from django.contrib.auth.models import Group

from recognition.models import Department, Issuance, NextStep, Province
from recognition.rules import engine, snapshot
from recognition.site import guide

pytestmark = pytest.mark.django_db

ADD = "/admin/recognition/nextstep/add/"


def html(response) -> str:
    return response.content.decode()


def local_office(**changes) -> NextStep:
    fields = {
        "department": Department.objects.get(slug="housing-construction"),
        "province": Province.objects.get(code="44"),
        "office_name": "测试市住房和城乡建设局政务服务窗口",
        "address": "测试路1号",
        "opening_hours": "工作日 9:00-17:00",
        "phone": "020-00000000",
        "source": "测试数据",
        "confidence": "high",
    }
    fields.update(changes)
    return NextStep.objects.create(**fields)


def test_every_department_has_national_channels_with_their_source():
    for department in Department.objects.all():
        national = NextStep.objects.public().filter(department=department, province=None)
        assert national.exists(), department
        for step in national:
            assert step.source and step.is_public
            assert "12345" in step.phone and step.verify_url.startswith("https://")
            assert not step.address  # never an invented address


def test_a_region_without_local_offices_shows_the_national_channels_and_says_so(client):
    page = html(client.get("/?held=low-voltage-electrician&region=44"))
    card = page.split('id="card-building-electrician"')[1].split("</article>")[0]
    # The notice names the department, not a local one: no 当地 is added.
    assert "下一步:向住房城乡建设部门申请;广东省的办理地点本站尚未录入,可拨打 12345 咨询" in card
    assert "广东省住房城乡建设部门的办理地点、时间和电话本站尚未录入。请拨打 12345 政务服务便民热线" in card
    assert "https://zlaq.mohurd.gov.cn/" in card  # verify the 住建 certificate to be applied for
    assert "https://cx.mem.gov.cn/" in card  # verify the 应急管理 certificate held
    assert "来源:" in card


def test_a_region_with_a_local_office_shows_it_and_other_regions_do_not(client):
    local_office()
    page = html(client.get("/?held=low-voltage-electrician&region=44"))
    card = page.split('id="card-building-electrician"')[1].split("</article>")[0]
    assert "下一步:到测试市住房和城乡建设局政务服务窗口办理,电话 020-00000000" in card
    assert "地址:测试路1号" in card and "办公时间:工作日 9:00-17:00" in card
    assert "尚未录入" not in card
    other = html(client.get("/?held=low-voltage-electrician&region=11"))
    assert "测试市住房和城乡建设局" not in other and "北京市住房城乡建设部门的办理地点" in other


def test_low_confidence_entries_are_not_shown(client):
    local_office(confidence="low")
    assert "测试市住房和城乡建设局" not in html(client.get("/?held=low-voltage-electrician&region=44"))


def test_local_offices_make_the_region_question_matter(client):
    page = html(client.get("/?held=low-voltage-electrician"))
    assert '<details id="region-fold" class="field region-fold">' in page  # folded: nothing depends on it
    local_office()
    page = html(client.get("/?held=low-voltage-electrician"))
    assert '<details id="region-fold" class="field region-fold" open>' in page
    assert "显示工作人员已录入的当地办理地点" in page


def test_the_region_question_says_what_it_decides(client):
    page = html(client.get("/?held=fusion-welding-cutting"))
    assert '<details id="region-fold" class="field region-fold" open>' in page
    assert "选择地区用于:判断建筑焊工操作证在该地区是否颁发" in page


def test_staff_edit_national_and_local_entries_in_the_admin(client, django_user_model):
    editor = django_user_model.objects.create_user("editor", password="x", is_staff=True)
    editor.groups.set(Group.objects.filter(name="规则编辑"))
    client.force_login(editor)
    assert client.get("/admin/recognition/nextstep/").status_code == 200
    department = Department.objects.get(slug="housing-construction")
    data = {
        "department": department.pk,
        "province": Province.objects.get(code="44").pk,
        "order": 5,
        "office_name": "某市政务服务中心",
        "address": "某路2号",
        "opening_hours": "",
        "phone": "",
        "online_name": "",
        "online_url": "",
        "what_to_bring": "身份证",
        "verify_text": "",
        "verify_url": "",
        "source": "某市政务服务网",
        "confidence": "medium",
    }
    response = client.post(ADD, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    national = NextStep.objects.get(department=department, province=None)
    change = {
        **data,
        "province": "",
        "office_name": "",
        "address": "",
        "phone": "12345 政务服务便民热线",
        "what_to_bring": "身份证和所持证书原件",
        "source": national.source,
    }
    response = client.post(f"/admin/recognition/nextstep/{national.pk}/change/", change)
    assert response.status_code == 302
    client.logout()
    page = html(client.get("/?held=low-voltage-electrician&region=44"))
    assert "某市政务服务中心" in page and "带上:身份证" in page
    page = html(client.get("/?held=low-voltage-electrician&region=11"))
    assert "某市政务服务中心" not in page and "带上:身份证和所持证书原件" in page


def test_both_staff_groups_have_the_next_steps_permissions():
    editor = set(Group.objects.get(name="规则编辑").permissions.values_list("codename", flat=True))
    viewer = set(Group.objects.get(name="查看").permissions.values_list("codename", flat=True))
    assert {"add_nextstep", "change_nextstep", "delete_nextstep", "view_nextstep"} <= editor
    assert "view_nextstep" in viewer and "change_nextstep" not in viewer


def test_a_change_to_next_steps_bumps_the_data_version():
    before = snapshot.current_rules()
    local_office()
    assert snapshot.current_rules() is not before


def test_summary_counts_only_waivers_that_apply_in_the_region(client):
    Issuance.objects.filter(province__code="66", certificate__slug="building-welder").update(
        status=Issuance.Status.NOT_ISSUED
    )
    snapshot.clear_cache()
    page = html(client.get("/?held=fusion-welding-cutting&region=66"))
    assert re.search(r'<p id="result-summary" class="summary">申请 1 种证书时可减免部分培训或考试', page)


def test_plain_outcome_keeps_the_notices_can(book):
    rule = next(r for r in book.rules if r.serial == 1)
    # 考核 stays 考核: the notice says 直接参加建筑电工特种作业人员考核, one item.
    assert guide.plain_outcome(book, rule) == "可以不参加安全作业培训,直接参加考核"
    rule = next(r for r in book.rules if r.serial == 7)
    assert guide.plain_outcome(book, rule) == "可以不参加安全技术培训和安全技术理论考试,直接参加安全技术实操考试"


def test_identical_outcomes_from_two_certificates_are_one_card(book):
    result = engine.lookup(book, ["low-voltage-electrician", "high-voltage-electrician"])
    cards = guide.build_cards(book, result)
    building = [card for card in cards if card.slug == "building-electrician"]
    assert len(building) == 1 and len(building[0].outcomes) == 1
    assert [cert.slug for cert in building[0].held] == ["low-voltage-electrician", "high-voltage-electrician"]
    assert [c.serial for c in building[0].best.citations] == [1, 2]


def test_different_outcomes_for_one_target_are_one_card_with_the_best_first(book):
    result = engine.lookup(book, ["building-welder", "special-equipment-welder"])
    (card,) = [card for card in guide.build_cards(book, result) if card.slug == "fusion-welding-cutting"]
    assert [outcome.rule.serial for outcome in card.outcomes] == [7, 6]
    assert card.headline.startswith("申请熔化焊接与热切割作业操作证:可以不参加安全技术培训和安全技术理论考试")
