"""The delete page's lists, with Django's many-to-many link rows said as staff know them."""

from __future__ import annotations

import re

from django.apps import apps
from django.contrib.admin.utils import quote
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst


def admin_link(obj) -> str:
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)])
    return format_html('{}: <a href="{}">{}</a>', capfirst(opts.verbose_name), url, obj)  # as Django lists them


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
