"""Every page's and the API's question, read from the query string once, with errors a person understands.

`asks(...)` reads the parameters a view takes into one `Question` and answers
a bad one before the view runs; the pages answer with the 400 page, the API
with a JSON error. Both refuse the same input with the same Chinese sentence
and the same list of valid choices. PARAMETERS lists every parameter any
address takes.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from urllib.parse import parse_qsl, urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
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
    return tuple(slug for slug in book.picker_order if slug in held_set)


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


# Every parameter any address takes, in the forms' order, with what it asks. A view takes held and target
# REQUIRED or OPTIONAL, region and q or not, and on as a DAY or DAY_OR_ALL.
PARAMETER_NAMES = {
    "target": "想取得的证书",
    "held": "持有的证书",
    "region": "地区",
    "q": "搜索词",
    "on": "日期",
}
PARAMETERS = tuple(PARAMETER_NAMES)
REQUIRED, OPTIONAL = "required", "optional"
DAY, DAY_OR_ALL = "day", "day-or-all"


@dataclass(frozen=True)
class Question:
    """What a page or an API call asks: the certificates held or wanted, where, when, and the words typed."""

    held: tuple[str, ...] = ()
    target: str | None = None
    region: str | None = None
    on: datetime.date | None = None  # None only with on=all: every day
    words: str = ""
    day_asked: str = ""  # `on` as asked (2027-03-01 or all); empty for today

    def pairs(self) -> list[tuple[str, str]]:
        """The question as its address's query, in the forms' order: what the page prints, encodes and keys on."""
        pairs = [("target", self.target)] if self.target else []
        pairs += [("held", slug) for slug in self.held]
        pairs += [("region", self.region)] if self.region else []
        pairs += [("q", self.words)] if self.words else []
        return pairs + ([("on", self.day_asked)] if self.day_asked else [])


def read_question(
    request: HttpRequest,
    book: RuleBook,
    *,
    held: str | None = None,
    target: str | None = None,
    region: bool = False,
    q: bool = False,
    on: str = DAY,
) -> Question:
    """The request's question, as the view takes it; QueryError at the first parameter at fault."""
    params = query_params(request)
    day = parse_on(params, allow_all=on == DAY_OR_ALL)
    asked = [value.strip() for value in params.getlist("on") if value.strip()]
    return Question(
        target=parse_target(params, book, required=target == REQUIRED) if target else None,
        held=parse_held(params, book, required=held == REQUIRED) if held else (),
        region=parse_region(params, book) if region else None,
        words=parse_search(params) if q else "",
        on=day,
        day_asked=(day.isoformat() if day else ALL_DAYS) if asked else "",
    )


def taken(takes: dict) -> tuple[str, ...]:
    """The parameters a view takes, in PARAMETERS' order (every view takes `on`)."""
    return tuple(name for name in PARAMETERS if name == "on" or takes.get(name))


def unknown_parameters(request: HttpRequest, takes: dict) -> list[str]:
    return [name for name in request.GET if name not in taken(takes)]


def unknown_message(unknown: list[str], takes: dict) -> QueryError:
    names = "、".join(f"“{name}”" for name in unknown[:5])
    return QueryError(
        f"不认识的查询参数:{names}。本地址只接受:{'、'.join(taken(takes))}。",
        unknown[0],
        {name: PARAMETER_NAMES[name] for name in taken(takes)},
    )


def canonical_query(question: Question) -> str:
    return urlencode(question.pairs())


def asked_pairs(request: HttpRequest) -> list[tuple[str, str]]:
    """The query as sent, pair by pair in its order (QUERY_STRING holds the bytes as Latin-1, as WSGI says)."""
    raw = request.META.get("QUERY_STRING", "").encode("iso-8859-1", "replace").decode("utf-8", "replace")
    return parse_qsl(raw, keep_blank_values=True)


def asks(on_error: Callable[[HttpRequest, QueryError], HttpResponse], page: bool = True, **takes) -> Callable:
    """view(request, book, …) becomes view(request, book, question, …); a bad query gets on_error's answer.

    A page asked in any other form than its question's own address (parameters it does not take, such as
    the from=singlemessage WeChat adds to a shared link, empty fields, another order) is sent there first,
    so what it prints, encodes and is kept under is that address. The API refuses unknown parameters.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, book: RuleBook, *args, **kwargs) -> HttpResponse:
            try:
                query_params(request)  # an absurdly long query is refused before anything is read
                unknown = unknown_parameters(request, takes)
                if unknown and not page:
                    raise unknown_message(unknown, takes)
                if unknown:
                    request.GET = request.GET.copy()
                    for name in unknown:
                        del request.GET[name]
                question = read_question(request, book, **takes)
            except QueryError as error:
                return on_error(request, error)
            if page and (unknown or asked_pairs(request) != question.pairs()):
                query = canonical_query(question)
                return HttpResponseRedirect(f"{request.path}?{query}" if query else request.path)
            return view(request, book, question, *args, **kwargs)

        return wrapper

    return decorator
