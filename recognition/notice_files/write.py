"""Loading a package: in one transaction, every row through the admin's checks, nothing written if one is refused.

Rows are set field by field from the tables in recognition.rules.fields; what a
table cannot say (which row a package row updates, what to delete, the order
rows must be written in) is here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Q

from recognition import history
from recognition.models import (
    Certificate,
    Clause,
    LevelEquivalence,
    Notice,
    Occupation,
    RecognitionRule,
    Step,
    suggest_notice_slug,
)
from recognition.notice_files import check
from recognition.notice_files.check import PackageError, Problems
from recognition.notice_files.diff import changes, current, normalised
from recognition.notice_files.read import prepare
from recognition.rules import checks
from recognition.rules.fields import CERTIFICATE, CLAUSE, LEVEL, NOTICE, RULE, STEP, after_save_row, store_row


@dataclass
class Result:
    number: str
    action: str  # "created", "unchanged" or "replaced"
    changes: list[str] = field(default_factory=list)


def load(data: dict, *, replace: bool = False, dry_run: bool = False, user=None, history_comment: str = "") -> Result:
    """Write a package; PackageError (nothing written) if anything is refused.

    `dry_run` makes every write and check, then rolls back: the admin's preview.
    `history_comment` saves a revision of every object written (none when empty,
    as for the data loaded into an empty database).
    """
    package = prepare(data)
    number = package["notice"]["number"]
    with transaction.atomic():  # what is compared is what is replaced
        before = current(package)
        if before is not None and normalised(before) == normalised(package):
            return Result(number, "unchanged")
        lines = changes(before, package)
        if before is not None and not replace:
            message = f"已有文号为 {number} 的通知,与文件不同。要用文件替换它,请使用 --replace(管理后台:勾选“替换”)。"
            raise PackageError([message, *lines])
        if history_comment and not dry_run:
            history.ensure_baseline(user)
        written = write(package)
        if dry_run:
            transaction.set_rollback(True)
        elif history_comment:
            history.save_revisions(written, user, history_comment)
    return Result(number, "created" if before is None else "replaced", lines)


class Writing:
    """The rows written so far, and where problems go (recognition.rules.fields.Writing)."""

    def __init__(self):
        self.problems = Problems()
        self.written: list = []
        self.where = ""
        self.pending: dict[str, list] = {}
        self.notice: Notice | None = None
        self.clauses: dict[str, Clause] = {}
        self.certificates: dict[str, Certificate | None] = {}
        self._steps: dict[int, dict[str, Step]] = {}

    def problem(self, message: str) -> None:
        self.problems.add(self.where, message)

    def check(self, obj, where: str, **kwargs) -> bool:
        return check.model_problems(self.problems, obj, where, **kwargs)

    def certificate(self, slug: str | None) -> Certificate | None:
        if slug is None:
            return None
        if slug not in self.certificates:
            self.certificates[slug] = Certificate.objects.filter(slug=slug).first()
        return self.certificates[slug]

    def clause(self, anchor: str | None) -> Clause | None:
        return self.clauses.get(anchor)

    def steps(self, certificate: Certificate) -> dict[str, Step]:
        if certificate.pk not in self._steps:
            self._steps[certificate.pk] = {step.name: step for step in certificate.steps.all()}
        return self._steps[certificate.pk]

    def write_steps(self, cert: Certificate, items: list[dict]) -> None:
        """A certificate's steps as the package lists them, matched by name; the others deleted if unused."""
        where = f"证书 {cert.slug}"
        existing = {step.name: step for step in cert.steps.all()}
        for item in items:
            step = existing.pop(item["name"], None) or Step(certificate=cert, name=item["name"])
            store_row(STEP, step, item, self)
            if self.check(step, f"{where} 环节 {step.name}"):
                step.save()
        leftover = list(existing.values())
        if not leftover:
            return
        for rule in RecognitionRule.objects.exclude(notice=self.notice).filter(
            Q(waived__in=leftover) | Q(remaining__in=leftover)
        ):
            self.problems.add(where, f"文件中没有的环节仍被 {rule.notice} {rule} 使用。")
        for step in leftover:
            step.waived_by.clear()
            step.remaining_in.clear()
        if not self.problems:
            check.delete(leftover, f"{where} 的环节", self.problems)


