"""A notice as a file (recognition.notice_files.packages): import with a preview, export as JSON.

Upload a package, see every change it makes (or every reason it is refused),
then confirm. Between the two the file waits on the server as a spreadsheet
import's does (recognition.staff.uploads: removed once confirmed or refused,
or after an hour); the confirmation form carries only the upload's name and
what the preview showed, sealed with the 替换 option it was shown with
(recognition.admin.preview_marks). The confirmation writes only if none of the
rows the preview showed, or of those that conflict with them, changed since:
otherwise it writes nothing and shows the preview again, marked.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from recognition.admin import preview_marks
from recognition.admin.base import published_within
from recognition.models import Notice
from recognition.notice_files import packages
from recognition.staff import uploads

STALE = "这份预览已失效(它不是为这次上传生成的,或已被改动),没有写入任何数据。请重新上传文件。"
GONE = "上传的文件已不在服务器上(超过一小时没有确认的上传会被清理),没有写入任何数据。请重新上传文件。"


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
        if request.method == "POST" and "confirm" in request.POST:
            return self.confirm_package(request, context)
        if request.method == "POST":
            try:
                content = self.uploaded(request)
                context.update(self.package_preview(packages.parse(content), context["replace"], content=content))
            except packages.PackageError as error:
                context["problems"] = error.problems
        return TemplateResponse(request, "admin/recognition/notice/import_package.html", context)

    @staticmethod
    def package_preview(data: dict, replace: bool, *, content: bytes = b"", name: str = "") -> dict:
        """What loading the package would change, read with the rows it shows; the upload kept (or kept on)
        for its confirmation, unless there is nothing to confirm."""
        with transaction.atomic():  # the rows sealed are the rows the preview read
            state = preview_marks.package_rows(packages.prepare(data))
            result = packages.load(data, replace=replace, dry_run=True)
        if result.action == "unchanged":
            uploads.forget(name)
            return {"result": result}
        name = name or uploads.keep(content)
        return {
            "result": result,
            "upload": name,
            "fingerprint": preview_marks.seal(state, upload=name, replace=replace),
        }

    def confirm_package(self, request: HttpRequest, context: dict):
        name = request.POST.get("upload", "")
        sealed = preview_marks.unseal(request.POST.get("fingerprint"), upload=name)
        content = uploads.kept(name) if sealed else None
        if sealed is None or content is None:
            uploads.forget(name)
            context["problems"] = [STALE if sealed is None else GONE]
            return TemplateResponse(request, "admin/recognition/notice/import_package.html", context)
        context["replace"] = sealed["replace"]
        try:
            data = packages.parse(content)
            with transaction.atomic():  # what is compared is what is written
                found = preview_marks.changes(sealed, preview_marks.package_rows(packages.prepare(data)))
                if not found:
                    result = packages.load(
                        data, replace=sealed["replace"], user=request.user, history_comment="从通知文件导入"
                    )
            if found:
                context["preview_changed"] = preview_marks.refusal(found)
                context.update(self.package_preview(data, sealed["replace"], name=name))
                return TemplateResponse(request, "admin/recognition/notice/import_package.html", context)
        except packages.PackageError as error:
            uploads.forget(name)
            context["problems"] = error.problems
            return TemplateResponse(request, "admin/recognition/notice/import_package.html", context)
        uploads.forget(name)
        if result.action != "unchanged":
            notice = Notice.objects.get(number=result.number)
            self.log_change(request, notice, f"从通知文件导入({len(result.changes)} 项变化)")
        messages.success(request, self.outcome(result))
        return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")

    @staticmethod
    def uploaded(request: HttpRequest) -> bytes:
        upload = request.FILES.get("package_file")
        if upload is None:
            raise packages.PackageError(["请选择一个通知文件(.json)。"])
        if upload.size > packages.MAX_BYTES:
            raise packages.PackageError([f"文件太大:一份通知的文件不应超过 {packages.MAX_BYTES // 1024} KB。"])
        content = upload.read()
        try:
            content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise packages.PackageError(["文件不是 UTF-8 编码的文本。请另存为 UTF-8 后再上传。"]) from None
        return content

    @staticmethod
    def outcome(result: packages.Result) -> str:
        if result.action == "unchanged":
            return f"{result.number} 与文件完全相同,没有任何变化。"
        verb = "导入" if result.action == "created" else "按文件替换了"
        return f"已{verb} {result.number}({len(result.changes)} 项变化)。{published_within()}"
