"""`make bench BENCH_ARGS="--world M"`: the benchmark on a generated world (tools/world.py) instead of today's.

The world is written from its seed and loaded, timed, into a database of its own: a new SQLite file
(or --world-db), never db.sqlite3; with DATABASE_URL pointing at PostgreSQL, into that database, which
must hold nothing but today's data and this world. Its mix: 2,000 addresses drawn from the seed, a third
each holding 1, 3 and 10 certificates (in the picker's order, the address the site answers without a
redirect), over no region and five codes (four provinces with their own notice, one without when there
is one), as page, HTMX fragment and API lookup in turn.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
KINDS = ["page", "htmx", "api"]
SIZES = [1, 3, 10]

# Issue 14's "Done when", per world: results page 3 held fresh (ms), routes page fresh (ms), first answer
# after one rule is saved (ms), the mix at 32 connections × the bare view.
TARGETS = {
    "today": {"page3_ms": 5, "routes_ms": 5, "rebuild_ms": 20, "mix": None},  # mix: TARGET_MIX_RATIO
    "S": {"page3_ms": 10, "routes_ms": 15, "rebuild_ms": 100, "mix": 0.5},  # a test world: M's targets
    "M": {"page3_ms": 10, "routes_ms": 15, "rebuild_ms": 100, "mix": 0.5},
    "L": {"page3_ms": 20, "routes_ms": 30, "rebuild_ms": 300, "mix": 0.3},
}


def sqlite_url(env: dict[str, str]) -> bool:
    url = env.get("DATABASE_URL", "")
    return not url or url.startswith("sqlite")


def load_world(world: str, seed: int, env: dict[str, str], folder: Path, database: Path | None) -> dict:
    """Write and load the world; set env's DATABASE_URL to its database. Returns tools/world.py's summary."""
    if sqlite_url(env):
        database = database or folder / f"world-{world}-{seed}.sqlite3"
        env["DATABASE_URL"] = f"sqlite:///{database.resolve()}"
    summary = folder / "world-summary.json"
    out = folder / f"world-{world}"
    command = [sys.executable, "tools/world.py", "--world", world, "--seed", str(seed), "--out", str(out), "--load",
               "--summary", str(summary)]  # fmt: skip
    print(f"Writing and loading world {world} (seed {seed}): tools/world.py --load ...", flush=True)
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    result = json.loads(summary.read_text(encoding="utf-8"))
    result["wall_seconds"] = time.perf_counter() - started
    result["manifest"] = json.loads((out / "world.json").read_text(encoding="utf-8"))
    return result


def query(held: list[str], region: str) -> str:
    return "&".join(f"held={slug}" for slug in held) + (f"&region={region}" if region else "")


def address(kind: str, query_string: str) -> tuple[str, str]:
    return kind, (f"/api/v1/lookup?{query_string}" if kind == "api" else f"/?{query_string}")


def world_mix(order: list[str], regions: list[str], seed: int, size: int = 2000) -> list[tuple[str, str]]:
    """`size` distinct addresses: a third each holding 1, 3 and 10 certificates, kinds in turn, shuffled."""
    rng = random.Random(f"mix-{seed}")
    place = {slug: index for index, slug in enumerate(order)}
    found: dict[tuple[str, str], None] = {}
    for group, held_count in enumerate(SIZES):
        wanted = size * (group + 1) // len(SIZES) - size * group // len(SIZES)
        made = 0
        for _ in range(wanted * 50):
            if made == wanted:
                break
            held = sorted(rng.sample(order, min(held_count, len(order))), key=place.__getitem__)
            key = address(KINDS[made % len(KINDS)], query(held, rng.choice(regions)))
            if key not in found:
                found[key] = None
                made += 1
    mix = list(found)
    rng.shuffle(mix)
    return mix


def fresh_sample(mix: list[tuple[str, str]], per_group: int, seed: int) -> list[tuple[str, str]]:
    """Up to `per_group` addresses of each kind and number held, no two asking the same question, shuffled."""
    taken: dict[tuple[str, int], int] = {}
    questions: set[str] = set()
    sample = []
    for kind, path in mix:
        group = (kind, path.count("held="))
        asked = path.split("?", 1)[1]
        if taken.get(group, 0) < per_group and asked not in questions:
            taken[group] = taken.get(group, 0) + 1
            questions.add(asked)
            sample.append((kind, path))
    random.Random(f"fresh-{seed}").shuffle(sample)
    return sample


def targets_sample(order: list[str], count: int, seed: int) -> list[str]:
    if count >= len(order):
        return list(order)
    return random.Random(f"routes-{seed}").sample(order, count)


def matrix_addresses() -> list[str]:
    """/matrix/ and two earlier days' matrices: three distinct addresses, each rendered afresh."""
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    return ["/matrix/", *[f"/matrix/?on={today - timedelta(days=d)}" for d in (1, 2)]]


def rebuild_addresses(order: list[str], count: int = 60) -> list[tuple[str, str]]:
    """Distinct cheap answers: an API lookup for one certificate, in some region. (After a change every worker
    renders every answer afresh: those it kept were for the data version before.)"""
    regions = ["", "11", "31", "44", "65", "66", "12", "32", "50", "51"]
    return [address("api", query([slug], region)) for region in regions for slug in order][:count]


def describe_load(world: dict) -> list[str]:
    counts = world["counts"]
    slowest = sorted(((s, n) for n, s in world["timings"].items() if n.endswith(".json")), reverse=True)[:3]
    return [
        f"world:    {world['manifest']['world']} (tools/world.py, seed {world['manifest']['seed']}): "
        f"{counts['notices']} notices, {counts['certificates']} certificates, {counts['rules']} rules, "
        f"{counts['levels']} level equivalences; {world['manifest']['counts']['replacements']} provincial rows "
        f"replace {world['manifest']['counts']['replaced rules']} national rules",
        f"          loaded with manage.py load_notice in {world['load_seconds']:.1f} s "
        f"({len(world['timings']) - 1} packages after migrate and fixtures "
        f"{world['timings']['migrate and fixtures']:.1f} s; slowest "
        + ", ".join(f"{name} {seconds:.1f} s" for seconds, name in slowest)
        + f"); the rule book then read in {world['book_build_ms']:.0f} ms in-process",
    ]
