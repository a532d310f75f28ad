"""Request bodies refused before anything reads them.

Django reads a body only when something asks (CSRF's check does, for any
POST carrying a `csrftoken` cookie), and then streams a file field of any
size to the temporary folder. So the size is judged from the headers alone,
before the first byte is read:

- Public pages and the API take no body at all: a request to them that brings
  one is refused with 405 if its method is not GET or HEAD (the only ones those
  views answer), else with 413.
- A body with no declared length (chunked) is refused everywhere (413): no
  form of this site sends one, and Django would not read it.
- A declared length over REQUEST_BODY_MAX_BYTES (the largest import and the
  form around it) is refused everywhere (413); over ANONYMOUS_BODY_MAX_BYTES
  (a login form's worth) unless the user is staff (StaffBodyLimitMiddleware,
  which knows the user and still runs before CSRF's check).

Each refusal says, in Chinese, what was refused and the limit, and closes
nothing by itself: gunicorn drains at most 64 KB of the unread body before
closing the connection. Every body allowed fits in memory
(FILE_UPLOAD_MAX_MEMORY_SIZE), so none is ever spooled to disk.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.template.defaultfilters import filesizeformat
from django.urls import reverse

# Addresses that take a body: the admin (forms, imports) and the staff preview.
BODY_PREFIXES = ("/admin/", "/preview/")
SAFE_METHODS = ("GET", "HEAD")


def declared_length(request: HttpRequest) -> int | None:
    """The body's declared length: 0 for none, None for a body of unknown length (chunked, or a bad header)."""
    meta = request.META
    if "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower():
        return None
    value = meta.get("CONTENT_LENGTH") or "0"
    if not value.strip().isdigit():
        return None
    return int(value)


def refusal(request: HttpRequest, status: int, message: str) -> HttpResponse:
    """A short Chinese answer: JSON for the API, a page for everything else. Never kept by any cache."""
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"error": message}, status=status, json_dumps_params={"ensure_ascii": False})
    else:
        title = {405: "不接受这种请求", 413: "请求内容太大"}.get(status, "请求有误")
        body = loader.get_template("refused.html").render(
            {"title": title, "message": message, "home_url": reverse("home")}
        )
        response = HttpResponse(body, status=status)
    if status == 405:
        response["Allow"] = ", ".join(SAFE_METHODS)
    response["Cache-Control"] = "no-store"
    return response


def too_large(request: HttpRequest, limit: int) -> HttpResponse:
    return refusal(
        request,
        413,
        f"请求内容太大:这个地址最多接受 {filesizeformat(limit)},并且必须事先声明大小。"
        "要导入的文件请拆成几个较小的文件分批导入。",
    )


class BodyLimitMiddleware:
    """What can be judged without the user: a body on a public address, a chunked body, one over every limit."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        if not meta.get("CONTENT_LENGTH") and not meta.get("HTTP_TRANSFER_ENCODING"):
            return self.get_response(request)  # no body: every GET, and nearly every request
        length = declared_length(request)
        if length == 0:
            return self.get_response(request)
        if not request.path_info.startswith(BODY_PREFIXES):
            if request.method not in SAFE_METHODS:
                return refusal(request, 405, "这个地址只能查看(GET 或 HEAD),不接受提交的内容。")
            return refusal(request, 413, "这个地址只能查看,请求不能附带内容。")
        if length is None or length > settings.REQUEST_BODY_MAX_BYTES:
            return too_large(request, settings.REQUEST_BODY_MAX_BYTES)
        return self.get_response(request)


class StaffBodyLimitMiddleware:
    """Only staff may send more than a login form: place it after AuthenticationMiddleware, before CSRF's check.

    (CSRF's check reads the body in process_view, which runs after every middleware's request phase.)
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = declared_length(request)
        if length is not None and length > settings.ANONYMOUS_BODY_MAX_BYTES:
            user = getattr(request, "user", None)
            if not (user is not None and user.is_active and user.is_staff):
                return too_large(request, settings.ANONYMOUS_BODY_MAX_BYTES)
        return self.get_response(request)
