"""Operators' faults: the balancer's probe, a database restart, a missing or busy SQLite file.

The restart test needs a PostgreSQL cluster of its own, which it restarts
(never the suite's database): FAULTS_DATABASE_URL and FAULTS_CLUSTER
("15 hurenn-faults"), which .ci/run sets up. Elsewhere it is skipped, saying how.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from django.test import Client, override_settings

from tests.test_scale import Server, app_server, log_in

ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    full = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_ALLOWED_HOSTS": "testserver", **env}
    full.pop("DJANGO_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=full, capture_output=True, text=True, timeout=120
    )


def manage(*args: str, **env: str) -> None:
    full = {**os.environ, **env}
    full.pop("DJANGO_DEBUG", None)
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- the load balancer's probe ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_balancers_plain_http_probe_of_healthz_is_answered_not_redirected():
    with override_settings(SECURE_SSL_REDIRECT=True, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")):
        client = Client()
        probe = client.get("/healthz")
        assert probe.status_code == 200 and probe.content == b"ok\n"
        assert client.get("/").status_code == 301  # everything else still goes to HTTPS
        assert client.get("/healthz/").status_code == 301
        assert client.get("/", headers={"X-Forwarded-Proto": "https"}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/healthz", "/admin/login/"])
def test_every_answer_carries_a_permissions_policy(client, url):
    policy = client.get(url)["Permissions-Policy"]
    for feature in ("camera=()", "geolocation=()", "microphone=()", "payment=()", "usb=()"):
        assert feature in policy


# -- SQLite: a missing file, two writers ---------------------------------------------------------------------------

PROBE = """
    import django, os, shutil, sys
    django.setup()
    from django.test import Client
    path = sys.argv[1] if len(sys.argv) > 1 else os.environ["DB_FILE"]
    client = Client(raise_request_exception=False)

    def answers(label):
        for url in ("/healthz", "/", "/api/v1/lookup?held=building-welder"):
            response = client.get(url)
            text = response.content.decode()
            chinese = "网站暂时无法使用" in text
            print(label, url, response.status_code, "chinese" if chinese else "-", os.path.exists(path))

    answers("missing")
    shutil.copy(os.environ["READY_FILE"], path)
    answers("back")
    os.rename(path, path + ".away")
    answers("moved")
    os.rename(path + ".away", path)
    answers("returned")
"""


@pytest.fixture(scope="module")
def ready_sqlite(tmp_path_factory) -> Path:
    """An SQLite database file migrated and loaded with the notice, as `make run` leaves it."""
    path = tmp_path_factory.mktemp("sqlite") / "ready.sqlite3"
    url = f"sqlite:///{path}"
    manage("migrate", "--noinput", "-v0", DATABASE_URL=url)
    manage("load_notice", "-v0", DATABASE_URL=url)
    # One file, no -wal beside it, so that copying it copies everything.
    import sqlite3

    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def test_a_missing_sqlite_file_is_reported_never_created_and_recovered_without_restart(ready_sqlite, tmp_path):
    path = tmp_path / "db.sqlite3"
    result = run_python(
        PROBE,
        DATABASE_URL=f"sqlite:///{path}",
        DB_FILE=str(path),
        READY_FILE=str(ready_sqlite),
        RULES_VERSION_CHECK_INTERVAL="0",  # every request looks for the file; the bound is tested below
    )
    lines = [line.split() for line in result.stdout.splitlines()]
    assert lines, result.stderr[-3000:]
    for label, url, status, chinese, exists in lines:
        if label in ("missing", "moved"):
            # 503 (with a Chinese page), and the file is not silently recreated empty.
            assert status == "503", (label, url, result.stderr[-3000:])
            assert exists == "False", (label, url)
            if url != "/healthz":
                assert chinese == "chinese", (label, url)
        else:
            assert status == "200", (label, url, result.stderr[-3000:])
    assert len(lines) == 12


BOUND_PROBE = """
    import django, os, time
    django.setup()
    from django.test import Client
    path = os.environ["DB_FILE"]
    client = Client(raise_request_exception=False)
    print("present", client.get("/").status_code)
    os.rename(path, path + ".away")
    print("public, within the bound", client.get("/").status_code)
    print("staff, at once", client.get("/admin/login/").status_code)
    os.rename(path + ".away", path)
    time.sleep(0.6)
    print("public, back after the bound", client.get("/").status_code)
    os.rename(path, path + ".away")
    time.sleep(0.6)
    print("public, gone after the bound", client.get("/").status_code)
"""


def test_public_requests_look_for_the_sqlite_file_once_per_bound_and_staff_requests_every_time(ready_sqlite, tmp_path):
    path = tmp_path / "db.sqlite3"
    shutil.copy(ready_sqlite, path)
    result = run_python(
        BOUND_PROBE, DATABASE_URL=f"sqlite:///{path}", DB_FILE=str(path), RULES_VERSION_CHECK_INTERVAL="0.5"
    )
    seen = dict(line.rsplit(" ", 1) for line in result.stdout.splitlines())
    assert seen == {
        "present": "200",
        # The answer a moment before, as a published change also takes up to the bound to arrive.
        "public, within the bound": "200",
        "staff, at once": "503",
        "public, back after the bound": "200",
        "public, gone after the bound": "503",
    }, result.stderr[-3000:]


def test_only_migrate_creates_the_sqlite_file(tmp_path):
    path = tmp_path / "new" / "db.sqlite3"
    result = run_python(
        "import django; django.setup(); from django.test import Client; "
        "print(Client(raise_request_exception=False).get('/').status_code)",
        DATABASE_URL=f"sqlite:///{path}",
    )
    assert result.stdout.strip() == "503", result.stderr[-3000:]
    assert not path.exists()
    manage("migrate", "--noinput", "-v0", DATABASE_URL=f"sqlite:///{path}")
    assert path.exists()


TWO_WRITERS = """
    import django, threading, time
    django.setup()
    from django.db import connection, transaction
    from recognition.models import DataVersion, Notice

    first_has_lock, order = threading.Event(), []

    def first():
        with transaction.atomic():
            Notice.objects.update(short_title="第一位编辑")
            first_has_lock.set()
            time.sleep(1.5)  # e.g. an import preview
            order.append("first commits")
        connection.close()

    def second():
        first_has_lock.wait()
        try:
            with transaction.atomic():
                Notice.objects.count()  # reads, then writes: the case that fails at once without BEGIN IMMEDIATE
                Notice.objects.update(title="第二位编辑")
            order.append("second commits")
        except Exception as error:
            order.append(f"second failed: {error}")
        connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(" | ".join(order))
    print(list(Notice.objects.values_list("short_title", "title").distinct()))
    print(connection.cursor().execute("PRAGMA journal_mode").fetchone()[0])
