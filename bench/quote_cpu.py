"""`bookiji quote-cpu`: the database CPU of one quote, measured in the backend itself.

    bookiji quote-cpu --size 10000                      the deployed functions, 3 rounds
    bookiji quote-cpu --size 10000 --against main       main's function files and the
                                                        working tree's, alternating

A round is the quote benchmark's 64 requests (bench/scenarios/quote.py) sent to
``api.quote`` in one warm backend as the 8 bench customers (role ``customer``, the
JWT claims set as PostgREST sets them), each quote its own transaction, rolled
back, after ``--warmup`` unmeasured ones; its figure is that backend's CPU
(``/proc/<pid>/stat``, user + system) per quote. With ``--against REV`` the files
of ``db/functions/`` that differ between REV and the working tree are applied to
the database (committed) before each round, REV's and the working tree's in turn,
so that both are measured on the same data in the same minutes; the working
tree's are applied again at the end. Every round's offers are compared with the
first round's on every column but the quote's id and expiry (the explanation as
text): a change that only costs less must print ``identical`` everywhere.

The dataset is the benchmark's ``bookiji_bench_p<size>`` (``bookiji bench --quick
--scenarios quote --sizes <size>`` builds it) on the embedded cluster, started if
need be and stopped again after; or ``--database-url``. The figures are printed,
never judged.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import jwt
import psycopg

from bench.env import dataset_url
from bench.scenarios.quote import requests
from bookiji.config import ROOT

CUSTOMERS = 8
TICKS = os.sysconf("SC_CLK_TCK")
QUOTE_SQL = "select * from api.quote(%s, %s, %s, %s, %s, %s)"
# the columns of api.my_quote_offers left out of the comparison: new at every quote
VOLATILE = ("quote_id", "expires_at")


@dataclass(frozen=True)
class Variant:
    name: str
    files: list[tuple[str, str]]  # (path, SQL), applied in this order


@dataclass
class Round:
    variant: str
    cpu_ms: float
    offers: int
    same: bool | None
    load: float


def backend_cpu_seconds(pid: int) -> float:
    """User + system CPU of a local process, from /proc (clock ticks)."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def claims_of(url: str, count: int = CUSTOMERS) -> list[str]:
    """The JWT claims (JSON) of the first ``count`` bench customers, as api.login issues them."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            """
            select auth.issue_session(
                u.id,
                (select s.id from auth.sessions as s where s.user_id = u.id
                 and s.revoked_at is null order by s.created_at limit 1)
            ) ->> 'access_token'
            from app.users as u where u.email like 'bench-%%@bookiji.test'
            order by u.email limit %s
            """,
            (count,),
        ).fetchall()
    if not rows:
        raise SystemExit(f"quote-cpu: no bench customers in {url} (build it with bookiji bench)")
    return [json.dumps(jwt.decode(str(r[0]), options={"verify_signature": False})) for r in rows]


def comparable(columns: Sequence[str], rows: list[tuple[Any, ...]]) -> list[tuple[str, ...]]:
    keep = [i for i, c in enumerate(columns) if c not in VOLATILE]
    return [tuple(json.dumps(r[i], sort_keys=True, default=str) for i in keep) for r in rows]


def quotes(
    conn: psycopg.Connection[tuple[Any, ...]],
    bodies: list[dict[str, object]],
    claims: list[str],
) -> list[tuple[str, ...]]:
    """Every request once, each its own transaction, rolled back; the offers, comparable."""
    out: list[tuple[str, ...]] = []
    for i, b in enumerate(bodies):
        conn.execute(
            "select pg_catalog.set_config('role', 'customer', true), "
            "pg_catalog.set_config('request.jwt.claims', %s, true)",
            (claims[i % len(claims)],),
        )
        cur = conn.execute(
            QUOTE_SQL,
            (b["category"], b["lat"], b["lng"], b["starts_at"], b["radius_km"], b["max_results"]),
        )
        columns = [d.name for d in cur.description or []]
        out += comparable(columns, cur.fetchall())
        conn.rollback()
    return out


def variants(against: str | None) -> list[Variant]:
    """The working tree's function files, and REV's where they differ."""
    if against is None:
        return [Variant("deployed", [])]
    names = subprocess.run(
        ["git", "diff", "--name-only", against, "--", "db/functions"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    if not names:
        raise SystemExit(f"quote-cpu: db/functions is the same in {against} and the working tree")
    before, after = [], []
    for name in sorted(names):
        old = subprocess.run(
            ["git", "show", f"{against}:{name}"], cwd=ROOT, capture_output=True, text=True
        )
        if old.returncode == 0:
            before.append((name, old.stdout))
        if (ROOT / name).exists():
            after.append((name, (ROOT / name).read_text()))
    return [Variant(against, before), Variant("working tree", after)]


def apply(url: str, variant: Variant) -> None:
    if not variant.files:
        return
    with psycopg.connect(url) as conn:
        for _, text in variant.files:
            conn.execute(text.encode())  # several statements: no parameters, simple protocol


@dataclass(frozen=True)
class Options:
    url: str
    rounds: int
    warmup: int
    against: str | None


def run(o: Options) -> list[Round]:
    bodies = requests()
    claims = claims_of(o.url)
    vs = variants(o.against)
    done: list[Round] = []
    first: list[tuple[str, ...]] | None = None
    try:
        with psycopg.connect(o.url) as conn:
            pid = conn.info.backend_pid
            for r in range(o.rounds * len(vs)):
                v = vs[r % len(vs)]
                apply(o.url, v)
                for _ in range((o.warmup + len(bodies) - 1) // len(bodies)):
                    quotes(conn, bodies[: o.warmup], claims)
                start = backend_cpu_seconds(pid)
                offers = quotes(conn, bodies, claims)
                cpu = backend_cpu_seconds(pid) - start
                same = None if first is None else offers == first
                first = first if first is not None else offers
                done.append(
                    Round(v.name, 1000 * cpu / len(bodies), len(offers), same, os.getloadavg()[0])
                )
                print(report_line(len(done), done[-1]), flush=True)
    finally:
        if o.against is not None:
            apply(o.url, vs[-1])
    return done


def report_line(n: int, r: Round) -> str:
    same = "first" if r.same is None else ("identical" if r.same else "DIFFERENT")
    return (
        f"  round {n:2d}  {r.variant:<14} {r.cpu_ms:6.1f} ms CPU a quote  "
        f"{r.offers} offers ({same})  load {r.load:.1f}"
    )


def summary(rounds: list[Round]) -> Iterator[str]:
    for name in dict.fromkeys(r.variant for r in rounds):
        figures = [r.cpu_ms for r in rounds if r.variant == name]
        listed = ", ".join(f"{f:.1f}" for f in figures)
        yield f"{name}: median {statistics.median(figures):.1f} ms ({listed})"
    differ = sum(1 for r in rounds if r.same is False)
    yield "offers: " + (f"{differ} round(s) DIFFERENT" if differ else "identical in every round")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bookiji quote-cpu", description=__doc__.split("\n")[0])
    p.add_argument("--size", type=int, default=10000, help="the dataset (default 10000)")
    p.add_argument("--rounds", type=int, default=3, help="rounds per variant (default 3)")
    p.add_argument(
        "--warmup", type=int, default=64, help="unmeasured quotes before each round (default 64)"
    )
    p.add_argument(
        "--against",
        metavar="REV",
        help="alternate REV's db/functions files (those that differ) with the working tree's",
    )
    p.add_argument("--database-url", help="this database instead of bookiji_bench_p<size>")
    return p


def main(argv: list[str]) -> int:
    a = build_parser().parse_args(argv)
    with ExitStack() as es:
        url = dataset_url(es, a.size, a.database_url)
        started = time.strftime("%H:%M:%S")
        print(f"quote-cpu: {url.rsplit('/', 1)[-1]}, from {started}", flush=True)
        rounds = run(Options(url, a.rounds, a.warmup, a.against))
        for line in summary(rounds):
            print(line)
    return 0
