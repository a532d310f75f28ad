"""Fast and ready to run: HTTP caching, static files, the rules snapshot, /healthz, gunicorn, no local state."""

import datetime
import gzip
import json
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from wsgiref.util import setup_testing_defaults

import pytest
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.db.models import F
from django.http import HttpResponse
from django.template import engines
from django.test import Client, RequestFactory
from django.utils import timezone

from recognition.http import answer_store, conditional
from recognition.models import DataVersion, Notice, Publication, RecognitionRule
from recognition.rules import snapshot

ROOT = Path(__file__).resolve().parent.parent
THREE = "held=fusion-welding-cutting&held=building-electrician&held=building-welder"  # as the picker lists them
CACHEABLE_URLS = [
    "/",
    f"/?{THREE}",
    "/?held=fusion-welding-cutting&region=11",
    "/routes/",
    "/routes/?target=building-welder&held=fusion-welding-cutting",
    "/matrix/",
    "/matrix.csv",
    "/notices/",
    "/notices/rstf-2026-1/",
    "/api/",
    "/certificates/building-welder/",
    f"/api/v1/lookup?{THREE}",
    "/api/v1/routes?target=fusion-welding-cutting",
    "/api/v1/matrix",
]
HTMX_URLS = ["/", f"/?{THREE}", "/routes/", "/routes/?target=building-welder"]
ETAG = re.compile(r'^"[0-9]+-[0-9]{14}\.[0-9]{8}\.[0-9a-f]{16}"$')

pytestmark = pytest.mark.django_db


def publish_elsewhere(quote: str) -> None:
    """A change as another app server writes it: in the database, with no signal in this process."""
    RecognitionRule.objects.published().filter(serial=4).update(quote=quote)
    DataVersion.objects.update(revision=F("revision") + 1, changed_at=timezone.now())


def change_a_rule(quote: str) -> RecognitionRule:
    rule = RecognitionRule.objects.published().get(serial=4)  # 熔化焊接与热切割 -> 建筑焊工
    rule.quote = quote
    rule.save()
    return rule


