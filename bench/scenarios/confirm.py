"""POST /rpc/confirm_booking: distinct slots, and 50 customers racing for one.

On the smallest ``--sizes`` dataset, with the per-customer hold limit lifted
(internal.settings max_live_holds_per_customer; a benchmark measures the cost,
not the limit):

- **distinct slots**: quotes are made beforehand in SQL as the 8 benchmark
  customers (radius 3 km, 50 offers each, at many start times), and every
  (quote, provider) offer on a slot not yet used becomes one confirm. wrk sends
  them through nginx → PostgREST with each customer's token; pgbench pops them
  from a table and calls ``api.confirm_booking`` as PostgREST would, without
  and with the request hook (``auth.check_request()``: what the database spends
  on the hook's checks and the write limit, apart from PostgREST's own statements
  and JSON). The
  customers take turns (one quote's 50 offers in a row would be one customer
  confirming 50 times at once, which the customer lock serialises). Each sample
  has its own offers, 1.6 times what the fastest sample so far, or the target
  of 1,000 a second, would use (at least 1,500; ``extra.offers_prepared``). Before each sample the customers' holds
  lapse and are swept, as the worker's sweep would (see :func:`sweep`).
- **race**: per sample, 50 customers each get a quote for the same slot and
  confirm the same provider at once (50 threads released together). Exactly
  one should win (2xx), the others get 409; 5xx, deadlocks (pg_stat_database)
  and, at the end of each round, providers with overlapping live bookings are
  counted in ``extra``.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from typing import Any
from urllib.parse import urlsplit

import jwt
import psycopg

from bench.env import Account, BenchEnv
from bench.model import Context, Plan, Ratio, Sample, Variant
from bench.scenarios.quote import CATEGORIES, MONTREAL
from bench.tools import measured, pgbench, wrk, wrk_script
from bookiji.procs import ApiServer
from bookiji_seed import NEIGHBOURHOODS

PATH = "/rpc/confirm_booking"
HTTP = "nginx → PostgREST confirm"
DIRECT = "api.confirm_booking (pgbench)"
HOOKED = "api.confirm_booking + the hook (pgbench)"
RACE = "race: 50 on one slot"
RACERS = 50
PER_SAMPLE = 1500  # offers prepared per sample at least
HEADROOM = 1.6  # and this many times what the fastest sample so far would use,
TARGET_RATE = 1000.0  # or the target rate would (the first sample has no figure to go by)
POOL_TABLE = "public.bench_confirm_pool"
PLATEAU = (45.5225, -73.5810)

OVERLAPS = """
select count(*) from app.bookings a join app.bookings b
  on a.provider_id = b.provider_id and a.id < b.id and a.blocked && b.blocked
where a.status in ('pending_payment', 'confirmed') and b.status in ('pending_payment', 'confirmed')
  and (a.status = 'confirmed' or a.hold_expires_at > now())
  and (b.status = 'confirmed' or b.hold_expires_at > now())
"""


def _claims(env: BenchEnv, accounts: list[Account]) -> tuple[list[str], list[str]]:
    tokens = env.tokens_for(accounts)
    claims = [json.dumps(jwt.decode(t, options={"verify_signature": False})) for t in tokens]
    return tokens, claims


def _as_customer(conn: psycopg.Connection[Any], claims: str) -> None:
    conn.execute(
        "select set_config('role', 'customer', true), set_config('request.jwt.claims', %s, true)",
        (claims,),
    )


def _slot(n: int) -> datetime:
    """The n-th start: working days from the day after tomorrow, 09:00 to 16:45 local."""
    day = datetime.now(MONTREAL).date() + timedelta(days=2)
    k = 0
    while True:
        if day.weekday() < 5:
            for minutes in range(9 * 60, 17 * 60, 15):
                if k == n:
                    local = datetime.combine(day, dtime(minutes // 60, minutes % 60), MONTREAL)
                    return local.astimezone(UTC)
                k += 1
        day += timedelta(days=1)


class _Offers:
    """Quoted offers on slots not used yet, made on demand in batches."""

    def __init__(self, url: str, claims: list[str]) -> None:
        self.url, self.claims = url, claims
        self.next_slot = 0
        self.used: dict[str, list[datetime]] = {}

    def take(self, count: int, who: int | None = None) -> list[tuple[int, str, str]]:
        """(customer index, quote id, provider id), count of them, each on its own slot;
        all of customer ``who`` when given, else the customers in turn, slot by slot."""
        out: list[tuple[int, str, str]] = []
        with psycopg.connect(self.url) as conn:
            while len(out) < count and self.next_slot < 4000:
                starts = _slot(self.next_slot)
                customer = self.next_slot % len(self.claims) if who is None else who
                self.next_slot += 1
                # every category and neighbourhood in turn: many providers, few overlaps
                category = CATEGORIES[self.next_slot % len(CATEGORIES)]
                _, lat, lng, _ = NEIGHBOURHOODS[self.next_slot % len(NEIGHBOURHOODS)]
                with conn.transaction():
                    _as_customer(conn, self.claims[customer])
                    rows = conn.execute(
                        "select quote_id, provider_id from api.quote(%s, %s, %s, %s, 3, 50)",
                        (category, lat, lng, starts),
                    ).fetchall()
                for quote_id, provider_id in rows:
                    taken = self.used.setdefault(str(provider_id), [])
                    # a slot and its buffers stay under 4 hours: no overlap
                    if all(abs(starts - t) >= timedelta(hours=4) for t in taken):
                        taken.append(starts)
                        out.append((customer, str(quote_id), str(provider_id)))
        return interleave(out)[:count]


def lift_hold_limit(url: str) -> None:
    """The limits on live holds (per customer, per unconfirmed customer, per client
    network) out of the way: a benchmark customer confirms hundreds of times a sample."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "insert into internal.settings (key, value) values "
            "('max_live_holds_per_customer', '1000000'), ('max_live_holds_unconfirmed', '1000000'), "
            "('max_live_holds_per_address', 'off') "
            "on conflict (key) do update set value = excluded.value"
        )


