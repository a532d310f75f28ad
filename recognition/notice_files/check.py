"""Refusals: a package's problems, in the file's terms, with the checks that find them."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from recognition.rules.fields import FORMAT, TOP_LEVEL

# 1号 is about 26 KB: a notice ten times as long still fits.
MAX_BYTES = 256 * 1024


class PackageError(Exception):
    """A package refused, with every reason (in Chinese, for staff)."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class Problems(list):
    def add(self, where: str, message: str) -> None:
        self.append(f"{where}:{message}" if where else message)

    def add_all(self, where: str, found: dict[str, list[str]]) -> None:
        """The admin form's problems for one row (field -> messages), in the file's terms."""
        for messages in found.values():
            for message in messages:
                self.add(where, message)


def size(content: str | bytes) -> None:
    length = len(content.encode("utf-8") if isinstance(content, str) else content)
    if length > MAX_BYTES:
        raise PackageError([f"文件太大({length // 1024} KB):一份通知的文件不应超过 {MAX_BYTES // 1024} KB。"])


# The format nests five deep (the package, its rules, a rule, its conditions, a condition); the reader, the
# diff and the dump each walk a value as deep as it goes.
MAX_DEPTH = 10
MAX_DIGITS = 15  # no number in the format has more; a longer one is a mistake (or 5,000 digits to parse)
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # no database keeps NUL; no UTF-8 encodes a lone surrogate


def too_deep() -> str:
    return f"文件的嵌套太深:通知文件中的对象和列表最多嵌套 {MAX_DEPTH} 层(格式本身只用到 5 层)。"


def unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """json's object_pairs_hook: a key given twice is refused, not silently the last one."""
    result = {}
    for key, value in pairs:
        if key in result:
            raise PackageError([f"键“{key}”出现了两次:同一个对象中每个键只能写一次。"])
        result[key] = value
    return result


def no_constant(name: str):
    raise PackageError([f"{name} 不是 JSON 允许的值:数字只能写成普通的十进制数。"])


def integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise PackageError([f"数字太大:{digits[:20]}…有 {len(digits)} 位,通知文件中的数字最多 {MAX_DIGITS} 位。"])
    return int(digits)


def finite(digits: str) -> float:
    number = float(digits)
    if not math.isfinite(number) or len(digits) > 40:
        raise PackageError([f"数字太大:{digits[:20]}…不是通知文件能用的数。"])
    return number


def json_type(value) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    names = {str: "文本", int: "数字", float: "数字", list: "列表", dict: "对象"}
    return names.get(type(value), type(value).__name__)


def plain(data, depth: int = 1) -> None:
    """No value deeper than MAX_DEPTH, and no text a database cannot keep; or PackageError."""
    if depth > MAX_DEPTH:
        raise PackageError([too_deep()])
    if isinstance(data, dict):
        for key, value in data.items():
            plain(key, depth)
            plain(value, depth + 1)
    elif isinstance(data, list):
        for value in data:
            plain(value, depth + 1)
    elif isinstance(data, str) and UNSTORABLE.search(data):
        found = UNSTORABLE.search(data).group()
        what = "空字符(\\u0000)" if found == "\x00" else f"不成对的代理字符(\\u{ord(found):04x})"
        raise PackageError([f"文本“{UNSTORABLE.sub('□', data[:30])}”中有{what}:这不是文本中能保存的字符,请删去。"])


def top_level(data: dict) -> None:
    """The package's own keys: the required ones there, no others, a format this site reads."""
    problems = Problems()
    for key in (key for key, required in TOP_LEVEL.items() if required):
        if key not in data:
            problems.add("", f"缺少顶层的 {key}。")
    unknown = set(data) - set(TOP_LEVEL)
    if unknown:
        problems.add("", f"不认识的顶层键:{'、'.join(sorted(unknown))}。")
    given = data.get("format", FORMAT)
    if type(given) is not int or given != FORMAT:  # true is not 1, nor is "1"
        problems.add("", f"format 为 {json.dumps(given, ensure_ascii=False)},本网站只读 format {FORMAT}。")
    if problems:
        raise PackageError(problems)


def duplicates(problems: Problems, values: list, where: Callable[[object], str], message: str) -> None:
    for value in sorted({v for v in values if values.count(v) > 1}):
        problems.add(where(value), message)


def model_problems(problems: Problems, obj, where: str, **kwargs) -> bool:
    """The model's own checks (full_clean), each message named by the field's verbose name; True if none."""
    try:
        obj.full_clean(**kwargs)
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            for message in messages:
                problems.add(where, message if key == "__all__" else f"{field_name(obj, key)}:{message}")
        return False
    return True


def field_name(obj, key: str) -> str:
    try:
        return str(obj._meta.get_field(key).verbose_name)
    except Exception:
        return key


def delete(rows: Iterable, noun: str, problems: Problems) -> None:
    """Delete rows the package no longer has, or say what still uses them."""
    for row in rows:
        try:
            with transaction.atomic():
                row.delete()
        except ProtectedError as error:
            users = "、".join(str(obj) for obj in error.protected_objects)
            problems.add(f"{noun} {row}", f"文件中没有这一项,但不能删除:{users} 仍在使用它。")
