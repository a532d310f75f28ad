"""The matrix of recognition rules as a spreadsheet (CSV or Excel), for export and import.

One row per rule, identified by 通知文号 + 附件序号. Certificates are written as
their slug (a name or short name is accepted on import); steps by name,
separated by 、, looked up among the target certificate's own steps. Every row
goes through `recognition.rules.checks.rule_problems` and the model's `full_clean`,
as the admin form does; an import runs in one transaction and writes nothing
if any row is refused. Unchanged rows are skipped, so exporting and importing
the file back changes nothing (not even the data version). The columns are the
rule field table's (recognition.rules.fields), each kind of value with its widget.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from datetime import datetime

import reversion
from django.core.exceptions import NON_FIELD_ERRORS, MultipleObjectsReturned, ObjectDoesNotExist, ValidationError
from django.db.models import Q
from django.utils.safestring import mark_safe
from import_export import fields, resources, widgets
from import_export.declarative import ModelDeclarativeMetaclass
from import_export.instance_loaders import ModelInstanceLoader

from recognition.models import Certificate, Clause, Department, Notice, Publication, RecognitionRule, Step
from recognition.rules import fields as rule_fields
from recognition.rules.checks import rule_problems
from recognition.rules.fields import kinds
from recognition.spreadsheets import neutralise, restore
from recognition.staff import uploads

STEP_SEPARATORS = re.compile(r"[、,,;;\n]+")


class ImportLookups:
    """Every certificate, department, notice, clause, step and rule, read once per import.

    Without it each cell of each row asked the database (about 28 queries a
    row): a 1,000-row preview took over 15 s. The tables are small (a few
    dozen rows each), and the import checks each row against them anyway.
    """

    def __init__(self):
        self.objects: dict[type, list] = {
            model: list(model.objects.all()) for model in (Certificate, Department, Notice)
        }
        self.clauses = {
            (clause.notice.number, clause.anchor): clause for clause in Clause.objects.select_related("notice")
        }
        self.steps: dict[int, dict[str, Step]] = {}
        for step in Step.objects.order_by("order", "pk"):
            self.steps.setdefault(step.certificate_id, {})[step.name] = step
        self.rules = {
            (rule.notice_id, rule.serial): rule
            for rule in RecognitionRule.objects.select_related(
                "notice", "held", "target", "apply_to", "clause"
            ).prefetch_related("waived", "remaining", "conditions")
        }

    def matching(self, model, fields: tuple[str, ...], value: str) -> list:
        return [obj for obj in self.objects[model] if any(getattr(obj, name) == value for name in fields)]


_lookups: ContextVar[ImportLookups | None] = ContextVar("import_lookups", default=None)


def text(value) -> str:
    return "" if value is None else str(value).strip()


class LookupWidget(widgets.ForeignKeyWidget):
    """A foreign key by one of several unique-enough fields, with a Chinese error naming the choices."""

    def __init__(self, model, field: str, *, also: tuple[str, ...] = (), noun: str, **kwargs):
        super().__init__(model, field, **kwargs)
        self.also = also
        self.noun = noun

    def clean(self, value, row=None, **kwargs):
        value = text(value)
        if not value:
            return None
        lookups = _lookups.get()
        if lookups is not None and self.model in lookups.objects:
            found = lookups.matching(self.model, (self.field, *self.also), value)
            if len(found) == 1:
                return found[0]
            if found:
                raise ValueError(f"“{value}”对应多个{self.noun},请改填唯一的标识。")
            choices = "、".join(str(getattr(obj, self.field)) for obj in lookups.objects[self.model])
            raise ValueError(f"没有“{value}”这个{self.noun}。可以填写:{choices}。")
        lookup = Q(**{self.field: value})
        for name in self.also:
            lookup |= Q(**{name: value})
        try:
            return self.get_queryset(value, row, **kwargs).get(lookup)
        except ObjectDoesNotExist:
            choices = "、".join(self.get_queryset(value, row).values_list(self.field, flat=True))
            raise ValueError(f"没有“{value}”这个{self.noun}。可以填写:{choices}。") from None
        except MultipleObjectsReturned:
            raise ValueError(f"“{value}”对应多个{self.noun},请改填唯一的标识。") from None


class ClauseWidget(widgets.ForeignKeyWidget):
    """A clause by its anchor (e.g. s1-2), within the row's notice."""

    def __init__(self, notice_column: str):
        super().__init__(Clause, "anchor")
        self.notice_column = notice_column

    def clean(self, value, row=None, **kwargs):
        anchor = text(value)
        if not anchor:
            return None
        number = text((row or {}).get(self.notice_column))
        lookups = _lookups.get()
        if lookups is not None and (number, anchor) in lookups.clauses:
            return lookups.clauses[(number, anchor)]
        clauses = Clause.objects.filter(notice__number=number)
        try:
            return clauses.get(anchor=anchor)
        except Clause.DoesNotExist:
            choices = "、".join(clauses.values_list("anchor", flat=True)) or "(该通知没有条款)"
            raise ValueError(f"通知 {number} 中没有锚点为“{anchor}”的条款。可以填写:{choices}。") from None