"""


def test_two_sqlite_writers_at_once_wait_for_each_other_instead_of_failing(ready_sqlite, tmp_path):
    path = tmp_path / "db.sqlite3"
    shutil.copy(ready_sqlite, path)
    result = run_python(TWO_WRITERS, DATABASE_URL=f"sqlite:///{path}")
    lines = result.stdout.splitlines()
    assert lines and lines[0] == "first commits | second commits", result.stdout + result.stderr[-3000:]
    assert "第一位编辑" in lines[1] and "第二位编辑" in lines[1]
    assert lines[2] == "wal"


# -- PostgreSQL restarted under load -------------------------------------------------------------------------------

FAULTS_URL = os.environ.get("FAULTS_DATABASE_URL", "")
FAULTS_CLUSTER = os.environ.get("FAULTS_CLUSTER", "15 hurenn-faults").split()
STAFF_PASSWORD = "a long enough password 2026"

if FAULTS_URL or not os.environ.get("CI"):

    @pytest.mark.postgres
    @pytest.mark.skipif(
        not FAULTS_URL,
        reason="needs a PostgreSQL cluster to restart: pg_createcluster 15 hurenn-faults --port 5499, "
        "FAULTS_DATABASE_URL=postgres://…:5499/… (.ci/run sets it up)",
    )
    def test_no_5xx_after_a_postgresql_restart_from_the_first_request_it_accepts(tmp_path):
        env = {
            **os.environ,
            "DATABASE_URL": FAULTS_URL,
            "DJANGO_SECRET_KEY": "faults-" + "x" * 50,
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "WEB_CONCURRENCY": "2",
        }
        env.pop("DJANGO_DEBUG", None)
        manage("migrate", "--noinput", "-v0", **env)
        manage("load_notice", "-v0", **env)
        create_staff = (
            "import django; django.setup(); from django.contrib.auth.models import User; "
            "User.objects.filter(username='ops').delete(); "
            f"User.objects.create_user('ops', password='{STAFF_PASSWORD}', is_staff=True, is_superuser=True)"
        )
        created = run_python(create_staff, **env)
        assert created.returncode == 0, created.stderr
        urls = [
            "/",
            "/?held=building-welder",
            "/healthz",
            "/api/v1/lookup?held=fusion-welding-cutting",
            "/admin/",
            "/admin/recognition/recognitionrule/",
            "/admin/recognition/recognitionrule/1/change/",
            "/preview/",
        ]
        with app_server(tmp_path, "faults", env, workers=2) as server:
            log_in(server, "ops", STAFF_PASSWORD)
            cookies = dict(server.cookies)
            for url in urls:  # every worker holds a persistent connection before the restart
                for _ in range(4):
                    assert server.request("GET", url)[0].status < 500

            def restart() -> float:
                subprocess.run(["pg_ctlcluster", *FAULTS_CLUSTER, "restart", "-m", "fast"], check=True, timeout=120)
                return wait_until_accepting(FAULTS_URL)

            # Restarted while the workers idle: each holds a dead connection.
            restart()
            idle = [(url, server.request("GET", url)[0].status) for url in urls * 3]
            assert [(url, status) for url, status in idle if status >= 500] == [], idle

            # Restarted under load.
            answers: list[tuple[float, str, int]] = []
            stop = threading.Event()

            def load() -> None:
                own = Server(server.port, server.process, server.log)
                own.cookies = dict(cookies)
                while not stop.is_set():
                    for url in urls:
                        started = time.monotonic()
                        try:
                            status = own.request("GET", url)[0].status
                        except OSError:
                            status = 0
                        answers.append((started, url, status))

            threads = [threading.Thread(target=load) for _ in range(3)]
            for thread in threads:
                thread.start()
            time.sleep(1)
            ready_at = restart()
            time.sleep(3)
            stop.set()
            for thread in threads:
                thread.join()

        after = [(url, status) for started, url, status in answers if started >= ready_at]
        assert len(after) >= len(urls), "too few requests after the restart to say anything"
        failed = [(url, status) for url, status in after if status >= 500 or status == 0]
        assert failed == [], failed
        assert {url for url, _ in after} == set(urls)


def wait_until_accepting(url: str) -> float:
    """The moment the database accepts connections again (a real connection, not just pg_isready)."""
    import psycopg

    deadline = time.monotonic() + 60
    while True:
        try:
            with psycopg.connect(url, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return time.monotonic()
        except psycopg.OperationalError:
            assert time.monotonic() < deadline, "the database did not come back"
            time.sleep(0.05)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/healthz", "/", "/api/v1/lookup?held=building-welder"])
def test_head_is_answered_like_get_without_a_body(client, url):
    response = client.head(url)
    assert response.status_code == 200
    assert response.content == b""
