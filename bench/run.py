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
   seen them (a warm-up of --mix-warmup seconds); asked as browsers ask
   (Accept-Encoding: gzip), and again as a plain client that takes no gzip;
2. answers rendered afresh: each address of the mix requested once, in a
   shuffled order, right after the servers start, and a sample again after a
   data change (so every worker reads the rules again) -- median and p99 over
   HTTP, one request at a time, timed by the client (bench/fresh.py); also per
   kind over the addresses whose question no earlier request had asked, which
   is what a plain client sees of a page;
3. one results page requested over and over: the figure of the answer cache,
   not of the site;
4. the matrix, the routes page for each certificate, and the first answer each
   worker gives after one rule is saved (the rule book read again);

each wrk row at 32 and 4 connections as a ratio to the bare view measured right before
and right after it. The rows are measured in --rounds rounds (bare, mix,
repeated page, 7 middleware; a last bare after the last round), and each figure
is the median over the rounds: on a shared machine the speed of the whole
machine drifts by several percent within minutes, which one pair of bare
measurements minutes apart cannot tell from the site's own cost. And each
worker's memory after the load. Prints a table
and the targets met or missed, and writes them, with the command and the
commit measured, to bench/results/<database>.txt.

With --world M or L (bench/worlds.py), the same on a generated world
(tools/world.py) loaded into a database of its own, with that world's mix of
2,000 addresses; written to bench/results/<database>-<world>.txt.

Only a 200 holding the page's marker counts as an answer; anything else, and
any refused, reset or timed-out connection, is an error. This is not a test:
it reports, and exits 0 whatever the figures (1 only if it could not run).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import random
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
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import fresh, worlds  # noqa: E402
from bench.report import BARE, format_report  # noqa: E402

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
ANSWER_MARKERS = ['id="results-heading"', '"recognitions"']  # a results page or fragment; an API answer
GZIP = "--gzip"  # bench/cycle.lua: ask with Accept-Encoding: gzip, and count a gzipped 200 as an answer
THREE = "held=fusion-welding-cutting&held=building-electrician&held=building-welder"  # as the picker lists them
REPEATED = f"/?{THREE}"


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
def gunicorn(app: str, port: int, env: dict[str, str], log: Path, ready_path: str,
             extra: tuple[str, ...] = ()) -> Iterator[subprocess.Popen]:  # fmt: skip
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", *extra, app]
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


def wrk_load(wrk: str, port: int, addresses: Path, markers: list[str], connections: int, duration: float,
             timeout: float = 2) -> dict:  # fmt: skip
    threads = 1 if connections <= 4 else 2
    command = [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{duration:g}s", "--timeout", f"{timeout:g}s"]
    command += ["-s", str(ROOT / "bench" / "cycle.lua"), f"http://127.0.0.1:{port}/", "--", str(addresses), *markers]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    return json.loads(line.removeprefix("BENCH "))


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


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=6, help="seconds per measurement (default 6)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of load before each row (default 2)")
    parser.add_argument(
        "--mix-warmup",
        type=float,
        help="seconds of the mix before it is measured (default 20; "
        "120 with --world: every worker renders each of the 2,000 answers once)",
    )
    parser.add_argument("--connections", default="32,4", help="comma-separated (default 32,4)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every row; figures are medians (default 3)")
    parser.add_argument("--workers", type=int, help="gunicorn workers for every server (default: gunicorn.conf.py)")
    parser.add_argument("--fresh-sample", type=int, default=300, help="addresses asked again after a data change")
    parser.add_argument("--world", choices=sorted(worlds.TARGETS.keys() - {"today"}),
                        help="a generated world (tools/world.py) instead of today's data")  # fmt: skip
    parser.add_argument("--seed", type=int, default=2026, help="with --world: the world's and the mix's seed")
    parser.add_argument("--world-db", type=Path, help="with --world on SQLite: this file (kept), not a new one")
    parser.add_argument("--mix-size", type=int, default=2000, help="with --world: distinct addresses in the mix")
    parser.add_argument("--fresh-per-group", type=int, default=40,
                        help="with --world: addresses asked afresh per kind and number held (default 40)")  # fmt: skip
    parser.add_argument("--routes-sample", type=int, default=10, help="with --world: targets of the routes page")
    parser.add_argument("--wrk-timeout", type=float, help="seconds before wrk gives up on a request (2; 30 in a world)")
    parser.add_argument(
        "--note",
        default=os.environ.get("BENCH_NOTE", ""),
        help="a line about the machine's state, written into the results (or BENCH_NOTE)",
    )
    parser.add_argument("--output", type=Path, help="default bench/results/<database>[-<world>].txt")
    args = parser.parse_args()
    if args.wrk_timeout is None:
        args.wrk_timeout = 30 if args.world else 2
    if args.mix_warmup is None:
        args.mix_warmup = 120 if args.world else 20
    return args


