"""Shipped words that said more than their sources (issue 16, review words-2026-12 A7, A12, A28, A30).

As in 0008, only rows still holding the text first loaded are changed: a row staff have edited since is
theirs and stays as it is. fixtures/ hold the new text for new databases.
"""

from django.db import migrations
from django.db.models import F
from django.utils import timezone

NOTICE = "人社厅发〔2026〕1号"
# A7: the capture has only 「附件下载」; the attachment's title is not in it.
ATTACHMENT = ("附件:职业资格证书互通互认及比照认定对照表(据正文重建)", "附件(标题未随网页转载)")

EM_VALIDITY = (
    "特种作业操作证有效期为6年,在全国范围内有效;每3年复审1次。连续从事本工种10年以上、严格遵守有关安全生产法律法规的,"
    "经原考核发证机关或者从业所在地考核发证机关同意,复审时间可以延长至每6年1次。",
    "特种作业操作证有效期为6年,在全国范围内有效;每3年复审1次。连续从事本工种10年以上、严格遵守有关安全生产法律法规的,"
    "复审时间可以延长至每6年1次。",
)
HC_VALIDITY = (
    "建筑施工特种作业操作资格证书有效期为2年。有效期满需要延期的,应当于期满前3个月内向原考核发证机关申请办理延期复核手续;"
    "延期复核合格的,有效期延期2年。",
    "建筑施工特种作业操作资格证书有效期为2年。有效期满需要延期的,应当于期满前3个月内申请办理延期复核手续;"
    "延期复核合格的,有效期延期2年。",
)
SE_VALIDITY = "特种设备作业人员证有效期为4年,期满前按规定申请延续(复审)。"
SE_SOURCE = "《特种设备作业人员监督管理办法》,TSG Z6001《特种设备作业人员考核规则》,TSG Z6002《特种设备焊接操作人员考核细则》"
SE_NEW = (
    "特种设备作业人员证有效期为4年,期满前按规定申请延续。",
    "《特种设备作业人员监督管理办法》、TSG Z6001《特种设备作业人员考核规则》、TSG Z6002《特种设备焊接操作人员考核细则》"
    "的较早版本,据二手资料",
)
# A12: 建筑焊工 is issued only where the province's department issues it, as the notice itself says.
WELDER_USE = (
    "在房屋建筑和市政工程施工现场从事建筑焊工作业须持此证。",
    "在颁发此证的地区,在房屋建筑和市政工程施工现场从事建筑焊工作业须持此证(并非所有地区都颁发此证)。",
)
# A30: 持证上岗 is a phrase, not a certificate's name; domain.md's everyday names include 上岗证.
SPECIAL_NAMES = (
    "焊工证、压力容器焊工证、锅炉焊工证、特种设备作业人员证、持证上岗证",
    "焊工证、压力容器焊工证、锅炉焊工证、特种设备作业人员证、上岗证",
)


def changes(apps, forward: bool) -> int:
    Notice = apps.get_model("recognition", "Notice")
    Certificate = apps.get_model("recognition", "Certificate")
    ReferenceFact = apps.get_model("recognition", "ReferenceFact")

    def pick(pair):
        return pair if forward else pair[::-1]

    old, new = pick(ATTACHMENT)
    changed = Notice.objects.filter(number=NOTICE, attachment_title=old).update(attachment_title=new)
    for pair in (EM_VALIDITY, HC_VALIDITY):
        old, new = pick(pair)
        changed += ReferenceFact.objects.filter(topic="有效期", text=old).update(text=new)
    (old_text, old_source), (new_text, new_source) = pick(((SE_VALIDITY, SE_SOURCE), SE_NEW))
    changed += ReferenceFact.objects.filter(topic="有效期", text=old_text, source=old_source).update(
        text=new_text, source=new_source
    )
    old, new = pick(WELDER_USE)
    changed += ReferenceFact.objects.filter(certificate__slug="building-welder", topic="用途", text=old).update(
        text=new
    )
    old, new = pick(SPECIAL_NAMES)
    changed += Certificate.objects.filter(slug="special-equipment-welder", everyday_names=old).update(
        everyday_names=new
    )
    return changed


def forwards(apps, schema_editor):
    if changes(apps, forward=True):
        DataVersion = apps.get_model("recognition", "DataVersion")
        DataVersion.objects.update(revision=F("revision") + 1, changed_at=timezone.now())


def backwards(apps, schema_editor):
    changes(apps, forward=False)


class Migration(migrations.Migration):
    dependencies = [
        ("recognition", "0008_building_verification_fact"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
