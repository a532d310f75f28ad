"""Who changed what, and the way back: django-reversion, one revision per object changed.

Restoring a version in the admin reverts the whole revision it belongs to, so
every write here saves one revision per object (a publish action over ten
rules makes ten revisions): restoring one rule never rewinds another.

Rows loaded from fixtures/ have no history. Before the first change through
the admin, `ensure_baseline` saves their current state, so the original data
can always be restored and a deleted object recovered.
"""

from __future__ import annotations

from collections.abc import Iterable

import reversion
from django.db import models, transaction
from reversion.models import Version

from recognition.models import EDITED_MODELS

BASELINE_COMMENT = "修改前的原始数据(首次修改时自动保存)"


def recognition_models() -> tuple[type[models.Model], ...]:
    """The models staff edit (recognition.models.EDITED_MODELS), each registered with django-reversion by the admin."""
    return EDITED_MODELS


def save_revisions(objects: Iterable[models.Model], user, comment: str) -> None:
    """One revision per object, each with the object's followed inlines (steps, conditions, clauses)."""
    for obj in objects:
        with reversion.create_revision():
            reversion.set_user(user if user and user.is_authenticated else None)
            reversion.set_comment(comment)
            reversion.add_to_revision(obj)


def ensure_baseline(user=None) -> int:
    """Save a first version of every object that has none yet; returns how many were saved."""
    saved = 0
    with transaction.atomic():
        for model in recognition_models():
            known = set(Version.objects.get_for_model(model).values_list("object_id", flat=True))
            pks = [pk for pk in model._default_manager.values_list("pk", flat=True) if str(pk) not in known]
            if pks:
                save_revisions(model._default_manager.filter(pk__in=pks), user, BASELINE_COMMENT)
                saved += len(pks)
    return saved


EMPTY = "(空)"


def display(field, value) -> str:
    """A stored value as staff read it: choices by label, related objects by name, empty as (空)."""
    if value is None or value == "" or value == []:
        return EMPTY
    if field.many_to_many:
        objects = field.related_model._base_manager.in_bulk(value)
        # Steps are listed on their own certificate's rule: their names say enough.
        return "、".join(getattr(objects[pk], "name", str(objects[pk])) if pk in objects else f"#{pk}" for pk in value)
    if field.is_relation:
        obj = field.related_model._base_manager.filter(pk=value).first()
        return str(obj) if obj is not None else f"#{value}(已删除)"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def field_values(version: Version) -> dict:
    try:
        return version.field_dict
    except Exception:  # a version stored under an older model that no longer reads back
        return {}


def related_reprs(version: Version) -> dict[str, set[str]]:
    """The inline objects saved in the same revision (a rule's conditions, a certificate's steps), by model."""
    found: dict[str, set[str]] = {}
    for other in version.revision.version_set.all():
        if other.pk == version.pk or other.content_type_id == version.content_type_id:
            continue
        model = other.content_type.model_class()
        label = str(model._meta.verbose_name) if model else other.content_type.model
        found.setdefault(label, set()).add(other.object_repr)
    return found


def changes(newer: Version, older: Version | None) -> list[tuple[str, str, str]]:
    """What changed from `older` to `newer`, as (field, old value, new value) for staff; [] for the first version."""
    if older is None:
        return []
    model = newer.content_type.model_class()
    if model is None:
        return []
    new_values, old_values = field_values(newer), field_values(older)
    found = []
    for field in [*model._meta.concrete_fields, *model._meta.many_to_many]:
        key = field.name if field.many_to_many else field.attname
        if field.primary_key or key not in new_values or key not in old_values:
            continue
        old, new = old_values[key], new_values[key]
        if field.many_to_many:
            old, new = sorted(old or []), sorted(new or [])
        if old != new:
            found.append((str(field.verbose_name), display(field, old), display(field, new)))
    new_related, old_related = related_reprs(newer), related_reprs(older)
    for label in sorted(set(new_related) | set(old_related)):
        old, new = old_related.get(label, set()), new_related.get(label, set())
        if old != new:
            found.append((label, "、".join(sorted(old)) or EMPTY, "、".join(sorted(new)) or EMPTY))
    return found
