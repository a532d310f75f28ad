"""`make bench`: the site under gunicorn as in production, on the real mix of questions.

Starts three gunicorn servers with the same settings and number of workers
(gunicorn.conf.py): the site (production settings, debug off, the database
from DATABASE_URL or the embedded SQLite file), the barest Django view
(bench/bare.py: SecurityMiddleware and CommonMiddleware only) and, as a second
reference, a Django view behind the seven middleware of a new project
(bench/baseline.py). Then measures, with wrk (Debian's package, installed with
apt when missing and possible):

1. the mix: every combination of the six certificates (63) × six regions
   (none, 11, 31, 44, 65, 66) × {full page, HTMX fragment, API lookup}, 1,134
   distinct answers, cycled through by bench/cycle.lua, once every worker has
   seen them (a warm-up of --mix-warmup seconds);
2. answers rendered afresh: each address of the mix requested once, in a
   shuffled order, right after the servers start, and a sample again after a
   data change (so every worker reads the rules again) -- median and p99 over
   HTTP, one request at a time;
3. one results page requested over and over: the figure of the answer cache,
   not of the site;

each at 32 and 4 connections as a ratio to the bare view measured right before
and right after it. The rows are measured in --rounds rounds (bare, mix,
repeated page, 7 middleware; a last bare after the last round), and each figure
is the median over the rounds: on a shared machine the speed of the whole
machine drifts by several percent within minutes, which one pair of bare
measurements minutes apart cannot tell from the site's own cost. And each
worker's memory after the load. Prints a table
and the targets met or missed, and writes them, with the command and the
commit measured, to bench/results/<database>.txt.

Only a 200 holding the page's marker counts as an answer; anything else, and
any refused, reset or timed-out connection, is an error. This is not a test:
it reports, and exits 0 whatever the figures (1 only if it could not run).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import os
import platform
import random
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SLUGS = [  # as the picker lists them: a page asked in another order is redirected to this one
    "low-voltage-electrician",
    "high-voltage-electrician",
    "fusion-welding-cutting",
    "building-electrician",
    "building-welder",
    "special-equipment-welder",
]
REGIONS = ["", "11", "31", "44", "65", "66"]
KINDS = ["page", "htmx", "api"]
BARE = "bare Django view"
ANSWER_MARKERS = ['id="results-heading"', '"recognitions"']  # a results page or fragment; an API answer
THREE = "held=fusion-welding-cutting&held=building-electrician&held=building-welder"  # as the picker lists them
REPEATED = f"/?{THREE}"

# The targets (issue 11), on this kind of machine: 2 cores, wrk on the same machine.
TARGET_MIX_RATIO = {"sqlite3": 0.8, "postgresql": 0.7}  # the mix at 32 connections vs the bare view
TARGET_P99_MS = 25  # the mix at 4 connections
TARGET_FRESH_MEDIAN_MS = 5  # an answer rendered afresh
TARGET_RSS_MB = 160  # each worker after the mix: ~75 MB of code and rules, PUBLIC_PAGE_CACHE_MB (32), QR codes


def mix_addresses() -> list[tuple[str, str]]:
    """(kind, path) for every combination × region × form: the uniform real mix."""
    addresses = []
    for size in range(1, len(SLUGS) + 1):
        for held in itertools.combinations(SLUGS, size):
            for region in REGIONS:
                query = "&".join(f"held={slug}" for slug in held) + (f"&region={region}" if region else "")
                addresses += [("page", f"/?{query}"), ("htmx", f"/?{query}"), ("api", f"/api/v1/lookup?{query}")]
    return addresses


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


def http_get(port: int, kind: str, path: str, markers: list[str]) -> tuple[float, bool]:
    """One request on a new connection, as a browser's first: (seconds, good answer)."""
    headers = {"HX-Request": "true"} if kind == "htmx" else {}
    begin = time.perf_counter()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        connection.close()
    except OSError:
        return time.perf_counter() - begin, False
    elapsed = time.perf_counter() - begin
    return elapsed, response.status == 200 and any(marker in body for marker in markers)


def fresh_pass(port: int, addresses: list[tuple[str, str]], markers: list[str] = ANSWER_MARKERS) -> dict:
    times, bad = [], 0
    for kind, path in addresses:
        elapsed, good = http_get(port, kind, path, markers)
        times.append(elapsed)
        bad += not good
    times.sort()
    return {
        "count": len(times),
        "bad": bad,
        "p50_ms": statistics.median(times) * 1000,
        "p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))] * 1000,
    }


