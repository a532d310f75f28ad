"""`make bench`: load the site under gunicorn as in production, against a bare Django baseline.

Starts two gunicorn servers with the same settings (gunicorn.conf.py): the
site (production settings, debug off, the database from DATABASE_URL or the
embedded SQLite file) and a bare Django view (bench/baseline.py). Loads each
page with wrk (Debian's package, installed with apt when missing and possible;
otherwise bench/pyload.py) at each concurrency, and prints requests per
second, median and 99th-percentile latency, errors and each page's throughput
as a ratio to the baseline measured in the same run. The output, with the
command, the commit and the core count, goes to bench/results/latest.txt.

Only a 200 holding the page's marker counts as an answer; anything else, and
any refused, reset or timed-out connection, is an error. This is not a test:
it reports, and exits 0 whatever the figures (1 only if it could not run).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import pyload  # noqa: E402

THREE = "held=building-electrician&held=building-welder&held=fusion-welding-cutting"


@dataclass(frozen=True)
class Page:
    name: str
    server: str  # "site" or "baseline"
    path: str
    marker: str  # must be in the body of a good answer


BASELINE = Page("baseline", "baseline", "/", "ok")
PAGES = [
    Page("home", "site", "/", 'id="picker"'),
    Page("results (3 certs)", "site", f"/?{THREE}", 'id="results-heading"'),
    Page("API lookup", "site", f"/api/v1/lookup?{THREE}", '"recognitions"'),
]
TARGET_RATIO = 0.6  # at saturation: results page and API vs the baseline
TARGET_P99_MS = 25  # below saturation


def production_env() -> dict[str, str]:
    """What `make bench` passes (PROD_ENV in the Makefile), for a direct `python bench/run.py` too."""
    env = dict(os.environ)
    env.setdefault("DJANGO_SECRET_KEY", f"local-production-like-secret-key-for-this-machine-{socket.gethostname()}")
    env.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
    env.setdefault("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
    env.pop("DJANGO_DEBUG", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def find_wrk(allow_install: bool) -> str | None:
    wrk = shutil.which("wrk")
    if wrk or not allow_install or os.geteuid() != 0 or not shutil.which("apt-get"):
        return wrk
    print("wrk is missing: installing Debian's package (apt-get install wrk)...", flush=True)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    install = ["apt-get", "install", "-y", "-qq", "wrk"]
    apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(install, env=apt_env, **quiet).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], **quiet)
        subprocess.run(install, env=apt_env, **quiet)
    return shutil.which("wrk")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, ""


@contextlib.contextmanager
def gunicorn(app: str, port: int, env: dict[str, str], log: Path, ready_path: str) -> Iterator[subprocess.Popen]:
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", app]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn ({app}) exited at start:\n{log.read_text()[-2000:]}")
            with contextlib.suppress(OSError):
                if get(f"http://127.0.0.1:{port}{ready_path}")[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"gunicorn ({app}) did not answer {ready_path} within 60 s")
            time.sleep(0.2)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_busy(seconds: float = 1.0) -> float:
    """Share of the machine's CPU time used by anything in the last `seconds`."""

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        return sum(fields), fields[3] + fields[4]  # total, idle + iowait

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except OSError:
        return float("nan")
    return 100.0 * (1 - (idle1 - idle0) / max(1, total1 - total0))


def load(tool: str, url: str, marker: str, connections: int, duration: float) -> dict:
    if tool == "python":
        return pyload.run(url, marker, connections, duration)
    threads = 1 if connections <= 4 else 2
    command = [tool, "-t", str(threads), "-c", str(connections), "-d", f"{duration:g}s", "--timeout", "2s"]
    command += ["-s", str(ROOT / "bench" / "check.lua"), url, "--", marker]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    return json.loads(line.removeprefix("BENCH "))


def errors(result: dict) -> int:
    return result["bad"] + result["connect"] + result["read"] + result["write"] + result["timeout"]


def rate(result: dict) -> float:
    return result["good"] / (result["duration_us"] / 1e6)