class StepNamesWidget(widgets.ManyToManyWidget):
    """Step names separated by 、, looked up among the row's target certificate's steps."""

    def __init__(self, target_column: str):
        super().__init__(Step, separator="、", field="name")
        self.target_column = target_column

    def clean(self, value, row=None, **kwargs):
        wanted = [name.strip() for name in STEP_SEPARATORS.split(text(value)) if name.strip()]
        if not wanted:
            return Step.objects.none()
        target = TARGET_WIDGET.clean((row or {}).get(self.target_column), row)
        if target is None:
            raise ValueError("请先填写申请证书,环节要从申请证书自己的环节中选。")
        lookups = _lookups.get()
        if lookups is not None:
            steps = lookups.steps.get(target.pk, {})
        else:
            steps = {step.name: step for step in target.steps.all()}
        unknown = [name for name in wanted if name not in steps]
        if unknown:
            raise ValueError(
                f"{'、'.join(f'“{name}”' for name in unknown)} 不是申请证书“{target}”的取证环节。"
                f"可以填写:{'、'.join(steps)}。"
            )
        if lookups is not None:
            return list(dict.fromkeys(steps[name] for name in wanted))
        return Step.objects.filter(pk__in=[steps[name].pk for name in wanted])

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        steps = value.all() if hasattr(value, "all") else value  # all(): the prefetched steps, no query
        return self.separator.join(step.name for step in sorted(steps, key=lambda step: (step.order, step.pk)))


class StepsField(fields.Field):
    """A rule's steps; in an import, the steps the row names, without asking the database again."""

    def export(self, instance, **kwargs):
        imported = getattr(instance, "imported_steps", {})
        if self.attribute in imported:
            return self.widget.render(imported[self.attribute], **kwargs)
        return super().export(instance, **kwargs)


class PublicationWidget(widgets.Widget):
    LABELS = {Publication.PUBLISHED: "已发布", Publication.DRAFT: "草稿"}

    def clean(self, value, row=None, **kwargs):
        value = text(value)
        for code, label in self.LABELS.items():
            if value in {code, label, str(Publication(code).label)}:
                return code
        raise ValueError(f"发布状态只能填“已发布”或“草稿”,不能是“{value}”。")

    def render(self, value, obj=None, **kwargs):
        return self.LABELS.get(value, value or "")


class DateWidget(widgets.DateWidget):
    """A date; Excel gives a date cell back as a datetime, which would never compare equal to the date."""

    def clean(self, value, row=None, **kwargs):
        value = super().clean(value, row, **kwargs)
        return value.date() if isinstance(value, datetime) else value


class ClassedDiff(resources.Diff):
    """The preview's changed text marked with classes instead of inline styles, which the CSP blocks."""

    STYLES = {
        '<del style="background:#ffe6e6;">': '<del class="diff-del">',
        '<ins style="background:#e6ffe6;">': '<ins class="diff-ins">',
    }

    def as_html(self):
        cells = []
        for html in super().as_html():
            for styled, classed in self.STYLES.items():
                html = html.replace(styled, classed)
            cells.append(mark_safe(html))
        return cells


TARGET_WIDGET = LookupWidget(Certificate, "slug", also=("name", "short_name"), noun="证书")
DATE = "%Y-%m-%d"


class ImportTooSlow(Exception):
    """The import ran out of time (IMPORT_TIME_LIMIT); the message is for staff."""


