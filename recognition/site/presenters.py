"""Engine answers shaped for templates, the CSV and the API: names instead of slugs, grouped for reading.

Every function here is a pure function of a RuleBook (and the day asked
about): no database access. A citation is built in one place, `cite`, for
every page, the CSV and the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.urls import reverse

from recognition.rules import engine, fields
from recognition.rules.book import (
    ENDED,
    IN_FORCE,
    NOT_YET,
    NOTICE_PERIOD,
    NOTICE_STATUS_NAMES,
    REPLACED,
    TARGET_ISSUED_IN_REGION,
    CertificateInfo,
    LevelInfo,
    NoticeInfo,
    ProvinceInfo,
    RuleBook,
    RuleInfo,
    SkillLevelInfo,
)

USES_TOPIC = "用途"  # the reference fact saying what a certificate is needed for

# What a page says where no notice states anything.
SILENT_ONE = "本通知未规定减免"
SILENT_MANY = "现行通知均未规定减免"


@dataclass(frozen=True)
class Citation:
    notice_number: str
    notice_slug: str
    anchor: str
    label: str  # 一、(一), as a reader cites it
    url: str  # the notice's page at the clause
    quote: str
    serial: int | None = None
    serial_name: str = "序号"  # 附件序号 when the notice has an attachment table

    @property
    def text(self) -> str:
        """人社厅发〔2026〕1号 一、(一)"""
        return f"{self.notice_number} {self.label}"


STATED = "stated"  # a condition the site cannot decide; every other kind depends on the region
MET = "满足"
UNMET = "不满足"
CHECK = "需确认"


@dataclass(frozen=True)
class ConditionView:
    text: str
    status: str  # MET, UNMET or CHECK
    note: str = ""


def condition_view(condition: engine.ConditionOutcome, region: ProvinceInfo | None) -> ConditionView:
    """A condition marked 满足 / 不满足 / 需确认, with what decided it or how to find out."""
    issuance = condition.kind == TARGET_ISSUED_IN_REGION
    if condition.met is True:
        return ConditionView(
            condition.text, MET, f"{region.name}:已录入为颁发" if issuance else f"所选地区:{region.name}"
        )
    if condition.met is False:
        return ConditionView(condition.text, UNMET, f"{region.name}:不颁发" if issuance else f"所选地区:{region.name}")
    if issuance:
        if region:
            return ConditionView(
                condition.text, CHECK, f"{region.name}的发证情况尚未录入,请向当地住房城乡建设主管部门确认"
            )
        return ConditionView(condition.text, CHECK, "选择申请地区后可以判断,或向当地住房城乡建设主管部门确认")
    if condition.kind != STATED:
        return ConditionView(condition.text, CHECK, "选择申请地区后可以判断" if not region else "请向受理部门确认")
    return ConditionView(condition.text, CHECK, "网站无法判断,请自行确认")


@dataclass(frozen=True)
class RuleView:
    rule: RuleInfo
    held: CertificateInfo
    target: CertificateInfo
    apply_to: str
    citation: Citation
    notice: NoticeInfo
    conditions: tuple[ConditionView, ...] = ()
    excluded: bool = False
    status: str = IN_FORCE
    ends_soon: bool = False  # its last day is within NOTICE_PERIOD of the day asked about
    replaced_by: RuleInfo | None = None
    # Provincial rows replacing it in their own regions only, started on the day.
    replaced_in_part: tuple[RuleInfo, ...] = ()
    replaced_in_part_text: str = ""  # 部分地区已由…序号1(江苏省)取代
    scope_names: str = ""  # 江苏省、浙江省; empty for a national notice

    @property
    def period(self) -> str:
        return period_text(self.rule.valid_from, self.rule.valid_until)


@dataclass(frozen=True)
class LevelView:
    level: LevelInfo
    held: CertificateInfo
    deemed: SkillLevelInfo
    eligible: SkillLevelInfo
    citation: Citation
    notice: NoticeInfo
    scope_names: str = ""  # a provincial notice's regions, while no region is chosen
    replaced_in: str = ""  # 不适用于江苏省:…, while no region is chosen

    @property
    def period(self) -> str:
        return period_text(self.level.valid_from, self.level.valid_until)


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def period_text(first: date, last: date | None) -> str:
    return f"{chinese_date(first)}至{chinese_date(last)}" if last else f"{chinese_date(first)}起"


def notice_url(book: RuleBook, number: str) -> str:
    return reverse("notice_detail", args=[book.notices[number].slug])


def cite(book: RuleBook, notice_number: str, anchor: str, quote: str, serial: int | None = None) -> Citation:
    clause = book.clauses.get((notice_number, anchor))
    return Citation(
        notice_number=notice_number,
        notice_slug=book.notices[notice_number].slug,
        anchor=anchor,
        label=clause.label if clause else anchor,
        url=f"{notice_url(book, notice_number)}#{anchor}",
        quote=quote,
        serial=serial,
        serial_name="附件序号" if book.notices[notice_number].attachment_title else "序号",
    )


def rule_view(
    book: RuleBook,
    rule: RuleInfo,
    recognition: engine.Recognition | None = None,
    on: date | None = None,
    region: ProvinceInfo | None = None,
) -> RuleView:
    """A rule for display; without a lookup's recognition (and its region), its conditions are stated, none decided."""
    recognition = recognition or engine.recognise(book, rule, region=None, on=on)
    replaced_in_part = engine.partial_replacements(book, rule, on)
    return RuleView(
        rule=rule,
        held=book.certificates[rule.held],
        target=book.certificates[rule.target],
        apply_to=rule.apply_to_detail or rule.apply_to,
        citation=cite(book, rule.notice_number, rule.clause, rule.quote, rule.serial),
        notice=book.notices[rule.notice_number],
        conditions=tuple(condition_view(condition, region) for condition in recognition.conditions),
        excluded=recognition.excluded,
        status=engine.rule_status(rule, on) if on else IN_FORCE,
        ends_soon=bool(on and rule.valid_until and on <= rule.valid_until <= on + NOTICE_PERIOD),
        replaced_by=book.rule(rule.replaced_by),
        replaced_in_part=replaced_in_part,
        replaced_in_part_text=partly_replaced_text(book, replaced_in_part),
        scope_names=scope_text(book, rule.scope) if rule.scope else "",
    )


