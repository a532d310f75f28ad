"""Reading a lookup from the query string, with errors a person understands.

The API and the pages share these checks, so both refuse the same input with
the same Chinese sentence and the same list of valid choices.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.http import HttpRequest, QueryDict
from django.utils import timezone

from recognition.rules.book import RuleBook

# Far below gunicorn's 4094-byte request line, far above any real query
# (six slugs and a region come to about 200 characters).
MAX_QUERY_STRING = 1024
MAX_VALUE_LENGTH = 64
MAX_VALUES = 20


@dataclass
class QueryError(Exception):
    message: str
    param: str = ""  # the query parameter at fault
    choices: dict[str, str] = field(default_factory=dict)  # value -> Chinese name

    def __str__(self) -> str:
        return self.message


def certificate_choices(book: RuleBook) -> dict[str, str]:
    return {slug: cert.name for slug, cert in book.certificates.items()}


def region_choices(book: RuleBook) -> dict[str, str]:
    return {code: province.name for code, province in book.provinces.items()}


def query_params(request: HttpRequest) -> QueryDict:
    """The request's query, refused whole when absurdly long, before any value is read."""
    if len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_STRING:
        raise QueryError(f"查询条件太长(超过 {MAX_QUERY_STRING} 个字符),请减少选择后再试。")
    return request.GET


def clean_values(params: QueryDict, name: str, label: str, choices: dict[str, str] | None) -> list[str]:
    """The parameter's non-empty values; `choices` None means free text."""
    values = params.getlist(name)
    listed = choices or {}
    if len(values) > MAX_VALUES:
        raise QueryError(f"{label}选得太多(最多 {MAX_VALUES} 个)。", name, listed)
    cleaned = []
    for value in values:
        if len(value) > MAX_VALUE_LENGTH:
            raise QueryError(f"{label}的值太长(最多 {MAX_VALUE_LENGTH} 个字符)。", name, listed)
        if any(ord(ch) < 32 or ord(ch) == 127 or ch == "\ufffd" for ch in value):
            raise QueryError(f"{label}的值包含无法识别的字符。", name, listed)
        value = value.strip()
        if value and choices is not None and value not in choices:
            raise QueryError(f"没有这种{label}:“{value}”。请从有效的选项中选择。", name, choices)
        if value:
            cleaned.append(value)
    return cleaned


def parse_held(params: QueryDict, book: RuleBook, required: bool) -> tuple[str, ...]:
    choices = certificate_choices(book)
    held = clean_values(params, "held", "证书", choices)
    if required and not held:
        raise QueryError("请至少选择一种持有的证书(参数 held)。", "held", choices)
    held_set = set(held)
    return tuple(slug for slug in book.certificates if slug in held_set)


def parse_region(params: QueryDict, book: RuleBook) -> str | None:
    choices = region_choices(book)
    regions = clean_values(params, "region", "地区", choices)
    if len(set(regions)) > 1:
        raise QueryError("只能选择一个地区。", "region", choices)
    return regions[0] if regions else None


def parse_target(params: QueryDict, book: RuleBook, required: bool) -> str | None:
    choices = certificate_choices(book)
    targets = clean_values(params, "target", "证书", choices)
    if len(set(targets)) > 1:
        raise QueryError("只能选择一种想取得的证书。", "target", choices)
    if required and not targets:
        raise QueryError("请选择想取得的证书(参数 target)。", "target", choices)
    return targets[0] if targets else None


def parse_search(params: QueryDict) -> str:
    """The words typed in the certificate search box, checked like every other value."""
    words = clean_values(params, "q", "搜索词", choices=None)
    return words[-1] if words else ""


ALL_DAYS = "all"
# Far enough back and ahead for any notice a worker may ask about.
EARLIEST_DAY = datetime.date(2000, 1, 1)
LATEST_DAY = datetime.date(2099, 12, 31)


def today() -> datetime.date:
    """Today in the site's time zone (Asia/Shanghai): the day an answer is for unless `on` says otherwise."""
    return timezone.localdate()


def parse_on(params: QueryDict, allow_all: bool = False) -> datetime.date | None:
    """The day asked about (`on=YYYY-MM-DD`), today when absent; with allow_all, `on=all` gives None (every day)."""
    hint = "请按“年-月-日”填写日期,例如 2027-03-01"
    choices = {"": "今天", ALL_DAYS: "所有日期(含已结束和尚未施行的规定)"} if allow_all else {"": "今天"}
    values = clean_values(params, "on", "日期", choices=None)
    if len(set(values)) > 1:
        raise QueryError("只能选择一个日期。", "on", choices)
    if not values:
        return today()
    value = values[0]
    if allow_all and value == ALL_DAYS:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise QueryError(f"无法识别的日期:“{value}”。{hint}。", "on", choices)
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise QueryError(f"没有这一天:“{value}”。{hint}。", "on", choices) from None
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise QueryError(
            f"日期超出范围:“{value}”。请选择 {EARLIEST_DAY:%Y} 年至 {LATEST_DAY:%Y} 年之间的日期。", "on", choices
        )
    return day
