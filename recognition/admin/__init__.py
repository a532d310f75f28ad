"""The admin: staff of a 人社 department keep the rules current, in Chinese.

Every model has history and restore (django-reversion, see recognition.history).
Rules are checked by recognition.rules.checks, here and in the import.
"""

from __future__ import annotations

import contextlib
import datetime
import re
from urllib.parse import urlencode

import reversion
from django.apps import apps
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied, SuspiciousOperation, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.text import capfirst
from import_export.admin import ImportExportMixin
from import_export.forms import ExportForm, ImportForm
from reversion.admin import VersionAdmin
from reversion.models import Version

from recognition import history
from recognition.models import (
    Certificate,
    Clause,
    Condition,
    Department,
    Issuance,
    LevelEquivalence,
    NextStep,
    Notice,
    Occupation,
    Province,
    Publication,
    RecognitionRule,
    ReferenceFact,
    SkillLevel,
    Step,
)
from recognition.notice_files import packages
from recognition.rules import checks
from recognition.rules.delete_guards import rules_using_steps
from recognition.staff import forms
from recognition.staff.resources import RecognitionRuleResource
from recognition.staff.uploads import ImportLimitError, LimitedCSV, LimitedXLSX, UploadStorage, check_size, limits_text


def admin_link(obj) -> str:
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)])
    return format_html('{}: <a href="{}">{}</a>', capfirst(opts.verbose_name), url, obj)  # as Django lists them


def clause_name(clause: Clause) -> str:
    """A clause as staff know it: its label as a reader cites it (一、(二)) and its heading, or its first words."""
    label = f"{clause.label or clause.numbering} {clause.heading}".strip()
    if label:
        return label
    words = " ".join(clause.text.split())
    return f"“{words[:20]}…”" if len(words) > 20 else f"“{words}”" if words else clause.anchor


def preview_url(held: Certificate | None = None) -> str:
    url = reverse("preview")
    return f"{url}?{urlencode({'held': held.slug})}" if held else url


def notice_preview_url(notice: Notice) -> str:
    """The notice's own page with drafts: its clauses and the rules resting on each."""
    return reverse("preview_notice_detail", args=[notice.slug]) if notice.slug else preview_url()


def through_models() -> dict[str, tuple]:
    """Django's many-to-many link rows (shown as "Recognitionrule-step关系: RecognitionRule_waived object (10)"),
    by their class name, with their field."""
    found = {}
    for model in apps.get_app_config("recognition").get_models():
        for field in model._meta.many_to_many:
            through = field.remote_field.through
            if through._meta.auto_created:
                found[through._meta.object_name] = (through, field)
    return found


def readable_links(items):
    """The delete page's list, with link rows said as staff know them ("免予的环节:序号4 … → 安全作业培训")."""
    links = through_models()
    result = []
    for item in items:
        if isinstance(item, list):
            result.append(readable_links(item))
            continue
        match = re.fullmatch(r".*: (\w+) object \((\d+)\)", str(item))
        if match and match.group(1) in links:
            through, field = links[match.group(1)]
            row = through.objects.filter(pk=match.group(2)).first()
            if row is not None:
                source = getattr(row, field.m2m_field_name())
                target = getattr(row, field.m2m_reverse_field_name())
                item = f"{capfirst(field.verbose_name)}:{source} → {getattr(target, 'name', target)}"
        result.append(item)
    return result


def readable_counts(counts: dict) -> dict:
    """Both link tables are called "Recognitionrule-step关系" by Django; say "免予的环节和仍须参加的环节"."""
    names: dict[str, list[str]] = {}
    for through, field in through_models().values():
        names.setdefault(str(through._meta.verbose_name_plural), []).append(str(field.verbose_name))
    return {("和".join(names[name]) if name in names else name): count for name, count in counts.items()}