def write(package: dict) -> list:
    """Every row of the package written, or PackageError; the objects written, for their history."""
    ctx = Writing()
    notice = _write_notice(package["notice"], ctx)
    _delete_gone(notice, package, ctx.problems)
    gone_clauses = _write_clauses(notice, package["clauses"], ctx)
    _write_certificates(package["certificates"], ctx)
    _write_rules(notice, package["rules"], ctx)
    _write_levels(notice, package["levels"], ctx)
    for clause in gone_clauses:
        check.delete([clause], f"条款 {clause.anchor}", ctx.problems)
    if ctx.problems:
        raise PackageError(ctx.problems)
    return ctx.written


def _write_notice(item: dict, ctx: Writing) -> Notice:
    notice = Notice.objects.filter(number=item["number"]).first() or Notice(number=item["number"])
    ctx.where = "通知"
    store_row(NOTICE, notice, item, ctx)
    notice.slug = notice.slug or suggest_notice_slug(notice.number)
    if not ctx.check(notice, "通知"):
        raise PackageError(ctx.problems)
    notice.save()
    after_save_row(NOTICE, notice, item, ctx)
    ctx.notice = notice
    ctx.written.append(notice)
    return notice


def _delete_gone(notice: Notice, package: dict, problems: Problems) -> None:
    """Rows the package no longer has go first, so that their serials, orders and steps are free."""
    serials = {r["serial"] for r in package["rules"]}
    level_keys = {(lv["held"], lv["occupation"]) for lv in package["levels"]}
    check.delete(notice.rules.exclude(serial__in=serials), "规则", problems)
    for level in notice.level_equivalences.select_related("certificate", "occupation"):
        if (level.certificate.slug, level.occupation.name) not in level_keys:
            check.delete([level], "等级比照", problems)
    # Orders out of the way, so that clauses can swap places without meeting the unique order.
    notice.clauses.update(order=F("order") + 1_000_000)


def _write_clauses(notice: Notice, items: list[dict], ctx: Writing) -> list[Clause]:
    """The package's clauses, matched by anchor; the clauses it no longer has, to delete once nothing uses them."""
    existing = {c.anchor: c for c in notice.clauses.all()}
    for item in items:
        clause = existing.pop(item["anchor"], None) or Clause(notice=notice, anchor=item["anchor"])
        ctx.where = f"条款 {item['anchor']}"
        store_row(CLAUSE, clause, item, ctx)
        if ctx.check(clause, ctx.where):
            clause.save()
            ctx.clauses[item["anchor"]] = clause
    return list(existing.values())


def _write_certificates(items: list[dict], ctx: Writing) -> None:
    for item in items:
        cert = Certificate.objects.filter(slug=item["slug"]).first() or Certificate(slug=item["slug"])
        ctx.where = f"证书 {item['slug']}"
        store_row(CERTIFICATE, cert, item, ctx)
        if not ctx.check(cert, ctx.where):
            continue
        cert.save()
        ctx.written.append(cert)
        ctx.certificates[cert.slug] = cert
        after_save_row(CERTIFICATE, cert, item, ctx)


def _write_rules(notice: Notice, items: list[dict], ctx: Writing) -> None:
    for item in items:
        where = ctx.where = f"规则 序号{item['serial']}"
        rule = notice.rules.filter(serial=item["serial"]).first() or RecognitionRule(
            notice=notice, serial=item["serial"]
        )
        ctx.pending = {}
        store_row(RULE, rule, item, ctx)
        # By id: reading a required foreign key that is None raises instead of giving None.
        if rule.target_id is None or rule.held_id is None or rule.clause_id is None:
            ctx.problem("证书或依据条款未能写入,见上。")
            continue
        found = checks.rule_problems(rule, ctx.pending["waived"], ctx.pending["remaining"])
        ctx.problems.add_all(where, found)
        if not ctx.check(rule, where, exclude=["waived", "remaining"], validate_constraints=False) or found:
            continue
        rule.save()
        after_save_row(RULE, rule, item, ctx)
        ctx.written.append(rule)


def _write_levels(notice: Notice, items: list[dict], ctx: Writing) -> None:
    for item in items:
        where = ctx.where = f"等级比照 {item['held']} {item['occupation']}"
        cert = ctx.certificate(item["held"])
        occupation = Occupation.objects.get(name=item["occupation"])
        level = (
            notice.level_equivalences.filter(certificate=cert, occupation=occupation).first() if cert else None
        ) or LevelEquivalence(notice=notice, certificate=cert, occupation=occupation)
        store_row(LEVEL, level, item, ctx)
        if cert is None or level.clause_id is None:
            ctx.problem("证书或依据条款未能写入,见上。")
            continue
        found = checks.level_problems(level)
        ctx.problems.add_all(where, found)
        if not ctx.check(level, where, validate_constraints=False) or found:
            continue
        level.save()
        ctx.written.append(level)
