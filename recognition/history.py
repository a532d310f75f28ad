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

BASELINE_COMMENT = "修改前的原始数据(首次修改时自动保存)"


def recognition_models() -> list[type[models.Model]]:
    return [model for model in reversion.get_registered_models() if model._meta.app_label == "recognition"]


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
