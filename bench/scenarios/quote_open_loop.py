"""POST /rpc/quote at a fixed rate: 50% and 80% of the maximum that the ``quote``
scenario measured for each size (or, when it did not run, that a short wrk run
measures here), with the same 64 requests and tokens.

The closed loop (wrk) measures capacity, and its p99 is flattered: a connection
waiting for a slow answer sends nothing meanwhile. Users do not wait for each
other, so the p99 that the target speaks of is taken at a fixed rate by
:mod:`bench.fixed_rate`, whose latency counts from when each request was due.
Targets: p99 under 25 ms at 100k providers at 80% of the maximum; stretch, under
10 ms at 1M.
"""

from __future__ import annotations

from bench.model import Context, Plan, Sample, Variant
from bench.scenarios.quote import PATH, Dataset, dataset, http_name
from bench.tools import fixed_rate, measured, wrk

LOADS = (0.5, 0.8)
CONNECTIONS = 32  # enough that a backlog waits on the server, not on the generator
P99_TARGET_MS = {100_000: 25.0, 1_000_000: 10.0}  # at 80% of the maximum


class QuoteOpenLoop:
    name = "quote-open-loop"
    title = "POST /rpc/quote at a fixed rate (50% and 80% of the measured maximum), per size"

    def plan(self, ctx: Context) -> Plan:
        env = ctx.env
        variants: list[Variant] = []
        for size in ctx.options.sizes:
            d = dataset(ctx, size)
            earlier = ctx.find("quote", http_name(size))
            if earlier:
                peak = max(r.throughput for r in earlier)
                source = "from the quote scenario"
            else:
                peak = wrk(
                    d.api.url + PATH,
                    connections=max(ctx.options.concurrency),
                    duration=min(3.0, ctx.options.duration),
                    script=d.wrk_script(),
                ).throughput
                source = "a short wrk run here"
            for load in LOADS:
                rate = max(1.0, peak * load)

                def measure(duration: float, rate: float = rate, d: Dataset = d) -> Sample:
                    return measured(
                        env.probes(d.api, nginx=True),
                        lambda: fixed_rate(
                            d.api.url + PATH,
                            rate=rate,
                            duration=duration,
                            connections=CONNECTIONS,
                            requests=d.http_requests(),
                        ),
                    )

                variants.append(
                    Variant(
                        f"quote {size:,} at {load:.0%} of max: {rate:.0f}/s asked",
                        CONNECTIONS,
                        measure,
                        note=f"max {peak:.0f} req/s ({source})",
                        series=f"quote {size:,}, fixed rate",
                        label=f"{load:.0%}",
                        p99_target_ms=P99_TARGET_MS.get(size) if load == max(LOADS) else None,
                    )
                )
        return Plan(variants)
