"""`make bench-instructions`: what one answer costs, counted in CPU instructions by callgrind.

wrk's requests per second on this shared machine move by 10-30 % within a
minute (see bench/run.py), too much to compare two commits by. Instructions
counted by `valgrind --tool=callgrind` are repeatable to a fraction of a percent for the same
code, data and inputs, whatever else the machine does. This counts, through
Django's WSGI handler in one process with production settings (no gunicorn,
no sockets: the Django side only):

- an answer rendered afresh: a sample of the mix (every 19th of its 1,134
  addresses: pages, HTMX fragments and API lookups), each asked once;
- a kept answer: the same addresses asked again, five times over;
- the bare view (bench/bare.py), asked as often after as many warm-up requests, as the reference;

each as the difference between runs that stop before and after the requests,
so that starting Python and Django is not counted. The data version is checked
once (RULES_VERSION_CHECK_INTERVAL=3600): under callgrind a second of wall time
is a few hundred requests, and the check is a once-a-second cost anyway.
Writes bench/results/instructions.txt with the commit measured.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import git, manage, mix_addresses, production_env  # noqa: E402

SAMPLE_STEP = 19
KEPT_ROUNDS = 5


def sample() -> list[tuple[str, str]]:
    return mix_addresses()[::SAMPLE_STEP]


def environ(kind: str, path: str) -> dict:
    path_info, _, query = path.partition("?")
    env = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }
    if kind == "htmx":
        env["HTTP_HX_REQUEST"] = "true"
    return env


def child(app_name: str, phase: str) -> None:
    """Run inside callgrind: warm up, then stop after the phase's requests."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bare" if app_name == "bare" else "config.settings"
    from django.core.wsgi import get_wsgi_application

    app = get_wsgi_application()

    def serve(kind: str, path: str) -> None:
        body = app({**environ(kind, path), "wsgi.input": io.BytesIO(b"")}, lambda status, headers: None)
        body.close()

    addresses = sample() if app_name == "site" else [("page", "/")] * len(sample())
    serve("page", "/")  # the rules read, the URLs resolved, the templates compiled
    if phase in ("fresh", "kept"):
        for kind, path in addresses:
            serve(kind, path)
    if phase == "kept":
        for _ in range(KEPT_ROUNDS):
            for kind, path in addresses:
                serve(kind, path)


def count(app_name: str, phase: str, env: dict[str, str]) -> int:
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__]
    result = subprocess.run([*command, "--child", app_name, phase], cwd=ROOT, env=env, capture_output=True, text=True)
    found = re.search(r"Collected\s*:\s*(\d+)", result.stderr)
    if result.returncode or not found:
        raise SystemExit(f"the counted run ({app_name}, {phase}) failed or printed no count:\n{result.stderr[-3000:]}")
    return int(found.group(1))


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3])
        return 0
    env = {**production_env(), "PYTHONHASHSEED": "0", "RULES_VERSION_CHECK_INTERVAL": "3600"}
    env["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1"
    print("Preparing the database and static files (migrate, load_notice, collectstatic)...", flush=True)
    manage(env, "migrate", "--noinput")
    manage(env, "load_notice")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    n = len(sample())
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is needed: apt-get install valgrind")
    print(f"counting with callgrind: {n} addresses, five runs of about 20 s each...", flush=True)
    site = {phase: count("site", phase, env) for phase in ("setup", "fresh", "kept")}
    bare = {phase: count("bare", phase, env) for phase in ("fresh", "kept")}
    fresh = (site["fresh"] - site["setup"]) / n
    kept = (site["kept"] - site["fresh"]) / (n * KEPT_ROUNDS)
    bare_one = (bare["kept"] - bare["fresh"]) / (n * KEPT_ROUNDS)
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    lines = [
        f"make bench-instructions: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"commit:   {commit}"
        + (" WITH UNCOMMITTED CHANGES in the work tree: not a figure of that commit" if dirty else " (clean tree)"),
        f"counted:  valgrind --tool=callgrind, Python {sys.version.split()[0]}, Django's WSGI handler in one "
        "process, production settings, PYTHONHASHSEED=0",
        f"sample:   {n} addresses of the mix (every {SAMPLE_STEP}th: pages, HTMX fragments, API lookups)",
        "",
        f"  an answer rendered afresh   {fresh / 1e6:8.2f} M instructions",
        f"  a kept answer               {kept / 1e3:8.0f} k instructions   {kept / bare_one:5.2f} × bare",
        f"  the bare view               {bare_one / 1e3:8.0f} k instructions",
        "",
    ]
    report = "\n".join(lines)
    output = ROOT / "bench" / "results" / "instructions.txt"
    output.write_text(report)
    print(report)
    print(f"Saved to {output.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
