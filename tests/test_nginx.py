"""The documented proxy configuration, deploy/nginx.conf, run in front of the site (issue 17).

Starts gunicorn as `make serve` does (gunicorn.conf.py, production settings, HTTPS redirect on, the scheme
read from X-Forwarded-Proto as docs/deploy.md says to set it) and Debian's nginx with the repository's file,
on free ports, with its pid, logs and temporary files in a temporary directory and a self-signed certificate:
the same file docs/deploy.md shows, with only its lines marked "deployment" filled in. A second nginx with the
same file sends its requests to a recorder instead, to see exactly what nginx passes to an app server.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import os
import re
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.programs import program
from tests.test_slow_clients import HOST, SlowClients, free_port, gunicorn, prepare_database

pytestmark = pytest.mark.nginx

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "deploy" / "nginx.conf"
NOTICE = "/notices/rstf-2026-1/"
SITE = {
    "DJANGO_SECURE_SSL_REDIRECT": "1",  # production's default: plain HTTP is redirected, /healthz excepted
    "DJANGO_SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO",
    "WEB_CONCURRENCY": "2",
}
MAIN = """worker_processes 1;
{user}pid {directory}/nginx.pid;
error_log {directory}/error.log info;
daemon off;
events {{ worker_connections 1024; }}
http {{
    access_log {directory}/access.log;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {directory}/hurenn.conf;
}}
"""


def filled_in(upstream: str, http_port: int, https_port: int, certificate: Path, key: Path) -> str:
    """deploy/nginx.conf with its deployment lines for this machine; each must be there exactly once."""
    text = CONFIG.read_text(encoding="utf-8")
    for line, value in [
        ("server 127.0.0.1:8000;", f"server {upstream};"),
        ("listen 80;", f"listen {HOST}:{http_port};"),
        ("listen 443 ssl;", f"listen {HOST}:{https_port} ssl;"),
        ("ssl_certificate /etc/ssl/hurenn/fullchain.pem;", f"ssl_certificate {certificate};"),
        ("ssl_certificate_key /etc/ssl/hurenn/privkey.pem;", f"ssl_certificate_key {key};"),
    ]:
        assert text.count(f"    {line}  # deployment") == 1, line
        text = text.replace(f"    {line}  # deployment", f"    {value}  # deployment")
    return text


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    openssl = program("openssl", "openssl")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        + ["-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN={HOST}"]
        + ["-addext", f"subjectAltName=IP:{HOST}"],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key


class Nginx:
    """Debian's nginx with deploy/nginx.conf in front of `upstream`, as this user, in `directory`."""

    def __init__(self, upstream: str, directory: Path, certificate: tuple[Path, Path]):
        self.http, self.https = free_port(), free_port()
        self.directory = directory
        (directory / "hurenn.conf").write_text(filled_in(upstream, self.http, self.https, *certificate))
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers may then write in this directory
        (directory / "nginx.conf").write_text(MAIN.format(user=user, directory=directory))
        self.tls = ssl.create_default_context(cafile=str(certificate[0]))

    @contextlib.contextmanager
    def running(self) -> Iterator[Nginx]:
        binary = program("nginx", "nginx")
        config = ["-p", str(self.directory), "-c", str(self.directory / "nginx.conf")]
        checked = subprocess.run([binary, *config, "-t"], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stderr
        process = subprocess.Popen([binary, *config], stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 20
            while not all(self.accepts(port) for port in (self.http, self.https)):
                assert process.poll() is None, process.stderr.read()
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)
            yield self
        finally:
            process.terminate()
            process.wait(timeout=20)

    @staticmethod
    def accepts(port: int) -> bool:
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return True
        return False

    def connection(self, tls: bool, timeout: float = 10) -> http.client.HTTPConnection:
        if tls:
            return http.client.HTTPSConnection(HOST, self.https, timeout=timeout, context=self.tls)
        return http.client.HTTPConnection(HOST, self.http, timeout=timeout)

    def get(self, path: str, tls: bool = True, headers: dict | None = None, timeout: float = 10):
        """(status, headers, body) of one request on a new connection."""
        conn = self.connection(tls, timeout)
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()


class Recorder:
    """Stands where an app server would and records each request nginx passes on: (headers, body bytes)."""

    def __init__(self):
        self.sock = socket.create_server((HOST, 0))
        self.address = f"{HOST}:{self.sock.getsockname()[1]}"
        self.requests: list[tuple[dict[str, list[str]], int]] = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            headers: dict[str, list[str]] = {}
            for line in head.decode("latin-1").split("\r\n")[1:]:
                name, _, value = line.partition(":")
                headers.setdefault(name.strip().lower(), []).append(value.strip())
            length = int(headers.get("content-length", ["0"])[0])
            while len(body) < length and (chunk := conn.recv(65536)):
                body += chunk
            self.requests.append((headers, len(body)))
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory, certificate) -> Iterator[tuple[Nginx, int, Path]]:
    """nginx in front of gunicorn as `make serve` runs it: (nginx, gunicorn's port, gunicorn's log)."""
    program("nginx", "nginx")
    directory = tmp_path_factory.mktemp("nginx-site")
    database = prepare_database(directory)
    log = directory / "gunicorn.log"
    with gunicorn(database, log, **SITE) as port, Nginx(f"{HOST}:{port}", directory, certificate).running() as nginx:
        yield nginx, port, log


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, certificate) -> Iterator[tuple[Nginx, Recorder]]:
    program("nginx", "nginx")
    recorder = Recorder()
    try:
        with Nginx(recorder.address, tmp_path_factory.mktemp("nginx-recorded"), certificate).running() as nginx:
            yield nginx, recorder
    finally:
        recorder.close()


