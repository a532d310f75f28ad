"""Writing a notice out as a package, in the canonical form `read.prepare` returns."""

from __future__ import annotations

import json

from django.db.models import Q

from recognition.models import Certificate, Notice
from recognition.rules.fields import CERTIFICATE, CLAUSE, FORMAT, LEVEL, NOTICE, RULE, dump_row


def new_certificates(notice: Notice) -> list[Certificate]:
    """The certificates a notice brought: those its rows name and no earlier notice's rows name.

    The database does not record which notice introduced a certificate; the
    earliest notice (by date issued) whose rules or levels name it counts.
    """
    named = _named_certificates(notice)
    earlier = Notice.objects.filter(Q(issued_on__lt=notice.issued_on) | Q(issued_on=notice.issued_on, pk__lt=notice.pk))
    before = set()
    for other in earlier:
        before |= _named_certificates(other)
    return list(
        Certificate.objects.filter(pk__in=named - before)
        .select_related("department", "occupation")
        .prefetch_related("steps")
    )


def _named_certificates(notice: Notice) -> set[int]:
    pks = set()
    for held, target in notice.rules.values_list("held_id", "target_id"):
        pks |= {held, target}
    pks |= set(notice.level_equivalences.values_list("certificate_id", flat=True))
    return pks


def dump_certificate(cert: Certificate) -> dict:
    return dump_row(CERTIFICATE, cert)


def dump(notice: Notice, certificates: list[Certificate] | None = None) -> dict:
    """The notice as a package, in the canonical form `prepare` returns."""
    if certificates is None:
        certificates = new_certificates(notice)
    rules = (
        notice.rules.select_related("held", "target", "apply_to", "clause", "replaces__notice")
        .prefetch_related("waived", "remaining", "conditions")
        .order_by("serial")
    )
    levels = notice.level_equivalences.select_related(
        "certificate", "occupation", "deemed_level", "eligible_level", "clause", "replaces__notice"
    ).order_by("certificate__order", "certificate__slug", "occupation__name", "pk")
    return {
        "format": FORMAT,
        "notice": dump_row(NOTICE, notice),
        "clauses": [dump_row(CLAUSE, clause) for clause in notice.clauses.order_by("order")],
        "certificates": [dump_certificate(cert) for cert in sorted(certificates, key=lambda c: (c.order, c.slug))],
        "rules": [dump_row(RULE, rule) for rule in rules],
        "levels": [dump_row(LEVEL, level) for level in levels],
    }


def dumps(notice: Notice) -> str:
    return json.dumps(dump(notice), ensure_ascii=False, indent=2) + "\n"
