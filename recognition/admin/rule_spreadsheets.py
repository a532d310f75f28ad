"""The rules as a spreadsheet (django-import-export): the whole matrix out, a checked preview, all or nothing in.

The preview seals what it showed into its confirmation form (recognition.admin.preview_marks); 确认导入 writes
only if none of those rows changed since, else it shows the preview again, marked, and writes nothing.
"""

from __future__ import annotations

import contextlib
from functools import partial

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, SuspiciousOperation, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from import_export.admin import ImportExportMixin
from import_export.forms import ConfirmImportForm, ExportForm, ImportForm

from recognition import history
from recognition.admin import preview_marks
from recognition.staff import uploads
from recognition.staff.resources import RecognitionRuleResource
from recognition.staff.uploads import ImportLimitError, LimitedCSV, LimitedXLSX, UploadStorage, check_size, limits_text

STALE_FORM = "这份预览已失效(它不是为这次上传生成的,或已被改动),没有写入任何数据。请重新上传文件。"
GONE = "上传的文件已不在服务器上(超过一小时没有确认的上传会被清理),没有写入任何数据。请重新上传文件。"
CONFIRMED = ("import_file_name", "original_file_name", "format", "resource")


class PreviewConfirmForm(ConfirmImportForm):
    """The library's confirmation (the upload's name, never a path), with what its preview showed, sealed."""

    preview = forms.CharField(widget=forms.HiddenInput(), required=False)

    def clean(self):
        data = super().clean()
        bound = {name: data.get(name, "") for name in CONFIRMED}
        data["sealed"] = preview_marks.unseal(data.get("preview"), **bound)
        if data["sealed"] is None:
            raise ValidationError(STALE_FORM)
        return data


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
    confirm_form_class = PreviewConfirmForm
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

    def get_import_resource_kwargs(self, request, **kwargs):
        form = kwargs.get("form")
        resource_kwargs = super().get_import_resource_kwargs(request, **kwargs)
        if isinstance(form, PreviewConfirmForm):
            sealed = form.cleaned_data["sealed"]
            rows = partial(preview_marks.rule_rows, sealed["keys"], sealed["pairs"])
            resource_kwargs["check_preview"] = lambda: preview_marks.changes(sealed, rows())
        else:
            resource_kwargs["snapshot"] = preview_marks.Rules.stored
        return resource_kwargs

    def import_action(self, request, **kwargs):
        with uploads.time_limit():  # reading the file included
            response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None) or {}
        if context.get("confirm_form"):
            context["confirm_form"].initial["preview"] = self.seal(context["result"], context["confirm_form"].initial)
        # Keep the upload only while a preview waits for 确认导入; a refused file is removed at once.
        upload = request.FILES.get("import_file")
        name = getattr(upload, "tmp_storage_name", None)
        if name and not context.get("confirm_form"):
            self.forget_upload(name)
        return response

    @staticmethod
    def seal(result, initial: dict) -> str:
        """What the preview showed: the rules it lists and those of the same pairs, as stored when it read them."""
        keys = sorted({(notice, serial) for notice, serial, *_ in result.listed})
        pairs = sorted({(held, target) for *_, held, target in result.listed})
        state = result.stored.rows(keys, pairs)
        return preview_marks.seal(state, keys=keys, pairs=pairs, **{name: str(initial[name]) for name in CONFIRMED})

    @method_decorator(require_POST)
    def process_import(self, request, **kwargs):
        if not self.has_import_permission(request):
            raise PermissionDenied
        history.ensure_baseline(request.user)
        form = self.create_confirm_form(request)
        response = None
        try:
            if not form.is_valid():
                messages.error(request, STALE_FORM)
                response = redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")
            else:
                with uploads.time_limit():
                    response = self.confirm(request, form, **kwargs)
            return response
        finally:  # confirmed or refused, the upload is no longer needed; shown again, it waits again
            name = request.POST.get("import_file_name", "")
            context = getattr(response, "context_data", None) or {}
            if name and not context.get("confirm_form"):
                self.forget_upload(name)

    def confirm(self, request, form, **kwargs):
        """Read the upload again and write it, if nothing its preview showed has changed since."""
        input_format = self.get_import_formats()[int(form.cleaned_data["format"])](encoding=self.from_encoding)
        storage = self.get_tmp_storage_class()(
            name=form.cleaned_data["import_file_name"],
            encoding=None if input_format.is_binary() else self.from_encoding,
            read_mode=input_format.get_read_mode(),
            **self.get_tmp_storage_class_kwargs(),
        )
        again = redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")
        try:
            data = storage.read()
        except FileNotFoundError:
            data = None
        if data is None:
            messages.error(request, GONE)
            return again
        try:
            dataset = input_format.create_dataset(data)
        except ImportLimitError as error:
            messages.error(request, str(error))
            return again
        result = self.process_dataset(dataset, form, request, **kwargs)
        if result.stale:
            return self.preview_again(request, form, dataset, result.stale)
        return self.process_result(result, request)

    def preview_again(self, request, form, dataset, stale: list[str]):
        """The preview as the data now is, marked with what changed since the one confirmed."""
        resource = self.choose_import_resource_class(form, request)(**self.get_import_resource_kwargs(request))
        result = resource.import_data(
            dataset,
            dry_run=True,
            raise_errors=False,
            file_name=form.cleaned_data["original_file_name"],
            user=request.user,
            **self.get_import_data_kwargs(request=request),
        )
        context = {
            **self.get_import_context_data(),
            **self.admin_site.each_context(request),
            "title": _("Import"),
            "opts": self.model._meta,
            "media": self.media,
            "result": result,
            "import_error_display": self.import_error_display,
            "preview_changed": preview_marks.refusal(stale),
        }
        if result.has_errors() or result.has_validation_errors():
            formats, resources = self.get_import_formats(), self.get_import_resource_classes(request)
            context["form"] = self.get_import_form_class(request)(formats, resources)
        else:
            initial = {name: form.cleaned_data[name] for name in CONFIRMED}
            confirm_form = self.get_confirm_form_class(request)(initial=initial)
            confirm_form.initial["preview"] = self.seal(result, initial)
            context["confirm_form"] = confirm_form
        return TemplateResponse(request, [self.import_template_name], context)

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
