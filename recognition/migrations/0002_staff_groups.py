"""The two staff groups, so that they exist on every install.

规则编辑: add, change, delete and view everything the site states (not the
data version, which only the system writes). 查看: view only.

Permissions are normally created after all migrations have run; this
migration creates the recognition app's permissions first so that it works on
an empty database.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITED_MODELS = [
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
]
EDITOR = "规则编辑"
VIEWER = "查看"


def codenames(actions):
    return [f"{action}_{model}" for model in EDITED_MODELS for action in actions]


def create_groups(apps, schema_editor):
    app_config = apps.get_app_config("recognition")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    for name, actions in ((EDITOR, ["add", "change", "delete", "view"]), (VIEWER, ["view"])):
        wanted = codenames(actions)
        permissions = Permission.objects.using(db).filter(content_type__app_label="recognition", codename__in=wanted)
        assert permissions.count() == len(wanted), "recognition permissions missing"
        group, _ = Group.objects.using(db).get_or_create(name=name)
        group.permissions.set(permissions)


def remove_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=[EDITOR, VIEWER]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("recognition", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
