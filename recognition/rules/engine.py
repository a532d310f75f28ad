"""The rules engine: plain functions over plain data, no database access.

`recognition.rules.snapshot` reads the rules from the database into a `RuleBook`;
everything here answers questions about a RuleBook:

- `lookup`: I hold these certificates; what is waived for which other
  certificate, and which skill level am I deemed to have?
- `routes`: I want this certificate; which certificates shorten the way to it,
  directly or through another one?

Every answer is for one day: a row applies from its first day to its last
day, both inclusive, and a provincial notice's rows only in its regions.
Inputs are checked by `recognition.site.query` before they reach here; the
engine only asserts them, as a programming error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from recognition.rules import route_search
from recognition.rules.book import (
    ENDED,
    IN_FORCE,
    NOT_YET,
    NOTICE_PERIOD,
    NOTICE_SCOPE,
    REPLACED,
    REPLACED_IN_REGION,
    TARGET_ISSUED_IN_REGION,
    CertificateInfo,
    ConditionInfo,
    LevelInfo,
    NoticeInfo,
    ProvinceInfo,
    RuleBook,
    RuleInfo,
    hashed_once,
)


@hashed_once
@dataclass(frozen=True)
class ConditionOutcome:
    text: str
    met: bool | None  # None: the site cannot decide; the worker must check
    kind: str = "stated"


@hashed_once
@dataclass(frozen=True)
class Recognition:
    rule: RuleInfo
    conditions: tuple[ConditionOutcome, ...]

    @property
    def excluded(self) -> bool:
        """A decided condition is not met: the rule does not apply here."""
        return any(condition.met is False for condition in self.conditions)


@hashed_once
@dataclass(frozen=True)
class BestLevel:
    occupation: str
    deemed_level: int
    eligible_level: int
    held: tuple[str, ...]


@hashed_once
@dataclass(frozen=True)
class LookupResult:
    held: tuple[str, ...]
    region: ProvinceInfo | None
    recognitions: tuple[Recognition, ...]
    levels: tuple[LevelInfo, ...]
    best_levels: tuple[BestLevel, ...]
    # Rules that would apply but whose target is already held.
    already_held: tuple[RuleInfo, ...] = ()
    on: date | None = None
    # Rules for the certificates held that start within NOTICE_PERIOD after `on`, or ended before it.
    upcoming: tuple[Recognition, ...] = ()
    ended: tuple[Recognition, ...] = ()

    @property
    def targets(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for recognition in self.recognitions:
            seen.setdefault(recognition.rule.target)
        return tuple(seen)

    def recognitions_for(self, target: str) -> tuple[Recognition, ...]:
        return self.by_target.get(target, ())

    @cached_property
    def by_target(self) -> dict[str, tuple[Recognition, ...]]:
        grouped: dict[str, list[Recognition]] = {}
        for recognition in self.recognitions:
            grouped.setdefault(recognition.rule.target, []).append(recognition)
        return {target: tuple(items) for target, items in grouped.items()}


@hashed_once
@dataclass(frozen=True)
class Route:
    steps: tuple[Recognition, ...]

    @property
    def rules(self) -> tuple[RuleInfo, ...]:
        return tuple(step.rule for step in self.steps)

    @property
    def start(self) -> str:
        return self.steps[0].rule.held

    @property
    def certificates(self) -> tuple[str, ...]:
        return (self.start, *(step.rule.target for step in self.steps))


@hashed_once
@dataclass(frozen=True)
class RoutesResult:
    target: str
    held: tuple[str, ...]
    direct: tuple[Route, ...]
    indirect: tuple[Route, ...]
    level: LevelInfo | None
    region: ProvinceInfo | None = None
    on: date | None = None
    omitted: int = 0  # routes that exist beyond those shown (route_search)


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
    """The slugs, each once, in the book's display order (recognition.site.query has checked them)."""
    wanted = set(held)
    assert wanted <= book.certificates.keys(), f"unknown certificates {wanted - book.certificates.keys()}"
    return tuple(slug for slug in book.certificates if slug in wanted)


def decide_condition(book: RuleBook, condition: ConditionInfo, rule: RuleInfo, region: str | None) -> bool | None:
    if condition.kind == TARGET_ISSUED_IN_REGION and region:
        return book.issuance.get((region, rule.target))
    return None


def scope_condition(book: RuleBook, rule: RuleInfo, region: str | None) -> ConditionOutcome | None:
    """A provincial notice's rule applies only in its regions: decided once a region is chosen."""
    if not rule.scope:
        return None
    names = book.region_names(rule.scope)
    text = f"仅适用于{names}({rule.notice_number}的适用范围)"
    return ConditionOutcome(text, (region in rule.scope) if region else None, NOTICE_SCOPE)


