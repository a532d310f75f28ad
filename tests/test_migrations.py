"""Migrations stand on their own: a model added to the staff roles later never breaks `migrate` on a new database."""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from recognition.staff import roles

MIGRATIONS = Path(settings.BASE_DIR) / "recognition" / "migrations"
FROZEN = importlib.import_module("recognition.migrations.0002_staff_groups")


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", sorted(MIGRATIONS.glob("0*.py")), ids=lambda path: path.name)
def test_no_migration_imports_the_live_code_of_the_app(path):
    assert not {name for name in imported_modules(path) if name.startswith("recognition")}


def test_the_frozen_list_is_the_roles_list_of_its_time():
    # A model added to roles.EDITED_MODELS later gets its permissions in a migration of its own.
    assert set(FROZEN.MODELS) <= set(roles.EDITED_MODELS)
    assert {name: tuple(actions) for name, actions in roles.ACTIONS.items()} == FROZEN.ACTIONS


@pytest.mark.django_db
def test_after_every_migration_the_groups_have_exactly_the_roles_permissions():
    from django.contrib.auth.models import Group

    for name in roles.ACTIONS:
        have = set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))
        assert have == roles.codenames(name)


def test_migrate_on_a_fresh_database_works_after_a_model_is_added_to_the_roles(tmp_path):
    """`migrate` from nothing, in a separate process, with a model the migrations have never heard of in the roles.

    Before 0002 was frozen it read recognition.staff.roles, and such a model made it
    fail ("permissions missing for the 规则编辑 group").
    """
    database = tmp_path / "fresh.sqlite3"
    script = (
        "import django, sys\n"
        "django.setup()\n"
        "from recognition.staff import roles\n"
        "roles.EDITED_MODELS = roles.EDITED_MODELS + ('modeladdedlater',)\n"
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        "from django.contrib.auth.models import Group\n"
        "for group in Group.objects.order_by('name'):\n"
        "    print(group.name, ' '.join(sorted(group.permissions.values_list('codename', flat=True))))\n"
    )
    env = os.environ | {"DATABASE_URL": f"sqlite:///{database}", "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    groups = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    for name, actions in FROZEN.ACTIONS.items():
        frozen = {f"{action}_{model}" for model in FROZEN.MODELS for action in actions}
        assert set(groups[name].split()) >= frozen
        assert set(groups[name].split()) == roles.codenames(name)  # later migrations add any newer model's
