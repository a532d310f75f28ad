"""Hostile requests (issue 17): a forged SCRIPT_NAME, junk addresses for the QR cache, bodies of any size,
a refused Host, CORS, the login's `next`, the session's length. Slow clients: tests/test_slow_clients.py."""

from __future__ import annotations

import gc
import io
import re
import tracemalloc
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from django.db import OperationalError
from django.test import Client

from config import buffered_worker
from recognition.http import answer_store
from recognition.rules import snapshot
from recognition.site import views
from tests.test_security import assert_secure_headers

pytestmark = pytest.mark.django_db

NOTICE = "/notices/rstf-2026-1/"


def title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1)


# -- SCRIPT_NAME -----------------------------------------------------------------------------------------------


def test_a_script_name_never_poisons_the_kept_answers(client):
    """The attack of issue 17: SCRIPT_NAME=/notices/rstf-2026-1 and PATH_INFO=/ chose the home page, which was
    kept under /notices/rstf-2026-1/ and served to everyone asking for the notice."""
    notice_title = title(client.get(NOTICE))
    home_title = title(client.get("/"))
    answer_store.forget()
    for _ in range(12):
        forged = client.get("/", SCRIPT_NAME="/notices/rstf-2026-1")
        assert forged.status_code == 200
        assert title(forged) == home_title  # answered: it is the home page, whatever address it thinks it has
        assert "ETag" not in forged and forged["Cache-Control"] == "no-store"  # and no cache may keep it
    assert len(answer_store.store) == 0
    plain = client.get(NOTICE)
    assert title(plain) == notice_title
    assert title(client.get(NOTICE)) == notice_title  # kept now, and still the notice


def test_a_script_name_after_the_answer_is_kept_is_not_served_it_either(client):
    kept = client.get(NOTICE)
    forged = client.get("/", SCRIPT_NAME="/notices/rstf-2026-1")
    assert title(forged) != title(kept)
    assert forged.get("ETag") != kept["ETag"]


def test_the_etag_and_the_key_follow_what_chose_the_view_not_how_it_was_spelled(client):
    plain = client.get(NOTICE)
    spelled = client.get("/notices/rstf%2D2026-1/")  # the same PATH_INFO once decoded
    assert spelled.content == plain.content and spelled["ETag"] == plain["ETag"]
    assert len(answer_store.store) == 1


def test_a_prefix_the_site_is_configured_for_is_kept_as_usual(client, settings):
    settings.FORCE_SCRIPT_NAME = "/zhengshu"
    first = client.get("/")
    assert first.status_code == 200 and first["Cache-Control"].startswith("public")
    assert len(answer_store.store) == 1 and "ETag" in first
    # FORCE_SCRIPT_NAME wins over any SCRIPT_NAME a request brings.
    assert client.get("/", SCRIPT_NAME="/notices/rstf-2026-1").content == first.content


# -- the QR code cache -----------------------------------------------------------------------------------------


def test_the_qr_codes_kept_are_bounded_in_bytes_not_in_addresses(settings):
    settings.QR_CACHE_MB = 0.0625
    budget = 0.0625 * 1024 * 1024

    def junk(batch: int) -> None:  # 60 distinct addresses, four times what the budget holds
        for n in range(60):
            views.qr_svg(f"http://testserver/?held=building-welder&x={batch}{n:06d}{'a' * 60}")

    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        junk(1)
        gc.collect()  # what is held, not segno's garbage the collector has yet to reach
        full = tracemalloc.get_traced_memory()[0]
        junk(2)  # as many again: the oldest go, and nothing more is held
        gc.collect()
        again = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert 0 < views.qr_svg.size <= budget
    assert len(views.qr_svg) < 30
    assert full - start < budget * 1.5, full - start  # what Python holds (segno's own work included)
    assert again - full < budget * 0.1, again - full
    first = views.qr_svg("http://testserver/")
    assert views.qr_svg("http://testserver/") is first  # a kept code is served again


def test_a_qr_code_larger_than_the_whole_budget_is_made_but_not_kept(settings):
    settings.QR_CACHE_MB = 0.001
    views.qr_svg.cache_clear()
    assert b"<svg" in views.qr_svg("http://testserver/?held=building-welder")
    assert len(views.qr_svg) == 0


# -- request bodies --------------------------------------------------------------------------------------------


