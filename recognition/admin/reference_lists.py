"""The small lists the rules point at: departments, occupations, skill levels, provinces and where each
certificate is issued, what is known about a certificate, and where to go next."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Prefetch

from recognition.admin.base import StaffAdmin
from recognition.models import Department, Issuance, NextStep, Occupation, Province, ReferenceFact, SkillLevel


@admin.register(Department)
class DepartmentAdmin(StaffAdmin):
    list_display = ["name", "ministry", "slug", "order"]
    list_editable = ["order"]
    search_fields = ["name", "ministry", "slug"]


@admin.register(Occupation)
class OccupationAdmin(StaffAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(SkillLevel)
class SkillLevelAdmin(StaffAdmin):
    list_display = ["number", "label", "title"]


# Where each certificate is issued.


class IssuanceInline(admin.TabularInline):
    model = Issuance
    extra = 0
    fields = ["certificate", "status", "source"]


@admin.register(Province)
class ProvinceAdmin(StaffAdmin):
    list_display = ["name", "code", "issued_list", "order"]
    search_fields = ["name", "code"]
    inlines = [IssuanceInline]

    def get_queryset(self, request):
        issued = Issuance.objects.filter(status=Issuance.Status.ISSUED).select_related("certificate")
        return super().get_queryset(request).prefetch_related(Prefetch("issuances", queryset=issued, to_attr="issued"))

    @admin.display(description="颁发的证书")
    def issued_list(self, province: Province) -> str:
        return "、".join(str(issuance.certificate) for issuance in province.issued) or "—"


@admin.register(Issuance)
class IssuanceAdmin(StaffAdmin):
    list_display = ["province", "certificate", "status", "source"]
    list_editable = ["status", "source"]
    list_filter = ["certificate", "status", "province"]
    search_fields = ["province__name", "province__code", "certificate__name", "certificate__short_name", "source"]
    list_select_related = ["province", "certificate"]
    list_per_page = 200


@admin.register(ReferenceFact)
class ReferenceFactAdmin(StaffAdmin):
    list_display = ["certificate", "topic", "confidence", "source", "order"]
    list_filter = ["certificate", "confidence"]
    search_fields = ["topic", "text", "source", "certificate__name", "certificate__short_name"]
    list_select_related = ["certificate"]


@admin.register(NextStep)
class NextStepAdmin(StaffAdmin):
    list_display = ["department", "region", "office_name", "phone", "online_name", "confidence", "order"]
    list_filter = ["department", "confidence", ("province", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["office_name", "address", "phone", "online_name", "source", "province__name"]
    list_select_related = ["department", "province"]
    fieldsets = [
        (None, {"fields": ["department", "province", "order"]}),
        ("办理地点", {"fields": ["office_name", "address", "opening_hours", "phone"]}),
        ("网上办理", {"fields": ["online_name", "online_url"]}),
        ("办理须知", {"fields": ["what_to_bring", "verify_text", "verify_url"]}),
        ("来源", {"fields": ["source", "confidence"], "description": "只公开可信度中、高的信息;不填未核实的地址。"}),
    ]

    @admin.display(description="地区", ordering="province__order")
    def region(self, step: NextStep) -> str:
        return step.province.name if step.province_id else "全国"
