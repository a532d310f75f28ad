"""Public pages. Each view reads the query, asks the engine, renders one template.

Public pages only answer GET, carry no CSRF token and set no cookie, so a
shared cache can serve them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponsePermanentRedirect,
)
from django.template import engines, loader
from django.urls import Resolver404, get_script_prefix, resolve, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from recognition.http.conditional import canonical_url, public_cache
from recognition.http.memo import bounded_by_bytes
from recognition.models import Notice
from recognition.rules import engine
from recognition.rules.book import RuleBook
from recognition.rules.snapshot import current_rules
from recognition.site import answers, guide, listings, route_costs
from recognition.site.query import DAY_OR_ALL, MAX_QUERY_STRING, OPTIONAL, QueryError, Question, asks, today
from recognition.spreadsheets import neutralise


# Keyed by the address, which a client chooses: bounded in bytes (QR_CACHE_MB), not in addresses.
@bounded_by_bytes(lambda: int(settings.QR_CACHE_MB * 1024 * 1024))
def qr_svg(url: str) -> bytes:
    """An address as an SVG QR code, for the printed page; made once per address.

    A fixed mask: any mask scans, and searching for the best one costs ~6 ms a page.
    """
    out = io.BytesIO()
    segno.make(url, micro=False, error="m", mask=0).save(
        out, kind="svg", xmldecl=False, scale=1, border=4, title="本页网址二维码", omitsize=True
    )
    return out.getvalue()


# A page's address is at most its path and MAX_QUERY_STRING; anything longer is not one of the site's pages.
MAX_QR_PATH = MAX_QUERY_STRING + 200


@require_safe
def qr_code(request: HttpRequest) -> HttpResponse:
    """`?u=` a page's path and query: the QR code printed with that page, encoding its full address. An image of
    its own, so a fresh page does not wait the ~3 ms it takes to make, and a browser keeps it.

    Only this site's own pages: the code carries this site's address, never one a client names.
    """
    path = request.GET.get("u", "")
    prefix = get_script_prefix()
    if not path.startswith(prefix) or path.startswith("//"):
        return qr_refused(request, f"参数 u 应为本站页面的路径,以 {prefix} 开头")
    if len(path) > MAX_QR_PATH:
        return qr_refused(request, f"参数 u 太长(超过 {MAX_QR_PATH} 个字符),不是本站页面的地址")
    try:
        resolve(path.split("?", 1)[0][len(prefix) - 1 :])
    except Resolver404:
        return qr_refused(request, "本站没有这个页面")
    try:
        svg = qr_svg(canonical_url(request, path))
    except segno.DataOverflowError:
        return qr_refused(request, "这个网址太长,二维码容纳不下")
    response = HttpResponse(svg, content_type="image/svg+xml")
    # A page's code changes only with the site's address: browsers and shared caches keep it for a day.
    response["Cache-Control"] = "public, max-age=86400"
    return response


def qr_refused(request: HttpRequest, why: str) -> HttpResponse:
    return bad_request(request, QueryError(f"二维码只为本站的页面生成:{why}。", param="u"))


def page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    return HttpResponse(render_page(request, template, context))


def page_or_partial(request: HttpRequest, template: str, block: str, context: dict) -> HttpResponse:
    """The page, or for HTMX only its `block`: the part the picker replaces."""
    partial = request.htmx and not request.htmx.history_restore_request
    return HttpResponse(render_page(request, template, context, block if partial else None))


def render_page(request: HttpRequest, template: str, context: dict, block: str | None = None) -> str:
    """A public page (templates/jinja2/), or one of its blocks, rendered as Django's Jinja2 backend would."""
    page = engines["jinja2"].get_template(template)
    if block is None:
        return page.render(context, request)
    jinja = page.template
    parts = jinja.blocks[block](jinja.new_context({**context, "request": request}))
    return "".join(parts)


def print_context(request: HttpRequest) -> dict:
    qr_url = reverse("qr") + "?" + urlencode({"u": request.get_full_path()})
    return {"page_url": canonical_url(request), "qr_url": qr_url, "today": today()}


def day_context(request: HttpRequest, on: date | None) -> dict:
    """The day answered for; `today_url` is this address without `on`, for the answer as of today."""
    params = request.GET.copy()
    params.pop("on", None)
    query = params.urlencode()
    return {
        "on": on,
        "today": today(),
        "other_day": on is not None and on != today(),
        "all_days": on is None,
        "today_url": f"{request.path}?{query}" if query else request.path,
    }


def page_asks(**takes) -> Callable:
    """The page's question (see recognition.site.query.asks): a bad one gets the 400 page, and an address in
    another form than the question's own is sent there."""
    return asks(lambda request, error: bad_request(request, error), **takes)


def home_context(request: HttpRequest, book: RuleBook, question: Question, preview: bool) -> dict:
    result = engine.lookup(book, question.held, question.region, on=question.on) if question.held else None
    answer = answers.describe_lookup(book, result) if result else None
    return {
        "book": book,
        "departments": answers.certificates_by_department(book),
        "provinces": book.provinces.values(),
        "held": question.held,
        "region": question.region,
        "answer": answer,
        "basis": answer["basis"] if answer else answers.basis(book, None, question.on),
        "guide": guide.describe(book, result) if result else None,
        "preview": preview,
        **day_context(request, question.on),
        **print_context(request),
    }


