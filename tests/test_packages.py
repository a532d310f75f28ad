"""Notices as files: load, idempotence, --replace, refusals that write nothing, dump → load, replacements over time."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from reversion.models import Version

from recognition.models import (
    Certificate,
    Condition,
    DataVersion,
    LevelEquivalence,
    Notice,
    Publication,
    RecognitionRule,
)
from recognition.notice_files import packages
from recognition.rules.checks import level_problems, rule_problems

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
PROVINCIAL = DATA / "provincial-notice.json"
FIRST = Path(settings.BASE_DIR) / "fixtures" / "notices" / "rstf-2026-1.json"
NUMBER_1 = "人社厅发〔2026〕1号"
NUMBER_JS = "苏人社发〔2026〕99号"


def provincial() -> dict:
    return json.loads(PROVINCIAL.read_text(encoding="utf-8"))


def national() -> dict:
    """The same notice for the whole country: its 序号1 then replaces 1号 序号3 everywhere, ending it."""
    data = provincial()
    del data["notice"]["scope"]
    return data


def rule_of(number: str, serial: int) -> RecognitionRule:
    return RecognitionRule.objects.get(notice__number=number, serial=serial)


def version() -> int:
    return DataVersion.objects.get().revision


def refused(data: dict, **kwargs) -> list[str]:
    with pytest.raises(packages.PackageError) as caught:
        packages.load(data, **kwargs)
    return caught.value.problems


def everything() -> list:
    """Every row a package writes, to prove that a refused one wrote nothing."""
    return [
        sorted(Notice.objects.values_list("number", "title", "publication")),
        sorted(Certificate.objects.values_list("slug", "name")),
        sorted(RecognitionRule.objects.values_list("notice__number", "serial", "quote", "valid_from", "valid_until")),
        sorted(LevelEquivalence.objects.values_list("notice__number", "certificate__slug", "valid_until")),
    ]


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# Loading.


def test_the_provincial_package_loads_with_its_certificate_rules_and_level():
    result = packages.load(provincial())
    assert result.action == "created"
    notice = Notice.objects.get(number=NUMBER_JS)
    assert notice.slug == "test-js-2026-99"
    assert list(notice.scope.values_list("code", flat=True)) == ["32"]
    assert notice.clauses.get(anchor="s1-1").label == "一、(一)"
    new = Certificate.objects.get(slug="js-electrician-post")
    assert [(s.name, s.kind) for s in new.steps.all()] == [("岗位培训", "training"), ("岗位考核", "exam")]
    assert new.everyday_names == "江苏电工岗位证"
    replacing = rule_of(NUMBER_JS, 1)
    assert replacing.replaces == rule_of(NUMBER_1, 3)
    assert [s.name for s in replacing.waived.all()] == ["安全技术培训", "安全技术理论考试"]
    assert list(replacing.conditions.values_list("text", "kind")) == [
        ("所持建筑电工特种作业操作证是住房城乡建设部门颁发的合法有效证书", "stated")
    ]
    assert rule_of(NUMBER_JS, 2).valid_until == date(2026, 12, 31)
    assert rule_of(NUMBER_JS, 3).valid_from == date(2027, 3, 1)
    level = LevelEquivalence.objects.get(notice=notice)
    assert (level.deemed_level.number, level.eligible_level.number) == (5, 4)


def test_a_provincial_replacement_leaves_the_national_rules_days_alone():
    packages.load(provincial())
    assert rule_of(NUMBER_1, 3).valid_until is None  # the engine answers region by region


def test_the_replaced_rule_ends_the_day_before_and_history_records_it():
    packages.load(national(), history_comment="测试载入")
    replaced = rule_of(NUMBER_1, 3)
    assert replaced.valid_until == date(2026, 11, 30)
    comments = [v.revision.comment for v in Version.objects.get_for_object(replaced)]
    assert any("取代" in comment and "2026-11-30" in comment for comment in comments), comments


def test_loading_the_same_file_twice_changes_nothing():
    packages.load(provincial())
    before, rows = version(), everything()
    assert packages.load(provincial()).action == "unchanged"
    assert run("load_notice", str(PROVINCIAL)).endswith("nothing changed.\n")
    assert version() == before
    assert everything() == rows


def test_1_hao_as_loaded_is_its_package_file_and_loading_it_again_changes_nothing():
    before = version()
    assert packages.load(packages.parse(FIRST.read_bytes())).action == "unchanged"
    assert version() == before


def reversed_lists(data: dict) -> dict:
    """The same package with every rule's steps and conditions listed the other way round."""
    for rule in data["rules"]:
        for key in ("waived", "remaining", "conditions"):
            rule[key] = list(reversed(rule.get(key) or []))
    return data