def logged(log: Path, text: str) -> str:
    """The first line of gunicorn's log with `text`; a worker writes it just after the answer, so wait."""
    deadline = time.monotonic() + 5
    while not (lines := [line for line in log.read_text().splitlines() if text in line]):
        assert time.monotonic() < deadline, f"not logged: {text}"
        time.sleep(0.05)
    return lines[0]


def title(body: bytes) -> str:
    return re.search(r"<title>(.*?)</title>", body.decode(), re.S).group(1)


# -- the site through nginx ------------------------------------------------------------------------------------


def test_the_documented_configuration_is_the_one_in_the_repository():
    """docs/deploy.md shows deploy/nginx.conf whole, as it is."""
    docs = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    shown = re.search(r"```nginx\n(.*?)```", docs, re.S).group(1)
    assert shown == CONFIG.read_text(encoding="utf-8")


def test_a_page_and_healthz_answer_through_nginx(site):
    nginx, _, _ = site
    status, headers, body = nginx.get(NOTICE)
    assert status == 200 and "人社厅发〔2026〕1号" in title(body)
    assert headers["Strict-Transport-Security"].startswith("max-age=")  # the site saw HTTPS
    for tls in (True, False):  # the balancer's probe may use plain HTTP
        status, _, body = nginx.get("/healthz", tls=tls)
        assert status == 200 and body.strip() == b"ok"
    status, headers, _ = nginx.get(NOTICE, tls=False)
    assert status == 301 and headers["Location"] == f"https://{HOST}{NOTICE}"


def test_a_hundred_slow_connections_do_not_stall_the_probes(site):
    """The kinds of tests/test_slow_clients.py, held against nginx's plain HTTP port for longer than its
    client_header_timeout, while /healthz (plain) and / (TLS) are probed with a 10 s client timeout."""
    nginx, _, _ = site
    answers, held = [], []
    with SlowClients(nginx.http, 100) as slow:
        time.sleep(1)
        deadline = time.monotonic() + 12
        for path, tls in itertools.cycle([("/healthz", False), ("/", True)]):
            if time.monotonic() >= deadline:
                break
            held.append(slow.held())
            started = time.monotonic()
            try:
                status = nginx.get(path, tls=tls)[0]
            except OSError:
                status = 0
            answers.append((path, status, time.monotonic() - started))
            time.sleep(0.25)
    assert [answer for answer in answers if answer[1] != 200] == []
    assert len(answers) >= 10
    assert min(held) >= 90, held
    assert max(elapsed for _, _, elapsed in answers) < 5, answers


def test_forged_forwarding_headers_poison_no_kept_answer(site):
    """A client's own X-Forwarded-*, Forwarded and SCRIPT_NAME headers change nothing: the first request
    for an address, whose answer every later visitor is served, is the forged one."""
    nginx, port, log = site
    forged = {
        "X-Forwarded-Proto": "http",
        "X-Forwarded-Ssl": "off",  # passed on beside nginx's X-Forwarded-Proto, gunicorn would refuse it (400)
        "X-Forwarded-Protocol": "plain",
        "X-Forwarded-Host": "attacker.example",
        "X-Forwarded-Port": "666",
        "Forwarded": "for=6.6.6.6;host=attacker.example;proto=http",
        "X-Forwarded-For": "6.6.6.6",
        "SCRIPT_NAME": "/notices/rstf-2026-1",
    }
    page = "/?held=building-welder"
    first = nginx.get(page, headers=forged)
    line = logged(log, '"GET /?held=building-welder ')
    assert line.endswith(f" {HOST}")  # gunicorn's access log ends with the client's address, not the forged one
    plain = nginx.get(page)
    assert first[0] == plain[0] == 200
    assert first[2] == plain[2] and first[1]["ETag"] == plain[1]["ETag"]
    assert f"https://{HOST}:{port}/?held=building-welder".encode() in plain[2]  # the printed address
    assert b"attacker.example" not in plain[2] and b"http://" + HOST.encode() not in plain[2]
    # The notice page asked first with a SCRIPT_NAME that chose the home page (issue 17) stays the notice.
    assert "人社厅发〔2026〕1号" in title(nginx.get(NOTICE, headers={"SCRIPT_NAME": NOTICE.rstrip("/")})[2])
    assert "人社厅发〔2026〕1号" in title(nginx.get(NOTICE)[2])
    # Plain HTTP claiming HTTPS is still plain HTTP, redirected.
    claims = {"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on", "X-Forwarded-Protocol": "ssl"}
    assert nginx.get(page, tls=False, headers=claims)[0] == 301


