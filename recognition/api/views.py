"""The open-data API: the same answers as the pages, as JSON."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from recognition.http.conditional import public_cache
from recognition.rules import engine, fields
from recognition.rules.book import NOTICE_STATUS_NAMES, LevelInfo, NoticeInfo, RuleBook, RuleInfo
from recognition.rules.engine import LookupResult
from recognition.site import answers, presenters
from recognition.site.query import DAY_OR_ALL, OPTIONAL, REQUIRED, QueryError, Question, asks, today
from recognition.site.views import page


def notice_json(book: RuleBook, notice: NoticeInfo | None, on: date | None = None) -> dict | None:
    if notice is None:
        return None
    status = engine.notice_status(book, notice, on or today())
    return {
        "number": notice.number,
        "slug": notice.slug,
        "title": notice.title,
        "short_title": notice.short_title,
        "issuers": list(notice.issuers),
        "issued_on": notice.issued_on.isoformat(),
        "in_force_from": notice.effective_from.isoformat(),
        "in_force_from_stated": notice.in_force_from is not None,
        "ends_on": notice.ends_on.isoformat() if notice.ends_on else None,
        "scope": list(notice.scope),
        "replaces": notice.replaces,
        "status": status,
        "legal_status": NOTICE_STATUS_NAMES[status],
        "status_note": notice.status_note,
        "url": presenters.notice_url(book, notice.number),
    }


def notices_json(book: RuleBook, notices: list[NoticeInfo], on: date | None) -> list[dict]:
    return [notice_json(book, notice, on) for notice in notices]


def level_name(book: RuleBook, number: int) -> str:
    return book.skill_level(number).display


def iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def row_ref(row: RuleInfo | LevelInfo | None) -> dict | None:
    """{"notice", "serial"} for a rule, {"notice", "held"} for a level equivalence."""
    if row is None:
        return None
    if isinstance(row, RuleInfo):
        return {"notice": row.notice_number, "serial": row.serial}
    return {"notice": row.notice_number, "held": row.held}


def replacement_fields(book: RuleBook, row: RuleInfo | LevelInfo, region: str | None, on: date | None) -> dict:
    """replaced_by: the row replacing it for the region asked about; replaced_in: every row replacing it."""
    return {
        "replaced_by": row_ref(engine.replacement_for(book, row, region, on)),
        "replaced_in": [{**row_ref(other), "scope": list(other.scope)} for other in engine.replacements(book, row)],
    }


def json_value(value):
    """A rule book value as JSON: a tuple as a list, a day as YYYY-MM-DD."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


# A rule object's keys, from the rule field table (recognition.rules.fields).
RULE_FIELDS = fields.columns(fields.RULE, "api")


def rule_json(book: RuleBook, rule: RuleInfo, region: str | None = None, on: date | None = None) -> dict:
    """The rule book's values as they are, but for the keys the table derives (below)."""
    citation = presenters.cite(book, rule.notice_number, rule.clause, rule.quote, rule.serial)
    derived = {
        "notice": rule.notice_number,
        "notice_url": presenters.notice_url(book, rule.notice_number),
        "held_name": book.certificates[rule.held].name,
        "target_name": book.certificates[rule.target].name,
        "clause_label": citation.label,
        "clause_url": citation.url,
        "quote": rule.quote,
        "serial_note": presenters.REBUILT_LONG if citation.serial_rebuilt else "",
        "scope": list(rule.scope),
        "valid_from": iso(rule.valid_from),
        "valid_until": iso(rule.valid_until),
        "replaces": {"notice": rule.replaces[0], "serial": rule.replaces[1]} if rule.replaces else None,
    }
    return {
        **{f.key: derived[f.key] if f.key in derived else json_value(getattr(rule, f.attr)) for f in RULE_FIELDS},
        **replacement_fields(book, rule, region, on),
    }


def recognition_json(
    book: RuleBook, recognition: engine.Recognition, region: str | None = None, on: date | None = None
) -> dict:
    return {
        **rule_json(book, recognition.rule, region, on),
        "conditions": [{"text": c.text, "kind": c.kind, "met": c.met} for c in recognition.conditions],
        "applies": not recognition.excluded,
        # applies is true unless a condition is unmet: say whether one the site can decide is still open.
        "decided": all(c.met is not None for c in recognition.conditions if c.kind != presenters.STATED),
    }


def level_json(book: RuleBook, level: LevelInfo, region: str | None = None, on: date | None = None) -> dict:
    citation = presenters.cite(book, level.notice_number, level.clause, level.quote)
    return {
        "notice": level.notice_number,
        "notice_url": presenters.notice_url(book, level.notice_number),
        "held": level.held,
        "held_name": book.certificates[level.held].name,
        "occupation": level.occupation,
        "occupation_code": book.occupations.get(level.occupation, ""),
        "deemed_level": level.deemed_level,
        "deemed_level_name": level_name(book, level.deemed_level),
        "eligible_level": level.eligible_level,
        "eligible_level_name": level_name(book, level.eligible_level),
        "clause": level.clause,
        "clause_label": citation.label,
        "clause_url": citation.url,
        "quote": level.quote,
        "scope": list(level.scope),
        "valid_from": iso(level.valid_from),
        "valid_until": iso(level.valid_until),
        "replaces": {"notice": level.replaces[0], "held": level.replaces[1]} if level.replaces else None,
        **replacement_fields(book, level, region, on),
    }


