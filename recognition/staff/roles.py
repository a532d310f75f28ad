"""The two staff groups: who may change the rules and who may only look.

规则编辑 may add, change, delete and view everything the site states (not the
data version, which only the system writes); 查看 may only view. The groups
are created by migration 0002 so that they exist on every install.
"""

from __future__ import annotations

from recognition import models

EDITOR = "规则编辑"
VIEWER = "查看"

EDITED_MODELS = tuple(model._meta.model_name for model in models.EDITED_MODELS)

ACTIONS = {EDITOR: ("add", "change", "delete", "view"), VIEWER: ("view",)}


def codenames(group: str, edited_models: tuple[str, ...] = EDITED_MODELS) -> set[str]:
    return {f"{action}_{model}" for model in edited_models for action in ACTIONS[group]}


def set_up_groups(
    group_model, permission_model, using: str = "default", edited_models: tuple[str, ...] = EDITED_MODELS
) -> None:
    """Create both groups with exactly their permissions (the permissions must exist).

    A migration passes the models as they stood when it was written (later models get their own migration).
    """
    for name in ACTIONS:
        wanted = codenames(name, edited_models)
        permissions = permission_model.objects.using(using).filter(
            content_type__app_label="recognition", codename__in=wanted
        )
        missing = wanted - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"permissions missing for the {name} group: {sorted(missing)}")
        group, _ = group_model.objects.using(using).get_or_create(name=name)
        group.permissions.set(permissions)
