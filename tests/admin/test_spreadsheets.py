"""Spreadsheets: no cell runs as a formula (OWASP's CSV injection payloads), and export → import changes nothing."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.utils import timezone

from recognition.models import Certificate, Condition, Department, RecognitionRule
from recognition.spreadsheets import neutralise, restore
from tests.admin.helpers import CSV_FORMAT, RULES, XLSX_FORMAT, confirm, rule_at, snapshot_of_rules, upload, version

pytestmark = pytest.mark.django_db

# OWASP, "CSV Injection", and the payloads found in the attack on a copy of the site.
OWASP_PAYLOADS = [
    "=1+2",
    '=HYPERLINK("http://evil.example/","x")',
    "=cmd|' /C calc'!A0",
    "=10+20+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "@=2+5",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    '=DDE("cmd";"/C calc";"!A0")A0',
    "\t=1+2",
    "\r=1+2",
    "'=1+2",
    "'already quoted",
    "''two quotes",
    "=",
]
DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize("value", [*OWASP_PAYLOADS, "普通文字", "", "a=b", "50%"])
def test_neutralise_is_undone_by_restore(value):
    assert restore(neutralise(value)) == value
    assert not neutralise(value).startswith(DANGEROUS_STARTS)


def plant_payloads() -> list[RecognitionRule]:
    """Every payload somewhere in the rules: free text, a department's name, a certificate's name, a condition."""
    rules = list(RecognitionRule.objects.order_by("serial"))
    for index, payload in enumerate(OWASP_PAYLOADS):
        rule = rules[index % len(rules)]
        if index < len(rules):
            rule.apply_to_detail = payload
        else:
            rule.quote = payload
        rule.save()
    department = rule_at(1).apply_to
    department.name = "@=2+5"
    department.save()
    certificate = Certificate.objects.get(slug="building-welder")
    certificate.name = "=cmd|' /C calc'!A0"
    certificate.save()
    Condition.objects.create(rule=rule_at(2), order=99, text='=HYPERLINK("http://evil.example/","x")')
    return rules


def cells_of_csv(content: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for cell in row]


@pytest.mark.parametrize("file_format", [CSV_FORMAT, XLSX_FORMAT])
def test_owasp_payloads_go_out_as_text_and_come_back_unchanged(admin_client, file_format):
    plant_payloads()
    response = admin_client.post(f"{RULES}export/", {"format": file_format, "resource": "0"})
    assert response.status_code == 200
    if file_format == CSV_FORMAT:
        cells = cells_of_csv(response.content)
    else:
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        cells = []
        for row in book.active.iter_rows():
            for cell in row:
                assert cell.data_type in ("s", "n") and cell.number_format == "@", (cell.coordinate, cell.data_type)
                assert cell.data_type == "s" or cell.value is None  # text, or empty
                cells.append("" if cell.value is None else cell.value)
    assert not [cell for cell in cells if cell.startswith(DANGEROUS_STARTS)]
    assert '\'=HYPERLINK("http://evil.example/","x")' in cells
    assert "'@=2+5" in cells  # the department, by name

    before, data_version = snapshot_of_rules(), version()
    preview = upload(
        admin_client, response.content, f"export.{'csv' if file_format == CSV_FORMAT else 'xlsx'}", file_format
    )
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors(), preview.content.decode()[-3000:]
    assert [row.import_type for row in result.rows] == ["skip"] * len(result.rows)
    confirm(admin_client, preview)
    assert snapshot_of_rules() == before
    assert version() == data_version
    assert RecognitionRule.objects.filter(apply_to_detail="=1+2").exists()
    assert RecognitionRule.objects.filter(quote="'=1+2").exists()
    assert RecognitionRule.objects.filter(quote="\r=1+2").exists()
    assert Department.objects.filter(name="@=2+5").exists()


def test_the_public_csv_neutralises_every_payload(client):
    plant_payloads()
    response = client.get("/matrix.csv")
    assert response.status_code == 200
    cells = cells_of_csv(response.content)
    assert not [cell for cell in cells if cell.startswith(DANGEROUS_STARTS)]
    assert "'=cmd|' /C calc'!A0" in cells  # the certificate's name
    assert "'@=2+5" in cells


def test_the_excel_export_is_named_for_what_it_is_with_dates_without_time(admin_client):
    response = admin_client.post(f"{RULES}export/", {"format": XLSX_FORMAT, "resource": "0"})
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f"attachment; filename*=utf-8''%E4%BA%92%E8%AE%A4%E8%A7%84%E5%88%99-{today}.xlsx"
    )
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["互认规则"]
    header = [cell.value for cell in next(book.active.iter_rows())]
    start = header.index("施行日期")
    dates = {row[start].value for row in book.active.iter_rows(min_row=2)}
    assert dates == {"2026-01-09"}
    csv_response = admin_client.post(f"{RULES}export/", {"format": CSV_FORMAT, "resource": "0"})
    assert csv_response["Content-Disposition"].endswith(f"-{today}.csv")
