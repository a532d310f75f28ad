"""The open-data API: the same answers as the pages, as JSON."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from recognition import engine
from recognition.caching import public_cache
from recognition.engine import LevelInfo, LookupResult, RuleBook, RuleInfo
from recognition.query import QueryError, parse_held, parse_region, parse_target, query_params
from recognition.snapshot import current_rules


def clause_url(anchor: str) -> str:
    return f"{reverse('notice')}#{anchor}"


def notice_json(book: RuleBook) -> dict | None:
    notice = book.notice
    if notice is None:
        return None
    return {
        "number": notice.number,
        "title": notice.title,
        "short_title": notice.short_title,
        "issuers": list(notice.issuers),
        "issued_on": notice.issued_on.isoformat(),
        "legal_status": notice.legal_status,
        "url": reverse("notice"),
    }


def level_name(book: RuleBook, number: int) -> str:
    return book.skill_level(number).display


def rule_json(book: RuleBook, rule: RuleInfo) -> dict:
    return {
        "serial": rule.serial,
        "notice": rule.notice_number,
        "held": rule.held,
        "held_name": book.certificates[rule.held].name,
        "target": rule.target,
        "target_name": book.certificates[rule.target].name,
        "apply_to": rule.apply_to,
        "apply_to_detail": rule.apply_to_detail,
        "waived": list(rule.waived),
        "remaining": list(rule.remaining),
        "clause": rule.clause,
        "clause_url": clause_url(rule.clause),
        "quote": rule.quote,
        "valid_from": rule.valid_from.isoformat(),
        "valid_until": rule.valid_until.isoformat() if rule.valid_until else None,
    }


def level_json(book: RuleBook, level: LevelInfo) -> dict:
    return {
        "held": level.held,
        "held_name": book.certificates[level.held].name,
        "occupation": level.occupation,
        "occupation_code": book.occupations.get(level.occupation, ""),
        "deemed_level": level.deemed_level,
        "deemed_level_name": level_name(book, level.deemed_level),
        "eligible_level": level.eligible_level,
        "eligible_level_name": level_name(book, level.eligible_level),
        "clause": level.clause,
        "clause_url": clause_url(level.clause),
        "quote": level.quote,
    }


def lookup_json(book: RuleBook, result: LookupResult) -> dict:
    return {
        "data_version": book.version,
        "notice": notice_json(book),
        "held": list(result.held),
        "region": {"code": result.region.code, "name": result.region.name} if result.region else None,
        "recognitions": [
            {
                **rule_json(book, recognition.rule),
                "conditions": [{"text": c.text, "met": c.met} for c in recognition.conditions],
                "applies": not recognition.excluded,
            }
            for recognition in result.recognitions
        ],
        "levels": [level_json(book, level) for level in result.levels],
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
    def route(r: engine.Route) -> dict:
        return {
            "start": r.start,
            "certificates": list(r.certificates),
            "steps": [rule_json(book, step) for step in r.steps],
        }

    return {
        "data_version": book.version,
        "notice": notice_json(book),
        "target": result.target,
        "held": list(result.held),
        "direct": [route(r) for r in result.direct],
        "indirect": [route(r) for r in result.indirect],
        "level": level_json(book, result.level) if result.level else None,
    }


def matrix_json(book: RuleBook) -> dict:
    return {
        "data_version": book.version,
        "notice": notice_json(book),
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
            {**rule_json(book, rule), "conditions": [{"text": c.text, "kind": c.kind} for c in rule.conditions]}
            for rule in book.rules
        ],
        "levels": [level_json(book, level) for level in book.levels],
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


@require_safe
@public_cache
def lookup(request: HttpRequest) -> JsonResponse:
    book = current_rules()
    try:
        params = query_params(request)
        held = parse_held(params, book, required=True)
        region = parse_region(params, book)
    except QueryError as error:
        return error_response(error)
    result = engine.lookup(book, held, region, on=timezone.localdate())
    return json_response(lookup_json(book, result))


@require_safe
@public_cache
def routes(request: HttpRequest) -> JsonResponse:
    book = current_rules()
    try:
        params = query_params(request)
        target = parse_target(params, book, required=True)
        held = parse_held(params, book, required=False)
    except QueryError as error:
        return error_response(error)
    result = engine.routes(book, target, held, on=timezone.localdate())
    return json_response(routes_json(book, result))


@require_safe
@public_cache
def matrix(request: HttpRequest) -> JsonResponse:
    return json_response(matrix_json(current_rules()))
