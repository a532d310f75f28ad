"""The benchmark's world generator (tools/world.py): a tiny world loads as an operator loads it, and answers.

World S: 1号, one more national notice and two provinces, both replacing the same national rows. Each
package goes through `manage.py load_notice`, so every check the admin makes holds for it; then each
province's replacement answers in its own region and the national row everywhere else.
"""

from __future__ import annotations

import datetime
import io
import json
from collections import defaultdict

import pytest
from django.core.management import call_command

from recognition.models import Certificate, LevelEquivalence, Notice, RecognitionRule
from recognition.rules import engine, snapshot
from tools import world

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 12, 1)  # every row of the world has started, none of the later ones yet


@pytest.fixture
def loaded(tmp_path) -> dict:
    files, manifest = world.generate("S", 7)
    world.write(files, manifest, tmp_path)
    for name in manifest["files"]:
        call_command(
            "load_notice", str(tmp_path / name), verbosity=0, stdout=io.StringIO()
        )  # CommandError on any refusal
    return manifest


def test_the_same_seed_gives_the_same_world_and_another_seed_another():
    assert world.generate("M", 3) == world.generate("M", 3)
    assert world.generate("S", 3)[0] != world.generate("S", 4)[0]


@pytest.mark.parametrize("name", ["M", "L"])
def test_worlds_m_and_l_have_the_counts_of_issue_14_and_fit_a_package_each(name):
    from recognition.notice_files.check import MAX_BYTES

    files, manifest = world.generate(name, 2026)
    wanted = {"M": (13, 40, 607, 40), "L": (40, 150, 5007, 150)}[name]
    counts = manifest["counts"]
    assert (counts["notices"], counts["certificates"], counts["rules"], counts["levels"]) == wanted
    for number, package in files.items():
        provincial = bool(package["notice"]["scope"])
        replacing = sum("replaces" in rule for rule in package["rules"])
        assert not provincial or replacing == len(package["rules"]) // 3, number
    by_row = defaultdict(list)
    for replacement in manifest["replacements"]:
        by_row[tuple(replacement["replaces"].values())].append(replacement["scope"])
    assert max(len(scopes) for scopes in by_row.values()) >= 3  # several provinces on one national row
    assert all(len({code for s in scopes for code in s}) == len(scopes) for scopes in by_row.values())
    assert (
        max(len(json.dumps(p, ensure_ascii=False, separators=(",", ":")).encode()) for p in files.values()) < MAX_BYTES
    )


def test_a_tiny_world_loads_without_refusal_with_its_counts(loaded):
    counts = loaded["counts"]
    assert Notice.objects.count() == counts["notices"] == 4
    assert Certificate.objects.count() == counts["certificates"] == 12
    assert RecognitionRule.objects.count() == counts["rules"] == 40
    assert LevelEquivalence.objects.count() == counts["levels"] == 12


def test_each_province_s_replacement_answers_in_its_region_and_the_national_row_elsewhere(loaded, client):
    book = snapshot.current_rules()
    by_row = defaultdict(list)
    for replacement in loaded["replacements"]:
        by_row[(replacement["replaces"]["notice"], replacement["replaces"]["serial"])].append(replacement)
    national_key, replacements = next((key, rows) for key, rows in by_row.items() if len(rows) == 2)
    held, target = replacements[0]["held"], replacements[0]["target"]
    elsewhere = next(code for code in book.provinces if code not in loaded["provinces"])

    def applying(region: str) -> list[tuple[str, int]]:
        result = engine.lookup(book, [held], region, on=DAY)
        return [r.rule.key for r in result.recognitions if r.rule.target == target and not r.excluded]

    for replacement in replacements:
        [code] = replacement["scope"]
        assert applying(code) == [(replacement["notice"], replacement["serial"])]
        answer = client.get(f"/api/v1/lookup?held={held}&region={code}&on={DAY}").json()
        [row] = [r for r in answer["recognitions"] if r["target"] == target and r["applies"]]
        assert (row["notice"], row["serial"]) == (replacement["notice"], replacement["serial"])
    assert applying(elsewhere) == [national_key]
    answer = client.get(f"/api/v1/lookup?held={held}&region={elsewhere}&on={DAY}").json()
    [row] = [r for r in answer["recognitions"] if r["target"] == target and r["applies"]]
    assert (row["notice"], row["serial"]) == national_key
