"""Certificates, their steps and what is known about them."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.urls import reverse

from recognition.admin.base import StaffAdmin
from recognition.models import Certificate, ReferenceFact, Step
from recognition.rules.delete_guards import rules_using_steps
from recognition.staff import forms


class StepInline(admin.TabularInline):
    model = Step
    formset = forms.StepInlineFormSet
    extra = 0
    fields = ["order", "name", "kind", "part_of"]


class ReferenceFactInline(admin.StackedInline):
    model = ReferenceFact
    formfield_overrides = StaffAdmin.formfield_overrides
    extra = 0
    fields = [("order", "topic", "confidence"), "text", ("source", "url")]


@admin.register(Certificate)
class CertificateAdmin(StaffAdmin):
    list_display = ["short_name", "name", "department", "occupation", "step_list", "everyday_names", "order"]
    list_filter = ["department", "occupation", "family"]
    search_fields = ["name", "short_name", "everyday_names", "slug", "family"]
    list_select_related = ["department", "occupation"]
    inlines = [StepInline, ReferenceFactInline]
    fieldsets = [
        (None, {"fields": ["name", "short_name", "slug", "everyday_names"]}),
        ("发证", {"fields": ["department", "family", "occupation", "issuance_note", "order"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("steps")

    @admin.display(description="取证环节")
    def step_list(self, certificate: Certificate) -> str:
        return "、".join(step.name for step in certificate.steps.all())

    def also_protected_by(self, objs) -> list:
        return list(rules_using_steps(Step.objects.filter(certificate__in=objs)))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        certificate = self.get_object(request, object_id)
        if certificate is not None:
            url = reverse("preview_certificate", args=[certificate.slug])
            extra_context = {"preview_url": url, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Step)
class StepAdmin(StaffAdmin):
    list_display = ["name", "certificate", "order", "kind", "part_of", "used_by"]
    list_filter = ["certificate", "kind"]
    search_fields = ["name", "part_of", "certificate__name", "certificate__short_name"]
    list_select_related = ["certificate"]

    def get_queryset(self, request):
        uses = Count("waived_by", distinct=True) + Count("remaining_in", distinct=True)
        return super().get_queryset(request).annotate(use_total=uses)

    @admin.display(description="被规则使用", ordering="use_total")
    def used_by(self, step: Step) -> str:
        return f"{step.use_total} 次" if step.use_total else "未使用"

    def also_protected_by(self, objs) -> list:
        return list(rules_using_steps(objs))
