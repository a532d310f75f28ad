"""Read the rules from the database into a plain `RuleBook`, once per data version.

Each process keeps the parsed rules keyed by the data version. It asks the
database for the version at most once per RULES_VERSION_CHECK_INTERVAL (one
second by default), so a public answer costs no query at all most of the time
and a change made on any server reaches every worker within that bound. The
staff preview asks at every request, and a worker that writes a change itself
asks again at its next request.
"""

from __future__ import annotations

import datetime
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from recognition import models
from recognition.rules import queries
from recognition.rules.book import (
    CertificateInfo,
    Channel,
    ClauseInfo,
    ConditionInfo,
    FactInfo,
    LevelInfo,
    NoticeInfo,
    ProvinceInfo,
    RuleBook,
    RuleInfo,
    SkillLevelInfo,
    StepInfo,
)
from recognition.rules.fields import BOOK_RULE_FIELDS

PUBLISHED = models.Publication.PUBLISHED
ISSUANCE = {
    models.Issuance.Status.ISSUED: True,
    models.Issuance.Status.NOT_ISSUED: False,
    models.Issuance.Status.UNKNOWN: None,
}


@dataclass
class _Cached:
    key: tuple
    book: RuleBook
    checked_at: float


_cache: dict[bool, _Cached] = {}
_lock = threading.Lock()


def current_version_key() -> tuple:
    """The data version as the database stores it: compared, never shown.

    Every public request runs this first, so it is written in SQL (building
    the same query with the ORM costs ten times more than running it), and it
    doubles as the connection's health check: a persistent connection that
    died (the database restarted or failed over) is replaced and the query
    asked again, instead of a `SELECT 1` before every request.
    """
    meta = models.DataVersion._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in ("revision", "changed_at"))
    sql = f"SELECT {columns} FROM {quote(meta.db_table)} ORDER BY {quote(meta.pk.column)} LIMIT 1"
    try:
        row = _fetch_one(sql)
    except (InterfaceError, OperationalError):
        if connection.in_atomic_block or connection.connection is None or connection.is_usable():
            raise  # not a connection that died under us
        connection.close()
        row = _fetch_one(sql)
    return tuple(row) if row else (0, None)


def _fetch_one(sql: str) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


def version_label(key: tuple) -> str:
    revision, changed_at = key
    if changed_at is None:
        return "0"
    if isinstance(changed_at, str):  # SQLite: text, in UTC
        changed_at = parse_datetime(changed_at)
    if timezone.is_naive(changed_at):
        changed_at = timezone.make_aware(changed_at, datetime.timezone.utc)
    return models.DataVersion(revision=revision, changed_at=changed_at).label


def current_rules(include_drafts: bool = False) -> RuleBook:
    """The rules as they stand now, at most RULES_VERSION_CHECK_INTERVAL seconds old.

    With include_drafts, staff preview: drafts too, and checked at every request.
    """
    cached = _cache.get(include_drafts)
    now = time.monotonic()
    interval = 0 if include_drafts else settings.RULES_VERSION_CHECK_INTERVAL
    if cached and interval and now - cached.checked_at < interval:
        return cached.book
    key = current_version_key()
    if cached and cached.key == key:
        cached.checked_at = now
        return cached.book
    with _lock:
        book = load_rules(version_label(key), include_drafts=include_drafts)
        _cache[include_drafts] = _Cached(key, book, now)
    return book


def clear_cache() -> None:
    _cache.clear()


def check_again() -> None:
    """Ask the database for the data version at the next request, whatever the interval.

    Called when this process writes to the rules (recognition.rules.signals), so the
    worker that published a change answers with it at once; the others see it
    within RULES_VERSION_CHECK_INTERVAL.
    """
    for cached in list(_cache.values()):
        cached.checked_at = float("-inf")


@dataclass(frozen=True)
class Row:
    """What replacements_of needs of a rule or level equivalence row."""

    pk: int
    notice_id: int
    replaces_id: int | None
    valid_from: datetime.date
    key: tuple


def replacements_of(rows: list[Row], scope_by_number: dict, notice_by_pk: dict) -> tuple[dict, dict]:
    """For each replaced row (by pk): the row replacing it wherever it applies, and every row replacing it.

    Several provinces may each replace one national row in their own regions;
    every one of them is kept, oldest first. A row replaces another wherever
    that one applies when it is national, or its regions include the other's.
    """
    by_pk = {row.pk: row for row in rows}

    def scope(row: Row) -> frozenset[str]:
        return frozenset(scope_by_number[notice_by_pk[row.notice_id].number])

    replaced_by, replaced_in = {}, {}
    for row in sorted((r for r in rows if r.replaces_id in by_pk), key=lambda r: (r.valid_from, r.notice_id, r.pk)):
        replaced = by_pk[row.replaces_id]
        replaced_in.setdefault(replaced.pk, []).append(row.key)
        mine, theirs = scope(row), scope(replaced)
        if (not mine or (theirs and theirs <= mine)) and replaced.pk not in replaced_by:
            replaced_by[replaced.pk] = row.key
    return replaced_by, {pk: tuple(keys) for pk, keys in replaced_in.items()}