def test_a_body_over_the_limit_is_refused_by_nginx_in_chinese(site):
    nginx, _, log = site
    status, headers, body = post_declaring(nginx, "/admin/login/", 300 * 1024 * 1024)
    assert status == 413
    assert "请求内容太大" in body.decode() and headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "POST /admin/login/" not in log.read_text()


def post_declaring(nginx: Nginx, path: str, length: int, tls: bool = True):
    """A POST that declares `length` bytes and sends a few: (status, headers, body) of the answer."""
    conn = nginx.connection(tls)
    try:
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", "application/x-www-form-urlencoded")
        conn.putheader("Content-Length", str(length))
        conn.endheaders(b"username=a&password=")
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


# -- what nginx passes on --------------------------------------------------------------------------------------


FORGED = {
    "SCRIPT_NAME": "/notices/rstf-2026-1",
    "PATH_INFO": "/",
    "X-Forwarded-For": "6.6.6.6",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Ssl": "on",
    "X-Forwarded-Protocol": "ssl",
    "X-Forwarded-Host": "attacker.example",
    "X-Forwarded-Port": "443",
    "X-Forwarded-Prefix": "/zhengshu",
    "Forwarded": "for=6.6.6.6;proto=https",
}


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_nginx_passes_the_host_scheme_and_client_as_documented_and_nothing_forged(recorded, tls):
    nginx, recorder = recorded
    recorder.requests.clear()
    assert nginx.get("/x", tls=tls, headers={"Host": "Zhengshu.Example.gov.cn:8443", **FORGED})[0] == 200
    [(headers, _)] = recorder.requests
    assert headers["host"] == ["zhengshu.example.gov.cn"]  # the name, as nginx read it, without the port
    assert headers["x-forwarded-proto"] == ["https" if tls else "http"]
    assert headers["x-forwarded-for"] == [HOST]  # the client's address alone: a forged chain is dropped
    # No header name with an underscore, and no other header naming a scheme, host, port or prefix.
    assert not [name for name in headers if "_" in name]
    named = {name.lower() for name in FORGED} - {"x-forwarded-for", "x-forwarded-proto"}
    assert not named & set(headers), headers


def test_a_declared_oversized_body_never_reaches_the_app_server(recorded):
    nginx, recorder = recorded
    recorder.requests.clear()
    status, _, body = post_declaring(nginx, "/admin/login/", 300 * 1024 * 1024)
    assert status == 413 and "请求内容太大".encode() in body
    assert post_declaring(nginx, "/admin/login/", 2112 * 1024 + 1)[0] == 413  # one byte over
    assert recorder.requests == []


def test_a_chunked_body_that_crosses_the_limit_never_reaches_the_app_server(recorded):
    nginx, recorder = recorded
    recorder.requests.clear()
    conn = nginx.connection(tls=False)
    try:
        conn.putrequest("POST", "/admin/login/")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        chunk = b"a" * 65536
        with contextlib.suppress(OSError):  # nginx may answer and close while we are still sending
            for _ in range(3 * 16):  # 3 MB, over the 2.06 MB limit
                conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            conn.send(b"0\r\n\r\n")
        assert conn.getresponse().status == 413
    finally:
        conn.close()
    assert recorder.requests == []


def test_a_body_within_the_limit_is_passed_on_whole(recorded):
    nginx, recorder = recorded
    recorder.requests.clear()
    conn = nginx.connection(tls=True)
    try:
        conn.request("POST", "/admin/login/", body=b"a" * 100_000, headers={"Content-Type": "text/plain"})
        assert conn.getresponse().status == 200
    finally:
        conn.close()
    [(headers, length)] = recorder.requests
    assert length == 100_000 and headers["content-length"] == ["100000"]
