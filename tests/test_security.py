"""Secure by default: the deployment checks, the headers on every page, login throttling."""

import json
import logging
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from csp.utils import build_policy
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_URLS = [
    "/",
    "/?held=fusion-welding-cutting&held=building-welder&region=11",
    "/routes/",
    "/routes/?target=building-welder",
    "/matrix/",
    "/matrix.csv",
    "/notices/",
    "/notices/rstf-2026-1/",
    "/api/",
    "/certificates/building-welder/",
    "/api/v1/lookup?held=building-welder",
    "/api/v1/routes?target=fusion-welding-cutting",
    "/api/v1/matrix",
    "/healthz",
]
ERROR_URLS = ["/no-such-page/", "/certificates/no-such-certificate/", "/?held=nonsense", "/api/v1/lookup"]
# A <script> the browser would run that is not a file: CSP without 'unsafe-inline' blocks it.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\btype=\"application/(?:ld\+)?json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def production_env(**overrides: str) -> dict[str, str]:
    """The environment of a production server: debug off, a real secret, a real host name."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST", "AXES_"))}
    env.update(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="zhengshu.example.gov.cn",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        # Behind a load balancer that terminates TLS and says so in X-Forwarded-Proto.
        {"DJANGO_SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO"},
    ],
    ids=["defaults", "behind-a-proxy"],
)
def test_check_deploy_prints_no_warning_in_production(overrides):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(**overrides))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


def production_settings(**overrides: str) -> dict:
    names = [
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
    ]
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {names!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=production_env(**overrides), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_debug_off_means_https_only_unless_a_proxy_terminates_tls():
    defaults = production_settings()
    assert defaults["DEBUG"] is False
    assert defaults["SECURE_SSL_REDIRECT"] is True
    assert defaults["SECURE_HSTS_SECONDS"] >= 31536000
    assert defaults["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert defaults["SESSION_COOKIE_SECURE"] is True
    assert defaults["CSRF_COOKIE_SECURE"] is True
    assert defaults["SECURE_PROXY_SSL_HEADER"] is None
    behind_proxy = production_settings(
        DJANGO_SECURE_SSL_REDIRECT="0", DJANGO_SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO"
    )
    assert behind_proxy["SECURE_SSL_REDIRECT"] is False
    assert behind_proxy["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


@pytest.mark.parametrize("command", [["manage.py", "check"], ["-m", "gunicorn", "--config", "gunicorn.conf.py"]])
def test_without_a_secret_key_the_site_refuses_to_start_with_one_line(command):
    env = production_env()
    del env["DJANGO_SECRET_KEY"]
    # A free port, in case the server did start: it must not.
    env["GUNICORN_BIND"] = "127.0.0.1:0"
    result = subprocess.run([sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    output = (result.stdout + result.stderr).strip()
    assert "Traceback" not in output
    message = [line for line in output.splitlines() if "DJANGO_SECRET_KEY" in line]
    assert message == [
        "DJANGO_SECRET_KEY is not set: set it to a long random string (or set DJANGO_DEBUG=1 for local development)."
    ]
    if command[0] == "manage.py":
        assert output == message[0]


def script_sources(policy: str) -> list[str]:
    directives = {}
    for part in policy.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives.get("script-src", directives.get("default-src"))


def assert_secure_headers(response, url: str) -> None:
    policy = response.headers.get("Content-Security-Policy", "")
    sources = script_sources(policy)
    assert sources, f"{url}: no script-src or default-src in {policy!r}"
    assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources, url
    assert "*" not in sources, url
    assert "frame-ancestors 'none'" in policy, url
    assert response.headers.get("X-Content-Type-Options") == "nosniff", url
    assert response.headers.get("Referrer-Policy") == "same-origin", url
    assert response.headers.get("X-Frame-Options") == "DENY", url
    assert response.headers.get("Cross-Origin-Opener-Policy") == "same-origin", url
    if response.headers.get("Content-Type", "").startswith("text/html"):
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), f"{url}: inline script"
        assert not INLINE_HANDLER.search(html), f"{url}: inline event handler"
        assert "javascript:" not in html, url


@pytest.mark.django_db
@pytest.mark.parametrize("url", PUBLIC_URLS + ERROR_URLS)
def test_every_public_page_sends_the_security_headers(client, url):
    response = client.get(url)
    assert response.status_code in {200, 400, 404}
    assert_secure_headers(response, url)


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True])
def test_an_answer_served_again_from_the_kept_answers_sends_every_header_the_first_did(client, htmx):
    """A kept answer skips sessions, CSRF, auth, messages and axes (recognition.http.answer_store), not the headers."""
    url = "/?held=fusion-welding-cutting&region=44"
    headers = {"HX-Request": "true"} if htmx else {}
    first = client.get(url, headers=headers, secure=True)
    again = client.get(url, headers=headers, secure=True)
    assert not hasattr(again.wsgi_request, "session"), "served from the kept answers"
    assert_secure_headers(again, url)
    assert again.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert dict(again.headers) == dict(first.headers)


@pytest.mark.django_db
def test_a_kept_answer_is_still_redirected_to_https(client, settings):
    client.get("/?held=building-welder")
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get("/?held=building-welder")
    assert response.status_code == 301
    assert response.headers["Location"] == "https://testserver/?held=building-welder"


@pytest.mark.django_db
def test_htmx_fragments_send_the_security_headers_too(client):
    url = "/?held=fusion-welding-cutting"
    assert_secure_headers(client.get(url, headers={"HX-Request": "true"}), url)


def admin_urls() -> list[str]:
    urls = ["/admin/", "/admin/password_change/"]
    for model in admin.site._registry:
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        urls += [base, f"{base}add/"]
        first = model.objects.order_by("pk").first()
        if first is not None:
            urls.append(f"{base}{first.pk}/change/")
    return urls


@pytest.mark.django_db
def test_every_admin_page_sends_the_security_headers_and_runs_no_inline_script(admin_client):
    assert_secure_headers(Client().get("/admin/login/"), "/admin/login/")
    checked = 0
    for url in admin_urls():
        response = admin_client.get(url)
        if response.status_code == 403:  # axes' logs are read-only
            continue
        assert response.status_code == 200, url
        assert_secure_headers(response, url)
        checked += 1
    assert checked > 20


@pytest.mark.django_db
def test_hsts_over_https_and_the_redirect_to_it(client, settings):
    response = client.get("/api/v1/matrix", secure=True)
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    # SecurityMiddleware reads its settings when a client first loads the middleware.
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get("/matrix/")
    assert response.status_code == 301
    assert response.headers["Location"] == "https://testserver/matrix/"
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert Client().get("/matrix/", headers={"X-Forwarded-Proto": "https"}).status_code == 200


@pytest.mark.django_db
def test_the_csp_header_built_once_is_the_one_django_csp_builds(client, settings):
    def directives(policy: str) -> set[str]:  # django-csp's order is a set's
        return {part.strip() for part in policy.split(";")}

    assert directives(client.get("/").headers["Content-Security-Policy"]) == directives(build_policy())
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'self'"], "img-src": ["'self'"]}}
    policy = client.get("/api/v1/matrix").headers["Content-Security-Policy"]
    assert directives(policy) == {"default-src 'self'", "img-src 'self'"}


@pytest.fixture
def staff(db):
    return User.objects.create_user("editor", password="correct horse battery staple", is_staff=True)


@pytest.fixture
def axes_log(caplog):
    """django-axes logs to its own logger, which does not propagate to the root."""
    logger = logging.getLogger("axes")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.WARNING, logger="axes")
    yield caplog
    logger.removeHandler(caplog.handler)


def login(client: Client, password: str, address: str = "203.0.113.7"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "editor", "password": password},
        REMOTE_ADDR=address,
    )


def test_repeated_failed_admin_logins_lock_the_account_out_and_say_so_in_the_log(staff, axes_log):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = login(client, "wrong")
        assert response.status_code == 200  # the login form again, with its error
    assert not any("Locking out" in r.getMessage() for r in axes_log.records)

    response = login(client, "wrong")
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    lockouts = [r for r in axes_log.records if "Locking out" in r.getMessage()]
    assert len(lockouts) == 1
    assert lockouts[0].levelno == logging.WARNING
    # Who and from where is in the admin (axes' access attempts); the log masks both.
    assert "/admin/login/" in lockouts[0].getMessage()

    # Locked out: even the right password is refused from that address.
    response = login(client, "correct horse battery staple")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert_secure_headers(response, "lockout")

    # The lock is on this account from this address: the editor can still log in from the office.
    office = Client()
    response = login(office, "correct horse battery staple", address="198.51.100.20")
    assert response.status_code == 302
    assert office.get("/admin/").status_code == 200


def test_a_successful_login_resets_the_count(staff):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "wrong")
    assert login(client, "correct horse battery staple").status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "wrong").status_code == 200