def grouped(pairs) -> dict[int, tuple]:
    """(owner pk, value) pairs, in order, as {owner pk: (value, ...)}."""
    groups: dict[int, list] = {}
    for owner, value in pairs:
        groups.setdefault(owner, []).append(value)
    return {owner: tuple(values) for owner, values in groups.items()}


@dataclass
class Tables:
    """What the readers of each table share: the notices read, their regions, and the certificates' slugs."""

    include_drafts: bool
    notice_by_pk: dict[int, NoticeInfo] = field(default_factory=dict)
    scope_by_number: dict[str, tuple[str, ...]] = field(default_factory=dict)
    slugs: dict[int, str] = field(default_factory=dict)
    step_by_pk: dict[int, tuple[tuple[int, int], str]] = field(default_factory=dict)  # ((order, pk), name)

    def public(self, queryset, prefix: str = ""):
        """Published rows only, unless the staff preview asks for drafts too."""
        return queryset if self.include_drafts else queryset.filter(**{f"{prefix}publication": PUBLISHED})

    def of_notices(self, name: str) -> tuple:
        """The key of a query over the notices read (queries.rows): its SQL names them."""
        return (name, self.include_drafts, tuple(self.notice_by_pk))

    def replaced_key(self, row: dict, second) -> tuple | None:
        """The key of the row a rule or level (read as values) replaces: (its notice's number, serial or slug)."""
        if row["replaces_id"] is None:
            return None
        return (self.notice_by_pk[row["replaces__notice_id"]].number, second)


def read_notices(tables: Tables) -> dict[str, NoticeInfo]:
    columns = ["pk", "number", "slug", "title", "short_title", "issuers", "issued_on", "in_force_from", "ends_on"]
    columns += ["replaces_id", "replaces__number", "status_note", "addressees", "source_name", "source_url"]
    columns += ["attachment_title"]
    notices = [
        dict(zip(columns, values, strict=True))
        for values in queries.rows(
            ("notices", tables.include_drafts),
            lambda: tables.public(models.Notice.objects.order_by("issued_on", "pk")).values_list(*columns),
        )
    ]

    def scope():
        ordered = models.Notice.scope.through.objects.order_by("notice_id", "province__order", "province__code")
        return ordered.values_list("notice_id", "province__code")

    regions = grouped(queries.rows(("notice-scope",), scope))
    read = {notice["pk"] for notice in notices}
    tables.scope_by_number = {notice["number"]: regions.get(notice["pk"], ()) for notice in notices}
    tables.notice_by_pk = {
        notice["pk"]: NoticeInfo(
            number=notice["number"],
            slug=notice["slug"],
            title=notice["title"],
            short_title=notice["short_title"],
            issuers=tuple(models.issuer_list(notice["issuers"])),
            issued_on=notice["issued_on"],
            in_force_from=notice["in_force_from"],
            ends_on=notice["ends_on"],
            replaces=notice["replaces__number"] if notice["replaces_id"] in read else None,
            scope=tables.scope_by_number[notice["number"]],
            status_note=notice["status_note"],
            addressees=notice["addressees"],
            source_name=notice["source_name"],
            source_url=notice["source_url"],
            attachment_title=notice["attachment_title"],
        )
        for notice in notices
    }
    return {notice.number: notice for notice in tables.notice_by_pk.values()}


def read_clauses(tables: Tables) -> dict[tuple[str, str], ClauseInfo]:
    columns = ["notice_id", "anchor", "label", "numbering", "heading", "text", "level"]

    def query():
        clauses = models.Clause.objects.filter(notice__in=list(tables.notice_by_pk))
        return clauses.order_by("notice__issued_on", "notice_id", "order").values_list(*columns)

    by_key = {}
    for notice_id, anchor, label, numbering, heading, text, level in queries.rows(tables.of_notices("clauses"), query):
        number = tables.notice_by_pk[notice_id].number
        by_key[(number, anchor)] = ClauseInfo(
            anchor=anchor,
            notice_number=number,
            label=label or numbering or anchor,
            numbering=numbering,
            heading=heading,
            text=text,
            level=level,
        )
    return by_key


