"""Analytics: each dashboard RPC through nginx → PostgREST, and what the rollups cost a confirm.

On every ``--sizes`` dataset (seeded providers and their next two weeks of bookings; the
bookings' rollups are rebuilt first, ``internal.analytics_rebuild_bookings``: the triggers
below touch nothing else, the offered days are the dataset's; variants ``... at N providers``
on all but the smallest):

- **dashboards**: GET /rpc/analytics_overview, analytics_revenue (ops, every provider),
  analytics_provider (the provider with the most bookings, its own figures and
  percentiles), analytics_funnel, analytics_cohorts and analytics_customers (ops), analytics_performance (the
  provider's own, and ops' first page of 100 providers), analytics_areas, analytics_refunds and
  analytics_today (ops and the provider), analytics_bookings (ops: the first page of 100 of
  every booking of the 31 days, whose total comes from the rollups, and of those with
  captured money; and the provider's first page of its own), over the next 31 days (the
  funnel and the cohorts: the last 31 days), closed loop with each role's token. Target p99
  < 50 ms.
- **maintenance on confirm**: ``api.confirm_booking`` through pgbench (as the confirm
  scenario's direct variant) with the analytics triggers on, then off (ALTER TABLE ...
  DISABLE TRIGGER on bookings and payments, in the same run); the ratio on ÷ off is
  what keeping the rollups costs a confirm (target ≥ 0.90). The bookings' rollups are
  rebuilt after the run without them.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import psycopg

from bench.model import Context, Plan, Ratio, Sample, Variant
from bench.scenarios.confirm import (
    _claims,
    _Offers,
    compact,
    direct_sample,
    lift_hold_limit,
    make_pool,
    sweep,
)
from bench.tools import measured, wrk, wrk_script

ON = "confirm, rollups kept (pgbench)"
OFF = "confirm, rollups off (pgbench)"
PER_SAMPLE = 1500
TRIGGERS = [
    ("app.bookings", "_510_analytics_insert"),
    ("app.bookings", "_510_analytics_update"),
    ("app.bookings", "_510_analytics_cohort"),
    ("app.bookings", "_510_analytics_cohort_update"),
    ("app.bookings", "_510_analytics_first_insert"),
    ("app.bookings", "_510_analytics_first_delete"),
    ("app.bookings", "_510_analytics_first_update"),
    ("app.payments", "_510_analytics_insert"),
    ("app.payments", "_510_analytics_update"),
    # each quote's first booking (the funnel)
    ("app.bookings", "_520_analytics_funnel_insert"),
    ("app.bookings", "_520_analytics_funnel_delete"),
    ("app.bookings", "_520_analytics_funnel_update"),
    ("app.payments", "_520_analytics_funnel_insert"),
    ("app.payments", "_520_analytics_funnel_delete"),
    ("app.payments", "_520_analytics_funnel_update"),
]
OPS_EMAIL = "bench-ops@bookiji.test"


def _token(conn: psycopg.Connection[Any], user_id: Any) -> str:
    row = conn.execute("select auth.issue_session(%s) ->> 'access_token'", (user_id,)).fetchone()
    assert row is not None and row[0]
    return str(row[0])


def ops_user(conn: psycopg.Connection[Any]) -> Any:
    """The benchmark's ops account (made if missing): its user id."""
    row = conn.execute("select id from app.users where email = %s", (OPS_EMAIL,)).fetchone()
    if row is None:
        conn.execute(
            "select internal.create_ops_user(%s, %s, %s)",
            (OPS_EMAIL, "bench ops password 0123", "Bench Ops"),
        )
        row = conn.execute("select id from app.users where email = %s", (OPS_EMAIL,)).fetchone()
    assert row is not None
    return row[0]


def _tokens(url: str) -> tuple[str, str]:
    """An ops account's token, and the token of the busiest provider's owner."""
    with psycopg.connect(url, autocommit=True) as conn:
        ops = _token(conn, ops_user(conn))
        owner = conn.execute(
            "select p.owner_id from app.providers p join app.bookings b on b.provider_id = p.id "
            "group by p.owner_id order by count(*) desc limit 1"
        ).fetchone()
        assert owner is not None, "the dataset has no bookings"
        return ops, _token(conn, owner[0])