def replacements(book: RuleBook, row: RuleInfo | LevelInfo) -> tuple[RuleInfo | LevelInfo, ...]:
    """Every public row that replaces `row`, wherever it applies or in its own regions only, oldest first."""
    find = book.rule if isinstance(row, RuleInfo) else book.level
    return tuple(replacement for replacement in map(find, row.replaced_in) if replacement is not None)


def partial_replacements(
    book: RuleBook, row: RuleInfo | LevelInfo, on: date | None
) -> tuple[RuleInfo | LevelInfo, ...]:
    """The provincial rows that replace `row` in their own regions only and have started on `on`.

    Several provinces may each replace one national row; each answers for its
    own regions, and the row goes on applying everywhere else.
    """
    if on is None or not row.replaced_in:
        return ()
    return tuple(
        replacement
        for replacement in replacements(book, row)
        if replacement.key != row.replaced_by and replacement.scope and replacement.valid_from <= on
    )


def replacement_for(
    book: RuleBook, row: RuleInfo | LevelInfo, region: str | None, on: date | None
) -> RuleInfo | LevelInfo | None:
    """The row that replaces `row` for `region`: one replacing it everywhere, else the province's own, if any."""
    find = book.rule if isinstance(row, RuleInfo) else book.level
    if row.replaced_by is not None:
        return find(row.replaced_by)
    if not region:
        return None
    return next((r for r in partial_replacements(book, row, on) if region in r.scope), None)


def replaced_in_region_text(book: RuleBook, replaced: Iterable[RuleInfo | LevelInfo]) -> str:
    """不适用于江苏省:江苏省自2027年1月1日起按…序号1办理; with several provinces, each in turn.

    A level equivalence has no 序号: its notice is named alone.
    """
    replaced = tuple(replaced)
    names = book.region_names(dict.fromkeys(code for row in replaced for code in row.scope))

    def how(row: RuleInfo | LevelInfo) -> str:
        first = row.valid_from
        serial = f"序号{row.serial}" if isinstance(row, RuleInfo) else ""
        since = f"{first.year}年{first.month}月{first.day}日"
        return f"{book.region_names(row.scope)}自{since}起按{row.notice_number}{serial}办理"

    return f"不适用于{names}:" + ";".join(how(row) for row in replaced)


def replaced_in_region_condition(
    book: RuleBook, rule: RuleInfo, region: str | None, on: date | None
) -> ConditionOutcome | None:
    """With a region chosen, whether that region's own row replaces `rule`; with none, every region that does."""
    replaced = partial_replacements(book, rule, on)
    if region:
        replaced = tuple(row for row in replaced if region in row.scope)
    if not replaced:
        return None
    return ConditionOutcome(replaced_in_region_text(book, replaced), False if region else None, REPLACED_IN_REGION)


def recognise(book: RuleBook, rule: RuleInfo, region: str | None, on: date | None = None) -> Recognition:
    """The rule with its conditions, decided for `region` where they can be; `on` for replacements by region."""
    outcomes = tuple(
        ConditionOutcome(condition.text, decide_condition(book, condition, rule, region), condition.kind)
        for condition in rule.conditions
    )
    extra = tuple(
        outcome
        for outcome in (scope_condition(book, rule, region), replaced_in_region_condition(book, rule, region, on))
        if outcome is not None
    )
    return Recognition(rule, (*extra, *outcomes))


def level_applies_in(book: RuleBook, level: LevelInfo, region: str | None, on: date | None) -> bool:
    """Whether `level` holds in `region`: its notice's scope, and no provincial replacement there on `on`."""
    if not region:
        return True
    if level.scope and region not in level.scope:
        return False
    return not any(region in replacement.scope for replacement in partial_replacements(book, level, on))


def notice_status(book: RuleBook, notice: NoticeInfo, day: date) -> str:
    """现行有效, 尚未施行, 已失效 or 已被替代 on `day`, from the dates and replacements."""
    if day < notice.effective_from:
        return NOT_YET
    if notice.ends_on is not None and day > notice.ends_on:
        return ENDED
    replaced = any(other.replaces == notice.number and other.effective_from <= day for other in book.notices.values())
    return REPLACED if replaced else IN_FORCE


def rule_status(row: RuleInfo | LevelInfo, day: date) -> str:
    if day < row.valid_from:
        return NOT_YET
    if row.valid_until is not None and day > row.valid_until:
        return REPLACED if row.replaced_by else ENDED
    return IN_FORCE


