"""What the field tables (recognition.rules.fields) are made of: a `Field`, the `Kind` of its value, the
contexts a kind reads and writes with, and the loops over a table's fields that read, dump and set a row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from django.db.models import Q

if TYPE_CHECKING:
    from recognition.models import Certificate


class Reading(Protocol):
    """What a kind reads a value with: the package as read so far, and where problems go."""

    where: str  # the row being read, as staff call it: 规则 序号3
    row: dict  # the row's fields read so far, in canonical form
    index: int  # the row's position in its list
    notice: dict  # the package's notice, in canonical form
    anchors: list[str]  # its clauses' anchors
    certificates: list[dict]  # the certificates it brings, in canonical form
    steps_of: dict[str, list[str]]  # step names by certificate slug: the package's and those its rows name
    next_serial: int

    def problem(self, message: str, where: str | None = None) -> None: ...

    def read_row(self, table: tuple[Field, ...], item: dict, index: int) -> dict: ...


class Writing(Protocol):
    """What a kind sets a value with: the rows a value names, and where problems go."""

    where: str
    pending: dict[str, list]  # many-to-many values, set once the row is saved

    def problem(self, message: str) -> None: ...

    def certificate(self, slug: str | None) -> Certificate | None: ...

    def clause(self, anchor: str | None): ...

    def steps(self, certificate: Certificate) -> dict: ...

    def write_steps(self, certificate: Certificate, steps: list[dict]) -> None: ...


# Reading values, with their refusals.


def text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def listed(value: Any, key: str, ctx: Reading) -> list:
    """A list; a string is split at 、 or commas; anything else is refused."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in (p.strip() for p in value.replace(",", "、").split("、")) if part]
    if not isinstance(value, list):
        ctx.problem(f"{key} 必须是列表。")
        return []
    return value


def one(model, value: Any, lookups: tuple[str, ...], noun: str, ctx: Reading, where: str | None = None):
    """An object of reference data by any of several fields, or a problem naming the choices."""
    value = text(value)
    if not value:
        ctx.problem(f"缺少{noun}。", where)
        return None
    query = Q()
    for lookup in lookups:
        if lookup in {"number", "pk"} and not value.isdigit():
            continue
        query |= Q(**{lookup: value})
    found = list(model.objects.filter(query)[:2]) if query else []
    if len(found) == 1:
        return found[0]
    if found:
        ctx.problem(f"“{value}”对应多个{noun},请改用唯一的标识。", where)
        return None
    choices = "、".join(str(getattr(obj, lookups[0])) for obj in model.objects.all())
    ctx.problem(f"没有“{value}”这个{noun}。可以填写:{choices}。", where)
    return None


class Kind:
    """Plain text by default: read, dumped and set as it is."""

    def read(self, field: Field, value: Any, ctx: Reading) -> Any:
        return text(value)

    def dump(self, field: Field, row) -> Any:
        return getattr(row, field.attr)

    def store(self, field: Field, row, value: Any, ctx: Writing) -> None:
        setattr(row, field.attr, value)

    def after_save(self, field: Field, row, value: Any, ctx: Writing) -> None:
        """Values that need the row saved first (many-to-many, rows of their own)."""


@dataclass(frozen=True)
class Field:
    key: str
    kind: Kind | None = None  # None: a column derived from the rule by the output that shows it
    attr: str = ""  # the model's and the rule book's attribute; the key when empty
    required: bool = False  # a package without it is refused (by its kind, or by the model when written)
    package: bool = True  # in each row of a package (a rule's notice is the package's own)
    book: bool = False  # the rule book's RuleInfo copies the model's value as it is
    sheet: str = ""  # the admin spreadsheet's column
    csv: str = ""  # the public CSV's column
    api: bool = False  # an API rule object's key
    after: Mapping[str, str] = field(default_factory=dict)  # output -> the column it follows there

    def __post_init__(self):
        if not self.attr:
            object.__setattr__(self, "attr", self.key)

    @property
    def in_package(self) -> bool:
        return self.kind is not None and self.package


def package_fields(table: Iterable[Field]) -> tuple[Field, ...]:
    return tuple(f for f in table if f.in_package)


def dump_row(table: tuple[Field, ...], row) -> dict:
    return {f.key: f.kind.dump(f, row) for f in package_fields(table)}


def store_row(table: tuple[Field, ...], row, item: dict, ctx: Writing) -> None:
    for f in package_fields(table):
        f.kind.store(f, row, item[f.key], ctx)


def after_save_row(table: tuple[Field, ...], row, item: dict, ctx: Writing) -> None:
    for f in package_fields(table):
        f.kind.after_save(f, row, item[f.key], ctx)
