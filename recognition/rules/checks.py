"""The checks every write to a rule or a level equivalence goes through, taking the row as it stands.

They hold what the model's `clean()` cannot check (it cannot see many-to-many
values) or checks with a message staff would not understand (the database
constraints). The admin form, the rule import, the publish actions and notice
packages all call them, so a row is refused the same way whichever way it is
written. Errors are keyed to a field: Django then skips the matching
database-constraint check instead of adding its own, less readable message.
"""

from __future__ import annotations

from collections.abc import Iterable

from recognition.models import (
    Clause,
    LevelEquivalence,
    Notice,
    Publication,
    RecognitionRule,
    Step,
)
from recognition.rules.replacements import overlap_message, overlapping_rows, rival_message, rival_replacements

Problems = dict[str, list[str]]


def step_label(step: Step) -> str:
    return f"{step.name}({step.part_of})" if step.part_of else step.name


def names(steps: Iterable[Step]) -> str:
    return "、".join(f"“{step.name}”" for step in steps)


def related(row, name: str):
    """A foreign key of a row that may not be saved or complete yet: None where it is not set."""
    return getattr(row, name) if getattr(row, f"{name}_id") else None


def rule_problems(rule: RecognitionRule, waived: Iterable[Step], remaining: Iterable[Step]) -> Problems:
    """What is wrong with a rule as it stands (saved or not), its steps given, as {field: [message for staff]}."""
    notice, held, target = related(rule, "notice"), related(rule, "held"), related(rule, "target")
    errors: Problems = {}
    period_problems(errors, rule, {"held": held, "target": target} if held and target else None)
    waived, remaining = list(waived), list(remaining)
    if not waived:
        errors.setdefault("waived", []).append("请至少选择一个免予的环节:没有免予环节的规则不减免任何东西。")
    if target is not None:
        for field, steps in (("waived", waived), ("remaining", remaining)):
            foreign = [step for step in steps if step.certificate_id != target.pk]
            if foreign:
                errors.setdefault(field, []).append(
                    f"{names(foreign)} 不是申请证书“{target}”的取证环节。"
                    f"请只从“{target}”自己的环节中选择:{'、'.join(s.name for s in target.steps.all())}。"
                )
    both = [step for step in waived if step in remaining]
    if both:
        errors.setdefault("remaining", []).append(
            f"{names(both)} 不能既免予又仍须参加:请在“免予的环节”和“仍须参加的环节”中只勾选一处。"
        )
    others = RecognitionRule.objects.exclude(pk=rule.pk) if rule.pk else RecognitionRule.objects.all()
    others = others.select_related("held", "target")
    if notice is not None and rule.serial is not None:
        clash = others.filter(notice=notice, serial=rule.serial).first()
        if clash:
            errors.setdefault("serial", []).append(
                f"通知 {notice} 中已有序号为 {rule.serial} 的规则({clash.held} → {clash.target})。"
                "同一通知中每条规则的序号不能重复,请换一个序号。"
            )
    if notice and held and target and rule.publication == Publication.PUBLISHED:
        clash = others.filter(notice=notice, held=held, target=target, publication=Publication.PUBLISHED).first()
        if clash:
            errors.setdefault("publication", []).append(
                f"通知 {notice} 中已有一条已发布的“{held} → {target}”规则(序号 {clash.serial})。"
                "同一对证书在一份通知中只能有一条已发布的规则:请先把那一条设为草稿,或把这一条保存为草稿。"
            )
    return errors


def level_problems(level: LevelEquivalence) -> Problems:
    """What is wrong with a level equivalence as it stands (saved or not), as {field: [message for staff]}."""
    notice, certificate = related(level, "notice"), related(level, "certificate")
    occupation = related(level, "occupation")
    errors: Problems = {}
    period_problems(
        errors, level, {"certificate": certificate, "occupation": occupation} if certificate and occupation else None
    )
    if level.publication == Publication.PUBLISHED and notice and certificate and occupation:
        clash = (
            LevelEquivalence.objects.exclude(pk=level.pk)
            .filter(notice=notice, certificate=certificate, occupation=occupation)
            .filter(publication=Publication.PUBLISHED)
            .exists()
        )
        if clash:
            errors.setdefault("publication", []).append(
                f"通知 {notice} 中已有一条已发布的“{certificate}”视同{occupation}等级的规定。"
                "同一证书同一职业只能有一条已发布的等级比照:请先把那一条设为草稿,或把这一条保存为草稿。"
            )
    return errors


def clause_message(notice: Notice, clause: Clause) -> str:
    choices = "、".join(c.label or c.anchor for c in notice.clauses.all()) if notice.pk else ""
    return (
        f"依据条款“{clause}”是通知 {clause.notice} 的条款,不是本条所属通知 {notice} 的。"
        f"依据条款只能选本通知自己的条款{':' + choices if choices else ''}。"
    )


def period_problems(errors: Problems, row: RecognitionRule | LevelEquivalence, pair: dict | None) -> None:
    """The checks a rule and a level equivalence share: its own notice's clause, no overlap with another notice.

    A published row may not state something for the same pair on a day and
    in a region where another published row (of another notice) already
    does, unless one replaces the other; and two replacements of one row may
    not overlap.
    """
    notice, clause, replaces = related(row, "notice"), related(row, "clause"), related(row, "replaces")
    if notice is not None and clause is not None and clause.notice_id != notice.pk:
        errors.setdefault("clause", []).append(clause_message(notice, clause))
    valid_from, valid_until = row.valid_from, row.valid_until
    if (
        row.publication != Publication.PUBLISHED
        or notice is None
        or pair is None
        or valid_from is None
        or (valid_until is not None and valid_until < valid_from)
    ):
        return
    model, pk = type(row), row.pk
    span = {"pk": pk, "notice": notice, "replaces": replaces, "valid_from": valid_from, "valid_until": valid_until}
    rivals = rival_replacements(model, **span)
    if rivals:
        errors.setdefault("replaces", []).append(rival_message(replaces, rivals))
    rows = [row for row in overlapping_rows(model, pair=pair, **span) if row not in rivals]
    if rows:
        errors.setdefault("replaces", []).append(overlap_message(rows))


def notice_publication_problems(notice: Notice) -> list[str]:
    """Publishing a notice: its published rows must not overlap published rows of other published notices."""
    rows = (
        (
            notice.rules.select_related("held", "target", "replaces"),
            lambda rule: {"held": rule.held, "target": rule.target},
            lambda rule: f"序号{rule.serial}",
        ),
        (
            notice.level_equivalences.select_related("certificate", "occupation", "replaces"),
            lambda level: {"certificate": level.certificate, "occupation": level.occupation},
            str,
        ),
    )
    problems = []
    for queryset, pair, name in rows:
        for row in queryset.filter(publication=Publication.PUBLISHED):
            errors: Problems = {}
            row.clause_id = None  # only the overlap: the clause was checked when the row was saved
            period_problems(errors, row, pair(row))
            problems += [f"{name(row)}:{message}" for messages in errors.values() for message in messages]
    return problems
