"""Departments, occupations, skill levels, and the certificates with their steps (取证环节)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    slug = models.SlugField(_("标识"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60, help_text=_("例如 应急管理部门"))
    ministry = models.CharField(_("国务院部门"), max_length=60, blank=True, help_text=_("例如 应急管理部"))
    order = models.PositiveIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("发证部门")
        verbose_name_plural = _("发证部门")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Occupation(models.Model):
    name = models.CharField(_("职业(工种)"), max_length=40, unique=True)
    code = models.CharField(_("职业编码"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("职业")
        verbose_name_plural = _("职业")
        ordering = ["code", "name"]

    def __str__(self) -> str:
        return self.name


class SkillLevel(models.Model):
    number = models.PositiveSmallIntegerField(_("等级"), unique=True, help_text=_("5 为五级(最低),1 为一级(最高)"))
    label = models.CharField(_("级别"), max_length=10, help_text=_("例如 五级"))
    title = models.CharField(_("名称"), max_length=10, help_text=_("例如 初级工"))

    class Meta:
        verbose_name = _("技能等级")
        verbose_name_plural = _("技能等级")
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"{self.title}({self.label})"


class CertificateManager(models.Manager):
    def get_by_natural_key(self, slug: str) -> Certificate:
        return self.get(slug=slug)


def everyday_name_list(text: str) -> list[str]:
    """俗称 as entered (separated by 、 or a comma) as a list."""
    text = text.replace(",", "、").replace(",", "、")
    return [part.strip() for part in text.split("、") if part.strip()]


class Certificate(models.Model):
    slug = models.SlugField(_("标识"), max_length=60, unique=True, help_text=_("网址和接口使用,发布后不要修改"))
    name = models.CharField(_("证书名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=40)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="certificates", verbose_name=_("发证部门")
    )
    family = models.CharField(_("证书类别"), max_length=100)
    occupation = models.ForeignKey(
        Occupation, on_delete=models.PROTECT, related_name="certificates", verbose_name=_("对应职业")
    )
    everyday_names = models.CharField(
        _("俗称"), max_length=200, blank=True, help_text=_("工人常用的叫法,用顿号或逗号分隔,例如 电工证、上岗证")
    )
    issuance_note = models.CharField(_("发证范围说明"), max_length=200, blank=True, help_text=_("例如 仅部分地区颁发"))
    order = models.PositiveIntegerField(_("顺序"), default=0)

    objects = CertificateManager()

    class Meta:
        verbose_name = _("证书")
        verbose_name_plural = _("证书")
        ordering = ["order", "slug"]

    def __str__(self) -> str:
        return self.short_name or self.name

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    @property
    def everyday_name_list(self) -> list[str]:
        return everyday_name_list(self.everyday_names)


class Step(models.Model):
    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="steps", verbose_name=_("证书"))
    order = models.PositiveIntegerField(_("顺序"))
    name = models.CharField(_("环节名称"), max_length=60)
    kind = models.CharField(
        _("类型"),
        max_length=16,
        choices=[("training", _("培训")), ("exam", _("考试/考核"))],
        default="exam",
    )
    part_of = models.CharField(_("所属"), max_length=60, blank=True, help_text=_("例如 安全技术考试"))

    class Meta:
        verbose_name = _("取证环节")
        verbose_name_plural = _("取证环节")
        ordering = ["certificate", "order"]
        constraints = [
            models.UniqueConstraint(fields=["certificate", "name"], name="step_name_unique_per_certificate"),
        ]

    def __str__(self) -> str:
        return f"{self.certificate}:{self.name}"
