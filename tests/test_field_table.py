"""The package format as documented is the format as read: docs/notice-format.md's key tables, the field
table (recognition.rules.fields) and what loading a package without each key does all say the same."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from recognition.models import Certificate
from recognition.notice_files import packages
from recognition.rules import fields

DOCUMENT = Path(settings.BASE_DIR) / "docs" / "notice-format.md"
PROVINCIAL = Path(__file__).parent / "data" / "provincial-notice.json"

# Each table of the document, the field table it describes, and where a package has such a row: the
# provincial test package's row to take the key from (one that nothing else in the package depends on).
SECTIONS = {
    "## `notice`": (fields.NOTICE, ("notice",)),
    "## A clause": (fields.CLAUSE, ("clauses", 1)),
    "## A certificate": (fields.CERTIFICATE, ("certificates", 0)),
    "## A rule": (fields.RULE, ("rules", 1)),
    "## A level equivalence": (fields.LEVEL, ("levels", 0)),
}


def documented(heading: str) -> dict[str, bool]:
    """{key: required} from the table under a heading; a row may name several keys (`a`, `b`)."""
    text = DOCUMENT.read_text(encoding="utf-8")
    lines = text.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0].splitlines()
    rows = [line for line in lines if line.startswith("| `")]
    assert rows, f"no key table under {heading}"
    keys = {}
    for row in rows:
        names, required = (cell.strip() for cell in row.strip("|").split("|")[:2])
        assert required in {"yes", "no"}, row
        for name in re.findall(r"`([a-z_]+)`", names):
            keys[name] = required == "yes"
    return keys


def in_table(table) -> dict[str, bool]:
    return {f.key: f.required for f in fields.package_fields(table)}


def test_the_top_level_table_is_the_readers():
    assert documented("## Top level") == fields.TOP_LEVEL


@pytest.mark.parametrize("heading", SECTIONS)
def test_each_key_table_is_the_field_table(heading):
    table, _ = SECTIONS[heading]
    assert documented(heading) == in_table(table)


def test_a_certificates_steps_are_the_step_table():
    steps = next(line for line in DOCUMENT.read_text(encoding="utf-8").splitlines() if line.startswith("| `steps`"))
    named = re.search(r"each `\{([^}]*)\}`", steps).group(1)
    assert re.findall(r'"([a-z_]+)"', named) == [f.key for f in fields.STEP]


@pytest.mark.django_db
def test_a_certificate_without_a_family_loads_with_its_departments_family_as_the_document_says():
    assert documented("## A certificate")["family"] is False
    data = json.loads(PROVINCIAL.read_text(encoding="utf-8"))
    del data["certificates"][0]["family"]  # 住房城乡建设部门, 电工: as building-electrician
    packages.load(data)
    assert Certificate.objects.get(slug="js-electrician-post").family == "建筑施工特种作业操作资格证书"


def cases() -> list:
    found = [
        pytest.param(path, f.key, f.required, id=f"{path[0]}.{f.key}")
        for table, path in SECTIONS.values()
        for f in fields.package_fields(table)
    ]
    steps = ("certificates", 0, "steps", 0)
    return found + [pytest.param(steps, f.key, f.required, id=f"steps.{f.key}") for f in fields.STEP]


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "key", "required"), cases())
def test_a_package_without_a_required_key_is_refused_and_without_an_optional_one_loads(path, key, required):
    data = json.loads(PROVINCIAL.read_text(encoding="utf-8"))
    row = data
    for step in path:
        row = row[step]
    row.pop(key, None)
    if required:
        with pytest.raises(packages.PackageError):
            packages.load(data, dry_run=True)
    else:
        assert packages.load(data, dry_run=True).action == "created"


@pytest.mark.django_db
@pytest.mark.parametrize("key", fields.TOP_LEVEL)
def test_the_top_level_keys_are_required_as_the_reader_says(key):
    example = DOCUMENT.read_text(encoding="utf-8").split("```json\n", 1)[1].split("```", 1)[0]
    data = copy.deepcopy(json.loads(example))
    data.pop(key, None)
    if fields.TOP_LEVEL[key]:
        with pytest.raises(packages.PackageError):
            packages.load(data, dry_run=True)
    else:
        assert packages.load(data, dry_run=True).action == "created"