def partly_replaced_text(book: RuleBook, replacements: tuple[RuleInfo, ...]) -> str:
    """部分地区已由苏人社发〔2026〕99号序号1(江苏省)取代: a national row replaced in some provinces only."""
    if not replacements:
        return ""
    named = "、".join(f"{row.notice_number}序号{row.serial}({book.region_names(row.scope)})" for row in replacements)
    return f"部分地区已由{named}取代"


def level_view(
    book: RuleBook, level: LevelInfo, on: date | None = None, region: ProvinceInfo | None = None
) -> LevelView:
    """A level equivalence for display; with no region chosen, where it applies and where it was replaced."""
    replaced = () if region else engine.partial_replacements(book, level, on)
    return LevelView(
        level=level,
        held=book.certificates[level.held],
        deemed=book.skill_level(level.deemed_level),
        eligible=book.skill_level(level.eligible_level),
        citation=cite(book, level.notice_number, level.clause, level.quote),
        notice=book.notices[level.notice_number],
        scope_names=scope_text(book, level.scope) if level.scope and not region else "",
        replaced_in=engine.replaced_in_region_text(book, replaced) if replaced else "",
    )


def notices_in_force(book: RuleBook, on: date) -> list[NoticeInfo]:
    return [n for n in book.notices.values() if engine.notice_status(book, n, on) == IN_FORCE]


def silence(book: RuleBook, on: date) -> str:
    """What to say of a pair no rule covers: the notices are silent, not negative."""
    return SILENT_MANY if len(notices_in_force(book, on)) > 1 else SILENT_ONE


def basis(book: RuleBook, numbers: set[str] | None, on: date | None) -> list[NoticeInfo]:
    """The notices an answer rests on: those named, or every notice in force on the day."""
    if numbers is None:
        return notices_in_force(book, on) if on else list(book.notices.values())
    return [notice for notice in book.notices.values() if notice.number in numbers]


def certificates_by_department(book: RuleBook) -> list[tuple[str, list[CertificateInfo]]]:
    groups: dict[str, list[CertificateInfo]] = {name: [] for name in book.departments}
    for cert in book.certificates.values():
        groups.setdefault(cert.department, []).append(cert)
    return [(name, certs) for name, certs in groups.items() if certs]


