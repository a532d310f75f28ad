"""A notice as a file: one JSON package holding a notice, its clauses, new certificates, rules and levels.

The format is described in docs/notice-format.md. A package refers to shared
reference data (departments, occupations, skill levels, provinces) and to
certificates already in the database by slug, name or code.

- `prepare(data)` checks a package's shape and references and returns it in
  canonical form (every optional key filled in), or raises `PackageError`
  with every problem.
- `dump(notice)` writes a notice in that same canonical form.
- `load(data, replace=...)` writes a package in one transaction: unchanged
  packages write nothing; a changed one needs `replace`; every row goes
  through the checks the admin makes (`recognition.staff.forms`), and if any row is
  refused nothing is written.

Plain functions; the management commands and the admin import are thin
wrappers around them.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, ProtectedError, Q

from recognition import history
from recognition.models import (
    Certificate,
    Clause,
    Condition,
    Department,
    LevelEquivalence,
    Notice,
    Occupation,
    Province,
    Publication,
    RecognitionRule,
    SkillLevel,
    Step,
    suggest_notice_slug,
)
from recognition.rules import checks

FORMAT = 1
# 1号 is about 26 KB. The admin's confirmation posts the file back as a form field (percent-encoded, up to
# nine bytes a character), which must stay under Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB).
MAX_BYTES = 256 * 1024
STATUSES = {Publication.PUBLISHED.value, Publication.DRAFT.value}
STEP_KINDS = {"training", "exam"}
CONDITION_KINDS = {choice.value for choice in Condition.Kind}
SECTION_LABELS = {"preamble": "序言", "signature": "落款"}


class PackageError(Exception):
    """A package refused, with every reason (in Chinese, for staff)."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Result:
    number: str
    action: str  # "created", "unchanged" or "replaced"
    changes: list[str] = field(default_factory=list)


# Reading.


def parse(text: str | bytes) -> dict:
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > MAX_BYTES:
        raise PackageError([f"文件太大({size // 1024} KB):一份通知的文件不应超过 {MAX_BYTES // 1024} KB。"])
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as error:
        raise PackageError([f"文件不是有效的 JSON(UTF-8):{error}"]) from None
    if not isinstance(data, dict):
        raise PackageError(["文件的顶层必须是一个对象,包含 notice、clauses、certificates、rules、levels。"])
    return data


class Problems(list):
    def add(self, where: str, message: str) -> None:
        self.append(f"{where}:{message}" if where else message)

    def add_all(self, where: str, found: dict[str, list[str]]) -> None:
        """The admin form's problems for one row (field -> messages), in the file's terms."""
        for messages in found.values():
            for message in messages:
                self.add(where, message)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _date(value: Any, where: str, key: str, problems: Problems, *, required: bool) -> str | None:
    if value in (None, ""):
        if required:
            problems.add(where, f"缺少 {key}(日期,格式 YYYY-MM-DD)。")
        return None
    try:
        return datetime.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        problems.add(where, f"{key} “{value}”不是有效的日期(格式 YYYY-MM-DD)。")
        return None


def _list(value: Any, where: str, key: str, problems: Problems) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in (p.strip() for p in value.replace(",", "、").split("、")) if part]
    if not isinstance(value, list):
        problems.add(where, f"{key} 必须是列表。")
        return []
    return value


def _status(value: Any, where: str, problems: Problems, default: str = Publication.PUBLISHED) -> str:
    value = _text(value) or default
    if value not in STATUSES:
        problems.add(where, f"status “{value}”无效,只能是 published 或 draft。")
    return value


def _one(model, value: Any, lookups: tuple[str, ...], noun: str, where: str, problems: Problems):
    """An object of reference data by any of several fields, or a problem naming the choices."""
    value = _text(value)
    if not value:
        problems.add(where, f"缺少{noun}。")
        return None
    query = Q()
    for lookup in lookups:
        if lookup in {"number", "pk"} and not value.isdigit():
            continue
        query |= Q(**{lookup: value})
    found = list(model.objects.filter(query)[:2]) if query else []
    if len(found) == 1:
        return found[0]
    if found:
        problems.add(where, f"“{value}”对应多个{noun},请改用唯一的标识。")
        return None
    choices = "、".join(str(getattr(obj, lookups[0])) for obj in model.objects.all())
    problems.add(where, f"没有“{value}”这个{noun}。可以填写:{choices}。")
    return None


