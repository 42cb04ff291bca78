"""POST /rpc/quote: the geographic quote at 10k and 100k providers (``--sizes``).

Each size is its own database (``bookiji_bench_p<N>``, seeded once and kept).
The same 64 requests (Montreal points around the seed's neighbourhoods, every
category, starts on the next working days between 10:00 and 16:00 local) are
sent in turn by

- pgbench, calling ``api.quote`` in the transaction PostgREST would run (role
  customer, the JWT claims of one of 8 customers), prepared: the SQL alone;
- wrk through nginx → PostgREST (with the request hook), with real customer
  tokens rotating with the requests.

Every quote is stored (app.quotes, app.quote_items), as in production.
PostgREST ÷ direct has a target of 0.45: the quote is the heaviest read, so
HTTP should cost well under half of it.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import jwt

from bench.model import Context, Plan, Ratio, Sample, Variant
from bench.tools import measured, pgbench, wrk, wrk_script
from bookiji.procs import ApiServer
from bookiji_seed import NEIGHBOURHOODS

PATH = "/rpc/quote"
HTTP = "nginx → PostgREST quote"
DIRECT = "api.quote (pgbench -M prepared)"
TARGET = 0.45
REQUESTS = 64
CATEGORIES = (
    "haircut",
    "barber",
    "massage",
    "nails",
    "esthetics",
    "physiotherapy",
    "personal-training",
    "yoga",
    "dog-grooming",
    "house-cleaning",
    "tutoring",
    "photography",
    "bike-repair",
    "tattoo",
)
MONTREAL = ZoneInfo("America/Toronto")


def requests(today: date | None = None) -> list[dict[str, object]]:
    """The 64 request bodies (deterministic for a given day)."""
    rng = random.Random(9)
    today = today or datetime.now(MONTREAL).date()
    days = [today + timedelta(days=d) for d in range(2, 9)]
    workdays = [d for d in days if d.weekday() < 5] or days
    out: list[dict[str, object]] = []
    for i in range(REQUESTS):
        _, lat, lng, _ = NEIGHBOURHOODS[i % len(NEIGHBOURHOODS)]
        day = workdays[i % len(workdays)]
        hour = 10 + rng.randrange(0, 7)
        starts = datetime.combine(day, time(hour, rng.choice((0, 30))), MONTREAL)
        out.append(
            {
                "category": CATEGORIES[i % len(CATEGORIES)],
                "lat": round(lat + rng.gauss(0, 0.01), 5),
                "lng": round(lng + rng.gauss(0, 0.01), 5),
                "starts_at": starts.astimezone(UTC).isoformat(),
                "radius_km": 10,
                "max_results": 10,
            }
        )
    return out


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _array(values: list[str], cast: str) -> str:
    return "array[" + ", ".join(_literal(v) for v in values) + f"]::{cast}[]"


def transaction(bodies: list[dict[str, object]], claims: list[dict[str, object]]) -> str:
    """pgbench: request k (and customer k mod 8) at random, as PostgREST runs it."""
    n, m = len(bodies), len(claims)
    pick = "(:k + 1)"
    lines = [
        f"\\set k random(0, {n - 1})",
        "begin;",
        "select pg_catalog.set_config('role', 'customer', true), "
        "pg_catalog.set_config('request.jwt.claims', "
        f"({_array([json.dumps(c) for c in claims], 'text')})[(:k % {m}) + 1], true);",
        "select count(*) from api.quote("
        f"({_array([str(b['category']) for b in bodies], 'text')})[{pick}], "
        f"({_array([str(b['lat']) for b in bodies], 'float8')})[{pick}], "
        f"({_array([str(b['lng']) for b in bodies], 'float8')})[{pick}], "
        f"({_array([str(b['starts_at']) for b in bodies], 'timestamptz')})[{pick}], "
        "10, 10);",
        "commit;",
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Dataset:
    """One size's database, its PostgREST, and the 64 requests with their tokens."""

    size: int
    url: str
    api: ApiServer
    bodies: list[dict[str, object]]
    tokens: list[str]

    @property
    def claims(self) -> list[dict[str, object]]:
        return [jwt.decode(t, options={"verify_signature": False}) for t in self.tokens]

    def token(self, i: int) -> str:
        return self.tokens[i % len(self.tokens)]

    def wrk_script(self) -> str:
        return wrk_script(
            method="POST",
            headers={"Content-Type": "application/json"},
            bodies=[json.dumps(b) for b in self.bodies],
            header_sets=[
                {"Authorization": f"Bearer {self.token(i)}"} for i in range(len(self.bodies))
            ],
        )

    def http_requests(self) -> list[dict[str, object]]:
        """The same requests for :func:`bench.tools.fixed_rate`."""
        return [
            {
                "method": "POST",
                "headers": {
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {self.token(i)}",
                },
                "body": json.dumps(b),
            }
            for i, b in enumerate(self.bodies)
        ]


def dataset(ctx: Context, size: int) -> Dataset:
    env = ctx.env
    url = env.dataset(size)
    tokens = env.tokens_for(env.accounts_of(url))
    return Dataset(size, url, env.api_for(url), requests(), tokens)


def http_name(size: int) -> str:
    return f"{HTTP} {size:,}"


class Quote:
    name = "quote"
    title = "POST /rpc/quote through nginx → PostgREST vs api.quote by pgbench, per dataset size"

    def plan(self, ctx: Context) -> Plan:
        env = ctx.env
        variants: list[Variant] = []
        ratios: list[Ratio] = []
        for size in ctx.options.sizes:
            d = dataset(ctx, size)
            script, sql = d.wrk_script(), transaction(d.bodies, d.claims)
            http_label, direct_name = http_name(size), f"{DIRECT} {size:,}"
            for c in ctx.options.concurrency:

                def http(
                    duration: float, c: int = c, a: ApiServer = d.api, s: str = script
                ) -> Sample:
                    return measured(
                        env.probes(a, nginx=True),
                        lambda: wrk(a.url + PATH, connections=c, duration=duration, script=s),
                    )

                def direct(duration: float, c: int = c, u: str = d.url, s: str = sql) -> Sample:
                    return measured(
                        env.probes(),
                        lambda: pgbench(u, clients=c, duration=duration, script=s),
                    )

                label = f"{size // 1000}k c={c}"
                variants += [
                    Variant(direct_name, c, direct, unit="tx/s", series=DIRECT, label=label),
                    Variant(http_label, c, http, series=HTTP, label=label),
                ]
                ratios.append(
                    Ratio(
                        f"PostgREST ÷ direct SQL, {size:,} providers",
                        (http_label, c),
                        (direct_name, c),
                        TARGET,
                    )
                )
        return Plan(variants, ratios)
