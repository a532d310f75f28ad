"""HTTP caching for the public pages and the API, as one decorator.

A shared cache (a reverse proxy or a CDN) may keep an answer for
PUBLIC_CACHE_MAX_AGE seconds, then revalidates it with If-None-Match and gets
a 304 while the answer cannot have changed. An answer is a function of the
data version, the address (the printed pages show their own URL and a QR code
of it), today's date (rules have validity dates, and the printed pages show
the day), whether HTMX asked for a fragment, and the code that renders it.
The ETag is built from exactly those, before the view runs, so a 304 costs one
cheap query (the data version) and no rendering.

For the same reason each process keeps the last few hundred answers it
rendered, keyed by their ETag: on the day a notice is in the news most people
ask the same few questions, and an answer already rendered is served again
without rendering it (PUBLIC_PAGE_CACHE_ENTRIES; 0 turns this off). An answer
that touched the session or the CSRF token, set a cookie or varies on
anything else is never kept.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import cache, wraps
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers

from recognition import snapshot
from recognition.engine import RuleBook

HTMX_HEADERS = ("HX-Request", "HX-History-Restore-Request")

View = Callable[..., HttpResponse]

# ETag -> (the rules it was rendered from, status, headers set by the view, body).
# An entry only serves while this process holds the very same RuleBook: the
# snapshot replaces it whenever the data version changes.
_rendered: OrderedDict[str, tuple[RuleBook, int, dict[str, str], bytes]] = OrderedDict()
_rendered_lock = threading.Lock()


@cache
def release_id() -> str:
    """Identifies the code that renders the answers: the same on every app server running the same release.

    DJANGO_RELEASE_ID when the deployment sets it; otherwise a hash of the
    templates, the Python code and the static files' manifest, so a new
    release never gets a 304 for a page the old one rendered.
    """
    if settings.RELEASE_ID:
        return settings.RELEASE_ID
    base = Path(settings.BASE_DIR)
    digest = hashlib.blake2b(digest_size=4)
    files = [
        *base.glob("templates/**/*"),
        *base.glob("recognition/**/*"),
        *base.glob("config/*.py"),
        Path(settings.STATIC_ROOT) / "staticfiles.json",
    ]
    for path in sorted(files):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(base) if path.is_relative_to(base) else path.name).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def etag_for(request: HttpRequest, version: str, htmx: bool) -> str:
    parts = [release_id(), request.build_absolute_uri()]
    if htmx:
        parts.append("".join("1" if request.headers.get(name) == "true" else "0" for name in HTMX_HEADERS))
    digest = hashlib.blake2b("\n".join(parts).encode(), digest_size=8).hexdigest()
    return f'"{version}.{timezone.localdate():%Y%m%d}.{digest}"'


def remembered(etag: str, book: RuleBook) -> HttpResponse | None:
    with _rendered_lock:
        entry = _rendered.get(etag)
        if entry is None or entry[0] is not book:
            return None
        _rendered.move_to_end(etag)
    _, status, headers, body = entry
    response = HttpResponse(body, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def remember(etag: str, book: RuleBook, request: HttpRequest, response: HttpResponse) -> None:
    limit = settings.PUBLIC_PAGE_CACHE_ENTRIES
    session = getattr(request, "session", None)
    if (
        limit <= 0
        or response.status_code != 200
        or response.streaming
        or response.cookies
        or (session is not None and session.accessed)
        or request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        or response.has_header("Vary")
    ):
        return
    with _rendered_lock:
        _rendered[etag] = (book, response.status_code, dict(response.headers), response.content)
        while len(_rendered) > limit:
            _rendered.popitem(last=False)


def forget_rendered() -> None:
    with _rendered_lock:
        _rendered.clear()


def public_cache(view: View | None = None, *, htmx: bool = False) -> View | Callable[[View], View]:
    """Let shared caches keep the view's answers; answer If-None-Match with 304.

    The view is called as view(request, book, …) with the published rules the
    ETag was built from, so the answer and its ETag agree and the view makes
    no query of its own.

    `htmx=True` for views that answer an HTMX request with a fragment: their
    responses say `Vary: HX-Request, HX-History-Restore-Request` (a history
    restore asks with both and must get the whole page).
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            book = snapshot.current_rules()
            etag = etag_for(request, book.version, htmx)
            response = get_conditional_response(request, etag=etag)
            if response is None:
                response = remembered(etag, book)
            if response is None:
                response = view(request, book, *args, **kwargs)
                remember(etag, book, request, response)
            if response.status_code in (200, 304):
                response["ETag"] = etag
                response["Cache-Control"] = f"public, max-age={settings.PUBLIC_CACHE_MAX_AGE}"
            if htmx:
                patch_vary_headers(response, HTMX_HEADERS)
            return response

        return wrapper

    return decorator(view) if view is not None else decorator
