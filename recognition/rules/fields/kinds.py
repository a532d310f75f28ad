"""The kinds of value a field holds: how each is read from a package (with its refusal message, in Chinese,
for staff), dumped from a row and set on it. recognition.rules.fields names one for each field.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from typing import Any

from recognition.models import (
    Certificate,
    Condition,
    LevelEquivalence,
    Notice,
    Province,
    Publication,
    RecognitionRule,
)
from recognition.rules.fields.base import Field, Kind, Reading, dump_row, listed, one, text

STATUSES = {Publication.PUBLISHED.value, Publication.DRAFT.value}
CONDITION_KINDS = {choice.value for choice in Condition.Kind}


def everyday_text(value: list[str] | str) -> str:
    return "、".join(value) if isinstance(value, list) else value


def as_text(field: Field, value: Any, ctx: Reading) -> Any:
    """A value where text belongs: a number is taken as its digits; a list, an object, true or false is refused
    (it would be kept as Python wrote it)."""
    if isinstance(value, list | dict | bool):
        what = "列表" if isinstance(value, list) else "对象" if isinstance(value, dict) else json.dumps(value)
        ctx.problem(f"{field.key} 必须是文字,不能是{what}。")
        return None
    return value


class Text(Kind):
    def __init__(self, gloss: str = "", default_from: str = ""):
        self.gloss = gloss  # what staff are told is missing: 缺少 title(标题)
        self.default_from = default_from  # the row's field it defaults to

    def read(self, field, value, ctx):
        given = as_text(field, value, ctx)
        result = text(given) or (ctx.row[self.default_from] if self.default_from else "")
        if not result and field.required and self.gloss and given is value:
            ctx.problem(f"缺少 {field.key}({self.gloss})。")
        return result


class Prose(Kind):
    """Long text (a clause's text, a quote), kept as written but for the spaces around it."""

    def read(self, field, value, ctx):
        return str(as_text(field, value, ctx) or "").strip()


class Slug(Text):
    """A notice's address: an existing notice keeps its own when the package gives none."""

    def store(self, field, row, value, ctx):
        row.slug = value or row.slug


class Lines(Text):
    """A list of strings, one a line in the model."""

    def read(self, field, value, ctx):
        result = [text(item) for item in listed(value, field.key, ctx) if text(item)]
        if not result and field.required:
            ctx.problem(f"缺少 {field.key}({self.gloss})。")
        return result

    def dump(self, field, row):
        return [line.strip() for line in getattr(row, field.attr).splitlines() if line.strip()]

    def store(self, field, row, value, ctx):
        setattr(row, field.attr, "\n".join(value))


class Day(Kind):
    def __init__(self, default: Callable[[Reading], str | None] | None = None):
        self.default = default

    def read(self, field, value, ctx):
        day = None
        if value in (None, ""):
            if field.required:
                ctx.problem(f"缺少 {field.key}(日期,格式 YYYY-MM-DD)。")
        else:
            try:
                day = datetime.date.fromisoformat(str(value)).isoformat()
            except ValueError:
                ctx.problem(f"{field.key} “{value}”不是有效的日期(格式 YYYY-MM-DD)。")
        return day or (self.default(ctx) if self.default else None)

    def dump(self, field, row):
        value = getattr(row, field.attr)
        return value.isoformat() if value else None

    def store(self, field, row, value, ctx):
        setattr(row, field.attr, datetime.date.fromisoformat(value) if value else None)


MAX_WHOLE = 2_147_483_647  # the largest number every database keeps in an integer column
WHOLE_DIGITS = re.compile(r"\s*-?[0-9]{1,15}\s*")


def whole(value: Any, least: int = 0) -> int | None:
    """A whole number from `least` to MAX_WHOLE, as a number or digits; None for anything else (true is not 1)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and WHOLE_DIGITS.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if least <= value <= MAX_WHOLE else None


def shown(value: Any) -> str:
    """A value as the package wrote it, for a refusal."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)[:40]


class Whole(Kind):
    """A whole number; null or absent is the default."""

    def __init__(self, default: int | Callable[[Reading], int] = 0, message: str = ""):
        self.default = default
        self.message = message

    def read(self, field, value, ctx):
        fallback = self.default(ctx) if callable(self.default) else self.default
        if value is None:
            return fallback
        number = whole(value)
        if number is None:
            ctx.problem(self.message or f"{field.key} 必须是 0 到 {MAX_WHOLE} 之间的整数。")
            return fallback
        return number


class Serial(Kind):
    """A rule's 序号: the next number in the notice when absent."""

    def read(self, field, value, ctx):
        serial = ctx.next_serial if value in (None, "") else whole(value, least=1)
        if serial is None:
            ctx.problem(f"serial “{shown(value)}”必须是 1 到 {MAX_WHOLE} 之间的整数。")
            serial = ctx.next_serial
        ctx.next_serial = max(ctx.next_serial, serial + 1)
        return serial


class Choice(Kind):
    def __init__(self, choices: set[str], default: str, message: Callable[[str, dict], str]):
        self.choices, self.default, self.message = choices, default, message

    def read(self, field, value, ctx):
        value = text(value) or self.default
        if value not in self.choices:
            ctx.problem(self.message(value, ctx.row))
        return value


class Status(Choice):
    def __init__(self):
        super().__init__(STATUSES, Publication.PUBLISHED, self.refusal)

    @staticmethod
    def refusal(value: str, row: dict) -> str:
        return f"status “{value}”无效,只能是 published 或 draft。"


class Ref(Kind):
    """Reference data (a department, an occupation, a skill level) by any of `lookups`; kept by the first."""

    def __init__(self, model, lookups: tuple[str, ...], noun: str):
        self.model, self.lookups, self.noun = model, lookups, noun

    def read(self, field, value, ctx):
        found = one(self.model, value, self.lookups, self.noun, ctx)
        return getattr(found, self.lookups[0]) if found else None

    def dump(self, field, row):
        return getattr(getattr(row, field.attr), self.lookups[0])

    def store(self, field, row, value, ctx):
        setattr(row, field.attr, self.model.objects.get(**{self.lookups[0]: value}))


class Regions(Kind):
    """A notice's regions, as sorted codes (by code or name in the package)."""

    def read(self, field, value, ctx):
        codes = set()
        for code in listed(value, field.key, ctx):
            province = one(Province, code, ("code", "name"), "地区", ctx, f"{ctx.where}.{field.key}")
            if province:
                codes.add(province.code)
        return sorted(codes)

    def dump(self, field, row):
        return sorted(getattr(row, field.attr).values_list("code", flat=True))

    def store(self, field, row, value, ctx):
        pass

    def after_save(self, field, row, value, ctx):
        getattr(row, field.attr).set(Province.objects.filter(code__in=value))


class NoticeNumber(Kind):
    """Another notice, by its number."""

    def read(self, field, value, ctx):
        number = text(value) or None
        if number and not Notice.objects.filter(number=number).exists():
            ctx.problem(f"{field.key}:没有文号为“{number}”的通知。")
        return number

    def dump(self, field, row):
        return getattr(row, field.attr).number if getattr(row, f"{field.attr}_id") else None

    def store(self, field, row, value, ctx):
        setattr(row, field.attr, Notice.objects.filter(number=value).first() if value else None)


class CertificateRef(Kind):
    """A certificate by slug, name or short name: one the package brings, or one in the database; kept by slug."""

    def read(self, field, value, ctx):
        value = text(value)
        if not value:
            ctx.problem(f"缺少 {field.key}(证书标识)。")
            return None
        for cert in ctx.certificates:
            if value in {cert["slug"], cert["name"], cert["short_name"]}:
                return cert["slug"]
        found = one(Certificate, value, ("slug", "name", "short_name"), "证书", ctx, f"{ctx.where} {field.key}")
        if found:
            ctx.steps_of.setdefault(found.slug, list(found.steps.values_list("name", flat=True)))
            return found.slug
        return None

    def dump(self, field, row):
        return getattr(row, field.attr).slug

    def store(self, field, row, value, ctx):
        setattr(row, field.attr, ctx.certificate(value))


class ClauseRef(Kind):
    """A clause of the package's own notice, by anchor."""

    def read(self, field, value, ctx):
        anchor = text(value)
        if anchor not in ctx.anchors:
            ctx.problem(f"clause “{anchor}”不是本通知的条款。依据条款只能是本通知自己的条款:{'、'.join(ctx.anchors)}。")
            return None
        return anchor

    def dump(self, field, row):
        return getattr(row, field.attr).anchor

    def store(self, field, row, value, ctx):
        setattr(row, field.attr, ctx.clause(value))


class Steps(Kind):
    """Step names of the rule's target certificate (many-to-many)."""

    def read(self, field, value, ctx):
        names = [text(name) for name in listed(value, field.key, ctx) if text(name)]
        choices = ctx.steps_of.get(ctx.row.get("target"))
        if choices is not None:
            foreign = [name for name in names if name not in choices]
            if foreign:
                ctx.problem(
                    f"{field.key}:{'、'.join(foreign)} 不是申请证书 {ctx.row['target']} 的取证环节。"
                    f"可以填写:{'、'.join(choices)}。"
                )
        return names

    def dump(self, field, row):
        return [step.name for step in sorted(getattr(row, field.attr).all(), key=lambda s: (s.order, s.pk))]

    def store(self, field, row, value, ctx):
        steps = ctx.steps(row.target) if row.target_id else {}
        ctx.pending[field.attr] = [steps[name] for name in value if name in steps]

    def after_save(self, field, row, value, ctx):
        getattr(row, field.attr).set(ctx.pending[field.attr])


class Conditions(Kind):
    """A rule's conditions: each a text, or {"text", "kind"}; rows of their own, in the package's order."""

    def read(self, field, value, ctx):
        raw = value or []
        if isinstance(raw, (str, dict)):
            raw = [raw]
        if not isinstance(raw, list):
            ctx.problem(f"{field.key} 必须是列表(每项是一段文字,或含 text 和 kind 的对象)。")
            return []
        conditions = []
        for condition in raw:
            condition = condition if isinstance(condition, dict) else {"text": condition}
            kind = text(condition.get("kind")) or Condition.Kind.STATED.value
            if kind not in CONDITION_KINDS:
                ctx.problem(f"条件的 kind “{kind}”无效,只能是 {'、'.join(sorted(CONDITION_KINDS))}。")
            conditions.append({"text": text(condition.get("text")), "kind": kind})
        return conditions

    def dump(self, field, row):
        return [{"text": c.text, "kind": c.kind} for c in getattr(row, field.attr).all()]

    def store(self, field, row, value, ctx):
        pass

    def after_save(self, field, row, value, ctx):
        row.conditions.all().delete()
        for index, condition in enumerate(value):
            Condition.objects.create(rule=row, order=(index + 1) * 10, text=condition["text"], kind=condition["kind"])


class Everyday(Kind):
    """What workers call a certificate: a list, or one string separated by 、, dumped as it was given."""

    def read(self, field, value, ctx):
        if isinstance(value, list):
            return [text(v) for v in value if text(v)]
        return text(value)

    def dump(self, field, row):
        names = row.everyday_name_list
        return names if "、".join(names) == row.everyday_names else row.everyday_names

    def store(self, field, row, value, ctx):
        setattr(row, field.attr, everyday_text(value))


class CertificateSteps(Kind):
    """A certificate's steps: rows of their own (described by `table`), matched by name when written."""

    def __init__(self, table: tuple[Field, ...]):
        self.table = table

    def read(self, field, value, ctx):
        steps = []
        for index, step in enumerate(listed(value, field.key, ctx)):
            steps.append(ctx.read_row(self.table, step if isinstance(step, dict) else {"name": step}, index))
        if not steps:
            ctx.problem(f"缺少 {field.key}(取证环节)。")
        return steps

    def dump(self, field, row):
        return [dump_row(self.table, step) for step in sorted(row.steps.all(), key=lambda s: (s.order, s.pk))]

    def store(self, field, row, value, ctx):
        pass

    def after_save(self, field, row, value, ctx):
        ctx.write_steps(row, value)


class Replaces(Kind):
    """A row of an earlier notice that this one replaces: {"notice": number, and the keys naming the row}."""

    model: type
    keys: tuple[str, ...]

    def read(self, field, value, ctx):
        if not value:
            return None
        if not isinstance(value, dict) or not text(value.get("notice")) or any(k not in value for k in self.keys):
            ctx.problem(f"replaces 必须是对象,含 notice(文号)和 {'、'.join(self.keys)}。")
            return None
        result = {"notice": text(value["notice"])}
        for key in self.keys:
            result[key] = self.clean(key, value[key])
            if result[key] is None:
                ctx.problem(f"replaces 的 {key} “{shown(value[key])}”必须是 1 到 {MAX_WHOLE} 之间的整数。")
                return None
        return result

    def clean(self, key: str, value: Any) -> Any:
        """The key's value in canonical form; None if it is not one."""
        return text(value)

    def dump(self, field, row):
        replaced = getattr(row, field.attr)
        return {"notice": replaced.notice.number, **self.ref(replaced)} if replaced else None

    def store(self, field, row, value, ctx):
        replaced = None
        if value:
            replaced = (
                self.model.objects.filter(notice__number=value["notice"], **self.lookup(value))
                .select_related("notice")
                .first()
            )
            if replaced is None:
                ctx.problem(self.missing(value))
        setattr(row, field.attr, replaced)

    def ref(self, row) -> dict: ...

    def lookup(self, value: dict) -> dict: ...

    def missing(self, value: dict) -> str: ...


class ReplacesRule(Replaces):
    model, keys = RecognitionRule, ("serial",)

    def clean(self, key, value):
        return whole(value, least=1)

    def ref(self, row):
        return {"serial": row.serial}

    def lookup(self, value):
        return {"serial": value["serial"]}

    def missing(self, value):
        return f"replaces:{value['notice']} 中没有序号为 {value['serial']} 的规则。"


class ReplacesLevel(Replaces):
    model, keys = LevelEquivalence, ("held", "occupation")

    def ref(self, row):
        return {"held": row.certificate.slug, "occupation": row.occupation.name}

    def lookup(self, value):
        return {"certificate__slug": value["held"], "occupation__name": value["occupation"]}

    def missing(self, value):
        return f"replaces:{value['notice']} 中没有 {value['held']} 视同{value['occupation']}等级的比照。"
