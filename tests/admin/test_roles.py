"""The admin. Roles: who may see and do what."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group

from recognition.admin.rules import RecognitionRuleAdmin
from recognition.models import (
    Certificate,
    Notice,
    Publication,
    RecognitionRule,
)
from recognition.rules import snapshot
from recognition.staff import roles
from tests.admin.helpers import (
    CSV_FORMAT,
    RULES,
    errors,
    export_dataset,
    lookup,
    new_rule_data,
    recognition_to,
    rule_at,
    rule_data,
    steps,
    upload,
)

pytestmark = pytest.mark.django_db


# Roles.


def test_the_groups_have_exactly_the_permissions_they_need():
    editor = set(Group.objects.get(name="规则编辑").permissions.values_list("codename", flat=True))
    viewer = set(Group.objects.get(name="查看").permissions.values_list("codename", flat=True))
    models = {model._meta.model_name for model in apps.get_app_config("recognition").get_models()}
    assert models - {"dataversion"} == set(roles.EDITED_MODELS)  # a new model must be added to the groups
    actions = ("add", "change", "delete", "view")
    assert editor == {f"{action}_{model}" for model in roles.EDITED_MODELS for action in actions}
    assert viewer == {f"view_{model}" for model in roles.EDITED_MODELS}
    assert all(p.content_type.app_label == "recognition" for p in Group.objects.get(name="规则编辑").permissions.all())


def test_an_editor_can_change_a_rule_and_import(editor_client, client):
    rule = rule_at(4)
    response = editor_client.post(
        f"{RULES}{rule.pk}/change/",
        rule_data(
            rule,
            waived=steps("building-welder", "安全作业培训", "安全技术理论考核"),
            remaining=steps("building-welder", "安全操作技能考核"),
        ),
    )
    assert response.status_code == 302, errors(response)
    page = editor_client.get(RULES).content.decode()
    assert "import/" in page and "export/" in page
    preview = upload(editor_client, export_dataset().export("csv").encode(), "matrix.csv", CSV_FORMAT)
    assert "confirm_form" in preview.context


def test_a_viewer_sees_everything_and_can_save_nothing(viewer_client):
    rule = rule_at(4)
    assert viewer_client.get(RULES).status_code == 200
    page = viewer_client.get(f"{RULES}{rule.pk}/change/").content.decode()
    assert 'name="_save"' not in page
    response = viewer_client.post(
        f"{RULES}{rule.pk}/change/", rule_data(rule, waived=steps("building-welder", "安全技术理论考核"))
    )
    assert response.status_code == 403
    assert [s.name for s in rule_at(4).waived.all()] == ["安全作业培训"]
    assert viewer_client.post(f"{RULES}add/", new_rule_data()).status_code == 403
    assert viewer_client.post(f"{RULES}{rule.pk}/delete/", {"post": "yes"}).status_code == 403
    viewer_client.post(RULES, {"action": "make_draft", "_selected_action": [rule.pk]})
    assert rule_at(4).publication == Publication.PUBLISHED
    assert viewer_client.get(f"{RULES}import/").status_code == 403
    assert viewer_client.get(f"{RULES}{rule.pk}/history/").status_code == 200
    assert viewer_client.post(f"{RULES}export/", {"format": CSV_FORMAT, "resource": "0"}).status_code == 200


def test_staff_outside_the_groups_see_nothing(client, staff):
    client.force_login(staff("nobody"))
    page = client.get("/admin/").content.decode()
    assert "互认规则" not in page
    assert client.get(RULES).status_code == 403
    assert client.post(f"{RULES}export/", {"format": CSV_FORMAT, "resource": "0"}).status_code == 403
    assert client.get(f"{RULES}import/").status_code == 403


def test_the_rule_admin_is_registered_with_history_and_import_export():
    model_admin = admin.site._registry[RecognitionRule]
    assert isinstance(model_admin, RecognitionRuleAdmin)
    import reversion

    assert reversion.is_registered(RecognitionRule)
    assert "conditions" in reversion.revisions._get_options(RecognitionRule).follow
    assert "steps" in reversion.revisions._get_options(Certificate).follow
    assert "clauses" in reversion.revisions._get_options(Notice).follow


def test_snapshot_cache_is_not_stale_after_admin_writes(admin_client, client):
    snapshot.clear_cache()
    lookup(client, "building-welder")
    rule = rule_at(6)
    response = admin_client.post(f"{RULES}{rule.pk}/change/", rule_data(rule, apply_to_detail="测试说明"))
    assert response.status_code == 302, errors(response)
    body = lookup(client, "building-welder")
    assert recognition_to(body, "fusion-welding-cutting")["apply_to_detail"] == "测试说明"


def test_the_data_version_the_roles_and_the_history_read_one_list_of_models():
    import reversion
    from django.db.models.signals import post_save

    from recognition import history, models
    from recognition.rules.signals import bump_data_version

    assert tuple(model._meta.model_name for model in models.EDITED_MODELS) == roles.EDITED_MODELS
    assert history.recognition_models() is models.EDITED_MODELS
    for model in models.EDITED_MODELS:
        assert reversion.is_registered(model), f"{model.__name__} has no history"
        sync_receivers, _ = post_save._live_receivers(model)
        assert bump_data_version in sync_receivers, f"saving a {model.__name__} would not bump the data version"
    registered = {model for model in reversion.get_registered_models() if model._meta.app_label == "recognition"}
    assert registered == set(models.EDITED_MODELS)