def test_reloading_with_steps_and_conditions_in_another_order_changes_nothing():
    packages.load(provincial())
    first = json.loads(FIRST.read_text(encoding="utf-8"))
    assert any(len(rule["conditions"]) > 1 for rule in first["rules"])
    assert any(len(rule["waived"]) > 1 for rule in provincial()["rules"])
    before, rows, conditions = version(), everything(), list(Condition.objects.values_list("rule", "order", "text"))
    assert packages.load(reversed_lists(provincial())).action == "unchanged"
    assert packages.load(reversed_lists(first)).action == "unchanged"
    assert version() == before and everything() == rows
    assert list(Condition.objects.values_list("rule", "order", "text")) == conditions


def test_an_existing_number_is_refused_without_replace_and_replaced_with_it(tmp_path):
    packages.load(provincial())
    changed = provincial()
    changed["rules"][1]["quote"] = "改过的原句。"
    rows = everything()
    problems = refused(changed)
    assert "--replace" in problems[0]
    assert any("序号2 quote" in line and "改过的原句。" in line for line in problems)
    assert everything() == rows

    with pytest.raises(CommandError):
        run("load_notice", str(_write(changed, tmp_path)))
    output = run("load_notice", "--replace", str(_write(changed, tmp_path)))
    assert "规则 序号2 quote" in output and "改过的原句。" in output
    assert rule_of(NUMBER_JS, 2).quote == "改过的原句。"


def test_replace_removes_rows_the_file_no_longer_has_and_gives_the_replaced_rule_back_its_last_day():
    packages.load(national())
    assert rule_of(NUMBER_1, 3).valid_until == date(2026, 11, 30)
    smaller = national()
    smaller["rules"] = smaller["rules"][1:]
    result = packages.load(smaller, replace=True)
    assert "删除规则 序号1" in result.changes
    assert not RecognitionRule.objects.filter(notice__number=NUMBER_JS, serial=1).exists()
    assert rule_of(NUMBER_1, 3).valid_until is None


def test_dry_run_shows_the_changes_and_writes_nothing():
    rows, before = everything(), version()
    output = run("load_notice", "--dry-run", str(PROVINCIAL))
    assert "新增通知" in output and "would load" in output
    assert everything() == rows
    assert version() == before


# Refusals: every reason, nothing written.


def test_a_package_breaking_several_rules_is_refused_whole_with_every_reason():
    data = provincial()
    data["rules"][0]["waived"] = ["安全作业培训"]  # a step of another certificate
    data["rules"][1]["remaining"] = ["安全作业培训"]  # both waived and remaining
    data["rules"][2]["clause"] = "s9"  # not a clause of this notice
    data["levels"][0]["eligible_level"] = 5  # not above the level deemed
    rows, before = everything(), version()
    problems = refused(data)
    text = "\n".join(problems)
    assert "安全作业培训 不是申请证书 low-voltage-electrician 的取证环节" in text
    assert "clause “s9”不是本通知的条款" in text
    assert len(problems) == 2  # shape problems stop before the database checks
    assert everything() == rows and version() == before

    data = provincial()
    data["rules"][1]["remaining"] = ["安全作业培训"]
    data["levels"][0]["eligible_level"] = 5
    problems = refused(data)
    text = "\n".join(problems)
    assert "规则 序号2" in text and "不能既免予又仍须参加" in text
    assert "等级比照" in text and "可报名的等级必须高于视同达到的等级" in text
    assert everything() == rows and version() == before


