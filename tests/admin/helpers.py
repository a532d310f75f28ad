"""Shared by the admin tests: form posts as a browser sends them, and lookups."""

from __future__ import annotations

import json

import tablib
from django.core.files.uploadedfile import SimpleUploadedFile

from recognition.models import (
    Certificate,
    Clause,
    DataVersion,
    Department,
    Notice,
    Publication,
    RecognitionRule,
    Step,
)
from recognition.staff.resources import RecognitionRuleResource

RULES = "/admin/recognition/recognitionrule/"
CSV_FORMAT, XLSX_FORMAT = "0", "1"


def rule_at(serial: int) -> RecognitionRule:
    return RecognitionRule.objects.get(notice__number="人社厅发〔2026〕1号", serial=serial)


def steps(certificate_slug: str, *names: str) -> list[int]:
    return [Step.objects.get(certificate__slug=certificate_slug, name=name).pk for name in names]


def rule_data(rule: RecognitionRule, **changes) -> dict:
    """The admin change form's POST for a rule, as the browser would send it, with changes."""
    conditions = list(rule.conditions.all())
    data = {
        "notice": rule.notice_id,
        "serial": rule.serial,
        "held": rule.held_id,
        "target": rule.target_id,
        "publication": rule.publication,
        "waived": [step.pk for step in rule.waived.all()],
        "remaining": [step.pk for step in rule.remaining.all()],
        "apply_to": rule.apply_to_id,
        "apply_to_detail": rule.apply_to_detail,
        "clause": rule.clause_id,
        "quote": rule.quote,
        "valid_from": rule.valid_from.isoformat(),
        "valid_until": rule.valid_until.isoformat() if rule.valid_until else "",
        "conditions-TOTAL_FORMS": len(conditions),
        "conditions-INITIAL_FORMS": len(conditions),
        "conditions-MIN_NUM_FORMS": 0,
        "conditions-MAX_NUM_FORMS": 1000,
    }
    for index, condition in enumerate(conditions):
        prefix = f"conditions-{index}-"
        data |= {
            prefix + "id": condition.pk,
            prefix + "rule": rule.pk,
            prefix + "order": condition.order,
            prefix + "text": condition.text,
            prefix + "kind": condition.kind,
        }
    data.update(changes)
    return data


def new_rule_data(**changes) -> dict:
    """A new draft rule 建筑电工 → 高压电工 (a pair the notice gives no row)."""
    data = {
        "notice": Notice.objects.get().pk,
        "serial": 8,
        "held": Certificate.objects.get(slug="building-electrician").pk,
        "target": Certificate.objects.get(slug="high-voltage-electrician").pk,
        "publication": Publication.DRAFT,
        "waived": steps("high-voltage-electrician", "安全技术培训"),
        "remaining": steps("high-voltage-electrician", "安全技术理论考试", "安全技术实操考试"),
        "apply_to": Department.objects.get(slug="emergency-management").pk,
        "apply_to_detail": "",
        "clause": Clause.objects.get(anchor="s1-1").pk,
        "quote": "(测试用草稿)",
        "valid_from": "2026-01-09",
        "valid_until": "",
        "conditions-TOTAL_FORMS": 0,
        "conditions-INITIAL_FORMS": 0,
        "conditions-MIN_NUM_FORMS": 0,
        "conditions-MAX_NUM_FORMS": 1000,
    }
    data.update(changes)
    return data


def change_form_post(response, delete: dict | None = None) -> dict:
    """The POST a browser sends for an admin change page as rendered, optionally ticking DELETE on inline rows."""
    data = {}
    if response.context.get("edit_version"):  # the version the page was opened at (recognition.admin.edit_versions)
        data["_edit_version"] = response.context["edit_version"]
    form = response.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        data[name] = "" if value is None else value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[f"{formset.prefix}-{name}"] = formset.management_form[name].value()
        for sub in formset.forms:
            for name in sub.fields:
                value = sub[name].value()
                data[sub.add_prefix(name)] = "" if value is None else value
            if delete and delete.get(formset.prefix) == sub.instance:
                data[sub.add_prefix("DELETE")] = "on"
    return {name: value for name, value in data.items() if value is not False}


def errors(response) -> dict:
    """Every error the admin form shows, by field ('__all__' for the form, 'inline' for inlines)."""
    assert response.status_code == 200, response.status_code
    found = dict(response.context["adminform"].form.errors)
    inline = [str(error) for formset in response.context["inline_admin_formsets"] for error in formset.formset.errors]
    inline += [
        str(error) for formset in response.context["inline_admin_formsets"] for error in formset.non_form_errors()
    ]
    if any(inline):
        found["inline"] = inline
    return found


def lookup(client, held: str) -> dict:
    response = client.get(f"/api/v1/lookup?held={held}")
    assert response.status_code == 200
    return json.loads(response.content)


def recognition_to(body: dict, target: str) -> dict:
    return next(item for item in body["recognitions"] if item["target"] == target)


def version() -> int:
    return DataVersion.objects.get().revision


def export_dataset() -> tablib.Dataset:
    return RecognitionRuleResource().export()


def upload(client, content: bytes, name: str, file_format: str):
    return client.post(
        f"{RULES}import/",
        {"format": file_format, "resource": "0", "import_file": SimpleUploadedFile(name, content)},
    )


def confirm(client, preview):
    form = preview.context["confirm_form"]
    return client.post(f"{RULES}process_import/", {name: form.initial.get(name, "") for name in form.fields})


def snapshot_of_rules() -> list:
    return [
        (
            rule.notice_id,
            rule.serial,
            rule.held_id,
            rule.target_id,
            sorted(rule.waived.values_list("pk", flat=True)),
            sorted(rule.remaining.values_list("pk", flat=True)),
            rule.apply_to_id,
            rule.apply_to_detail,
            rule.clause_id,
            rule.quote,
            rule.valid_from,
            rule.valid_until,
            rule.publication,
        )
        for rule in RecognitionRule.objects.order_by("pk")
    ]
