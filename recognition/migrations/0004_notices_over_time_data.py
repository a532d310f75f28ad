"""Data for 0003, frozen here (no import of live code).

A notice's slug from its number, a clause's label as a reader cites it, and
valid_until moved back one day: it now names the last day a row applies
instead of the first day it no longer does.
"""

import datetime
import re

from django.db import migrations


def notice_slug(number):
    from pypinyin import Style, lazy_pinyin

    parts = []
    for run in re.findall(r"\d+|[\u4e00-\u9fff]+|[A-Za-z]+", number):
        if run.isdigit() or run.isascii():
            parts.append(run.lower())
        elif run != "号":
            parts.append("".join(lazy_pinyin(run.removesuffix("号"), style=Style.FIRST_LETTER)).lower())
    return "-".join(part for part in parts if part)[:60] or "notice"


def forward(apps, schema_editor):
    db = schema_editor.connection.alias
    Notice = apps.get_model("recognition", "Notice")
    Clause = apps.get_model("recognition", "Clause")
    taken = set()
    for notice in Notice.objects.using(db).order_by("pk"):
        slug = base = notice_slug(notice.number)
        counter = 2
        while slug in taken:
            slug, counter = f"{base}-{counter}", counter + 1
        taken.add(slug)
        notice.slug = slug
        if notice.legal_status and notice.legal_status != "全文有效":
            notice.status_note = notice.legal_status
        notice.save(update_fields=["slug", "status_note"])
    for notice_id in Clause.objects.using(db).values_list("notice_id", flat=True).distinct():
        section = ""
        for clause in Clause.objects.using(db).filter(notice_id=notice_id).order_by("order"):
            if clause.level <= 1:
                section = clause.numbering
                label = clause.numbering or {"preamble": "序言", "signature": "落款"}.get(
                    clause.anchor, clause.heading[:20]
                )
            else:
                label = f"{section}{clause.numbering}" or clause.heading[:20]
            clause.label = label
            clause.save(update_fields=["label"])
    one_day = datetime.timedelta(days=1)
    for name in ("RecognitionRule", "LevelEquivalence"):
        model = apps.get_model("recognition", name)
        for row in model.objects.using(db).exclude(valid_until=None):
            row.valid_until = max(row.valid_until - one_day, row.valid_from)
            row.save(update_fields=["valid_until"])


def backward(apps, schema_editor):
    db = schema_editor.connection.alias
    one_day = datetime.timedelta(days=1)
    for name in ("RecognitionRule", "LevelEquivalence"):
        model = apps.get_model("recognition", name)
        for row in model.objects.using(db).exclude(valid_until=None):
            row.valid_until = row.valid_until + one_day
            row.save(update_fields=["valid_until"])


class Migration(migrations.Migration):
    dependencies = [
        ("recognition", "0003_notices_over_time"),
    ]

    operations = [migrations.RunPython(forward, backward)]