def test_a_certificate_the_model_refuses_is_named_and_the_rules_naming_it_are_refused_not_an_error(tmp_path):
    data = provincial()
    data["certificates"][0]["family"] = "类" * 101  # longer than the model keeps
    data["rules"][1].update(target="js-electrician-post", held="building-electrician")
    data["rules"][1].update(waived=["岗位培训"], remaining=["岗位考核"])
    rows = everything()
    problems = refused(data)
    assert any(problem.startswith("证书 js-electrician-post:证书类别") for problem in problems)
    assert "规则 序号2:证书或依据条款未能写入,见上。" in problems
    assert "等级比照 js-electrician-post 电工:证书或依据条款未能写入,见上。" in problems
    with pytest.raises(CommandError) as caught:  # from the command line: the same refusals, no traceback
        call_command("load_notice", str(_write(data, tmp_path)))
    assert "规则 序号2:证书或依据条款未能写入,见上。" in str(caught.value)
    assert everything() == rows


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("rules", 0, "held"), "no-such-certificate", "没有“no-such-certificate”这个证书"),
        (("rules", 0, "apply_to"), "交通运输部门", "没有“交通运输部门”这个受理部门"),
        (("certificates", 0, "occupation"), "木工", "没有“木工”这个职业"),
        (("certificates", 0, "department"), "no-such-department", "没有“no-such-department”这个发证部门"),
        (("levels", 0, "deemed_level"), 9, "没有“9”这个技能等级"),
        (("notice", "scope"), ["99"], "没有“99”这个地区"),
        (("rules", 0, "replaces"), {"notice": NUMBER_1, "serial": 99}, "中没有序号为 99 的规则"),
    ],
)
def test_an_unknown_reference_is_refused_naming_it(path, value, message):
    data = provincial()
    place = data
    for key in path[:-1]:
        place = place[key]
    place[path[-1]] = value
    rows = everything()
    assert any(message in problem for problem in refused(data))
    assert everything() == rows


def test_references_by_name_and_code_are_accepted():
    data = provincial()
    data["rules"][0]["held"] = "建筑电工特种作业操作证"  # a name instead of the slug
    data["certificates"][0]["occupation"] = "6-31-01-03"  # a code instead of the name
    data["certificates"][0]["department"] = "housing-construction"  # a slug instead of the name
    data["notice"]["scope"] = ["江苏省"]
    data["levels"][0]["deemed_level"] = "五级"
    packages.load(data)
    assert rule_of(NUMBER_JS, 1).held.slug == "building-electrician"
    assert list(Notice.objects.get(number=NUMBER_JS).scope.values_list("code", flat=True)) == ["32"]


def test_an_overlapping_rule_is_refused_naming_the_other_and_offering_the_replacement():
    data = provincial()
    del data["rules"][0]["replaces"]
    rows = everything()
    problems = refused(data)
    clash = next(problem for problem in problems if "规则 序号1" in problem)
    assert NUMBER_1 in clash and "序号3" in clash and "取代" in clash
    assert everything() == rows


def test_a_provincial_rule_in_other_regions_or_other_days_does_not_overlap():
    data = provincial()
    del data["rules"][0]["replaces"]
    data["rules"][0]["valid_from"] = "2026-01-01"
    data["rules"][0]["valid_until"] = "2026-01-08"  # the day before 1号
    packages.load(data)
    assert rule_of(NUMBER_1, 3).valid_until is None


def test_a_draft_rule_does_not_overlap():
    data = provincial()
    del data["rules"][0]["replaces"]
    data["rules"][0]["status"] = "draft"
    packages.load(data)
    assert rule_of(NUMBER_JS, 1).publication == Publication.DRAFT


def test_replacing_a_row_of_the_same_notice_or_a_later_one_is_refused():
    data = provincial()
    data["rules"][2]["replaces"] = {"notice": NUMBER_JS, "serial": 1}
    packages.load(provincial())
    problems = refused(data, replace=True)
    assert any("只能取代另一份通知中的一条" in p for p in problems)

    data = provincial()
    data["rules"][0]["valid_from"] = "2026-01-09"  # the same day as the rule replaced
    problems = refused(data, replace=True)
    assert any("被取代的一条必须早于本条开始施行" in p for p in problems)


