"""The delete page's lists: what a delete takes with it, counted, and what refuses it.

Django's own get_deleted_objects (django.contrib.admin.utils) formats every
object as "verbose name: str(object)", so the many-to-many link rows of a rule's
steps read "Recognitionrule-step关系: RecognitionRule_waived object (10)"; and
as both link tables bear that name, one table's count overwrites the other's.
This is the same collector (NestedObjects) with a formatter that knows those
rows ("免予的环节:序号4 … → 安全作业培训") and a count that adds them up.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.admin.utils import NestedObjects, quote
from django.db import router
from django.db.models import ManyToManyField
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst


def admin_link(obj, site_name: str = "admin") -> str:
    opts = obj._meta
    url = reverse(f"{site_name}:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)])
    return format_html('{}: <a href="{}">{}</a>', capfirst(opts.verbose_name), url, obj)  # as Django lists them


def link_fields() -> dict[type, ManyToManyField]:
    """Django's many-to-many link rows (auto-created through models), with the field each belongs to."""
    found = {}
    for model in apps.get_app_config("recognition").get_models():
        for field in model._meta.many_to_many:
            through = field.remote_field.through
            if through._meta.auto_created:
                found[through] = field
    return found


def link_text(row, field: ManyToManyField) -> str:
    """A link row as staff know it: the field, the row it belongs to, the row it names."""
    source = getattr(row, field.m2m_field_name())
    target = getattr(row, field.m2m_reverse_field_name())
    return f"{capfirst(field.verbose_name)}:{source} → {getattr(target, 'name', target)}"


def deleted_objects(objs, request, admin_site) -> tuple[list, dict, set, list]:
    """What ModelAdmin.get_deleted_objects returns (nested list, counts, missing permissions, protected),
    from Django's collector, with link rows said by link_text and counted under their fields' names."""
    try:
        first = objs[0]
    except IndexError:
        return [], {}, set(), []
    collector = NestedObjects(using=router.db_for_write(first._meta.model), origin=objs)
    collector.collect(objs)
    links = link_fields()
    perms_needed = set()

    def describe(obj) -> str:
        model, opts = type(obj), obj._meta
        if model in links:
            return link_text(obj, links[model])
        if not admin_site.is_registered(model):
            return f"{capfirst(opts.verbose_name)}: {obj}"
        if not admin_site.get_model_admin(model).has_delete_permission(request, obj):
            perms_needed.add(opts.verbose_name)
        try:
            return admin_link(obj, admin_site.name)
        except NoReverseMatch:
            return f"{capfirst(opts.verbose_name)}: {obj}"

    deleted = collector.nested(describe)
    protected = [describe(obj) for obj in collector.protected]
    return deleted, counts(collector.model_objs, links), perms_needed, protected


def counts(model_objs: dict, links: dict[type, ManyToManyField]) -> dict:
    """How many of each model; the two link tables of a rule's steps, which Django names alike
    ("Recognitionrule-step关系"), together as "免予的环节和仍须参加的环节"."""
    fields_by_name: dict[str, list[str]] = {}
    for through, field in links.items():
        fields_by_name.setdefault(str(through._meta.verbose_name_plural), []).append(str(field.verbose_name))
    result: dict = {}
    for model, objs in model_objs.items():
        name = model._meta.verbose_name_plural
        if model in links:
            name = "和".join(fields_by_name[str(name)])
        result[name] = result.get(name, 0) + len(objs)
    return result
