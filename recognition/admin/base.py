"""What every admin of the site shares: history and restore, the publication actions, clause names, preview links.

Every model has history and restore (django-reversion, see recognition.history).
"""

from __future__ import annotations

from urllib.parse import urlencode

import reversion
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from reversion.admin import VersionAdmin
from reversion.models import Version

from recognition import history
from recognition.admin import delete_page
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