def wrk_load(wrk: str, port: int, addresses: Path, markers: list[str], connections: int, duration: float) -> dict:
    threads = 1 if connections <= 4 else 2
    command = [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{duration:g}s", "--timeout", "2s"]
    command += ["-s", str(ROOT / "bench" / "cycle.lua"), f"http://127.0.0.1:{port}/", "--", str(addresses), *markers]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    return json.loads(line.removeprefix("BENCH "))


def errors(result: dict) -> int:
    return result["bad"] + result["connect"] + result["read"] + result["write"] + result["timeout"]


def rate(result: dict) -> float:
    return result["good"] / (result["duration_us"] / 1e6)


def workers_of(master: subprocess.Popen) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(master.pid)], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found]


def memory_mb(pid: int) -> tuple[float, float]:
    """(resident, proportional) megabytes: RSS counts pages shared with the master; PSS shares them out."""
    rss = pss = 0.0
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1]) / 1024
    return rss, pss


def bump_data_version(env: dict[str, str]) -> None:
    code = "from recognition.rules.signals import bump_data_version; bump_data_version()"
    subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=6, help="seconds per measurement (default 6)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of load before each row (default 2)")
    parser.add_argument("--mix-warmup", type=float, default=20, help="seconds of the mix before it is measured")
    parser.add_argument("--connections", default="32,4", help="comma-separated (default 32,4)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every row; figures are medians (default 3)")
    parser.add_argument("--workers", type=int, help="gunicorn workers for every server (default: gunicorn.conf.py)")
    parser.add_argument("--fresh-sample", type=int, default=300, help="addresses asked again after a data change")
    parser.add_argument(
        "--note",
        default=os.environ.get("BENCH_NOTE", ""),
        help="a line about the machine's state, written into the results (or BENCH_NOTE)",
    )
    parser.add_argument("--output", type=Path, help="default bench/results/<database>.txt")
    args = parser.parse_args()
    concurrencies = [int(c) for c in args.connections.split(",")]

    wrk = find_wrk(allow_install=True)
    if not wrk:
        print("wrk is not installed and could not be installed (apt-get install wrk).", file=sys.stderr)
        return 1

    env = production_env()
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    print("Preparing the database and static files (migrate, load_notice, collectstatic)...", flush=True)
    manage(env, "migrate", "--noinput")
    manage(env, "load_notice")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    import dj_database_url

    database = dj_database_url.parse(env.get("DATABASE_URL") or f"sqlite:///{ROOT / 'db.sqlite3'}")["ENGINE"]
    database = database.rsplit(".", 1)[-1]
    output = args.output or ROOT / "bench" / "results" / f"{'sqlite' if database == 'sqlite3' else database}.txt"

    # The code measured is the code at the start: note it before anything else can change.
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = bool(git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/results"))
    busy_before = cpu_busy()
    load_before = os.getloadavg()
    started = datetime.now(timezone.utc)
    rows: list[tuple[int, int, str, dict]] = []  # connections, round, label, wrk's result
    fresh: dict[str, dict] = {}
    memory: dict[str, list[tuple[float, float]]] = {}
    mix = mix_addresses()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        files = {}
        for name, lines in [
            ("mix", [f"{kind} {path}" for kind, path in mix]),
            ("repeated", [f"page {REPEATED}"]),
            ("ok", ["page /"]),
        ]:
            files[name] = Path(tmp) / f"{name}.txt"
            files[name].write_text("\n".join(lines) + "\n")
        ports = {name: free_port() for name in ("site", "bare", "django")}
        with (
            gunicorn("config.wsgi:application", ports["site"], env, Path(tmp) / "site.log", "/healthz") as site,
            gunicorn("bench.bare_wsgi:application", ports["bare"], env, Path(tmp) / "bare.log", "/") as bare,
            gunicorn("bench.baseline_wsgi:application", ports["django"], {**env}, Path(tmp) / "django.log", "/"),
        ):
            workers = len(workers_of(site))
            order = mix[:]
            random.Random(11).shuffle(order)
            print(f"  answers rendered afresh: {len(order)} addresses, once each, after start...", flush=True)
            fresh["after start"] = fresh_pass(ports["site"], order)
            print("  answers rendered afresh after a data change...", flush=True)
            bump_data_version(env)
            time.sleep(1.2)  # RULES_VERSION_CHECK_INTERVAL: every worker sees the change
            fresh["after a data change"] = fresh_pass(ports["site"], order[: args.fresh_sample])
            fresh["bare view, same client"] = fresh_pass(ports["bare"], [("page", "/")] * 300, ["ok"])

            bare_row = (BARE, "bare", "ok", ["ok"])
            plan = [
                bare_row,
                ("the mix", "site", "mix", ANSWER_MARKERS),
                ("one repeated page", "site", "repeated", ANSWER_MARKERS),
                ("Django, 7 middleware", "django", "ok", ["ok"]),
            ]
            mix_warm = False
            for connections in concurrencies:
                schedule = [(round_, row) for round_ in range(args.rounds) for row in plan] + [(args.rounds, bare_row)]
                for round_, (label, server, addresses, markers) in schedule:
                    warmup = args.warmup
                    if addresses == "mix" and not mix_warm:
                        warmup, mix_warm = max(args.mix_warmup, args.warmup), True
                    if warmup:
                        print(f"  {connections:>2} connections: {label} (warm-up {warmup:g} s)...", flush=True)
                        wrk_load(wrk, ports[server], files[addresses], markers, connections, warmup)
                    print(f"  {connections:>2} connections, round {round_ + 1}: {label}...", flush=True)
                    result = wrk_load(wrk, ports[server], files[addresses], markers, connections, args.duration)
                    rows.append((connections, round_, label, result))
            memory["site"] = [memory_mb(pid) for pid in workers_of(site)]
            memory["bare"] = [memory_mb(pid) for pid in workers_of(bare)]
    load_after = os.getloadavg()

    report = format_report(
        rows,
        concurrencies,
        fresh=fresh,
        memory=memory,
        command=os.environ.get("BENCH_COMMAND") or shlex.join([Path(sys.executable).name, *sys.argv]),
        commit=commit,
        dirty=dirty,
        wrk=wrk,
        workers=workers,
        database=database,
        started=started,
        busy_before=busy_before,
        load_before=load_before,
        load_after=load_after,
        args=args,
        mix_size=len(mix),
        env=env,
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report)
    print()
    print(report)
    print(f"Saved to {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")
    return 0


def format_report(rows, concurrencies, *, fresh, memory, command, commit, dirty, wrk, workers, database, started,
                  busy_before, load_before, load_after, args, mix_size, env) -> str:  # fmt: skip
    version = subprocess.run([wrk, "--version"], capture_output=True, text=True)
    wrk_version = (version.stdout + version.stderr).strip().splitlines()[0].split(" Copyright")[0]
    import gunicorn as gunicorn_package

    budget = env.get("PUBLIC_PAGE_CACHE_MB", "32 (default)")
    interval = env.get("RULES_VERSION_CHECK_INTERVAL", "1 (default)")
    lines = [
        f"make bench: {started:%Y-%m-%d %H:%M} UTC",
        f"command:  {command}",
        f"commit:   {commit}"
        + (" WITH UNCOMMITTED CHANGES in the work tree: not a figure of that commit" if dirty else " (clean tree)"),
        f"cores:    {os.cpu_count()} ({platform.machine()}, Python {platform.python_version()})",
        f"servers:  gunicorn {gunicorn_package.__version__}, {workers} workers each (gunicorn.conf.py); the site "
        f"with production settings (debug off), database {database}, PUBLIC_PAGE_CACHE_MB={budget}, "
        f"RULES_VERSION_CHECK_INTERVAL={interval}",
        "          bare = bench/bare.py (SecurityMiddleware + CommonMiddleware); "
        "Django, 7 middleware = bench/baseline.py",
        f"load:     {wrk_version} on the same machine, {args.duration:g} s per row after {args.warmup:g} s of "
        f"warm-up ({args.mix_warmup:g} s before the mix is first measured), {args.rounds} rounds: each figure "
        "is the median over the rounds, each ratio over the rounds' ratios to the bare view measured right "
        "before and after",
        f"machine:  {busy_before:.0f}% CPU busy just before the run; load average "
        f"{' '.join(f'{x:.2f}' for x in load_before)} before, {' '.join(f'{x:.2f}' for x in load_after)} after",
    ]
    if args.note:
        lines.append(f"note:     {args.note}")
    lines += [
        "",
        f"the mix: {mix_size} distinct answers (63 combinations × regions none, 11, 31, 44, 65, 66 × page, "
        "HTMX fragment, API lookup), cycled through;",
        "one repeated page: /?" + THREE + " over and over: the answer cache's figure, not the site's",
        "",
        f"{'conns':>5}  {'what':<22} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} {'× bare':>7}",
    ]
    checks = []
    target_ratio = TARGET_MIX_RATIO.get(database, 0.7)
    for connections in concurrencies:
        block = [(round_, label, result) for c, round_, label, result in rows if c == connections]
        bares = {round_: rate(result) for round_, label, result in block if label == BARE}
        labels = list(dict.fromkeys(label for _, label, _ in block))
        per_round_mix = []
        for label in labels:
            measured = [(round_, result) for round_, lbl, result in block if lbl == label]
            ratios = [rate(result) * 2 / (bares[round_] + bares[round_ + 1]) for round_, result in measured
                      if label != BARE]  # fmt: skip
            ratio = statistics.median(ratios) if ratios else 1.0
            median = {key: statistics.median(result[key] for _, result in measured) for key in ("p50_us", "p99_us")}
            lines.append(
                f"{connections:>5}  {label:<22} {statistics.median(rate(r) for _, r in measured):>8.0f} "
                f"{median['p50_us'] / 1000:>7.1f} {median['p99_us'] / 1000:>7.1f} "
                f"{sum(errors(r) for _, r in measured):>6} {ratio:>7.2f}"
            )
            if label == "the mix":
                per_round_mix = ratios
            if label == "the mix" and connections >= 32:
                checks.append((f"the mix at {connections} connections: {ratio:.2f} × bare ≥ {target_ratio}",
                               ratio >= target_ratio))  # fmt: skip
            if label == "the mix" and connections <= 4:
                p99 = median["p99_us"] / 1000
                checks.append((f"the mix at {connections} connections: p99 {p99:.1f} ms < {TARGET_P99_MS} ms",
                               p99 < TARGET_P99_MS))  # fmt: skip
        lines.append(
            f"{'':>5}  (bare view, in order: {', '.join(f'{b:.0f}' for b in bares.values())} req/s; the mix's ratio "
            f"round by round: {', '.join(f'{r:.2f}' for r in per_round_mix)})"
        )
    lines += ["", "answers rendered afresh (one request at a time, new connection each, timed by the client):"]
    for label, result in fresh.items():
        lines.append(
            f"  {label:<24} {result['count']:>5} requests  median {result['p50_ms']:5.1f} ms  "
            f"p99 {result['p99_ms']:5.1f} ms  errors {result['bad']}"
        )
        if label == "after start":
            checks.append((f"an answer rendered afresh: median {result['p50_ms']:.1f} ms ≤ {TARGET_FRESH_MEDIAN_MS} ms",
                           result["p50_ms"] <= TARGET_FRESH_MEDIAN_MS))  # fmt: skip
    lines += ["", "memory per worker after the load (RSS counts pages shared with the master; PSS shares them out):"]
    for name, values in memory.items():
        rss = ", ".join(f"{r:.0f}" for r, _ in values)
        pss = ", ".join(f"{p:.0f}" for _, p in values)
        lines.append(f"  {name:<5} RSS {rss} MB; PSS {pss} MB")
    site_rss = max((r for r, _ in memory.get("site", [])), default=0)
    checks.append((f"memory: largest worker RSS {site_rss:.0f} MB ≤ {TARGET_RSS_MB} MB", site_rss <= TARGET_RSS_MB))
    total_errors = sum(errors(result) for *_, result in rows) + sum(r["bad"] for r in fresh.values())
    total_requests = sum(result["requests"] for *_, result in rows) + sum(r["count"] for r in fresh.values())
    checks.append((f"errors: {total_errors} in {total_requests} requests", total_errors == 0))
    lines += ["", f"targets ({database}, 2 cores):"]
    lines += [f"  {'met   ' if ok else 'MISSED'} {text}" for text, ok in checks]
    return "\n".join(lines) + "\n"


def git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


if __name__ == "__main__":
    sys.exit(main())
