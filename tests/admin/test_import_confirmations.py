"""The admin. An import's 确认导入 writes only what its preview showed: when a row the preview listed, or a row
that conflicts with one, changed after the preview, the preview is shown again, marked, and nothing is written."""

from __future__ import annotations

import pytest
import tablib
from django.test import Client

from recognition.models import Publication, RecognitionRule
from recognition.staff.resources import COLUMNS
from tests.admin.helpers import CSV_FORMAT, RULES, confirm, export_dataset, rule_at, snapshot_of_rules, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = str(tmp_path / "uploads")
    return tmp_path / "uploads"


@pytest.fixture
def two_editors(staff):
    first, second = Client(), Client()
    first.force_login(staff("zhang", "规则编辑"))
    second.force_login(staff("li", "规则编辑"))
    return first, second


def csv_of(rows: list[list] | None = None) -> bytes:
    dataset = export_dataset()
    return tablib.Dataset(*(rows or list(dataset)), headers=dataset.headers).export("csv").encode("utf-8-sig")


def changed_rows(column: str, value: str, index: int = 0) -> list[list]:
    rows = [list(row) for row in export_dataset()]
    rows[index][list(COLUMNS).index(column)] = value
    return rows


def marked(response) -> str:
    """The mark on a preview shown again: the rows that changed since the first, and that nothing was written."""
    assert response.status_code == 200
    assert "confirm_form" in response.context or "result" in response.context
    return response.context["preview_changed"]


def test_a_rule_withdrawn_by_a_colleague_after_the_preview_is_not_republished(two_editors, upload_dir):
    first, second = two_editors
    preview = upload(first, csv_of(), "rules.csv", CSV_FORMAT)
    assert [row.import_type for row in preview.context["result"].rows] == ["skip"] * 7  # 7 × 没有变化

    second.post(RULES, {"action": "make_draft", "_selected_action": [rule_at(1).pk]})  # li withdraws rule 1
    before = snapshot_of_rules()
    again = confirm(first, preview)

    message = marked(again)
    assert "人社厅发〔2026〕1号 序号1(li 于" in message
    assert "没有写入任何数据" in message
    assert rule_at(1).publication == Publication.DRAFT  # not republished
    assert snapshot_of_rules() == before
    page = again.content.decode()
    assert 'id="preview-changed"' in page and "序号1" in page
    assert [row.import_type for row in again.context["result"].rows] == ["update"] + ["skip"] * 6  # as it is now
    assert len(list(upload_dir.iterdir())) == 1  # the upload still waits for the new preview's confirmation

    # Confirmed from the preview shown again, the file's 已发布 is taken, knowingly.
    assert confirm(first, again).status_code == 302
    assert rule_at(1).publication == Publication.PUBLISHED
    assert list(upload_dir.iterdir()) == []


def test_a_change_to_a_listed_rule_made_any_way_is_seen(editor_client):
    preview = upload(editor_client, csv_of(changed_rows("quote", "新的依据原文", index=2)), "rules.csv", CSV_FORMAT)
    RecognitionRule.objects.filter(pk=rule_at(5).pk).update(apply_to_detail="同事改的说明")  # no history at all
    again = confirm(editor_client, preview)
    message = marked(again)
    assert "人社厅发〔2026〕1号 序号5(另一位工作人员" in message
    assert "序号3" not in message  # only what changed is named
    assert rule_at(3).quote != "新的依据原文"
    assert rule_at(5).apply_to_detail == "同事改的说明"


def test_a_rule_a_colleague_adds_where_the_file_adds_one_is_seen(editor_client):
    rows = [list(row) for row in export_dataset()]
    new = list(rows[0])
    new[list(COLUMNS).index("serial")] = "8"
    new[list(COLUMNS).index("publication")] = "草稿"
    preview = upload(editor_client, csv_of([*rows, new]), "rules.csv", CSV_FORMAT)
    assert [row.import_type for row in preview.context["result"].rows][-1] == "new"

    colleague = rule_at(1)
    colleague.pk, colleague.serial, colleague.publication = None, 8, Publication.DRAFT
    colleague.save()
    again = confirm(editor_client, preview)
    assert "人社厅发〔2026〕1号 序号8" in marked(again)
    assert RecognitionRule.objects.filter(notice__number="人社厅发〔2026〕1号").count() == 8


def test_a_rule_the_file_does_not_list_that_a_colleague_gives_the_same_pair_is_seen(editor_client):
    only_the_first = changed_rows("quote", "新的依据原文")[:1]
    preview = upload(editor_client, csv_of(only_the_first), "rules.csv", CSV_FORMAT)
    rule = rule_at(1)
    other = RecognitionRule.objects.exclude(pk=rule.pk).exclude(held=rule.held, target=rule.target).first()
    RecognitionRule.objects.filter(pk=other.pk).update(held=rule.held, target=rule.target, publication="draft")
    again = confirm(editor_client, preview)
    assert f"人社厅发〔2026〕1号 序号{other.serial}" in marked(again)
    assert rule_at(1).quote != "新的依据原文"


def test_a_confirmation_with_no_change_in_between_writes_as_before(editor_client):
    preview = upload(editor_client, csv_of(changed_rows("quote", "新的依据原文")), "rules.csv", CSV_FORMAT)
    rule_at(7).save()  # saved unchanged: nothing the preview showed is different
    assert confirm(editor_client, preview).status_code == 302
    assert rule_at(1).quote == "新的依据原文"


def test_a_confirmation_without_its_preview_or_with_anothers_writes_nothing(editor_client, upload_dir):
    first = upload(editor_client, csv_of(changed_rows("quote", "甲")), "a.csv", CSV_FORMAT)
    second = upload(editor_client, csv_of(changed_rows("quote", "乙")), "b.csv", CSV_FORMAT)
    form = second.context["confirm_form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    for forged in ({**data, "preview": ""}, {**data, "preview": first.context["confirm_form"].initial["preview"]}):
        response = editor_client.post(f"{RULES}process_import/", forged, follow=True)
        text = " ".join(str(m) for m in response.context["messages"])
        assert "预览已失效" in text and "没有写入任何数据" in text
        assert rule_at(1).quote not in {"甲", "乙"}


def test_the_confirm_form_carries_the_upload_name_and_the_preview_and_nothing_of_the_file(editor_client):
    preview = upload(editor_client, csv_of(changed_rows("quote", "新的依据原文")), "rules.csv", CSV_FORMAT)
    form = preview.context["confirm_form"]
    assert set(form.fields) == {"import_file_name", "original_file_name", "format", "resource", "preview"}
    assert "新的依据原文" not in str(form.initial)
