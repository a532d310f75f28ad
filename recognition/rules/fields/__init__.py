"""Each field of a notice, a clause, a certificate (with its steps), a rule and a level equivalence, described once.

A `Field` is one line of a table below. Its `key` is its key in a notice package (docs/notice-format.md), and
for rules also its API key and its CSV column's key; `attr` is the model's attribute (and the rule book's),
when it is not the key. Its `kind` knows how to read a package's value into canonical form (refusing a bad
one with a message in Chinese, for staff), how to dump a row's value in that form, and how to set it on a
row. A field with no kind is a column that an output derives from the rule (a certificate's name, a
citation's label): that output says how.

For rules, a field also gives its column in the admin's spreadsheet (`sheet`), in the public CSV (`csv`),
whether the API's rule objects carry it (`api`), and whether the rule book copies it as the model holds it
(`book`). Each of those outputs lists its columns in the table's order, except where `after` places one
after another column in that output only. These loop over the tables:

- recognition.notice_files (read, dump, write): a package's keys;
- recognition.staff.resources: the spreadsheet's columns, each kind with its widget;
- recognition.site.presenters: the public CSV's columns (RULE_COLUMNS) and cells;
- recognition.api.views: a rule object's keys;
- recognition.rules.snapshot: a rule's plain fields in the rule book.

tests/test_field_table.py holds docs/notice-format.md's key tables against these tables, and each field's
`required` against what loading a package without it does.

Reading a package passes a `Reading` (recognition.notice_files.read) with the package read so far; writing
passes a `Writing` (recognition.notice_files.write) that finds the rows a value names.
"""

from __future__ import annotations

from recognition.models import Department, Notice, Occupation, SkillLevel
from recognition.rules.fields.base import (
    Field,
    Reading,
    Writing,
    after_save_row,
    dump_row,
    listed,
    package_fields,
    store_row,
    text,
)
from recognition.rules.fields.kinds import (
    CertificateRef,
    CertificateSteps,
    Choice,
    ClauseRef,
    Conditions,
    Day,
    Everyday,
    Lines,
    NoticeNumber,
    Prose,
    Ref,
    Regions,
    ReplacesLevel,
    ReplacesRule,
    Serial,
    Slug,
    Status,
    Steps,
    Text,
    Whole,
    everyday_text,
)

__all__ = [
    "BOOK_RULE_FIELDS",
    "CERTIFICATE",
    "CLAUSE",
    "FORMAT",
    "LEVEL",
    "NOTICE",
    "RULE",
    "STEP",
    "TOP_LEVEL",
    "Field",
    "Reading",
    "Writing",
    "after_save_row",
    "columns",
    "dump_row",
    "everyday_text",
    "listed",
    "notice_start",
    "package_fields",
    "store_row",
    "text",
]

STEP_KINDS = {"training", "exam"}


def notice_start(ctx: Reading) -> str | None:
    """A rule's or level equivalence's first day when the package gives none: its notice's."""
    return ctx.notice["in_force_from"] or ctx.notice["issued_on"]


def bad_step_kind(value: str, row: dict) -> str:
    return f"环节“{row['name']}”的 kind “{value}”无效,只能是 training 或 exam。"


# The tables.

FORMAT = 1  # the version of the package format
TOP_LEVEL = {  # a package's keys, and whether each is required
    "format": False,
    "notice": True,
    "clauses": True,
    "certificates": False,
    "rules": False,
    "levels": False,
}

NOTICE = (
    Field("number", Text("文号"), required=True),
    Field("slug", Slug()),
    Field("title", Text("标题"), required=True),
    Field("short_title", Text()),
    Field("issuers", Lines("发文机关列表"), required=True),
    Field("addressees", Text()),
    Field("issued_on", Day(), required=True),
    Field("in_force_from", Day()),
    Field("ends_on", Day()),
    Field("scope", Regions()),
    Field("status", Status(), attr="publication"),
    Field("status_note", Text()),
    Field("source_name", Text()),
    Field("source_url", Text()),
    Field("attachment_title", Text()),
    Field("replaces", NoticeNumber()),
)

CLAUSE_NUMBERS = "level 和 order 必须是 0 到 2147483647 之间的整数。"
CLAUSE = (
    Field("anchor", Text("锚点"), required=True),
    Field("order", Whole(lambda ctx: (ctx.index + 1) * 10, CLAUSE_NUMBERS)),
    Field("level", Whole(1, CLAUSE_NUMBERS)),
    Field("numbering", Text()),
    Field("heading", Text()),
    Field("label", Text()),  # suggested from the numbering once every clause is read
    Field("text", Prose()),
)

