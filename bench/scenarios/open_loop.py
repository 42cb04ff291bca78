"""Latency at a fixed request rate: GET /rpc/ping through nginx at 50% and 80% of
the maximum throughput that the closed-loop ``overhead`` scenario measured (or,
when it did not run, that a short wrk run measures here).

A closed loop measures capacity; users arrive whether or not the last answer came
back, so latency at a realistic load needs a fixed rate. hey's ``-q`` is per
worker: the total rate is divided among the workers. hey's workers start
together and tick in step, so each tick is a burst of one request per worker:
the workers are as few as keep each one's interval at ``INTERVAL_MS`` or more
(a burst of 10 at 300/s measured p50 5 ms where 3 workers measured 2 ms). A
worker whose answer comes later than its next tick skips it: compare the rate
asked with the rate achieved.
"""

from __future__ import annotations

import math

from bench.model import Context, Plan, Sample, Variant
from bench.scenarios.overhead import NGINX, PATH
from bench.tools import hey, measured, wrk, wrk_script

LOADS = (0.5, 0.8)
INTERVAL_MS = 3.0  # each worker sends at most one request per 3 ms


def workers_for(rate: float) -> int:
    return max(2, math.ceil(rate * INTERVAL_MS / 1000))


class OpenLoop:
    name = "open-loop"
    title = "GET /rpc/ping via nginx at a fixed rate (hey): 50% and 80% of the measured maximum"

    def plan(self, ctx: Context) -> Plan:
        env = ctx.env
        api = env.api
        c = max(ctx.options.concurrency)
        earlier = ctx.find("overhead", NGINX)
        if earlier:
            peak = max(r.throughput for r in earlier)
            source = "from the overhead scenario"
        else:
            script = wrk_script(headers=env.auth_headers)
            peak = wrk(
                api.url + PATH,
                connections=c,
                duration=min(3.0, ctx.options.duration),
                script=script,
            ).throughput
            source = "a short wrk run here"
        variants = []
        for load in LOADS:
            rate = peak * load
            workers = workers_for(rate)

            def measure(duration: float, rate: float = rate, workers: int = workers) -> Sample:
                sample = measured(
                    env.probes(api, nginx=True),
                    lambda: hey(
                        api.url + PATH,
                        rate=rate,
                        workers=workers,
                        duration=duration,
                        headers=env.auth_headers,
                    ),
                )
                sample.extra["asked_rate"] = rate
                return sample

            variants.append(
                Variant(
                    f"{load:.0%} of max: {rate:.0f}/s asked",
                    workers,
                    measure,
                    note=f"max {peak:.0f} req/s ({source})",
                    series="nginx → PostgREST + hook, fixed rate",
                    label=f"{load:.0%}, {workers} workers",
                )
            )
        return Plan(variants)
