"""What the notice states over time: recognition rules (序号), their conditions, and level equivalences."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from recognition.models.certificates import Certificate, Department, Occupation, SkillLevel, Step
from recognition.models.notices import Clause, Notice, Publication


class Period(models.Model):
    """From a first day to a last day, both inclusive; a row may replace an older row of another notice.

    Publishing a replacement ends the replaced row the day before the
    replacement starts; withdrawing or deleting it gives the replaced row back
    its previous last day (recognition.rules.replacements).
    """

    valid_from = models.DateField(_("施行日期"), help_text=_("本条开始适用的第一天"))
    valid_until = models.DateField(
        _("最后适用日"), null=True, blank=True, help_text=_("本条适用的最后一天(含当日);仍然有效时留空。")
    )
    replaces = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("取代"),
        help_text=_("另一份通知中被本条取代的那一条。本条发布后,那一条的最后适用日自动设为本条施行日期的前一天。"),
    )
    review_due = models.DateField(
        _("复核日期"),
        null=True,
        blank=True,
        help_text=_("到这一天应重新核对本条是否仍然有效(例如试行期满);到期后列入“近期变化”中的“待复核”。"),
    )
    # What the replaced row's last day was before this row ended it, to give it back.
    ended_replaced = models.BooleanField(_("已终止被取代的一条"), default=False, editable=False)
    replaced_until = models.DateField(_("被取代一条原来的最后适用日"), null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    def clean_period(self, errors: dict) -> None:
        if self.valid_until and self.valid_from and self.valid_until < self.valid_from:
            errors["valid_until"] = _("最后适用日不能早于施行日期。")
        if self.replaces_id:
            if self.pk and self.replaces_id == self.pk:
                errors["replaces"] = _("不能取代自己。")
            elif self.notice_id and self.replaces.notice_id == self.notice_id:
                errors["replaces"] = _("只能取代另一份通知中的一条;同一通知中的规则请直接修改。")
            elif self.valid_from and self.replaces.valid_from >= self.valid_from:
                errors["replaces"] = _("被取代的一条必须早于本条开始施行(它的施行日期早于本条)。")


class RecognitionRuleQuerySet(models.QuerySet):
    def published(self):
        """Rules the public sees: published, under a published notice."""
        return self.filter(publication=Publication.PUBLISHED, notice__publication=Publication.PUBLISHED)


class RecognitionRule(Period):
    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="rules", verbose_name=_("通知"))
    serial = models.PositiveIntegerField(
        _("序号"), help_text=_("通知附件中的序号;通知没有附件时为本通知中规则的顺序号")
    )
    held = models.ForeignKey(
        Certificate, on_delete=models.PROTECT, related_name="outgoing_rules", verbose_name=_("持有证书")
    )
    target = models.ForeignKey(
        Certificate, on_delete=models.PROTECT, related_name="incoming_rules", verbose_name=_("申请证书")
    )
    apply_to = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("受理部门"))
    apply_to_detail = models.CharField(
        _("受理部门说明"),
        max_length=120,
        blank=True,
        help_text=_("例如 颁发建筑焊工特种作业操作证地区的住房城乡建设主管部门"),
    )
    waived = models.ManyToManyField(Step, related_name="waived_by", verbose_name=_("免予的环节"))
    remaining = models.ManyToManyField(Step, related_name="remaining_in", verbose_name=_("仍须参加的环节"))
    clause = models.ForeignKey(Clause, on_delete=models.PROTECT, related_name="rules", verbose_name=_("依据条款"))
    quote = models.TextField(_("依据原文"), help_text=_("条款中规定这一行的原句"))
    publication = models.CharField(_("发布状态"), max_length=16, choices=Publication.choices, default=Publication.DRAFT)

    objects = RecognitionRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("互认规则")
        verbose_name_plural = _("互认规则")
        ordering = ["notice", "serial"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "serial"], name="rule_serial_unique_per_notice"),
            models.UniqueConstraint(
                fields=["notice", "held", "target"],
                condition=Q(publication="published"),
                name="one_published_rule_per_pair_per_notice",
            ),
            models.CheckConstraint(condition=~Q(held=F("target")), name="rule_held_differs_from_target"),
        ]

    def __str__(self) -> str:
        return f"序号{self.serial} {self.held} → {self.target}"

    def clean(self) -> None:
        errors = {}
        if self.held_id and self.held_id == self.target_id:
            errors["target"] = _("持有证书和申请证书不能是同一种证书。")
        if self.clause_id and self.notice_id and self.clause.notice_id != self.notice_id:
            errors["clause"] = _("依据条款必须是本通知中的条款。")
        self.clean_period(errors)
        if errors:
            raise ValidationError(errors)


class Condition(models.Model):
    class Kind(models.TextChoices):
        STATED = "stated", _("需本人确认(网站无法判断)")
        TARGET_ISSUED_IN_REGION = "target-issued-in-region", _("申请地区颁发所申请的证书")

    rule = models.ForeignKey(
        RecognitionRule, on_delete=models.CASCADE, related_name="conditions", verbose_name=_("规则")
    )
    order = models.PositiveIntegerField(_("顺序"), default=0)
    text = models.CharField(_("条件"), max_length=200)
    kind = models.CharField(_("判断方式"), max_length=32, choices=Kind.choices, default=Kind.STATED)

    class Meta:
        verbose_name = _("适用条件")
        verbose_name_plural = _("适用条件")
        ordering = ["rule", "order", "pk"]

    def __str__(self) -> str:
        return self.text


class LevelEquivalence(Period):
    notice = models.ForeignKey(
        Notice, on_delete=models.PROTECT, related_name="level_equivalences", verbose_name=_("通知")
    )
    certificate = models.ForeignKey(
        Certificate, on_delete=models.PROTECT, related_name="level_equivalences", verbose_name=_("持有证书")
    )
    occupation = models.ForeignKey(Occupation, on_delete=models.PROTECT, related_name="+", verbose_name=_("职业"))
    deemed_level = models.ForeignKey(SkillLevel, on_delete=models.PROTECT, related_name="+", verbose_name=_("视同达到"))
    eligible_level = models.ForeignKey(
        SkillLevel, on_delete=models.PROTECT, related_name="+", verbose_name=_("可报名认定")
    )
    clause = models.ForeignKey(Clause, on_delete=models.PROTECT, related_name="level_rules", verbose_name=_("依据条款"))
    quote = models.TextField(_("依据原文"))
    publication = models.CharField(_("发布状态"), max_length=16, choices=Publication.choices, default=Publication.DRAFT)

    class Meta:
        verbose_name = _("等级比照")
        verbose_name_plural = _("等级比照")
        ordering = ["notice", "certificate__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "certificate", "occupation"],
                condition=Q(publication="published"),
                name="one_published_level_per_certificate_per_notice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.certificate} 视同 {self.occupation}{self.deemed_level}"

    def clean(self) -> None:
        errors = {}
        if self.deemed_level_id and self.eligible_level_id and self.eligible_level.number >= self.deemed_level.number:
            errors["eligible_level"] = _("可报名的等级必须高于视同达到的等级(例如视同五级,可报名四级)。")
        if self.clause_id and self.notice_id and self.clause.notice_id != self.notice_id:
            errors["clause"] = _("依据条款必须是本通知中的条款。")
        self.clean_period(errors)
        if errors:
            raise ValidationError(errors)
