"""Every write to the rules bumps the data version.

Signals catch every write path that goes through the ORM's save and delete:
the admin, imports, restores from history, and `loaddata` (which sends
post_save with raw=True).
"""

from django.db import transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from recognition import models
from recognition.rules import snapshot


def bump_data_version(**kwargs) -> None:
    using = kwargs.get("using") or "default"
    updated = models.DataVersion.objects.using(using).update(revision=F("revision") + 1, changed_at=timezone.now())
    if not updated:
        models.DataVersion.objects.using(using).create(revision=1, changed_at=timezone.now())
    # This worker answers with the change at its next request (after the commit); the others within the bound.
    snapshot.check_again()
    transaction.on_commit(snapshot.check_again, using=using)


def bump_on_m2m_change(action: str, **kwargs) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        bump_data_version(**kwargs)


def connect() -> None:
    for model in models.EDITED_MODELS:
        post_save.connect(bump_data_version, sender=model, dispatch_uid=f"version-save-{model.__name__}")
        post_delete.connect(bump_data_version, sender=model, dispatch_uid=f"version-delete-{model.__name__}")
    for field in (models.RecognitionRule.waived, models.RecognitionRule.remaining, models.Notice.scope):
        m2m_changed.connect(bump_on_m2m_change, sender=field.through, dispatch_uid=f"version-m2m-{field.field.name}")