def prepare(args: argparse.Namespace, env: dict[str, str], tmp: Path) -> dict:
    """The database ready (today's data, or the world loaded), and what to ask it."""
    if args.world:
        world = worlds.load_world(args.world, args.seed, env, tmp, args.world_db)
        order, regions = world["picker_order"], world["manifest"]["mix_regions"]
        mix = worlds.world_mix(order, regions, args.seed, args.mix_size)
        asked_fresh = worlds.fresh_sample(mix, args.fresh_per_group, args.seed)
        routes = [f"/routes/?target={slug}" for slug in worlds.targets_sample(order, args.routes_sample, args.seed)]
        repeated = next(path for kind, path in mix if kind == "page" and path.count("held=") == 3)
    else:
        print("Preparing the database (migrate, load_notice)...", flush=True)
        manage(env, "migrate", "--noinput")
        manage(env, "load_notice")
        world, order, regions, mix, repeated = None, SLUGS, REGIONS, mix_addresses(), REPEATED
        # Six targets asked once each gave a median of six requests, two of them a worker's first: each target in
        # each of the mix's regions instead, 36 questions no request had asked.
        routes = [f"/routes/?target={slug}" + (f"&region={region}" if region else "") for region in REGIONS
                  for slug in SLUGS]  # fmt: skip
        asked_fresh = mix[:]
        random.Random(11).shuffle(asked_fresh)
    print("Collecting static files...", flush=True)
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    return {"world": world, "order": list(order), "regions": regions, "mix": mix, "asked_fresh": asked_fresh,
            "routes": routes, "repeated": repeated}  # fmt: skip


def measure_answers(args, env: dict[str, str], plan: dict, port: int, bare_port: int, log: Path,
                    workers: list[int]) -> dict:  # fmt: skip
    """Right after start: each address once; a data change; the matrix; the first answer after a save."""
    measured: dict = {}
    timeout = 60 if args.world else 10
    print(f"  answers rendered afresh: {len(plan['asked_fresh'])} addresses, once each, after start...", flush=True)
    measured["fresh"] = fresh.ask_each(port, plan["asked_fresh"], ANSWER_MARKERS, timeout)
    if not args.world:
        print("  answers rendered afresh after a data change...", flush=True)
        bump_data_version(env)
        time.sleep(1.2)  # RULES_VERSION_CHECK_INTERVAL: every worker sees the change
        measured["after change"] = fresh.ask_each(port, plan["asked_fresh"][: args.fresh_sample], ANSWER_MARKERS)
    # What a browser asks next for a page (its QR code, for print): each once, for pages whose code no one asked.
    qr_codes = [("qr", "/qr.svg?" + urlencode({"u": a.path})) for a in measured["fresh"] if a.kind == "page"]
    measured["qr"] = fresh.ask_each(port, qr_codes[:40], ["<svg"], timeout)
    measured["bare"] = fresh.ask_each(bare_port, [("page", "/")] * 300, ["ok"])
    print("  the matrix, afresh...", flush=True)
    measured["matrix"] = fresh.ask_each(port, [("matrix", path) for path in worlds.matrix_addresses()], None, 120)
    print("  one rule saved: the first answer of each worker...", flush=True)
    interval = float(env.get("RULES_VERSION_CHECK_INTERVAL", "1"))
    later = worlds.rebuild_addresses(plan["order"])
    measured["rebuild"] = fresh.first_answers_after_save(port, env, log, workers, later, interval)
    return measured