def lookup_json(book: RuleBook, result: LookupResult) -> dict:
    region, on = (result.region.code if result.region else None), result.on
    return {
        "data_version": book.version,
        "on": iso(result.on),
        "notice": notice_json(book, book.notice, result.on),
        "notices": notices_json(book, answers.lookup_basis(book, result), result.on),
        "held": list(result.held),
        "region": {"code": result.region.code, "name": result.region.name} if result.region else None,
        "recognitions": [recognition_json(book, recognition, region, on) for recognition in result.recognitions],
        "upcoming": [recognition_json(book, recognition, region, on) for recognition in result.upcoming],
        "ended": [recognition_json(book, recognition, region, on) for recognition in result.ended],
        "levels": [level_json(book, level, region, on) for level in result.levels],
        "best_levels": [
            {
                "occupation": best.occupation,
                "deemed_level": best.deemed_level,
                "deemed_level_name": level_name(book, best.deemed_level),
                "eligible_level": best.eligible_level,
                "eligible_level_name": level_name(book, best.eligible_level),
                "held": list(best.held),
            }
            for best in result.best_levels
        ],
    }


def routes_json(book: RuleBook, result: engine.RoutesResult) -> dict:
    region = result.region.code if result.region else None

    def route(r: engine.Route) -> dict:
        return {
            "start": r.start,
            "certificates": list(r.certificates),
            "steps": [recognition_json(book, step, region, result.on) for step in r.steps],
        }

    answer = answers.describe_routes(book, result)
    return {
        "data_version": book.version,
        "on": iso(result.on),
        "notice": notice_json(book, book.notice, result.on),
        "notices": notices_json(book, answer["basis"], result.on),
        "target": result.target,
        "held": list(result.held),
        "region": {"code": result.region.code, "name": result.region.name} if result.region else None,
        "direct": [route(r) for r in result.direct],
        "indirect": [route(r) for r in result.indirect],
        "omitted": result.omitted,
        "level": level_json(book, result.level, region, result.on) if result.level else None,
    }


def matrix_json(book: RuleBook, on: date | None) -> dict:
    rules = engine.rules_in_force(book, on)
    levels = engine.levels_in_force(book, on)
    numbers = {rule.notice_number for rule in rules} | {level.notice_number for level in levels}
    return {
        "data_version": book.version,
        "on": iso(on) if on else "all",
        "notice": notice_json(book, book.notice, on),
        "notices": notices_json(book, answers.basis(book, numbers or None, on), on),
        "certificates": [
            {
                "slug": cert.slug,
                "name": cert.name,
                "short_name": cert.short_name,
                "department": cert.department,
                "family": cert.family,
                "occupation": cert.occupation,
                "everyday_names": list(cert.everyday_names),
                "issuance_note": cert.issuance_note,
                "steps": [{"name": s.name, "kind": s.kind, "part_of": s.part_of} for s in cert.steps],
            }
            for cert in book.certificates.values()
        ],
        "rules": [
            {**rule_json(book, rule, on=on), "conditions": [{"text": c.text, "kind": c.kind} for c in rule.conditions]}
            for rule in rules
        ],
        "levels": [level_json(book, level, on=on) for level in levels],
        "skill_levels": [
            {"number": level.number, "label": level.label, "title": level.title}
            for level in sorted(book.skill_levels.values(), key=lambda lvl: -lvl.number)
        ],
        "regions": [{"code": p.code, "name": p.name} for p in book.provinces.values()],
    }


def json_response(data: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def error_response(error: QueryError) -> JsonResponse:
    body = {"error": error.message}
    if error.param:
        body["field"] = error.param
        body["choices"] = [{"value": value, "name": name} for value, name in error.choices.items()]
    return json_response(body, status=400)


def api_asks(**takes) -> Callable:
    """The call's question (see recognition.site.query.asks); a bad one, or an unknown parameter, gets a JSON
    error naming the choices."""
    return asks(lambda request, error: error_response(error), page=False, **takes)


@require_safe
@public_cache
@api_asks(held=REQUIRED, region=True)
def lookup(request: HttpRequest, book: RuleBook, question: Question) -> JsonResponse:
    result = engine.lookup(book, question.held, question.region, on=question.on)
    return json_response(lookup_json(book, result))


@require_safe
@public_cache
@api_asks(target=REQUIRED, held=OPTIONAL, region=True)
def routes(request: HttpRequest, book: RuleBook, question: Question) -> JsonResponse:
    result = engine.routes(book, question.target, question.held, on=question.on, region=question.region)
    return json_response(routes_json(book, result))


@require_safe
@public_cache
@api_asks(on=DAY_OR_ALL)
def matrix(request: HttpRequest, book: RuleBook, question: Question) -> JsonResponse:
    return json_response(matrix_json(book, question.on))


@require_safe
@public_cache
def docs(request: HttpRequest, book: RuleBook) -> HttpResponse:
    """The API's documentation: every endpoint, field and error, with a changelog."""
    examples = {
        "slugs": list(book.certificates.items()),
        "notice": book.notice,
    }
    return page(request, "api.html", {"book": book, "basis": [], **examples})