def describe_lookup(book: RuleBook, result: engine.LookupResult) -> dict:
    on, region = result.on, result.region
    by_target = [
        {
            "target": book.certificates[target],
            "recognitions": [rule_view(book, r.rule, r, on, region) for r in result.recognitions_for(target)],
        }
        for target in result.targets
    ]
    held_set = set(result.held)
    current_pairs = {(r.rule.held, r.rule.target) for r in result.recognitions if not r.excluded}
    # An ended rule is told only for a pair that nothing replaced on the day asked about.
    ended = [
        rule_view(book, r.rule, r, on, region)
        for r in result.ended
        if (r.rule.held, r.rule.target) not in current_pairs
    ]
    upcoming = [rule_view(book, r.rule, r, on, region) for r in result.upcoming]
    covered = set(result.targets) | held_set | {view.target.slug for view in ended + upcoming}
    best = [
        {
            "best": best,
            "deemed": book.skill_level(best.deemed_level),
            "eligible": book.skill_level(best.eligible_level),
            "held": [book.certificates[slug] for slug in best.held],
        }
        for best in result.best_levels
    ]
    levels = [level_view(book, level, on, region) for level in result.levels]
    numbers = {r.rule.notice_number for r in result.recognitions} | {v.level.notice_number for v in levels}
    return {
        "held": [book.certificates[slug] for slug in result.held],
        "region": result.region,
        "on": on,
        "by_target": by_target,
        "recognition_count": sum(1 for r in result.recognitions if not r.excluded),
        "levels": levels,
        "best_levels": best,
        # Several certificates of one occupation: say which level counts.
        "show_best_levels": any(
            len({level.held for level in result.levels if level.occupation == best.occupation}) > 1
            for best in result.best_levels
        ),
        "already_held": unique_targets([rule_view(book, rule, on=on) for rule in result.already_held]),
        "upcoming": upcoming,
        "ended": ended,
        "not_covered": [cert for slug, cert in book.certificates.items() if slug not in covered],
        "silence": silence(book, on) if on else SILENT_ONE,
        "basis": basis(book, numbers, on) if numbers else basis(book, None, on),
    }


def unique_targets(views: list[RuleView]) -> list[RuleView]:
    """One view per target certificate: 'you already hold X' names X once."""
    seen: dict[str, RuleView] = {}
    for view in views:
        seen.setdefault(view.target.slug, view)
    return list(seen.values())


def describe_routes(book: RuleBook, result: engine.RoutesResult) -> dict:
    def route_view(route: engine.Route) -> dict:
        return {
            "start": book.certificates[route.start],
            "steps": [rule_view(book, step.rule, step, result.on, result.region) for step in route.steps],
        }

    starts = {route.start for route in result.direct + result.indirect}
    numbers = {rule.notice_number for route in result.direct + result.indirect for rule in route.rules}
    if result.level:
        numbers.add(result.level.notice_number)
    return {
        "target": book.certificates[result.target],
        "held": [book.certificates[slug] for slug in result.held],
        "region": result.region,
        "on": result.on,
        "direct": [route_view(route) for route in result.direct],
        "indirect": [route_view(route) for route in result.indirect],
        "level": level_view(book, result.level, result.on, result.region) if result.level else None,
        "no_route_from": [
            cert for slug, cert in book.certificates.items() if slug != result.target and slug not in starts
        ],
        "silence": silence(book, result.on) if result.on else SILENT_ONE,
        "basis": basis(book, numbers or None, result.on),
    }


def matrix_rows(book: RuleBook, on: date | None) -> list[dict]:
    """One row per rule that applies on the day (every rule when `on` is None), with the held certificate's level."""
    levels = {}
    for level in engine.levels_in_force(book, on):
        levels.setdefault(level.held, level_view(book, level, on))
    return [
        {"rule": rule_view(book, rule, on=on), "level": levels.get(rule.held)}
        for rule in engine.rules_in_force(book, on)
    ]


# A rule's columns in the CSV, from the rule field table (recognition.rules.fields): each column's key (the
# API's key, where the API carries the value) and header.
CSV_FIELDS = fields.columns(fields.RULE, "csv")
RULE_COLUMNS = tuple((f.key, f.csv) for f in CSV_FIELDS)
MATRIX_CSV_HEADER = [header for _, header in RULE_COLUMNS]


