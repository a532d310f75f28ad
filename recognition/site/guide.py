"""The worker's answer as a service guide (办事指南): one card per certificate one could apply for.

Each card says in plain words what the notice spares, which held certificates
give it, whether each condition is met, where to go next, and (one tap away)
the notice's own sentence. Routes are compared with applying directly.

Next steps come from `NextStep` rows (national channels, and local offices
that staff enter per region), read into the RuleBook with the rules, so a
results page still costs only the data-version query.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from recognition.rules import engine
from recognition.rules.book import (
    NOTICE_SCOPE,
    TARGET_ISSUED_IN_REGION,
    CertificateInfo,
    Channel,
    ProvinceInfo,
    RuleBook,
    RuleInfo,
)
from recognition.site.presenters import STATED, Citation, ConditionView, cite, condition_view


@dataclass(frozen=True)
class DepartmentSteps:
    """What to do next at one department, in one region (or none chosen)."""

    department: str
    region: ProvinceInfo | None
    local: tuple[Channel, ...]
    national: tuple[Channel, ...]

    @property
    def local_missing(self) -> bool:
        return not self.local

    @property
    def channels(self) -> tuple[Channel, ...]:
        return self.local + self.national

    @property
    def what_to_bring(self) -> str:
        return next((c.what_to_bring for c in self.channels if c.what_to_bring), "")

    @property
    def verify(self) -> Channel | None:
        return next((c for c in self.channels if c.verify_url or c.verify_text), None)

    @property
    def first_line(self) -> str:
        office = next((c for c in self.local if c.is_office), None)
        if office:
            return f"到{office.office_name or office.address}办理" + (f",电话 {office.phone}" if office.phone else "")
        return f"向当地{self.department}申请;当地办理地点本站尚未录入,可拨打 12345 咨询"


@dataclass(frozen=True)
class Outcome:
    """One distinct outcome for a target: identical rules from several held certificates are one outcome."""

    held: tuple[CertificateInfo, ...]
    rule: RuleInfo
    plain: str  # 可以不参加…,直接参加…
    conditions: tuple[ConditionView, ...]
    citations: tuple[Citation, ...]
    apply_to: str
    excluded: bool


@dataclass(frozen=True)
class Card:
    target: CertificateInfo
    headline: str
    held: tuple[CertificateInfo, ...]
    outcomes: tuple[Outcome, ...]  # the best first
    excluded: bool
    steps: DepartmentSteps
    verify_held: tuple[tuple[str, Channel], ...] = ()  # (department, channel) of the certificates held

    @property
    def best(self) -> Outcome:
        return self.outcomes[0]

    @property
    def slug(self) -> str:
        return self.target.slug


# --- next steps, from the rule book --------------------------------------------------------------


def channels(book: RuleBook) -> tuple[Channel, ...]:
    """Every public NextStep (recognition.rules.snapshot reads them into the rule book)."""
    return book.next_steps


def department_steps(book: RuleBook, department: str, region: str | None) -> DepartmentSteps:
    rows = [c for c in channels(book) if c.department == department]
    return DepartmentSteps(
        department=department,
        region=book.provinces.get(region) if region else None,
        local=tuple(c for c in rows if region and c.region == region),
        national=tuple(c for c in rows if c.region is None),
    )


def has_local_offices(book: RuleBook, departments: set[str]) -> bool:
    return any(c.region and c.department in departments for c in channels(book))


# --- plain words ----------------------------------------------------------------------------------


def _group_steps(cert: CertificateInfo, names: tuple[str, ...]) -> str:
    """安全技术理论考核、安全操作技能考核 -> 考核(安全技术理论、安全操作技能)."""
    by_name = {step.name: step for step in cert.steps}
    groups: dict[str, list[str]] = {}
    for name in names:
        step = by_name.get(name)
        groups.setdefault(step.part_of if step else "", []).append(name)
    parts = []
    for part_of, members in groups.items():
        if part_of and len(members) > 1:
            suffix = part_of[-2:]
            short = [m[: -len(suffix)] if m.endswith(suffix) and len(m) > len(suffix) else m for m in members]
            parts.append(f"{part_of}({'、'.join(short)})")
        else:
            parts.extend(members)
    return "和".join(parts) if len(parts) == 2 else "、".join(parts)


def plain_outcome(book: RuleBook, rule: RuleInfo) -> str:
    """The outcome in a worker's words, keeping the notice's 可: 可以不参加…,直接参加…"""
    target = book.certificates[rule.target]
    text = f"可以不参加{_group_steps(target, rule.waived)}"
    if rule.remaining:
        text += f",直接参加{_group_steps(target, rule.remaining)}"
    return text


# --- cards ----------------------------------------------------------------------------------------


def build_cards(book: RuleBook, result: engine.LookupResult) -> list[Card]:
    region = result.region
    code = region.code if region else None
    cards = []
    for target_slug in result.targets:
        target = book.certificates[target_slug]
        merged: dict[tuple, list[engine.Recognition]] = {}
        for recognition in result.recognitions_for(target_slug):
            rule = recognition.rule
            key = (
                rule.waived,
                rule.remaining,
                rule.apply_to_detail or rule.apply_to,
                tuple((c.kind, c.met) for c in recognition.conditions),
            )
            merged.setdefault(key, []).append(recognition)
        outcomes = []
        for group in merged.values():
            first = group[0]
            conditions: dict[str, ConditionView] = {}
            for recognition in group:
                for condition in recognition.conditions:
                    conditions.setdefault(condition.text, condition_view(condition, region))
            outcomes.append(
                Outcome(
                    held=tuple(book.certificates[r.rule.held] for r in group),
                    rule=first.rule,
                    plain=plain_outcome(book, first.rule),
                    conditions=tuple(conditions.values()),
                    citations=tuple(
                        cite(book, r.rule.notice_number, r.rule.clause, r.rule.quote, r.rule.serial) for r in group
                    ),
                    apply_to=first.rule.apply_to_detail or first.rule.apply_to,
                    excluded=first.excluded,
                )
            )
        outcomes.sort(key=lambda o: (o.excluded, -len(o.rule.waived), o.rule.serial))
        best = outcomes[0]
        excluded = best.excluded
        out_of_scope = any(
            c.kind == NOTICE_SCOPE and c.met is False
            for r in result.recognitions_for(target_slug)
            if r.rule is best.rule
            for c in r.conditions
        )
        if excluded and out_of_scope:
            headline = f"申请{target.short_name}:{best.rule.notice_number}的这项减免不适用于{region.name}"
        elif excluded:
            headline = f"申请{target.short_name}:{region.name}不颁发此证,这项减免在{region.name}用不上"
        else:
            headline = f"申请{target.short_name}:{best.plain}"
        held = tuple(dict.fromkeys(cert for outcome in outcomes for cert in outcome.held))
        held_departments = dict.fromkeys(cert.department for cert in held)
        verify_held = []
        for department in held_departments:
            channel = department_steps(book, department, code).verify
            if channel:
                verify_held.append((department, channel))
        cards.append(
            Card(
                target=target,
                headline=headline,
                held=held,
                outcomes=tuple(outcomes),
                excluded=excluded,
                steps=department_steps(book, best.rule.apply_to, code),
                verify_held=tuple(verify_held),
            )
        )
    return cards


@dataclass
class Guide:
    cards: list[Card]
    applicable: int  # cards whose waiver applies in the chosen region
    region_matters: bool  # a condition depends on the region, or local offices exist
    region_reasons: list[str] = field(default_factory=list)
    departments: list[DepartmentSteps] = field(default_factory=list)  # every department applied to, once

    @property
    def shared_channels(self) -> list[tuple[str, str, str]]:
        """(phone, online name, online address) common to every department applied to: printed once."""
        seen: dict[tuple[str, str, str], None] = {}
        for steps in self.departments:
            for channel in steps.national:
                seen.setdefault((channel.phone, channel.online_name, channel.online_url))
        return list(seen)


def describe(book: RuleBook, result: engine.LookupResult) -> Guide:
    cards = build_cards(book, result)
    reasons = []
    for recognition in result.recognitions:
        for condition in recognition.conditions:
            if condition.kind == STATED:
                continue
            if condition.kind == TARGET_ISSUED_IN_REGION:
                target = book.certificates[recognition.rule.target]
                reason = f"判断{target.short_name}在该地区是否颁发(此项减免的条件)"
            else:  # any other condition the engine decides by region, e.g. a provincial notice's scope
                reason = f"判断条件“{condition.text}”"
            if reason not in reasons:
                reasons.append(reason)
    apply_to = {recognition.rule.apply_to for recognition in result.recognitions}
    if has_local_offices(book, apply_to):
        reasons.append("显示工作人员已录入的当地办理地点")
    departments = {card.steps.department: card.steps for card in cards if not card.excluded}
    return Guide(
        cards=cards,
        applicable=sum(1 for card in cards if not card.excluded),
        region_matters=bool(reasons),
        region_reasons=reasons,
        departments=list(departments.values()),
    )


# --- routes compared with applying directly -------------------------------------------------------


def count_steps(book: RuleBook, slug: str, names: tuple[str, ...] | None = None) -> dict:
    cert = book.certificates[slug]
    chosen = [step for step in cert.steps if names is None or step.name in names]
    trainings = sum(1 for step in chosen if step.kind == "training")
    return {"total": len(chosen), "trainings": trainings, "exams": len(chosen) - trainings}


def compare_routes(book: RuleBook, result: engine.RoutesResult, answer: dict) -> dict:
    """Each route's trainings and exams against applying directly; a route shortens the way only with fewer.

    Adds "cost" to each route of `answer` (presenters.describe_routes) and returns the direct cost.
    """
    direct = count_steps(book, result.target)

    def route_cost(route: engine.Route) -> dict:
        totals = {"total": 0, "trainings": 0, "exams": 0}
        for rule in route.rules:
            cost = count_steps(book, rule.target, rule.remaining)
            for key in totals:
                totals[key] += cost[key]
        return {
            **totals,
            "via": [book.certificates[slug] for slug in route.certificates[1:-1]],
            "shorter": totals["total"] < direct["total"],
            "saved": direct["total"] - totals["total"],
        }

    for route, view in zip(result.direct, answer["direct"], strict=True):
        view["cost"] = route_cost(route)
    for route, view in zip(result.indirect, answer["indirect"], strict=True):
        view["cost"] = route_cost(route)
    answer["indirect_shorter"] = [view for view in answer["indirect"] if view["cost"]["shorter"]]
    answer["indirect_longer"] = [view for view in answer["indirect"] if not view["cost"]["shorter"]]
    return direct