STEP = (
    Field("name", Text(), required=True),
    Field("kind", Choice(STEP_KINDS, "exam", bad_step_kind)),
    Field("part_of", Text()),
    Field("order", Whole(lambda ctx: (ctx.index + 1) * 10)),
)

CERTIFICATE = (
    Field("slug", Text("标识"), required=True),
    Field("name", Text(), required=True),
    Field("short_name", Text(default_from="name")),
    Field("department", Ref(Department, ("name", "slug"), "发证部门"), required=True),
    Field("family", Text()),  # when absent, derived from the department (recognition.notice_files.read)
    Field("occupation", Ref(Occupation, ("name", "code"), "职业"), required=True),
    Field("everyday_names", Everyday()),
    Field("issuance_note", Text()),
    Field("order", Whole(0)),
    Field("steps", CertificateSteps(STEP), required=True),
)

# One line a field where it fits; `after` moves a column in one output only, to keep each output as it was.
# fmt: off
RULE = (
    Field("notice", Ref(Notice, ("number",), "通知"), package=False, sheet="通知文号", csv="通知", api=True,
          after={"api": "serial"}),
    Field("serial", Serial(), book=True, sheet="附件序号", csv="序号", api=True),
    Field("notice_url", api=True),
    Field("held", CertificateRef(), required=True, sheet="持有证书", api=True),
    Field("held_name", sheet="持有证书名称(仅供阅读)", csv="持有证书", api=True),
    Field("held_department", csv="持有证书发证部门"),
    Field("target", CertificateRef(), required=True, sheet="申请证书", api=True),
    Field("target_name", sheet="申请证书名称(仅供阅读)", csv="申请证书", api=True),
    Field("apply_to", Ref(Department, ("name", "slug"), "受理部门"), required=True, sheet="受理部门",
          csv="受理部门", api=True),
    Field("apply_to_detail", Text(), book=True, sheet="受理部门说明", api=True),
    Field("waived", Steps(), required=True, sheet="免予的环节", csv="免予", api=True),
    Field("remaining", Steps(), sheet="仍须参加的环节", csv="仍须参加", api=True),
    Field("conditions", Conditions(), sheet="适用条件(仅供阅读,请在后台修改)", csv="适用条件",
          after={"sheet": "status"}),
    Field("scope", csv="适用地区", api=True, after={"api": "serial_note"}),
    Field("deemed_level", csv="持证视同技能等级"),
    Field("eligible_level", csv="可报名技能等级"),
    Field("level_clause", csv="技能等级依据条款"),
    Field("clause", ClauseRef(), required=True, sheet="依据条款", csv="依据条款", api=True),
    Field("clause_label", api=True),
    Field("clause_url", api=True),
    Field("quote", Prose(), required=True, book=True, sheet="依据原文", csv="依据原文", api=True),
    Field("serial_note", csv="序号说明", api=True),
    Field("valid_from", Day(notice_start), book=True, sheet="施行日期", csv="施行日期", api=True),
    Field("valid_from_basis", csv="施行日期依据"),
    Field("valid_until", Day(), book=True, sheet="最后适用日", csv="最后适用日", api=True),
    Field("replaces", ReplacesRule(), csv="取代", api=True),
    Field("review_due", Day()),
    Field("status", Status(), attr="publication", sheet="发布状态"),
)
# fmt: on

LEVEL = (
    Field("held", CertificateRef(), attr="certificate", required=True),
    Field("occupation", Ref(Occupation, ("name", "code"), "职业"), required=True),
    Field("deemed_level", Ref(SkillLevel, ("number", "label", "title"), "技能等级"), required=True),
    Field("eligible_level", Ref(SkillLevel, ("number", "label", "title"), "技能等级"), required=True),
    Field("clause", ClauseRef(), required=True),
    Field("quote", Prose(), required=True),
    Field("valid_from", Day(notice_start)),
    Field("valid_until", Day()),
    Field("replaces", ReplacesLevel()),
    Field("review_due", Day()),
    Field("status", Status(), attr="publication"),
)


def columns(table: tuple[Field, ...], output: str) -> tuple[Field, ...]:
    """The fields one output ("sheet", "csv" or "api") shows, in its order: the table's, but for `after`."""
    shown = [f for f in table if getattr(f, output)]
    position = {f.key: (index,) for index, f in enumerate(table)}

    def place(f: Field) -> tuple:
        follows = f.after.get(output)
        return position[follows] + (1, position[f.key][0]) if follows else position[f.key]

    return tuple(sorted(shown, key=place))


BOOK_RULE_FIELDS = tuple(f for f in RULE if f.book)
