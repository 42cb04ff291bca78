"""`bookiji plan-switch`: the reads that slow down once PL/pgSQL keeps a generic plan.

    bookiji plan-switch --size 10000          every read below, 12 calls each
    bookiji plan-switch --only analytics_     the reads whose call contains this text

PL/pgSQL prepares each statement of a function once per connection. From the sixth call
on, it keeps a generic plan (made without the call's values) when that plan's estimated
cost is no worse than the custom plans' so far (``plan_cache_mode = auto``). PostgREST
calls every read many times in each of its pooled connections, so a statement whose
generic plan is a bad one turns slow from the sixth call of each connection on; a test
or a psql session that calls it once never sees it. A function fixes it with ``set
plan_cache_mode = force_custom_plan`` (planned with each call's values: a few tenths of
a millisecond of planning).

Each read is called ``--calls`` times (default 12) in one new connection, each call its
own transaction with the role and the JWT claims set as PostgREST sets them; the line
gives the median time of calls 2 to 5 (custom plans; the first call also fills the
connection's caches) and of calls 7 onwards, and their ratio, marked SLOWER past
``--flag`` (default 1.5). The reads are the analytics scenario's dashboards and the web
app's lists, as ops (``bench-ops@bookiji.test``, made if missing), the provider with the
most bookings, its busiest customer and anonymous, over the next 31 days (the funnel and
the cohorts: the last 31).

The dataset is the benchmark's ``bookiji_bench_p<size>`` (``bookiji bench --quick
--scenarios analytics --sizes <size>`` builds it) on the embedded cluster, started if
need be and stopped again after; or ``--database-url``. Figures are printed, never judged.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import psycopg

from bench.env import dataset_url
from bench.scenarios.analytics import ops_user


@dataclass(frozen=True)
class Read:
    role: str  # ops, provider, customer or anon
    sql: str  # select * from api.<fn>(...), the values inline


@dataclass(frozen=True)
class Figures:
    read: Read
    custom_ms: float  # median of calls 2-5
    later_ms: float  # median of calls 7 onwards
    rows: int

    @property
    def ratio(self) -> float:
        return self.later_ms / self.custom_ms if self.custom_ms > 0 else 1.0


@dataclass(frozen=True)
class Subjects:
    """Who calls the reads: their user ids, and a service of the provider."""

    ops: Any
    provider_owner: Any
    customer: Any
    service: Any


def subjects(conn: psycopg.Connection[Any]) -> Subjects:
    ops = ops_user(conn)
    busiest = conn.execute(
        "select p.owner_id, p.id from app.providers as p join app.bookings as b "
        "on b.provider_id = p.id group by p.owner_id, p.id order by count(*) desc, p.id limit 1"
    ).fetchone()
    if busiest is None:
        raise SystemExit("plan-switch: the database has no bookings (build a dataset first)")
    customer = conn.execute(
        "select customer_id from app.bookings where provider_id = %s "
        "group by customer_id order by count(*) desc, customer_id limit 1",
        (busiest[1],),
    ).fetchone()
    service = conn.execute(
        "select id from app.services where provider_id = %s and is_active order by id limit 1",
        (busiest[1],),
    ).fetchone()
    assert customer is not None and service is not None
    return Subjects(ops, busiest[0], customer[0], service[0])


def reads(s: Subjects, today: date) -> list[Read]:
    ahead = f"'{today}', '{today + timedelta(days=30)}'"
    behind = f"'{today - timedelta(days=30)}', '{today}'"
    tz = "'America/Toronto'"
    return [
        Read("ops", f"select * from api.analytics_overview({ahead}, {tz})"),
        Read("ops", f"select * from api.analytics_revenue({ahead}, {tz})"),
        Read("provider", f"select * from api.analytics_provider({ahead})"),
        Read("ops", f"select * from api.analytics_funnel({behind}, {tz})"),
        Read("ops", f"select * from api.analytics_cohorts({behind}, {tz})"),
        Read("ops", f"select * from api.analytics_customers({ahead}, {tz})"),
        Read("provider", f"select * from api.analytics_performance({ahead})"),
        Read("ops", f"select * from api.analytics_performance({ahead})"),
        Read("ops", f"select * from api.analytics_areas({ahead}, {tz})"),
        Read("ops", f"select * from api.analytics_refunds({ahead}, {tz})"),
        Read("ops", f"select * from api.analytics_today(tz => {tz})"),
        Read("provider", "select * from api.analytics_today()"),
        Read("ops", f"select * from api.analytics_bookings({ahead}, {tz})"),
        Read("provider", f"select * from api.analytics_bookings({ahead})"),
        Read(
            "anon",
            f"select * from api.available_slots('{s.service}', now(), now() + interval '7 days', 30)",
        ),
        Read("provider", "select * from api.my_provider_bookings()"),
        Read("provider", "select * from api.my_provider_bookings(status => 'confirmed')"),
        Read("provider", "select * from api.my_price_suggestions()"),
        Read(
            "provider",
            f"select * from api.provider_statement('{today.replace(day=1) - timedelta(days=1)}'"
            f"::date - 27, '{today.replace(day=1) - timedelta(days=1)}')",
        ),
        Read("ops", "select * from api.ops_bookings()"),
        Read("ops", "select * from api.ops_bookings(status => 'cancelled')"),
        Read("ops", "select * from api.ops_providers(search => 'a')"),
        Read("ops", "select * from api.ops_audit_trail()"),
        Read("customer", "select * from api.my_booking_history()"),
    ]


def claims_for(role: str, s: Subjects) -> str:
    if role == "anon":
        return json.dumps({"role": "anon"})
    sub = {"ops": s.ops, "provider": s.provider_owner, "customer": s.customer}[role]
    return json.dumps({"role": role, "sub": str(sub)})


def measure(url: str, read: Read, claims: str, calls: int) -> Figures:
    times: list[float] = []
    rows = 0
    with psycopg.connect(url) as conn:
        for _ in range(calls):
            with conn.transaction():
                conn.execute(
                    "select pg_catalog.set_config('role', %s, true), "
                    "pg_catalog.set_config('request.jwt.claims', %s, true)",
                    (read.role, claims),
                )
                start = time.perf_counter()
                rows = len(conn.execute(read.sql.encode()).fetchall())
                times.append(1000 * (time.perf_counter() - start))
    return Figures(read, statistics.median(times[1:5]), statistics.median(times[6:]), rows)


def run(url: str, calls: int, only: str | None) -> list[Figures]:
    if calls < 7:
        raise SystemExit("plan-switch: --calls must be at least 7 (the sixth call is the switch)")
    with psycopg.connect(url, autocommit=True) as conn:
        s = subjects(conn)
    done = []
    for read in reads(s, date.today()):
        if only and only not in read.sql:
            continue
        done.append(measure(url, read, claims_for(read.role, s), calls))
    return done


def report_line(f: Figures, flag: float) -> str:
    call = f.read.sql.removeprefix("select * from api.")
    mark = "  SLOWER" if f.ratio > flag else ""
    return (
        f"  {f.read.role:<8} {call[:72]:<72} calls 2-5 {f.custom_ms:7.1f} ms  "
        f"7+ {f.later_ms:7.1f} ms  x{f.ratio:4.2f}  {f.rows} rows{mark}"
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bookiji plan-switch", description=__doc__.split("\n")[0])
    p.add_argument("--size", type=int, default=10000, help="the dataset (default 10000)")
    p.add_argument("--calls", type=int, default=12, help="calls per read (default 12, at least 7)")
    p.add_argument("--flag", type=float, default=1.5, help="mark SLOWER past this ratio")
    p.add_argument("--only", help="only the reads whose call contains this text")
    p.add_argument("--database-url", help="this database instead of bookiji_bench_p<size>")
    return p


def main(argv: list[str]) -> int:
    a = build_parser().parse_args(argv)
    with ExitStack() as es:
        url = dataset_url(es, a.size, a.database_url)
        print(f"plan-switch: {url.rsplit('/', 1)[-1]}, {a.calls} calls a read", flush=True)
        figures = []
        for f in run(url, a.calls, a.only):
            figures.append(f)
            print(report_line(f, a.flag), flush=True)
        slower = [f for f in figures if f.ratio > a.flag]
        print(f"{len(slower)} of {len(figures)} reads slower after the fifth call (x{a.flag})")
    return 0