# How many routes to a certificate an answer shows: from each certificate, and in all.
ROUTES_PER_START = 3
ROUTES_SHOWN = 20


def rule_position(book: RuleBook):
    """A sort key: a rule's place in the book (oldest notice first, then 序号)."""
    return lambda rule: book.rule_position[rule.key]


def rules_from(book: RuleBook, held: Iterable[str]) -> list[RuleInfo]:
    """Every rule, on any day, whose held certificate is one of `held`, in the book's order."""
    return sorted((rule for slug in held for rule in book.rules_by_held.get(slug, ())), key=rule_position(book))


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
    """What the certificates held give, under the rules that apply on `on` (any day when None)."""
    held_slugs = normalise_held(book, held)
    assert not region or region in book.provinces, f"unknown region {region}"
    region = region or None
    held_set = set(held_slugs)
    order = book.certificate_position

    def sort_key(recognition: Recognition) -> tuple:
        rule = recognition.rule
        return (order[rule.target], order[rule.held], rule.valid_from, rule.notice_number, rule.serial)

    recognitions, already_held, upcoming, ended = [], [], [], []
    for rule in rules_from(book, held_slugs):
        if rule.in_force_on(on):
            recognition = recognise(book, rule, region, on)
            replaced_here = any(c.kind == REPLACED_IN_REGION and c.met is False for c in recognition.conditions)
            if rule.target in held_set:
                already_held.append(rule)
            elif replaced_here:
                ended.append(recognition)
            else:
                recognitions.append(recognition)
        elif on is not None and rule.target not in held_set:
            if on < rule.valid_from <= on + NOTICE_PERIOD:
                upcoming.append(recognise(book, rule, region, on))
            elif rule.valid_until is not None and rule.valid_until < on:
                ended.append(recognise(book, rule, region, on))

    levels = [
        level
        for slug in sorted(held_slugs, key=order.__getitem__)
        for level in book.levels_by_held.get(slug, ())
        if level.in_force_on(on) and level_applies_in(book, level, region, on)
    ]
    return LookupResult(
        held=held_slugs,
        region=book.provinces[region] if region else None,
        recognitions=tuple(sorted(recognitions, key=sort_key)),
        levels=tuple(levels),
        # With no region chosen, a provincial notice's level is one to confirm, not one held.
        best_levels=best_levels(level for level in levels if region or not level.scope),
        already_held=tuple(already_held),
        on=on,
        upcoming=tuple(sorted(upcoming, key=sort_key)),
        ended=tuple(sorted(ended, key=sort_key)),
    )


def routes(
    book: RuleBook,
    target: str,
    held: Iterable[str] = (),
    on: date | None = None,
    region: str | None = None,
    max_steps: int = 3,
) -> RoutesResult:
    """The best chains of rules, at most `max_steps` long and visiting no certificate twice, that end at
    `target` (recognition.rules.route_search: at most ROUTES_PER_START from each certificate and ROUTES_SHOWN
    in all; the rest counted in `omitted`); each step with its conditions, decided for `region` where they can be.

    With `held`, only chains that start from a held certificate, pass through
    none that is held, and lead to a target not already held.
    """
    assert target in book.certificates, f"unknown certificate {target}"
    assert not region or region in book.provinces, f"unknown region {region}"
    region = region or None
    held_slugs = normalise_held(book, held)
    held_set = set(held_slugs)

    decided: dict[tuple[str, int], Recognition] = {}

    def decide(rule: RuleInfo) -> Recognition:
        if rule.key not in decided:
            decided[rule.key] = recognise(book, rule, region, on)
        return decided[rule.key]

    def usable(chain: tuple[RuleInfo, ...]) -> bool:
        return not any(decide(rule).excluded for rule in chain)

    search = route_search.Search(book, target, held_set, on, max_steps)
    shown = route_search.best_chains(search, usable, ROUTES_PER_START, ROUTES_SHOWN)
    level = next(
        (
            lvl
            for lvl in book.levels_by_held.get(target, ())
            if lvl.in_force_on(on) and level_applies_in(book, lvl, region, on)
        ),
        None,
    )

    def route(chain: tuple[RuleInfo, ...]) -> Route:
        return Route(tuple(decide(rule) for rule in chain))

    return RoutesResult(
        target=target,
        held=held_slugs,
        direct=tuple(route(chain) for chain in shown if len(chain) == 1),
        indirect=tuple(route(chain) for chain in shown if len(chain) > 1),
        level=level,
        region=book.provinces[region] if region else None,
        on=on,
        omitted=search.count() - len(shown),
    )
