"""The rules engine: plain functions over plain data, no database access.

`recognition.snapshot` reads the rules from the database into a `RuleBook`;
everything here answers questions about a RuleBook:

- `lookup`: I hold these certificates; what is waived for which other
  certificate, and which skill level am I deemed to have?
- `routes`: I want this certificate; which certificates shorten the way to it,
  directly or through another one?
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

# Condition kinds the engine can decide; every other condition is stated.
TARGET_ISSUED_IN_REGION = "target-issued-in-region"


class EngineError(ValueError):
    """A question the rules cannot answer, with the valid choices."""

    def __init__(self, message: str, field: str, choices: Iterable[str]):
        super().__init__(message)
        self.message = message
        self.field = field
        self.choices = tuple(choices)


def in_force(valid_from: date, valid_until: date | None, day: date | None) -> bool:
    """From valid_from to valid_until, both inclusive; any day when day is None."""
    if day is None:
        return True
    return valid_from <= day and (valid_until is None or day <= valid_until)


@dataclass(frozen=True)
class NoticeInfo:
    number: str
    title: str
    short_title: str
    issuers: tuple[str, ...]
    issued_on: date
    legal_status: str
    attachment_title: str = ""
    published: bool = True


@dataclass(frozen=True)
class ClauseInfo:
    anchor: str
    numbering: str
    heading: str
    notice_number: str
    label: str = ""  # the full numbering a reader cites, e.g. 一、(二)


@dataclass(frozen=True)
class StepInfo:
    name: str
    kind: str  # "training" or "exam"
    part_of: str = ""


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


@dataclass(frozen=True)
class ConditionInfo:
    text: str
    kind: str = "stated"


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
    published: bool = True

    def in_force_on(self, day: date | None) -> bool:
        return in_force(self.valid_from, self.valid_until, day)


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
    published: bool = True

    def in_force_on(self, day: date | None) -> bool:
        return in_force(self.valid_from, self.valid_until, day)


@dataclass(frozen=True)
class SkillLevelInfo:
    number: int
    label: str  # 五级
    title: str  # 初级工

    @property
    def display(self) -> str:
        return f"{self.title}({self.label})"


@dataclass(frozen=True)
class ProvinceInfo:
    code: str
    name: str


@dataclass(frozen=True)
class RuleBook:
    """Everything the site states, as plain data, with the version it came from."""

    version: str
    notice: NoticeInfo | None
    certificates: dict[str, CertificateInfo]  # in display order
    rules: tuple[RuleInfo, ...]
    levels: tuple[LevelInfo, ...]
    skill_levels: dict[int, SkillLevelInfo]
    provinces: dict[str, ProvinceInfo]  # in display order
    occupations: dict[str, str] = field(default_factory=dict)  # name -> code
    issuance: dict[tuple[str, str], bool | None] = field(default_factory=dict)  # (province, slug)
    clauses: dict[str, ClauseInfo] = field(default_factory=dict)
    departments: tuple[str, ...] = ()

    def certificate(self, slug: str) -> CertificateInfo:
        return self.certificates[slug]

    def skill_level(self, number: int) -> SkillLevelInfo:
        return self.skill_levels.get(number) or SkillLevelInfo(number, f"{number}级", "")


@dataclass(frozen=True)
class ConditionOutcome:
    text: str
    met: bool | None  # None: the site cannot decide; the worker must check
    kind: str = "stated"


@dataclass(frozen=True)
class Recognition:
    rule: RuleInfo
    conditions: tuple[ConditionOutcome, ...]

    @property
    def excluded(self) -> bool:
        """A decided condition is not met: the rule does not apply here."""
        return any(condition.met is False for condition in self.conditions)


@dataclass(frozen=True)
class BestLevel:
    occupation: str
    deemed_level: int
    eligible_level: int
    held: tuple[str, ...]


@dataclass(frozen=True)
class LookupResult:
    held: tuple[str, ...]
    region: ProvinceInfo | None
    recognitions: tuple[Recognition, ...]
    levels: tuple[LevelInfo, ...]
    best_levels: tuple[BestLevel, ...]
    # Rules that would apply but whose target is already held.
    already_held: tuple[RuleInfo, ...] = ()

    @property
    def targets(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for recognition in self.recognitions:
            seen.setdefault(recognition.rule.target)
        return tuple(seen)

    def recognitions_for(self, target: str) -> tuple[Recognition, ...]:
        return tuple(r for r in self.recognitions if r.rule.target == target)


@dataclass(frozen=True)
class Route:
    steps: tuple[RuleInfo, ...]

    @property
    def start(self) -> str:
        return self.steps[0].held

    @property
    def certificates(self) -> tuple[str, ...]:
        return (self.steps[0].held, *(step.target for step in self.steps))


@dataclass(frozen=True)
class RoutesResult:
    target: str
    held: tuple[str, ...]
    direct: tuple[Route, ...]
    indirect: tuple[Route, ...]
    level: LevelInfo | None


def search_certificates(book: RuleBook, text: str) -> tuple[str, ...]:
    """Certificates whose name or everyday name contains the words typed.

    Workers say 电工证, 焊工证, 上岗证; every word typed (split on spaces and
    Chinese punctuation) must match, and each may also match the department.
    """
    words = [w for w in re.split(r"[\s,,、;;。]+", text.strip().lower()) if w]
    if not words:
        return tuple(book.certificates)

    def haystack(cert: CertificateInfo) -> str:
        return " ".join((cert.slug, cert.name, cert.short_name, cert.department, *cert.everyday_names)).lower()

    return tuple(slug for slug, cert in book.certificates.items() if all(w in haystack(cert) for w in words))


def normalise_held(book: RuleBook, held: Iterable[str]) -> tuple[str, ...]:
    """Known slugs, each once, in the book's display order; unknown slugs raise."""
    wanted = set()
    for slug in held:
        if slug not in book.certificates:
            raise EngineError(f"没有这种证书:{slug}", "held", book.certificates)
        wanted.add(slug)
    return tuple(slug for slug in book.certificates if slug in wanted)