# the rollups a rebuild rewrites whole, vacuumed and analysed after it (see the plan)
VACUUM_ROLLUPS = (
    "vacuum (analyze) app.analytics_booking_facts, app.analytics_provider_hours, "
    "app.analytics_hours, app.analytics_days, app.analytics_customer_weeks, "
    "app.analytics_provider_places, app.analytics_customer_firsts, "
    "app.analytics_area_hours, app.analytics_area_days, app.analytics_area_weeks, "
    "app.analytics_offered_days, app.analytics_quote_bookings, "
    "app.analytics_created_hours, app.analytics_first_hours, "
    "app.analytics_provider_customers"
)


def _set_triggers(url: str, enabled: bool) -> bool:
    """Enable or disable the rollup triggers; whether one of them was disabled before (left so
    by a confirm sample without rollups that never finished: the one way the benchmark's
    datasets drift from their rollups; the seed's activity rebuilds them itself)."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "select count(*) from pg_catalog.pg_trigger "
            "where tgrelid::regclass::text = any(%s) and tgname = any(%s) and tgenabled = 'D'",
            ([t for t, _ in TRIGGERS], [g for _, g in TRIGGERS]),
        ).fetchone()
        for table, trigger in TRIGGERS:
            verb = "enable" if enabled else "disable"
            conn.execute(f"alter table {table} {verb} trigger {trigger}")
        return bool(row and row[0])


class Analytics:
    name = "analytics"
    title = "analytics: each dashboard RPC through PostgREST, and the rollups' cost on confirm"

    def plan(self, ctx: Context) -> Plan:
        env = ctx.env
        c = min(ctx.options.concurrency)
        today = date.today()
        ahead = {"from": str(today), "to": str(today + timedelta(days=30))}
        behind = {"from": str(today - timedelta(days=30)), "to": str(today)}
        variants = []
        # every dashboard on every dataset: their growth with the providers
        sizes = sorted(ctx.options.sizes)
        for size in reversed(sizes):
            url = env.dataset(size)
            stale = _set_triggers(url, True)
            with psycopg.connect(url, autocommit=True) as conn:
                if stale:  # a rebuild takes minutes at 100,000 providers: only when needed
                    print(f"    rebuilding the rollups of {size} providers", flush=True)
                    conn.execute("select internal.analytics_rebuild_bookings()")
                    conn.execute("select internal.analytics_rebuild_cohorts()")
                    conn.execute("select internal.analytics_rebuild_funnel()")
                # the facts too: the drill-down reads them, and right after a rebuild of a
                # 100,000-provider dataset (1.1 M facts) it was planned without statistics
                # and gave no answer within a 2 s sample (26-91 ms once analysed). Vacuumed as
                # well: the last run's rebuild (after its confirms without the rollups) left
                # every rollup row dead once, and autovacuum cleaning them up during the
                # dashboards' samples doubled their database CPU a request (10,000 providers,
                # overview 12 -> 30 ms)
                conn.execute(VACUUM_ROLLUPS)
            ops_token, provider_token = _tokens(url)
            api = env.api_for(url)
            calls = [
                ("analytics_overview", ops_token, {**ahead, "tz": "America/Toronto"}),
                ("analytics_revenue", ops_token, {**ahead, "tz": "America/Toronto"}),
                ("analytics_provider", provider_token, ahead),
                ("analytics_funnel", ops_token, {**behind, "tz": "America/Toronto"}),
                ("analytics_cohorts", ops_token, {**behind, "tz": "America/Toronto"}),
                # new and returning customers over the coming 31 days (the bookings' starts)
                ("analytics_customers", ops_token, {**ahead, "tz": "America/Toronto"}),
                ("analytics_performance", provider_token, ahead),
                # ops: the first page of providers (page_size 100, the default), 31 days
                ("analytics_performance", ops_token, ahead),
                ("analytics_areas", ops_token, {**ahead, "tz": "America/Toronto"}),
                ("analytics_refunds", ops_token, {**ahead, "tz": "America/Toronto"}),
                ("analytics_today", ops_token, {"tz": "America/Toronto"}),
                ("analytics_today", provider_token, {}),
                # the drill-down: the first page of 100 of every booking of the 31 days, and of
                # those with captured money (a total the rollups do not hold)
                ("analytics_bookings", ops_token, {**ahead, "tz": "America/Toronto"}),
                (
                    "analytics_bookings",
                    ops_token,
                    {**ahead, "tz": "America/Toronto", "figure": "captured_cents"},
                ),
                # and the provider's own first page: its facts through its own index
                ("analytics_bookings", provider_token, ahead),
            ]
            for fn, token, params in calls:
                query = "&".join(f"{k}={v}" for k, v in params.items())
                script = wrk_script("GET", {"Authorization": f"Bearer {token}"})

                def dashboard(
                    duration: float,
                    fn: str = fn,
                    query: str = query,
                    script: str = script,
                    api: Any = api,
                ) -> Sample:
                    return measured(
                        env.probes(api, nginx=True),
                        lambda: wrk(
                            f"{api.url}/rpc/{fn}?{query}",
                            connections=c,
                            duration=duration,
                            script=script,
                        ),
                    )

                # the RPCs read both as ops (every provider) and as a provider say which
                who = ""
                if fn in ("analytics_performance", "analytics_today"):
                    who = " (ops)" if token == ops_token else " (provider)"
                if fn == "analytics_bookings":
                    who = f" ({params.get('figure', 'all')})"
                    if token == provider_token:
                        who = " (provider)"
                if size != sizes[0]:
                    who += f" at {size} providers"
                variants.append(Variant(f"GET /rpc/{fn}{who}", c, dashboard, p99_target_ms=50.0))

        lift_hold_limit(url)
        make_pool(url)
        accounts = env.accounts_of(url)
        _, claims = _claims(env, accounts)
        offers = _Offers(url, claims)

        # the two variants share each batch of offers half and half (alternate offers:
        # the same customers, neighbourhoods and days), so that the first cannot use up
        # a small dataset's slots before the second runs
        pending: dict[bool, list[tuple[int, str, str]]] = {}

        def confirm(duration: float, rollups: bool) -> Sample:
            want = 600 if ctx.options.quick else PER_SAMPLE  # --quick, tests: a smaller pool
            if rollups not in pending:
                both = offers.take(2 * want)
                pending[True], pending[False] = both[0::2], both[1::2]
            batch = pending.pop(rollups)
            sweep(url, [a.id for a in accounts])
            # each side starts from a checkpoint: the rebuild after a sample without the rollups
            # dirties every rollup page, and the sample after it would pay their writes
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("checkpoint")
            _set_triggers(url, rollups)
            try:
                sample = direct_sample(env, url, claims, batch, c, duration)
            finally:
                compact(url)  # the worker's fold after its sweep (the dashboards read next)
                if not rollups:
                    _set_triggers(url, True)
                    with psycopg.connect(url, autocommit=True) as conn:
                        conn.execute("select internal.analytics_rebuild_bookings()")
                        conn.execute("select internal.analytics_rebuild_cohorts()")
                        conn.execute("select internal.analytics_rebuild_funnel()")
                        # as after the plan's rebuild: the next round's dashboards read the
                        # rollups as a database that never rebuilds them has them (every row
                        # rewritten, none visible to an index-only scan until vacuumed)
                        conn.execute(VACUUM_ROLLUPS)
            sample.extra["offers_prepared"] = len(batch)
            return sample

        variants += [
            Variant(ON, c, lambda d: confirm(d, True), unit="tx/s"),
            Variant(OFF, c, lambda d: confirm(d, False), unit="tx/s"),
        ]
        return Plan(variants, [Ratio("confirm with rollups ÷ without", (ON, c), (OFF, c), 0.90)])
