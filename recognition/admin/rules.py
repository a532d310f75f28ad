"""Rules and level equivalences: the rows the site answers from, each resting on a clause of its notice."""

from __future__ import annotations

import datetime

from django.contrib import admin
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.html import format_html

from recognition.admin.base import PublicationActions, StaffAdmin, preview_url
from recognition.admin.rule_spreadsheets import RuleImportExport
from recognition.models import Condition, LevelEquivalence, RecognitionRule, Step
from recognition.rules import checks
from recognition.staff import forms


class ConditionInline(admin.TabularInline):
    model = Condition
    extra = 0
    fields = ["order", "text", "kind"]


def period_text(row) -> str:
    """Both days inclusive, said so: 2026-01-09 起 / 2026-01-09 至 2026-12-31(含)."""
    return f"{row.valid_from} 至 {row.valid_until}(含)" if row.valid_until else f"{row.valid_from} 起"


class ChangingSoonFilter(admin.SimpleListFilter):
    """Staff's list of what is about to change: rows starting or ending within 90 days, and reviews due."""

    title = "近期变化"
    parameter_name = "changing"
    DAYS = 90

    def lookups(self, request, model_admin):
        return [
            ("starting", f"{self.DAYS} 天内开始施行"),
            ("ending", f"{self.DAYS} 天内最后适用"),
            ("review", "待复核(复核日期已到)"),
            ("any", "以上任何一种"),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        soon = today + datetime.timedelta(days=self.DAYS)
        starting = Q(valid_from__gt=today, valid_from__lte=soon)
        ending = Q(valid_until__gte=today, valid_until__lte=soon)
        review = Q(review_due__lte=today)
        wanted = {"starting": starting, "ending": ending, "review": review, "any": starting | ending | review}
        if self.value() in wanted:
            return queryset.filter(wanted[self.value()])
        return queryset


@admin.register(RecognitionRule)
class RecognitionRuleAdmin(RuleImportExport, PublicationActions, StaffAdmin):
    form = forms.RecognitionRuleForm
    inlines = [ConditionInline]
    list_display = [
        "serial",
        "notice_number",
        "held",
        "target",
        "waived_list",
        "remaining_list",
        "apply_to",
        "clause_label",
        "period",
        "publication",
        "preview",
    ]
    list_display_links = ["serial", "held", "target"]
    list_filter = [ChangingSoonFilter, "publication", "notice", "held", "target", "apply_to"]
    search_fields = [
        "held__name",
        "held__short_name",
        "held__everyday_names",
        "target__name",
        "target__short_name",
        "target__everyday_names",
        "quote",
        "conditions__text",
    ]
    list_select_related = ["notice", "held", "target", "apply_to", "clause"]
    ordering = ["notice", "serial"]
    fieldsets = [
        (None, {"fields": ["notice", "serial", ("held", "target"), "publication"]}),
        ("减免", {"fields": ["waived", "remaining"]}),
        ("受理", {"fields": ["apply_to", "apply_to_detail"]}),
        ("依据", {"fields": ["clause", "quote"]}),
        ("适用期间", {"fields": [("valid_from", "valid_until"), "replaces", "review_due"]}),
    ]

    def get_queryset(self, request):
        steps = Step.objects.order_by("order", "pk")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("waived", queryset=steps), Prefetch("remaining", queryset=steps))
        )

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip().isdigit():  # a 序号
            results |= queryset.filter(serial=int(search_term))
        return results, may_have_duplicates

    @admin.display(description="免予")
    def waived_list(self, rule: RecognitionRule) -> str:
        return "、".join(step.name for step in rule.waived.all())

    @admin.display(description="仍须参加")
    def remaining_list(self, rule: RecognitionRule) -> str:
        return "、".join(step.name for step in rule.remaining.all()) or "—"

    @admin.display(description="通知", ordering="notice__issued_on")
    def notice_number(self, rule: RecognitionRule) -> str:
        return rule.notice.number

    @admin.display(description="依据条款", ordering="clause__order")
    def clause_label(self, rule: RecognitionRule) -> str:
        return rule.clause.label or rule.clause.anchor

    @admin.display(description="适用期间", ordering="valid_from")
    def period(self, rule: RecognitionRule) -> str:
        return period_text(rule)

    @admin.display(description="预览")
    def preview(self, rule: RecognitionRule) -> str:
        return format_html('<a href="{}">在网站上预览</a>', preview_url(rule.held))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        rule = self.get_object(request, object_id)
        if rule is not None:
            extra_context = {"preview_url": preview_url(rule.held), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context)

    def publication_problems(self, rule: RecognitionRule) -> list[str]:
        problems = checks.rule_problems(rule, rule.waived.all(), rule.remaining.all())
        return [message for messages_ in problems.values() for message in messages_]


@admin.register(LevelEquivalence)
class LevelEquivalenceAdmin(PublicationActions, StaffAdmin):
    form = forms.LevelEquivalenceForm
    list_display = [
        "certificate",
        "occupation",
        "deemed_level",
        "eligible_level",
        "clause",
        "period",
        "publication",
    ]
    list_filter = [ChangingSoonFilter, "publication", "notice", "occupation", "deemed_level"]

    @admin.display(description="适用期间", ordering="valid_from")
    def period(self, level: LevelEquivalence) -> str:
        return period_text(level)

    search_fields = ["certificate__name", "certificate__short_name", "occupation__name", "quote"]
    list_select_related = ["certificate", "occupation", "deemed_level", "eligible_level", "clause__notice"]
    fieldsets = [
        (None, {"fields": ["notice", "certificate", "occupation", "publication"]}),
        ("等级", {"fields": ["deemed_level", "eligible_level"]}),
        ("依据", {"fields": ["clause", "quote"]}),
        ("适用期间", {"fields": [("valid_from", "valid_until"), "replaces", "review_due"]}),
    ]

    def publication_problems(self, level: LevelEquivalence) -> list[str]:
        problems = checks.level_problems(level)
        return [message for messages_ in problems.values() for message in messages_]