@require_safe
@public_cache(htmx=True)
@page_asks(held=OPTIONAL, region=True)
def home(request: HttpRequest, book: RuleBook, question: Question, preview: bool = False) -> HttpResponse:
    """The picker and, when something is ticked, the results. `preview`: staff see drafts too."""
    context = home_context(request, book, question, preview)
    return page_or_partial(request, "home.html", "results", context)


def routes_context(request: HttpRequest, book: RuleBook, question: Question) -> dict:
    target, on = question.target, question.on
    result = engine.routes(book, target, question.held, on=on, region=question.region) if target else None
    answer = answers.describe_routes(book, result) if result else None
    return {
        "book": book,
        "certificates": book.certificates.values(),
        "provinces": book.provinces.values(),
        "target": target,
        "held": question.held,
        "region": question.region,
        "answer": answer,
        "basis": answer["basis"] if answer else answers.basis(book, None, on),
        "direct_cost": route_costs.compare_routes(book, result, answer) if result else None,
        **day_context(request, on),
        **print_context(request),
    }


@require_safe
@public_cache(htmx=True)
@page_asks(target=OPTIONAL, held=OPTIONAL, region=True)
def routes(request: HttpRequest, book: RuleBook, question: Question) -> HttpResponse:
    context = routes_context(request, book, question)
    return page_or_partial(request, "routes.html", "routes", context)


@require_safe
@public_cache
@page_asks(on=DAY_OR_ALL)
def matrix(request: HttpRequest, book: RuleBook, question: Question) -> HttpResponse:
    rows = listings.matrix_rows(book, question.on)
    notices = {row["rule"].rule.notice_number for row in rows} or None
    context = {"book": book, "rows": rows, "basis": answers.basis(book, notices, question.on)}
    return page(request, "matrix.html", {**context, **day_context(request, question.on)})


@require_safe
@public_cache
@page_asks(on=DAY_OR_ALL)
def matrix_csv(request: HttpRequest, book: RuleBook, question: Question) -> HttpResponse:
    on = question.on
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"matrix-{on:%Y-%m-%d}.csv" if on else "matrix-all.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")  # lets Excel read the file as UTF-8
    writer = csv.writer(response)
    writer.writerow(listings.MATRIX_CSV_HEADER)
    for row in listings.matrix_rows(book, on):
        writer.writerow([neutralise(cell) for cell in listings.matrix_csv_row(book, row)])
    return response


@require_safe
@public_cache
@page_asks()
def notices(request: HttpRequest, book: RuleBook, question: Question) -> HttpResponse:
    groups = listings.notice_groups(book, question.on)
    context = {"book": book, "groups": groups, "basis": [], **day_context(request, question.on)}
    return page(request, "notices.html", context)


@require_safe
@public_cache
@page_asks()
def notice_detail(request: HttpRequest, book: RuleBook, question: Question, slug: str) -> HttpResponse:
    notice = book.notice_by_slug(slug)
    if notice is None:
        raise Http404("没有这份通知")
    described = listings.describe_notice(book, notice, question.on)
    context = {"book": book, "notice": notice, "basis": [notice], **described, **day_context(request, question.on)}
    return page(request, "notice.html", context)


@require_safe
def old_notice(request: HttpRequest) -> HttpResponse:
    """/notice/ is printed on paper and in QR codes: it moved to 1号's own page (browsers keep the #clause)."""
    book = current_rules()
    if book.notice is None:
        raise Http404("通知尚未发布")
    url = reverse("notice_detail", args=[book.notice.slug])
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)


@require_safe
@public_cache
@page_asks(q=True)
def certificates(request: HttpRequest, book: RuleBook, question: Question) -> HttpResponse:
    """Every certificate, or those whose name or everyday name (电工证, 焊工证 …) matches `q`."""
    found = [book.certificates[slug] for slug in engine.search_certificates(book, question.words)]
    basis = answers.basis(book, None, question.on)
    context = {"book": book, "q": question.words, "found": found, "total": len(book.certificates), "basis": basis}
    return page(request, "certificates.html", {**context, **day_context(request, question.on)})


@require_safe
@public_cache
@page_asks()
def certificate(request: HttpRequest, book: RuleBook, question: Question, slug: str) -> HttpResponse:
    if slug not in book.certificates:
        raise Http404("没有这种证书")
    described = listings.describe_certificate(book, slug, question.on)
    context = {"book": book, **described, **day_context(request, question.on), **print_context(request)}
    return page(request, "certificate.html", context)


@require_safe
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers and a notice is published, else 503 (the load balancer's probe).

    A persistent connection that died (the database restarted) is replaced and
    asked once more, so a database that is back is never reported down.
    """
    try:
        try:
            loaded = Notice.objects.published().exists()  # also proves the database answers
        except (InterfaceError, OperationalError):
            if connection.in_atomic_block:
                raise
            connection.close()
            loaded = Notice.objects.published().exists()
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
    body = render_page(request, "400.html", context)
    return HttpResponseBadRequest(body)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    body = render_page(request, "404.html", {"path": request.path})
    return HttpResponse(body, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors, no database: this must render when things are broken.
    body = loader.get_template("500.html").render({"home_url": reverse("home")})
    return HttpResponse(body, status=500)