def read_certificates(tables: Tables) -> dict[str, CertificateInfo]:
    steps_by_certificate: dict[int, list[StepInfo]] = {}
    columns = ["pk", "certificate_id", "order", "name", "kind", "part_of"]
    steps = queries.rows(
        ("steps",), lambda: models.Step.objects.order_by("certificate_id", "order", "pk").values_list(*columns)
    )
    for pk, certificate_id, order, name, kind, part_of in steps:
        tables.step_by_pk[pk] = ((order, pk), name)
        steps_by_certificate.setdefault(certificate_id, []).append(StepInfo(name, kind, part_of))
    columns = ["pk", "slug", "name", "short_name", "department__name", "family", "occupation__name"]
    columns += ["everyday_names", "issuance_note"]
    certificates = {}
    for pk, slug, name, short_name, department, family, occupation, everyday_names, issuance_note in queries.rows(
        ("certificates",), lambda: models.Certificate.objects.order_by("order", "slug").values_list(*columns)
    ):
        tables.slugs[pk] = slug
        certificates[slug] = CertificateInfo(
            slug=slug,
            name=name,
            short_name=short_name,
            department=department,
            family=family,
            occupation=occupation,
            steps=tuple(steps_by_certificate.get(pk, ())),
            everyday_names=tuple(models.everyday_name_list(everyday_names)),
            issuance_note=issuance_note,
        )
    return certificates


def step_names(tables: Tables, through, rules: dict[int, dict]) -> dict[int, tuple[str, ...]]:
    """A many-to-many of rules to steps as {rule pk: (step name, ...)}, in the steps' order.

    The whole table, without joins, kept for the rules read: joined to filter and order it, SQLite took
    longer than reading the rows it drops (world L: 12 ms a table, now 7)."""
    steps: dict[int, list] = {}
    pairs = queries.rows(
        ("steps-of", through._meta.db_table), lambda: through.objects.values_list("recognitionrule_id", "step_id")
    )
    for rule, step in pairs:
        if rule in rules:
            steps.setdefault(rule, []).append(tables.step_by_pk[step])
    return {rule: tuple(name for _, name in sorted(named)) for rule, named in steps.items()}


def read_rules(tables: Tables) -> tuple[RuleInfo, ...]:
    """Read as plain values, not model instances: a rule book of thousands of rules rebuilds in a blink."""
    book_fields = [f.attr for f in BOOK_RULE_FIELDS]
    columns = ["pk", "notice_id", "held_id", "target_id", "replaces_id", "replaces__notice_id", "valid_from"]
    columns += ["replaces__serial", "apply_to__name", "clause__anchor", *book_fields]

    def query():
        read = tables.public(models.RecognitionRule.objects.filter(notice__in=list(tables.notice_by_pk)))
        return read.order_by("notice__issued_on", "notice_id", "serial").values_list(*columns)

    rows = {
        values[0]: dict(zip(columns, values, strict=True))
        for values in queries.rows(tables.of_notices("rules"), query)
        if values[4] is None or values[5] in tables.notice_by_pk
    }
    key = {pk: (tables.notice_by_pk[row["notice_id"]].number, row["serial"]) for pk, row in rows.items()}
    replaced_by, replaced_in = replacements_of(
        [Row(pk, row["notice_id"], row["replaces_id"], row["valid_from"], key[pk]) for pk, row in rows.items()],
        tables.scope_by_number,
        tables.notice_by_pk,
    )
    rule = models.RecognitionRule
    waived = step_names(tables, rule.waived.through, rows)
    remaining = step_names(tables, rule.remaining.through, rows)
    conditions = grouped(
        (rule_id, ConditionInfo(text, kind))
        for rule_id, text, kind in queries.rows(
            ("conditions",),
            lambda: models.Condition.objects.order_by("rule_id", "order", "pk").values_list("rule_id", "text", "kind"),
        )
        if rule_id in rows
    )
    return tuple(
        RuleInfo(
            **{attr: row[attr] for attr in book_fields},
            notice_number=key[pk][0],
            held=tables.slugs[row["held_id"]],
            target=tables.slugs[row["target_id"]],
            apply_to=row["apply_to__name"],
            waived=waived.get(pk, ()),
            remaining=remaining.get(pk, ()),
            clause=row["clause__anchor"],
            conditions=conditions.get(pk, ()),
            scope=tables.scope_by_number[key[pk][0]],
            replaces=tables.replaced_key(row, row["replaces__serial"]),
            replaced_by=replaced_by.get(pk),
            replaced_in=replaced_in.get(pk, ()),
        )
        for pk, row in rows.items()
    )


