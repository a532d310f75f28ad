"""An import's confirmation writes only what its preview showed.

A preview (the rule spreadsheet's, a notice package's) seals what it showed into its confirmation form: the
rows it lists and the rows that would conflict with them, each as a hash of what is stored for it (the hash
of recognition.admin.edit_versions, so a change made any way is seen), signed with when it was shown, the
upload it is for and the options it was shown with. The confirmation reads the same rows again, in the
transaction that writes; if any changed, appeared or went, it writes nothing and the preview is shown again,
marked with those rows, who changed them and when.

Which rows conflict: a rule of the same pair of certificates (the overlap checks), a rule it replaces or that
replaces it (publishing one moves the other's last day), and for a package, a level equivalence of the same
certificate and occupation.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core import signing
from django.utils import timezone

from recognition.admin import edit_versions
from recognition.models import Certificate, Clause, Condition, LevelEquivalence, Notice, RecognitionRule, Step

SALT = "recognition.admin.preview_marks"
RULE_INLINES = [("适用条件", Condition, "rule")]
NOTICE_INLINES = [("条款", Clause, "notice")]
CERTIFICATE_INLINES = [("取证环节", Step, "certificate")]


@dataclass(frozen=True)
class Row:
    digest: str | None  # None: not stored (a row the import would add)
    model: type | None = None
    pk: int | None = None


State = dict[str, Row]  # by the row's name, as staff read it: 人社厅发〔2026〕1号 序号1


def rule_label(number: str, serial: int) -> str:
    return f"{number} 序号{serial}"


def digests(model, pks, inlines) -> dict[int, str]:
    state = edit_versions.stored_state(model, list(pks), inlines)
    return {int(pk): edit_versions.digest(fields) for pk, fields in state.items()}


@dataclass
class Rules:
    """Every rule as stored: (notice id, serial, (held id, target id), the rule it replaces) by id, the hash of
    each, and the notices' numbers. Read once where a preview reads, narrowed to its rows once it is known."""

    found: dict[int, tuple]
    hashes: dict[int, str]
    numbers: dict[int, str]

    @classmethod
    def stored(cls) -> Rules:
        rules = RecognitionRule.objects.values_list("pk", "notice_id", "serial", "held_id", "target_id", "replaces_id")
        found = {pk: (notice, serial, (held, target), replaces) for pk, notice, serial, held, target, replaces in rules}
        numbers = dict(Notice.objects.values_list("pk", "number"))
        return cls(found, digests(RecognitionRule, sorted(found), RULE_INLINES), numbers)

    def rows(self, keys=(), pairs=(), notices=()) -> State:
        """Rules by (notice id, serial) (absent ones included), every rule of the same (held id, target id) or
        of one of `notices`, and the rules those replace or are replaced by."""
        keys, pairs, notices = set(map(tuple, keys)), set(map(tuple, pairs)), set(notices)
        found = self.found
        chosen = {
            pk
            for pk, (notice, serial, pair, _) in found.items()
            if (notice, serial) in keys or pair in pairs or notice in notices
        }
        chosen |= {found[pk][3] for pk in chosen if found[pk][3]}
        chosen |= {pk for pk, (*_, replaces) in found.items() if replaces in chosen}
        state = {
            rule_label(self.numbers[found[pk][0]], found[pk][1]): Row(self.hashes[pk], RecognitionRule, pk)
            for pk in chosen
        }
        for notice, serial in keys:
            state.setdefault(rule_label(self.numbers.get(notice, "?"), serial), Row(None))
        return state


def rule_rows(keys=(), pairs=(), notices=()) -> State:
    return Rules.stored().rows(keys, pairs, notices)


