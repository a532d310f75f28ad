"""Malformed notice packages are refused in Chinese, naming what is wrong, through the admin upload and
`manage.py load_notice` alike: never a 500, never a traceback, nothing written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from recognition.models import Certificate, Notice, RecognitionRule

pytestmark = pytest.mark.django_db

PROVINCIAL = Path(__file__).parent / "data" / "provincial-notice.json"
IMPORT = "/admin/recognition/notice/import-package/"
NESTED = 50  # levels, well within what json reads and far deeper than the format goes


def package(change: Callable[[dict], object] | None = None, text: Callable[[str], str] | None = None) -> bytes:
    """The provincial test package with one change to its data, or to its text once written."""
    data = json.loads(PROVINCIAL.read_text(encoding="utf-8"))
    if change:
        change(data)
    written = json.dumps(data, ensure_ascii=False)
    return (text(written) if text else written).encode("utf-8")


def at(*path):
    """A change setting the value at `path` (keys and indexes) of the package."""

    def change_to(value):
        def change(data):
            row = data
            for step in path[:-1]:
                row = row[step]
            row[path[-1]] = value

        return change

    return change_to


def replacing(old: str, new: str) -> Callable[[str], str]:
    def change(text: str) -> str:
        assert old in text
        return text.replace(old, new, 1)

    return change


TITLE, SERIAL = at("notice", "title"), at("rules", 0, "serial")
CASES = [
    ("a list nested 100,000 deep", b"[" * 100_000, "嵌套太深"),
    ("an object nested 20,000 deep", b'{"notice":' * 20_000, "嵌套太深"),
    ("a value nested deeper than the format", package(TITLE(json.loads("[" * NESTED + "]" * NESTED))), "嵌套太深"),
    ("a list at the top", b"[]", "顶层必须是一个对象"),
    ("a string at the top", b'"notice"', "顶层必须是一个对象"),
    ("an empty file", b"", "不是有效的 JSON"),
    ("not JSON", b"notice: 1", "不是有效的 JSON"),
    ("UTF-16", '{"notice": {}}'.encode("utf-16"), "UTF-8"),
    ("NaN", package(text=replacing('"serial": 1', '"serial": NaN')), "NaN"),
    ("Infinity", package(text=replacing('"serial": 1', '"serial": -Infinity')), "Infinity"),
    ("a number too large for a float", package(text=replacing('"serial": 1', '"serial": 1e400')), "数字太大"),
    ("a 5,000-digit number", package(text=replacing('"serial": 1', '"serial": ' + "9" * 5000)), "数字太大"),
    ("a serial too large for the database", package(SERIAL(10**12)), "serial “1000000000000”必须是"),
    ("a negative serial", package(SERIAL(-3)), "serial “-3”必须是"),
    ("a serial that is text", package(SERIAL("三")), "serial “三”必须是"),
    ("a serial that is true", package(SERIAL(True)), "serial “true”必须是"),
    ("a fractional order", package(at("clauses", 0, "order")(1.5)), "level 和 order 必须是"),
    ("a level that is a list", package(at("clauses", 0, "level")([1])), "level 和 order 必须是"),
    ("a key twice", package(text=replacing('"format": 1', '"format": 1, "format": 1')), "“format”出现了两次"),
    ("a key twice in a rule", package(text=replacing('"serial": 1', '"serial": 1, "serial": 9')), "“serial”出现了两次"),
    ("a NUL character", package(TITLE("标题\x00")), "空字符"),
    ("a lone surrogate", package(text=replacing('"title": "', '"title": "\\ud800')), "代理"),
    ("a notice that is a list", package(at("notice")([])), "notice 必须是对象"),
    ("clauses that are an object", package(at("clauses")({"anchor": "s1"})), "clauses 必须是列表"),
    ("a rule that is a string", package(at("rules", 0)("规则")), "rules 的第 1 项必须是对象"),
    ("conditions that are true", package(at("rules", 0, "conditions")(True)), "conditions 必须是列表"),
    ("conditions that are a number", package(at("rules", 0, "conditions")(1)), "conditions 必须是列表"),
    ("a condition's kind that is a list", package(at("rules", 0, "conditions")([{"kind": []}])), "kind"),
    ("waived steps that are a number", package(at("rules", 0, "waived")(3)), "waived 必须是列表"),
    ("steps that are an object", package(at("certificates", 0, "steps")({"name": "x"})), "steps 必须是列表"),
    ("a scope that is a number", package(at("notice", "scope")(32)), "scope 必须是列表"),
    ("a replacement that is a list", package(at("rules", 0, "replaces")([1])), "replaces 必须是对象"),
    ("a replaced serial too large", package(at("rules", 0, "replaces", "serial")(10**12)), "replaces 的 serial"),
    ("a level that is a list", package(at("levels", 0, "deemed_level")([5])), "技能等级"),
    ("a title that is an object", package(TITLE({"zh": "标题"})), "title 必须是文字,不能是对象"),
    ("an anchor that is a list", package(at("clauses", 0, "anchor")(["s1"])), "anchor 必须是文字,不能是列表"),
    ("a quote that is true", package(at("rules", 0, "quote")(True)), "quote 必须是文字,不能是true"),
    ("a format that is text", package(at("format")("1")), 'format 为 "1"'),
    ("a format that is true", package(at("format")(True)), "format 为 true"),
]


def everything() -> list:
    return [
        sorted(Notice.objects.values_list("number", "title")),
        sorted(Certificate.objects.values_list("slug", "name")),
        sorted(RecognitionRule.objects.values_list("notice__number", "serial", "quote")),
    ]


@pytest.mark.parametrize(("content", "message"), [pytest.param(c, m, id=name) for name, c, m in CASES])
def test_a_malformed_package_uploaded_in_the_admin_is_refused_in_chinese(admin_client, content, message):
    rows = everything()
    response = admin_client.post(IMPORT, {"package_file": SimpleUploadedFile("p.json", content)})
    assert response.status_code == 200
    problems = response.context["problems"]
    assert any(message in problem for problem in problems), problems
    page = response.content.decode()
    assert "确认导入" not in page and "Traceback" not in page
    assert everything() == rows


@pytest.mark.parametrize(("content", "message"), [pytest.param(c, m, id=name) for name, c, m in CASES])
def test_a_malformed_package_given_to_load_notice_is_refused_in_chinese(tmp_path, content, message):
    rows = everything()
    path = tmp_path / "package.json"
    path.write_bytes(content)
    with pytest.raises(CommandError) as caught:  # printed as one message by manage.py, not a traceback
        call_command("load_notice", str(path))
    assert message in str(caught.value)
    assert everything() == rows


def test_a_package_with_a_byte_order_mark_and_escaped_characters_still_loads(tmp_path):
    content = package(TITLE("标题 \u2028 😀 \\ 结束")).decode("utf-8")
    path = tmp_path / "package.json"
    path.write_bytes(b"\xef\xbb\xbf" + content.encode("utf-8"))
    call_command("load_notice", str(path))
    assert Notice.objects.get(number="苏人社发〔2026〕99号").title == "标题 \u2028 😀 \\ 结束"