class StaffAdmin(VersionAdmin):
    """History and restore for every model, one revision per object changed."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and db_field.related_model is Clause:
            field.label_from_instance = clause_name
        return field

    history_latest_first = True
    list_per_page = 100
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # Django 6's default, now

    def keep_baseline(self, request) -> None:
        """Before a write, save a first version of what has none (see recognition.history)."""
        if request.method == "POST" and (self.has_change_permission(request) or self.has_add_permission(request)):
            history.ensure_baseline(request.user)

    def add_view(self, request, form_url="", extra_context=None):
        self.keep_baseline(request)
        return super().add_view(request, form_url, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self.keep_baseline(request)
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        # Not VersionAdmin's: it wraps every action in one revision, and
        # restoring one object would then rewind all the others it touched.
        self.keep_baseline(request)
        context = {"has_change_permission": self.has_change_permission(request), **(extra_context or {})}
        return admin.ModelAdmin.changelist_view(self, request, context)

    def save_model(self, request, obj, form, change):
        if reversion.is_active():
            super().save_model(request, obj, form, change)
            return
        with reversion.create_revision():  # list_editable saves: no revision is open
            reversion.set_user(request.user)
            reversion.set_comment("在列表页修改")
            super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        with transaction.atomic():
            history.save_revisions([obj], request.user, "删除前的最后版本")
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            history.save_revisions(queryset, request.user, "删除前的最后版本")
            super().delete_queryset(request, queryset)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        also = [admin_link(obj) for obj in self.also_protected_by(objs)]
        deleted, counts = readable_links(deleted), readable_counts(counts)
        return deleted, counts, perms_needed, list(dict.fromkeys([*protected, *also]))

    def also_protected_by(self, objs) -> list:
        """Objects that a delete would change silently (many-to-many), so refuse it like PROTECT."""
        return []

    object_history_template = "admin/recognition/object_history.html"

    def history_view(self, request, object_id, extra_context=None):
        """Each version says what it changed: field, old value → new value."""
        response = super().history_view(request, object_id, extra_context)
        actions = getattr(response, "context_data", {}).get("action_list") or []
        if actions:
            versions = list(
                Version.objects.get_for_object_reference(self.model, unquote(object_id))
                .select_related("revision", "content_type")
                .prefetch_related("revision__version_set__content_type")
                .order_by("-pk")
            )
            by_url = {}
            for newer, older in zip(versions, [*versions[1:], None], strict=True):
                by_url[f"/{newer.pk}/"] = history.changes(newer, older)
            for action in actions:
                action["changes"] = next((found for end, found in by_url.items() if action["url"].endswith(end)), [])
        return response

    def _restore(self, view, request, *args, **kwargs):
        self.keep_baseline(request)
        try:
            return view(request, *args, **kwargs)
        except IntegrityError:
            messages.error(
                request,
                "无法恢复这个版本:它与现在的数据冲突(例如同一通知中已有相同的序号,"
                "或同一对证书已有一条已发布的规则)。请先修改或设为草稿那条冲突的规则,再恢复。",
            )
            opts = self.model._meta
            return redirect(f"admin:{opts.app_label}_{opts.model_name}_changelist")

    def revision_view(self, request, object_id, version_id, extra_context=None):
        return self._restore(super().revision_view, request, object_id, version_id, extra_context)

    def recover_view(self, request, version_id, extra_context=None):
        return self._restore(super().recover_view, request, version_id, extra_context)


def published_within() -> str:
    """When every app server answers with a change: within the version check's bound (recognition.rules.snapshot)."""
    bound = settings.RULES_VERSION_CHECK_INTERVAL
    return f"网站和接口的每台服务器在 {bound:g} 秒内按新数据回答。" if bound else "网站和接口立即按新数据回答。"


