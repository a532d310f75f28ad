"""The rules as a spreadsheet (django-import-export): the whole matrix out, a checked preview, all or nothing in."""

from __future__ import annotations

import contextlib

from django.contrib import messages
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import content_disposition_header
from import_export.admin import ImportExportMixin
from import_export.forms import ExportForm, ImportForm

from recognition import history
from recognition.staff import uploads
from recognition.staff.resources import RecognitionRuleResource
from recognition.staff.uploads import ImportLimitError, LimitedCSV, LimitedXLSX, UploadStorage, check_size, limits_text


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
        with uploads.time_limit():  # reading the file included
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
            with uploads.time_limit():
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
