"""POST /rpc/login: what a password check costs (bcrypt, cost 10, in SQL).

Closed loop through nginx, the accounts taken in turn (api.login serialises the
attempts of one email). One client address (every request comes from 127.0.0.1)
against many: the anonymous write counter of the request hook is one row per
address and minute, locked until the login's transaction ends.
"""

from __future__ import annotations

import json

from bench.env import PASSWORD
from bench.model import Context, Plan, Ratio, Sample, Variant
from bench.tools import measured, wrk, wrk_script

PATH = "/rpc/login"
ONE = "nginx, one client address"
MANY = "PostgREST, an address per account"
MAX_DURATION = 5.0  # bcrypt-bound: tens a second, a few seconds are enough


class Login:
    name = "login"
    title = "POST /rpc/login (bcrypt cost 10): one client address against many"

    def plan(self, ctx: Context) -> Plan:
        env = ctx.env
        api = env.api
        bodies = [json.dumps({"email": a.email, "password": PASSWORD}) for a in env.accounts]
        headers = {"Content-Type": "application/json"}
        one = wrk_script("POST", headers, bodies=bodies)
        # without nginx, PostgREST passes the client's X-Real-IP on: one per account
        many = wrk_script(
            "POST",
            headers,
            bodies=bodies,
            header_sets=[{"X-Real-IP": f"127.0.1.{i + 1}"} for i in range(len(bodies))],
        )
        top = min(4, max(ctx.options.concurrency))
        variants = []
        for c in sorted({1, top}):
            for name, url, script, nginx in (
                (ONE, api.url, one, True),
                (MANY, api.postgrest_url, many, False),
            ):

                def measure(
                    duration: float,
                    url: str = url,
                    script: str = script,
                    nginx: bool = nginx,
                    c: int = c,
                ) -> Sample:
                    return measured(
                        env.probes(api, nginx=nginx),
                        lambda: wrk(
                            url + PATH,
                            connections=c,
                            duration=duration,
                            script=script,
                            timeout_s=10,
                        ),
                    )

                variants.append(Variant(name, c, measure, unit="logins/s"))
        ratios = [Ratio("many addresses ÷ one", (MANY, top), (ONE, top))]
        return Plan(variants, ratios, max_duration=MAX_DURATION)
