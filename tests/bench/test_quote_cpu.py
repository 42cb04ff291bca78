"""`bookiji quote-cpu` (bench/quote_cpu.py) on the demo data: a round is the quote
benchmark's 64 requests as the bench customers, rolled back; the offers of later rounds
are compared with the first round's. Never about time."""

from __future__ import annotations

from typing import Any

import psycopg

import bookiji_seed as seed
from bench import quote_cpu
from bench.env import PASSWORD


def test_rounds_give_the_same_offers_and_write_nothing(
    db: psycopg.Connection[Any], db_url: str
) -> None:
    seed.load_demo(db)
    for i in range(quote_cpu.CUSTOMERS):
        db.execute(
            "select auth.signup(%s, %s, %s, 'customer', 'en')",
            (f"bench-{i}@bookiji.test", PASSWORD, f"Bench Customer {i}"),
        )
    rounds = quote_cpu.run(quote_cpu.Options(db_url, rounds=2, warmup=4, against=None))
    assert [r.variant for r in rounds] == ["deployed", "deployed"]
    assert rounds[0].same is None and rounds[1].same is True
    assert rounds[0].offers == rounds[1].offers > 64  # most of the 64 requests have offers
    assert all(r.cpu_ms >= 0 for r in rounds)
    # every quote was rolled back
    assert db.execute("select count(*) from app.quotes").fetchone() == (0,)
    assert "identical in every round" in list(quote_cpu.summary(rounds))[-1]


def test_offers_compared_without_the_quote_id_and_expiry() -> None:
    columns = ["quote_id", "provider_id", "score", "expires_at", "explanation"]
    a = quote_cpu.comparable(columns, [("q1", "p", 0.9, "t1", {"b": 1, "a": 2})])
    b = quote_cpu.comparable(columns, [("q2", "p", 0.9, "t2", {"a": 2, "b": 1})])
    c = quote_cpu.comparable(columns, [("q2", "p", 0.8, "t2", {"a": 2, "b": 1})])
    assert a == b
    assert a != c