def test_shared_checks_refuse_a_clause_of_another_notice():
    packages.load(provincial())
    rule = rule_of(NUMBER_JS, 3)
    other_clause = Notice.objects.get(number=NUMBER_1).clauses.get(anchor="s1-1")
    rule.clause = other_clause
    problems = rule_problems(rule, rule.waived.all(), rule.remaining.all())
    assert NUMBER_1 in problems["clause"][0] and "只能选本通知自己的条款" in problems["clause"][0]
    level = LevelEquivalence.objects.get(notice__number=NUMBER_JS)
    level.clause = other_clause
    problems = level_problems(level)
    assert "clause" in problems


# Dump → load.


def test_dump_of_1_hao_is_its_package_file():
    assert run("dump_notice", NUMBER_1) == FIRST.read_text(encoding="utf-8")
    assert run("dump_notice", "rstf-2026-1") == FIRST.read_text(encoding="utf-8")


def test_dump_then_load_is_exact(tmp_path):
    packages.load(national())
    first = run("dump_notice", NUMBER_JS)
    assert json.loads(first) == packages.prepare(national())
    # Take the notice out entirely, load its dump, and dump again.
    notice = Notice.objects.get(number=NUMBER_JS)
    RecognitionRule.objects.filter(notice=notice).delete()
    LevelEquivalence.objects.filter(notice=notice).delete()
    notice.delete()
    Certificate.objects.filter(slug="js-electrician-post").delete()
    assert rule_of(NUMBER_1, 3).valid_until is None  # deleting the replacement gave the last day back
    run("load_notice", str(_write(json.loads(first), tmp_path)))
    assert run("dump_notice", NUMBER_JS) == first
    assert rule_of(NUMBER_1, 3).valid_until == date(2026, 11, 30)


def test_dump_of_an_unknown_number_says_which_exist():
    with pytest.raises(CommandError, match="人社厅发"):
        run("dump_notice", "没有〔2026〕1号")


# Replacements over time (recognition.rules.replacements).


def test_withdrawing_the_replacement_restores_the_replaced_rule():
    packages.load(national())
    replacement = rule_of(NUMBER_JS, 1)
    replacement.publication = Publication.DRAFT
    replacement.save()
    assert rule_of(NUMBER_1, 3).valid_until is None
    replacement.publication = Publication.PUBLISHED
    replacement.save()
    assert rule_of(NUMBER_1, 3).valid_until == date(2026, 11, 30)


def test_withdrawing_the_replacing_notice_restores_the_replaced_rule():
    packages.load(national())
    notice = Notice.objects.get(number=NUMBER_JS)
    notice.publication = Publication.DRAFT
    notice.save()
    assert rule_of(NUMBER_1, 3).valid_until is None


def test_deleting_the_replacement_restores_the_replaced_rule_and_history_says_so():
    packages.load(national())
    rule_of(NUMBER_JS, 1).delete()
    replaced = rule_of(NUMBER_1, 3)
    assert replaced.valid_until is None
    assert any("已撤回" in v.revision.comment for v in Version.objects.get_for_object(replaced))


def test_a_replaced_rule_keeps_an_earlier_last_day_of_its_own():
    rule = rule_of(NUMBER_1, 3)
    rule.valid_until = date(2026, 10, 31)
    rule.save()
    packages.load(national())
    assert rule_of(NUMBER_1, 3).valid_until == date(2026, 10, 31)
    rule_of(NUMBER_JS, 1).delete()
    assert rule_of(NUMBER_1, 3).valid_until == date(2026, 10, 31)


def _write(data: dict, folder: Path) -> Path:
    path = folder / "package.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


# The admin: import with a preview, refusals on the forms.

NOTICES = "/admin/recognition/notice/"
IMPORT = f"{NOTICES}import-package/"


