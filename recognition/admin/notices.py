"""Notices and their clauses, published like rules; a notice also comes and goes as a file (package_import)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html

from recognition.admin.base import PublicationActions, StaffAdmin, notice_preview_url, preview_url
from recognition.admin.package_import import NoticeFiles
from recognition.models import Clause, Notice
from recognition.rules import checks
from recognition.staff import forms


class ClauseInline(admin.StackedInline):
    model = Clause
    form = forms.ClauseForm
    formset = forms.ClauseInlineFormSet
    extra = 0
    fields = [("order", "level"), ("numbering", "heading", "anchor", "label"), "text"]


@admin.register(Notice)
class NoticeAdmin(NoticeFiles, PublicationActions, StaffAdmin):
    form = forms.NoticeForm
    list_display = [
        "number",
        "short_title",
        "issued_on",
        "in_force",
        "scope_list",
        "publication",
        "rule_count",
        "preview",
    ]
    list_filter = ["publication"]
    search_fields = ["number", "title", "short_title", "slug"]
    inlines = [ClauseInline]
    filter_horizontal = ["scope"]
    fieldsets = [
        (None, {"fields": ["number", "slug", "title", "short_title", "publication"]}),
        ("发文", {"fields": ["issuers", "addressees", "issued_on"]}),
        ("适用", {"fields": ["scope", ("in_force_from", "ends_on"), "replaces", "status_note"]}),
        ("来源", {"fields": ["source_name", "source_url", "attachment_title"]}),
    ]

    def publication_problems(self, notice: Notice) -> list[str]:
        return checks.notice_publication_problems(notice)

    @admin.display(description="施行日期", ordering="in_force_from")
    def in_force(self, notice: Notice) -> str:
        return str(notice.in_force_from) if notice.in_force_from else "自印发之日起"

    @admin.display(description="适用地区")
    def scope_list(self, notice: Notice) -> str:
        return "、".join(province.name for province in notice.scope.all()) or "全国"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(rule_total=Count("rules")).prefetch_related("scope")

    @admin.display(description="规则数", ordering="rule_total")
    def rule_count(self, notice: Notice) -> int:
        return notice.rule_total

    @admin.display(description="预览")
    def preview(self, notice: Notice) -> str:
        return format_html('<a href="{}">在网站上预览</a>', notice_preview_url(notice))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        notice = self.get_object(request, object_id)
        url = notice_preview_url(notice) if notice is not None else preview_url()
        extra_context = {"preview_url": url, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context)

    actions = [*PublicationActions.actions, "export_package"]  # export_package: see NoticeFiles
