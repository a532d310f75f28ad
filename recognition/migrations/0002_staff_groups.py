"""The two staff groups, so that they exist on every install.

Frozen: the groups and permissions as they were when this migration was
written, not as recognition.roles lists them today. A model added later gets
its permissions through a migration of its own.

Permissions are normally created after all migrations have run; this
migration creates the recognition app's permissions first so that it works on
an empty database.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODELS = (
    "notice",
    "clause",
    "department",
    "occupation",
    "skilllevel",
    "certificate",
    "step",
    "recognitionrule",
    "condition",
    "levelequivalence",
    "province",
    "issuance",
    "referencefact",
)
ACTIONS = {"规则编辑": ("add", "change", "delete", "view"), "查看": ("view",)}


def set_up_groups(group_model, permission_model, using):
    for name, actions in ACTIONS.items():
        wanted = {f"{action}_{model}" for model in MODELS for action in actions}
        permissions = permission_model.objects.using(using).filter(
            content_type__app_label="recognition", codename__in=wanted
        )
        missing = wanted - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"permissions missing for the {name} group: {sorted(missing)}")
        group, _ = group_model.objects.using(using).get_or_create(name=name)
        group.permissions.set(permissions)


def create_groups(apps, schema_editor):
    db = schema_editor.connection.alias
    app_config = apps.get_app_config("recognition")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=db)
    app_config.models_module = None
    set_up_groups(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"), using=db)


def remove_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=list(ACTIONS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("recognition", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
