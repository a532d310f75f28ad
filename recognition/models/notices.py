"""Notices and their clauses: the text every rule cites."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from recognition.rules.clause_numbers import suggest_label


class Publication(models.TextChoices):
    DRAFT = "draft", _("草稿(仅工作人员可见)")
    PUBLISHED = "published", _("已发布")


class NoticeQuerySet(models.QuerySet):
    def published(self):
        return self.filter(publication=Publication.PUBLISHED)


def suggest_notice_slug(number: str) -> str:
    """An ASCII address for a notice number: 人社厅发〔2026〕1号 -> rstf-2026-1.

    Each Chinese character gives its pinyin initial (人社厅发 -> rstf), each run
    of digits stays a part of its own.
    """
    from pypinyin import Style, lazy_pinyin

    parts = []
    for run in re.findall(r"\d+|[\u4e00-\u9fff]+|[A-Za-z]+", number):
        if run.isdigit() or run.isascii():
            parts.append(run.lower())
        elif run != "号":
            parts.append("".join(lazy_pinyin(run.removesuffix("号"), style=Style.FIRST_LETTER)).lower())
    return "-".join(part for part in parts if part)[:60] or "notice"


def issuer_list(text: str) -> list[str]:
    """发文机关 as entered, one per line, as a list."""
    return [line.strip() for line in text.splitlines() if line.strip()]


class Notice(models.Model):
    number = models.CharField(_("文号"), max_length=64, unique=True)
    slug = models.SlugField(
        _("网址标识"),
        max_length=60,
        unique=True,
        blank=True,
        help_text=_("通知页面网址中的英文标识,如 rstf-2026-1;留空则按文号自动生成。发布后不要修改。"),
    )
    title = models.CharField(_("标题"), max_length=300)
    short_title = models.CharField(_("简称"), max_length=100, blank=True)
    issuers = models.TextField(_("发文机关"), help_text=_("每行一个"))
    addressees = models.TextField(_("主送"), blank=True)
    issued_on = models.DateField(_("印发日期"))
    in_force_from = models.DateField(
        _("施行日期"),
        null=True,
        blank=True,
        help_text=_("通知载明的施行日期。通知没有写明的留空:网站显示“自印发之日起”,按印发日期计。"),
    )
    ends_on = models.DateField(
        _("最后适用日"), null=True, blank=True, help_text=_("通知废止或到期时填写,含当日;仍然有效时留空。")
    )
    replaces = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("替代的通知"),
        help_text=_("本通知施行后不再适用的旧通知。"),
    )
    scope = models.ManyToManyField(
        "Province",
        blank=True,
        related_name="notices",
        verbose_name=_("适用地区"),
        help_text=_("全国适用的通知留空;省级通知选择它适用的地区,其中的规则只在这些地区适用。"),
    )
    status_note = models.CharField(
        _("状态说明"),
        max_length=200,
        blank=True,
        help_text=_("可选,例如“部分条款已被某通知修改”。状态本身按日期自动计算。"),
    )
    source_name = models.CharField(_("来源"), max_length=200, blank=True)
    source_url = models.URLField(_("来源网址"), blank=True)
    attachment_title = models.CharField(_("附件名称"), max_length=200, blank=True)
    publication = models.CharField(_("发布状态"), max_length=16, choices=Publication.choices, default=Publication.DRAFT)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-issued_on", "number"]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = suggest_notice_slug(self.number)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.ends_on and self.ends_on < (self.in_force_from or self.issued_on or self.ends_on):
            raise ValidationError({"ends_on": _("最后适用日不能早于施行日期。")})
        if self.replaces_id and self.pk and self.replaces_id == self.pk:
            raise ValidationError({"replaces": _("通知不能替代它自己。")})

    @property
    def effective_from(self):
        return self.in_force_from or self.issued_on

    @property
    def issuer_list(self) -> list[str]:
        return issuer_list(self.issuers)


class Clause(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="clauses", verbose_name=_("通知"))
    order = models.PositiveIntegerField(_("顺序"))
    anchor = models.SlugField(_("锚点"), max_length=32, help_text=_("网址中 # 后的英文标识,例如 s1-2 表示一、(二)"))
    numbering = models.CharField(_("编号"), max_length=16, blank=True, help_text=_("例如 一、 或 (一)"))
    heading = models.CharField(_("小标题"), max_length=200, blank=True)
    text = models.TextField(_("正文"), blank=True)
    level = models.PositiveSmallIntegerField(_("层级"), default=1, help_text=_("1 为一级标题,2 为其下的条目"))
    label = models.CharField(
        _("引用编号"),
        max_length=40,
        blank=True,
        help_text=_("读者引用这一条时的写法,例如 一、(二);留空则按编号和所属的一级标题自动生成。"),
    )

    class Meta:
        verbose_name = _("条款")
        verbose_name_plural = _("条款")
        ordering = ["notice", "order"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "anchor"], name="clause_anchor_unique_per_notice"),
            models.UniqueConstraint(fields=["notice", "order"], name="clause_order_unique_per_notice"),
        ]

    def __str__(self) -> str:
        return f"{self.notice.number} {self.label or self.numbering or self.heading or self.anchor}"

    def save(self, *args, **kwargs):
        if not self.label:
            self.label = suggest_clause_label(self)
        super().save(*args, **kwargs)


def suggest_clause_label(clause: Clause) -> str:
    """The label a reader cites the clause by (clause_numbers.suggest_label), its section read from the database."""
    section = (
        Clause.objects.filter(notice_id=clause.notice_id, level__lte=1, order__lt=clause.order)
        .exclude(numbering="")
        .order_by("-order")
        .values_list("numbering", flat=True)
        .first()
        if clause.level > 1
        else ""
    )
    return suggest_label(clause.level, clause.numbering, clause.heading, clause.anchor, section or "")