class PublicationActions:
    """Publish / set to draft, one save() per object so that the data version changes and history records it."""

    actions = ["publish", "make_draft"]

    def publication_problems(self, obj) -> list[str]:
        return []

    @admin.action(description="发布", permissions=["change"])
    def publish(self, request: HttpRequest, queryset) -> None:
        self.set_publication(request, queryset, Publication.PUBLISHED)

    @admin.action(description="设为草稿", permissions=["change"])
    def make_draft(self, request: HttpRequest, queryset) -> None:
        self.set_publication(request, queryset, Publication.DRAFT)

    def set_publication(self, request: HttpRequest, queryset, state: str) -> None:
        verb = "发布" if state == Publication.PUBLISHED else "设为草稿"
        done, refused = [], []
        for obj in queryset:
            if obj.publication == state:
                continue
            obj.publication = state
            problems = self.publication_problems(obj) if state == Publication.PUBLISHED else []
            if problems:
                refused.append(f"“{obj}”未能{verb}:{' '.join(problems)}")
                continue
            try:
                with reversion.create_revision():
                    reversion.set_user(request.user)
                    reversion.set_comment(verb)
                    obj.save(update_fields=["publication"])
            except IntegrityError:  # another user published a clashing rule a moment ago
                refused.append(f"“{obj}”未能{verb}:与刚刚发布的另一条规则冲突,请刷新后再试。")
                continue
            self.log_change(request, obj, verb)
            done.append(obj)
        if done:
            names = "、".join(map(str, done))
            messages.success(request, f"已{verb} {len(done)} 项:{names}。{published_within()}")
        elif not refused:
            messages.info(request, f"所选的各项已经是{Publication(state).label}状态,没有变化。")
        for message in refused:
            messages.error(request, message)
        notices = {obj.notice for obj in done if isinstance(obj, RecognitionRule | LevelEquivalence)}
        drafts = {notice for notice in notices if notice.publication != Publication.PUBLISHED}
        if state == Publication.PUBLISHED and drafts:
            messages.warning(
                request, f"注意:通知 {'、'.join(map(str, drafts))} 还是草稿,其中的规则要等通知发布后才会公开。"
            )


# Notices and their clauses.


class ClauseInline(admin.StackedInline):
    model = Clause
    form = forms.ClauseForm
    formset = forms.ClauseInlineFormSet
    extra = 0
    fields = [("order", "level"), ("numbering", "heading", "anchor", "label"), "text"]


