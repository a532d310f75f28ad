"""The answers a worker reads: what the certificates held give, and the routes to one, as the pages show them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from recognition.rules import engine
from recognition.rules.book import (
    ENDED,
    NOT_YET,
    REPLACED,
    CertificateInfo,
    NoticeInfo,
    RuleBook,
)
from recognition.site.presenters import (
    SILENT_MANY,
    SILENT_ONE,
    RuleView,
    chinese_date,
    level_view,
    names,
    notices_in_force,
    rule_view,
)


@dataclass(frozen=True)
class Silence:
    """What a page says where no rule in force covers what was asked: never a "no".

    `code`: "one" (the one notice in force is silent), "many" (every notice in force is), or "no-notice"
    (none was in force on the day: before a notice was issued nothing is silent, it had not been written).
    """

    code: str
    label: str  # 本通知未规定减免, as a heading of a list
    subject: str = ""  # 本通知未规定, to start a sentence
    note: str = ""  # no-notice: why none was in force, with each notice's dates

    @property
    def no_notice(self) -> bool:
        return self.code == NO_NOTICE

    def sentence(self, what: str) -> str:
        """本通知未规定{what}。; on a day with no notice in force, that day's note instead."""
        return self.note if self.no_notice else f"{self.subject}{what}。"


NO_NOTICE = "no-notice"


def notice_dates(notice: NoticeInfo) -> str:
    """2026年1月9日印发,通知未写明施行日期,本站按印发日起计: when a notice applies from, and on whose word."""
    issued = f"{chinese_date(notice.issued_on)}印发"
    if notice.in_force_from:
        return f"{issued},自{chinese_date(notice.in_force_from)}起施行"
    return f"{issued},通知未写明施行日期,本站按印发日起计"


def no_notice_note(book: RuleBook, on: date) -> str:
    """2025年6月1日没有施行中的通知:人社厅发〔2026〕1号当时尚未印发(…)。"""
    parts = []
    for notice in book.notices.values():
        status = engine.notice_status(book, notice, on)
        if status == NOT_YET:
            when = "尚未印发" if on < notice.issued_on else "尚未施行"
            parts.append(f"{notice.number}当时{when}({notice_dates(notice)})")
        elif status == ENDED and notice.ends_on:
            parts.append(f"{notice.number}已于{chinese_date(notice.ends_on)}停止适用")
        elif status == REPLACED:
            parts.append(f"{notice.number}已被替代")
    reasons = ";".join(parts) if parts else "本站尚未收录通知"
    return f"{chinese_date(on)}没有施行中的通知:{reasons}。这一天没有适用的减免和技能等级规定。"


def silence(book: RuleBook, on: date | None) -> Silence:
    """What to say of a pair no rule covers: the notices are silent, not negative; or none was in force."""
    in_force = notices_in_force(book, on) if on else list(book.notices.values())
    if on and not in_force:
        return Silence(NO_NOTICE, f"{chinese_date(on)}没有施行中的通知", note=no_notice_note(book, on))
    if len(in_force) > 1:
        return Silence("many", SILENT_MANY, "现行通知均未规定")
    return Silence("one", SILENT_ONE, "本通知未规定")


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
    held_set = set(result.held)
    current_pairs = {(r.rule.held, r.rule.target) for r in result.recognitions if not r.excluded}
    # An ended rule is told only for a pair that nothing replaced on the day asked about.
    ended = [
        rule_view(book, r.rule, r, on, region)
        for r in result.ended
        if (r.rule.held, r.rule.target) not in current_pairs
    ]
    upcoming = [rule_view(book, r.rule, r, on, region) for r in result.upcoming]
    told = set(result.targets) | held_set | {view.target.slug for view in ended + upcoming}
    # A pair a rule covers on other days is not one the notices are silent on: it is told with its days.
    other_days = [
        rule_view(book, rule, on=on)
        for rule in engine.rules_from(book, result.held)
        if rule.target not in told and not rule.in_force_on(on)
    ]
    covered = told | {view.target.slug for view in other_days}
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
    return {
        "held": [book.certificates[slug] for slug in result.held],
        "region": result.region,
        "on": on,
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
        "other_days": other_days,
        "not_covered": [cert for slug, cert in book.certificates.items() if slug not in covered],
        "silence": silence(book, on),
        "basis": lookup_basis(book, result),
    }


def lookup_basis(book: RuleBook, result: engine.LookupResult) -> list[NoticeInfo]:
    """The notices a lookup rests on: those of its rules and levels, or every notice in force if none."""
    numbers = {r.rule.notice_number for r in result.recognitions} | {level.notice_number for level in result.levels}
    return basis(book, numbers, result.on) if numbers else basis(book, None, result.on)


def unique_targets(views: list[RuleView]) -> list[RuleView]:
    """One view per target certificate: 'you already hold X' names X once."""
    seen: dict[str, RuleView] = {}
    for view in views:
        seen.setdefault(view.target.slug, view)
    return list(seen.values())


def describe_routes(book: RuleBook, result: engine.RoutesResult) -> dict:
    """The routes to a target. The certificates held narrow the list of routes; what the notices say or
    leave unsaid is told from every route, so a filter never becomes a statement about the notice."""

    def route_view(route: engine.Route) -> dict:
        return {
            "start": book.certificates[route.start],
            "steps": [rule_view(book, step.rule, step, result.on, result.region) for step in route.steps],
        }

    region = result.region.code if result.region else None
    every = engine.routes(book, result.target, (), on=result.on, region=region) if result.held else result
    starts = {route.start for route in every.direct + every.indirect}
    numbers = {rule.notice_number for route in result.direct + result.indirect for rule in route.rules}
    if result.level:
        numbers.add(result.level.notice_number)
    target = book.certificates[result.target]
    no_route_from = [cert for slug, cert in book.certificates.items() if slug != result.target and slug not in starts]
    quiet = silence(book, result.on)
    return {
        "target": target,
        "held": [book.certificates[slug] for slug in result.held],
        "target_held": result.target in result.held,
        "region": result.region,
        "on": result.on,
        "direct": [route_view(route) for route in result.direct],
        "indirect": [route_view(route) for route in result.indirect],
        # With certificates held: whether the notices give routes that start elsewhere.
        "direct_elsewhere": bool(every.direct) and not result.direct,
        "routes_elsewhere": bool(every.direct + every.indirect) and not (result.direct + result.indirect),
        "level": level_view(book, result.level, result.on, result.region) if result.level else None,
        "no_route_from": no_route_from,
        "silence": quiet,
        "no_direct_sentence": quiet.sentence(f"哪种证书可以直接减免{target.name}的培训或考试"),
        "no_route_sentence": ""
        if quiet.no_notice  # the day's note is said once, where the direct routes would be
        else quiet.sentence(f"以下证书可以缩短取得{target.name}的路:{names(no_route_from)}"),
        "basis": basis(book, numbers or None, result.on),
        "omitted_sentence": omitted_sentence(result.omitted),
    }


def omitted_sentence(omitted: int) -> str:
    """Routes beyond the bound (recognition.rules.route_search) are counted, never silently dropped."""
    if not omitted:
        return ""
    return (
        f"另有{omitted}条途径未列出:本页每种起点证书最多列出{engine.ROUTES_PER_START}条、共最多列出"
        f"{engine.ROUTES_SHOWN}条,先列在所选地区适用的,再按减免申请证书的环节多少、所用规定多少排列。"
    )
