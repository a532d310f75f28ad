"""Public pages. Each view reads the query, asks the engine, renders one template.

Public pages only answer GET, carry no CSRF token and set no cookie, so a
shared cache can serve them.
"""

from __future__ import annotations

import csv

import segno
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from recognition import engine, guide, presenters
from recognition.caching import public_cache
from recognition.models import Notice
from recognition.query import QueryError, parse_held, parse_region, parse_search, parse_target, query_params
from recognition.snapshot import current_rules


def qr_svg(url: str) -> str:
    """The page's address as an inline SVG QR code, for the printed result.

    A fixed mask: any mask scans, and searching for the best one costs ~6 ms a page.
    """
    return mark_safe(
        segno.make(url, micro=False, error="m", mask=0).svg_inline(
            scale=1, border=4, title="本页网址二维码", svgclass="qr", omitsize=True
        )
    )


def page_or_partial(request: HttpRequest, template: str, partial: str, context: dict) -> HttpResponse:
    name = f"{template}#{partial}" if request.htmx and not request.htmx.history_restore_request else template
    return render(request, name, context)


def print_context(request: HttpRequest) -> dict:
    url = request.build_absolute_uri()
    return {"page_url": url, "qr": qr_svg(url), "today": timezone.localdate()}


@require_safe
@public_cache(htmx=True)
def home(request: HttpRequest) -> HttpResponse:
    return render_home(request, current_rules())


def render_home(request: HttpRequest, book: engine.RuleBook, preview: bool = False) -> HttpResponse:
    """The picker and, when something is ticked, the results. `preview`: staff see drafts too."""
    try:
        params = query_params(request)
        held = parse_held(params, book, required=False)
        region = parse_region(params, book)
    except QueryError as error:
        return bad_request(request, error)
    result = engine.lookup(book, held, region, on=timezone.localdate()) if held else None
    context = {
        "book": book,
        "departments": presenters.certificates_by_department(book),
        "provinces": book.provinces.values(),
        "held": held,
        "region": region,
        "answer": presenters.describe_lookup(book, result) if result else None,
        "guide": guide.describe(book, result) if result else None,
        "preview": preview,
        **print_context(request),
    }
    return page_or_partial(request, "home.html", "results", context)


@require_safe
@public_cache(htmx=True)
def routes(request: HttpRequest) -> HttpResponse:
    book = current_rules()
    try:
        params = query_params(request)
        target = parse_target(params, book, required=False)
        held = parse_held(params, book, required=False)
    except QueryError as error:
        return bad_request(request, error)
    result = engine.routes(book, target, held, on=timezone.localdate()) if target else None
    answer = presenters.describe_routes(book, result) if result else None
    context = {
        "book": book,
        "certificates": book.certificates.values(),
        "target": target,
        "held": held,
        "answer": answer,
        "direct_cost": guide.compare_routes(book, result, answer) if result else None,
        **print_context(request),
    }
    return page_or_partial(request, "routes.html", "routes", context)


@require_safe
@public_cache
def matrix(request: HttpRequest) -> HttpResponse:
    book = current_rules()
    return render(request, "matrix.html", {"book": book, "rows": presenters.matrix_rows(book)})


@require_safe
@public_cache
def matrix_csv(request: HttpRequest) -> HttpResponse:
    book = current_rules()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="matrix.csv"'
    response.write("\ufeff")  # lets Excel read the file as UTF-8
    writer = csv.writer(response)
    writer.writerow(presenters.MATRIX_CSV_HEADER)
    for row in presenters.matrix_rows(book):
        writer.writerow(presenters.matrix_csv_row(row))
    return response


@require_safe
@public_cache
def notice(request: HttpRequest) -> HttpResponse:
    book = current_rules()
    notice = Notice.objects.published().order_by("-issued_on", "-pk").first()
    if notice is None:
        raise Http404("通知尚未发布")
    clauses = list(notice.clauses.order_by("order"))
    return render(
        request,
        "notice.html",
        {"book": book, "notice": notice, "clauses": presenters.annotate_clauses(book, clauses)},
    )


@require_safe
@public_cache
def certificates(request: HttpRequest) -> HttpResponse:
    """Every certificate, or those whose name or everyday name (电工证, 焊工证 …) matches `q`."""
    book = current_rules()
    try:
        params = query_params(request)
        words = parse_search(params)
    except QueryError as error:
        return bad_request(request, error)
    found = engine.search_certificates(book, words)
    context = {
        "book": book,
        "q": words,
        "found": [book.certificates[slug] for slug in found],
        "total": len(book.certificates),
    }
    return render(request, "certificates.html", context)


@require_safe
@public_cache
def certificate(request: HttpRequest, slug: str) -> HttpResponse:
    book = current_rules()
    if slug not in book.certificates:
        raise Http404("没有这种证书")
    context = {**presenters.describe_certificate(book, slug), **print_context(request)}
    return render(request, "certificate.html", context)


@require_safe
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    try:
        loaded = Notice.objects.published().exists()  # also proves the database answers
    except DatabaseError:
        return HttpResponse("database unreachable\n", status=503, content_type="text/plain")
    if not loaded:
        return HttpResponse("notice not loaded\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    error = exception if isinstance(exception, QueryError) else None
    choices = {}
    if error and error.param:
        choices = error.choices
    context = {
        "message": error.message if error else "请求的地址有误,无法识别。",
        "choices": choices,
        "field": error.param if error else "",
        "certificate_choices": error is not None and error.param in {"held", "target"},
    }
    body = loader.render_to_string("400.html", context, request)
    return HttpResponseBadRequest(body)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    body = loader.render_to_string("404.html", {"path": request.path}, request)
    return HttpResponse(body, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors, no database: this must render when things are broken.
    body = loader.get_template("500.html").render({"home_url": reverse("home")})
    return HttpResponse(body, status=500)
