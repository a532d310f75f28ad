"""The notice as data.

Everything the site states about a certificate is a row here, so that a new
notice, certificate or waiver is an admin edit, not code. The rules engine
(`recognition.rules.engine`) never touches these models: `recognition.rules.snapshot`
reads them once into plain data.
"""

from recognition.models.certificates import (
    Certificate,
    CertificateManager,
    Department,
    Occupation,
    SkillLevel,
    Step,
    everyday_name_list,
)
from recognition.models.notices import (
    Clause,
    Notice,
    NoticeQuerySet,
    Publication,
    issuer_list,
    suggest_clause_label,
    suggest_notice_slug,
)
from recognition.models.reference import (
    DataVersion,
    Issuance,
    NextStep,
    NextStepQuerySet,
    Province,
    ProvinceManager,
    ReferenceFact,
)
from recognition.models.rules import (
    Condition,
    LevelEquivalence,
    Period,
    RecognitionRule,
    RecognitionRuleQuerySet,
)

# Every model staff edit, the one list: the data version counts their writes (rules.signals), the staff
# groups get permissions on them (staff.roles) and the history keeps their versions (history). Migration
# 0002 keeps its own frozen copy, as a migration must.
EDITED_MODELS = (
    Notice,
    Clause,
    Department,
    Occupation,
    SkillLevel,
    Certificate,
    Step,
    RecognitionRule,
    Condition,
    LevelEquivalence,
    Province,
    Issuance,
    ReferenceFact,
    NextStep,
)

__all__ = [
    "Publication",
    "NoticeQuerySet",
    "suggest_notice_slug",
    "issuer_list",
    "Notice",
    "Clause",
    "suggest_clause_label",
    "Department",
    "Occupation",
    "SkillLevel",
    "CertificateManager",
    "Certificate",
    "Step",
    "everyday_name_list",
    "Period",
    "RecognitionRuleQuerySet",
    "RecognitionRule",
    "Condition",
    "LevelEquivalence",
    "ProvinceManager",
    "Province",
    "Issuance",
    "ReferenceFact",
    "DataVersion",
    "NextStepQuerySet",
    "NextStep",
    "EDITED_MODELS",
]
