"""The request hook's SQL alone, without HTTP or PostgREST's own CPU.

pgbench replays the transaction PostgREST runs for GET /rpc/ping with a customer
token (read-only, role and request settings, the call, commit), with and without
``select auth.check_request()``: the difference is what the hook costs the
database, which the ``overhead`` scenario's hook ÷ no-hook ratio includes along
with the extra round trip.
"""

from __future__ import annotations

import json

import jwt

from bench.model import Context, Plan, Ratio, Sample, Variant
from bench.tools import measured, pgbench

WITHOUT = "transaction, no hook"
WITH = "transaction + auth.check_request()"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def transaction(claims: dict[str, object], *, hook: bool) -> str:
    headers = {
        "host": "127.0.0.1",
        "user-agent": "wrk",
        "authorization": "Bearer <token>",
    }
    settings = {
        "role": "customer",
        "request.jwt.claims": json.dumps(claims),
        "request.method": "GET",
        "request.path": "/rpc/ping",
        "request.headers": json.dumps(headers),
        "request.cookies": "{}",
    }
    set_all = ", ".join(
        f"pg_catalog.set_config({_literal(k)}, {_literal(v)}, true)" for k, v in settings.items()
    )
    lines = ["begin isolation level read committed read only;", f"select {set_all};"]
    if hook:
        lines.append("select auth.check_request();")
    lines += ["select api.ping();", "commit;"]
    return "\n".join(lines) + "\n"


class HookSql:
    name = "hook-sql"
    title = (
        "the request hook's SQL alone: PostgREST's transaction by pgbench, ± auth.check_request()"
    )

    def plan(self, ctx: Context) -> Plan:
        env = ctx.env
        claims: dict[str, object] = jwt.decode(env.token, options={"verify_signature": False})
        c = min(ctx.options.concurrency)
        variants = []
        for name, hook in ((WITHOUT, False), (WITH, True)):
            script = transaction(claims, hook=hook)

            def measure(duration: float, script: str = script) -> Sample:
                return measured(
                    env.probes(),
                    lambda: pgbench(env.db_url, clients=c, duration=duration, script=script),
                )

            variants.append(Variant(name, c, measure, unit="tx/s"))
        return Plan(variants, [Ratio("with hook ÷ without", (WITH, c), (WITHOUT, c))])