def interleave(offers: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """The customers in turn (0, 1, ... 7, 0, 1 ...): one quote's 50 offers in a row
    would be one customer confirming 50 times at once, which the customer lock
    (the live-hold limit) rightly serialises; users are many."""
    turns: dict[int, int] = {}
    keyed = []
    for n, offer in enumerate(offers):
        turn = turns[offer[0]] = turns.get(offer[0], -1) + 1
        keyed.append(((turn, n), offer))
    return [offer for _, offer in sorted(keyed)]


def sweep(url: str, customers: list[str]) -> None:
    """Let the benchmark customers' holds lapse, then expire every hold whose time
    is up as the worker's sweep does every few seconds: the slots of an earlier
    sample's unpaid holds are free again, a sample measures confirms and not the
    expiry of the holds they replace, and each customer starts it with no live
    hold (a real one has at most 5; here, with the limit lifted, a customer
    gathers a few hundred during a sample)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "update app.bookings set hold_expires_at = now() where customer_id = any(%s::uuid[]) "
            "and status = 'pending_payment' and hold_expires_at > now()",
            (customers,),
        )
        while True:
            row = conn.execute("select internal.sweep(5000) ->> 'expired'").fetchone()
            if not row or int(row[0]) == 0:
                break
    compact(url)


def compact(url: str) -> None:
    """Fold the analytics deltas into the rollups across providers, as the worker does after
    each sweep: the dashboards read after a sample of confirms then read what they would in
    production, not thousands of deltas no worker folded."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("select internal.analytics_compact()")


def direct_sample(
    env: BenchEnv,
    url: str,
    claims: list[str],
    batch: list[tuple[int, str, str]],
    clients: int,
    duration: float,
    *,
    hook: bool = False,
) -> Sample:
    """pgbench confirming ``batch``'s offers (popped from a table) as PostgREST would
    call api.confirm_booking: set role and claims, then the call, in one transaction.
    With ``hook``: also the request's method and path, and ``auth.check_request()``
    (PostgREST's db-pre-request: the token's checks and the write limit) before the call,
    as PostgREST runs them; the difference is the hook's cost to the database."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"truncate {POOL_TABLE}")
        with conn.cursor().copy(
            f"copy {POOL_TABLE} (claims, quote_id, provider_id) from stdin"
        ) as cp:
            for w, q, p in batch:
                cp.write_row((claims[w], q, p))
    script = (
        "begin;\n"
        f"delete from {POOL_TABLE} where id = (select id from {POOL_TABLE} "
        "order by id limit 1 for update skip locked) "
        "returning claims, quote_id, provider_id \\gset\n"
        "select set_config('role', 'customer', true), "
        "set_config('request.jwt.claims', :claims, true)"
        + (
            ", set_config('request.method', 'POST', true), "
            f"set_config('request.path', '{PATH}', true);\n"
            "select auth.check_request();\n"
            if hook
            else ";\n"
        )
        + "select api.confirm_booking(:quote_id, :provider_id);\n"
        "commit;\n"
    )
    return measured(
        env.probes(),
        lambda: pgbench(url, clients=clients, duration=duration, script=script, until_empty=True),
    )


def make_pool(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            f"create table if not exists {POOL_TABLE} "
            "(id bigserial primary key, claims text, quote_id uuid, provider_id uuid)"
        )
        conn.execute(f"truncate {POOL_TABLE}")


def _post(api_url: str, token: str, body: str, results: list[int], go: threading.Event) -> None:
    parts = urlsplit(api_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        conn.connect()
        go.wait()
        conn.request(
            "POST",
            PATH,
            body,
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        results.append(conn.getresponse().status)
    except OSError:
        results.append(0)
    finally:
        conn.close()


class Confirm:
    name = "confirm"
    title = "POST /rpc/confirm_booking: distinct slots (PostgREST vs pgbench), and the 50-way race"

    def plan(self, ctx: Context) -> Plan:
        env = ctx.env
        url = env.dataset(min(ctx.options.sizes))
        lift_hold_limit(url)
        make_pool(url)
        accounts = env.accounts_of(url)
        tokens, claims = _claims(env, accounts)
        racers = env.accounts_of(url, RACERS, "race")
        race_tokens, race_claims = _claims(env, racers)
        offers = _Offers(url, claims)
        api = env.api_for(url)
        c = min(ctx.options.concurrency)
        race_round = [0]
        fastest = [0.0]  # confirms per second, the best sample so far

        def enough(duration: float) -> list[tuple[int, str, str]]:
            """Offers for one sample: pgbench stops with an error when they run out
            and wrk would start again from the first (answered from the hold)."""
            need = max(PER_SAMPLE, int(HEADROOM * max(fastest[0], TARGET_RATE) * duration))
            batch = offers.take(need)
            sweep(url, [a.id for a in accounts])
            return batch

        def counted(sample: Sample, batch: list[tuple[int, str, str]]) -> Sample:
            fastest[0] = max(fastest[0], sample.throughput)
            sample.extra["offers_prepared"] = len(batch)
            return sample

        def http(duration: float, a: ApiServer = api) -> Sample:
            batch = enough(duration)
            script = wrk_script(
                method="POST",
                headers={"Content-Type": "application/json"},
                bodies=[json.dumps({"quote_id": q, "provider_id": p}) for _, q, p in batch],
                header_sets=[{"Authorization": f"Bearer {tokens[w]}"} for w, _, _ in batch],
            )
            return counted(
                measured(
                    env.probes(a, nginx=True),
                    lambda: wrk(a.url + PATH, connections=c, duration=duration, script=script),
                ),
                batch,
            )

        def direct(duration: float, hook: bool = False) -> Sample:
            batch = enough(duration)
            return counted(direct_sample(env, url, claims, batch, c, duration, hook=hook), batch)

        def race(duration: float, a: ApiServer = api) -> Sample:
            del duration  # one round, however long it takes
            race_round[0] += 1
            starts = _slot(400 + race_round[0])
            bodies: list[tuple[str, str]] = []
            with psycopg.connect(url) as conn:
                provider: str | None = None
                for i, cl in enumerate(race_claims):
                    with conn.transaction():
                        _as_customer(conn, cl)
                        rows = conn.execute(
                            "select quote_id, provider_id from api.quote"
                            "('haircut', %s, %s, %s, 3, 50)",
                            (*PLATEAU, starts),
                        ).fetchall()
                    if provider is None and rows:
                        provider = str(rows[0][1])
                    quote = next((str(q) for q, p in rows if str(p) == provider), None)
                    if quote is not None:
                        bodies.append(
                            (
                                race_tokens[i],
                                json.dumps({"quote_id": quote, "provider_id": provider}),
                            )
                        )
            deadlocks_sql = (
                "select deadlocks from pg_stat_database where datname = current_database()"
            )
            with psycopg.connect(url) as conn:
                before = conn.execute(deadlocks_sql).fetchone()
            statuses: list[int] = []
            go = threading.Event()
            threads = [
                threading.Thread(target=_post, args=(a.url, t, b, statuses, go)) for t, b in bodies
            ]
            for t in threads:
                t.start()
            time.sleep(0.2)  # every connection open
            started = time.monotonic()
            go.set()
            for t in threads:
                t.join()
            seconds = time.monotonic() - started
            with psycopg.connect(url) as conn:
                after = conn.execute(deadlocks_sql).fetchone()
                overlaps = conn.execute(OVERLAPS).fetchone()
            ok = sum(1 for s in statuses if 200 <= s < 300)
            return Sample(
                requests=len(statuses),
                seconds=seconds,
                throughput=len(statuses) / seconds if seconds else 0.0,
                max_ms=seconds * 1000,
                errors=sum(1 for s in statuses if s == 0),
                non_2xx=len(statuses) - ok,
                extra={
                    "race_2xx": ok,
                    "race_409": sum(1 for s in statuses if s == 409),
                    "race_5xx": sum(1 for s in statuses if s >= 500),
                    "deadlocks": float((after[0] if after else 0) - (before[0] if before else 0)),
                    "overlapping_live_bookings": float(overlaps[0] if overlaps else 0),
                },
                command=f"{len(bodies)} threads, one POST {PATH} each, released together",
            )

        variants = [
            Variant(DIRECT, c, direct, unit="tx/s"),
            Variant(HOOKED, c, lambda d: direct(d, hook=True), unit="tx/s"),
            Variant(HTTP, c, http),
            Variant(RACE, RACERS, race, note="2xx should be 1, the rest 409"),
        ]
        return Plan(
            variants,
            [
                Ratio("PostgREST ÷ direct SQL (confirm)", (HTTP, c), (DIRECT, c)),
                Ratio("with the hook ÷ without (confirm, pgbench)", (HOOKED, c), (DIRECT, c)),
            ],
        )
