"""The catalog cache's hit path (docs/operations.md, "Caching"): one anonymous page of
the public catalog (50 haircut services) on the smallest ``--sizes`` dataset, closed
loop (wrk), through

- nginx with the catalog cache, warm (every request a hit: nginx reads the answer from
  its cache, njs reads the read router's state and hashes the body for the ETag),
- nginx → PostgREST without the cache (the same gateway path, then PostgREST and
  PostgreSQL),
- PostgREST itself, no nginx.

No target: the ratios say what a hit saves on this machine.
"""

from __future__ import annotations

import urllib.request

from bench.model import Context, Plan, Ratio, Sample, Variant
from bench.tools import measured, wrk, wrk_script
from bookiji.procs import ApiServer

PATH = "/services?select=id,name,price_cents,provider_id&category=eq.haircut&order=id&limit=50"
HIT = "nginx cache hit"
NGINX = "nginx → PostgREST, no cache"
DIRECT = "PostgREST direct"


class Cache:
    name = "cache"
    title = "An anonymous catalog page: nginx's cache hit vs nginx → PostgREST vs PostgREST"

    def plan(self, ctx: Context) -> Plan:
        env = ctx.env
        url = env.dataset(min(ctx.options.sizes))
        cached = env.cached_api(url)
        plain = env.api_variant(url, pooled=False)
        script = wrk_script()
        with urllib.request.urlopen(cached.url + PATH, timeout=30) as warm:  # noqa: S310
            assert warm.status == 200  # the first answer stored: every request a hit
        variants: list[Variant] = []
        ratios: list[Ratio] = []
        for c in ctx.options.concurrency:
            for name, api, target, nginx in (
                (HIT, cached, cached.url, True),
                (NGINX, plain, plain.url, True),
                (DIRECT, plain, plain.postgrest_url, False),
            ):

                def measure(
                    duration: float,
                    c: int = c,
                    a: ApiServer = api,
                    t: str = target,
                    n: bool = nginx,
                ) -> Sample:
                    return measured(
                        env.probes(a, nginx=n),
                        lambda: wrk(t + PATH, connections=c, duration=duration, script=script),
                    )

                variants.append(Variant(name, c, measure, series=name))
            ratios += [
                Ratio(f"cache hit ÷ nginx → PostgREST, c={c}", (HIT, c), (NGINX, c)),
                Ratio(f"cache hit ÷ PostgREST direct, c={c}", (HIT, c), (DIRECT, c)),
            ]
        return Plan(variants, ratios)
