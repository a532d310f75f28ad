"""What every admin of the site shares: history and restore, the publication actions, clause names, preview links.

Every model has history and restore (django-reversion, see recognition.history).
"""

from __future__ import annotations

from urllib.parse import urlencode

import reversion
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from reversion.admin import VersionAdmin
from reversion.models import Version

from recognition import history
from recognition.admin import delete_page, edit_versions, restore_clashes
from recognition.models import Certificate, Clause, LevelEquivalence, Notice, Publication, RecognitionRule


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
        response = admin.ModelAdmin.changelist_view(self, request, context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:  # the page carries the version of each row it shows (edit_versions)
            pks = [obj.pk for obj in changelist.result_list]
            response.context_data["row_versions"] = edit_versions.list_token(self.model, pks, self.edited_inlines())
        return response

    # No change is lost (recognition.admin.edit_versions): a change form and a
    # list page carry the version of what they show; a save, an action or a
    # list_editable save against a newer version is refused, and nothing is written.

    def edited_inlines(self):
        return edit_versions.inline_relations(self.model, self.inlines)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None and not add:
            context["edit_version"] = edit_versions.form_token(self.model, obj.pk, self.edited_inlines())
        return super().render_change_form(request, context, add, change, form_url, obj)

    def edit_conflict(self, pk, posted: str | None) -> str | None:
        """The refusal of a change form opened at an older version of the object, or None."""
        token = edit_versions.read(posted)
        if token is None:
            return None
        self.model._default_manager.select_for_update().filter(pk=pk).first()  # hold the row until the save ends
        fields = edit_versions.changed_fields(self.model, pk, self.edited_inlines(), token)
        return edit_versions.form_refusal(self.model, pk, token, fields) if fields else None

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        posted = request.POST.get(edit_versions.FORM_FIELD) if request.method == "POST" else None
        if obj is None or obj.pk is None or not posted:
            return form
        model_admin, pk = self, obj.pk

        class VersionCheckedForm(form):
            def clean(self):
                cleaned = super().clean()
                refusal = model_admin.edit_conflict(pk, posted)
                if refusal:
                    raise ValidationError(refusal, code="stale")
                return cleaned

        VersionCheckedForm.__name__ = form.__name__
        return VersionCheckedForm

    def get_changelist_formset(self, request, **kwargs):
        formset = super().get_changelist_formset(request, **kwargs)
        token = edit_versions.read(request.POST.get(edit_versions.LIST_FIELD)) if request.method == "POST" else None
        if token is None:
            return formset
        model_admin = self

        class VersionCheckedRowForm(formset.form):
            def clean(self):
                cleaned = super().clean()
                pk, model = self.instance.pk, model_admin.model
                # Only a row that would be written: has_changed() compares with what is stored now.
                if (
                    pk is not None
                    and self.has_changed()
                    and edit_versions.changed_rows(model, [pk], model_admin.edited_inlines(), token)
                ):
                    message = edit_versions.row_refusal(model, pk, token)
                    raise ValidationError(format_html("{}本行没有保存,请刷新页面后再改。", message), code="stale")
                return cleaned

        formset.form = VersionCheckedRowForm
        return formset

    def response_action(self, request, queryset):
        token = edit_versions.read(request.POST.get(edit_versions.LIST_FIELD))
        if token is not None:
            if request.POST.get("select_across") == "1":
                pks = list(token.get("rows", {}))
            else:
                pks = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
            stale = edit_versions.changed_rows(self.model, pks, self.edited_inlines(), token)
            if stale:
                for pk in stale:
                    messages.error(request, edit_versions.row_refusal(self.model, pk, token))
                messages.error(request, "所选操作没有执行,任何一项都没有改动。请查看上面的修改,刷新列表后再操作。")
                return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)

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
        deleted, counts, perms_needed, protected = delete_page.deleted_objects(objs, request, self.admin_site)
        also = [delete_page.admin_link(obj) for obj in self.also_protected_by(objs)]
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

    def _restore(self, view, request, version_id, *args):
        """A restore that would clash with the data as it is now is refused naming the clash (restore_clashes)."""
        self.keep_baseline(request)
        version = Version.objects.filter(pk=version_id).select_related("revision").first()
        problems = restore_clashes.restore_clashes(version) if version is not None else []
        opts = self.model._meta
        if problems:
            messages.error(
                request,
                f"无法恢复这个版本,它与现在的数据冲突:{' '.join(problems)} 要恢复它,请先修改那一条冲突的数据。",
            )
            return redirect(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        try:
            return view(request, *args)
        except IntegrityError:
            messages.error(
                request,
                "无法恢复这个版本:它与现在的数据冲突(例如同一通知中已有相同的序号,"
                "或同一对证书已有一条已发布的规则)。请先修改或设为草稿那条冲突的规则,再恢复。",
            )
            return redirect(f"admin:{opts.app_label}_{opts.model_name}_changelist")

    def revision_view(self, request, object_id, version_id, extra_context=None):
        return self._restore(super().revision_view, request, version_id, object_id, version_id, extra_context)

    def recover_view(self, request, version_id, extra_context=None):
        return self._restore(super().recover_view, request, version_id, version_id, extra_context)


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
