"""Engine answers shaped for templates, the CSV and the API: names instead of slugs, grouped for reading.

Every function here is a pure function of a RuleBook (and the day asked
about): no database access. A citation is built in one place, `cite`, for
every page, the CSV and the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.urls import get_script_prefix, reverse

from recognition.rules import engine
from recognition.rules.book import (
    IN_FORCE,
    NOTICE_PERIOD,
    TARGET_ISSUED_IN_REGION,
    CertificateInfo,
    LevelInfo,
    NoticeInfo,
    ProvinceInfo,
    RuleBook,
    RuleInfo,
    SkillLevelInfo,
    hashed_once,
)

USES_TOPIC = "用途"  # the reference fact saying what a certificate is needed for

# What a page says where no notice states anything.
SILENT_ONE = "本通知未规定减免"
SILENT_MANY = "现行通知均未规定减免"

# The site holds no attachment's table: where a notice has one (1号's was not captured with the page), its
# rows and their 序号 are the site's reconstruction from the clauses, and every citation of a 序号 says so.
REBUILT_SHORT = "本站重建"
REBUILT_LONG = "附件表格未随网页转载,序号是本站按通知正文的先后重建的,不是附件原件中的编号"

# The site's own readings are labelled in the same words everywhere.
READING = "本站的理解"

# What every reference fact carries, wherever it appears: it is not the notice's.
FACT_NOTE = "以下信息来自公开资料,不是通知的内容,仅供参考,以发证部门/认定机构的规定为准。"
FACT_NOTE_ONE = "来自公开资料,不是通知的内容,仅供参考,以发证部门的规定为准"


@hashed_once
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
    serial_rebuilt: bool = False  # the 序号 is the site's reconstruction of the attachment's

    @property
    def text(self) -> str:
        """人社厅发〔2026〕1号 一、(一)"""
        return f"{self.notice_number} {self.label}"

    @property
    def serial_text(self) -> str:
        """附件序号4(本站重建), 序号2, or nothing for a level."""
        if self.serial is None:
            return ""
        rebuilt = f"({REBUILT_SHORT})" if self.serial_rebuilt else ""
        return f"{self.serial_name}{self.serial}{rebuilt}"

    @property
    def full(self) -> str:
        """人社厅发〔2026〕1号 一、(二),附件序号4(本站重建)"""
        return f"{self.text},{self.serial_text}" if self.serial is not None else self.text


STATED = "stated"  # a condition the site cannot decide; every other kind depends on the region
MET = "满足"
UNMET = "不满足"
CHECK = "需确认"
CONDITION_CODES = {MET: "met", UNMET: "unmet", CHECK: "check"}


@hashed_once
@dataclass(frozen=True)
class ConditionView:
    text: str
    status: str  # MET, UNMET or CHECK: the label shown
    note: str = ""

    @property
    def code(self) -> str:
        """met, unmet or check: what templates and styles test, never the label."""
        return CONDITION_CODES[self.status]

    @property
    def unmet(self) -> bool:
        return self.status == UNMET


def issuance_recorded(book: RuleBook | None, target: str) -> bool:
    """Whether staff have recorded, for any region, whether `target` is issued there."""
    if book is None:
        return True
    return any(status is not None for (_, slug), status in book.issuance.items() if slug == target)


def condition_view(
    condition: engine.ConditionOutcome,
    region: ProvinceInfo | None,
    book: RuleBook | None = None,
    target: str = "",
) -> ConditionView:
    """A condition marked 满足 / 不满足 / 需确认, with what decided it or how to find out.

    Choosing a region is offered as a way to decide only where the site holds an answer for some region.
    """
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
                condition.text, CHECK, f"{region.name}的发证情况尚未录入,请向{region.name}的住房城乡建设主管部门确认"
            )
        if issuance_recorded(book, target):
            return ConditionView(condition.text, CHECK, "选择申请地区后可以判断,或向申请地区的住房城乡建设主管部门确认")
        return ConditionView(condition.text, CHECK, "本站尚未录入各地的发证情况,请向申请地区的住房城乡建设主管部门确认")
    if condition.kind != STATED:
        return ConditionView(condition.text, CHECK, "选择申请地区后可以判断" if not region else "请向受理部门确认")
    return ConditionView(condition.text, CHECK, "网站无法判断,请自行确认")


# Reference facts that say how a certificate's exam or assessment is split (certificate-facts.json).
SPLIT_TOPICS = ("考试方式", "考核方式")


@lru_cache(maxsize=4096)  # keyed on the rule book's own data, never on what a request sends
def group_steps(cert: CertificateInfo, names: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """The steps in the notice's words, and the groups named whole.

    The notice names an assessment whole (考核, 安全技术考试); the site's steps split it into its usual parts.
    Where every part is named, the group's own name is said (安全技术理论考核、安全操作技能考核 -> 考核);
    where only some are (序号7: 理论考试 waived, 实操考试 taken), the parts are.
    """
    parts_of: dict[str, list[str]] = {}
    for step in cert.steps:
        if step.part_of:
            parts_of.setdefault(step.part_of, []).append(step.name)
    wanted = set(names)
    shown: list[str] = []
    whole: list[str] = []
    for name in names:
        step = next((s for s in cert.steps if s.name == name), None)
        group = step.part_of if step else ""
        if group and len(parts_of[group]) > 1 and set(parts_of[group]) <= wanted:
            if group not in whole:
                whole.append(group)
                shown.append(group)
        else:
            shown.append(name)
    text = "和".join(shown) if len(shown) == 2 else "、".join(shown)
    return text, tuple(whole)


def split_note(book: RuleBook, cert: CertificateInfo, groups: tuple[str, ...]) -> str:
    """(通常分为安全技术理论考核、安全操作技能考核;参考,来源:…): the site's split of a group, labelled."""
    if not groups:
        return ""
    splits = ";".join("、".join(step.name for step in cert.steps if step.part_of == group) for group in groups)
    source = next((fact.source for fact in book.facts.get(cert.slug, ()) if fact.topic in SPLIT_TOPICS), "")
    cited = f",来源:{source}" if source else ""
    return f"(通常分为{splits};参考{cited})"


