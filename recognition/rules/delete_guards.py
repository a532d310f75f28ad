"""Refuse to delete a step that a rule still names as waived or remaining.

A rule's steps are many-to-many: deleting a step would silently drop it from
every rule (the through rows cascade), changing what the site states. A
pre_delete receiver refuses on every delete path (admin, shell, cascade from a
certificate, a restore from history); the admin also shows the refusal before
anyone confirms (recognition.admin.delete_page).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import ProtectedError, Q, QuerySet
from django.db.models.signals import pre_delete

from recognition.models import RecognitionRule, Step


def rules_using_steps(steps: Iterable[Step]) -> QuerySet[RecognitionRule]:
    """Rules, draft or published, that name any of these steps as waived or remaining."""
    pks = [step.pk for step in steps if step.pk is not None]
    return (
        RecognitionRule.objects.filter(Q(waived__in=pks) | Q(remaining__in=pks))
        .distinct()
        .select_related("held", "target", "notice")
        .order_by("notice", "serial")
    )


def describe_rules(rules: Iterable[RecognitionRule]) -> str:
    return "、".join(f"{rule.notice}{rule}({rule.get_publication_display()})" for rule in rules)


def step_in_use_message(step: Step, rules: Iterable[RecognitionRule]) -> str:
    return (
        f"不能删除取证环节“{step}”:规则 {describe_rules(rules)} 仍把它列为免予或仍须参加的环节。"
        "请先在这些规则中取消勾选这个环节,再删除它。"
    )


def refuse_deleting_used_step(sender, instance: Step, **kwargs) -> None:
    rules = list(rules_using_steps([instance]))
    if rules:
        raise ProtectedError(step_in_use_message(instance, rules), set(rules))


def connect() -> None:
    pre_delete.connect(refuse_deleting_used_step, sender=Step, dispatch_uid="protect-used-steps")
