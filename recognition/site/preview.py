"""The staff preview: the public pages with draft rules and notices, for staff only.

Separate URLs (/preview/…) rather than a switch on the public pages, so that
those stay cookie-free and cacheable: nothing here reads or sets anything the
public pages look at. The answers are private and never cached.

Every public page that takes a rule book is previewed with the book that
includes drafts: the home page, routes, the matrix, the notices and one
notice, the certificates and one certificate. The public views are wrapped by
`public_cache`, which hands them the published book; its `answers_from` is the
view beneath it (with its question read), so that it can be given the drafts'
book instead.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from recognition.rules.snapshot import current_rules
from recognition.site import views


def private(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def allow(request: HttpRequest) -> None:
    """As the admin asks: staff in neither group see nothing."""
    if not request.user.has_perm("recognition.view_recognitionrule"):
        raise PermissionDenied


def with_drafts(public_view: Callable, **options) -> Callable:
    """The public view, answered from the rules including drafts, for staff only."""
    view = public_view.answers_from

    @require_safe
    @never_cache
    @staff_member_required
    def page(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        allow(request)
        return private(view(request, current_rules(include_drafts=True), *args, **kwargs, **options))

    page.__name__ = page.__qualname__ = f"preview_{public_view.__name__}"
    return page


urlpatterns = [
    path("", with_drafts(views.home, preview=True), name="preview"),
    path("routes/", with_drafts(views.routes), name="preview_routes"),
    path("matrix/", with_drafts(views.matrix), name="preview_matrix"),
    path("notices/", with_drafts(views.notices), name="preview_notices"),
    path("notices/<slug:slug>/", with_drafts(views.notice_detail), name="preview_notice_detail"),
    path("certificates/", with_drafts(views.certificates), name="preview_certificates"),
    path("certificates/<slug:slug>/", with_drafts(views.certificate), name="preview_certificate"),
]
