"""A fixed-rate (open-loop) HTTP load generator whose requests rotate through a
list: ``python -m bench.fixed_rate SPEC.json`` prints one JSON summary.

hey keeps a fixed rate but sends one body; wrk sends many bodies but is a closed
loop. The quote needs both (64 different requests, each with its customer's
token), so this runs the schedule itself: request *i* is due at ``start + i/rate``
whatever happened to the earlier ones, and its latency is counted from that due
time, not from when a connection was free to send it. When the server falls
behind, requests wait for one of the ``connections`` keep-alive connections and
the wait is part of their latency: the figure a user would see, with no
coordinated omission. Runs as its own process so that its CPU is the load
generator's, as wrk's and hey's are.

SPEC: ``{"url", "rate", "duration", "connections", "timeout",
"requests": [{"method", "headers", "body"}...]}``.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import time
from collections import Counter
from typing import Any

import aiohttp


def percentile(sorted_ms: list[float], p: float) -> float | None:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_ms:
        return None
    rank = max(1, math.ceil(p / 100 * len(sorted_ms)))
    return sorted_ms[rank - 1]


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    url: str = spec["url"]
    rate = float(spec["rate"])
    duration = float(spec["duration"])
    requests: list[dict[str, Any]] = spec["requests"]
    total = max(1, int(rate * duration))
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    lateness = 0.0  # how far behind its schedule the generator itself ran, worst case
    timeout = aiohttp.ClientTimeout(total=float(spec.get("timeout", 10.0)))
    connector = aiohttp.TCPConnector(limit=int(spec["connections"]))
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(due: float, req: dict[str, Any]) -> None:
            try:
                async with session.request(
                    req.get("method", "GET"), url, data=req.get("body"), headers=req["headers"]
                ) as resp:
                    await resp.read()
                    statuses[resp.status] += 1
                latencies.append((time.perf_counter() - due) * 1000)
            except (aiohttp.ClientError, TimeoutError) as exc:
                errors[type(exc).__name__] += 1

        tasks = []
        start = time.perf_counter() + 0.05
        for i in range(total):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                lateness = max(lateness, -delay)
            tasks.append(asyncio.create_task(one(due, requests[i % len(requests)])))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "asked_rate": rate,
        "sent": total,
        "answered": sum(statuses.values()),
        "seconds": elapsed,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": dict(errors),
        "mean_ms": sum(latencies) / len(latencies) if latencies else None,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "max_ms": latencies[-1] if latencies else None,
        "generator_late_ms": lateness * 1000,
    }


def main() -> None:
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    print(json.dumps(asyncio.run(run(spec))))


if __name__ == "__main__":
    main()