def _everyday(value: Any) -> list[str] | str:
    if isinstance(value, list):
        return [_text(v) for v in value if _text(v)]
    return _text(value)


def _everyday_text(value: list[str] | str) -> str:
    return "、".join(value) if isinstance(value, list) else value


def suggest_label(clauses: list[dict], index: int) -> str:
    """As models.suggest_clause_label, over a package's clause list."""
    clause = clauses[index]
    if clause["level"] <= 1:
        return clause["numbering"] or clause["heading"][:20] or SECTION_LABELS.get(clause["anchor"], "")
    section = next(
        (c["numbering"] for c in reversed(clauses[:index]) if c["level"] <= 1 and c["numbering"]),
        "",
    )
    return f"{section}{clause['numbering']}" or clause["heading"][:20]


def prepare(data: dict) -> dict:
    """The package in canonical form, references resolved to slugs, names and codes; or PackageError."""
    problems = Problems()
    for key in ("notice", "clauses"):
        if key not in data:
            problems.add("", f"缺少顶层的 {key}。")
    unknown = set(data) - {"format", "notice", "clauses", "certificates", "rules", "levels"}
    if unknown:
        problems.add("", f"不认识的顶层键:{'、'.join(sorted(unknown))}。")
    if data.get("format", FORMAT) != FORMAT:
        problems.add("", f"format 为 {data.get('format')},本网站只读 format {FORMAT}。")
    if problems:
        raise PackageError(problems)

    raw = data["notice"] if isinstance(data["notice"], dict) else {}
    where = "notice"
    number = _text(raw.get("number"))
    if not number:
        problems.add(where, "缺少 number(文号)。")
    notice = {
        "number": number,
        "slug": _text(raw.get("slug")),
        "title": _text(raw.get("title")),
        "short_title": _text(raw.get("short_title")),
        "issuers": [_text(i) for i in _list(raw.get("issuers"), where, "issuers", problems) if _text(i)],
        "addressees": _text(raw.get("addressees")),
        "issued_on": _date(raw.get("issued_on"), where, "issued_on", problems, required=True),
        "in_force_from": _date(raw.get("in_force_from"), where, "in_force_from", problems, required=False),
        "ends_on": _date(raw.get("ends_on"), where, "ends_on", problems, required=False),
        "scope": [],
        "status": _status(raw.get("status"), where, problems),
        "status_note": _text(raw.get("status_note")),
        "source_name": _text(raw.get("source_name")),
        "source_url": _text(raw.get("source_url")),
        "attachment_title": _text(raw.get("attachment_title")),
        "replaces": _text(raw.get("replaces")) or None,
    }
    if not notice["title"]:
        problems.add(where, "缺少 title(标题)。")
    if not notice["issuers"]:
        problems.add(where, "缺少 issuers(发文机关列表)。")
    for code in _list(raw.get("scope"), where, "scope", problems):
        province = _one(Province, code, ("code", "name"), "地区", f"{where}.scope", problems)
        if province:
            notice["scope"].append(province.code)
    notice["scope"] = sorted(set(notice["scope"]))
    if notice["replaces"] and not Notice.objects.filter(number=notice["replaces"]).exists():
        problems.add(where, f"replaces:没有文号为“{notice['replaces']}”的通知。")

    clauses: list[dict] = []
    for index, item in enumerate(_list(data.get("clauses"), "clauses", "clauses", problems)):
        item = item if isinstance(item, dict) else {}
        anchor = _text(item.get("anchor"))
        where = f"条款 {anchor or index + 1}"
        if not anchor:
            problems.add(where, "缺少 anchor(锚点)。")
        try:
            level = int(item.get("level", 1))
            order = int(item.get("order", (index + 1) * 10))
        except (TypeError, ValueError):
            problems.add(where, "level 和 order 必须是整数。")
            level, order = 1, (index + 1) * 10
        clauses.append(
            {
                "anchor": anchor,
                "order": order,
                "level": level,
                "numbering": _text(item.get("numbering")),
                "heading": _text(item.get("heading")),
                "label": _text(item.get("label")),
                "text": str(item.get("text") or "").strip(),
            }
        )
    for index, clause in enumerate(clauses):
        clause["label"] = clause["label"] or suggest_label(clauses, index)
    anchors = [c["anchor"] for c in clauses]
    for anchor in sorted({a for a in anchors if anchors.count(a) > 1}):
        problems.add(f"条款 {anchor}", "锚点重复:同一通知中每个条款的锚点必须不同。")

    certificates: list[dict] = []
    steps_of: dict[str, list[str]] = {}
    for index, item in enumerate(_list(data.get("certificates"), "certificates", "certificates", problems)):
        item = item if isinstance(item, dict) else {}
        slug = _text(item.get("slug"))
        where = f"证书 {slug or index + 1}"
        if not slug:
            problems.add(where, "缺少 slug(标识)。")
        department = _one(Department, item.get("department"), ("name", "slug"), "发证部门", where, problems)
        occupation = _one(Occupation, item.get("occupation"), ("name", "code"), "职业", where, problems)
        steps = []
        for step_index, step in enumerate(_list(item.get("steps"), where, "steps", problems)):
            step = step if isinstance(step, dict) else {"name": step}
            kind = _text(step.get("kind")) or "exam"
            if kind not in STEP_KINDS:
                problems.add(where, f"环节“{_text(step.get('name'))}”的 kind “{kind}”无效,只能是 training 或 exam。")
            steps.append(
                {
                    "name": _text(step.get("name")),
                    "kind": kind,
                    "part_of": _text(step.get("part_of")),
                    "order": int(step.get("order", (step_index + 1) * 10)),
                }
            )
        if not steps:
            problems.add(where, "缺少 steps(取证环节)。")
        name = _text(item.get("name"))
        certificates.append(
            {
                "slug": slug,
                "name": name,
                "short_name": _text(item.get("short_name")) or name,
                "department": department.name if department else None,
                "family": _text(item.get("family")),
                "occupation": occupation.name if occupation else None,
                "everyday_names": _everyday(item.get("everyday_names")),
                "issuance_note": _text(item.get("issuance_note")),
                "order": int(item.get("order", 0)),
                "steps": steps,
            }
        )
        steps_of[slug] = [s["name"] for s in steps]

    def certificate(value: Any, where: str, key: str) -> str | None:
        value = _text(value)
        if not value:
            problems.add(where, f"缺少 {key}(证书标识)。")
            return None
        for cert in certificates:
            if value in {cert["slug"], cert["name"], cert["short_name"]}:
                return cert["slug"]
        found = _one(Certificate, value, ("slug", "name", "short_name"), "证书", f"{where} {key}", problems)
        if found:
            steps_of.setdefault(found.slug, list(found.steps.values_list("name", flat=True)))
            return found.slug
        return None

    def clause_anchor(value: Any, where: str) -> str | None:
        anchor = _text(value)
        if anchor not in anchors:
            problems.add(
                where,
                f"clause “{anchor}”不是本通知的条款。依据条款只能是本通知自己的条款:{'、'.join(anchors)}。",
            )
            return None
        return anchor

    rules: list[dict] = []
    next_serial = 1
    for index, item in enumerate(_list(data.get("rules"), "rules", "rules", problems)):
        item = item if isinstance(item, dict) else {}
        serial = item.get("serial")
        if serial in (None, ""):
            serial = next_serial
        try:
            serial = int(serial)
        except (TypeError, ValueError):
            problems.add(f"规则 {index + 1}", f"serial “{serial}”必须是正整数。")
            serial = next_serial
        next_serial = max(next_serial, serial + 1)
        where = f"规则 序号{serial}"
        held = certificate(item.get("held"), where, "held")
        target = certificate(item.get("target"), where, "target")
        apply_to = _one(Department, item.get("apply_to"), ("name", "slug"), "受理部门", where, problems)
        chosen = {}
        for key in ("waived", "remaining"):
            names = [_text(n) for n in _list(item.get(key), where, key, problems) if _text(n)]
            if target in steps_of:
                foreign = [n for n in names if n not in steps_of[target]]
                if foreign:
                    problems.add(
                        where,
                        f"{key}:{'、'.join(foreign)} 不是申请证书 {target} 的取证环节。"
                        f"可以填写:{'、'.join(steps_of[target])}。",
                    )
            chosen[key] = names
        conditions = []
        raw_conditions = item.get("conditions") or []
        if isinstance(raw_conditions, (str, dict)):
            raw_conditions = [raw_conditions]
        for condition in raw_conditions:
            condition = condition if isinstance(condition, dict) else {"text": condition}
            kind = _text(condition.get("kind")) or Condition.Kind.STATED.value
            if kind not in CONDITION_KINDS:
                problems.add(where, f"条件的 kind “{kind}”无效,只能是 {'、'.join(sorted(CONDITION_KINDS))}。")
            conditions.append({"text": _text(condition.get("text")), "kind": kind})
        rules.append(
            {
                "serial": serial,
                "held": held,
                "target": target,
                "apply_to": apply_to.name if apply_to else None,
                "apply_to_detail": _text(item.get("apply_to_detail")),
                "waived": chosen["waived"],
                "remaining": chosen["remaining"],
                "conditions": conditions,
                "clause": clause_anchor(item.get("clause"), where),
                "quote": str(item.get("quote") or "").strip(),
                "valid_from": _date(item.get("valid_from"), where, "valid_from", problems, required=False)
                or notice["in_force_from"]
                or notice["issued_on"],
                "valid_until": _date(item.get("valid_until"), where, "valid_until", problems, required=False),
                "replaces": _replaces(item.get("replaces"), where, problems, ("serial",)),
                "review_due": _date(item.get("review_due"), where, "review_due", problems, required=False),
                "status": _status(item.get("status"), where, problems),
            }
        )
    serials = [r["serial"] for r in rules]
    for serial in sorted({s for s in serials if serials.count(s) > 1}):
        problems.add(f"规则 序号{serial}", "序号重复:同一通知中每条规则的序号必须不同。")

    levels: list[dict] = []
    for index, item in enumerate(_list(data.get("levels"), "levels", "levels", problems)):
        item = item if isinstance(item, dict) else {}
        where = f"等级比照 {index + 1}"
        occupation = _one(Occupation, item.get("occupation"), ("name", "code"), "职业", where, problems)
        deemed = _one(SkillLevel, item.get("deemed_level"), ("number", "label", "title"), "技能等级", where, problems)
        eligible = _one(
            SkillLevel, item.get("eligible_level"), ("number", "label", "title"), "技能等级", where, problems
        )
        levels.append(
            {
                "held": certificate(item.get("held"), where, "held"),
                "occupation": occupation.name if occupation else None,
                "deemed_level": deemed.number if deemed else None,
                "eligible_level": eligible.number if eligible else None,
                "clause": clause_anchor(item.get("clause"), where),
                "quote": str(item.get("quote") or "").strip(),
                "valid_from": _date(item.get("valid_from"), where, "valid_from", problems, required=False)
                or notice["in_force_from"]
                or notice["issued_on"],
                "valid_until": _date(item.get("valid_until"), where, "valid_until", problems, required=False),
                "replaces": _replaces(item.get("replaces"), where, problems, ("held", "occupation")),
                "review_due": _date(item.get("review_due"), where, "review_due", problems, required=False),
                "status": _status(item.get("status"), where, problems),
            }
        )
    if problems:
        raise PackageError(problems)
    return {
        "format": FORMAT,
        "notice": notice,
        "clauses": clauses,
        "certificates": certificates,
        "rules": rules,
        "levels": levels,
    }


