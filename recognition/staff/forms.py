"""The admin's forms: their widgets and choices, with every check of a row in `recognition.rules.checks`."""

from __future__ import annotations

import copy

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
from recognition.rules.checks import level_problems, notice_publication_problems, rule_problems, step_label
from recognition.rules.clause_numbers import numeral, suggest_anchor
from recognition.rules.delete_guards import rules_using_steps, step_in_use_message


class NoticeForm(forms.ModelForm):
    """The admin builds the fields (with its URL field settings); this adds the check on publishing."""

    def clean(self):
        data = super().clean()
        if self.instance.pk and data.get("publication") == Publication.PUBLISHED:
            for problem in notice_publication_problems(self.instance):
                self.add_error("publication", problem)
        return data


def as_posted(form: forms.ModelForm, data: dict):
    """The form's row as it would be saved: a copy of the instance with the posted values, before any is saved."""
    row = copy.copy(form.instance)
    for field in row._meta.concrete_fields:
        if field.name in data:
            setattr(row, field.name, data[field.name])
    return row


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
        problems = rule_problems(as_posted(self, data), data.get("waived") or (), data.get("remaining") or ())
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
        problems = level_problems(as_posted(self, data))
        add_problems(self, problems)
        return data


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
