"""Answers already rendered, served before the middleware they do not need.

A public page or API answer is a function of the data version, the day, the
address, the HTMX headers and the release (see recognition.http.conditional), and the
same for every visitor: it reads no session, sets no cookie, carries no CSRF
token. So once rendered it is kept, as it left the inner middleware, and the
next request for it is answered by `AnswerMiddleware`, which sits right after
SecurityMiddleware, WhiteNoise and the CSP middleware: sessions, CSRF, auth,
messages, clickjacking, htmx and axes are skipped, while the outer middleware
still add HSTS, the HTTPS redirect, the CSP and every other header of their
own, and every header the inner middleware added (X-Frame-Options, and any
added later) is kept with the answer. The Host header is checked first.

Each process keeps answers up to PUBLIC_PAGE_CACHE_MB megabytes (least
recently used out first; 0 turns this off), enough for every combination of
certificates, several regions and the three forms (page, HTMX fragment, API).
With a shared cache (CACHE_URL) an answer rendered by any worker of any server
is stored there too, so each is rendered once per data version and day for
the whole site. Nothing goes to an app server's disk.

Answers are kept gzipped: a results page in world M (bench/worlds.py) is 13 times
smaller so (134 KB → 10 KB), and the store holds 13 times as many. A client that
accepts gzip (every browser) gets those very bytes; one that does not gets them
unpacked (0.1 ms for 100 KB). Compressing is safe here, where it would not be for
every answer (BREACH): a kept answer carries no secret (no CSRF token, no session).
"""

from __future__ import annotations

import hashlib
import logging
import re
import sys
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers

from recognition.http import conditional
from recognition.rules import snapshot

# Headers a 304 repeats from the answer (as Django's ConditionalGetMiddleware does).
NOT_MODIFIED_HEADERS = ("Cache-Control", "Content-Location", "Date", "ETag", "Expires", "Last-Modified", "Vary")
# The only Vary an answer kept here may carry: the key holds the HTMX headers.
KEYED_VARY = {name.lower() for name in conditional.HTMX_HEADERS}
SHARED_PREFIX = "answer:"
SHARED_TIMEOUT = 24 * 3600  # the key holds the release, version and day: never stale, only unused
# After the shared cache failed (down, full, too slow), answer without it this long before trying it again.
SHARED_RETRY_SECONDS = 10
# Never public answers: no version check, no lookup.
PRIVATE_PREFIXES = ("/admin/", "/preview/", "/healthz")

Entry = tuple[int, tuple[tuple[str, str], ...], bytes]  # status, headers but Content-Length, gzipped body
ACCEPTS_GZIP = re.compile(r"\bgzip\b")  # how django.middleware.gzip reads Accept-Encoding
# zlib's default: 1 ms for a 134 KB page in world M; level 1 halves that for a third more bytes.
GZIP_LEVEL = 6
GZIP_WBITS = 31  # a gzip stream, as Content-Encoding: gzip names it


class AnswerStore:
    """A least-recently-used map from answer key to rendered answer, bounded in bytes."""

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple, Entry] = OrderedDict()
        self._bytes = 0
        self._generation: tuple | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        """Bytes held, as `entry_size` counts them: what Python holds for each key and answer."""
        return self._bytes

    def _start(self, generation: tuple) -> None:
        # A new release, data version or day: every answer kept is for another one.
        if generation != self._generation:
            self._entries.clear()
            self._bytes = 0
            self._generation = generation

    def get(self, generation: tuple, key: tuple) -> Entry | None:
        with self._lock:
            self._start(generation)
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, generation: tuple, key: tuple, entry: Entry, limit: int) -> None:
        cost = entry_size(key, entry)
        if cost > limit:
            return
        with self._lock:
            self._start(generation)
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= entry_size(key, old)
            self._entries[key] = entry
            self._bytes += cost
            while self._bytes > limit:
                evicted_key, evicted = self._entries.popitem(last=False)
                self._bytes -= entry_size(evicted_key, evicted)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
            self._generation = None


# What the ordered map spends on one entry besides its key and value (recognition.http.memo measured it).
ENTRY_OVERHEAD = 128


