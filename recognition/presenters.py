"""Engine answers shaped for templates: names instead of slugs, grouped for reading."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from recognition import engine
from recognition.engine import CertificateInfo, LevelInfo, RuleBook, RuleInfo, SkillLevelInfo
from recognition.models import ReferenceFact


@dataclass(frozen=True)
class Citation:
    anchor: str
    label: str  # 一、(一)
    url: str
    quote: str
    notice_number: str
    serial: int | None = None


@dataclass(frozen=True)
class RuleView:
    rule: RuleInfo
    held: CertificateInfo
    target: CertificateInfo
    apply_to: str
    citation: Citation
    conditions: tuple[engine.ConditionOutcome, ...] = ()
    excluded: bool = False


@dataclass(frozen=True)
class LevelView:
    level: LevelInfo
    held: CertificateInfo
    deemed: SkillLevelInfo
    eligible: SkillLevelInfo
    citation: Citation


def cite(book: RuleBook, anchor: str, quote: str, notice_number: str, serial: int | None = None) -> Citation:
    clause = book.clauses.get(anchor)
    return Citation(
        anchor=anchor,
        label=clause.label if clause else anchor,
        url=f"{reverse('notice')}#{anchor}",
        quote=quote,
        notice_number=notice_number,
        serial=serial,
    )


def rule_view(book: RuleBook, rule: RuleInfo, recognition: engine.Recognition | None = None) -> RuleView:
    """A rule for display; without a lookup's recognition, its conditions are stated, none decided."""
    recognition = recognition or engine.recognise(book, rule, region=None)
    return RuleView(
        rule=rule,
        held=book.certificates[rule.held],
        target=book.certificates[rule.target],
        apply_to=rule.apply_to_detail or rule.apply_to,
        citation=cite(book, rule.clause, rule.quote, rule.notice_number, rule.serial),
        conditions=recognition.conditions,
        excluded=recognition.excluded,
    )


def level_view(book: RuleBook, level: LevelInfo) -> LevelView:
    return LevelView(
        level=level,
        held=book.certificates[level.held],
        deemed=book.skill_level(level.deemed_level),
        eligible=book.skill_level(level.eligible_level),
        citation=cite(book, level.clause, level.quote, level.notice_number),
    )


def certificates_by_department(book: RuleBook) -> list[tuple[str, list[CertificateInfo]]]:
    groups: dict[str, list[CertificateInfo]] = {name: [] for name in book.departments}
    for cert in book.certificates.values():
        groups.setdefault(cert.department, []).append(cert)
    return [(name, certs) for name, certs in groups.items() if certs]


def describe_lookup(book: RuleBook, result: engine.LookupResult) -> dict:
    by_target = [
        {
            "target": book.certificates[target],
            "recognitions": [rule_view(book, r.rule, r) for r in result.recognitions_for(target)],
        }
        for target in result.targets
    ]
    held_set = set(result.held)
    covered = set(result.targets) | held_set
    not_covered = [cert for slug, cert in book.certificates.items() if slug not in covered]
    best = [
        {
            "best": best,
            "deemed": book.skill_level(best.deemed_level),
            "eligible": book.skill_level(best.eligible_level),
            "held": [book.certificates[slug] for slug in best.held],
        }
        for best in result.best_levels
    ]
    return {
        "held": [book.certificates[slug] for slug in result.held],
        "region": result.region,
        "by_target": by_target,
        "recognition_count": len(result.recognitions),
        "levels": [level_view(book, level) for level in result.levels],
        "best_levels": best,
        # Several certificates of one occupation: say which level counts.
        "show_best_levels": len(result.levels) > len(result.best_levels),
        "already_held": [rule_view(book, rule) for rule in result.already_held],
        "not_covered": not_covered,
    }


def describe_routes(book: RuleBook, result: engine.RoutesResult) -> dict:
    def route_view(route: engine.Route) -> dict:
        return {
            "start": book.certificates[route.start],
            "steps": [rule_view(book, rule) for rule in route.steps],
        }

    starts = {route.start for route in result.direct + result.indirect}
    return {
        "target": book.certificates[result.target],
        "held": [book.certificates[slug] for slug in result.held],
        "direct": [route_view(route) for route in result.direct],
        "indirect": [route_view(route) for route in result.indirect],
        "level": level_view(book, result.level) if result.level else None,
        "no_route_from": [
            cert for slug, cert in book.certificates.items() if slug != result.target and slug not in starts
        ],
    }


def matrix_rows(book: RuleBook) -> list[dict]:
    level_by_cert = {level.held: level_view(book, level) for level in book.levels}
    return [{"rule": rule_view(book, rule), "level": level_by_cert.get(rule.held)} for rule in book.rules]


MATRIX_CSV_HEADER = [
    "序号",
    "持有证书",
    "持有证书发证部门",
    "申请证书",
    "受理部门",
    "免予",
    "仍须参加",
    "适用条件",
    "持证视同技能等级",
    "可报名技能等级",
    "依据条款",
    "依据原文",
    "施行日期",
]


def matrix_csv_row(row: dict) -> list[str]:
    view: RuleView = row["rule"]
    level: LevelView | None = row["level"]
    rule = view.rule
    return [
        str(rule.serial),
        view.held.name,
        view.held.department,
        view.target.name,
        view.apply_to,
        "、".join(rule.waived),
        "、".join(rule.remaining),
        ";".join(condition.text for condition in rule.conditions),
        f"{level.level.occupation}{level.deemed.display}" if level else "",
        f"{level.level.occupation}{level.eligible.display}" if level else "",
        f"{rule.notice_number} {view.citation.label}",
        rule.quote,
        rule.valid_from.isoformat(),
    ]


def annotate_clauses(book: RuleBook, clauses: list) -> list[dict]:
    rules_by_clause: dict[str, list[RuleView]] = {}
    for rule in book.rules:
        rules_by_clause.setdefault(rule.clause, []).append(rule_view(book, rule))
    levels_by_clause: dict[str, list[LevelView]] = {}
    for level in book.levels:
        levels_by_clause.setdefault(level.clause, []).append(level_view(book, level))
    return [
        {
            "clause": clause,
            "paragraphs": [p for p in clause.text.split("\n") if p.strip()],
            "rules": rules_by_clause.get(clause.anchor, []),
            "levels": levels_by_clause.get(clause.anchor, []),
        }
        for clause in clauses
    ]


def describe_certificate(book: RuleBook, slug: str) -> dict:
    cert = book.certificates[slug]
    level = next((lvl for lvl in book.levels if lvl.held == slug), None)
    facts = [
        fact for fact in ReferenceFact.objects.filter(certificate__slug=slug).order_by("order", "pk") if fact.is_public
    ]
    return {
        "book": book,
        "certificate": cert,
        "outgoing": [rule_view(book, rule) for rule in book.rules if rule.held == slug],
        "incoming": [rule_view(book, rule) for rule in book.rules if rule.target == slug],
        "level": level_view(book, level) if level else None,
        "facts": facts,
        "everyday_names": cert.everyday_names,
        "other_certificates": [c for s, c in book.certificates.items() if s != slug],
    }
