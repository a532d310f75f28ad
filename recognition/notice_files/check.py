"""Refusals: a package's problems, in the file's terms, with the checks that find them."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from recognition.rules.fields import FORMAT, TOP_LEVEL

# 1号 is about 26 KB. The admin's confirmation posts the file back as a form field (percent-encoded, up to
# nine bytes a character), which must stay under Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB).
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


def top_level(data: dict) -> None:
    """The package's own keys: the required ones there, no others, a format this site reads."""
    problems = Problems()
    for key in (key for key, required in TOP_LEVEL.items() if required):
        if key not in data:
            problems.add("", f"缺少顶层的 {key}。")
    unknown = set(data) - set(TOP_LEVEL)
    if unknown:
        problems.add("", f"不认识的顶层键:{'、'.join(sorted(unknown))}。")
    if data.get("format", FORMAT) != FORMAT:
        problems.add("", f"format 为 {data.get('format')},本网站只读 format {FORMAT}。")
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
