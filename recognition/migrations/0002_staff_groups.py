"""The two staff groups (recognition.roles), so that they exist on every install.

Permissions are normally created after all migrations have run; this
migration creates the recognition app's permissions first so that it works on
an empty database.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from recognition.roles import ACTIONS, set_up_groups

# The models as they stood when this migration was written; later models grant their
# permissions in their own migration (0050_next_steps).
EDITED_MODELS = (
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


def create_groups(apps, schema_editor):
    db = schema_editor.connection.alias
    app_config = apps.get_app_config("recognition")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=db)
    app_config.models_module = None
    set_up_groups(
        apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"), using=db, edited_models=EDITED_MODELS
    )


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
