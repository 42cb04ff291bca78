"""What a request costs around the SQL: GET /rpc/ping (``select 1``) with a real
customer token, closed loop (wrk), through

- PostgREST with the pre-request hook (``auth.check_request``),
- a second PostgREST over the same database without the hook,
- nginx in front of the first (limits, request id, access log),
- and no HTTP at all: ``select api.ping()`` by pgbench in prepared mode, the
  limit that HTTP can approach.

The variants of one run are interleaved (A, B, C, D, then D, C, B, A...), so a
noisy neighbour hits every side alike.
"""

from __future__ import annotations

from bench.model import Context, Measure, Plan, Ratio, Sample, Variant
from bench.tools import measured, pgbench, wrk, wrk_script
from bookiji.procs import ApiServer

PATH = "/rpc/ping"
HOOK = "PostgREST + hook"
NO_HOOK = "PostgREST, no hook"
NGINX = "nginx → PostgREST + hook"
DIRECT = "direct SQL (pgbench -M prepared)"
SQL = "select api.ping();\n"
HOOK_TARGET = 0.90


class Overhead:
    name = "overhead"
    title = "GET /rpc/ping: PostgREST ± request hook, via nginx, and the same SQL without HTTP"

    def plan(self, ctx: Context) -> Plan:
        env = ctx.env
        api, bare = env.api, env.api_without_hook
        script = wrk_script(headers=env.auth_headers)

        def http(server: ApiServer, url: str, c: int, *, nginx: bool = False) -> Measure:
            def measure(duration: float) -> Sample:
                return measured(
                    env.probes(server, nginx=nginx),
                    lambda: wrk(url + PATH, connections=c, duration=duration, script=script),
                )

            return measure

        variants: list[Variant] = []
        ratios: list[Ratio] = []
        for c in ctx.options.concurrency:

            def direct(duration: float, c: int = c) -> Sample:
                return measured(
                    env.probes(),
                    lambda: pgbench(env.db_url, clients=c, duration=duration, script=SQL),
                )

            variants += [
                Variant(HOOK, c, http(api, api.postgrest_url, c)),
                Variant(NO_HOOK, c, http(bare, bare.postgrest_url, c)),
                Variant(NGINX, c, http(api, api.url, c, nginx=True)),
                Variant(DIRECT, c, direct, unit="tx/s"),
            ]
            ratios += [
                Ratio("hook ÷ no hook", (HOOK, c), (NO_HOOK, c), HOOK_TARGET),
                Ratio("PostgREST ÷ direct SQL", (HOOK, c), (DIRECT, c)),
                Ratio("nginx ÷ PostgREST", (NGINX, c), (HOOK, c)),
            ]
        return Plan(variants, ratios)
