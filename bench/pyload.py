"""A small HTTP/1.1 load generator, for machines without wrk.

Keeps `connections` connections busy for `duration` seconds, reconnecting when
the server closes one, and counts like bench/check.lua: only a 200 whose body
holds the marker is an answer. Slower than wrk (it is Python), so on a small
machine it takes more of the CPU from the server; compare ratios, not totals.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from urllib.parse import urlsplit


class Closed(Exception):
    pass


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        raise Closed from error
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    close = headers.get("connection", "").lower() == "close"
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunks.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        body = b"".join(chunk[:-2] for chunk in chunks)
    else:
        body = await reader.read()
        close = True
    return status, body, close


async def load(url: str, marker: str, connections: int, duration: float, timeout: float = 2.0) -> dict:
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or 80
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    request = f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n".encode()
    expected = marker.encode()
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    counts: Counter[str] = Counter()
    started = loop.time()
    deadline = started + duration

    async def client() -> None:
        reader = writer = None
        while loop.time() < deadline:
            try:
                if writer is None:
                    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
                begin = time.perf_counter()
                writer.write(request)
                status, body, close = await asyncio.wait_for(read_response(reader), timeout)
                latencies.append(time.perf_counter() - begin)
                counts["good" if status == 200 and expected in body else "bad"] += 1
            except asyncio.TimeoutError:
                counts["timeout"] += 1
                close = True
            except (Closed, ConnectionError, OSError):
                counts["read" if writer is not None else "connect"] += 1
                close = True
            if close and writer is not None:
                writer.close()
                writer = None

    await asyncio.gather(*(client() for _ in range(connections)))
    elapsed = loop.time() - started
    latencies.sort()

    def percentile(p: float) -> int:
        if not latencies:
            return 0
        return int(latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] * 1e6)

    return {
        "requests": len(latencies),
        "duration_us": int(elapsed * 1e6),
        "good": counts["good"],
        "bad": counts["bad"],
        "connect": counts["connect"],
        "read": counts["read"],
        "write": 0,
        "timeout": counts["timeout"],
        "p50_us": percentile(50),
        "p99_us": percentile(99),
        "max_us": int(latencies[-1] * 1e6) if latencies else 0,
    }


def run(url: str, marker: str, connections: int, duration: float) -> dict:
    return asyncio.run(load(url, marker, connections, duration))
