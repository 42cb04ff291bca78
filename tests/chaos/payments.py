"""Helpers of the payment chaos tests: many bookings awaiting payment, Stripe's view of them."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import psycopg
import stripe

from tests.helpers import booking as bk
from tests.helpers import catalog

SLOTS_PER_SHOP = 8  # 09:00-16:00 (open 09:00-17:00)


def make_bookings(db: psycopg.Connection[Any], n: int) -> list[dict[str, Any]]:
    """``n`` bookings awaiting payment through the real quote and confirm path: shops far
    enough apart (one per 1 km quote), eight one-hour slots each on one day."""
    day = catalog.next_weekday(2, at="09:00")
    out: list[dict[str, Any]] = []
    base = uuid.uuid4().int % 400
    shop: bk.Shop | None = None
    for i in range(n):
        if i % SLOTS_PER_SHOP == 0:
            k = base + i // SLOTS_PER_SHOP
            shop = bk.open_shop(db, lat=45.0 + (k % 40) * 0.05, lng=-74.0 + (k // 40) * 0.05)
        assert shop is not None
        b = bk.book(db, shop, day + timedelta(hours=i % SLOTS_PER_SHOP))
        assert b["status"] == "pending_payment", b
        out.append(b)
    return out


def client(url: str) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_chaos", base_addresses={"api": url}, max_network_retries=0)


def intents_by_booking(sc: stripe.StripeClient) -> Counter[str]:
    """How many PaymentIntents Stripe holds per booking (metadata booking_id)."""
    counts: Counter[str] = Counter()
    for pi in sc.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter():
        bid = pi.metadata.to_dict().get("booking_id") if pi.metadata else None
        if bid:
            counts[bid] += 1
    return counts


def refunds_by_ledger(sc: stripe.StripeClient) -> Counter[str]:
    counts: Counter[str] = Counter()
    for r in sc.v1.refunds.list(params={"limit": 100}).auto_paging_iter():
        lid = r.metadata.to_dict().get("refund_ledger_id") if r.metadata else None
        if lid:
            counts[lid] += 1
    return counts


def charge(sc: stripe.StripeClient, intent_id: str) -> dict[str, Any]:
    """The customer pays: a card on the intent, confirmed; the succeeded intent as a dict."""
    sc.v1.payment_intents.update(intent_id, params={"payment_method": "pm_card_visa"})
    pi = sc.v1.payment_intents.confirm(intent_id)
    assert pi.status == "succeeded", pi.status
    return dict(pi.to_dict())


def unrecorded_intents(db: psycopg.Connection[Any], booking_ids: list[str]) -> int:
    row = db.execute(
        "select count(*) from app.payments where booking_id = any(%s::uuid[]) "
        "and stripe_payment_intent_id is null",
        (booking_ids,),
    ).fetchone()
    assert row is not None
    return int(row[0])


def pending_refunds(db: psycopg.Connection[Any]) -> int:
    row = db.execute(
        "select count(*) from app.refunds where stripe_refund_id is null or status = 'pending'"
    ).fetchone()
    assert row is not None
    return int(row[0])


def queue_depth(db: psycopg.Connection[Any], queue: str) -> int:
    row = db.execute(f"select count(*) from pgmq.q_{queue}").fetchone()
    assert row is not None
    return int(row[0])


def paid_with_refunds(
    db: psycopg.Connection[Any],
    url: str,
    n: int,
    worker_args: tuple[str, ...],
    stripe_direct: stripe.StripeClient,
) -> tuple[list[str], list[str]]:
    """``n`` bookings paid in Stripe (intents made by an undisturbed worker, charged, the
    webhook applied) and refunds requested for each (half in two parts): the booking ids
    and the refund ledger ids, whose ``payment.refund`` messages wait in the queue."""
    from tests.helpers.waiting import until
    from tests.helpers.worker_proc import WorkerProcess

    paid = make_bookings(db, n)
    ids = [b["id"] for b in paid]
    with WorkerProcess(url, *worker_args) as w:
        w.wait_for("worker ready", 60)
        until(lambda: unrecorded_intents(db, ids) == 0, 60, "the first intents")
        w.terminate()
        w.wait(30)
    refund_ids: list[str] = []
    for i, b in enumerate(paid):
        row = db.execute(
            "select stripe_payment_intent_id from app.payments where booking_id = %s", (b["id"],)
        ).fetchone()
        assert row is not None
        pi = charge(stripe_direct, row[0])
        assert bk.apply_event(db, "payment_intent.succeeded", pi) == "booking confirmed"
        amount = int(b["payment"]["amount_cents"])
        for part in [amount] if i % 2 else [amount // 2, amount - amount // 2]:
            r = db.execute(
                "select internal.request_refund(%s, %s, 'chaos', null, 'system')", (b["id"], part)
            ).fetchone()
            assert r is not None
            refund_ids.append(str(r[0]))
    return ids, refund_ids