def held_size(item: object) -> int:
    """What Python holds for a key or an answer: sys.getsizeof of it and of every tuple's items, recursively."""
    if isinstance(item, tuple):
        return sys.getsizeof(item) + sum(held_size(part) for part in item)
    return sys.getsizeof(item)


def entry_size(key: tuple, entry: Entry) -> int:
    """An answer's cost in memory: its body, every header kept with it and its key, with their objects' own
    overhead. Counting the body and headers' characters alone left 10,000 junk addresses holding 33.8 MB in a
    32 MB store (tests/test_store_bounds.py)."""
    return held_size(key) + held_size(entry) + ENTRY_OVERHEAD


store = AnswerStore()


logger = logging.getLogger(__name__)
_shared_failed_at = -float("inf")


def forget() -> None:
    """Forget every answer this process kept (tests; the shared cache is keyed by version and expires)."""
    global _shared_failed_at
    store.clear()
    _shared_failed_at = -float("inf")


def limit_bytes() -> int:
    return int(settings.PUBLIC_PAGE_CACHE_MB * 1024 * 1024)


def shared_cache():
    """The shared cache, unless it is off or failed within SHARED_RETRY_SECONDS."""
    if not settings.PUBLIC_ANSWERS_SHARED or time.monotonic() - _shared_failed_at < SHARED_RETRY_SECONDS:
        return None
    return caches["default"]


def shared_failed(error: Exception) -> None:
    """The shared cache only saves rendering: without it the answer is rendered, never refused."""
    global _shared_failed_at
    _shared_failed_at = time.monotonic()
    logger.warning("The shared cache failed (%r); answering without it for %s s.", error, SHARED_RETRY_SECONDS)


def shared_get(shared, key: str) -> Entry | None:
    # Each backend raises its own errors (redis.exceptions.*, OSError): any of them means "not there".
    try:
        return shared.get(key)
    except Exception as error:
        shared_failed(error)
        return None


def shared_set(shared, key: str, entry: Entry) -> None:
    try:
        shared.set(key, entry, SHARED_TIMEOUT)
    except Exception as error:  # a Redis full with noeviction refuses writes: the answer is still served
        shared_failed(error)


def answer_key(request: HttpRequest) -> tuple:
    """What an answer depends on besides the data version, the day and the release (see recognition.http.conditional):
    the address as the page prints it (conditional.canonical_url: never the Host header's port, so a client
    cannot fill the store with port variants), split as it chose the view (the prefix, then PATH_INFO), and
    the HTMX headers. The Host is checked here (an unknown one is refused with 400, as CommonMiddleware would)."""
    host = request.get_host()
    meta = request.META
    # What conditional.canonical_url builds the address from, without building it: this runs on every request.
    # The Host without its port ("[::1]" keeps its colons); its case may differ: that only keeps a copy more.
    name = host if host.endswith("]") else host.rsplit(":", 1)[0]
    site = settings.SITE_URL or (request.scheme, name, meta.get("SERVER_PORT", ""))
    return (
        site,
        conditional.script_prefix(request),
        request.path_info,
        meta.get("QUERY_STRING", ""),
        *(meta.get(name) == "true" for name in ("HTTP_HX_REQUEST", "HTTP_HX_HISTORY_RESTORE_REQUEST")),
    )


def shared_key(generation: tuple, key: tuple) -> str:
    release, version, day = generation
    digest = hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()
    return f"{SHARED_PREFIX}{release}:{version}:{day:%Y%m%d}:{digest}"


def cacheable(request: HttpRequest, response: HttpResponse) -> bool:
    """Only an answer the public_cache decorator made, the same for every visitor."""
    session = getattr(request, "session", None)
    vary = {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}
    return (
        getattr(response, "public_answer", False)
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not (session is not None and session.accessed)
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and vary <= KEYED_VARY
    )


def kept(response: HttpResponse) -> Entry:
    """The answer as the store keeps it, once `Vary: Accept-Encoding` is added (the body may go out gzipped)."""
    return packed(response.status_code, kept_headers(response), response.content)


def kept_headers(response: HttpResponse) -> tuple[tuple[str, str], ...]:
    return tuple((name, value) for name, value in response.items() if name.lower() != "content-length")


