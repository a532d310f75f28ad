"""The worker's answer as a service guide (办事指南): one card per certificate one could apply for.

Each card says in plain words what the notice spares, which held certificates
give it, whether each condition is met, where to go next, and (one tap away)
the notice's own sentence. Routes are compared with applying directly.

Next steps come from `NextStep` rows (national channels, and local offices
that staff enter per region), read into the RuleBook with the rules, so a
results page still costs only the data-version query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from django.urls import get_script_prefix, reverse
from markupsafe import Markup

from recognition.rules import engine
from recognition.rules.book import (
    NOTICE_SCOPE,
    TARGET_ISSUED_IN_REGION,
    CertificateInfo,
    Channel,
    ProvinceInfo,
    RuleBook,
    RuleInfo,
    hashed_once,
)
from recognition.site.presenters import (
    REBUILT_SHORT,
    STATED,
    Citation,
    ConditionView,
    cite,
    condition_view,
    plain_outcome,
    short_names,
    unmet_text,
)


@hashed_once
@dataclass(frozen=True)
class DepartmentSteps:
    """What to do next at one department, in one region (or none chosen)."""

    department: str
    region: ProvinceInfo | None
    local: tuple[Channel, ...]
    national: tuple[Channel, ...]
    apply_to: str = ""  # the notice's words for where to apply, where it says more than the department

    # Kept once per book, department and region (department_steps), and read by every card going there: what
    # follows is worked out once, on the object (cached_property writes its __dict__, as hashed_once does).

    @property
    def name(self) -> str:
        """住房城乡建设部门, or 颁发建筑焊工特种作业操作证地区的住房城乡建设主管部门 where the notice says so."""
        return self.apply_to or self.department

    @property
    def local_missing(self) -> bool:
        return not self.local

    @cached_property
    def channels(self) -> tuple[Channel, ...]:
        return self.local + self.national

    @cached_property
    def what_to_bring(self) -> str:
        return next((c.what_to_bring for c in self.channels if c.what_to_bring), "")

    @cached_property
    def verify(self) -> Channel | None:
        return next((c for c in self.channels if c.verify_url or c.verify_text), None)

    @cached_property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.source for c in self.channels if c.source))

    @cached_property
    def missing_line(self) -> str:
        """江苏省的住房城乡建设部门的办理地点…: the notice names no place, nor does the site invent one."""
        where = f"{self.region.name}{self.department}" if self.region else self.name
        return f"{where}的办理地点、时间和电话本站尚未录入。请拨打 12345 政务服务便民热线询问在哪里办理。"

    @cached_property
    def first_line(self) -> str:
        office = next((c for c in self.local if c.is_office), None)
        if office:
            return f"到{office.office_name or office.address}办理" + (f",电话 {office.phone}" if office.phone else "")
        where = f"{self.region.name}的" if self.region else ""
        return f"向{self.name}申请;{where}办理地点本站尚未录入,可拨打 12345 咨询"


@lru_cache(maxsize=1024)  # the sources of the book's own next steps, never what a request sends
def source_parts(*sources: str) -> tuple[str, ...]:
    """The parts of NextStep sources (each lists its facts' sources, split by ;), each once."""
    parts = (part.strip() for source in sources for part in source.replace(";", ";").split(";"))
    return tuple(dict.fromkeys(part for part in parts if part))


@hashed_once
@dataclass(frozen=True)
class Verification:
    """How to verify certificates held: the certificates it is for, named, and where the fact comes from."""

    certificates: tuple[CertificateInfo, ...]
    department: str
    channel: Channel

    @property
    def names(self) -> str:
        return short_names(self.certificates)


@hashed_once
@dataclass(frozen=True)
class Outcome:
    """One distinct outcome for a target: identical rules from several held certificates are one outcome."""

    held: tuple[CertificateInfo, ...]
    held_links: Markup  # the certificates held, each a link to its page, separated by 、
    rule: RuleInfo
    plain: str  # 可以不参加…,直接参加…
    conditions: tuple[ConditionView, ...]
    citations: tuple[Citation, ...]
    apply_to: str
    excluded: bool
    unmet: str = ""  # 不满足“…”。, for an outcome a decided condition excludes

    @property
    def held_names(self) -> str:
        return short_names(self.held)

    @property
    def cited(self) -> str:
        """人社厅发〔2026〕1号 一、(一),附件序号1、2(本站重建): every rule this outcome rests on, by clause."""
        by_clause: dict[str, list[Citation]] = {}
        for citation in self.citations:
            by_clause.setdefault(citation.text, []).append(citation)
        parts = []
        for clause, citations in by_clause.items():
            first = citations[0]
            if first.serial is None:
                parts.append(clause)
                continue
            serials = "、".join(str(c.serial) for c in citations)
            rebuilt = f"({REBUILT_SHORT})" if first.serial_rebuilt else ""
            parts.append(f"{clause},{first.serial_name}{serials}{rebuilt}")
        return ";".join(parts)


@hashed_once
@dataclass(frozen=True)
class Card:
    target: CertificateInfo
    target_url: str  # its page
    headline: str  # true of the best outcome, whose certificates alone are named with it
    outcomes: tuple[Outcome, ...]  # the best first; each names its own certificates, waiver and conditions
    excluded: bool
    steps: DepartmentSteps
    verify_held: tuple[Verification, ...] = ()  # the certificates held, by the department that verifies them

    @property
    def best(self) -> Outcome:
        return self.outcomes[0]

    @property
    def others(self) -> tuple[Outcome, ...]:
        return self.outcomes[1:]

    @property
    def held(self) -> tuple[CertificateInfo, ...]:
        """The certificates the headline is true for."""
        return self.best.held

    @property
    def slug(self) -> str:
        return self.target.slug

    @property
    def verify_sources(self) -> tuple[str, ...]:
        """The sources of the verification facts of certificates held that the next steps do not already cite."""
        cited = set(source_parts(*self.steps.sources)) if not self.excluded else set()
        return tuple(part for part in source_parts(*(v.channel.source for v in self.verify_held)) if part not in cited)


# --- next steps, from the rule book --------------------------------------------------------------


def channels(book: RuleBook) -> tuple[Channel, ...]:
    """Every public NextStep (recognition.rules.snapshot reads them into the rule book)."""
    return book.next_steps


def department_steps(book: RuleBook, department: str, region: str | None, apply_to: str = "") -> DepartmentSteps:
    """Where to go next for `department`'s certificates in `region`: once per book (its departments, regions
    and offices), not once per card."""

    def compose() -> DepartmentSteps:
        rows = [c for c in channels(book) if c.department == department]
        return DepartmentSteps(
            department=department,
            region=book.provinces.get(region) if region else None,
            local=tuple(c for c in rows if region and c.region == region),
            national=tuple(c for c in rows if c.region is None),
            apply_to=apply_to if apply_to != department else "",
        )

    return book.keep(("department-steps", department, region, apply_to), compose)


def has_local_offices(book: RuleBook, departments: set[str]) -> bool:
    return any(c.region and c.department in departments for c in channels(book))


def verifications(book: RuleBook, held: Iterable[CertificateInfo], region: str | None) -> tuple[Verification, ...]:
    by_department: dict[str, list[CertificateInfo]] = {}
    for cert in held:
        by_department.setdefault(cert.department, []).append(cert)
    found = []
    for department, certs in by_department.items():
        channel = department_steps(book, department, region).verify
        if channel:
            found.append(Verification(tuple(certs), department, channel))
    return tuple(found)


# --- cards ----------------------------------------------------------------------------------------


def certificate_links(book: RuleBook) -> dict[str, tuple[str, Markup]]:
    """Each certificate's page address and a link to it, under this request's address prefix: once per book."""
    prefix = get_script_prefix()

    def links() -> dict[str, tuple[str, Markup]]:
        made = {}
        for slug, cert in book.certificates.items():
            url = reverse("certificate", args=[slug])
            made[slug] = (url, Markup('<a href="{}">{}</a>').format(url, cert.short_name))
        return made

    return book.keep(("certificate-links", prefix), links)


def build_cards(book: RuleBook, result: engine.LookupResult) -> list[Card]:
    region = result.region
    code = region.code if region else None
    links = certificate_links(book)
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
                "直接参加" in rule.quote,
            )
            merged.setdefault(key, []).append(recognition)
        outcomes = []
        for group in merged.values():
            first = group[0]
            conditions: dict[str, ConditionView] = {}
            for recognition in group:
                for condition in recognition.conditions:
                    conditions.setdefault(condition.text, condition_view(condition, region, book, target_slug))
            outcomes.append(
                Outcome(
                    held=tuple(book.certificates[r.rule.held] for r in group),
                    held_links=Markup("、".join(links[r.rule.held][1] for r in group)),  # links already escaped
                    rule=first.rule,
                    plain=plain_outcome(book, first.rule),
                    conditions=tuple(conditions.values()),
                    citations=tuple(
                        cite(book, r.rule.notice_number, r.rule.clause, r.rule.quote, r.rule.serial) for r in group
                    ),
                    apply_to=first.rule.apply_to_detail or first.rule.apply_to,
                    excluded=first.excluded,
                    unmet=unmet_text(first.conditions),
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
        cards.append(
            Card(
                target=target,
                target_url=links[target_slug][0],
                headline=headline,
                outcomes=tuple(outcomes),
                excluded=excluded,
                steps=department_steps(book, best.rule.apply_to, code, best.apply_to),
                verify_held=verifications(book, held, code),
            )
        )
    return cards


@hashed_once
@dataclass(frozen=True)
class PrintedSteps:
    """Where to apply, for paper: one place applied to and the certificates held used there."""

    steps: DepartmentSteps
    verify: tuple[Verification, ...]

    @property
    def offices(self) -> str:
        return ";".join(
            ",".join(
                part
                for part in (c.office_name, c.address, c.opening_hours, f"电话 {c.phone}" if c.phone else "")
                if part
            )
            for c in self.steps.local
        )


@dataclass
class Guide:
    cards: list[Card]
    applicable: int  # cards whose waiver applies in the chosen region
    region_matters: bool  # a condition depends on the region, or local offices exist
    region_reasons: list[str] = field(default_factory=list)
    departments: list[PrintedSteps] = field(default_factory=list)  # every place applied to, once

    @property
    def shared_channels(self) -> list[tuple[str, str, str]]:
        """(phone, online name, online address) common to every department applied to: printed once."""
        seen: dict[tuple[str, str, str], None] = {}
        for printed in self.departments:
            for channel in printed.steps.national:
                seen.setdefault((channel.phone, channel.online_name, channel.online_url))
        return list(seen)

    @property
    def printed_lines(self) -> list[tuple[str, str]]:
        """The printed next steps, few lines to fit the page: (label, text).

        Places without a local office share one line; each certificate held is verified once, named; every
        fact's source is printed once, after them. The full text is on the page the QR code opens.
        """
        lines = []
        unrecorded = [printed.steps.name for printed in self.departments if not printed.steps.local]
        region = self.departments[0].steps.region if self.departments else None
        if unrecorded:
            where = f"{region.name}的" if region else ""
            lines.append((f"向{'、'.join(unrecorded)}申请:", f"{where}办理地点本站尚未录入,请拨打 12345 询问。"))
        for printed in self.departments:
            if printed.steps.local:
                lines.append((f"向{printed.steps.name}申请:", f"{printed.offices}。"))
        bring = dict.fromkeys(
            (printed.steps.department, printed.steps.what_to_bring)
            for printed in self.departments
            if printed.steps.what_to_bring
        )
        for department, what in bring:
            lines.append((f"向{department}申请,带上:" if len(bring) > 1 else "带上:", what))
        checks: dict[str, list[str]] = {}
        for printed in self.departments:
            for item in printed.verify:
                if item.channel.verify_url:
                    names = checks.setdefault(item.channel.verify_url, [])
                    names.extend(cert.short_name for cert in item.certificates if cert.short_name not in names)
        if checks:
            text = ";".join(f"{'、'.join(names)} {url}" for url, names in checks.items())
            lines.append(("核验您所持的证书:", f"{text}。"))
        sources = source_parts(
            *(source for printed in self.departments for source in printed.steps.sources),
            *(item.channel.source for printed in self.departments for item in printed.verify),
        )
        if sources:
            lines.append(
                ("以上办理信息", f"来自公开资料,不是通知的内容,以受理部门的规定为准。来源:{';'.join(sources)}。")
            )
        return lines

    @property
    def summary(self) -> str:
        """The one line that stays in view on a phone: how many certificates one may apply for with less."""
        if self.applicable:
            return f"申请 {self.applicable} 种证书时可减免部分培训或考试,须满足所列条件。"
        return "申请其他证书时,没有可减免的培训或考试。"


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
    places: dict[str, tuple[DepartmentSteps, list[CertificateInfo]]] = {}
    for card in cards:
        if card.excluded:
            continue
        steps, held = places.setdefault(card.steps.name, (card.steps, []))
        held.extend(cert for outcome in card.outcomes if not outcome.excluded for cert in outcome.held)
    code = result.region.code if result.region else None
    departments = [
        PrintedSteps(steps, verifications(book, dict.fromkeys(held), code)) for steps, held in places.values()
    ]
    return Guide(
        cards=cards,
        applicable=sum(1 for card in cards if not card.excluded),
        region_matters=bool(reasons),
        region_reasons=reasons,
        departments=departments,
    )