class Unreadable(io.RawIOBase):
    """A request body nothing may read: the refusal must come from the headers alone."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = readinto = read


HUGE = str(300 * 1024 * 1024)


@pytest.fixture
def upload_dir(settings, tmp_path):
    """Where Django would spool an uploaded file."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("path", "status"), [("/", 405), ("/api/v1/lookup", 405), ("/admin/login/", 413), ("/preview/", 413)]
)
def test_an_anonymous_post_of_300_mb_is_refused_before_a_byte_is_read(client, upload_dir, path, status):
    client.cookies["csrftoken"] = "a" * 32  # made CSRF's check parse the body, and spool it to disk
    response = client.generic(
        "POST",
        path,
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=HUGE,
        **{"wsgi.input": Unreadable()},
    )
    assert response.status_code == status
    assert response["Cache-Control"] == "no-store"
    text = response.content.decode()
    assert ("请求内容太大" if status == 413 else "不接受提交的内容") in text
    if status == 405:
        assert response["Allow"] == "GET, HEAD"
    assert list(upload_dir.iterdir()) == []
    assert_secure_headers(response, path)


@pytest.mark.parametrize(("path", "status"), [("/", 405), ("/api/v1/lookup", 405), ("/admin/login/", 413)])
def test_a_chunked_body_is_refused_before_it_is_read(client, upload_dir, path, status):
    response = client.generic("POST", path, HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input": Unreadable()})
    assert response.status_code == status
    assert list(upload_dir.iterdir()) == []


def test_a_get_with_a_body_is_refused(client):
    response = client.generic("GET", "/", CONTENT_LENGTH="10", **{"wsgi.input": Unreadable()})
    assert response.status_code == 413
    assert "不能附带内容" in response.content.decode()


def test_the_api_refuses_a_body_in_json(client):
    response = client.generic("POST", "/api/v1/lookup", data=b"{}", content_type="application/json")
    assert response.status_code == 405
    assert response.json() == {"error": "这个地址只能查看(GET 或 HEAD),不接受提交的内容。"}


def test_an_anonymous_body_larger_than_a_login_form_is_refused_even_under_the_upload_limit(client, settings):
    response = client.post("/admin/login/", {"username": "x", "password": "y" * (settings.ANONYMOUS_BODY_MAX_BYTES)})
    assert response.status_code == 413
    assert "最多接受 16.0\xa0KB" in response.content.decode()


def test_a_login_form_still_posts(client):
    response = client.post("/admin/login/?next=/admin/", {"username": "nobody", "password": "wrong"})
    assert response.status_code == 200  # the form again, with its error


def test_staff_keep_the_uploads_limit(admin_client, settings, upload_dir):
    body = b"a" * (settings.IMPORT_MAX_BYTES // 2)
    response = admin_client.post(
        "/admin/recognition/recognitionrule/import/",
        {"import_file": io.BytesIO(body), "format": "0"},
    )
    assert response.status_code != 413
    assert list(upload_dir.iterdir()) == []  # parsed in memory, never spooled
    over = admin_client.generic(
        "POST",
        "/admin/recognition/recognitionrule/import/",
        CONTENT_LENGTH=str(settings.REQUEST_BODY_MAX_BYTES + 1),
        **{"wsgi.input": Unreadable()},
    )
    assert over.status_code == 413


def test_every_body_allowed_is_parsed_in_memory(settings):
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE >= settings.REQUEST_BODY_MAX_BYTES
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE >= settings.REQUEST_BODY_MAX_BYTES
    assert settings.REQUEST_BODY_MAX_BYTES > settings.IMPORT_MAX_BYTES


# -- headers on errors, CORS -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", NOTICE, "/api/v1/lookup?held=building-welder", "/admin/"])
def test_a_disallowed_host_gets_its_400_with_every_security_header(client, path):
    response = client.get(path, HTTP_HOST="attacker.example")
    assert response.status_code == 400
    assert_secure_headers(response, path)
    assert "Permissions-Policy" in response


def test_a_404_and_a_503_carry_every_security_header(client, monkeypatch):
    assert_secure_headers(client.get("/no-such-page/"), "404")

    def unreachable(*args, **kwargs):
        raise OperationalError("the database is down")

    monkeypatch.setattr(snapshot, "current_rules", unreachable)
    response = client.get("/")
    assert response.status_code == 503
    assert_secure_headers(response, "503")


@pytest.mark.parametrize(
    "path", ["/api/v1/lookup?held=building-welder", "/api/v1/routes?target=fusion-welding-cutting", "/api/v1/matrix"]
)
def test_the_public_api_may_be_read_by_any_site_without_credentials(client, path):
    for _ in range(2):  # rendered, then served from the kept answers
        response = client.get(path, HTTP_ORIGIN="https://other.example")
        assert response.status_code == 200
        assert response["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in response
    assert client.head(path)["Access-Control-Allow-Origin"] == "*"
    # An error the API answers is readable too: it names the valid parameters.
    assert client.get("/api/v1/lookup")["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path", ["/", "/api/", NOTICE, "/admin/login/", "/preview/", "/healthz"])
def test_nothing_else_sends_cors(client, path):
    assert "Access-Control-Allow-Origin" not in client.get(path, HTTP_ORIGIN="https://other.example")


def test_staff_pages_send_no_cors(admin_client):
    for path in ["/admin/", "/preview/", "/api/v1/lookup?held=building-welder"]:
        response = admin_client.get(path, HTTP_ORIGIN="https://other.example")
        assert response.status_code == 200
        if path.startswith("/api/"):
            assert "Access-Control-Allow-Credentials" not in response
        else:
            assert "Access-Control-Allow-Origin" not in response


# -- login and sessions ----------------------------------------------------------------------------------------


@pytest.fixture
def editor(db):
    return User.objects.create_user("editor", password="correct horse battery staple", is_staff=True)


def log_in(next_url: str, *, in_query: bool = True, in_form: bool = True) -> tuple[Client, str]:
    """Log the editor in with `next` in the login's address and its form, as the login page posts it."""
    client = Client()
    query = f"?{urlencode({'next': next_url})}" if in_query else ""
    form = {"username": "editor", "password": "correct horse battery staple"}
    response = client.post(f"/admin/login/{query}", {**form, **({"next": next_url} if in_form else {})})
    assert response.status_code == 302, response.status_code
    return client, response["Location"]


OUTSIDE_THE_STAFF_AREAS = [
    "https://attacker.example/",
    "//attacker.example/",
    "javascript:alert(1)",
    "",
    # Public pages: staff log in to work, and a link that logs them in and then sends them on could be anyone's.
    "/",
    "/?held=building-welder",
    NOTICE,
    "/api/v1/lookup?held=building-welder",
    # Into the admin by its spelling only: a browser resolves these outside it.
    "/admin/../",
    "/admin/%2e%2e/notices/",
    "/preview/..%2f..%2f",
    "/admin/\\attacker.example/",
    "/admin/\t/../../",
    "http://testserver/admin/",
    "/adminx/",
    "/previews/",
]


@pytest.mark.parametrize("next_url", OUTSIDE_THE_STAFF_AREAS)
def test_a_login_next_outside_the_staff_areas_lands_on_the_admin_home(editor, next_url):
    for where in ({"in_query": True, "in_form": True}, {"in_query": True, "in_form": False}, {"in_query": False}):
        client, location = log_in(next_url, **where)
        assert location == "/admin/", (next_url, where, location)
    assert client.get(location).status_code == 200


def test_the_login_page_carries_no_next_outside_the_staff_areas(editor):
    page = Client().get("/admin/login/?next=/notices/").content.decode()
    assert 'name="next" value="/admin/"' in page
    assert 'value="/notices/"' not in page


@pytest.mark.parametrize(
    "next_url",
    [
        "/admin/",
        "/admin/recognition/recognitionrule/?status=draft",
        "/preview/",
        "/preview/certificates/building-welder/",
    ],
)
def test_a_login_next_inside_the_admin_or_the_staff_preview_is_followed(editor, next_url):
    assert log_in(next_url)[1] == next_url
    assert log_in(next_url, in_form=False)[1] == next_url


def test_the_staff_preview_sends_staff_to_log_in_and_back(editor):
    """The staff preview sends its visitors to log in with `next=/preview/`: they come back to it."""
    client = Client()
    response = client.get("/preview/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/?next=/preview/")
    response = client.post(response["Location"], {"username": "editor", "password": "correct horse battery staple"})
    assert response["Location"] == "/preview/"


def test_an_admin_session_lasts_a_working_day(editor, settings):
    assert settings.SESSION_COOKIE_AGE == 10 * 3600
    client = Client()
    client.post("/admin/login/", {"username": "editor", "password": "correct horse battery staple"})
    assert 10 * 3600 - 60 <= client.session.get_expiry_age() <= 10 * 3600
    assert client.cookies["sessionid"]["max-age"] == 10 * 3600


# -- the buffered worker's reading of a head -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "need"),
    [
        (b"GET / HTTP/1.1\r\nHost: a\r\n", None),
        (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27),
        (b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n", None),  # empty lines first are not the end of a head
        (b"\r\n", None),
        (b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab", 43),  # a small body is awaited too
        (b"POST / HTTP/1.1\r\ncontent-length:  99999999\r\n\r\n", 46),  # a large one is left to the thread
        (b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", 60),  # it waits for 100
    ],
)
def test_the_worker_waits_for_a_whole_head(data, need):
    assert buffered_worker.wanted(bytearray(data)) == need