# -- HTTP caching --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", CACHEABLE_URLS)
def test_public_pages_and_the_api_can_be_kept_by_a_shared_cache(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == f"public, max-age={settings.PUBLIC_CACHE_MAX_AGE}"
    assert ETAG.match(response["ETag"]), response["ETag"]


@pytest.mark.parametrize("url", CACHEABLE_URLS)
def test_a_conditional_request_gets_304_without_rendering(client, url, django_assert_num_queries):
    etag = client.get(url)["ETag"]
    snapshot.check_again()
    with django_assert_num_queries(1):  # the data version, due: nothing else
        response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    with django_assert_num_queries(0):  # within the check interval: not even that
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


@pytest.mark.parametrize("url", CACHEABLE_URLS)
def test_a_conditional_request_for_an_answer_not_kept_gets_304_too(client, url, settings):
    """Another worker rendered it: this one answers 304 from the ETag alone."""
    etag = client.get(url)["ETag"]
    answer_store.forget()
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response["ETag"] == etag
    assert response["Cache-Control"] == f"public, max-age={settings.PUBLIC_CACHE_MAX_AGE}"
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_max_age_is_configurable(client, settings):
    settings.PUBLIC_CACHE_MAX_AGE = 600
    assert client.get("/api/v1/matrix")["Cache-Control"] == "public, max-age=600"


def test_the_etag_follows_the_data_version(client):
    url = "/api/v1/lookup?held=fusion-welding-cutting"
    before = client.get(url)
    change_a_rule("新的依据原文")
    after = client.get(url, headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert "新的依据原文" in after.content.decode()
    assert json.loads(after.content)["data_version"] in after["ETag"]


def test_the_etag_follows_the_query_and_not_the_client(client):
    one = client.get("/?held=building-welder")["ETag"]
    assert Client().get("/?held=building-welder")["ETag"] == one
    assert client.get("/?held=fusion-welding-cutting")["ETag"] != one
    assert client.get("/?held=building-welder&region=11")["ETag"] != one


def test_the_etag_and_the_printed_date_follow_the_day(client, monkeypatch):
    url = f"/?{THREE}"
    today = client.get(url)
    assert f"打印日期:{timezone.localdate():%Y}年" in today.content.decode()
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: datetime.date(2031, 3, 9))
    tomorrow = client.get(url, headers={"If-None-Match": today["ETag"]})
    assert tomorrow.status_code == 200
    assert ".20310309." in tomorrow["ETag"]
    assert "打印日期:2031年3月9日" in tomorrow.content.decode()


@pytest.mark.parametrize("url", HTMX_URLS)
def test_htmx_fragments_vary_on_the_htmx_headers(client, url):
    page = client.get(url)
    fragment = client.get(url, headers={"HX-Request": "true"})
    restore = client.get(url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    for response in (page, fragment, restore):
        vary = {v.strip() for v in response["Vary"].split(",")}
        assert {"HX-Request", "HX-History-Restore-Request"} <= vary
        assert "Cookie" not in vary and "Accept-Language" not in vary
    assert "<html" in page.content.decode() and "<html" not in fragment.content.decode()
    assert "<html" in restore.content.decode()
    assert len({page["ETag"], fragment["ETag"], restore["ETag"]}) == 3


def test_the_api_varies_only_on_its_encoding(client):
    assert client.get(f"/api/v1/lookup?{THREE}")["Vary"] == "Accept-Encoding"  # gzipped or not, the same answer


@pytest.mark.parametrize("url", [*CACHEABLE_URLS, "/healthz", "/no-such-page/", "/?held=nonsense"])
@pytest.mark.parametrize("htmx", [False, True])
def test_public_pages_set_no_cookie(url, htmx):
    client = Client()
    response = client.get(url, headers={"HX-Request": "true"} if htmx else {})
    assert not response.cookies, response.cookies
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.get("Vary", "")


def test_a_staff_member_browsing_the_site_gets_no_cookie_either(admin_client):
    for url in CACHEABLE_URLS:
        response = admin_client.get(url)
        assert not response.cookies, url
        assert "Cookie" not in response.get("Vary", ""), url


def test_errors_are_not_marked_cacheable(client):
    errors = client.get("/api/v1/lookup?held=nonsense")
    assert errors.status_code == 400
    assert not errors.has_header("ETag") and not errors.has_header("Cache-Control")
    assert client.get("/certificates/nothing-like-it/").status_code == 404


# -- Rendered answers kept per process ---------------------------------------------------------------------


# Every public page, as an HTMX fragment where it has one, and each API answer.
PUBLIC_PAGES = [
    *((url, False) for url in CACHEABLE_URLS),
    *((url, True) for url in HTMX_URLS),
    ("/certificates/", False),
    ("/certificates/?q=电工证", False),
]


@pytest.mark.parametrize(("url", "htmx"), PUBLIC_PAGES)
def test_every_public_answer_rendered_afresh_costs_at_most_one_query(client, url, htmx, django_assert_max_num_queries):
    """With the rules in memory, rendering an answer reads nothing but the data version (when due)."""
    snapshot.current_rules()
    snapshot.check_again()
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    with django_assert_max_num_queries(1):
        response = client.get(url, **headers)
    assert response.status_code == 200
    assert hasattr(response.wsgi_request, "session"), "rendered, not served from the kept answers"


@pytest.mark.parametrize(("url", "htmx"), PUBLIC_PAGES)
def test_every_public_answer_kept_costs_one_query_when_due_and_none_otherwise(
    client, url, htmx, django_assert_num_queries
):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    first = client.get(url, **headers)
    snapshot.check_again()
    with django_assert_num_queries(1):
        due = client.get(url, **headers)
    with django_assert_num_queries(0):
        within = client.get(url, **headers)
    for response in (due, within):
        assert not hasattr(response.wsgi_request, "session"), "served from the kept answers"
        assert response.content == first.content


def test_an_answer_is_rendered_once_and_served_again_before_the_middleware_it_does_not_need(
    client, django_assert_num_queries
):
    url = f"/?{THREE}"
    first = client.get(url)
    assert first.templates, "rendered the first time"
    with django_assert_num_queries(0):  # within the version check interval
        again = client.get(url)
    assert not again.templates, "served from the rendered answers"
    assert not hasattr(again.wsgi_request, "session"), "sessions, auth, messages, CSRF and axes were skipped"
    assert again.content == first.content
    for header in ["Content-Type", "ETag", "Cache-Control", "Content-Security-Policy", "X-Frame-Options"]:
        assert again[header] == first[header], header
    assert set(again.headers) == set(first.headers)


def test_a_kept_answer_costs_one_query_when_the_version_check_is_due(client, django_assert_num_queries):
    url = "/api/v1/lookup?held=building-welder"
    client.get(url)
    snapshot.check_again()
    with django_assert_num_queries(1):
        assert client.get(url).status_code == 200


def test_a_kept_answer_still_checks_the_host(client):
    url = "/?held=building-welder"
    assert client.get(url).status_code == 200
    assert client.get(url, HTTP_HOST="evil.example").status_code == 400


def test_a_kept_answer_is_never_served_after_the_rules_change(client):
    url = "/?held=fusion-welding-cutting"
    client.get(url)
    change_a_rule("规则已经改了")
    assert "规则已经改了" in client.get(url).content.decode()


def test_no_stale_answer_after_a_publish_from_another_server(client, settings, monkeypatch):
    """A change written elsewhere (no signal in this process) is in every answer once the bound has passed,
    kept answers included, in every form: page, HTMX fragment, API."""
    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(snapshot, "time", SimpleNamespace(monotonic=lambda: clock.now))
    urls = [("/?held=fusion-welding-cutting", {}), ("/?held=fusion-welding-cutting", {"HTTP_HX_REQUEST": "true"})]
    urls += [("/api/v1/lookup?held=fusion-welding-cutting", {}), ("/api/v1/matrix", {})]
    etags = {}
    for url, headers in [*urls, ("/matrix/", {})]:
        response = client.get(url, **headers)
        assert "另一台服务器发布的原文" not in response.content.decode()
        etags[url, bool(headers)] = response["ETag"]
    publish_elsewhere("另一台服务器发布的原文")
    clock.now += settings.RULES_VERSION_CHECK_INTERVAL
    for url, headers in [*urls, ("/matrix/", {})]:
        response = client.get(url, **headers)
        assert response["ETag"] != etags[url, bool(headers)], url
        if (url, headers) in urls:
            assert "另一台服务器发布的原文" in response.content.decode(), url


def test_a_shared_cache_serves_an_answer_another_worker_rendered(client, settings):
    settings.PUBLIC_ANSWERS_SHARED = True
    url = "/?held=building-welder&region=31"
    first = client.get(url)
    answer_store.forget()  # as if this were another worker: only the shared cache holds the answer
    again = client.get(url)
    assert not again.templates
    assert again.content == first.content


def test_answers_that_depend_on_the_visitor_are_never_kept():
    calls = []

    @conditional.public_cache
    def personal(request, book):
        calls.append(1)
        return HttpResponse(f"hello {request.session.get('name', '')}")

    @conditional.public_cache
    def with_cookie(request, book):
        calls.append(1)
        response = HttpResponse("ok")
        response.set_cookie("seen", "1")
        return response

    factory = RequestFactory()
    for view in (personal, with_cookie):
        calls.clear()
        for _ in range(2):
            request = factory.get("/x")
            request.session = Client().session
            assert view(request).status_code == 200
        assert len(calls) == 2, view.__name__


def test_the_kept_answers_are_bounded_in_bytes(client, settings):
    client.get("/api/v1/lookup?held=building-welder&region=11")
    size = answer_store.store.size  # one answer: its body and the headers kept with it
    assert size > 0
    answer_store.forget()
    settings.PUBLIC_PAGE_CACHE_MB = 3.5 * size / 1024 / 1024
    for code in ["11", "12", "13", "14", "15"]:
        client.get(f"/api/v1/lookup?held=building-welder&region={code}")
    assert len(answer_store.store) == 3
    assert answer_store.store.size <= answer_store.limit_bytes()


GZIP = {"Accept-Encoding": "gzip, deflate, br"}  # as a phone's browser asks


@pytest.mark.parametrize("url", CACHEABLE_URLS)
def test_a_browser_gets_the_kept_answer_gzipped_and_a_plain_client_the_same_answer_unpacked(url):
    plain, browser = Client(), Client()
    rendered = plain.get(url)  # rendered: not gzipped, as asked
    assert rendered.templates or url.startswith("/api/v1/") or url == "/matrix.csv"
    assert "Content-Encoding" not in rendered and "Accept-Encoding" in rendered["Vary"]
    for response in (browser.get(url, headers=GZIP), plain.get(url), browser.get(url, headers=GZIP)):
        assert not response.templates  # served from the store
        assert "Accept-Encoding" in response["Vary"]
        assert int(response["Content-Length"]) == len(response.content)
        if response.has_header("Content-Encoding"):
            assert response["Content-Encoding"] == "gzip"
            assert gzip.decompress(response.content) == rendered.content
            assert response["ETag"] == "W/" + rendered["ETag"]  # another encoding, another entity
        else:
            assert response.content == rendered.content and response["ETag"] == rendered["ETag"]
    assert browser.get(url, headers={"Accept-Encoding": "identity"}).content == rendered.content


def test_a_browser_rendering_an_answer_first_gets_it_gzipped_and_kept_so():
    browser = Client()
    first = browser.get(f"/?{THREE}", headers=GZIP)
    assert first.templates and first["Content-Encoding"] == "gzip"
    page = gzip.decompress(first.content)
    assert "熔化焊接与热切割作业" in page.decode()
    assert len(first.content) < len(page) / 3
    assert answer_store.store.size < len(first.content) + 5000  # the gzipped page, its headers and its key
    again = browser.get(f"/?{THREE}", headers={**GZIP, "If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again["ETag"] == first["ETag"]
    assert Client().get(f"/?{THREE}", headers={"If-None-Match": first["ETag"]}).status_code == 304  # weakly equal


def test_a_plain_clients_answer_is_packed_and_kept_only_once_it_is_sent():
    """A client that takes no gzip gets the page as rendered, before it is compressed: the WSGI server closes
    the response once the body is sent, and only then is it packed and kept."""
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "QUERY_STRING": THREE, "HTTP_HOST": "testserver"}
    setup_testing_defaults(environ)
    started = []
    # As the test client does: the test's transaction (and PostgreSQL connection) stays open.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = WSGIHandler()(environ, lambda status, headers: started.append((status, dict(headers))))
        body = b"".join(response)
        assert started[0][0] == "200 OK" and "Content-Encoding" not in started[0][1]
        assert "熔化焊接与热切割作业" in body.decode()
        assert answer_store.store.size == 0  # nothing compressed while the client waits
        response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert 0 < answer_store.store.size < len(body) / 2  # kept gzipped
    for headers in ({}, GZIP):
        again = Client().get(f"/?{THREE}", headers=headers)
        assert not again.templates  # served from the store
        assert (gzip.decompress(again.content) if headers else again.content) == body


def test_an_answer_that_cannot_be_kept_after_it_is_sent_is_logged(client, monkeypatch, caplog):
    def refuse(*args):
        raise RuntimeError("the store is broken")

    monkeypatch.setattr(answer_store.store, "put", refuse)
    response = client.get(f"/?{THREE}")  # the test client closes the response, as a WSGI server does
    assert response.status_code == 200 and "熔化焊接与热切割作业" in response.content.decode()
    assert "An answer sent could not be kept" in caplog.text and "the store is broken" in caplog.text


@pytest.mark.parametrize("url", ["/admin/login/", "/no-such-page/", "/?held=nonsense", "/healthz"])
def test_what_is_not_kept_is_not_gzipped(client, url):
    """Only kept answers, which carry no secret, are compressed (a CSRF token in a gzipped page: BREACH)."""
    response = client.get(url, headers=GZIP)
    assert "Content-Encoding" not in response


def test_the_host_headers_port_does_not_multiply_the_kept_answers(client):
    pages = [client.get("/?held=building-welder", headers={"Host": f"testserver:{port}"}) for port in (8001, 8002)]
    assert pages[0].content == pages[1].content  # the printed address is the server's, not the client's port
    assert "http://testserver/?held=building-welder" in pages[0].content.decode()
    assert len(answer_store.store) == 1


def test_none_kept_when_the_budget_is_zero(client, settings):
    settings.PUBLIC_PAGE_CACHE_MB = 0
    client.get("/?held=building-welder")
    assert client.get("/?held=building-welder").templates
    assert len(answer_store.store) == 0


def test_a_new_release_never_gets_a_304_for_the_old_ones_pages(client, settings, monkeypatch):
    old = client.get("/api/v1/matrix")["ETag"]
    monkeypatch.setattr(conditional, "release_id", lambda: "next-release")
    response = client.get("/api/v1/matrix", headers={"If-None-Match": old})
    assert response.status_code == 200
    assert response["ETag"] != old


def test_the_release_id_is_the_same_on_every_server_running_the_same_code():
    code = "import django; django.setup(); from recognition.http.conditional import release_id; print(release_id())"
    ids = {
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
        for _ in range(2)
    }
    assert len(ids) == 1
    assert ids == {conditional.release_id() + "\n"}


# -- The rules snapshot --------------------------------------------------------------------------------------


def test_a_change_reaches_every_worker_within_one_second_by_default():
    if "RULES_VERSION_CHECK_INTERVAL" not in os.environ:
        assert settings.RULES_VERSION_CHECK_INTERVAL == 1


def test_the_worker_that_writes_a_change_answers_with_it_at_once(client):
    url = "/api/v1/lookup?held=fusion-welding-cutting"
    assert "第二版原文" not in client.get(url).content.decode()
    change_a_rule("第二版原文")
    assert "第二版原文" in client.get(url).content.decode()


def test_within_the_check_interval_a_process_trusts_its_rules(client, settings, monkeypatch, django_assert_num_queries):
    settings.RULES_VERSION_CHECK_INTERVAL = 30
    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(snapshot, "time", SimpleNamespace(monotonic=lambda: clock.now))
    url = "/api/v1/lookup?held=fusion-welding-cutting"
    client.get(url)
    publish_elsewhere("第三版原文")
    clock.now += 29
    with django_assert_num_queries(0):
        stale = client.get(url)
    assert "第三版原文" not in stale.content.decode()
    clock.now += 2
    assert "第三版原文" in client.get(url).content.decode()


def test_the_staff_preview_checks_the_version_at_every_request(admin_client, settings, monkeypatch):
    settings.RULES_VERSION_CHECK_INTERVAL = 30
    monkeypatch.setattr(snapshot, "time", SimpleNamespace(monotonic=lambda: 1000.0))
    url = "/preview/?held=fusion-welding-cutting"
    assert "预览里的新原文" not in admin_client.get(url).content.decode()
    publish_elsewhere("预览里的新原文")
    assert "预览里的新原文" in admin_client.get(url).content.decode()


# -- Static files ----------------------------------------------------------------------------------------------


@pytest.fixture
def collected():
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    assert manifest.exists(), "static files are not collected: `make test` runs collectstatic first"
    return json.loads(manifest.read_text())["paths"]


@pytest.mark.parametrize("name", ["css/site.css", "js/site.js", "vendor/htmx.min.js", "admin/css/base.css"])
def test_static_files_are_hashed_compressed_and_cached_for_ever(collected, name):
    hashed = collected[name]
    assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", hashed)
    assert staticfiles_storage.url(name) == f"{settings.STATIC_URL}{hashed}"
    root = Path(settings.STATIC_ROOT)
    assert (root / f"{hashed}.gz").exists() and (root / f"{hashed}.br").exists()
    client = Client()
    for encoding in ["br", "gzip"]:
        response = client.get(staticfiles_storage.url(name), headers={"Accept-Encoding": encoding})
        assert response.status_code == 200
        assert response["Content-Encoding"] == encoding
        assert response["Cache-Control"] == "max-age=315360000, public, immutable"
        assert "Accept-Encoding" in response["Vary"]
        response.close()
    plain = client.get(f"{settings.STATIC_URL}{name}")
    assert plain.status_code == 200 and "immutable" not in plain["Cache-Control"]
    plain.close()


def test_pages_link_hashed_static_files(client, collected):
    html = client.get("/").content.decode()
    for name in ["css/site.css", "js/site.js", "vendor/htmx.min.js"]:
        assert f'"{settings.STATIC_URL}{collected[name]}"' in html


# -- /healthz -------------------------------------------------------------------------------------------------------


def test_healthz_answers_200_when_the_database_answers_and_the_notice_is_loaded(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-store" in response["Cache-Control"]


def test_healthz_answers_503_when_the_notice_is_not_loaded(client):
    Notice.objects.update(publication=Publication.DRAFT)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content == b"notice not loaded\n"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    "database_url",
    ["postgres://nobody:nothing@127.0.0.1:9/nowhere", "sqlite:////nonexistent-directory/db.sqlite3"],
    ids=["postgresql-down", "sqlite-missing"],
)
def test_healthz_answers_503_when_the_database_is_unreachable(database_url):
    code = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client().get('/healthz'); print(r.status_code, r.content.decode().strip())"
    )
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_ALLOWED_HOSTS": "testserver"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "503 database unreachable", result.stderr[-2000:]


# -- gunicorn and scale-out -----------------------------------------------------------------------------------


def gunicorn_settings(**env: str) -> dict:
    saved = dict(os.environ)
    try:
        for name in ["WEB_CONCURRENCY", "GUNICORN_TIMEOUT", "GUNICORN_BIND"]:
            os.environ.pop(name, None)
        os.environ.update(env)
        return runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_gunicorn_configuration():
    config = gunicorn_settings()
    assert config["workers"] == len(os.sched_getaffinity(0)) + 1
    assert config["wsgi_app"] == "config.wsgi:application"
    assert config["timeout"] == 30 and config["graceful_timeout"] == 30
    assert config["accesslog"] == "-" and config["errorlog"] == "-"
    assert config["preload_app"] is True
    assert config["control_socket_disable"] is True
    # No header may move the site under another prefix (SCRIPT_NAME), even from a trusted address.
    assert config["forwarder_headers"] == "" and config["header_map"] == "drop"
    # Slow clients are held by the event loop, not by a worker or a thread (config/buffered_worker.py).
    assert config["worker_class"] == "config.buffered_worker.BufferedThreadWorker"
    assert config["threads"] == 2 and config["sendfile"] is False
    assert gunicorn_settings(WEB_CONCURRENCY="9", GUNICORN_TIMEOUT="10")["workers"] == 9
    assert gunicorn_settings(GUNICORN_TIMEOUT="10")["timeout"] == 10


def test_the_warm_up_compiles_every_template_by_its_own_engine():
    """The master compiles every template before it forks (gunicorn.conf.py, when_ready). Django's engine
    cannot parse the Jinja2 pages, and asking it to once stopped the whole warm-up at the first of them."""
    jinja = engines["jinja2"].env
    jinja.cache.clear()
    gunicorn_settings()["compile_templates"](ROOT / "templates")
    compiled = {name for _loader, name in jinja.cache}
    pages = {
        str(path.relative_to(ROOT / "templates" / "jinja2")) for path in (ROOT / "templates/jinja2").rglob("*.html")
    }
    assert {"home.html", "routes.html", "_card.html"} <= pages <= compiled


def test_gunicorn_accepts_the_configuration():
    env = {**os.environ, "DJANGO_SECRET_KEY": "x" * 50}
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--check-config", "--config", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_nothing_is_kept_on_an_app_servers_disk():
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SESSION_ENGINE, s.CACHES['default']['BACKEND'], s.IMPORT_EXPORT_TMP_STORAGE_CLASS]))"
    )

    def with_env(**env: str) -> list[str]:
        full = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env}
        result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    assert with_env(CACHE_URL="") == [
        "django.contrib.sessions.backends.db",
        "django.core.cache.backends.locmem.LocMemCache",
        "recognition.staff.uploads.UploadStorage",
    ]
    assert with_env(CACHE_URL="redis://cache.internal:6379/0") == [
        "django.contrib.sessions.backends.cached_db",
        "django.core.cache.backends.redis.RedisCache",
        "import_export.tmp_storages.CacheStorage",
    ]
