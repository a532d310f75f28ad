"""Scale out: two app servers on one PostgreSQL database answer as one.

Needs PostgreSQL (the production database): CI runs the suite a second time
with DATABASE_URL pointing at the machine's cluster. On an SQLite run this
module holds no test in CI (the PostgreSQL run covers it, and a skip would fail
CI) and a skipped one elsewhere, saying how to run it.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection, connections

from recognition.models import RecognitionRule
from recognition.rules import snapshot

ROOT = Path(__file__).resolve().parent.parent
ON_POSTGRES = connection.vendor == "postgresql"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The test database, as the app servers must reach it."""
    db = connection.settings_dict
    user, password = quote(db["USER"], safe=""), quote(db["PASSWORD"] or "", safe="")
    return f"postgres://{user}:{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Server:
    def __init__(self, port: int, process: subprocess.Popen, log: Path):
        self.port, self.process, self.log = port, process, log
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        conn.close()
        return response, content

    def get_json(self, path: str) -> dict:
        response, content = self.request("GET", path)
        assert response.status == 200, content[:300]
        return json.loads(content)


@contextlib.contextmanager
def app_server(tmp_path: Path, name: str, env: dict[str, str], workers: int = 1) -> Iterator[Server]:
    port = free_port()
    log = tmp_path / f"{name}.log"
    command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "--workers", str(workers)]
    command += ["--bind", f"127.0.0.1:{port}", "--access-logformat", "ACCESS %(p)s %(s)s %(U)s"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    server = Server(port, process, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            with contextlib.suppress(OSError):
                if server.request("GET", "/healthz")[0].status == 200:
                    break
            assert time.monotonic() < deadline, f"{name} did not become healthy:\n{log.read_text()}"
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def log_in(server: Server, username: str, password: str) -> None:
    response, content = server.request("GET", "/admin/login/")
    assert response.status == 200
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content).group(1).decode()
    response, content = server.request(
        "POST",
        "/admin/login/?next=/admin/",
        {"csrfmiddlewaretoken": token, "username": username, "password": password, "next": "/admin/"},
    )
    assert response.status == 302, content[:500]
    assert "sessionid" in server.cookies


if ON_POSTGRES or not os.environ.get("CI"):

    @pytest.mark.postgres
    @pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: DATABASE_URL=postgres://… make test (CI does)")
    def test_two_app_servers_on_one_database_answer_as_one(transactional_db, tmp_path):
        call_command("load_notice", verbosity=0)
        User.objects.create_user("editor", password="a long enough password 2026", is_staff=True, is_superuser=True)
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "DJANGO_SECRET_KEY": "shared-by-every-app-server-" + "x" * 40,
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "GUNICORN_ACCESS_LOG": "-",
        }
        env.pop("DJANGO_DEBUG", None)
        url = "/api/v1/lookup?held=fusion-welding-cutting"
        with app_server(tmp_path, "a", env) as a, app_server(tmp_path, "b", env) as b:
            before_a, before_b = a.get_json(url), b.get_json(url)
            assert before_a == before_b
            etag = b.request("GET", url)[0].headers["ETag"]

            # A change to the rules (as the admin makes it, through the ORM) ...
            rule = RecognitionRule.objects.published().get(serial=4)
            rule.quote = "第二台服务器也要看到的新原文"
            rule.save()
            time.sleep(settings.RULES_VERSION_CHECK_INTERVAL)

            # ... is in both servers' answers once the bound has passed.
            after_b = b.get_json(url)
            assert after_b["data_version"] != before_b["data_version"]
            assert after_b["recognitions"][0]["quote"] == "第二台服务器也要看到的新原文"
            assert a.get_json(url) == after_b
            response, _ = b.request("GET", url, headers={"If-None-Match": etag})
            assert response.status == 200 and response.headers["ETag"] != etag

            # A staff member logged in through one server is logged in on the other: sessions are in the database.
            log_in(a, "editor", "a long enough password 2026")
            b.cookies = dict(a.cookies)
            response, content = b.request("GET", "/admin/")
            assert response.status == 200, content[:300]
            assert "editor" in content.decode()

    def workers_answering(server: Server, url: str, marker: str, since: int) -> tuple[set[str], list[str]]:
        """Ask `url` on new connections until every worker of `server` has answered it (at most 200 times):
        the workers (pids, from the access log) and every answer that lacked `marker`."""
        stale, pids = [], set()
        for _ in range(200):
            response, content = server.request("GET", url)
            assert response.status == 200, content[:300]
            if marker not in content.decode():
                stale.append(content.decode()[:200])
            pids = {
                line.split()[1]
                for line in server.log.read_text().splitlines()[since:]
                if line.startswith("ACCESS ") and line.split()[3] == url.split("?")[0]
            }
            if len(pids) >= 2:
                break
        return pids, stale

    @pytest.mark.postgres
    @pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: DATABASE_URL=postgres://… make test (CI does)")
    def test_a_published_change_reaches_every_worker_of_every_server_within_the_bound(transactional_db, tmp_path):
        """Each worker keeps its rules and its rendered answers and asks for the data version at most once per
        RULES_VERSION_CHECK_INTERVAL: once that bound has passed after a publish, no worker of either server
        answers with the old rules, nor serves an answer it kept from before."""
        call_command("load_notice", verbosity=0)
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "DJANGO_SECRET_KEY": "shared-by-every-app-server-" + "x" * 40,
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "GUNICORN_ACCESS_LOG": "-",
            "RULES_VERSION_CHECK_INTERVAL": "1",
        }
        env.pop("DJANGO_DEBUG", None)
        page, api = "/?held=fusion-welding-cutting", "/api/v1/lookup?held=fusion-welding-cutting"
        with app_server(tmp_path, "a", env, workers=2) as a, app_server(tmp_path, "b", env, workers=2) as b:
            servers = [a, b]
            for server in servers:  # every worker has read the rules and kept both answers
                for url in (page, api):
                    pids, stale = workers_answering(server, url, "熔化焊接与热切割", 0)
                    assert len(pids) == 2 and not stale, server.log.read_text()[-2000:]
            marks = [len(server.log.read_text().splitlines()) for server in servers]

            rule = RecognitionRule.objects.published().get(serial=4)
            rule.quote = "每个工作进程都要看到的新原文"
            rule.save()
            time.sleep(1.0)  # the bound: RULES_VERSION_CHECK_INTERVAL

            for server, mark in zip(servers, marks, strict=True):
                for url in (page, api):
                    pids, stale = workers_answering(server, url, "每个工作进程都要看到的新原文", mark)
                    assert len(pids) == 2, f"not every worker answered:\n{server.log.read_text()[-2000:]}"
                    assert not stale, f"{len(stale)} stale answers from {url}: {stale[0]}"

    @pytest.mark.postgres
    @pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: DATABASE_URL=postgres://… make test (CI does)")
    def test_a_database_restart_costs_no_public_request_an_error(transactional_db, client):
        """The persistent connection dies (restart, failover): the next page reconnects by itself."""
        call_command("load_notice", verbosity=0)
        url = "/api/v1/lookup?held=fusion-welding-cutting"
        assert client.get(url).status_code == 200
        pid = connection.connection.info.backend_pid
        with connections.create_connection("default").cursor() as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
        snapshot.check_again()  # the version check, due within RULES_VERSION_CHECK_INTERVAL, meets the dead connection
        response = client.get(url)
        assert response.status_code == 200
        assert connection.connection.info.backend_pid != pid