def load_rows(args, wrk: str, ports: dict, files: dict, concurrencies: list[int]) -> list:
    """wrk's rows: the bare view, the mix (as browsers ask, and as a plain client), one repeated page, 7 middleware;
    in rounds, a last bare view."""
    rows: list[tuple[int, int, str, dict]] = []  # connections, round, label, wrk's result
    bare_row = (BARE, "bare", "ok", ["ok"])
    plan = [
        bare_row,
        ("the mix", "site", "mix", [GZIP, *ANSWER_MARKERS]),
        ("the mix, plain client", "site", "mix", ANSWER_MARKERS),
        ("one repeated page", "site", "repeated", [GZIP, *ANSWER_MARKERS]),
        ("Django, 7 middleware", "django", "ok", ["ok"]),
    ]
    mix_warm = False
    for connections in concurrencies:
        schedule = [(round_, row) for round_ in range(args.rounds) for row in plan] + [(args.rounds, bare_row)]
        for round_, (label, server, addresses, markers) in schedule:
            warmup = args.warmup
            if addresses == "mix" and not mix_warm:
                warmup, mix_warm = max(args.mix_warmup, args.warmup), True
            load = (wrk, ports[server], files[addresses], markers, connections)
            if warmup:
                print(f"  {connections:>2} connections: {label} (warm-up {warmup:g} s)...", flush=True)
                wrk_load(*load, warmup, args.wrk_timeout)
            print(f"  {connections:>2} connections, round {round_ + 1}: {label}...", flush=True)
            rows.append((connections, round_, label, wrk_load(*load, args.duration, args.wrk_timeout)))
    return rows


def main() -> int:
    args = parse_args()
    concurrencies = [int(c) for c in args.connections.split(",")]
    wrk = find_wrk(allow_install=True)
    if not wrk:
        print("wrk is not installed and could not be installed (apt-get install wrk).", file=sys.stderr)
        return 1
    env = production_env()
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    # The code measured is the code at the start: note it before anything else can change.
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = bool(git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/results"))
    memory: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        tmp = Path(folder)
        plan = prepare(args, env, tmp)
        import dj_database_url

        database = dj_database_url.parse(env.get("DATABASE_URL") or f"sqlite:///{ROOT / 'db.sqlite3'}")["ENGINE"]
        database = database.rsplit(".", 1)[-1]
        name = ("sqlite" if database == "sqlite3" else database) + (f"-{args.world}" if args.world else "")
        output = args.output or ROOT / "bench" / "results" / f"{name}.txt"
        busy_before, load_before, started = cpu_busy(), os.getloadavg(), datetime.now(timezone.utc)
        files = {}
        for key, lines in [
            ("mix", [f"{kind} {path}" for kind, path in plan["mix"]]),
            ("repeated", [f"page {plan['repeated']}"]),
            ("ok", ["page /"]),
        ]:
            files[key] = tmp / f"{key}.txt"
            files[key].write_text("\n".join(lines) + "\n")
        ports = {key: free_port() for key in ("site", "bare", "django")}
        site_log = tmp / "site.log"
        with (
            gunicorn(
                "config.wsgi:application",
                ports["site"],
                env,
                site_log,
                "/healthz",
                ("--access-logformat", fresh.ACCESS_LOG_FORMAT),
            ) as site,  # fmt: skip
            gunicorn("bench.bare_wsgi:application", ports["bare"], env, tmp / "bare.log", "/") as bare,
            gunicorn("bench.baseline_wsgi:application", ports["django"], {**env}, tmp / "django.log", "/"),
        ):
            workers = workers_of(site)
            measured = measure_answers(args, env, plan, ports["site"], ports["bare"], site_log, workers)
            rows = load_rows(args, wrk, ports, files, concurrencies)
            memory["site"] = [memory_mb(pid) for pid in workers_of(site)]
            memory["bare"] = [memory_mb(pid) for pid in workers_of(bare)]
            # Last: in a large world a routes page may take longer than gunicorn's timeout, which restarts a worker.
            print(f"  the routes page, afresh, at {len(plan['routes'])} addresses...", flush=True)
            routes = [("routes", path) for path in plan["routes"]]
            measured["routes"] = fresh.ask_each(ports["site"], routes, None, timeout=120)
    load_after = os.getloadavg()

    report = format_report(
        rows=rows,
        concurrencies=concurrencies,
        measured=measured,
        plan=plan,
        memory=memory,
        command=os.environ.get("BENCH_COMMAND") or shlex.join([Path(sys.executable).name, *sys.argv]),
        commit=commit,
        dirty=dirty,
        wrk=wrk,
        workers=len(workers),
        database=database,
        started=started,
        busy_before=busy_before,
        load_before=load_before,
        load_after=load_after,
        args=args,
        env=env,
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report)
    print()
    print(report)
    print(f"Saved to {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")
    return 0


def git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


if __name__ == "__main__":
    sys.exit(main())