def _replaces(value: Any, where: str, problems: Problems, keys: tuple[str, ...]) -> dict | None:
    if not value:
        return None
    if not isinstance(value, dict) or not _text(value.get("notice")) or any(k not in value for k in keys):
        problems.add(where, f"replaces 必须是对象,含 notice(文号)和 {'、'.join(keys)}。")
        return None
    result = {"notice": _text(value["notice"])}
    for key in keys:
        result[key] = int(value[key]) if key == "serial" else _text(value[key])
    return result


# Writing out.


def _day(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


def new_certificates(notice: Notice) -> list[Certificate]:
    """The certificates a notice brought: those its rows name and no earlier notice's rows name.

    The database does not record which notice introduced a certificate; the
    earliest notice (by date issued) whose rules or levels name it counts.
    """
    named = _named_certificates(notice)
    earlier = Notice.objects.filter(Q(issued_on__lt=notice.issued_on) | Q(issued_on=notice.issued_on, pk__lt=notice.pk))
    before = set()
    for other in earlier:
        before |= _named_certificates(other)
    return list(
        Certificate.objects.filter(pk__in=named - before)
        .select_related("department", "occupation")
        .prefetch_related("steps")
    )


def _named_certificates(notice: Notice) -> set[int]:
    pks = set()
    for held, target in notice.rules.values_list("held_id", "target_id"):
        pks |= {held, target}
    pks |= set(notice.level_equivalences.values_list("certificate_id", flat=True))
    return pks


def dump_certificate(cert: Certificate) -> dict:
    everyday = cert.everyday_name_list
    return {
        "slug": cert.slug,
        "name": cert.name,
        "short_name": cert.short_name,
        "department": cert.department.name,
        "family": cert.family,
        "occupation": cert.occupation.name,
        "everyday_names": everyday if "、".join(everyday) == cert.everyday_names else cert.everyday_names,
        "issuance_note": cert.issuance_note,
        "order": cert.order,
        "steps": [
            {"name": step.name, "kind": step.kind, "part_of": step.part_of, "order": step.order}
            for step in sorted(cert.steps.all(), key=lambda s: (s.order, s.pk))
        ],
    }


def _rule_replaces(row: RecognitionRule | None) -> dict | None:
    return {"notice": row.notice.number, "serial": row.serial} if row else None


def _level_replaces(row: LevelEquivalence | None) -> dict | None:
    if row is None:
        return None
    return {"notice": row.notice.number, "held": row.certificate.slug, "occupation": row.occupation.name}


def dump(notice: Notice, certificates: list[Certificate] | None = None) -> dict:
    """The notice as a package, in the canonical form `prepare` returns."""
    if certificates is None:
        certificates = new_certificates(notice)
    rules = (
        notice.rules.select_related("held", "target", "apply_to", "clause", "replaces__notice")
        .prefetch_related("waived", "remaining", "conditions")
        .order_by("serial")
    )
    levels = notice.level_equivalences.select_related(
        "certificate", "occupation", "deemed_level", "eligible_level", "clause", "replaces__notice"
    ).order_by("certificate__order", "certificate__slug", "occupation__name", "pk")
    return {
        "format": FORMAT,
        "notice": {
            "number": notice.number,
            "slug": notice.slug,
            "title": notice.title,
            "short_title": notice.short_title,
            "issuers": notice.issuer_list,
            "addressees": notice.addressees,
            "issued_on": _day(notice.issued_on),
            "in_force_from": _day(notice.in_force_from),
            "ends_on": _day(notice.ends_on),
            "scope": sorted(notice.scope.values_list("code", flat=True)),
            "status": notice.publication,
            "status_note": notice.status_note,
            "source_name": notice.source_name,
            "source_url": notice.source_url,
            "attachment_title": notice.attachment_title,
            "replaces": notice.replaces.number if notice.replaces_id else None,
        },
        "clauses": [
            {
                "anchor": c.anchor,
                "order": c.order,
                "level": c.level,
                "numbering": c.numbering,
                "heading": c.heading,
                "label": c.label,
                "text": c.text,
            }
            for c in notice.clauses.order_by("order")
        ],
        "certificates": [dump_certificate(cert) for cert in sorted(certificates, key=lambda c: (c.order, c.slug))],
        "rules": [
            {
                "serial": rule.serial,
                "held": rule.held.slug,
                "target": rule.target.slug,
                "apply_to": rule.apply_to.name,
                "apply_to_detail": rule.apply_to_detail,
                "waived": [s.name for s in sorted(rule.waived.all(), key=lambda s: (s.order, s.pk))],
                "remaining": [s.name for s in sorted(rule.remaining.all(), key=lambda s: (s.order, s.pk))],
                "conditions": [{"text": c.text, "kind": c.kind} for c in rule.conditions.all()],
                "clause": rule.clause.anchor,
                "quote": rule.quote,
                "valid_from": _day(rule.valid_from),
                "valid_until": _day(rule.valid_until),
                "replaces": _rule_replaces(rule.replaces),
                "review_due": _day(rule.review_due),
                "status": rule.publication,
            }
            for rule in rules
        ],
        "levels": [
            {
                "held": level.certificate.slug,
                "occupation": level.occupation.name,
                "deemed_level": level.deemed_level.number,
                "eligible_level": level.eligible_level.number,
                "clause": level.clause.anchor,
                "quote": level.quote,
                "valid_from": _day(level.valid_from),
                "valid_until": _day(level.valid_until),
                "replaces": _level_replaces(level.replaces),
                "review_due": _day(level.review_due),
                "status": level.publication,
            }
            for level in levels
        ],
    }


def dumps(notice: Notice) -> str:
    return json.dumps(dump(notice), ensure_ascii=False, indent=2) + "\n"


# Comparing.


def current(package: dict) -> dict | None:
    """What the database holds for the package's notice and certificates, in the same form; None if new."""
    notice = Notice.objects.filter(number=package["notice"]["number"]).first()
    if notice is None:
        return None
    slugs = [cert["slug"] for cert in package["certificates"]]
    certificates = Certificate.objects.filter(slug__in=slugs).select_related("department", "occupation")
    result = dump(notice, certificates=list(certificates.prefetch_related("steps")))
    order = {slug: i for i, slug in enumerate(slugs)}
    result["certificates"].sort(key=lambda c: order[c["slug"]])
    return result


def _normalised(package: dict) -> dict:
    """For comparing: lists of rows in a stable order."""
    copy = json.loads(json.dumps(package))
    copy["clauses"].sort(key=lambda c: c["order"])
    copy["rules"].sort(key=lambda r: r["serial"])
    copy["levels"].sort(key=lambda lv: (lv["held"] or "", lv["occupation"] or ""))
    copy["certificates"].sort(key=lambda c: c["slug"])
    for cert in copy["certificates"]:
        cert["everyday_names"] = _everyday_text(cert["everyday_names"])
        cert["steps"].sort(key=lambda s: (s["order"], s["name"]))
    return copy


def changes(before: dict | None, after: dict) -> list[str]:
    """What loading `after` over `before` changes, one line each, for staff."""
    if before is None:
        return [
            f"新增通知 {after['notice']['number']}:{len(after['clauses'])} 个条款、"
            f"{len(after['certificates'])} 种证书、{len(after['rules'])} 条规则、{len(after['levels'])} 条等级比照。"
        ]
    before, after = _normalised(before), _normalised(after)
    lines = []
    for key, value in after["notice"].items():
        if before["notice"].get(key) != value:
            lines.append(f"通知 {key}:{_show(before['notice'].get(key))} → {_show(value)}")
    for noun, key, name in (
        ("条款", "clauses", lambda r: r["anchor"]),
        ("证书", "certificates", lambda r: r["slug"]),
        ("规则", "rules", lambda r: f"序号{r['serial']}"),
        ("等级比照", "levels", lambda r: f"{r['held']} {r['occupation']}"),
    ):
        old = {name(row): row for row in before[key]}
        new = {name(row): row for row in after[key]}
        for ident in old.keys() - new.keys():
            lines.append(f"删除{noun} {ident}")
        for ident, row in new.items():
            if ident not in old:
                lines.append(f"新增{noun} {ident}")
                continue
            for field_name, value in row.items():
                if old[ident].get(field_name) != value:
                    lines.append(f"{noun} {ident} {field_name}:{_show(old[ident].get(field_name))} → {_show(value)}")
    return lines


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "…"


# Loading.


def load(data: dict, *, replace: bool = False, dry_run: bool = False, user=None, history_comment: str = "") -> Result:
    """Write a package; PackageError (nothing written) if anything is refused.

    `dry_run` makes every write and check, then rolls back: the admin's preview.
    `history_comment` saves a revision of every object written (none when empty,
    as for the data loaded into an empty database).
    """
    package = prepare(data)
    number = package["notice"]["number"]
    with transaction.atomic():  # what is compared is what is replaced
        before = current(package)
        if before is not None and _normalised(before) == _normalised(package):
            return Result(number, "unchanged")
        lines = changes(before, package)
        if before is not None and not replace:
            message = f"已有文号为 {number} 的通知,与文件不同。要用文件替换它,请使用 --replace(管理后台:勾选“替换”)。"
            raise PackageError([message, *lines])
        if history_comment and not dry_run:
            history.ensure_baseline(user)
        written = _write(package)
        if dry_run:
            transaction.set_rollback(True)
        elif history_comment:
            history.save_revisions(written, user, history_comment)
    return Result(number, "created" if before is None else "replaced", lines)


class _Writer:
    def __init__(self):
        self.problems = Problems()
        self.written: list = []

    def check(self, obj, where: str, **kwargs) -> bool:
        try:
            obj.full_clean(**kwargs)
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                for message in messages:
                    self.problems.add(where, message if key == "__all__" else f"{_field_name(obj, key)}:{message}")
            return False
        return True


def _field_name(obj, key: str) -> str:
    try:
        return str(obj._meta.get_field(key).verbose_name)
    except Exception:
        return key


def _write(package: dict) -> list:
    writer = _Writer()
    problems = writer.problems
    data = package["notice"]
    notice = Notice.objects.filter(number=data["number"]).first() or Notice(number=data["number"])
    notice.slug = data["slug"] or notice.slug
    for key in ("title", "short_title", "addressees", "status_note", "source_name", "source_url", "attachment_title"):
        setattr(notice, key, data[key])
    notice.issuers = "\n".join(data["issuers"])
    notice.issued_on = datetime.date.fromisoformat(data["issued_on"])
    notice.in_force_from = _parse_day(data["in_force_from"])
    notice.ends_on = _parse_day(data["ends_on"])
    notice.publication = data["status"]
    notice.replaces = Notice.objects.filter(number=data["replaces"]).first() if data["replaces"] else None
    notice.slug = notice.slug or suggest_notice_slug(notice.number)
    if not writer.check(notice, "通知"):
        raise PackageError(problems)
    notice.save()
    notice.scope.set(Province.objects.filter(code__in=data["scope"]))
    writer.written.append(notice)

    # Rows the package no longer has go first, so that their serials, orders and steps are free.
    serials = {r["serial"] for r in package["rules"]}
    level_keys = {(lv["held"], lv["occupation"]) for lv in package["levels"]}
    _delete(notice.rules.exclude(serial__in=serials), "规则", problems)
    for level in notice.level_equivalences.select_related("certificate", "occupation"):
        if (level.certificate.slug, level.occupation.name) not in level_keys:
            _delete([level], "等级比照", problems)
    # Orders out of the way, so that clauses can swap places without meeting the unique order.
    notice.clauses.update(order=F("order") + 1_000_000)

    clauses: dict[str, Clause] = {}
    existing = {c.anchor: c for c in notice.clauses.all()}
    for item in package["clauses"]:
        clause = existing.pop(item["anchor"], None) or Clause(notice=notice, anchor=item["anchor"])
        for key in ("order", "level", "numbering", "heading", "label", "text"):
            setattr(clause, key, item[key])
        if writer.check(clause, f"条款 {item['anchor']}"):
            clause.save()
            clauses[item["anchor"]] = clause

    certificates: dict[str, Certificate] = {}
    for item in package["certificates"]:
        cert = Certificate.objects.filter(slug=item["slug"]).first() or Certificate(slug=item["slug"])
        for key in ("name", "short_name", "family", "issuance_note", "order"):
            setattr(cert, key, item[key])
        cert.everyday_names = _everyday_text(item["everyday_names"])
        cert.department = Department.objects.get(name=item["department"])
        cert.occupation = Occupation.objects.get(name=item["occupation"])
        if not writer.check(cert, f"证书 {item['slug']}"):
            continue
        cert.save()
        writer.written.append(cert)
        certificates[cert.slug] = cert
        steps = {step.name: step for step in cert.steps.all()}
        for step_item in item["steps"]:
            step = steps.pop(step_item["name"], None) or Step(certificate=cert, name=step_item["name"])
            step.kind, step.part_of, step.order = step_item["kind"], step_item["part_of"], step_item["order"]
            if writer.check(step, f"证书 {item['slug']} 环节 {step.name}"):
                step.save()
        leftover = list(steps.values())
        if leftover:
            for rule in RecognitionRule.objects.exclude(notice=notice).filter(
                Q(waived__in=leftover) | Q(remaining__in=leftover)
            ):
                problems.add(f"证书 {item['slug']}", f"文件中没有的环节仍被 {rule.notice} {rule} 使用。")
            for step in leftover:
                step.waived_by.clear()
                step.remaining_in.clear()
            if not problems:
                _delete(leftover, f"证书 {item['slug']} 的环节", problems)

    def cert_of(slug: str | None) -> Certificate | None:
        if slug is None:
            return None
        if slug not in certificates:
            certificates[slug] = Certificate.objects.filter(slug=slug).first()
        return certificates[slug]

    for item in package["rules"]:
        where = f"规则 序号{item['serial']}"
        rule = notice.rules.filter(serial=item["serial"]).first() or RecognitionRule(
            notice=notice, serial=item["serial"]
        )
        rule.held, rule.target = cert_of(item["held"]), cert_of(item["target"])
        rule.apply_to = Department.objects.get(name=item["apply_to"])
        rule.apply_to_detail, rule.quote, rule.publication = item["apply_to_detail"], item["quote"], item["status"]
        rule.clause = clauses.get(item["clause"])
        _set_period(rule, item, _find_replaced_rule(item["replaces"], where, problems))
        if rule.target is None or rule.held is None or rule.clause is None:
            problems.add(where, "证书或依据条款未能写入,见上。")
            continue
        target_steps = {step.name: step for step in rule.target.steps.all()}
        waived = [target_steps[name] for name in item["waived"] if name in target_steps]
        remaining = [target_steps[name] for name in item["remaining"] if name in target_steps]
        found = checks.rule_problems(rule, waived, remaining)
        problems.add_all(where, found)
        if not writer.check(rule, where, exclude=["waived", "remaining"], validate_constraints=False) or found:
            continue
        rule.save()
        rule.waived.set(waived)
        rule.remaining.set(remaining)
        rule.conditions.all().delete()
        for index, condition in enumerate(item["conditions"]):
            Condition.objects.create(rule=rule, order=(index + 1) * 10, text=condition["text"], kind=condition["kind"])
        writer.written.append(rule)

    for item in package["levels"]:
        where = f"等级比照 {item['held']} {item['occupation']}"
        cert = cert_of(item["held"])
        occupation = Occupation.objects.get(name=item["occupation"])
        level = (
            notice.level_equivalences.filter(certificate=cert, occupation=occupation).first() if cert else None
        ) or LevelEquivalence(notice=notice, certificate=cert, occupation=occupation)
        level.deemed_level = SkillLevel.objects.get(number=item["deemed_level"])
        level.eligible_level = SkillLevel.objects.get(number=item["eligible_level"])
        level.clause = clauses.get(item["clause"])
        level.quote, level.publication = item["quote"], item["status"]
        _set_period(level, item, _find_replaced_level(item["replaces"], where, problems))
        if cert is None or level.clause is None:
            problems.add(where, "证书或依据条款未能写入,见上。")
            continue
        found = checks.level_problems(level)
        problems.add_all(where, found)
        if not writer.check(level, where, validate_constraints=False) or found:
            continue
        level.save()
        writer.written.append(level)

    for clause in existing.values():  # clauses the package no longer has
        _delete([clause], f"条款 {clause.anchor}", problems)
    if problems:
        raise PackageError(problems)
    return writer.written


def _set_period(row: RecognitionRule | LevelEquivalence, item: dict, replaces) -> None:
    """The days a rule or level equivalence applies, its review day and the row it replaces."""
    row.valid_from = _parse_day(item["valid_from"])
    row.valid_until = _parse_day(item["valid_until"])
    row.review_due = _parse_day(item["review_due"])
    row.replaces = replaces


def _parse_day(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _find_replaced_rule(ref: dict | None, where: str, problems: Problems) -> RecognitionRule | None:
    if not ref:
        return None
    row = (
        RecognitionRule.objects.filter(notice__number=ref["notice"], serial=ref["serial"])
        .select_related("notice")
        .first()
    )
    if row is None:
        problems.add(where, f"replaces:{ref['notice']} 中没有序号为 {ref['serial']} 的规则。")
    return row


def _find_replaced_level(ref: dict | None, where: str, problems: Problems) -> LevelEquivalence | None:
    if not ref:
        return None
    row = (
        LevelEquivalence.objects.filter(
            notice__number=ref["notice"], certificate__slug=ref["held"], occupation__name=ref["occupation"]
        )
        .select_related("notice")
        .first()
    )
    if row is None:
        problems.add(where, f"replaces:{ref['notice']} 中没有 {ref['held']} 视同{ref['occupation']}等级的比照。")
    return row


def _delete(rows, noun: str, problems: Problems) -> None:
    for row in rows:
        try:
            with transaction.atomic():
                row.delete()
        except ProtectedError as error:
            users = "、".join(str(obj) for obj in error.protected_objects)
            problems.add(f"{noun} {row}", f"文件中没有这一项,但不能删除:{users} 仍在使用它。")
