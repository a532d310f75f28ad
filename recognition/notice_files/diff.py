"""Comparing a package with what the database holds for its notice, and saying what loading it changes."""

from __future__ import annotations

import json
from typing import Any

from recognition.models import Certificate, Notice
from recognition.notice_files.dump import dump
from recognition.rules.fields import everyday_text


def current(package: dict) -> dict | None:
    """What the database holds for the package's notice and certificates, in the same form; None if new."""
    notice = Notice.objects.filter(number=package["notice"]["number"]).first()
    if notice is None:
        return None
    slugs = [cert["slug"] for cert in package["certificates"]]
    certificates = Certificate.objects.filter(slug__in=slugs).select_related("department", "occupation")
    result = dump(notice, certificates=list(certificates.prefetch_related("steps")))
    order = {slug: i for i, slug in enumerate(slugs)}
    result["certificates"].sort(key=lambda c: order[c["slug"]])
    return result


def normalised(package: dict) -> dict:
    """For comparing: lists in a stable order, wherever their order is not what the package says.

    A rule's steps are a set (the database keeps them in the certificate's
    order), and its conditions, for deciding whether a package differs, are
    too: a file listing either in another order is the same rule, and
    reloading it changes nothing.
    """
    copy = json.loads(json.dumps(package))
    copy["clauses"].sort(key=lambda c: c["order"])
    copy["rules"].sort(key=lambda r: r["serial"])
    copy["levels"].sort(key=lambda lv: (lv["held"] or "", lv["occupation"] or ""))
    copy["certificates"].sort(key=lambda c: c["slug"])
    for cert in copy["certificates"]:
        cert["everyday_names"] = everyday_text(cert["everyday_names"])
        cert["steps"].sort(key=lambda s: (s["order"], s["name"]))
    for rule in copy["rules"]:
        rule["waived"].sort()
        rule["remaining"].sort()
        rule["conditions"].sort(key=lambda c: (c["text"], c["kind"]))
    return copy


def changes(before: dict | None, after: dict) -> list[str]:
    """What loading `after` over `before` changes, one line each, for staff."""
    if before is None:
        return [
            f"新增通知 {after['notice']['number']}:{len(after['clauses'])} 个条款、"
            f"{len(after['certificates'])} 种证书、{len(after['rules'])} 条规则、{len(after['levels'])} 条等级比照。"
        ]
    before, after = normalised(before), normalised(after)
    lines = []
    for key, value in after["notice"].items():
        if before["notice"].get(key) != value:
            lines.append(f"通知 {key}:{_show(before['notice'].get(key))} → {_show(value)}")
    for noun, key, name in (
        ("条款", "clauses", lambda r: r["anchor"]),
        ("证书", "certificates", lambda r: r["slug"]),
        ("规则", "rules", lambda r: f"序号{r['serial']}"),
        ("等级比照", "levels", lambda r: f"{r['held']} {r['occupation']}"),
    ):
        old = {name(row): row for row in before[key]}
        new = {name(row): row for row in after[key]}
        for ident in old.keys() - new.keys():
            lines.append(f"删除{noun} {ident}")
        for ident, row in new.items():
            if ident not in old:
                lines.append(f"新增{noun} {ident}")
                continue
            for field_name, value in row.items():
                if old[ident].get(field_name) != value:
                    lines.append(f"{noun} {ident} {field_name}:{_show(old[ident].get(field_name))} → {_show(value)}")
    return lines


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "…"
