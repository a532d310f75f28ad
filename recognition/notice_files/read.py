"""Reading a package: its JSON in canonical form (every optional key filled in, references resolved to slugs,
names and codes), or PackageError with every problem.

Each row is read field by field from the tables in recognition.rules.fields; what needs the whole package
(clause labels, repeated anchors and serials) is done here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from recognition.models import Certificate
from recognition.notice_files import check
from recognition.notice_files.check import PackageError, Problems
from recognition.rules import clause_numbers, fields
from recognition.rules.fields import CERTIFICATE, CLAUSE, FORMAT, LEVEL, NOTICE, RULE


def parse(text: str | bytes) -> dict:
    """A package's JSON as data, or PackageError: only what JSON allows, in UTF-8, and no deeper than the format."""
    check.size(text)
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
        data = json.loads(
            text.removeprefix("\ufeff"),
            object_pairs_hook=check.unique_keys,
            parse_constant=check.no_constant,
            parse_int=check.integer,
            parse_float=check.finite,
        )
    except RecursionError:
        raise PackageError([check.too_deep()]) from None
    except UnicodeDecodeError as error:
        message = f"文件不是 UTF-8 编码的文本(第 {error.start + 1} 个字节无法读取)。请另存为 UTF-8 后再上传。"
        raise PackageError([message]) from None
    except json.JSONDecodeError as error:
        # PackageError from the hooks above is not a ValueError: it says what it found itself.
        message = f"文件不是有效的 JSON:第 {error.lineno} 行第 {error.colno} 列有误({error.msg})。"
        raise PackageError([message]) from None
    if not isinstance(data, dict):
        raise PackageError(["文件的顶层必须是一个对象,包含 notice、clauses、certificates、rules、levels。"])
    check.plain(data)
    return data


@dataclass
class Reading:
    """The package as read so far, and where its problems go (recognition.rules.fields.Reading)."""

    problems: Problems
    where: str = ""
    row: dict = field(default_factory=dict)
    index: int = 0
    notice: dict = field(default_factory=dict)
    anchors: list[str] = field(default_factory=list)
    certificates: list[dict] = field(default_factory=list)
    steps_of: dict[str, list[str]] = field(default_factory=dict)
    next_serial: int = 1

    def problem(self, message: str, where: str | None = None) -> None:
        self.problems.add(self.where if where is None else where, message)

    def read_row(self, table, item: dict, index: int, name: Callable[[dict, int], str] | None = None) -> dict:
        """One row in canonical form; `name` says where it is, once its first field (which names it) is read."""
        outer = self.row, self.index
        self.row, self.index = {}, index
        if name:
            self.where = name(self.row, index)
        for f in fields.package_fields(table):
            self.row[f.key] = f.kind.read(f, item.get(f.key), self)
            if name and len(self.row) == 1:
                self.where = name(self.row, index)
        row, (self.row, self.index) = self.row, outer
        return row

    def rows(self, data: dict, key: str, table, name: Callable[[dict, int], str]) -> list[dict]:
        self.where = key
        value = data.get(key)
        if isinstance(value, str) or (value is not None and not isinstance(value, list)):
            self.problem(f"{key} 必须是列表。", "")
            return []
        rows = []
        for index, item in enumerate(value or []):
            if not isinstance(item, dict):
                self.problem(f"{key} 的第 {index + 1} 项必须是对象({{...}}),不能是{check.json_type(item)}。", "")
            rows.append(self.read_row(table, item if isinstance(item, dict) else {}, index, name))
        return rows


def suggest_label(clauses: list[dict], index: int) -> str:
    """clause_numbers.suggest_label over a package's clause list: its section is the last one above it."""
    clause = clauses[index]
    section = next((c["numbering"] for c in reversed(clauses[:index]) if c["level"] <= 1 and c["numbering"]), "")
    return clause_numbers.suggest_label(
        clause["level"], clause["numbering"], clause["heading"], clause["anchor"], section
    )


