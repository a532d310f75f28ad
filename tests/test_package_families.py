"""A package's new certificate without `family` (docs/notice-format.md): its family is derived from its
department (and occupation), or the package is refused naming the families to choose from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from recognition.models import Certificate, Department, Occupation
from recognition.notice_files import packages

pytestmark = pytest.mark.django_db

PROVINCIAL = Path(__file__).parent / "data" / "provincial-notice.json"


def provincial(**certificate) -> dict:
    """The provincial test package, its new certificate changed as given, without a family."""
    data = json.loads(PROVINCIAL.read_text(encoding="utf-8"))
    cert = data["certificates"][0]
    del cert["family"]
    cert.update(certificate)
    return data


def refused(data: dict) -> str:
    with pytest.raises(packages.PackageError) as caught:
        packages.load(data, dry_run=True)
    return "\n".join(caught.value.problems)


@pytest.mark.parametrize(
    ("department", "occupation", "family"),
    [
        ("住房城乡建设部门", "电工", "建筑施工特种作业操作资格证书"),
        # 应急管理部门 issues two families: the occupation tells them apart.
        ("应急管理部门", "电工", "特种作业操作证(电工作业)"),
        ("应急管理部门", "焊工", "特种作业操作证(焊接与热切割作业)"),
        ("market-regulation", "6-18-02-04", "特种设备作业人员证"),  # by slug and code too
    ],
)
def test_a_new_certificate_without_a_family_takes_its_departments_for_its_occupation(department, occupation, family):
    data = provincial(department=department, occupation=occupation)
    assert packages.prepare(data)["certificates"][0]["family"] == family
    packages.load(data)
    assert Certificate.objects.get(slug="js-electrician-post").family == family


def test_a_department_with_one_family_gives_it_for_an_occupation_it_has_no_certificate_of():
    data = provincial(department="住房城乡建设部门", occupation="焊工")
    assert packages.prepare(data)["certificates"][0]["family"] == "建筑施工特种作业操作资格证书"


def test_a_certificate_already_in_the_database_keeps_its_own_family():
    packages.load(json.loads(PROVINCIAL.read_text(encoding="utf-8")))
    data = provincial()
    assert packages.prepare(data)["certificates"][0]["family"] == "省级岗位能力证书(测试)"
    assert packages.load(data).action == "unchanged"


def test_a_family_given_by_another_certificate_of_the_package_counts():
    data = provincial(department="交通运输部门(测试)")
    Department.objects.create(slug="transport", name="交通运输部门(测试)")
    other = dict(data["certificates"][0], slug="js-other", name="另一种证书(测试)", short_name="另一种(测试)")
    other["family"] = "交通运输岗位证书(测试)"
    data["certificates"].append(other)
    assert [c["family"] for c in packages.prepare(data)["certificates"]] == ["交通运输岗位证书(测试)"] * 2


def test_several_families_for_the_department_and_occupation_are_refused_naming_them():
    Certificate.objects.create(
        slug="mem-other-electrician",
        name="另一种电工证书(测试)",
        short_name="另一种电工(测试)",
        department=Department.objects.get(name="应急管理部门"),
        occupation=Occupation.objects.get(name="电工"),
        family="另一种电工类别(测试)",
    )
    text = refused(provincial(department="应急管理部门"))
    assert "证书 js-electrician-post:缺少 family(证书类别)" in text
    assert "应急管理部门 对应职业 电工 的证书有多个类别:另一种电工类别(测试)、特种作业操作证(电工作业)" in text
    assert "请在 family 中填写其中之一" in text


def test_a_department_with_no_certificate_yet_is_refused_asking_for_the_family():
    Department.objects.create(slug="transport", name="交通运输部门(测试)")
    text = refused(provincial(department="交通运输部门(测试)"))
    assert "交通运输部门(测试) 还没有任何证书,不能推断证书类别" in text
    assert "请在 family 中写出这种证书的类别" in text


def test_load_notice_refuses_an_underivable_family_in_chinese_not_with_a_traceback(tmp_path):
    Department.objects.create(slug="transport", name="交通运输部门(测试)")
    path = tmp_path / "package.json"
    path.write_text(json.dumps(provincial(department="交通运输部门(测试)"), ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("load_notice", str(path))
    assert "缺少 family(证书类别)" in str(caught.value)
    assert not Certificate.objects.filter(slug="js-electrician-post").exists()
