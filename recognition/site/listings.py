"""The pages that list: the matrix and its CSV, the notices, and each certificate's page (over presenters)."""

from __future__ import annotations

from datetime import date

from recognition.rules import engine, fields
from recognition.rules.book import (
    ENDED,
    IN_FORCE,
    NOT_YET,
    NOTICE_STATUS_NAMES,
    REPLACED,
    CertificateInfo,
    LevelInfo,
    NoticeInfo,
    RuleBook,
    RuleInfo,
)
from recognition.site.answers import basis, silence
from recognition.site.presenters import (
    FACT_NOTE,
    FACT_NOTE_ONE,
    REBUILT_LONG,
    SPLIT_TOPICS,
    USES_TOPIC,
    LevelView,
    RuleView,
    chinese_date,
    level_view,
    rule_view,
    scope_text,
)


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
        "waived": "、".join(rule.waived),
        "remaining": view.remaining_text,
        "conditions": view.conditions_text,
        "scope": scope_text(book, rule.scope),
        "deemed_level": f"{level.level.occupation}{level.deemed.display}" if level else "",
        "eligible_level": f"{level.level.occupation}{level.eligible.display}" if level else "",
        "level_clause": level.citation.text if level else "",
        "clause": view.citation.text,
        "quote": rule.quote,
        "serial_note": REBUILT_LONG if view.citation.serial_rebuilt else "",
        "valid_from": rule.valid_from.isoformat(),
        "valid_from_basis": valid_from_basis(book, rule),
        "valid_until": rule.valid_until.isoformat() if rule.valid_until else "",
        "replaces": f"{rule.replaces[0]} 序号{rule.replaces[1]}" if rule.replaces else "",
    }
    return [derived[f.key] if f.key in derived else csv_text(getattr(rule, f.attr)) for f in CSV_FIELDS]


def in_force_text(notice: NoticeInfo) -> str:
    """The notice's date in force, or, where it states none, the fact first and the site's reckoning after."""
    if notice.in_force_from:
        return chinese_date(notice.in_force_from)
    return f"通知未写明施行日期;本站按印发日({chinese_date(notice.issued_on)})起计"


def valid_from_basis(book: RuleBook, row: RuleInfo | LevelInfo) -> str:
    """Where a row's first day comes from: the notice's own date, or the site's reckoning from the day issued."""
    notice = book.notices[row.notice_number]
    if notice.in_force_from and row.valid_from == notice.in_force_from:
        return "通知写明的施行日期"
    if not notice.in_force_from and row.valid_from == notice.issued_on:
        return "通知未写明施行日期;本站按印发日起计"
    return "工作人员按通知录入的日期(见依据原文)"


def notice_entry(book: RuleBook, notice: NoticeInfo, on: date) -> dict:
    status = engine.notice_status(book, notice, on)
    replaced_by = [other for other in book.notices.values() if other.replaces == notice.number]
    return {
        "notice": notice,
        "status": status,
        "status_name": NOTICE_STATUS_NAMES[status],
        "scope": scope_text(book, notice.scope),
        "in_force_text": in_force_text(notice),
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


def steps_note(book: RuleBook, cert: CertificateInfo) -> str:
    """Where the usual steps come from: the site's model, with the source of the split where one is recorded."""
    source = next((fact.source for fact in book.facts.get(cert.slug, ()) if fact.topic in SPLIT_TOPICS), "")
    origin = f"来源:{source}" if source else "环节名称取自通知的用语,具体考试内容和项数通知未列明"
    return f"本站整理的通常环节,仅供参考;{origin};以发证部门的规定为准。"


def describe_certificate(book: RuleBook, slug: str, on: date) -> dict:
    cert = book.certificates[slug]
    rules = engine.rules_in_force(book, on)
    levels = [level for level in engine.levels_in_force(book, on) if level.held == slug]
    outgoing = [rule_view(book, rule, on=on) for rule in rules if rule.held == slug]
    incoming = [rule_view(book, rule, on=on) for rule in rules if rule.target == slug]
    numbers = {view.rule.notice_number for view in outgoing + incoming} | {level.notice_number for level in levels}
    quiet = silence(book, on)
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
        "steps_note": steps_note(book, cert),
        "fact_note": FACT_NOTE,
        "fact_note_one": FACT_NOTE_ONE,
        "silence": quiet,
        "silence_outgoing": quiet.sentence("持有此证申请其他证书时的减免"),
        "silence_incoming": quiet.sentence("哪种证书可以减免此证的培训或考试"),
        "silence_levels": "这一天没有适用的技能等级规定。" if quiet.no_notice else quiet.sentence("此证视同的技能等级"),
        "basis": basis(book, numbers or None, on),
    }