def git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per measurement (default 10)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of load before each page (default 2)")
    parser.add_argument("--connections", default="32,4", help="comma-separated (default 32,4)")
    parser.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "latest.txt")
    args = parser.parse_args()
    concurrencies = [int(c) for c in args.connections.split(",")]

    tool = "python"
    if args.tool != "python":
        tool = find_wrk(allow_install=True) or ("python" if args.tool == "auto" else "")
        if not tool:
            print("wrk is not installed and could not be installed.", file=sys.stderr)
            return 1

    env = production_env()
    print("Preparing the database and static files (migrate, load_notice, collectstatic)...", flush=True)
    manage(env, "migrate", "--noinput")
    manage(env, "load_notice")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    sys.path.insert(0, str(ROOT))
    os.environ.update({k: v for k, v in env.items() if k.startswith(("DJANGO_", "DATABASE_"))})
    import dj_database_url

    database = dj_database_url.parse(env.get("DATABASE_URL") or f"sqlite:///{ROOT / 'db.sqlite3'}")["ENGINE"]
    database = database.rsplit(".", 1)[-1]

    busy_before = cpu_busy()
    load_before = os.getloadavg()
    started = datetime.now(timezone.utc)
    rows: list[tuple[int, str, dict]] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        site_port, base_port = free_port(), free_port()
        site_log, base_log = Path(tmp) / "site.log", Path(tmp) / "baseline.log"
        base_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.baseline"}
        with (
            gunicorn("config.wsgi:application", site_port, env, site_log, "/healthz") as site,
            gunicorn("bench.baseline_wsgi:application", base_port, base_env, base_log, "/"),
        ):
            workers = len(subprocess.run(["pgrep", "-P", str(site.pid)], capture_output=True, text=True).stdout.split())
            ports = {"site": site_port, "baseline": base_port}

            def url(page: Page) -> str:
                return f"http://127.0.0.1:{ports[page.server]}{page.path}"

            for page in [BASELINE, *PAGES]:
                status, body = get(url(page))
                if status != 200 or page.marker not in body:
                    print(f"{page.name}: {url(page)} answered {status} without {page.marker!r}", file=sys.stderr)
                    return 1

            for connections in concurrencies:
                for label, page in [("baseline", BASELINE), *((p.name, p) for p in PAGES), ("baseline", BASELINE)]:
                    if args.warmup:
                        load(tool, url(page), page.marker, connections, args.warmup)
                    print(f"  {connections:>2} connections: {label}...", flush=True)
                    rows.append((connections, label, load(tool, url(page), page.marker, connections, args.duration)))
    busy_after_load = os.getloadavg()

    report = format_report(
        rows,
        concurrencies,
        command=os.environ.get("BENCH_COMMAND") or shlex.join([Path(sys.executable).name, *sys.argv]),
        tool=tool,
        workers=workers,
        database=database,
        started=started,
        busy_before=busy_before,
        load_before=load_before,
        load_after=busy_after_load,
        duration=args.duration,
        warmup=args.warmup,
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report)
    print()
    print(report)
    print(f"Saved to {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return 0


def format_report(rows, concurrencies, *, command, tool, workers, database, started, busy_before, load_before,
                  load_after, duration, warmup) -> str:  # fmt: skip
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    tool_version = "bench/pyload.py (Python)"
    if tool != "python":
        version = subprocess.run([tool, "--version"], capture_output=True, text=True)
        tool_version = (version.stdout + version.stderr).strip().splitlines()[0].split(" Copyright")[0]
    import gunicorn as gunicorn_package

    lines = [
        f"make bench: {started:%Y-%m-%d %H:%M} UTC",
        f"command:  {command}",
        f"commit:   {commit}{' (with uncommitted changes in the work tree)' if dirty else ''}",
        f"cores:    {os.cpu_count()} ({platform.machine()}, Python {platform.python_version()})",
        f"server:   gunicorn {gunicorn_package.__version__}, {workers} workers (gunicorn.conf.py), production "
        f"settings (debug off), database {database}; the baseline: bench/baseline.py under the same settings",
        f"load:     {tool_version} on the same machine, {duration:g} s per row after {warmup:g} s of warm-up",
        f"machine:  {busy_before:.0f}% CPU busy just before the run; load average "
        f"{' '.join(f'{x:.2f}' for x in load_before)} before, {' '.join(f'{x:.2f}' for x in load_after)} after",
        "",
        f"{'conns':>5}  {'page':<18} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} {'× baseline':>10}",
    ]
    checks = []
    for connections in concurrencies:
        block = [(label, result) for c, label, result in rows if c == connections]
        baselines = [rate(result) for label, result in block if label == "baseline"]
        baseline = sum(baselines) / len(baselines)
        for label, result in block:
            ratio = rate(result) / baseline if baseline else 0
            lines.append(
                f"{connections:>5}  {label:<18} {rate(result):>8.0f} {result['p50_us'] / 1000:>7.1f} "
                f"{result['p99_us'] / 1000:>7.1f} {errors(result):>6} {ratio:>10.2f}"
            )
            if label in {"results (3 certs)", "API lookup"} and connections >= 32:
                checks.append((f"{connections} connections, {label}: {ratio:.2f} × baseline ≥ {TARGET_RATIO}",
                               ratio >= TARGET_RATIO))  # fmt: skip
            if label != "baseline" and connections <= 4:
                p99 = result["p99_us"] / 1000
                checks.append((f"{connections} connections, {label}: p99 {p99:.1f} ms < {TARGET_P99_MS} ms",
                               p99 < TARGET_P99_MS))  # fmt: skip
        lines.append(
            f"{'':>5}  (baseline measured before and after the pages: "
            f"{' and '.join(f'{b:.0f}' for b in baselines)} req/s; ratios use their mean)"
        )
    total_errors = sum(errors(result) for _, _, result in rows)
    total_requests = sum(result["requests"] for _, _, result in rows)
    checks.append((f"errors: {total_errors} in {total_requests} requests", total_errors == 0))
    lines += ["", "targets (2 cores):"]
    lines += [f"  {'met   ' if ok else 'MISSED'} {text}" for text, ok in checks]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
