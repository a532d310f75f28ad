"""Rows over time: a row of a newer notice replacing a row of an older one.

A rule or level equivalence may name the row it `replaces`. While the
replacement is public (published, under a published notice) and applies
wherever the replaced row does, the replaced row's last day is the day before
the replacement starts. A provincial row replacing a national one changes no
date: the engine answers region by region (engine.partial_replacements). Withdrawing the
replacement (a draft again, or deleted) gives the replaced row back the last
day it had before. Both happen in the transaction that saves the replacement,
and the replaced row's change is recorded in its history.

`overlapping_rules` finds the published rules that would state something else
for the same pair on the same day in the same region: the admin, the import
and the notice packages refuse such a rule unless one replaces the other.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

import reversion
from django.db import transaction
from django.db.models.signals import post_save, pre_delete, pre_save

from recognition.models import LevelEquivalence, Notice, Period, Publication, RecognitionRule

ONE_DAY = datetime.timedelta(days=1)


def is_public(row: Period) -> bool:
    return row.publication == Publication.PUBLISHED and row.notice.publication == Publication.PUBLISHED


def _save_replaced(replaced: Period, valid_until: datetime.date | None, comment: str) -> None:
    if replaced.valid_until == valid_until:
        return
    replaced.valid_until = valid_until
    with reversion.create_revision():
        reversion.set_comment(comment)
        replaced.save(update_fields=["valid_until"])


def _mark(row: Period, ended: bool, replaced_until: datetime.date | None) -> None:
    row.ended_replaced, row.replaced_until = ended, replaced_until
    # .update(): no second save, no signal loop; the replaced row's save bumps the data version.
    type(row).objects.filter(pk=row.pk).update(ended_replaced=ended, replaced_until=replaced_until)


def restore_replaced(row: Period, replaced: Period | None = None) -> None:
    """Give the replaced row back the last day it had before `row` ended it."""
    if not row.ended_replaced:
        return
    # Fresh from the database: a cached row.replaces may hold a last day this module has since changed.
    replaced = replaced or type(row).objects.filter(pk=row.replaces_id).first()
    if replaced is not None:
        _save_replaced(replaced, row.replaced_until, f"取代它的 {row.notice} {row} 已撤回,恢复原来的最后适用日")
    _mark(row, False, None)


def sync_replacement(row: Period, previous_replaces_id: int | None = None) -> None:
    """After `row` was saved: end, move or give back the row it replaces."""
    with transaction.atomic():
        model = type(row)
        if row.ended_replaced and previous_replaces_id and previous_replaces_id != row.replaces_id:
            restore_replaced(row, model.objects.filter(pk=previous_replaces_id).first())
        if row.replaces_id is None or not is_public(row):
            restore_replaced(row)
            return
        replaced = model.objects.select_for_update().get(pk=row.replaces_id)
        if not covers(row, replaced):
            # A provincial row replaces a national one only in its regions: the engine
            # says so region by region, and the national row keeps its days everywhere else.
            restore_replaced(row, replaced)
            return
        if not row.ended_replaced:
            _mark(row, True, replaced.valid_until)
        last_day = row.valid_from - ONE_DAY
        if row.replaced_until is not None:
            last_day = min(last_day, row.replaced_until)
        _save_replaced(replaced, last_day, f"被 {row.notice} {row} 取代,最后适用日改为 {last_day}")


def covers(row: Period, replaced: Period) -> bool:
    """Whether `row` applies wherever `replaced` does: a national row, or one whose regions include the other's."""
    mine, theirs = scope_codes(row.notice), scope_codes(replaced.notice)
    return not mine or bool(theirs and theirs <= mine)


def _remember_replaces(sender, instance: Period, **kwargs) -> None:
    if instance.pk and not kwargs.get("raw"):
        instance._previous_replaces_id = (
            type(instance).objects.filter(pk=instance.pk).values_list("replaces_id", flat=True).first()
        )


def _after_save(sender, instance: Period, raw: bool = False, update_fields=None, **kwargs) -> None:
    if raw or (update_fields is not None and set(update_fields) <= {"valid_until", "ended_replaced"}):
        return
    sync_replacement(instance, getattr(instance, "_previous_replaces_id", None))


def _before_delete(sender, instance: Period, **kwargs) -> None:
    if instance.ended_replaced:
        restore_replaced(instance)


def _notice_saved(sender, instance: Notice, raw: bool = False, **kwargs) -> None:
    """Publishing or withdrawing a notice publishes or withdraws its replacements too."""
    if raw:
        return
    for model in (RecognitionRule, LevelEquivalence):
        for row in model.objects.filter(notice=instance).exclude(replaces=None).select_related("notice"):
            sync_replacement(row)


