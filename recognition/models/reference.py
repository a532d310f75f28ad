"""Regions, where each certificate is issued, reference facts with their sources, next steps, the data version."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from recognition.models.certificates import Certificate, Department


class ProvinceManager(models.Manager):
    def get_by_natural_key(self, code: str) -> Province:
        return self.get(code=code)


class Province(models.Model):
    code = models.CharField(_("代码"), max_length=2, unique=True, help_text=_("GB/T 2260 前两位;新疆生产建设兵团为 66"))
    name = models.CharField(_("名称"), max_length=20)
    order = models.PositiveIntegerField(_("顺序"), default=0)

    objects = ProvinceManager()

    class Meta:
        verbose_name = _("省级地区")
        verbose_name_plural = _("省级地区")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class Issuance(models.Model):
    class Status(models.TextChoices):
        UNKNOWN = "unknown", _("未知")
        ISSUED = "issued", _("颁发")
        NOT_ISSUED = "not-issued", _("不颁发")

    province = models.ForeignKey(Province, on_delete=models.CASCADE, related_name="issuances", verbose_name=_("地区"))
    certificate = models.ForeignKey(
        Certificate, on_delete=models.CASCADE, related_name="issuances", verbose_name=_("证书")
    )
    status = models.CharField(_("是否颁发"), max_length=16, choices=Status.choices, default=Status.UNKNOWN)
    source = models.CharField(_("信息来源"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("地区发证情况")
        verbose_name_plural = _("地区发证情况")
        ordering = ["province", "certificate"]
        constraints = [
            models.UniqueConstraint(fields=["province", "certificate"], name="one_issuance_per_province_certificate"),
        ]

    def __str__(self) -> str:
        return f"{self.province} {self.certificate}:{self.get_status_display()}"


class ReferenceFact(models.Model):
    class Confidence(models.TextChoices):
        HIGH = "high", _("高")
        MEDIUM = "medium", _("中")
        LOW = "low", _("低(待核实,不公开)")

    # What the public sees: a low-confidence fact or channel waits for staff to check it.
    PUBLIC_CONFIDENCE = (Confidence.HIGH, Confidence.MEDIUM)

    certificate = models.ForeignKey(
        Certificate, on_delete=models.CASCADE, related_name="reference_facts", verbose_name=_("证书")
    )
    order = models.PositiveIntegerField(_("顺序"), default=0)
    topic = models.CharField(_("事项"), max_length=40, help_text=_("例如 有效期、查询核验"))
    text = models.TextField(_("内容"))
    source = models.CharField(_("来源"), max_length=200)
    url = models.URLField(_("网址"), blank=True)
    confidence = models.CharField(_("可信度"), max_length=8, choices=Confidence.choices)

    class Meta:
        verbose_name = _("参考信息")
        verbose_name_plural = _("参考信息")
        ordering = ["certificate", "order"]

    def __str__(self) -> str:
        return f"{self.certificate}:{self.topic}"

    @property
    def is_public(self) -> bool:
        return self.confidence in self.PUBLIC_CONFIDENCE


class DataVersion(models.Model):
    """One row: bumped by every write to the rules (see recognition.rules.signals)."""

    revision = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("数据版本")
        verbose_name_plural = _("数据版本")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.revision}-{timezone.localtime(self.changed_at):%Y%m%d%H%M%S}"


class NextStepQuerySet(models.QuerySet):
    def public(self):
        """Entries shown to the public: medium or high confidence only."""
        return self.filter(confidence__in=ReferenceFact.PUBLIC_CONFIDENCE)


class NextStep(models.Model):
    """Where to apply and what to do next, for one department: nationwide (no region) or in one region.

    Nationwide entries carry the national channels (hotline, online entry,
    verification service); staff add local offices per region. Nothing here
    may be guessed: every entry names its source.
    """

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="next_steps", verbose_name=_("部门")
    )
    province = models.ForeignKey(
        Province,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="next_steps",
        verbose_name=_("地区"),
        help_text=_("留空表示全国通用的渠道;选择地区表示该地区的办理地点"),
    )
    order = models.PositiveIntegerField(_("顺序"), default=0)
    office_name = models.CharField(
        _("办理机构"), max_length=120, blank=True, help_text=_("例如 某市住房和城乡建设局政务服务窗口")
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    opening_hours = models.CharField(_("办公时间"), max_length=120, blank=True)
    phone = models.CharField(_("电话"), max_length=80, blank=True)
    online_name = models.CharField(_("网上办理渠道"), max_length=120, blank=True)
    online_url = models.URLField(_("网上办理网址"), blank=True)
    what_to_bring = models.TextField(_("需要携带"), blank=True)
    verify_text = models.TextField(_("核验证书的方法"), blank=True, help_text=_("如何查询所持证书已登记、有效"))
    verify_url = models.URLField(_("核验网址"), blank=True)
    source = models.CharField(_("信息来源"), max_length=300)
    confidence = models.CharField(_("可信度"), max_length=8, choices=ReferenceFact.Confidence.choices)

    objects = NextStepQuerySet.as_manager()

    class Meta:
        verbose_name = _("办事指引")
        verbose_name_plural = _("办事指引")
        ordering = ["department", "province", "order", "pk"]

    def __str__(self) -> str:
        where = self.province.name if self.province_id else _("全国")
        label = self.office_name or self.online_name or self.phone
        return f"{self.department} · {where}" + (f" · {label}" if label else "")

    @property
    def is_public(self) -> bool:
        return self.confidence in ReferenceFact.PUBLIC_CONFIDENCE
