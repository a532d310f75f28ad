"""Slow clients cannot stall the site served as `make serve` serves it (gunicorn.conf.py, debug off).

Holds a hundred slow connections against gunicorn on a free port, of every
kind a slowloris uses, replaced as fast as the server closes them, and
probes /healthz and / meanwhile with a 10 s client timeout. Also checks, over
real HTTP, what gunicorn's settings decide: a `SCRIPT_NAME` header from this
machine is dropped, and a big body is refused before it is read.

Run it as a script for the figures (probe latencies, with the stack as
configured or with synchronous workers to compare):

    .venv/bin/python tests/test_slow_clients.py [--seconds 20] [--connections 100] [--sync] [--kind 'no reader']

(GUNICORN_WORKER_CLASS=gthread GUNICORN_THREADS=4 in the environment: gunicorn's own threaded worker.)
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def server_env(database: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_SECRET_KEY": "slow-clients-" + "x" * 50,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": HOST,
        **extra,
    }
    env.pop("DJANGO_DEBUG", None)
    return env


def prepare_database(directory: Path) -> Path:
    database = directory / "slow.sqlite3"
    env = server_env(database)
    for args in (["migrate", "--noinput", "-v0"], ["load_notice", "-v0"]):
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, timeout=300)
    return database


def probe(port: int, path: str, timeout: float = 10) -> tuple[int, float]:
    """(status, seconds); status 0 when the server did not answer within the timeout."""
    started = time.monotonic()
    try:
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        conn.close()
        return response.status, time.monotonic() - started
    except OSError:
        return 0, time.monotonic() - started


@contextlib.contextmanager
def gunicorn(database: Path, log: Path, **extra: str) -> Iterator[int]:
    port = free_port()
    env = server_env(database, **extra)
    command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "--bind", f"{HOST}:{port}"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while probe(port, "/healthz", timeout=2)[0] != 200:
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, f"gunicorn did not become healthy:\n{log.read_text()[-3000:]}"
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- slow clients ----------------------------------------------------------------------------------------------

HEAD = f"GET / HTTP/1.1\r\nHost: {HOST}\r\n".encode()
KINDS = {
    # A head sent a byte at a time, never finished.
    "trickled head": (HEAD, b"X-Slow: " + b"a" * 10_000),
    # Connected, and nothing sent.
    "silent": (b"", b""),
    # A whole head, then a login form's body a byte at a time.
    "trickled body": (
        f"POST /admin/login/ HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        "Content-Length: 5000\r\n\r\n".encode(),
        b"a" * 5000,
    ),
    # One request whole, the next one a byte at a time behind it.
    "pipelined": (HEAD + b"\r\n" + HEAD, b"X-Slow: " + b"a" * 10_000),
    # Empty lines before the request line, which servers skip, then a head a byte at a time.
    "empty lines": (b"\r\n\r\n" + HEAD, b"X-Slow: " + b"a" * 10_000),
    # Asks for its answer and the connection's end, then neither reads nor closes; a new one every 3 s.
    "never closes": (f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode(), b""),
    # Asks for the largest answer, 300 times over (6 MB), and never reads.
    "no reader": (f"GET /api/v1/matrix HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode() * 300, b""),
}


class SlowClients:
    """`count` connections of every kind at once, each sending a byte a second; a closed one is replaced."""

    def __init__(self, port: int, count: int, kinds: list[str] | None = None):
        self.port = port
        kinds = list(itertools.islice(itertools.cycle(kinds or KINDS), count))
        self.slots = [[kind, None, 0, 0.0] for kind in kinds]  # kind, socket, bytes of the trickle sent, opened at
        self.stop = threading.Event()
        self.opened = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def open(self, slot: list) -> None:
        kind = slot[0]
        sock = socket.socket()
        if kind == "no reader":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(2)
        try:
            sock.connect((HOST, self.port))
            if KINDS[kind][0]:
                sock.sendall(KINDS[kind][0])
            sock.setblocking(False)
        except OSError:
            sock.close()
            return
        slot[1], slot[2], slot[3] = sock, 0, time.monotonic()
        self.opened += 1

    def run(self) -> None:
        last_byte = 0.0
        while not self.stop.is_set():
            byte_due = time.monotonic() - last_byte >= 1
            if byte_due:
                last_byte = time.monotonic()
            for slot in self.slots:
                if slot[1] is not None and not self.still_open(slot, byte_due):
                    slot[1].close()
                    slot[1] = None
                if slot[1] is None:
                    self.open(slot)
            self.stop.wait(0.1)
        for _, sock, _, _ in self.slots:
            if sock is not None:
                sock.close()

    @staticmethod
    def still_open(slot: list, byte_due: bool) -> bool:
        """Reads what the server said (a closing 408, say) and sends the next byte when it is due."""
        kind, sock, sent, opened = slot
        if kind == "never closes":
            return time.monotonic() - opened < 3
        try:
            if kind != "no reader":  # the others read, and so notice a close; this one never reads
                data = sock.recv(65536)
                if data == b"" or data.startswith(b"HTTP/1.1 408 "):
                    return False
        except BlockingIOError:
            pass
        except OSError:
            return False
        trickle = KINDS[kind][1]
        if byte_due and sent < len(trickle):
            try:
                sock.send(trickle[sent : sent + 1])
                slot[2] += 1
            except BlockingIOError:
                pass
            except OSError:
                return False
        return True

    def __enter__(self) -> SlowClients:
        for slot in self.slots:
            self.open(slot)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=10)

    def held(self) -> int:
        return sum(1 for _, sock, _, _ in self.slots if sock is not None)


def probes_under_slow_clients(
    port: int, connections: int, seconds: float, kinds: list[str] | None = None
) -> tuple[list, list[int]]:
    """Probe /healthz and / for `seconds` while the slow connections are held; (probe answers, held counts)."""
    answers, held = [], []
    with SlowClients(port, connections, kinds) as slow:
        time.sleep(1)  # every slow connection is open and has started
        deadline = time.monotonic() + seconds
        for path in itertools.cycle(["/healthz", "/"]):
            if time.monotonic() >= deadline:
                break
            held.append(slow.held())
            status, elapsed = probe(port, path)
            answers.append((path, status, elapsed))
            time.sleep(0.25)
    return answers, held


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Path:
    return prepare_database(tmp_path_factory.mktemp("slow"))


@pytest.fixture(scope="module")
def server(database, tmp_path_factory) -> Iterator[int]:
    with gunicorn(database, tmp_path_factory.mktemp("slow-log") / "gunicorn.log", WEB_CONCURRENCY="2") as port:
        yield port


def test_the_site_keeps_answering_while_a_hundred_slow_connections_are_held(server):
    # 14 s: longer than the head timeout (10 s), so every kind is closed and replaced at least once meanwhile.
    answers, held = probes_under_slow_clients(server, connections=100, seconds=14)
    failed = [answer for answer in answers if answer[1] != 200]
    assert failed == [], failed
    assert len(answers) >= 10
    assert min(held) >= 90, held  # the slow connections really were held meanwhile
    assert max(elapsed for _, _, elapsed in answers) < 5, answers


def test_a_client_too_slow_with_its_head_is_told_so_and_closed(server):
    with socket.create_connection((HOST, server)) as sock, socket.create_connection((HOST, server)) as silent:
        sock.sendall(HEAD)
        sock.settimeout(20)
        started = time.monotonic()
        answer = sock.recv(65536)
        waited = time.monotonic() - started
        silent.settimeout(5)
        said = silent.recv(65536)
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert "请求发送得太慢".encode() in answer
    assert 8 < waited < 13, waited
    assert said == b""  # one that never sent a byte (a browser's preconnect) is closed without a word


def test_pipelined_requests_and_a_small_body_are_still_answered(server):
    form = f"POST /admin/login/ HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    form += "Content-Length: 7\r\nConnection: close\r\n\r\na=b&c=d"
    with socket.create_connection((HOST, server), timeout=10) as sock:
        sock.sendall((HEAD + b"\r\n") * 2 + form.encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.count(b"HTTP/1.1 200 OK") == 2, data[:500]
    assert data.count(b"HTTP/1.1 403 Forbidden") == 1, data[-500:]  # the form was read whole: no CSRF token


def test_a_script_name_header_from_this_machine_is_dropped(server):
    """gunicorn trusts 127.0.0.1 (forwarded_allow_ips); forwarder_headers no longer lets it move the site."""
    conn = http.client.HTTPConnection(HOST, server, timeout=10)
    for _ in range(12):
        conn.request("GET", "/notices/rstf-2026-1/", headers={"SCRIPT_NAME": "/notices/rstf-2026-1"})
        response = conn.getresponse()
        body = response.read().decode()
        assert response.status == 200
        assert "人社厅发〔2026〕1号" in body.split("</title>")[0], body[:400]
    conn.request("GET", "/notices/rstf-2026-1/")
    response = conn.getresponse()
    assert "人社厅发〔2026〕1号" in response.read().decode().split("</title>")[0]


@pytest.mark.parametrize("path", ["/", "/admin/login/", "/api/v1/lookup"])
def test_a_big_body_is_refused_over_http_before_it_is_read(server, path):
    """300 MB declared, 1 MB sent: refused at once, nothing written to the temporary folder."""
    before = set(Path(tempfile.gettempdir()).iterdir())
    with socket.create_connection((HOST, server), timeout=10) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nCookie: csrftoken={'a' * 32}\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\n"
            f"Content-Length: {300 * 1024 * 1024}\r\n\r\n".encode()
        )
        with contextlib.suppress(OSError):
            sock.sendall(b"--x\r\nContent-Disposition: form-data; name=f; filename=a\r\n\r\n" + b"a" * 1024 * 1024)
        answer = sock.recv(65536)
    assert answer.split(b"\r\n")[0] in (b"HTTP/1.1 405 Method Not Allowed", b"HTTP/1.1 413 Request Entity Too Large")
    new = {path for path in set(Path(tempfile.gettempdir()).iterdir()) - before if path.is_file()}
    assert not [path for path in new if path.stat().st_size > 64 * 1024], new


# The thread's answer (config/buffered_worker.Outbox), without a server.

ANSWER_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"


def received(sock: socket.socket) -> bytes:
    sock.setblocking(False)
    parts = []
    with contextlib.suppress(BlockingIOError):
        while chunk := sock.recv(1 << 20):
            parts.append(chunk)
    return b"".join(parts)


def test_a_whole_answer_goes_out_as_soon_as_the_thread_has_written_it():
    from config.buffered_worker import Outbox

    worker_end, client_end = socket.socketpair()
    with worker_end, client_end:
        worker_end.settimeout(10)
        outbox = Outbox(worker_end, room=1024 * 1024)
        outbox.sendall(ANSWER_HEAD % 10)
        outbox.sendall(b"hello")
        assert received(client_end) == b""  # not whole yet: kept
        outbox.sendall(b"world")
        assert received(client_end) == ANSWER_HEAD % 10 + b"helloworld"  # before the application's close() runs
        assert outbox.data == b"" and worker_end.gettimeout() == 10


def test_what_a_client_does_not_read_is_left_for_the_event_loop():
    from config.buffered_worker import Outbox

    worker_end, client_end = socket.socketpair()
    with worker_end, client_end:
        worker_end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16 * 1024)
        body = os.urandom(900 * 1024)
        outbox = Outbox(worker_end, room=1024 * 1024)
        started = time.monotonic()
        outbox.sendall(ANSWER_HEAD % len(body))
        outbox.sendall(body)
        assert time.monotonic() - started < 1  # the thread never waits for a client
        assert 0 < len(outbox.data) < len(body)
        assert received(client_end) + bytes(outbox.data) == ANSWER_HEAD % len(body) + body


def test_an_answer_without_its_length_waits_for_the_event_loop():
    from config.buffered_worker import Outbox

    worker_end, client_end = socket.socketpair()
    with worker_end, client_end:
        outbox = Outbox(worker_end, room=1024 * 1024)
        outbox.sendall(b"HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n")
        assert received(client_end) == b"" and outbox.data.startswith(b"HTTP/1.1 304")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--sync", action="store_true", help="synchronous workers, as before issue 17")
    parser.add_argument("--kind", action="append", choices=list(KINDS), help="only slow clients of this kind")
    args = parser.parse_args()
    extra = {"GUNICORN_WORKER_CLASS": "sync", "GUNICORN_THREADS": "1"} if args.sync else {}
    with tempfile.TemporaryDirectory() as directory:
        database = prepare_database(Path(directory))
        with gunicorn(database, Path(directory) / "gunicorn.log", **extra) as port:
            idle = [probe(port, path)[1] for path in ["/healthz", "/"] * 20]
            answers, held = probes_under_slow_clients(port, args.connections, args.seconds, args.kind)
    ok = [elapsed for _, status, elapsed in answers if status == 200]
    kinds = ", ".join(args.kind or KINDS)
    worker = "sync" if args.sync else os.environ.get("GUNICORN_WORKER_CLASS", "as gunicorn.conf.py sets")
    print(f"workers: {worker}; {args.connections} slow connections ({kinds})")
    print(f"  idle probes: median {statistics.median(idle) * 1000:.0f} ms, max {max(idle) * 1000:.0f} ms")
    print(f"  probes under slow clients: {len(ok)} of {len(answers)} answered 200 within 10 s")
    if ok:
        print(f"  their time: median {statistics.median(ok) * 1000:.0f} ms, max {max(ok) * 1000:.0f} ms")
    print(f"  slow connections held meanwhile: {min(held)}-{max(held)}")


if __name__ == "__main__":
    main()
