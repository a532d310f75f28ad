"""Why a restore from history would clash with the data as it is now, in the site's own words.

django-reversion reverts a revision row by row and, when the database refuses
a row, says only "缺少依赖" (missing dependency). Before a restore the admin
asks here instead: a rule or a level equivalence is checked by
recognition.rules.checks, as a save would be (a serial already used in its
notice, a pair already published); any other row by its unique fields; and
every row for what it points at that no longer exists.
"""

from __future__ import annotations

from django.db import models
from reversion.models import Version

from recognition.models import LevelEquivalence, RecognitionRule, Step
from recognition.rules import checks

# The checks' keys that the database also enforces: a restore breaking them fails, others show in the form.
CONSTRAINT_KEYS = {RecognitionRule: ("serial", "publication"), LevelEquivalence: ("publication",)}


def restore_clashes(version: Version) -> list[str]:
    """What stops the revision of `version` from being restored now, one message per clash; [] if nothing."""
    versions = list(version.revision.version_set.select_related("content_type"))
    in_revision: dict[type[models.Model], set[str]] = {}
    for each in versions:
        model = each.content_type.model_class()
        if model is not None:
            in_revision.setdefault(model, set()).add(str(each.object_id))
    found = []
    for each in versions:
        model = each.content_type.model_class()
        if model is None:
            continue
        try:
            stored = each._object_version
        except Exception:  # a version stored under an older model: django-reversion says so itself
            continue
        missing = missing_targets(stored.object, in_revision)
        found += missing
        if not missing:
            found += clashes(stored.object, stored.m2m_data or {}, in_revision.get(model, set()))
    return list(dict.fromkeys(found))


def missing_targets(obj: models.Model, in_revision: dict) -> list[str]:
    found = []
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        if not field.is_relation or value is None:
            continue
        target = field.related_model
        if str(value) in in_revision.get(target, set()) or target._base_manager.filter(pk=value).exists():
            continue
        found.append(
            f"“{obj}”的{field.verbose_name}(#{value})已被删除。请先在“{target._meta.verbose_name}”中恢复它,再恢复这一项。"
        )
    return found


def clashes(obj: models.Model, m2m: dict, restored_pks: set[str]) -> list[str]:
    model = type(obj)
    if model in CONSTRAINT_KEYS:
        if model is RecognitionRule:
            waived, remaining = (Step.objects.filter(pk__in=m2m.get(name, [])) for name in ("waived", "remaining"))
            problems = checks.rule_problems(obj, waived, remaining)
        else:
            problems = checks.level_problems(obj)
        return [message for key in CONSTRAINT_KEYS[model] for message in problems.get(key, [])]
    found = []
    groups = [[field] for field in model._meta.concrete_fields if field.unique and not field.primary_key]
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields and constraint.condition is None:
            groups.append([model._meta.get_field(name) for name in constraint.fields])
    for fields in groups:
        values = {field.attname: getattr(obj, field.attname) for field in fields}
        if any(value in (None, "") for value in values.values()):
            continue
        others = model._default_manager.exclude(pk=obj.pk).filter(**values)
        clash = next((row for row in others if str(row.pk) not in restored_pks), None)
        if clash is not None:
            labels = "、".join(f"“{field.verbose_name}”" for field in fields)
            found.append(
                f"“{obj}”与现有的{model._meta.verbose_name}“{clash}”冲突:两者的{labels}相同,只能有一个。"
                f"请先修改或删除“{clash}”,再恢复。"
            )
    return found
