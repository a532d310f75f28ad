"""The JSON API: its shape, its answers, and every kind of bad input."""

import json
from urllib.parse import quote

import pytest
from django.core.management import call_command

from recognition.models import DataVersion, RecognitionRule, Step
from recognition.rules import snapshot
from recognition.site import query
from tests.test_engine import ALL as SLUGS

pytestmark = pytest.mark.django_db


def get_json(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def test_lookup_shape(client):
    body = get_json(client, "/api/v1/lookup?held=fusion-welding-cutting&region=11")
    assert body["notice"]["number"] == "人社厅发〔2026〕1号"
    assert body["held"] == ["fusion-welding-cutting"]
    assert body["region"] == {"code": "11", "name": "北京市"}
    assert body["data_version"]
    assert body["on"] == query.today().isoformat()
    assert [notice["number"] for notice in body["notices"]] == ["人社厅发〔2026〕1号"]
    assert body["notices"][0]["status"] == "in-force" and body["notices"][0]["url"] == "/notices/rstf-2026-1/"
    assert body["upcoming"] == [] and body["ended"] == []
    first, second = body["recognitions"]
    assert first == {
        "serial": 4,
        "notice": "人社厅发〔2026〕1号",
        "notice_url": "/notices/rstf-2026-1/",
        "held": "fusion-welding-cutting",
        "held_name": "熔化焊接与热切割作业特种作业操作证",
        "target": "building-welder",
        "target_name": "建筑焊工特种作业操作证",
        "apply_to": "住房城乡建设部门",
        "apply_to_detail": "颁发建筑焊工特种作业操作证地区的住房城乡建设主管部门",
        "waived": ["安全作业培训"],
        "remaining": ["安全技术理论考核", "安全操作技能考核"],
        "conditions": [
            {
                "text": "所持熔化焊接与热切割作业特种作业操作证是应急管理部门颁发的合法有效证书",
                "kind": "stated",
                "met": None,
            },
            {
                "text": "申请地区的住房城乡建设主管部门颁发建筑焊工特种作业操作证",
                "kind": "target-issued-in-region",
                "met": None,
            },
        ],
        "applies": True,
        # Added fields (issue 16): 北京市's issuance is not recorded, so the region condition is still open.
        "decided": False,
        "serial_note": "附件表格未随网页转载,序号是本站按通知正文的先后重建的,不是附件原件中的编号",
        "clause": "s1-2",
        "clause_label": "一、(二)",
        "clause_url": "/notices/rstf-2026-1/#s1-2",
        "quote": first["quote"],
        "scope": [],
        "valid_from": "2026-01-09",
        "valid_until": None,
        "replaces": None,
        "replaced_by": None,
        "replaced_in": [],
    }
    assert "直接参加建筑焊工特种作业人员考核" in first["quote"]
    assert second["target"] == "special-equipment-welder"
    assert second["waived"] == ["动火作业安全管理考试"]
    [level] = body["levels"]
    assert level["occupation"] == "焊工"
    assert (level["deemed_level"], level["eligible_level"]) == (5, 4)
    assert (level["deemed_level_name"], level["eligible_level_name"]) == ("初级工(五级)", "中级工(四级)")
    assert level["clause"] == "s2-1"
    assert body["best_levels"] == [
        {
            "occupation": "焊工",
            "deemed_level": 5,
            "deemed_level_name": "初级工(五级)",
            "eligible_level": 4,
            "eligible_level_name": "中级工(四级)",
            "held": ["fusion-welding-cutting"],
        }
    ]


def test_lookup_combines_certificates_and_counts_a_repeat_once(client):
    body = get_json(
        client,
        "/api/v1/lookup?held=low-voltage-electrician&held=high-voltage-electrician&held=high-voltage-electrician",
    )
    assert body["held"] == ["low-voltage-electrician", "high-voltage-electrician"]
    assert [(r["serial"], r["target"]) for r in body["recognitions"]] == [
        (1, "building-electrician"),
        (2, "building-electrician"),
    ]
    [best] = body["best_levels"]
    assert (best["deemed_level"], best["eligible_level"], best["held"]) == (4, 3, ["high-voltage-electrician"])


def test_lookup_answers_every_combination(client):
    for mask in range(1, 64):
        held = [slug for i, slug in enumerate(SLUGS) if mask & (1 << i)]
        body = get_json(client, "/api/v1/lookup?" + "&".join(f"held={slug}" for slug in held))
        assert body["held"] == held
        assert all(r["held"] in held and r["target"] not in held for r in body["recognitions"])
        assert len(body["levels"]) == len(held)


def test_matrix_lists_everything(client):
    body = get_json(client, "/api/v1/matrix")
    assert [c["slug"] for c in body["certificates"]] == list(SLUGS)
    assert [r["serial"] for r in body["rules"]] == [1, 2, 3, 4, 5, 6, 7]
    assert len(body["levels"]) == 6
    assert [lvl["number"] for lvl in body["skill_levels"]] == [5, 4, 3, 2, 1]
    assert len(body["regions"]) == 32 and body["regions"][-1] == {"code": "66", "name": "新疆生产建设兵团"}
    steps = {c["slug"]: [s["name"] for s in c["steps"]] for c in body["certificates"]}
    for rule in body["rules"]:
        assert set(rule["waived"]) | set(rule["remaining"]) <= set(steps[rule["target"]])


def test_routes_api(client):
    body = get_json(client, "/api/v1/routes?target=building-welder")
    assert [r["certificates"] for r in body["direct"]] == [["fusion-welding-cutting", "building-welder"]]
    assert [r["certificates"] for r in body["indirect"]] == [
        ["special-equipment-welder", "fusion-welding-cutting", "building-welder"]
    ]
    assert body["indirect"][0]["steps"][0]["waived"] == ["安全技术培训", "安全技术理论考试"]


@pytest.mark.parametrize(
    "query,param,fragment",
    [
        ("", "held", "请至少选择一种"),
        ("held=", "held", "请至少选择一种"),
        ("held=electrician", "held", "没有这种证书"),
        ("held=low-voltage-electrician&held=%E7%94%B5%E5%B7%A5%E8%AF%81", "held", "没有这种证书"),
        ("held=low-voltage-electrician&region=99", "region", "没有这种地区"),
        ("held=low-voltage-electrician&region=11&region=12", "region", "只能选择一个地区"),
        ("held=" + "a" * 65, "held", "太长"),
        ("held=%00%01", "held", "无法识别的字符"),
        ("held=%FF%FE", "held", "无法识别的字符"),
        ("held=low-voltage-electrician&region=%C0", "region", "无法识别的字符"),
        ("&".join(["held=low-voltage-electrician"] * 21), "held", "太多"),
    ],
)
def test_bad_lookup_is_a_400_naming_the_valid_choices(client, query, param, fragment):
    body = get_json(client, f"/api/v1/lookup?{query}", status=400)
    assert fragment in body["error"]
    assert body["field"] == param
    values = [choice["value"] for choice in body["choices"]]
    if param == "held":
        assert values == list(SLUGS)
        assert body["choices"][0]["name"] == "低压电工作业特种作业操作证"
    else:
        assert "11" in values and "66" in values


def test_an_absurdly_long_query_string_is_refused_before_parsing(client):
    body = get_json(client, "/api/v1/lookup?held=low-voltage-electrician&x=" + "y" * 1100, status=400)
    assert "太长" in body["error"]


def test_bad_routes_and_unknown_parameters(client):
    body = get_json(client, "/api/v1/routes", status=400)
    assert "请选择想取得的证书" in body["error"]
    assert get_json(client, "/api/v1/routes?target=" + quote("焊工证"), status=400)["field"] == "target"
    # A parameter the API does not take is refused, naming those it takes: a typo is not silently ignored.
    body = get_json(client, "/api/v1/lookup?held=building-welder&utm_source=x", status=400)
    assert "utm_source" in body["error"] and body["field"] == "utm_source"
    assert [choice["value"] for choice in body["choices"]] == ["held", "region", "on"]
    assert get_json(client, "/api/v1/matrix?held=building-welder", status=400)["field"] == "held"


def test_api_only_answers_get(client):
    assert client.post("/api/v1/lookup?held=building-welder").status_code == 405


def test_data_version_changes_on_every_write(client):
    first = get_json(client, "/api/v1/matrix")["data_version"]
    rule = RecognitionRule.objects.get(serial=1)
    rule.save()
    second = get_json(client, "/api/v1/matrix")["data_version"]
    assert second != first
    rule.waived.add(Step.objects.get(certificate=rule.target, name="安全技术理论考核"))
    third = get_json(client, "/api/v1/matrix")
    assert third["data_version"] != second
    assert third["rules"][0]["waived"] == ["安全作业培训", "安全技术理论考核"]


def test_loaddata_changes_the_data_version():
    before = DataVersion.objects.get().revision
    call_command("load_notice", "--force", verbosity=0)
    assert DataVersion.objects.get().revision > before


def test_load_notice_never_overwrites_staff_edits():
    RecognitionRule.objects.filter(serial=1).update(quote="staff edit")
    call_command("load_notice", verbosity=0)
    assert RecognitionRule.objects.get(serial=1).quote == "staff edit"


def test_a_lookup_costs_one_query_however_many_certificates(client, django_assert_num_queries):
    snapshot.current_rules()  # warm this process's copy of the rules
    for url in ["/api/v1/lookup?held=building-welder", "/api/v1/lookup?" + "&".join(f"held={s}" for s in SLUGS)]:
        snapshot.check_again()  # the data version is due: the one query
        with django_assert_num_queries(1):
            assert client.get(url).status_code == 200


def test_reading_the_rules_afresh_is_a_fixed_number_of_queries(django_assert_max_num_queries):
    snapshot.clear_cache()
    with django_assert_max_num_queries(18):
        snapshot.current_rules()


def test_routes_say_how_many_routes_are_left_out(client):
    for slug in ["building-welder", "building-electrician", "special-equipment-welder"]:
        assert get_json(client, f"/api/v1/routes?target={slug}")["omitted"] == 0  # today every route is shown