def package_rows(package: dict) -> State:
    """A notice package's rows: its notice (with its clauses), its rules and levels, the certificates it
    brings (with their steps), and the rows of other notices that conflict with its rules and levels."""
    number = package["notice"]["number"]
    notice = Notice.objects.filter(number=number).first()
    named = {cert["slug"] for cert in package["certificates"]} | {level["held"] for level in package["levels"]}
    named |= {rule[key] for rule in package["rules"] for key in ("held", "target")}
    ids = dict(Certificate.objects.filter(slug__in=named).values_list("slug", "pk"))
    state = certificate_rows([cert["slug"] for cert in package["certificates"]], ids)
    state[f"通知 {number}"] = Row(None)
    if notice:
        state[f"通知 {number}"] = Row(digests(Notice, [notice.pk], NOTICE_INLINES)[notice.pk], Notice, notice.pk)
    pairs = {(ids.get(rule["held"]), ids.get(rule["target"])) for rule in package["rules"]}
    state.update(rule_rows(replaced_keys(package["rules"]), pairs, [notice.pk] if notice else []))
    state.update(level_rows(notice, package["levels"], ids))
    return state


def certificate_rows(slugs: list[str], ids: dict[str, int]) -> State:
    hashes = digests(Certificate, [ids[slug] for slug in slugs if slug in ids], CERTIFICATE_INLINES)
    return {
        f"证书 {slug}": Row(hashes[ids[slug]], Certificate, ids[slug]) if slug in ids else Row(None) for slug in slugs
    }


def replaced_keys(rules: list[dict]) -> set[tuple[int, int]]:
    """(notice id, serial) of the rules of other notices that a package's rules replace."""
    replaced = {(rule["replaces"]["notice"], rule["replaces"]["serial"]) for rule in rules if rule["replaces"]}
    found = RecognitionRule.objects.filter(notice__number__in={number for number, _ in replaced})
    return {
        (notice_id, serial)
        for notice_id, number, serial in found.values_list("notice_id", "notice__number", "serial")
        if (number, serial) in replaced
    }


def level_rows(notice: Notice | None, levels: list[dict], ids: dict[str, int]) -> State:
    wanted = {(ids.get(level["held"]), level["occupation"]) for level in levels}
    chosen = [
        level
        for level in LevelEquivalence.objects.select_related("notice", "certificate", "occupation")
        if (notice and level.notice_id == notice.pk) or (level.certificate_id, level.occupation.name) in wanted
    ]
    hashes = digests(LevelEquivalence, [level.pk for level in chosen], [])
    return {
        f"{level.notice.number} 等级比照 {level.certificate.slug} {level.occupation.name}": Row(
            hashes[level.pk], LevelEquivalence, level.pk
        )
        for level in chosen
    }


def seal(state: State, **bound) -> str:
    """What a confirmation form carries: when the preview was shown, its rows' hashes, what it is bound to."""
    rows = {label: row.digest for label, row in state.items()}
    return signing.dumps({"at": timezone.now().isoformat(), "rows": rows, **bound}, salt=SALT, compress=True)


def unseal(token: str | None, **bound) -> dict | None:
    """The sealed preview, if it was made here for what `bound` names; else None (a confirmation without it is
    refused: it would write what no preview showed)."""
    try:
        data = signing.loads(token or "", salt=SALT)
        data["at"] = datetime.datetime.fromisoformat(data["at"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if any(data.get(key) != value for key, value in bound.items()):
        return None
    return data


def changes(sealed: dict, now: State) -> list[str]:
    """The rows that differ from what the preview showed, each with who changed it and when, for staff."""
    shown = sealed["rows"]
    found = []
    for label in sorted(shown.keys() | now.keys()):
        row = now.get(label, Row(None))
        if shown.get(label) == row.digest:
            continue
        if row.digest is None:
            found.append(f"{label}(已被删除)")
            continue
        verb = "新增" if shown.get(label) is None else "修改"
        who, version = edit_versions.who_changed(row.model, row.pk, sealed["at"])
        found.append(f"{label}({who} {verb})" if version else f"{label}(另一位工作人员{verb},没有留下历史记录)")
    return found


def refusal(found: list[str]) -> str:
    return (
        f"预览之后,以下各项已被修改:{'、'.join(found)}。为了不覆盖这些修改,这次没有写入任何数据。"
        "下面是按现在的数据重新生成的预览,请核对后再确认导入。"
    )