@admin.register(Notice)
class NoticeAdmin(PublicationActions, StaffAdmin):
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

    # A notice as a file (recognition.notice_files.packages): import with a preview, export as JSON.

    actions = [*PublicationActions.actions, "export_package"]
    change_list_template = "admin/recognition/notice/change_list.html"  # reversion's, with the import link

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_import_package"
        extra = [path("import-package/", self.admin_site.admin_view(self.import_package_view), name=name)]
        return extra + super().get_urls()

    def has_import_permission(self, request) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {"may_import_package": self.has_import_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    @admin.action(description="导出为通知文件(JSON)", permissions=["view"])
    def export_package(self, request: HttpRequest, queryset):
        if queryset.count() != 1:
            messages.error(request, "请只选择一份通知导出:每个文件是一份通知。")
            return None
        notice = queryset.get()
        response = HttpResponse(packages.dumps(notice), content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{notice.slug}.json"'
        return response

    def import_package_view(self, request: HttpRequest):
        """Upload a package, see every change (or every reason it is refused), then confirm."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "从文件导入通知",
            "replace": bool(request.POST.get("replace")),
        }
        if request.method == "POST":
            confirmed = "confirm" in request.POST
            try:
                text = request.POST.get("package", "") if confirmed else self.uploaded_text(request)
                data = packages.parse(text)
                if confirmed:
                    result = packages.load(
                        data, replace=context["replace"], user=request.user, history_comment="从通知文件导入"
                    )
                    if result.action != "unchanged":
                        notice = Notice.objects.get(number=result.number)
                        self.log_change(request, notice, f"从通知文件导入({len(result.changes)} 项变化)")
                    messages.success(request, self.outcome(result))
                    return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
                context.update(result=packages.load(data, replace=context["replace"], dry_run=True), package=text)
            except packages.PackageError as error:
                context["problems"] = error.problems
        return TemplateResponse(request, "admin/recognition/notice/import_package.html", context)

    @staticmethod
    def uploaded_text(request: HttpRequest) -> str:
        upload = request.FILES.get("package_file")
        if upload is None:
            raise packages.PackageError(["请选择一个通知文件(.json)。"])
        if upload.size > packages.MAX_BYTES:
            raise packages.PackageError([f"文件太大:一份通知的文件不应超过 {packages.MAX_BYTES // 1024} KB。"])
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise packages.PackageError(["文件不是 UTF-8 编码的文本。请另存为 UTF-8 后再上传。"]) from None

    @staticmethod
    def outcome(result: packages.Result) -> str:
        if result.action == "unchanged":
            return f"{result.number} 与文件完全相同,没有任何变化。"
        verb = "导入" if result.action == "created" else "按文件替换了"
        return f"已{verb} {result.number}({len(result.changes)} 项变化)。{published_within()}"


# Reference lists.


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


# Certificates, their steps and what is known about them.


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


# Rules.


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


class LimitedImportForm(ImportForm):
    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        try:
            check_size(upload.size)
        except ImportLimitError as error:
            raise ValidationError(str(error)) from None
        return upload


class RuleImportExport(ImportExportMixin):
    resource_classes = [RecognitionRuleResource]
    formats = [LimitedCSV, LimitedXLSX]
    import_form_class = LimitedImportForm
    import_template_name = "admin/recognition/recognitionrule/import.html"
    to_encoding = "utf-8-sig"  # Excel opens a CSV with a BOM as UTF-8
    export_form_class = ExportForm  # always the whole matrix, so that it imports back as it was

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_export_filename(self, request, queryset, file_format):
        return f"互认规则-{timezone.localdate():%Y-%m-%d}.{file_format.get_extension()}"

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        response = super()._do_file_export(file_format, request, queryset, export_form)
        # A Chinese file name needs RFC 6266's filename*, which the library does not write.
        filename = self.get_export_filename(request, queryset, file_format)
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
        return response

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        kwargs["rollback_on_validation_errors"] = True  # one refused row: nothing is written
        return kwargs

    def get_import_context_data(self, **kwargs):
        return {**super().get_import_context_data(**kwargs), "import_limits": limits_text()}

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        # Keep the upload only while a preview waits for 确认导入; a refused file is removed at once.
        upload = request.FILES.get("import_file")
        name = getattr(upload, "tmp_storage_name", None)
        waiting = getattr(response, "context_data", None) and response.context_data.get("confirm_form")
        if name and not waiting:
            self.forget_upload(name)
        return response

    def process_import(self, request, **kwargs):
        if self.has_import_permission(request):
            history.ensure_baseline(request.user)
        try:
            return super().process_import(request, **kwargs)
        finally:  # confirmed or refused, the upload is no longer needed
            name = request.POST.get("import_file_name", "")
            if self.has_import_permission(request) and name:
                self.forget_upload(name)

    def forget_upload(self, name: str) -> None:
        storage = self.get_tmp_storage_class()(name=name, **self.get_tmp_storage_class_kwargs())
        if isinstance(storage, UploadStorage):
            with contextlib.suppress(SuspiciousOperation):
                storage.remove()
        else:
            storage.remove()

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # The data changed between the preview and the confirmation.
            messages.error(
                request, "导入没有完成,没有写入任何数据:有的行不能通过检查。请重新上传文件,按预览中的提示修改。"
            )
            return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")
        return super().process_result(result, request)

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, ImportLimitError):
            form.add_error("import_file", str(e))
            return
        form.add_error(
            "import_file",
            "无法读取这个文件。请确认选择的格式与文件一致;CSV 文件须为 UTF-8 编码"
            "(在 Excel 中“另存为”时选择“CSV UTF-8”),或直接上传 Excel(xlsx)文件。",
        )


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
