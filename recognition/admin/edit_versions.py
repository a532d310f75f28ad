"""No change is lost: a form or a list page carries the version of each object it shows, and a save against a
newer one is refused.

The version is a hash of what is stored for the object: its own fields, its many-to-many values and the rows
of its inlines (a rule's conditions, a notice's clauses, a certificate's steps). It is taken from the database,
not from django-reversion, so a change made any way (an import, a notice package, a publish action, a baseline
version saved on the first edit changes nothing) is seen. django-reversion then says who made the change and
when. A change form keeps one hash per field, so a refusal can name the fields that differ; a list page keeps
one hash per row.
"""

from __future__ import annotations

import datetime
import hashlib
import json

from django.core import signing
from django.db import models
from django.forms.models import _get_foreign_key
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from reversion.models import Version

from recognition import history

FORM_FIELD = "_edit_version"
LIST_FIELD = "_row_versions"
SALT = "recognition.admin.edit_versions"


def digest(value) -> str:
    return hashlib.sha256(json.dumps(value, default=str, ensure_ascii=False).encode()).hexdigest()[:12]


def inline_relations(model: type[models.Model], inline_models: list) -> list[tuple[str, type[models.Model], str]]:
    """(label, inline model, foreign key name) for each inline of an admin: [(条件, Condition, "rule")]."""
    found = []
    for inline in inline_models:
        fk = _get_foreign_key(model, inline.model, fk_name=inline.fk_name)
        found.append((str(inline.model._meta.verbose_name_plural), inline.model, fk.name))
    return found


def stored_state(model: type[models.Model], pks: list, inlines: list) -> dict[str, dict[str, str]]:
    """{pk: {field label: hash}} for the stored objects among `pks`, read in a few queries whatever their number."""
    if not pks:
        return {}
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    rows = model._default_manager.filter(pk__in=pks).values("pk", *(field.attname for field in fields))
    state = {str(row["pk"]): {str(f.verbose_name): digest(row[f.attname]) for f in fields} for row in rows}
    for field in model._meta.many_to_many:
        values: dict[str, list] = {pk: [] for pk in state}
        through = field.remote_field.through
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        for owner, other in through._default_manager.filter(**{f"{source}__in": pks}).values_list(source, target):
            values.setdefault(str(owner), []).append(other)
        for pk in state:
            state[pk][str(field.verbose_name)] = digest(sorted(values.get(pk, [])))
    for label, inline_model, fk_name in inlines:
        columns = [field.attname for field in inline_model._meta.concrete_fields]
        values = {pk: [] for pk in state}
        for row in inline_model._default_manager.filter(**{f"{fk_name}__in": pks}).order_by("pk").values(*columns):
            values.setdefault(str(row[f"{fk_name}_id"]), []).append(row)
        for pk in state:
            state[pk][label] = digest(values.get(pk, []))
    return state


def form_token(model, pk, inlines) -> str:
    """What a change form carries: when it was opened and a hash per field of the object as stored then."""
    fields = stored_state(model, [pk], inlines).get(str(pk), {})
    return signing.dumps({"at": timezone.now().isoformat(), "fields": fields}, salt=SALT, compress=True)


def list_token(model, pks, inlines) -> str:
    """What a list page carries: when it was shown and one hash per row shown."""
    rows = {pk: digest(fields) for pk, fields in stored_state(model, list(pks), inlines).items()}
    return signing.dumps({"at": timezone.now().isoformat(), "rows": rows}, salt=SALT, compress=True)


def read(token: str | None) -> dict | None:
    """The token as posted; None when there is none or it was not made here (then nothing is checked)."""
    if not token:
        return None
    try:
        data = signing.loads(token, salt=SALT)
        data["at"] = datetime.datetime.fromisoformat(data["at"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return data


def changed_fields(model, pk, inlines, token: dict) -> list[str]:
    """The fields (and inlines) of the object whose stored value differs from when the form was opened."""
    now = stored_state(model, [pk], inlines).get(str(pk))
    if now is None:
        return ["(这一项已被删除)"]
    opened = token.get("fields", {})
    return [label for label, value in now.items() if opened.get(label) != value]


def changed_rows(model, pks, inlines, token: dict) -> list[str]:
    """The rows among `pks` that the page showed and that changed, or were deleted, since."""
    shown = token.get("rows", {})
    pks = [str(pk) for pk in pks if str(pk) in shown]
    now = {pk: digest(fields) for pk, fields in stored_state(model, pks, inlines).items()}
    return [pk for pk in pks if now.get(pk) != shown[pk]]


def who_changed(model, pk, since: datetime.datetime) -> tuple[str, Version | None]:
    """Who changed the object after `since` and when, in words, from its history; the newest such version."""
    version = (
        Version.objects.get_for_object_reference(model, pk)
        .filter(revision__date_created__gt=since)
        .exclude(revision__comment=history.BASELINE_COMMENT)
        .select_related("revision__user")
        .order_by("-revision__date_created", "-pk")
        .first()
    )
    if version is None:
        return "另一位工作人员(这次修改没有留下历史记录)", None
    user = version.revision.user
    name = (user.get_full_name() or user.get_username()) if user else "系统(导入或命令)"
    when = timezone.localtime(version.revision.date_created).strftime("%Y-%m-%d %H:%M:%S")
    return f"{name} 于 {when}", version


def history_url(model, pk) -> str:
    opts = model._meta
    try:
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[pk])
    except NoReverseMatch:
        return ""


def form_refusal(model, pk, token: dict, fields: list[str]) -> str:
    """The refusal of a stale change form, for staff: who, when, which fields, where to look."""
    who, _version = who_changed(model, pk, token["at"])
    return format_html(
        "没有保存:你打开本页之后,{} 修改了这一项(改动的字段:{})。"
        "为了不覆盖这次修改,本次什么也没有写入,你填写的内容仍在下面。"
        '请先在<a href="{}" target="_blank" rel="noopener">修改历史</a>中查看这次修改,'
        "把需要保留的内容合进本页;再次保存时将以本页的内容为准。",
        who,
        "、".join(fields),
        history_url(model, pk),
    )


def row_refusal(model, obj_or_pk, token: dict) -> str:
    """The refusal of one stale row of a list page."""
    pk = getattr(obj_or_pk, "pk", obj_or_pk)
    obj = obj_or_pk if hasattr(obj_or_pk, "pk") else model._default_manager.filter(pk=pk).first()
    if obj is None:
        return f"#{pk} 在你打开本页之后已被删除。"
    who, _version = who_changed(model, pk, token["at"])
    return format_html(
        '“{}”在你打开本页之后被 {} 修改过(<a href="{}" target="_blank" rel="noopener">修改历史</a>)。',
        str(obj),
        who,
        history_url(model, pk),
    )
