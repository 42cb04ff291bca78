"""Stripe unreachable in the middle of a batch of payments and refunds: the worker retries
with growing delays (its retry log lines, pgmq's read_ct), then succeeds once Stripe is back,
and no Stripe object is made twice."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from typing import Any

import psycopg
import pytest

from tests.chaos import payments as cp
from tests.chaos import scale
from tests.helpers import stack
from tests.helpers.stripe_fake import run_localstripe
from tests.helpers.stripe_proxy import StripeProxy
from tests.helpers.waiting import until
from tests.helpers.worker_proc import WorkerProcess

WORKER_ARGS = (
    "--import",
    "worker.tasks",
    "--queues",
    "payments",
    "--sweep-interval",
    "0",
    "--poll",
    "0.5",
    "--retry-base",
    "0.5",
    "--retry-cap",
    "4",
    "--max-attempts",
    "40",
)
RETRY = re.compile(r"id=(\d+) .*? attempt=(\d+) outcome=retry duration_ms=\S+ retry_in=([\d.]+)s")


@pytest.mark.slow
def test_stripe_down_for_a_while_the_worker_backs_off_then_succeeds_once(
    db: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    n_bookings = scale.count("OUTAGE_BOOKINGS", 40)
    outage = scale.seconds("OUTAGE_SECONDS", 8)
    url = stack.worker_url(db.info.dbname)
    with run_localstripe() as ls, StripeProxy(ls.url) as proxy:
        monkeypatch.setenv("STRIPE_API_BASE", proxy.url)
        stripe_direct = cp.client(ls.url)
        paid_ids, refund_ids = cp.paid_with_refunds(
            db, url, scale.count("OUTAGE_PAID", 6), WORKER_ARGS, stripe_direct
        )
        with WorkerProcess(url, *WORKER_ARGS) as w:
            w.wait_for("worker ready", 60)
            half = cp.make_bookings(db, n_bookings // 2)
            until(lambda: w.count("type=payment.create_intent .*outcome=done") >= 3, 30, "work")
            proxy.go_down()
            down_at = time.monotonic()
            rest = cp.make_bookings(db, n_bookings - len(half))  # arrive while Stripe is down
            all_ids = paid_ids + [b["id"] for b in half + rest]
            until(lambda: w.count("outcome=retry") >= 3, 30, "the first retries")
            time.sleep(max(0.0, outage - (time.monotonic() - down_at)))
            proxy.come_back()
            back_at = time.monotonic()
            until(
                lambda: (
                    cp.unrecorded_intents(db, all_ids) == 0
                    and cp.pending_refunds(db) == 0
                    and cp.queue_depth(db, "payments") == 0
                ),
                60,
                "the batch after Stripe came back",
            )
            recovered = time.monotonic() - back_at
            w.terminate()
            assert w.wait(30) == 0
            out = w.output()
        intents = cp.intents_by_booking(stripe_direct)
        refunds = cp.refunds_by_ledger(stripe_direct)

    delays: dict[int, dict[int, float]] = defaultdict(dict)
    for m in RETRY.finditer(out):
        delays[int(m[1])][int(m[2])] = float(m[3])
    assert delays, "no retry was logged"
    deepest = max(delays.values(), key=len)
    attempts = sorted(deepest)
    max_read = db.execute("select max(read_ct) from pgmq.a_payments").fetchone()
    assert max_read is not None
    retries = sum(len(v) for v in delays.values())
    duplicates = sum(c - 1 for c in intents.values()) + sum(c - 1 for c in refunds.values())
    print(
        f"outage: {len(all_ids) - len(paid_ids) + len(refund_ids)} messages, Stripe down "
        f"{back_at - down_at:.1f}s ({proxy.refused} requests cut), {retries} retries of "
        f"{len(delays)} messages, deepest {len(attempts)} retries with delays "
        f"{' '.join(f'{deepest[a]:.2f}' for a in attempts)}s, max read_ct {max_read[0]}, "
        f"recovered {recovered:.1f}s after, {duplicates} duplicates"
    )
    # growing delays: the policy draws from [c/2, c] with c doubling up to the cap (4 s)
    assert len(attempts) >= 3
    assert deepest[attempts[0]] <= 0.5 < 1.0 <= deepest[attempts[2]]
    assert max(deepest.values()) <= 4.0
    assert int(max_read[0]) >= 3
    assert duplicates == 0
    assert {b: intents[b] for b in all_ids} == dict.fromkeys(all_ids, 1)
    assert {r: refunds[r] for r in refund_ids} == dict.fromkeys(refund_ids, 1)
    assert proxy.created["/v1/payment_intents"] == len(all_ids)
    assert proxy.created["/v1/refunds"] == len(refund_ids)
    assert db.execute("select count(*) from pgmq.q_payments_dlq").fetchone() == (0,)
