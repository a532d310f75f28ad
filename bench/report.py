"""The report `make bench` prints and writes: the machine, the wrk rows, the answers asked afresh, the targets."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess

from bench import fresh, worlds

BARE = "bare Django view"
TARGET_MIX_RATIO = {"sqlite3": 0.8, "postgresql": 0.7}  # the mix at 32 connections vs the bare view, today
TARGET_P99_MS = 25  # the mix at 4 connections
TARGET_FRESH_MEDIAN_MS = 5  # an answer rendered afresh, all kinds together (issue 11)
TARGET_RSS_MB = 160  # each worker after the mix: ~75 MB of code and rules, PUBLIC_PAGE_CACHE_MB (32), QR codes
KIND_NAMES = {"page": "results page", "htmx": "HTMX fragment", "api": "API lookup"}


def errors(result: dict) -> int:
    return result["bad"] + result["connect"] + result["read"] + result["write"] + result["timeout"]


def rate(result: dict) -> float:
    return result["good"] / (result["duration_us"] / 1e6)


def header(ctx: dict) -> list[str]:
    args, env, world = ctx["args"], ctx["env"], ctx["plan"]["world"]
    version = subprocess.run([ctx["wrk"], "--version"], capture_output=True, text=True)
    wrk_version = (version.stdout + version.stderr).strip().splitlines()[0].split(" Copyright")[0]
    import gunicorn as gunicorn_package

    budget = env.get("PUBLIC_PAGE_CACHE_MB", "32 (default)")
    interval = env.get("RULES_VERSION_CHECK_INTERVAL", "1 (default)")
    lines = [
        f"make bench: {ctx['started']:%Y-%m-%d %H:%M} UTC",
        f"command:  {ctx['command']}",
        f"commit:   {ctx['commit']}"
        + (
            " WITH UNCOMMITTED CHANGES in the work tree: not a figure of that commit"
            if ctx["dirty"]
            else " (clean tree)"
        ),
        f"cores:    {os.cpu_count()} ({platform.machine()}, Python {platform.python_version()})",
        f"servers:  gunicorn {gunicorn_package.__version__}, {ctx['workers']} workers each (gunicorn.conf.py); "
        f"the site with production settings (debug off), database {ctx['database']}, PUBLIC_PAGE_CACHE_MB={budget}, "
        f"RULES_VERSION_CHECK_INTERVAL={interval}, "
        + (f"CACHE_URL={env['CACHE_URL'].split('@')[-1]} (answers shared)" if env.get("CACHE_URL") else "no CACHE_URL"),
        "          bare = bench/bare.py (SecurityMiddleware + CommonMiddleware); "
        "Django, 7 middleware = bench/baseline.py",
        f"load:     {wrk_version} on the same machine, {args.duration:g} s per row after {args.warmup:g} s of "
        f"warm-up ({args.mix_warmup:g} s before the mix is first measured), {args.rounds} rounds: each figure "
        "is the median over the rounds, each ratio over the rounds' ratios to the bare view measured right "
        f"before and after; wrk gives up on a request after {args.wrk_timeout:g} s",
        f"machine:  {ctx['busy_before']:.0f}% CPU busy just before the run; load average "
        f"{' '.join(f'{x:.2f}' for x in ctx['load_before'])} before, "
        f"{' '.join(f'{x:.2f}' for x in ctx['load_after'])} after",
    ]
    if world:
        lines += worlds.describe_load(world)
    if args.note:
        lines.append(f"note:     {args.note}")
    return lines


def describe_mix(ctx: dict) -> list[str]:
    plan = ctx["plan"]
    if not plan["world"]:
        return [
            f"the mix: {len(plan['mix'])} distinct answers (63 combinations × regions none, 11, 31, 44, 65, 66 × page, "
            "HTMX fragment, API lookup), cycled through;",
            *mix_clients(plan),
        ]
    regions = ", ".join(code or "none" for code in plan["regions"])
    provinces = set(plan["world"]["manifest"]["provinces"])
    own = ", ".join(code for code in plan["regions"] if code in provinces)
    return [
        f"the mix: {len(plan['mix'])} distinct addresses drawn from seed {ctx['args'].seed}, a third each holding 1, 3 "
        f"and 10 of the {len(plan['order'])} certificates, in regions {regions} (with a notice of their own: {own}), "
        "as page, HTMX fragment and API lookup in turn; cycled through;",
        *mix_clients(plan),
    ]


def mix_clients(plan: dict) -> list[str]:
    return [
        "asked as browsers and most HTTP libraries ask (Accept-Encoding: gzip: a kept answer is sent as kept), and",
        'as a plain client that takes no gzip ("plain client": every kept answer unpacked before it is sent);',
        f"one repeated page: {plan['repeated']} over and over, gzip accepted: the answer cache's figure, "
        "not the site's",
    ]


def wrk_table(ctx: dict, checks: list) -> list[str]:
    rows, database = ctx["rows"], ctx["database"]
    target = worlds.TARGETS[ctx["args"].world or "today"]["mix"] or TARGET_MIX_RATIO.get(database, 0.7)
    lines = [
        f"{'conns':>5}  {'what':<22} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} {'5xx':>5} {'× bare':>7}"
    ]
    for connections in ctx["concurrencies"]:
        block = [(round_, label, result) for c, round_, label, result in rows if c == connections]
        bares = {round_: rate(result) for round_, label, result in block if label == BARE}
        per_round_mix = []
        for label in dict.fromkeys(label for _, label, _ in block):
            measured = [(round_, result) for round_, lbl, result in block if lbl == label]
            # A round whose bare view answered nothing gives no ratio (it is shown as 0 req/s below), not a crash
            # that loses the whole run's figures.
            ratios = [rate(result) * 2 / (bares[round_] + bares[round_ + 1]) for round_, result in measured
                      if label != BARE and bares[round_] + bares[round_ + 1] > 0]  # fmt: skip
            ratio = statistics.median(ratios) if ratios else (1.0 if label == BARE else float("nan"))
            median = {key: statistics.median(result[key] for _, result in measured) for key in ("p50_us", "p99_us")}
            server = sum(r.get("server_errors", 0) for _, r in measured)
            lines.append(
                f"{connections:>5}  {label:<22} {statistics.median(rate(r) for _, r in measured):>8.0f} "
                f"{median['p50_us'] / 1000:>7.1f} {median['p99_us'] / 1000:>7.1f} "
                f"{sum(errors(r) for _, r in measured):>6} {server:>5} {ratio:>7.2f}"
            )
            if label != "the mix":
                continue
            per_round_mix = ratios
            if connections >= 32:
                checks.append((f"the mix at {connections} connections: {ratio:.2f} × bare ≥ {target}", ratio >= target))
            if connections <= 4 and not ctx["args"].world:
                p99 = median["p99_us"] / 1000
                checks.append((f"the mix at {connections} connections: p99 {p99:.1f} ms < {TARGET_P99_MS} ms",
                               p99 < TARGET_P99_MS))  # fmt: skip
        lines.append(
            f"{'':>5}  (bare view, in order: {', '.join(f'{b:.0f}' for b in bares.values())} req/s; the mix's ratio "
            f"round by round: {', '.join(f'{r:.2f}' for r in per_round_mix)})"
        )
    return lines


def fresh_today(measured: dict, checks: list) -> tuple[list[str], dict]:
    asked = measured["fresh"]
    combined = fresh.summary(asked)
    lines = [
        "answers rendered afresh (one request at a time, new connection each, timed by the client):",
        fresh.line("all kinds together, every address", combined) + "  (the figure of earlier reports)",
        fresh.line("  after a data change, all kinds", fresh.summary(measured["after change"])),
        fresh.line("bare view, same client", fresh.summary(measured["bare"])),
        " each kind, only addresses whose question no earlier request had asked (what a plain client sees):",
    ]
    for kind, name in KIND_NAMES.items():
        lines.append(fresh.line(name, fresh.summary([a for a in asked if a.kind == kind and a.first])))
    page3 = fresh.summary([a for a in asked if a.kind == "page" and a.first and a.held == 3])
    lines.append(fresh.line("results page, 3 held", page3))
    if measured.get("qr"):
        lines.append(fresh.line("a page's QR code image, each once", fresh.summary(measured["qr"])))
    lines.append(" each kind, every address (a worker may reuse what it kept for another kind of the same question):")
    for kind, name in KIND_NAMES.items():
        lines.append(fresh.line(name, fresh.summary([a for a in asked if a.kind == kind])))
    checks.append((f"an answer rendered afresh, all kinds together: median {combined['p50_ms']:.1f} ms "
                   f"≤ {TARGET_FRESH_MEDIAN_MS} ms (earlier reports' figure)",
                   combined["p50_ms"] <= TARGET_FRESH_MEDIAN_MS))  # fmt: skip
    return lines, page3


def fresh_world(measured: dict) -> tuple[list[str], dict]:
    asked = measured["fresh"]
    lines = [
        "answers rendered afresh, right after start (each address once, no two asking the same question; one request",
        "at a time, new connection each, timed by the client):",
    ]
    for kind, name in KIND_NAMES.items():
        for held in worlds.SIZES:
            group = [a for a in asked if a.kind == kind and a.held == held]
            lines.append(fresh.line(f"{name}, {held} held", fresh.summary(group)))
    if measured.get("qr"):
        lines.append(fresh.line("a page's QR code image, each once", fresh.summary(measured["qr"])))
    lines.append(fresh.line("bare view, same client", fresh.summary(measured["bare"])))
    page3 = fresh.summary([a for a in asked if a.kind == "page" and a.held == 3])
    return lines, page3


def pages(measured: dict) -> tuple[list[str], dict]:
    routes = fresh.summary(measured["routes"])
    lines = [
        "routes page (/routes/?target=…), each address once, asked after the mix (it may outlast a worker's timeout):",
        fresh.line("routes page", routes),
        "  "
        + "; ".join(
            f"{a.path.split('=', 1)[1]} {a.ms:.0f} ms {a.size / 1024:.0f} KB {a.status or 'no answer'}"
            for a in measured["routes"]
        ),  # fmt: skip
        "the matrix (/matrix/ and the two days before: three addresses, each once):",
        fresh.line("matrix", fresh.summary(measured["matrix"])),
    ]
    return lines, routes


def rebuild(measured: dict) -> tuple[list[str], float]:
    found = measured["rebuild"]
    firsts = []
    lines = [f"first answer of each worker after one rule is saved ({found['saved']}; an API lookup for one "
             "certificate, client's time, the server's in brackets):"]  # fmt: skip
    for pid, asked in found["per_worker"].items():
        if not asked:
            lines.append(f"  worker {pid}: answered nothing in {sum(map(len, found['per_worker'].values()))} requests")
            continue
        (first, first_us), later = asked[0], asked[1:]
        firsts.append(first.ms)
        then = statistics.median(a.ms for a, _ in later) if later else float("nan")
        server = f"{first_us / 1000:.1f} ms" if first_us is not None else "?"
        lines.append(f"  worker {pid}: first {first.ms:7.1f} ms ({server}), status {first.status}; "
                     f"its next answers {then:.1f} ms")  # fmt: skip
    median = statistics.median(firsts) if firsts else float("nan")
    lines.append(f"  median over workers {median:.1f} ms, slowest {max(firsts, default=float('nan')):.1f} ms")
    return lines, median


def memory_lines(memory: dict, checks: list) -> list[str]:
    lines = ["memory per worker after the load (RSS counts pages shared with the master; PSS shares them out):"]
    for name, values in memory.items():
        rss = ", ".join(f"{r:.0f}" for r, _ in values)
        pss = ", ".join(f"{p:.0f}" for _, p in values)
        lines.append(f"  {name:<5} RSS {rss} MB; PSS {pss} MB")
    site_rss = max((r for r, _ in memory.get("site", [])), default=0)
    checks.append((f"memory: largest worker RSS {site_rss:.0f} MB ≤ {TARGET_RSS_MB} MB", site_rss <= TARGET_RSS_MB))
    return lines


def format_report(**ctx) -> str:
    measured, args = ctx["measured"], ctx["args"]
    targets = worlds.TARGETS[args.world or "today"]
    checks: list[tuple[str, bool]] = []
    lines = [*header(ctx), "", *describe_mix(ctx), "", *wrk_table(ctx, checks), ""]
    answers, page3 = fresh_world(measured) if args.world else fresh_today(measured, checks)
    routes_lines, routes = pages(measured)
    rebuild_lines, first_ms = rebuild(measured)
    lines += [*answers, "", *routes_lines, "", *rebuild_lines, "", *memory_lines(ctx["memory"], checks)]
    checks += [
        (f"results page, 3 held, fresh, as a plain client sees it: median {page3['p50_ms']:.1f} ms "
         f"≤ {targets['page3_ms']} ms", page3["p50_ms"] <= targets["page3_ms"]),
        (f"routes page, fresh: median {routes['p50_ms']:.1f} ms ≤ {targets['routes_ms']} ms",
         routes["p50_ms"] <= targets["routes_ms"]),
        (f"first answer after one rule is saved: median over workers {first_ms:.1f} ms ≤ {targets['rebuild_ms']} ms",
         first_ms <= targets["rebuild_ms"]),
    ]  # fmt: skip
    asked = [a for key in ("fresh", "qr", "after change", "bare", "matrix", "routes") for a in measured.get(key, [])]
    asked += [a for worker in measured["rebuild"]["per_worker"].values() for a, _ in worker]
    server = sum((a.status or 0) >= 500 for a in asked) + sum(r.get("server_errors", 0) for *_, r in ctx["rows"])
    total_errors = sum(errors(result) for *_, result in ctx["rows"]) + sum(not a.good for a in asked)
    total = sum(result["requests"] for *_, result in ctx["rows"]) + len(asked)
    redirects = sum(a.status in (301, 302) for a in measured["fresh"])
    checks.append((f"5xx: {server} in {total} requests", server == 0))
    checks.append((f"errors (anything but a 200 with its marker, timeouts too): {total_errors}", total_errors == 0))
    checks.append(
        (f"canonical addresses: {redirects} of {len(measured['fresh'])} asked afresh redirected", not redirects)
    )
    lines += ["", f"targets ({ctx['database']}, {args.world or 'today'}'s world, 2 cores):"]
    lines += [f"  {'met   ' if ok else 'MISSED'} {text}" for text, ok in checks]
    return "\n".join(lines) + "\n"
