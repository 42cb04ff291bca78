"""PgBouncer and several PostgREST, in one run, on the smallest ``--sizes`` dataset:

- the quote (the same 64 requests and tokens as the ``quote`` scenario) and the
  confirm (distinct slots, offers made beforehand as in the ``confirm`` scenario,
  as many per sample as 1.6 times the fastest sample so far would use, at least
  1,500: the dataset's free slots run out otherwise)
  through nginx → PostgREST → PostgreSQL directly, and through nginx → PostgREST →
  PgBouncer (transaction mode, ``db-prepared-statements = false``) → PostgreSQL;
- the quote through nginx → one PostgREST vs two PostgREST (both through PgBouncer,
  as `make up` runs them; `bookiji up --scale api=2`).

The ratios have no targets: on a machine whose cores the client, nginx, PostgREST
and PostgreSQL share, a second PostgREST adds little; the figures say how little
(docs/performance.md).
"""

from __future__ import annotations

import json

from bench.model import Context, Plan, Ratio, Sample, Variant
from bench.scenarios import confirm as cf
from bench.scenarios import quote as qt
from bench.tools import measured, wrk, wrk_script
from bookiji.procs import ApiServer

QUOTE_DIRECT = "quote, PostgREST direct"
QUOTE_POOLED = "quote, PostgREST → PgBouncer"
QUOTE_TWO = "quote, 2 PostgREST → PgBouncer"
CONFIRM_DIRECT = "confirm, PostgREST direct"
CONFIRM_POOLED = "confirm, PostgREST → PgBouncer"


class Pooling:
    name = "pooling"
    title = "PgBouncer vs direct (quote, confirm) and 1 vs 2 PostgREST (quote), through nginx"

    def plan(self, ctx: Context) -> Plan:
        env = ctx.env
        size = min(ctx.options.sizes)
        d = qt.dataset(ctx, size)
        apis = {
            QUOTE_DIRECT: env.api_variant(d.url, pooled=False),
            QUOTE_POOLED: env.api_variant(d.url, pooled=True),
            QUOTE_TWO: env.api_variant(d.url, pooled=True, replicas=2),
        }
        script = d.wrk_script()
        variants: list[Variant] = []
        ratios: list[Ratio] = []
        for c in ctx.options.concurrency:
            for name, api in apis.items():

                def quote(duration: float, c: int = c, a: ApiServer = api) -> Sample:
                    return measured(
                        env.probes(a, nginx=True),
                        lambda: wrk(
                            a.url + qt.PATH, connections=c, duration=duration, script=script
                        ),
                    )

                variants.append(Variant(name, c, quote, series=name))
            ratios += [
                Ratio(f"quote: PgBouncer ÷ direct, c={c}", (QUOTE_POOLED, c), (QUOTE_DIRECT, c)),
                Ratio(f"quote: 2 PostgREST ÷ 1, c={c}", (QUOTE_TWO, c), (QUOTE_POOLED, c)),
            ]

        # the confirm, on offers made beforehand (bench/scenarios/confirm.py)
        cf.lift_hold_limit(d.url)
        accounts = env.accounts_of(d.url)
        tokens, claims = cf._claims(env, accounts)
        offers = cf._Offers(d.url, claims)
        c = min(ctx.options.concurrency)
        fastest = [0.0]  # confirms a second, the best sample so far: offers are finite
        for name, api in (
            (CONFIRM_DIRECT, apis[QUOTE_DIRECT]),
            (CONFIRM_POOLED, apis[QUOTE_POOLED]),
        ):

            def confirm(duration: float, a: ApiServer = api) -> Sample:
                batch = offers.take(max(cf.PER_SAMPLE, int(cf.HEADROOM * fastest[0] * duration)))
                cf.sweep(d.url, [acc.id for acc in accounts])
                body = wrk_script(
                    method="POST",
                    headers={"Content-Type": "application/json"},
                    bodies=[json.dumps({"quote_id": q, "provider_id": p}) for _, q, p in batch],
                    header_sets=[{"Authorization": f"Bearer {tokens[w]}"} for w, _, _ in batch],
                )
                sample = measured(
                    env.probes(a, nginx=True),
                    lambda: wrk(a.url + cf.PATH, connections=c, duration=duration, script=body),
                )
                sample.extra["offers_prepared"] = len(batch)
                fastest[0] = max(fastest[0], sample.throughput)
                return sample

            variants.append(Variant(name, c, confirm, series=name))
        ratios.append(
            Ratio(f"confirm: PgBouncer ÷ direct, c={c}", (CONFIRM_POOLED, c), (CONFIRM_DIRECT, c))
        )
        return Plan(variants, ratios)
