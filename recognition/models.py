"""The notice as data.

Everything the site states about a certificate is a row here, so that a new
notice, certificate or waiver is an admin edit, not code. The rules engine
(`recognition.rules.engine`) never touches these models: `recognition.rules.snapshot`
reads them once into plain data.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
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
        return [line.strip() for line in self.issuers.splitlines() if line.strip()]


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
        text = self.everyday_names.replace(",", "、").replace(",", "、")
        return [part.strip() for part in text.split("、") if part.strip()]


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
        return self.confidence in {self.Confidence.HIGH, self.Confidence.MEDIUM}


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
        return self.filter(confidence__in=[ReferenceFact.Confidence.HIGH, ReferenceFact.Confidence.MEDIUM])


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
        return self.confidence in {ReferenceFact.Confidence.HIGH, ReferenceFact.Confidence.MEDIUM}


# Every model staff edit, the one list: the data version counts their writes (rules.signals), the staff
# groups get permissions on them (staff.roles) and the history keeps their versions (history). Migration
# 0002 keeps its own frozen copy, as a migration must.
EDITED_MODELS = (
    Notice,
    Clause,
    Department,
    Occupation,
    SkillLevel,
    Certificate,
    Step,
    RecognitionRule,
    Condition,
    LevelEquivalence,
    Province,
    Issuance,
    ReferenceFact,
    NextStep,
)
