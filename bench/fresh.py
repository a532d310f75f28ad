"""Answers asked once, as a plain client asks them: one request on a new connection each, timed by the client.

A worker keeps what it renders (the answer, the page's QR code), and a page and its HTMX fragment share
an address. So a figure for "an answer rendered afresh" is only honest per kind (page, HTMX fragment, API
lookup), over addresses whose question no request had asked before: otherwise the cheap API answers pull
the median down, and a fragment whose page was asked just before reuses its QR code.

Also here: the first answer each worker gives after a rule is saved (the rule book read again), told
apart by the worker's pid in gunicorn's access log.
"""

from __future__ import annotations

import http.client
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
# The site's access log, with the worker's pid first: `p` is <pid>, `D` the time taken in microseconds.
ACCESS_LOG_FORMAT = '%(p)s "%(r)s" %(s)s %(B)s %(D)s'
ACCESS_LINE = re.compile(r'^<(\d+)> "GET (\S+) HTTP/[\d.]+" (\d+) (\d+|-) (\d+)$')


@dataclass
class Asked:
    kind: str  # page, htmx, api, routes, matrix
    path: str
    seconds: float
    status: int | None  # None: no answer (refused, reset, timed out)
    size: int  # bytes of the body
    good: bool  # a 200 holding the page's marker
    first: bool = True  # no request of the pass had asked its question before

    @property
    def held(self) -> int:
        return self.path.count("held=")

    @property
    def ms(self) -> float:
        return self.seconds * 1000


def question(path: str) -> str:
    """What an address asks, whichever kind asks it: the page, its fragment and the API lookup share it."""
    return urlsplit(path).query


def ask(port: int, kind: str, path: str, markers: list[str] | None, timeout: float = 10) -> Asked:
    """One request on a new connection, as a browser's first; `markers` None: any 200 is good."""
    headers = {"HX-Request": "true"} if kind == "htmx" else {}
    begin = time.perf_counter()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        connection.close()
    except OSError:
        return Asked(kind, path, time.perf_counter() - begin, None, 0, False)
    elapsed = time.perf_counter() - begin
    body = raw.decode("utf-8", "replace")
    good = response.status == 200 and (markers is None or any(marker in body for marker in markers))
    return Asked(kind, path, elapsed, response.status, len(raw), good)


def ask_each(port: int, addresses: list[tuple[str, str]], markers: list[str] | None, timeout: float = 10) -> list:
    """Each address once, in the order given; marks the requests whose question was asked before."""
    asked, seen = [], set()
    for kind, path in addresses:
        result = ask(port, kind, path, markers, timeout)
        result.first = question(path) not in seen
        seen.add(question(path))
        asked.append(result)
    return asked


def summary(asked: list[Asked]) -> dict:
    times = sorted(a.seconds for a in asked) or [float("nan")]
    return {
        "count": len(asked),
        "bad": sum(not a.good for a in asked),
        "server_errors": sum((a.status or 0) >= 500 for a in asked),
        "redirects": sum(a.status in (301, 302) for a in asked),
        "p50_ms": statistics.median(times) * 1000,
        "p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))] * 1000,
        "max_ms": times[-1] * 1000,
        "size_kb": statistics.median(a.size for a in asked) / 1024 if asked else float("nan"),
    }


def line(label: str, result: dict) -> str:
    return (
        f"  {label:<40} {result['count']:>5} requests  median {result['p50_ms']:7.1f} ms  "
        f"p99 {result['p99_ms']:7.1f} ms  max {result['max_ms']:7.1f} ms  {result['size_kb']:6.0f} KB  "
        f"bad {result['bad']}"
    )


# The first answer after a rule is saved.


def save_one_rule(env: dict[str, str]) -> str:
    """Save one rule as it is, through the ORM: its signals bump the data version, as any edit does."""
    code = (
        "from recognition.models import RecognitionRule\n"
        "rule = RecognitionRule.objects.filter(replaces=None).order_by('pk').last()\n"
        "rule.save()\n"
        "print(rule.notice, rule)"
    )
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True)  # fmt: skip
    return done.stdout.strip().splitlines()[-1]


def answered_by(log: Path, offset: int, path: str, wait: float = 2.0) -> tuple[int | None, int | None, int]:
    """(worker pid, server microseconds, new offset) of the access-log line for `path` after `offset`."""
    deadline = time.monotonic() + wait
    while True:
        with log.open("rb") as handle:
            handle.seek(offset)
            chunk = handle.read()
        lines = chunk.decode("utf-8", "replace").splitlines()
        for text in reversed(lines):
            found = ACCESS_LINE.match(text.strip())
            if found and found.group(2) == path:
                return int(found.group(1)), int(found.group(5)), offset + len(chunk)
        if time.monotonic() > deadline:
            return None, None, offset + len(chunk)
        time.sleep(0.02)


def first_answers_after_save(port: int, env: dict[str, str], log: Path, workers: list[int],
                             addresses: list[tuple[str, str]], interval: float) -> dict:  # fmt: skip
    """Save a rule; then distinct addresses, one at a time, until every worker has answered twice.

    Each worker's first answer reads the rules again; its second is the same kind of answer without that.
    """
    saved = save_one_rule(env)
    time.sleep(interval + 0.3)  # every worker's check of the data version is due
    offset = log.stat().st_size
    per_worker: dict[int, list[tuple[Asked, int | None]]] = {pid: [] for pid in workers}
    for kind, path in addresses:
        result = ask(port, kind, path, None, timeout=60)
        pid, server_us, offset = answered_by(log, offset, path)
        per_worker.setdefault(pid, []).append((result, server_us))
        if all(len(per_worker.get(pid, [])) >= 2 for pid in workers):
            break
    return {"saved": saved, "per_worker": per_worker}