def plain_outcome(book: RuleBook, rule: RuleInfo) -> str:
    """The outcome in a worker's words, keeping the notice's 可 and its 直接 only where it says it:
    可以不参加…,直接参加… (序号5 says only 参加)."""
    target = book.certificates[rule.target]
    text = f"可以不参加{group_steps(target, rule.waived)[0]}"
    if rule.remaining:
        verb = "直接参加" if "直接参加" in rule.quote else "参加"
        text += f",{verb}{group_steps(target, rule.remaining)[0]}"
    return text


def remaining_text(book: RuleBook, rule: RuleInfo) -> str:
    """仍须参加 in the notice's words, with the site's usual split labelled as reference."""
    target = book.certificates[rule.target]
    text, whole = group_steps(target, rule.remaining)
    return f"{text}{split_note(book, target, whole)}" if text else "(通知未列明)"


@hashed_once
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
    plain: str = ""  # 可以不参加…,直接参加…
    period_basis: str = ""  # 通知未写明施行日期;本站按印发日起计, where the site reckons the first day
    waived_text: str = ""  # 安全作业培训
    remaining_text: str = ""  # 考核(通常分为…;参考,来源:…)
    unmet_text: str = ""  # 不满足“…”。 for a rule a decided condition excludes

    @property
    def period(self) -> str:
        return period_text(self.rule.valid_from, self.rule.valid_until)

    @property
    def conditions_text(self) -> str:
        return ";".join(condition.text for condition in self.conditions)


@hashed_once
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
    return get_script_prefix() + notice_path(book.notices[number].slug)