def check_region(book: RuleBook, region: str | None) -> ProvinceInfo | None:
    if not region:
        return None
    if region not in book.provinces:
        raise EngineError(f"没有这个地区代码:{region}", "region", book.provinces)
    return book.provinces[region]


def decide_condition(book: RuleBook, condition: ConditionInfo, rule: RuleInfo, region: str | None) -> bool | None:
    if condition.kind == TARGET_ISSUED_IN_REGION and region:
        return book.issuance.get((region, rule.target))
    return None


def recognise(book: RuleBook, rule: RuleInfo, region: str | None) -> Recognition:
    outcomes = tuple(
        ConditionOutcome(condition.text, decide_condition(book, condition, rule, region), condition.kind)
        for condition in rule.conditions
    )
    return Recognition(rule, outcomes)


def rules_in_force(book: RuleBook, on: date | None) -> list[RuleInfo]:
    return [rule for rule in book.rules if rule.in_force_on(on)]


def levels_in_force(book: RuleBook, on: date | None) -> list[LevelInfo]:
    return [level for level in book.levels if level.in_force_on(on)]


def best_levels(levels: Iterable[LevelInfo]) -> tuple[BestLevel, ...]:
    """Per occupation, the highest level held (四级 is above 五级: lower number wins)."""
    by_occupation: dict[str, list[LevelInfo]] = {}
    for level in levels:
        by_occupation.setdefault(level.occupation, []).append(level)
    best = []
    for occupation, candidates in by_occupation.items():
        deemed = min(level.deemed_level for level in candidates)
        top = [level for level in candidates if level.deemed_level == deemed]
        best.append(
            BestLevel(
                occupation=occupation,
                deemed_level=deemed,
                eligible_level=min(level.eligible_level for level in top),
                held=tuple(dict.fromkeys(level.held for level in top)),
            )
        )
    return tuple(best)


def lookup(book: RuleBook, held: Iterable[str], region: str | None = None, on: date | None = None) -> LookupResult:
    """What the certificates held give, under the rules in force on `on`."""
    held_slugs = normalise_held(book, held)
    province = check_region(book, region)
    held_set = set(held_slugs)
    order = {slug: index for index, slug in enumerate(book.certificates)}

    recognitions = []
    already_held = []
    for rule in rules_in_force(book, on):
        if rule.held not in held_set:
            continue
        if rule.target in held_set:
            already_held.append(rule)
        else:
            recognitions.append(recognise(book, rule, region or None))
    recognitions.sort(key=lambda r: (order[r.rule.target], order[r.rule.held], r.rule.serial))

    levels = sorted(
        (level for level in levels_in_force(book, on) if level.held in held_set),
        key=lambda level: order[level.held],
    )
    return LookupResult(
        held=held_slugs,
        region=province,
        recognitions=tuple(recognitions),
        levels=tuple(levels),
        best_levels=best_levels(levels),
        already_held=tuple(already_held),
    )


def routes(
    book: RuleBook, target: str, held: Iterable[str] = (), on: date | None = None, max_steps: int = 3
) -> RoutesResult:
    """Every chain of rules, at most `max_steps` long and visiting no certificate
    twice, that ends at `target`.

    With `held`, only chains that start from a held certificate, pass through
    none that is held, and lead to a target not already held.
    """
    if target not in book.certificates:
        raise EngineError(f"没有这种证书:{target}", "target", book.certificates)
    held_slugs = normalise_held(book, held)
    held_set = set(held_slugs)
    in_force = rules_in_force(book, on)
    incoming: dict[str, list[RuleInfo]] = {}
    for rule in in_force:
        incoming.setdefault(rule.target, []).append(rule)

    found: list[tuple[RuleInfo, ...]] = []

    def extend(chain: tuple[RuleInfo, ...], visited: frozenset[str]) -> None:
        for rule in incoming.get(chain[0].held if chain else target, []):
            if rule.held in visited:
                continue
            new_chain = (rule, *chain)
            found.append(new_chain)
            if len(new_chain) < max_steps and (not held_set or rule.held not in held_set):
                extend(new_chain, visited | {rule.held})

    if not (held_set and target in held_set):
        extend((), frozenset({target}))

    if held_set:
        found = [
            chain
            for chain in found
            if chain[0].held in held_set and not any(rule.held in held_set for rule in chain[1:])
        ]
    order = {slug: index for index, slug in enumerate(book.certificates)}
    found.sort(key=lambda chain: (len(chain), [order[rule.held] for rule in chain], [r.serial for r in chain]))
    level = next((lvl for lvl in levels_in_force(book, on) if lvl.held == target), None)
    return RoutesResult(
        target=target,
        held=held_slugs,
        direct=tuple(Route(chain) for chain in found if len(chain) == 1),
        indirect=tuple(Route(chain) for chain in found if len(chain) > 1),
        level=level,
    )