def packed(status: int, headers: tuple[tuple[str, str], ...], body: bytes) -> Entry:
    return status, headers, zlib.compress(body, GZIP_LEVEL, wbits=GZIP_WBITS)


def keep_when_sent(response: HttpResponse, keep: Callable[[Entry], None]) -> None:
    """Pack and keep the answer once the server has sent it (WSGI servers close a response after its body):
    a client that takes no gzip does not wait the millisecond or more a large page takes to compress.

    The headers and body are taken now, as this middleware sees them; `HttpResponse.close()` runs
    `_resource_closers` and swallows their errors, so an error is logged here.
    """
    status, headers, body = response.status_code, kept_headers(response), response.content

    def pack_and_keep() -> None:
        try:
            keep(packed(status, headers, body))
        except Exception:
            logger.exception("An answer sent could not be kept")

    response._resource_closers.append(pack_and_keep)


def accepts_gzip(request: HttpRequest) -> bool:
    return bool(ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")))


def send_gzipped(response: HttpResponse, gzipped: bytes) -> None:
    response.content = gzipped
    response["Content-Length"] = str(len(gzipped))
    response["Content-Encoding"] = "gzip"
    etag = response.get("ETag")
    if etag and not etag.startswith("W/"):
        response["ETag"] = "W/" + etag  # another encoding, another entity (as django.middleware.gzip does)


def replay(request: HttpRequest, entry: Entry) -> HttpResponse:
    status, headers, gzipped = entry
    response = HttpResponse(status=status)
    # The headers were checked when the answer was rendered; setting them one by one checks them again,
    # which costs a sixth of a kept answer. (ResponseHeaders keeps lower-cased name -> (name, value).)
    response.headers._store = {name.lower(): (name, value) for name, value in headers}
    etag = response.get("ETag")
    if etag and request.META.get("HTTP_IF_NONE_MATCH") and get_conditional_response(request, etag=etag) is not None:
        not_modified = HttpResponseNotModified()
        for name in NOT_MODIFIED_HEADERS:
            if name in response:
                not_modified[name] = response[name]
        if accepts_gzip(request):
            not_modified["ETag"] = "W/" + etag
        return not_modified
    if accepts_gzip(request):
        send_gzipped(response, gzipped)
    else:
        response.content = zlib.decompress(gzipped, wbits=GZIP_WBITS)
        response["Content-Length"] = str(len(response.content))
    return response


class AnswerMiddleware:
    """Answer a public GET or HEAD from the answers kept, before the middleware it does not need.

    Place it after SecurityMiddleware, WhiteNoise and the database check, and
    before the CSP, Permissions-Policy and session middleware (config/settings.py):
    the headers those add are kept with the answer.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = limit_bytes()
        if (
            request.method not in ("GET", "HEAD")
            or limit <= 0
            or request.path_info.startswith((*PRIVATE_PREFIXES, settings.STATIC_URL))
            # Mounted under a prefix the site is not configured for: the page names an address it is not.
            or conditional.foreign_prefix(request)
        ):
            return self.get_response(request)
        key = answer_key(request)
        try:
            book = snapshot.current_rules()
        except DatabaseError:
            # Rendered by the view instead, whose failure config.dbhealth answers with a 503 page.
            return self.get_response(request)
        generation = (conditional.release_id(), book.version, timezone.localdate())
        entry = store.get(generation, key)
        shared = shared_cache()
        if entry is None and shared is not None:
            entry = shared_get(shared, shared_key(generation, key))
            if entry is not None:
                store.put(generation, key, entry, limit)
        if entry is not None:
            return replay(request, entry)
        request.rules = book  # the view answers from the very rules the key names (recognition.http.conditional)
        response = self.get_response(request)
        if cacheable(request, response):
            patch_vary_headers(response, ("Accept-Encoding",))

            def keep(entry: Entry) -> None:
                store.put(generation, key, entry, limit)
                if shared is not None and shared_cache() is not None:
                    shared_set(shared, shared_key(generation, key), entry)

            if accepts_gzip(request):
                entry = kept(response)
                keep(entry)
                send_gzipped(response, entry[2])
            else:
                keep_when_sent(response, keep)
        return response