@lru_cache(maxsize=1024)  # keyed on a notice's slug: the rule book's data, never what a request sends
def notice_path(slug: str) -> str:
    """notices/<slug>/: the notice page's address under whatever prefix the site is served at."""
    return reverse("notice_detail", args=[slug]).removeprefix(get_script_prefix())


def cite(book: RuleBook, notice_number: str, anchor: str, quote: str, serial: int | None = None) -> Citation:
    """A clause cited by a rule or level: once per book and address prefix (its link carries the prefix)."""
    key = ("citation", get_script_prefix(), notice_number, anchor, quote, serial)
    return book.keep(key, lambda: citation(book, notice_number, anchor, quote, serial))


def citation(book: RuleBook, notice_number: str, anchor: str, quote: str, serial: int | None) -> Citation:
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
        serial_rebuilt=bool(book.notices[notice_number].attachment_title),
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
        conditions=tuple(condition_view(condition, region, book, rule.target) for condition in recognition.conditions),
        excluded=recognition.excluded,
        status=engine.rule_status(rule, on) if on else IN_FORCE,
        ends_soon=bool(on and rule.valid_until and on <= rule.valid_until <= on + NOTICE_PERIOD),
        replaced_by=book.rule(rule.replaced_by),
        replaced_in_part=replaced_in_part,
        replaced_in_part_text=partly_replaced_text(book, replaced_in_part),
        scope_names=scope_text(book, rule.scope) if rule.scope else "",
        plain=plain_outcome(book, rule),
        period_basis=reckoned_start(book, rule),
        waived_text=group_steps(book.certificates[rule.target], rule.waived)[0],
        remaining_text=remaining_text(book, rule),
        unmet_text=unmet_text(recognition.conditions),
    )


def unmet_text(conditions: tuple[engine.ConditionOutcome, ...]) -> str:
    """不满足“申请地区…颁发建筑焊工特种作业操作证”。 for each decided condition that is not met."""
    return "".join(f"不满足“{condition.text}”。" for condition in conditions if condition.met is False)


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


def region_hint(book: RuleBook) -> str:
    """Why one might choose a region, promising only the checks the data can make. Once per book: it reads
    every rule."""
    return book.keep("region-hint", lambda: compose_region_hint(book))


def compose_region_hint(book: RuleBook) -> str:
    issued_where = sorted(
        {
            book.certificates[rule.target].short_name
            for rule in book.rules
            if any(c.kind == TARGET_ISSUED_IN_REGION for c in rule.conditions)
        }
    )
    provincial = any(rule.scope for rule in book.rules)
    reasons = []
    if issued_where:
        reasons.append(f"有的减免只在颁发该证书的地区适用(例如{'、'.join(issued_where)})")
    if provincial:
        reasons.append("有的规定出自省级通知,只在该省适用")
    recorded = any(status is not None for status in book.issuance.values())
    if recorded or provincial:
        then = "选择地区后,本站已录入的条件会直接判断"
    elif issued_where:
        then = "各地的发证情况本站尚未录入,请向申请地区的主管部门确认;选择地区可显示工作人员录入的当地办理地点"
    else:
        then = "选择地区可显示工作人员录入的当地办理地点"
    return ";".join([*reasons, then]) + "。"


def names(certificates: list[CertificateInfo]) -> str:
    return "、".join(cert.name for cert in certificates)


def short_names(certificates: tuple[CertificateInfo, ...]) -> str:
    return "、".join(cert.short_name for cert in certificates)


def scope_text(book: RuleBook, scope: tuple[str, ...]) -> str:
    return book.region_names(scope) or "全国"


def reckoned_start(book: RuleBook, row: RuleInfo | LevelInfo) -> str:
    """通知未写明施行日期;本站按印发日起计, for a row whose first day is the site's reckoning; else nothing."""
    notice = book.notices[row.notice_number]
    reckoned = not notice.in_force_from and row.valid_from == notice.issued_on
    return "通知未写明施行日期;本站按印发日起计" if reckoned else ""