def prepare(data: dict) -> dict:
    """The package in canonical form, references resolved to slugs, names and codes; or PackageError."""
    check.top_level(data)
    problems = Problems()
    ctx = Reading(problems, where="notice")
    if not isinstance(data["notice"], dict):
        problems.add("", f"notice 必须是对象({{...}}),不能是{check.json_type(data['notice'])}。")
    ctx.notice = ctx.read_row(NOTICE, data["notice"] if isinstance(data["notice"], dict) else {}, 0)

    clauses = ctx.rows(data, "clauses", CLAUSE, lambda row, i: f"条款 {row.get('anchor') or i + 1}")
    for index, clause in enumerate(clauses):
        clause["label"] = clause["label"] or suggest_label(clauses, index)
    ctx.anchors = [c["anchor"] for c in clauses]
    check.duplicates(problems, ctx.anchors, lambda a: f"条款 {a}", "锚点重复:同一通知中每个条款的锚点必须不同。")

    certificates = ctx.rows(data, "certificates", CERTIFICATE, lambda row, i: f"证书 {row.get('slug') or i + 1}")
    for cert in certificates:
        cert["family"] = cert["family"] or family_of(cert, certificates, ctx)
    ctx.certificates = certificates
    ctx.steps_of.update({cert["slug"]: [step["name"] for step in cert["steps"]] for cert in certificates})

    rules = ctx.rows(data, "rules", RULE, rule_name)
    serials = [rule["serial"] for rule in rules]
    check.duplicates(problems, serials, lambda s: f"规则 序号{s}", "序号重复:同一通知中每条规则的序号必须不同。")

    levels = ctx.rows(data, "levels", LEVEL, lambda row, i: f"等级比照 {i + 1}")
    if problems:
        raise PackageError(problems)
    return {
        "format": FORMAT,
        "notice": ctx.notice,
        "clauses": clauses,
        "certificates": certificates,
        "rules": rules,
        "levels": levels,
    }


def family_of(cert: dict, certificates: list[dict], ctx: Reading) -> str:
    """A certificate's family when the package gives none: its own if it is in the database; else the one
    family of its department's certificates of its occupation, else of all its department's certificates
    (the database's and the package's); else a problem naming the families to choose from."""
    stored = Certificate.objects.filter(slug=cert["slug"]).values_list("family", flat=True).first()
    if stored or not cert["department"] or not cert["occupation"]:
        return stored or ""  # an unknown department or occupation is refused already
    known = [
        *Certificate.objects.values_list("department__name", "occupation__name", "family"),
        *((c["department"], c["occupation"], c["family"]) for c in certificates if c["family"]),
    ]
    department, occupation = cert["department"], cert["occupation"]
    of_department = sorted({family for d, _, family in known if d == department})
    of_occupation = sorted({family for d, o, family in known if (d, o) == (department, occupation)})
    for families in (of_occupation, of_department):
        if len(families) == 1:
            return families[0]
    where = f"证书 {cert['slug']}"
    if of_occupation:
        ctx.problem(
            f"缺少 family(证书类别),且不能从发证部门推断:{department} 对应职业 {occupation} 的证书有多个类别:"
            f"{'、'.join(of_occupation)}。请在 family 中填写其中之一,或写出新的类别。",
            where,
        )
    elif of_department:
        ctx.problem(
            f"缺少 family(证书类别),且不能从发证部门推断:{department} 的证书有多个类别:{'、'.join(of_department)}。"
            "请在 family 中填写其中之一,或写出新的类别。",
            where,
        )
    else:
        ctx.problem(
            f"缺少 family(证书类别):{department} 还没有任何证书,不能推断证书类别。请在 family 中写出这种证书的类别。",
            where,
        )
    return ""


def rule_name(row: dict, index: int) -> str:
    return f"规则 序号{row['serial']}" if "serial" in row else f"规则 {index + 1}"
