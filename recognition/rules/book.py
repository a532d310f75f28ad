"""The rule book's types: everything the site states, as frozen plain data.

`recognition.rules.snapshot` reads them from the database once per data
version; `recognition.rules.engine` answers questions about them. Nothing
here imports Django.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

# Condition kinds the engine can decide; every other condition is stated.
TARGET_ISSUED_IN_REGION = "target-issued-in-region"
NOTICE_SCOPE = "notice-scope"
REPLACED_IN_REGION = "replaced-in-region"

# How far ahead an answer tells what is about to start or end.
NOTICE_PERIOD = timedelta(days=90)


def hashed_once(cls: type) -> type:
    """A frozen dataclass whose hash is computed once and kept on the object.

    Rendered parts of pages are kept keyed on the objects they show (recognition.site.fragments), which hold
    the rule book's objects: without this each lookup hashes a card's whole tree again, a rule's conditions
    and certificates included. The kept hash is never pickled: a string's hash differs from process to process.
    """
    computed = cls.__hash__

    def __hash__(self) -> int:
        try:
            return self.__dict__["_hash"]
        except KeyError:
            value = self.__dict__["_hash"] = computed(self)
            return value

    def __getstate__(self) -> dict:
        return {name: value for name, value in self.__dict__.items() if name != "_hash"}

    cls.__hash__ = __hash__
    cls.__getstate__ = __getstate__
    return cls


def in_force(valid_from: date, valid_until: date | None, day: date | None) -> bool:
    """From valid_from to valid_until, both inclusive; any day when day is None."""
    if day is None:
        return True
    return valid_from <= day and (valid_until is None or day <= valid_until)


@dataclass
class RulesInForce:
    """The rules in force on some day, by target, and how many come from each certificate (the route search)."""

    by_target: dict[str, tuple[RuleInfo, ...]]
    counts: dict[str, Counter] = field(default_factory=dict)

    def incoming(self, target: str) -> tuple[RuleInfo, ...]:
        return self.by_target.get(target, ())

    def count_from(self, target: str) -> Counter:
        """How many rules into `target` start from each certificate."""
        if target not in self.counts:
            self.counts[target] = Counter(rule.held for rule in self.incoming(target))
        return self.counts[target]


@hashed_once
@dataclass(frozen=True)
class NoticeInfo:
    number: str
    slug: str
    title: str
    short_title: str
    issuers: tuple[str, ...]
    issued_on: date
    in_force_from: date | None = None  # None: the notice states no date, it applies from the day issued
    ends_on: date | None = None  # the last day it applies, inclusive
    replaces: str | None = None  # the number of the notice it replaces
    scope: tuple[str, ...] = ()  # region codes; empty for a national notice
    status_note: str = ""
    addressees: str = ""
    source_name: str = ""
    source_url: str = ""
    attachment_title: str = ""

    @property
    def effective_from(self) -> date:
        return self.in_force_from or self.issued_on

    @property
    def national(self) -> bool:
        return not self.scope


# A notice's status on a day, with the words the site uses for it.
IN_FORCE, NOT_YET, ENDED, REPLACED = "in-force", "not-yet", "ended", "replaced"
NOTICE_STATUS_NAMES = {IN_FORCE: "现行有效", NOT_YET: "尚未施行", ENDED: "已失效", REPLACED: "已被替代"}


@hashed_once
@dataclass(frozen=True)
class ClauseInfo:
    anchor: str
    notice_number: str
    label: str  # as a reader cites it, e.g. 一、(二)
    numbering: str = ""
    heading: str = ""
    text: str = ""
    level: int = 1


@hashed_once
@dataclass(frozen=True)
class StepInfo:
    name: str
    kind: str  # "training" or "exam"
    part_of: str = ""


@hashed_once
@dataclass(frozen=True)
class CertificateInfo:
    slug: str
    name: str
    short_name: str
    department: str
    family: str
    occupation: str
    steps: tuple[StepInfo, ...] = ()
    everyday_names: tuple[str, ...] = ()
    issuance_note: str = ""

    @property
    def step_names(self) -> tuple[str, ...]:
        return tuple(step.name for step in self.steps)


@hashed_once
@dataclass(frozen=True)
class ConditionInfo:
    text: str
    kind: str = "stated"


@hashed_once
@dataclass(frozen=True)
class RuleInfo:
    serial: int
    notice_number: str
    held: str
    target: str
    apply_to: str
    waived: tuple[str, ...]
    remaining: tuple[str, ...]
    clause: str
    quote: str
    valid_from: date
    valid_until: date | None = None
    apply_to_detail: str = ""
    conditions: tuple[ConditionInfo, ...] = ()
    scope: tuple[str, ...] = ()  # its notice's regions; empty: national
    replaces: tuple[str, int] | None = None  # (notice number, serial)
    replaced_by: tuple[str, int] | None = None  # the public row that replaces it wherever it applies
    replaced_in: tuple[tuple[str, int], ...] = ()  # every public row that replaces it, some in their regions only

    @property
    def key(self) -> tuple[str, int]:
        return (self.notice_number, self.serial)

    def in_force_on(self, day: date | None) -> bool:
        return in_force(self.valid_from, self.valid_until, day)


@hashed_once
@dataclass(frozen=True)
class LevelInfo:
    held: str
    occupation: str
    deemed_level: int
    eligible_level: int
    clause: str
    quote: str
    valid_from: date
    valid_until: date | None = None
    notice_number: str = ""
    scope: tuple[str, ...] = ()
    replaces: tuple[str, str] | None = None  # (notice number, certificate held)
    replaced_by: tuple[str, str] | None = None  # the public row that replaces it wherever it applies
    replaced_in: tuple[tuple[str, str], ...] = ()  # every public row that replaces it, some in their regions only

    @property
    def key(self) -> tuple[str, str]:
        return (self.notice_number, self.held)

    def in_force_on(self, day: date | None) -> bool:
        return in_force(self.valid_from, self.valid_until, day)


@hashed_once
@dataclass(frozen=True)
class SkillLevelInfo:
    number: int
    label: str  # 五级
    title: str  # 初级工

    @property
    def display(self) -> str:
        return f"{self.title}({self.label})"


@hashed_once
@dataclass(frozen=True)
class ProvinceInfo:
    code: str
    name: str


@hashed_once
@dataclass(frozen=True)
class FactInfo:
    """A reference fact about a certificate: from its own source, never from a notice."""

    topic: str
    text: str
    source: str
    url: str = ""
    confidence: str = "medium"


@hashed_once
@dataclass(frozen=True)
class Channel:
    """One NextStep row, as plain data."""

    department: str
    region: str | None
    office_name: str = ""
    address: str = ""
    opening_hours: str = ""
    phone: str = ""
    online_name: str = ""
    online_url: str = ""
    what_to_bring: str = ""
    verify_text: str = ""
    verify_url: str = ""
    source: str = ""

    @property
    def is_office(self) -> bool:
        return bool(self.office_name or self.address)


def group(rows, attribute: str) -> dict:
    """Rows by one attribute's value, each group in the rows' order."""
    groups: dict = {}
    for row in rows:
        groups.setdefault(getattr(row, attribute), []).append(row)
    return {value: tuple(items) for value, items in groups.items()}


@hashed_once
@dataclass(frozen=True)
class RuleBook:
    """Everything the site states, as plain data, with the version it came from."""

    version: str
    notices: dict[str, NoticeInfo]  # by number, oldest first
    certificates: dict[str, CertificateInfo]  # in display order
    rules: tuple[RuleInfo, ...]
    levels: tuple[LevelInfo, ...]
    skill_levels: dict[int, SkillLevelInfo]
    provinces: dict[str, ProvinceInfo]  # in display order
    occupations: dict[str, str] = field(default_factory=dict)  # name -> code
    issuance: dict[tuple[str, str], bool | None] = field(default_factory=dict)  # (province, slug)
    clauses: dict[tuple[str, str], ClauseInfo] = field(default_factory=dict)  # (notice number, anchor), in order
    departments: tuple[str, ...] = ()
    facts: dict[str, tuple[FactInfo, ...]] = field(default_factory=dict)  # by certificate; public ones only
    next_steps: tuple[Channel, ...] = ()  # where to apply, per department and region

    @cached_property
    def picker_order(self) -> tuple[str, ...]:
        """The certificates as the pickers list them: by department (in their order), then in display order."""
        groups: dict[str, list[str]] = {name: [] for name in self.departments}
        for slug, cert in self.certificates.items():
            groups.setdefault(cert.department, []).append(slug)
        return tuple(slug for slugs in groups.values() for slug in slugs)

    @property
    def notice(self) -> NoticeInfo | None:
        """The notice the rule set started from (人社厅发〔2026〕1号): the oldest national one."""
        national = [notice for notice in self.notices.values() if notice.national]
        return (national or list(self.notices.values()) or [None])[0]

    def notice_by_slug(self, slug: str) -> NoticeInfo | None:
        return next((notice for notice in self.notices.values() if notice.slug == slug), None)

    def clauses_of(self, number: str) -> list[ClauseInfo]:
        return [clause for (notice, _), clause in self.clauses.items() if notice == number]

    def skill_level(self, number: int) -> SkillLevelInfo:
        return self.skill_levels.get(number) or SkillLevelInfo(number, f"{number}级", "")

    # Indexes, built once per book on first use: an answer's cost grows with the certificates it is about,
    # not with the whole rule book.
    @cached_property
    def rule_position(self) -> dict[tuple[str, int], int]:
        """Each rule's place in `rules` (oldest notice first, then 序号), by key."""
        return {rule.key: index for index, rule in enumerate(self.rules)}

    @cached_property
    def level_by_key(self) -> dict[tuple[str, str], LevelInfo]:
        return {level.key: level for level in self.levels}

    @cached_property
    def rules_by_held(self) -> dict[str, tuple[RuleInfo, ...]]:
        return group(self.rules, "held")

    @cached_property
    def rules_by_target(self) -> dict[str, tuple[RuleInfo, ...]]:
        return group(self.rules, "target")

    @cached_property
    def levels_by_held(self) -> dict[str, tuple[LevelInfo, ...]]:
        return group(self.levels, "held")

    @cached_property
    def kept(self) -> dict:
        """What a reader makes once from this book and keeps as long as the book (the pickers' rendered
        choices): a new data version is a new book, so nothing kept here outlives the data it was made from."""
        return {}

    @cached_property
    def rule_periods(self) -> tuple[date, ...]:
        """Every day on which some rule starts or stops being in force: between two of them, the same rules are."""
        days = {rule.valid_from for rule in self.rules}
        days |= {rule.valid_until + timedelta(days=1) for rule in self.rules if rule.valid_until}
        return tuple(sorted(days))

    @cached_property
    def _in_force_by_target(self) -> dict:
        return {}

    def rules_in_force(self, on: date | None) -> RulesInForce:
        """The rules in force on `on`, by target; kept for the last few periods asked about."""
        period = None if on is None else bisect_right(self.rule_periods, on)
        kept = self._in_force_by_target
        if period not in kept:
            if len(kept) >= 8:  # a day is the client's choice: keep a few periods, not one per day asked
                kept.pop(next(iter(kept)), None)
            kept[period] = RulesInForce(group((rule for rule in self.rules if rule.in_force_on(on)), "target"))
        return kept[period]

    def keep(self, key: object, make: Callable[[], object]) -> object:
        """`make()`, made once per book and kept under `key` (see `kept`)."""
        if key not in self.kept:
            self.kept[key] = make()
        return self.kept[key]

    @cached_property
    def certificate_position(self) -> dict[str, int]:
        return {slug: index for index, slug in enumerate(self.certificates)}

    def rule(self, key: tuple[str, int] | None) -> RuleInfo | None:
        """The rule with this (notice number, serial), if the book holds it."""
        position = self.rule_position.get(key) if key else None
        return self.rules[position] if position is not None else None

    def level(self, key: tuple[str, str] | None) -> LevelInfo | None:
        """The level equivalence with this (notice number, certificate held), if the book holds it."""
        return self.level_by_key.get(key) if key else None

    def region_names(self, codes: Iterable[str]) -> str:
        """江苏省、浙江省: the regions' names, or their codes where unknown."""
        return "、".join(self.provinces[code].name if code in self.provinces else code for code in codes)