def csv_text(value) -> str:
    """A rule book value as a cell: names joined by 、, a day as YYYY-MM-DD, none as empty."""
    if value is None:
        return ""
    if isinstance(value, tuple):
        return "、".join(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def scope_text(book: RuleBook, scope: tuple[str, ...]) -> str:
    return book.region_names(scope) or "全国"


def matrix_csv_row(book: RuleBook, row: dict) -> list[str]:
    """A rule's cells: the rule book's value as it is, but for the columns the table derives (below)."""
    view: RuleView = row["rule"]
    level: LevelView | None = row["level"]
    rule = view.rule
    derived = {
        "notice": rule.notice_number,
        "held_name": view.held.name,
        "held_department": view.held.department,
        "target_name": view.target.name,
        "apply_to": view.apply_to,
        "conditions": ";".join(condition.text for condition in view.conditions),
        "scope": scope_text(book, rule.scope),
        "deemed_level": f"{level.level.occupation}{level.deemed.display}" if level else "",
        "eligible_level": f"{level.level.occupation}{level.eligible.display}" if level else "",
        "clause": view.citation.text,
        "replaces": f"{rule.replaces[0]} 序号{rule.replaces[1]}" if rule.replaces else "",
    }
    return [derived[f.key] if f.key in derived else csv_text(getattr(rule, f.attr)) for f in CSV_FIELDS]


def notice_entry(book: RuleBook, notice: NoticeInfo, on: date) -> dict:
    status = engine.notice_status(book, notice, on)
    replaced_by = [other for other in book.notices.values() if other.replaces == notice.number]
    return {
        "notice": notice,
        "status": status,
        "status_name": NOTICE_STATUS_NAMES[status],
        "scope": scope_text(book, notice.scope),
        "in_force_text": chinese_date(notice.in_force_from) if notice.in_force_from else "自印发之日起",
        "replaces": book.notices.get(notice.replaces) if notice.replaces else None,
        "replaced_by": replaced_by,
        "rule_count": sum(1 for rule in book.rules if rule.notice_number == notice.number),
    }


NOTICE_GROUPS = (
    ("现行有效", (IN_FORCE,)),
    ("尚未施行", (NOT_YET,)),
    ("已失效/已被替代", (ENDED, REPLACED)),
)


def notice_groups(book: RuleBook, on: date) -> list[dict]:
    entries = [notice_entry(book, notice, on) for notice in reversed(book.notices.values())]
    return [
        {"title": title, "entries": [entry for entry in entries if entry["status"] in statuses]}
        for title, statuses in NOTICE_GROUPS
    ]


def describe_notice(book: RuleBook, notice: NoticeInfo, on: date) -> dict:
    """A notice's text, each clause with the rules and levels resting on it that apply on the day."""
    rules_by_clause: dict[str, list[RuleView]] = {}
    for rule in engine.rules_in_force(book, on):
        if rule.notice_number == notice.number:
            rules_by_clause.setdefault(rule.clause, []).append(rule_view(book, rule, on=on))
    levels_by_clause: dict[str, list[LevelView]] = {}
    for level in engine.levels_in_force(book, on):
        if level.notice_number == notice.number:
            levels_by_clause.setdefault(level.clause, []).append(level_view(book, level, on))
    return {
        "entry": notice_entry(book, notice, on),
        "clauses": [
            {
                "clause": clause,
                "paragraphs": [p for p in clause.text.split("\n") if p.strip()],
                "rules": rules_by_clause.get(clause.anchor, []),
                "levels": levels_by_clause.get(clause.anchor, []),
            }
            for clause in book.clauses_of(notice.number)
        ],
        "other_rules": [
            rule_view(book, rule, on=on)
            for rule in book.rules
            if rule.notice_number == notice.number and not rule.in_force_on(on)
        ],
    }


def describe_certificate(book: RuleBook, slug: str, on: date) -> dict:
    cert = book.certificates[slug]
    rules = engine.rules_in_force(book, on)
    levels = [level for level in engine.levels_in_force(book, on) if level.held == slug]
    outgoing = [rule_view(book, rule, on=on) for rule in rules if rule.held == slug]
    incoming = [rule_view(book, rule, on=on) for rule in rules if rule.target == slug]
    numbers = {view.rule.notice_number for view in outgoing + incoming} | {level.notice_number for level in levels}
    return {
        "certificate": cert,
        "outgoing": outgoing,
        "incoming": incoming,
        "levels": [level_view(book, level, on) for level in levels],
        # What the certificate is for leads the page; the other facts are listed under 参考信息.
        "uses": [fact for fact in book.facts.get(slug, ()) if fact.topic == USES_TOPIC],
        "facts": [fact for fact in book.facts.get(slug, ()) if fact.topic != USES_TOPIC],
        "everyday_names": cert.everyday_names,
        "other_certificates": [c for s, c in book.certificates.items() if s != slug],
        "silence": silence(book, on),
        "basis": basis(book, numbers or None, on),
    }
