"""Forms and the checks every write to a rule goes through.

`rule_problems` holds the checks that the model's `clean()` cannot make
(it cannot see many-to-many values) or makes with a message staff would not
understand (the database constraints). The admin form and the import
(`recognition.resources`) both call it, so a rule is refused the same way
whichever way it is written. Errors are keyed to a field: Django then skips
the matching database-constraint check instead of adding its own, less
readable message.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse

from recognition.models import (
    Certificate,
    Clause,
    LevelEquivalence,
    Notice,
    Publication,
    RecognitionRule,
    Step,
)
from recognition.protection import rules_using_steps, step_in_use_message
from recognition.timeline import overlap_message, overlapping_rows, rival_message, rival_replacements


def step_label(step: Step) -> str:
    return f"{step.name}({step.part_of})" if step.part_of else step.name


def names(steps: Iterable[Step]) -> str:
    return "、".join(f"“{step.name}”" for step in steps)


def rule_problems(
    *,
    pk: int | None,
    notice: Notice | None,
    serial: int | None,
    held: Certificate | None,
    target: Certificate | None,
    publication: str | None,
    waived: Iterable[Step],
    remaining: Iterable[Step],
    clause: Clause | None = None,
    valid_from: datetime.date | None = None,
    valid_until: datetime.date | None = None,
    replaces: RecognitionRule | None = None,
) -> dict[str, list[str]]:
    """What is wrong with a rule, as {field: [message for staff]}; empty if nothing."""
    errors: dict[str, list[str]] = {}
    period_problems(
        errors,
        RecognitionRule,
        pk=pk,
        notice=notice,
        pair={"held": held, "target": target} if held is not None and target is not None else None,
        publication=publication,
        clause=clause,
        valid_from=valid_from,
        valid_until=valid_until,
        replaces=replaces,
    )
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
    others = RecognitionRule.objects.exclude(pk=pk) if pk else RecognitionRule.objects.all()
    others = others.select_related("held", "target")
    if notice is not None and serial is not None:
        clash = others.filter(notice=notice, serial=serial).first()
        if clash:
            errors.setdefault("serial", []).append(
                f"通知 {notice} 中已有序号为 {serial} 的规则({clash.held} → {clash.target})。"
                "同一通知中每条规则的序号不能重复,请换一个序号。"
            )
    if notice is not None and held is not None and target is not None and publication == Publication.PUBLISHED:
        clash = others.filter(notice=notice, held=held, target=target, publication=Publication.PUBLISHED).first()
        if clash:
            errors.setdefault("publication", []).append(
                f"通知 {notice} 中已有一条已发布的“{held} → {target}”规则(序号 {clash.serial})。"
                "同一对证书在一份通知中只能有一条已发布的规则:请先把那一条设为草稿,或把这一条保存为草稿。"
            )
    return errors


def clause_message(notice: Notice, clause: Clause) -> str:
    choices = "、".join(c.label or c.anchor for c in notice.clauses.all()) if notice.pk else ""
    return (
        f"依据条款“{clause}”是通知 {clause.notice} 的条款,不是本条所属通知 {notice} 的。"
        f"依据条款只能选本通知自己的条款{':' + choices if choices else ''}。"
    )


def period_problems(
    errors: dict[str, list[str]],
    model,
    *,
    pk: int | None,
    notice: Notice | None,
    pair: dict | None,
    publication: str | None,
    clause: Clause | None,
    valid_from: datetime.date | None,
    valid_until: datetime.date | None,
    replaces=None,
) -> None:
    """The checks a rule and a level equivalence share: its own notice's clause, no overlap with another notice.

    A published row may not state something for the same pair on a day and
    in a region where another published row (of another notice) already
    does, unless one replaces the other.
    """
    if notice is not None and clause is not None and clause.notice_id != notice.pk:
        errors.setdefault("clause", []).append(clause_message(notice, clause))
    if (
        publication == Publication.PUBLISHED
        and notice is not None
        and pair is not None
        and valid_from is not None
        and (valid_until is None or valid_until >= valid_from)
    ):
        rivals = rival_replacements(
            model, pk=pk, notice=notice, replaces=replaces, valid_from=valid_from, valid_until=valid_until
        )
        if rivals:
            errors.setdefault("replaces", []).append(rival_message(replaces, rivals))
        rows = overlapping_rows(
            model,
            pk=pk,
            notice=notice,
            pair=pair,
            valid_from=valid_from,
            valid_until=valid_until,
            replaces=replaces,
        )
        rows = [row for row in rows if row not in rivals]
        if rows:
            errors.setdefault("replaces", []).append(overlap_message(rows))


def level_problems(
    *,
    pk: int | None,
    notice: Notice | None,
    certificate: Certificate | None,
    occupation,
    publication: str | None,
    clause: Clause | None = None,
    valid_from: datetime.date | None = None,
    valid_until: datetime.date | None = None,
    replaces: LevelEquivalence | None = None,
) -> dict[str, list[str]]:
    """What is wrong with a level equivalence, as {field: [message for staff]}; empty if nothing."""
    errors: dict[str, list[str]] = {}
    period_problems(
        errors,
        LevelEquivalence,
        pk=pk,
        notice=notice,
        pair={"certificate": certificate, "occupation": occupation}
        if certificate is not None and occupation is not None
        else None,
        publication=publication,
        clause=clause,
        valid_from=valid_from,
        valid_until=valid_until,
        replaces=replaces,
    )
    if publication == Publication.PUBLISHED and notice and certificate and occupation:
        clash = (
            LevelEquivalence.objects.exclude(pk=pk)
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


def _related(row, name: str):
    """A foreign key of a row that may not be saved or complete yet: None where it is not set."""
    return getattr(row, name) if getattr(row, f"{name}_id") else None


def problems_of_rule(rule: RecognitionRule, waived: Iterable[Step], remaining: Iterable[Step]) -> dict[str, list[str]]:
    """rule_problems for a rule as it stands (saved or not), its steps given: the admin, the import, packages."""
    return rule_problems(
        pk=rule.pk,
        notice=_related(rule, "notice"),
        serial=rule.serial,
        held=_related(rule, "held"),
        target=_related(rule, "target"),
        publication=rule.publication,
        waived=waived,
        remaining=remaining,
        clause=_related(rule, "clause"),
        valid_from=rule.valid_from,
        valid_until=rule.valid_until,
        replaces=_related(rule, "replaces"),
    )


def problems_of_level(level: LevelEquivalence) -> dict[str, list[str]]:
    """level_problems for a level equivalence as it stands (saved or not): the admin and packages."""
    return level_problems(
        pk=level.pk,
        notice=_related(level, "notice"),
        certificate=_related(level, "certificate"),
        occupation=_related(level, "occupation"),
        publication=level.publication,
        clause=_related(level, "clause"),
        valid_from=level.valid_from,
        valid_until=level.valid_until,
        replaces=_related(level, "replaces"),
    )


def notice_publication_problems(notice: Notice) -> list[str]:
    """Publishing a notice: its published rows must not overlap published rows of other published notices."""
    rows = (
        (
            RecognitionRule,
            notice.rules.select_related("held", "target", "replaces"),
            lambda rule: {"held": rule.held, "target": rule.target},
            lambda rule: f"序号{rule.serial}",
        ),
        (
            LevelEquivalence,
            notice.level_equivalences.select_related("certificate", "occupation", "replaces"),
            lambda level: {"certificate": level.certificate, "occupation": level.occupation},
            str,
        ),
    )
    problems = []
    for model, queryset, pair, name in rows:
        for row in queryset.filter(publication=Publication.PUBLISHED):
            errors: dict[str, list[str]] = {}
            period_problems(
                errors,
                model,
                pk=row.pk,
                notice=notice,
                pair=pair(row),
                publication=row.publication,
                clause=None,
                valid_from=row.valid_from,
                valid_until=row.valid_until,
                replaces=row.replaces,
            )
            problems += [f"{name(row)}:{message}" for messages in errors.values() for message in messages]
    return problems


class NoticeForm(forms.ModelForm):
    """The admin builds the fields (with its URL field settings); this adds the check on publishing."""

    def clean(self):
        data = super().clean()
        if self.instance.pk and data.get("publication") == Publication.PUBLISHED:
            for problem in notice_publication_problems(self.instance):
                self.add_error("publication", problem)
        return data


def add_problems(form: forms.ModelForm, problems: dict[str, list[str]]) -> None:
    for name, messages in problems.items():
        if name in form.errors:  # already refused, e.g. an unknown choice
            continue
        for message in messages:
            form.add_error(name if name in form.fields else None, message)


class StepCheckboxes(forms.CheckboxSelectMultiple):
    """Every certificate's steps, grouped by certificate, each box tagged with its certificate.

    A small script (recognition/admin/rule-steps.js) shows only the boxes of
    the chosen target certificate (and any box already ticked); without
    JavaScript every group shows, labelled, and the form still refuses a step
    of another certificate.
    """

    option_template_name = "recognition/widgets/step_option.html"  # each box links to where its wording is edited

    class Media:
        js = ["recognition/admin/rule-steps.js"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.certificate_of: dict[str, int] = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        certificate = self.certificate_of.get(str(value))
        if certificate is not None:
            option["attrs"]["data-certificate"] = str(certificate)
            option["edit_url"] = reverse("admin:recognition_step_change", args=[value])
        return option


class StepChoiceField(forms.ModelMultipleChoiceField):
    widget = StepCheckboxes

    def __init__(self, **kwargs):
        super().__init__(queryset=Step.objects.all(), **kwargs)

    def label_from_instance(self, step: Step) -> str:
        return step_label(step)

    def group_by_certificate(self, first: int | None) -> None:
        steps = list(Step.objects.select_related("certificate").order_by("certificate__order", "certificate", "order"))
        groups: dict[Certificate, list] = {}
        for step in steps:
            groups.setdefault(step.certificate, []).append((step.pk, step_label(step)))
        ordered = sorted(groups.items(), key=lambda item: item[0].pk != first)
        self.widget.choices = [(f"{cert.name}的环节", options) for cert, options in ordered]
        self.widget.certificate_of = {str(step.pk): step.certificate_id for step in steps}


def chosen_pk(form: forms.ModelForm, name: str) -> int | None:
    """The primary key chosen for a foreign key: the submitted one, else the saved one."""
    if form.is_bound:
        value = form.data.get(form.add_prefix(name))
        return int(value) if value and str(value).isdigit() else None
    value = form.initial.get(name)
    if value is None:
        value = getattr(form.instance, f"{name}_id", None)
    return value.pk if hasattr(value, "pk") else value


def narrow_clauses(form: forms.ModelForm) -> None:
    notice = chosen_pk(form, "notice")
    if notice is None and Notice.objects.count() == 1:
        notice = Notice.objects.get().pk
    if notice is not None and "clause" in form.fields:
        field = form.fields["clause"]
        field.queryset = Clause.objects.filter(notice=notice).select_related("notice")
        field.error_messages["invalid_choice"] = (
            "依据条款只能是本条所属通知自己的条款。列表只列出所选通知的条款;"
            "换了通知时,请先保存,再从新通知的条款中选择。"
        )


def next_serial(notice: Notice) -> int:
    serials = RecognitionRule.objects.filter(notice=notice).values_list("serial", flat=True)
    return max(serials, default=0) + 1


def narrow_replaces(form: forms.ModelForm, rows) -> None:
    """Offer rows of other notices only, each named with its notice."""
    if "replaces" not in form.fields:
        return
    notice = chosen_pk(form, "notice")
    field = form.fields["replaces"]
    field.queryset = (rows.exclude(notice=notice) if notice else rows).order_by("notice__issued_on", "pk")
    field.label_from_instance = lambda row: f"{row.notice} {row}"


class RecognitionRuleForm(forms.ModelForm):
    waived = StepChoiceField(label="免予的环节", help_text="只能选申请证书自己的环节。")
    remaining = StepChoiceField(
        label="仍须参加的环节", required=False, help_text="只能选申请证书自己的环节;不能与免予的环节重复。"
    )

    class Meta:
        model = RecognitionRule
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        target = chosen_pk(self, "target")
        for name in ("waived", "remaining"):
            self.fields[name].group_by_certificate(first=target)
        narrow_clauses(self)
        narrow_replaces(self, RecognitionRule.objects.select_related("notice", "held", "target"))
        self.number_serial()

    def chosen_notice(self) -> Notice | None:
        notice = chosen_pk(self, "notice")
        if notice is None and not self.is_bound and Notice.objects.count() == 1:
            return Notice.objects.get()
        return Notice.objects.filter(pk=notice).first() if notice else None

    def number_serial(self) -> None:
        """序号, or 附件序号 when the notice has an attachment; a new rule gets the next number."""
        if "serial" not in self.fields:
            return
        field = self.fields["serial"]
        field.required = False
        field.help_text = "留空则自动取本通知的下一个序号。"
        notice = self.chosen_notice()
        if notice is not None and notice.attachment_title:
            field.label = "附件序号"
            field.help_text = f"通知附件({notice.attachment_title})中的序号;留空则自动取下一个序号。"
        if notice is not None and self.instance.pk is None and not self.is_bound:
            self.initial.setdefault("serial", next_serial(notice))

    def clean_serial(self):
        serial = self.cleaned_data.get("serial")
        notice = self.cleaned_data.get("notice")
        if serial is None and notice is not None:
            serial = self.instance.serial if self.instance.pk else next_serial(notice)
        return serial

    def clean(self):
        data = super().clean()
        problems = rule_problems(
            pk=self.instance.pk,
            notice=data.get("notice"),
            serial=data.get("serial"),
            held=data.get("held"),
            target=data.get("target"),
            publication=data.get("publication"),
            waived=data.get("waived") or (),
            remaining=data.get("remaining") or (),
            clause=data.get("clause"),
            valid_from=data.get("valid_from"),
            valid_until=data.get("valid_until"),
            replaces=data.get("replaces"),
        )
        add_problems(self, problems)
        return data


class LevelEquivalenceForm(forms.ModelForm):
    class Meta:
        model = LevelEquivalence
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        narrow_clauses(self)
        narrow_replaces(self, LevelEquivalence.objects.select_related("notice", "certificate", "occupation"))

    def clean(self):
        data = super().clean()
        problems = level_problems(
            pk=self.instance.pk,
            notice=data.get("notice"),
            certificate=data.get("certificate"),
            occupation=data.get("occupation"),
            publication=data.get("publication"),
            clause=data.get("clause"),
            valid_from=data.get("valid_from"),
            valid_until=data.get("valid_until"),
            replaces=data.get("replaces"),
        )
        add_problems(self, problems)
        return data


CHINESE_NUMERALS = "一二三四五六七八九十"


def numeral(numbering: str) -> int | None:
    """一、 -> 1, (十二) -> 12, 3. -> 3; None when there is no number."""
    digits = "".join(ch for ch in numbering if ch.isdigit())
    if digits:
        return int(digits)
    chars = [ch for ch in numbering if ch in CHINESE_NUMERALS]
    if not chars:
        return None
    values = [CHINESE_NUMERALS.index(ch) + 1 for ch in chars]
    if 10 not in values:
        return values[0]
    tens, _, units = "".join(chars).partition("十")
    return (CHINESE_NUMERALS.index(tens) + 1 if tens else 1) * 10 + (CHINESE_NUMERALS.index(units) + 1 if units else 0)


def suggest_anchor(level: int, numbering: str, section: str | None, order: int) -> str:
    """s2 for 二、, s2-1 for its (一); c<order> when the clause has no number."""
    number = numeral(numbering)
    if number is None:
        return f"c{order}"
    if level <= 1 or not section:
        return f"s{number}"
    return f"{section}-{number}"


class ClauseForm(forms.ModelForm):
    class Meta:
        model = Clause
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, help_text in (
            ("order", "留空则排在最后"),
            ("anchor", "留空则按编号自动生成,例如 二、(一) 为 s2-1"),
        ):
            if name in self.fields:
                self.fields[name].required = False
                self.fields[name].help_text = help_text


class ClauseInlineFormSet(forms.BaseInlineFormSet):
    """A notice's clauses: a blank order or anchor is filled in, in reading order (staff may change them)."""

    def clean(self):
        super().clean()
        forms_ = [form for form in self.forms if form.has_changed() or form.instance.pk]
        forms_ = [form for form in forms_ if not (self.can_delete and self._should_delete_form(form))]
        forms_ = [form for form in forms_ if not form.errors]
        orders = [form.cleaned_data.get("order") for form in forms_]
        highest = max((order for order in orders if order is not None), default=0)
        for form in forms_:
            if form.cleaned_data.get("order") is None:
                highest = (highest // 10 + 1) * 10
                form.cleaned_data["order"] = form.instance.order = highest
        taken = {form.cleaned_data.get("anchor") for form in forms_} - {None, ""}
        section = None
        for form in sorted(forms_, key=lambda f: f.cleaned_data["order"]):
            data = form.cleaned_data
            level, numbering = data.get("level") or 1, data.get("numbering") or ""
            if not data.get("anchor"):
                anchor = base = suggest_anchor(level, numbering, section, data["order"])
                suffix = 2
                while anchor in taken:
                    anchor, suffix = f"{base}-{suffix}", suffix + 1
                taken.add(anchor)
                data["anchor"] = form.instance.anchor = anchor
            if level <= 1 and numeral(numbering) is not None:
                section = data["anchor"]


class StepInlineFormSet(forms.BaseInlineFormSet):
    """A certificate's steps: refuse to delete one that a rule still uses."""

    def clean(self):
        super().clean()
        problems = []
        for form in self.deleted_forms:
            step = form.instance
            if step.pk is None:
                continue
            rules = list(rules_using_steps([step]))
            if rules:
                problems.append(step_in_use_message(step, rules))
        if problems:
            raise ValidationError(problems)
