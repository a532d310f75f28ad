"""The 住建 verification fact, as ../shared/docs/domain.md rates it: medium, from several sources.

Only rows still holding the text first loaded are changed: a fact staff have
edited since is theirs and stays as it is.
"""

from django.db import migrations
from django.db.models import F
from django.utils import timezone

FIRST_TEXT = "可在住房和城乡建设部建筑施工特种作业人员查询系统核验。"
FIRST_SOURCE = "公开代码库中的说明(二手资料,待核实)"
TEXT = "可在全国工程质量安全监管信息平台的“建筑施工特种作业人员”查询(zlaq.mohurd.gov.cn)核验;部分省份另有本省的查询系统。"
SOURCE = "公开代码库中的说明及多个二手网页"


def rate_medium(apps, schema_editor):
    ReferenceFact = apps.get_model("recognition", "ReferenceFact")
    DataVersion = apps.get_model("recognition", "DataVersion")
    changed = ReferenceFact.objects.filter(text=FIRST_TEXT, source=FIRST_SOURCE, confidence="low").update(
        text=TEXT, source=SOURCE, confidence="medium"
    )
    if changed:
        DataVersion.objects.update(revision=F("revision") + 1, changed_at=timezone.now())


def rate_low(apps, schema_editor):
    ReferenceFact = apps.get_model("recognition", "ReferenceFact")
    ReferenceFact.objects.filter(text=TEXT, source=SOURCE, confidence="medium").update(
        text=FIRST_TEXT, source=FIRST_SOURCE, confidence="low"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("recognition", "0007_next_steps"),
    ]

    operations = [migrations.RunPython(rate_medium, rate_low)]