# The spreadsheet's columns, from the rule field table: {model attribute: column}.
SHEET = rule_fields.columns(rule_fields.RULE, "sheet")
COLUMNS = {f.attr: f.sheet for f in SHEET}
FOREIGN_KEYS = tuple(f.attr for f in SHEET if isinstance(f.kind, (kinds.Ref, kinds.CertificateRef, kinds.ClauseRef)))
STEP_COLUMNS = tuple(f.attr for f in SHEET if isinstance(f.kind, kinds.Steps))
NOUNS = {Notice: "通知", Department: "部门"}  # as a refusal names the rows a column looks up


def widget(kind: kinds.Kind) -> widgets.Widget:
    """The widget for a kind of value (recognition.rules.fields.kinds), reading and writing a cell."""
    if isinstance(kind, kinds.Ref):
        return LookupWidget(kind.model, kind.lookups[0], also=kind.lookups[1:], noun=NOUNS[kind.model])
    if isinstance(kind, kinds.CertificateRef):
        return TARGET_WIDGET
    if isinstance(kind, kinds.ClauseRef):
        return ClauseWidget(COLUMNS["notice"])
    if isinstance(kind, kinds.Steps):
        return StepNamesWidget(COLUMNS["target"])
    if isinstance(kind, (kinds.Serial, kinds.Whole)):
        return widgets.IntegerWidget()
    if isinstance(kind, kinds.Day):
        return DateWidget(DATE)
    if isinstance(kind, kinds.Status):
        return PublicationWidget()
    return widgets.CharWidget()


def sheet_column(field: rule_fields.Field) -> fields.Field:
    if field.kind is None or isinstance(field.kind, kinds.Conditions):
        return fields.Field(column_name=field.sheet, readonly=True)  # read by the resource's dehydrate_<key>
    column = StepsField if isinstance(field.kind, kinds.Steps) else fields.Field
    return column(field.attr, field.sheet, widget(field.kind))


# The columns as the resource's metaclass expects them, declared on a class; the resource below inherits them.
RuleColumns = ModelDeclarativeMetaclass(
    "RuleColumns", (resources.ModelResource,), {"__module__": __name__, **{f.attr: sheet_column(f) for f in SHEET}}
)


class RuleLoader(ModelInstanceLoader):
    """The rule a row updates, by 通知文号 + 附件序号, from the rules read once (ImportLookups)."""

    def get_instance(self, row):
        lookups = _lookups.get()
        if lookups is None:
            return super().get_instance(row)
        notice = self.resource.fields["notice"].clean(row)
        serial = self.resource.fields["serial"].clean(row)
        return lookups.rules.get((notice.pk if notice else None, serial))


