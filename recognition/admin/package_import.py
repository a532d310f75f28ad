"""A notice as a file (recognition.notice_files.packages): import with a preview, export as JSON.

Upload a package, see every change it makes (or every reason it is refused),
then confirm; the confirmation posts the same text back, so nothing waits on
the server between the two steps.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from recognition.admin.base import published_within
from recognition.models import Notice
from recognition.notice_files import packages


class NoticeFiles:
    """For NoticeAdmin: the import page (its URL, permission and changelist link) and the export action."""

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