def connect() -> None:
    for model in (RecognitionRule, LevelEquivalence):
        pre_save.connect(_remember_replaces, sender=model, dispatch_uid=f"timeline-pre-{model.__name__}")
        post_save.connect(_after_save, sender=model, dispatch_uid=f"timeline-save-{model.__name__}")
        pre_delete.connect(_before_delete, sender=model, dispatch_uid=f"timeline-delete-{model.__name__}")
    post_save.connect(_notice_saved, sender=Notice, dispatch_uid="timeline-notice")


# Overlaps.


def periods_overlap(a_from, a_until, b_from, b_until) -> bool:
    return (b_until is None or a_from <= b_until) and (a_until is None or b_from <= a_until)


def scope_codes(notice: Notice | None) -> frozenset[str]:
    """The notice's regions; empty for a national notice."""
    if notice is None or notice.pk is None:
        return frozenset()
    return frozenset(notice.scope.values_list("code", flat=True))


def scopes_overlap(a: frozenset[str], b: frozenset[str]) -> bool:
    return not a or not b or bool(a & b)


def overlapping_rows(
    model: type[Period],
    *,
    pk: int | None,
    notice: Notice,
    pair: dict,
    valid_from: datetime.date,
    valid_until: datetime.date | None,
    replaces: Period | None,
) -> list[Period]:
    """Published rows for the same pair whose days and regions overlap this one's, except a replaced one.

    A row this one replaces ends the day before this one starts; a row that
    replaces this one ended it likewise: neither overlaps.
    """
    others = model.objects.filter(publication=Publication.PUBLISHED, notice__publication=Publication.PUBLISHED, **pair)
    # A row this one ended and no longer replaces gets its previous last day back on save: judge it by that.
    given_back: dict[int, datetime.date | None] = {}
    if pk:
        others = others.exclude(pk=pk).exclude(replaces_id=pk)
        saved = model.objects.filter(pk=pk).values("replaces_id", "ended_replaced", "replaced_until").first()
        if saved and saved["ended_replaced"] and (replaces is None or saved["replaces_id"] != replaces.pk):
            given_back[saved["replaces_id"]] = saved["replaced_until"]
    if replaces is not None:
        others = others.exclude(pk=replaces.pk)
    mine = scope_codes(notice)
    clashes = []
    for other in others.select_related("notice").prefetch_related("notice__scope"):
        if other.notice_id == notice.pk:
            continue  # the same notice: the per-notice checks say it better
        theirs = frozenset(province.code for province in other.notice.scope.all())
        until = given_back.get(other.pk, other.valid_until)
        if periods_overlap(valid_from, valid_until, other.valid_from, until) and scopes_overlap(mine, theirs):
            clashes.append(other)
    return clashes


def rival_replacements(
    model: type[Period],
    *,
    pk: int | None,
    notice: Notice,
    replaces: Period | None,
    valid_from: datetime.date,
    valid_until: datetime.date | None,
) -> list[Period]:
    """Published rows replacing the same row as this one on overlapping days in overlapping regions.

    Several provinces may each replace one national row in their own regions;
    two replacements that would both answer for one region on one day may not.
    """
    if replaces is None:
        return []
    others = model.objects.filter(
        replaces=replaces, publication=Publication.PUBLISHED, notice__publication=Publication.PUBLISHED
    )
    if pk:
        others = others.exclude(pk=pk)
    mine = scope_codes(notice)
    return [
        other
        for other in others.select_related("notice").prefetch_related("notice__scope")
        if periods_overlap(valid_from, valid_until, other.valid_from, other.valid_until)
        and scopes_overlap(mine, frozenset(province.code for province in other.notice.scope.all()))
    ]


def rival_message(replaced: Period, rows: list[Period]) -> str:
    return (
        f"已发布的 {describe(rows)} 也取代 {replaced.notice} {serial_of(replaced)}({replaced}),"
        "两者在适用日期和地区上重叠:同一条规定在同一天、同一地区只能由一条取代,否则同一地区会有两种答复。"
        "请调整本条所属通知的适用地区,或本条的施行日期、最后适用日。"
    )


def describe(rows: Iterable[Period]) -> str:
    def period(row: Period) -> str:
        return f"{row.valid_from} 至 {row.valid_until}" if row.valid_until else f"{row.valid_from} 起"

    return "、".join(f"{row.notice} {serial_of(row)}({row},{period(row)})" for row in rows)


def serial_of(row: Period) -> str:
    """序号3 for a rule; a level equivalence has none."""
    return f"序号{row.serial}" if getattr(row, "serial", None) else "等级比照"


def overlap_message(rows: list[Period]) -> str:
    return (
        f"与已发布的 {describe(rows)} 在适用日期和地区上重叠:同一对证书在同一天、同一地区只能有一条规定。"
        "如果本条是要取代那一条,请在“取代”中选择它(那一条将在本条施行日期的前一天停止适用);"
        "否则请调整施行日期或最后适用日。"
    )