class RecognitionRuleResource(RuleColumns):
    class Meta:
        model = RecognitionRule
        name = "互认规则对照表"
        fields = tuple(COLUMNS)
        import_order = export_order = tuple(COLUMNS)
        import_id_fields = ("notice", "serial")
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
        clean_model_instances = True
        instance_loader_class = RuleLoader

    def __init__(self, *, snapshot=None, check_preview=None, **kwargs):
        """`snapshot` (a preview): reads what is stored, as the preview reads it, to seal what it shows.
        `check_preview` (a confirmation): the rows changed since its preview, read where it writes; any, and
        no row is written. Both are the admin's (recognition.admin.preview_marks)."""
        super().__init__(**kwargs)
        self.snapshot, self.check_preview = snapshot, check_preview
        self.listed, self.stale, self.stored = [], [], None

    def get_diff_class(self):
        return ClassedDiff

    def get_queryset(self):
        return (
            RecognitionRule.objects.select_related("notice", "held", "target", "apply_to", "clause")
            .prefetch_related("waived", "remaining", "conditions")
            .order_by("notice__issued_on", "notice", "serial")
        )

    def export_resource(self, instance, selected_fields=None, **kwargs):
        # No cell a spreadsheet would run as a formula (recognition.spreadsheets); the import undoes it.
        return [neutralise(value) for value in super().export_resource(instance, selected_fields, **kwargs)]

    def dehydrate_held_name(self, rule: RecognitionRule) -> str:
        return rule.held.name if rule.held_id else ""

    def dehydrate_target_name(self, rule: RecognitionRule) -> str:
        return rule.target.name if rule.target_id else ""

    def dehydrate_conditions(self, rule: RecognitionRule) -> str:
        return "\n".join(condition.text for condition in rule.conditions.all()) if rule.pk else ""

    # Import.

    def import_data(self, dataset, *args, **kwargs):
        token = _lookups.set(ImportLookups())
        try:
            result = super().import_data(dataset, *args, **kwargs)
        finally:
            _lookups.reset(token)
        # What the preview listed and read, or what changed since it, for the admin.
        result.listed, result.stored, result.stale = self.listed, self.stored, self.stale
        return result

    def before_import(self, dataset, **kwargs):
        self.deadline = uploads.deadline()  # from the start of the request, when the admin set one
        self.too_slow = False
        self.seen_keys: dict[tuple[str, str], int] = {}
        self.listed: list[tuple] = []  # (notice id, serial, held id, target id) of every row read
        self.stale, self.stored = [], None
        # In the import's transaction: what is compared is what is written.
        self.stale = self.check_preview() if self.check_preview else []
        self.stored = self.snapshot() if self.snapshot else None

    def before_import_row(self, row, row_number=None, **kwargs):
        if uploads.out_of_time(self.deadline):
            self.too_slow = True
            raise ImportTooSlow(uploads.too_slow_message())
        for column, value in row.items():
            row[column] = restore(value)
        key = (text(row.get(COLUMNS["notice"])), text(row.get(COLUMNS["serial"])))
        if key in self.seen_keys:
            raise ValidationError(
                {
                    COLUMNS["serial"]: f"第 {self.seen_keys[key]} 行已经是通知 {key[0]} 的序号 {key[1]}:"
                    "同一通知中每条规则的序号不能重复。"
                }
            )
        self.seen_keys[key] = row_number

    def import_row(self, row, instance_loader, **kwargs):
        if self.too_slow or self.stale:  # reported once: the other rows are not read
            skipped = self.get_row_result_class()()
            skipped.import_type = skipped.IMPORT_TYPE_SKIP
            return skipped
        if kwargs.get("dry_run"):  # a preview is rolled back: no history to write
            return super().import_row(row, instance_loader, **kwargs)
        # One revision per row: restoring one rule from history never rewinds the others.
        with reversion.create_revision():
            user = kwargs.get("user")
            reversion.set_user(user if user and user.is_authenticated else None)
            reversion.set_comment(f"从文件导入:{kwargs.get('file_name') or ''}".rstrip(":"))
            return super().import_row(row, instance_loader, **kwargs)

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        self.listed.append((instance.notice_id, instance.serial, instance.held_id, instance.target_id))
        instance.imported_steps = {}
        for name in STEP_COLUMNS:
            field = self.fields[name]
            if field.column_name not in row:
                continue
            try:
                instance.imported_steps[name] = list(field.clean(row))
            except ValueError as error:
                errors[name] = [str(error)]
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        steps = getattr(instance, "imported_steps", {})
        for name in STEP_COLUMNS:
            if name not in steps:
                steps[name] = list(getattr(instance, name).all()) if instance.pk else []

        problems = rule_problems(instance, steps["waived"], steps["remaining"])
        for name, messages in problems.items():
            if name not in errors:
                errors[name] = messages
        # As Model.full_clean, except that a foreign key read through ImportLookups is a row that
        # exists: no query per key to check it again.
        known = {name for name in FOREIGN_KEYS if getattr(instance, f"{name}_id") is not None}
        checks = [
            lambda: instance.clean_fields(exclude={*errors, *known}),
            instance.clean,
            lambda: instance.validate_unique(exclude=set(errors)) if validate_unique else None,
            # The two constraints on the notice (one serial, one published rule per pair) are what
            # rule_problems checked above, with messages staff understand: not twice.
            lambda: instance.validate_constraints(exclude={*errors, "notice"}),
        ]
        try:
            for check in checks:
                try:
                    check()
                except ValidationError as error:
                    errors = error.update_error_dict(errors)
            if errors:
                raise ValidationError(errors)
        except ValidationError as error:
            # Staff read the column names, not the model's field names.
            raise ValidationError(
                {
                    (name if name == NON_FIELD_ERRORS else COLUMNS.get(name, name)): messages
                    for name, messages in error.message_dict.items()
                }
            ) from None