def read_levels(tables: Tables) -> tuple[LevelInfo, ...]:
    columns = ["pk", "notice_id", "certificate_id", "replaces_id", "replaces__notice_id", "valid_from"]
    columns += ["valid_until", "occupation__name", "deemed_level__number", "eligible_level__number"]
    columns += ["clause__anchor", "quote", "replaces__certificate_id"]

    def query():
        read = tables.public(models.LevelEquivalence.objects.filter(notice__in=list(tables.notice_by_pk)))
        return read.order_by("notice__issued_on", "notice_id", "certificate__order", "pk").values_list(*columns)

    rows = {
        values[0]: dict(zip(columns, values, strict=True))
        for values in queries.rows(tables.of_notices("levels"), query)
        if values[3] is None or values[4] in tables.notice_by_pk
    }
    key = {
        pk: (tables.notice_by_pk[row["notice_id"]].number, tables.slugs[row["certificate_id"]])
        for pk, row in rows.items()
    }
    replaced_by, replaced_in = replacements_of(
        [Row(pk, row["notice_id"], row["replaces_id"], row["valid_from"], key[pk]) for pk, row in rows.items()],
        tables.scope_by_number,
        tables.notice_by_pk,
    )
    return tuple(
        LevelInfo(
            held=key[pk][1],
            occupation=row["occupation__name"],
            deemed_level=row["deemed_level__number"],
            eligible_level=row["eligible_level__number"],
            clause=row["clause__anchor"],
            quote=row["quote"],
            valid_from=row["valid_from"],
            valid_until=row["valid_until"],
            notice_number=key[pk][0],
            scope=tables.scope_by_number[key[pk][0]],
            replaces=tables.replaced_key(row, tables.slugs.get(row["replaces__certificate_id"])),
            replaced_by=replaced_by.get(pk),
            replaced_in=replaced_in.get(pk, ()),
        )
        for pk, row in rows.items()
    )


def read_facts(tables: Tables) -> dict[str, tuple[FactInfo, ...]]:
    """Reference facts of public confidence only (high, medium), by certificate."""
    facts: dict[str, list[FactInfo]] = {}
    columns = ["certificate_id", "topic", "text", "source", "url", "confidence"]

    def query():
        public = models.ReferenceFact.objects.filter(confidence__in=models.ReferenceFact.PUBLIC_CONFIDENCE)
        return public.order_by("certificate_id", "order", "pk").values_list(*columns)

    for certificate_id, *fact in queries.rows(("facts",), query):
        facts.setdefault(tables.slugs[certificate_id], []).append(FactInfo(*fact))
    return {slug: tuple(items) for slug, items in facts.items()}


def read_next_steps() -> tuple[Channel, ...]:
    columns = ["department__name", "province__code", "office_name", "address", "opening_hours", "phone"]
    columns += ["online_name", "online_url", "what_to_bring", "verify_text", "verify_url", "source"]
    public = queries.rows(
        ("next-steps",), lambda: models.NextStep.objects.public().order_by("order", "pk").values_list(*columns)
    )
    return tuple(Channel(*values) for values in public)


def load_rules(version: str, include_drafts: bool = False) -> RuleBook:
    """Build a RuleBook from the database (a fixed number of queries, independent of size).

    Public: published rows of published notices. With include_drafts (staff
    preview): drafts too.
    """
    tables = Tables(include_drafts)
    notices = read_notices(tables)
    certificates = read_certificates(tables)  # before the rows that name certificates by slug
    issuance = queries.rows(
        ("issuance",), lambda: models.Issuance.objects.values_list("province__code", "certificate_id", "status")
    )
    skill_levels = queries.rows(
        ("skill-levels",), lambda: models.SkillLevel.objects.values_list("number", "label", "title")
    )
    provinces = queries.rows(
        ("provinces",), lambda: models.Province.objects.order_by("order", "code").values_list("code", "name")
    )
    departments = queries.rows(
        ("departments",), lambda: models.Department.objects.order_by("order", "name").values_list("name")
    )
    return RuleBook(
        version=version,
        notices=notices,
        certificates=certificates,
        rules=read_rules(tables),
        levels=read_levels(tables),
        skill_levels={number: SkillLevelInfo(number, *level) for number, *level in skill_levels},
        provinces={code: ProvinceInfo(code, name) for code, name in provinces},
        occupations=dict(queries.rows(("occupations",), lambda: models.Occupation.objects.values_list("name", "code"))),
        issuance={(code, tables.slugs[cert]): ISSUANCE[status] for code, cert, status in issuance},
        clauses=read_clauses(tables),
        departments=tuple(name for (name,) in departments),
        facts=read_facts(tables),
        next_steps=read_next_steps(),
    )
