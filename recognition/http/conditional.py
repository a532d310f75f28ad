"""HTTP caching for the public pages and the API, as one decorator.

A shared cache (a reverse proxy or a CDN) may keep an answer for
PUBLIC_CACHE_MAX_AGE seconds, then revalidates it with If-None-Match and gets
a 304 while the answer cannot have changed. An answer is a function of the
data version, the address (the printed pages show their own URL and a QR code
of it), today's date (rules have validity dates, and the printed pages show
the day), whether HTMX asked for a fragment, and the code that renders it.
The ETag is built from exactly those, before the view runs, so a 304 costs at
most one cheap query (the data version, when it is due) and no rendering. The
address is taken as it chose the view: the path inside the site (PATH_INFO)
and the prefix the site is mounted under, separately, so a request that moves
the boundary between them (a forged SCRIPT_NAME) cannot share another page's
ETag. A request under a prefix the site is not configured for
(FORCE_SCRIPT_NAME; none by default) is answered, but marked for no cache to
keep (`foreign_prefix`).

The decorator marks its answers `public_answer`: recognition.http.answer_store keeps
them, keyed the same way, and serves them again without rendering and before
the middleware a public answer does not need. An answer that touched the
session or the CSRF token, set a cookie or varies on anything else is never kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache, wraps
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers

from recognition.rules import snapshot

HTMX_HEADERS = ("HX-Request", "HX-History-Restore-Request")

View = Callable[..., HttpResponse]


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


def script_prefix(request: HttpRequest) -> str:
    """What Django put before the path that chose the view: SCRIPT_NAME, or FORCE_SCRIPT_NAME when set."""
    path, path_info = request.path, request.path_info
    return path[: len(path) - len(path_info)] if path.endswith(path_info) else path


def foreign_prefix(request: HttpRequest) -> bool:
    """A request under a prefix the site is not mounted under (a SCRIPT_NAME header a proxy let through).

    Django builds the page's own address from it, so the answer names another page's address: it is
    answered, never kept (here, in recognition.http.answer_store, or by a shared cache).
    """
    return script_prefix(request) != (settings.FORCE_SCRIPT_NAME or "").rstrip("/")


def canonical_url(request: HttpRequest, full_path: str | None = None) -> str:
    """The page's address (or `full_path`'s on this site) for print and QR codes: SITE_URL, or else the checked
    host and the server's own port.

    Never the port of the Host header, which any client sets (ALLOWED_HOSTS checks the name only).
    """
    full_path = request.get_full_path() if full_path is None else full_path
    if settings.SITE_URL:
        return settings.SITE_URL + full_path
    domain, _ = split_domain_port(request.get_host())
    scheme = request.scheme
    port = request.META.get("SERVER_PORT", "")
    netloc = domain if port in ("", {"http": "80", "https": "443"}[scheme]) else f"{domain}:{port}"
    return f"{scheme}://{netloc}{full_path}"


def etag_for(request: HttpRequest, version: str, htmx: bool) -> str:
    # The canonical address, and what chose the view apart from the prefix before it.
    parts = [release_id(), canonical_url(request), script_prefix(request), request.path_info]
    if htmx:
        parts.append("".join("1" if request.headers.get(name) == "true" else "0" for name in HTMX_HEADERS))
    digest = hashlib.blake2b("\n".join(parts).encode(), digest_size=8).hexdigest()
    return f'"{version}.{timezone.localdate():%Y%m%d}.{digest}"'


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
            book = getattr(request, "rules", None) or snapshot.current_rules()
            if foreign_prefix(request):
                response = view(request, book, *args, **kwargs)
                response["Cache-Control"] = "no-store"
                return response
            etag = etag_for(request, book.version, htmx)
            response = get_conditional_response(request, etag=etag)
            if response is None:
                response = view(request, book, *args, **kwargs)
                response.public_answer = True  # recognition.http.answer_store may keep it
            if response.status_code in (200, 304):
                response["ETag"] = etag
                response["Cache-Control"] = f"public, max-age={settings.PUBLIC_CACHE_MAX_AGE}"
            if htmx:
                patch_vary_headers(response, HTMX_HEADERS)
            return response

        wrapper.answers_from = view  # the view taking (request, book, …): the staff preview gives it the drafts
        return wrapper

    return decorator(view) if view is not None else decorator