def upload(client, data: dict, **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return client.post(IMPORT, {"package_file": SimpleUploadedFile("p.json", content), **extra})


def confirmation(preview) -> dict:
    """What 确认导入 posts: the upload's name and the preview's fingerprint (tests/admin/test_package_import.py)."""
    return {"upload": preview.context["upload"], "fingerprint": preview.context["fingerprint"], "confirm": "1"}


def test_the_admin_imports_a_package_after_a_preview(admin_client, client):
    assert "从文件导入通知" in admin_client.get(NOTICES).content.decode()
    rows, before = everything(), version()
    preview = upload(admin_client, provincial())
    page = preview.content.decode()
    assert preview.status_code == 200 and "新增通知 苏人社发〔2026〕99号" in page and "确认导入" in page
    assert everything() == rows and version() == before  # the preview wrote nothing

    done = admin_client.post(IMPORT, confirmation(preview))
    assert done.status_code == 302
    assert rule_of(NUMBER_JS, 1).replaces == rule_of(NUMBER_1, 3)
    assert Version.objects.get_for_object(rule_of(NUMBER_JS, 1)).exists()


def test_the_admin_import_lists_every_reason_and_writes_nothing(admin_client):
    data = provincial()
    del data["rules"][0]["replaces"]
    data["rules"][1]["remaining"] = ["安全作业培训"]
    rows = everything()
    response = upload(admin_client, data)
    problems = response.context["problems"]
    assert any("规则 序号1" in p and "序号3" in p for p in problems)
    assert any("规则 序号2" in p and "不能既免予又仍须参加" in p for p in problems)
    assert "确认导入" not in response.content.decode()
    assert everything() == rows


def test_the_admin_import_replaces_only_when_asked(admin_client):
    packages.load(provincial())
    changed = provincial()
    changed["notice"]["status_note"] = "部分条款已修改"
    response = upload(admin_client, changed)
    assert any("--replace" in p for p in response.context["problems"])
    response = upload(admin_client, changed, replace="1")
    assert "通知 status_note" in response.content.decode()
    admin_client.post(IMPORT, confirmation(response))
    assert Notice.objects.get(number=NUMBER_JS).status_note == "部分条款已修改"


def test_a_viewer_may_not_import_a_package(client, django_user_model):
    from django.contrib.auth.models import Group

    viewer = django_user_model.objects.create_user("viewer", is_staff=True)
    viewer.groups.set(Group.objects.filter(name="查看"))
    client.force_login(viewer)
    assert client.get(IMPORT).status_code == 403
    assert "从文件导入通知" not in client.get(NOTICES).content.decode()


def test_the_admin_exports_a_notice_as_its_package(admin_client):
    notice = Notice.objects.get(number=NUMBER_1)
    response = admin_client.post(NOTICES, {"action": "export_package", "_selected_action": [notice.pk]})
    assert response["Content-Disposition"] == 'attachment; filename="rstf-2026-1.json"'
    assert response.content.decode() == FIRST.read_text(encoding="utf-8")


def test_the_rule_form_refuses_an_overlap_naming_the_other_rule_and_offering_the_replacement(admin_client):
    from tests.admin.helpers import errors, rule_data

    packages.load(provincial())
    rule = rule_of(NUMBER_JS, 1)
    response = admin_client.post(
        f"/admin/recognition/recognitionrule/{rule.pk}/change/", rule_data(rule, replaces=rule.replaces_id)
    )
    assert response.status_code == 302  # as loaded: it replaces 1号 序号3
    # Without `replaces`, 1号 序号3 would get its open end back and overlap.
    response = admin_client.post(
        f"/admin/recognition/recognitionrule/{rule.pk}/change/", rule_data(rule_of(NUMBER_JS, 1), replaces="")
    )
    message = " ".join(errors(response)["replaces"])
    assert NUMBER_1 in message and "序号3" in message and "取代" in message
    assert rule_of(NUMBER_JS, 1).replaces is not None


def test_the_rule_form_offers_only_its_notices_clauses_and_says_so(admin_client):
    from tests.admin.helpers import errors, rule_data

    packages.load(provincial())
    rule = rule_of(NUMBER_JS, 3)
    page = admin_client.get(f"/admin/recognition/recognitionrule/{rule.pk}/change/")
    offered = {clause.notice.number for clause in page.context["adminform"].form.fields["clause"].queryset}
    assert offered == {NUMBER_JS}
    foreign = Notice.objects.get(number=NUMBER_1).clauses.get(anchor="s1-1")
    response = admin_client.post(
        f"/admin/recognition/recognitionrule/{rule.pk}/change/", rule_data(rule, clause=foreign.pk)
    )
    assert "只能是本条所属通知自己的条款" in " ".join(errors(response)["clause"])


def test_the_example_in_the_format_document_loads():
    document = (Path(settings.BASE_DIR) / "docs" / "notice-format.md").read_text(encoding="utf-8")
    example = document.split("```json\n", 1)[1].split("```", 1)[0]
    result = packages.load(json.loads(example))
    assert result.action == "created"
    rule = rule_of(NUMBER_JS, 1)
    assert (rule.clause.label, rule.valid_from, rule.notice.issued_on) == ("一、", date(2027, 3, 1), date(2026, 6, 15))


def test_load_notice_without_a_file_keeps_staff_edits_unless_forced():
    rule = rule_of(NUMBER_1, 3)
    rule.quote = "工作人员改过的原句。"
    rule.save()
    assert "nothing loaded" in run("load_notice")
    assert rule_of(NUMBER_1, 3).quote == "工作人员改过的原句。"
    run("load_notice", "--force", "--verbosity", "0")
    assert rule_of(NUMBER_1, 3).quote != "工作人员改过的原句。"
    assert run("dump_notice", NUMBER_1) == FIRST.read_text(encoding="utf-8")


def test_the_rule_import_refuses_an_overlap_too():
    import tablib

    from recognition.staff.resources import COLUMNS, RecognitionRuleResource

    data = provincial()
    del data["rules"][0]["replaces"]
    data["rules"][0]["status"] = "draft"
    packages.load(data)
    exported = RecognitionRuleResource().export()
    headers = list(COLUMNS.values())
    rows = [list(row) for row in exported]
    number, serial, publication = (headers.index(COLUMNS[key]) for key in ("notice", "serial", "publication"))
    published = rows[0][publication]  # 1号 序号1 is published
    row = next(row for row in rows if row[number] == NUMBER_JS and int(row[serial]) == 1)
    row[publication] = published
    result = RecognitionRuleResource().import_data(tablib.Dataset(row, headers=headers), dry_run=True)
    messages = json.dumps([r.error_dict for r in result.invalid_rows], ensure_ascii=False)
    assert NUMBER_1 in messages and "序号3" in messages and "取代" in messages


def test_publishing_a_notice_whose_rule_overlaps_is_refused(admin_client):
    # While 1号 序号3 is a draft, a draft notice's published rule for the same pair clashes with nothing;
    # 序号3 is published again (the draft notice's rows are not public, so that clashes with nothing either).
    third = rule_of(NUMBER_1, 3)
    third.publication = Publication.DRAFT
    third.save()
    data = provincial()
    del data["rules"][0]["replaces"]
    data["notice"]["status"] = "draft"
    packages.load(data)
    third.publication = Publication.PUBLISHED
    third.save()
    notice = Notice.objects.get(number=NUMBER_JS)
    response = admin_client.post(NOTICES, {"action": "publish", "_selected_action": [notice.pk]}, follow=True)
    page = response.content.decode()
    assert "未能发布" in page and "序号3" in page
    assert Notice.objects.get(number=NUMBER_JS).publication == Publication.DRAFT
    from tests.admin.helpers import change_form_post, errors

    url = f"{NOTICES}{notice.pk}/change/"
    response = admin_client.post(url, change_form_post(admin_client.get(url)) | {"publication": "published"})
    assert "序号3" in " ".join(errors(response)["publication"])
    assert Notice.objects.get(number=NUMBER_JS).publication == Publication.DRAFT


def test_an_oversized_package_is_refused_before_it_is_read(admin_client):
    data = provincial()
    data["clauses"][0]["text"] = "很长的正文。" * 20_000
    with pytest.raises(packages.PackageError, match="文件太大"):
        packages.parse(json.dumps(data, ensure_ascii=False))
    rows = everything()
    response = upload(admin_client, data)
    assert any("文件太大" in problem for problem in response.context["problems"])
    assert everything() == rows
