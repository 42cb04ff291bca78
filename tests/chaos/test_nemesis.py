"""The nemesis run: 20 clients doing random confirm, pay, reschedule, cancel, refund and
force-cancel on a handful of providers through the real stack, while the worker is
killed (-9) and restarted; then the database checks its promises and every 2xx is
checked to still be true, and every Stripe effect to have happened exactly once.

CI size: 20 s (NEMESIS_SECONDS); `make chaos` runs it longer."""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import psycopg
import pytest
import stripe

from tests.helpers import booking as bk
from tests.helpers import catalog, stack
from tests.helpers.auth import bearer, mint
from tests.helpers.factories import create_user
from tests.helpers.stripe_fake import LocalStripe, run_localstripe
from tests.helpers.stripe_proxy import StripeProxy
from tests.helpers.waiting import until
from tests.helpers.worker_proc import WorkerProcess
from worker import config

SECONDS = float(os.environ.get("NEMESIS_SECONDS", "20"))
CLIENTS = 20


@pytest.fixture(scope="module")
def api(template_db: str) -> Iterator[stack.PostgREST]:
    """A database and PostgREST of its own: the session's shared API database holds
    other tests' leftover messages (refunds of fake intents) that are not ours to judge."""
    name = f"bookiji_nemesis_{uuid.uuid4().hex[:8]}"
    stack.create_db(name, template_db)
    try:
        with stack.run_postgrest(name) as server:
            yield server
    finally:
        stack.drop_db(name)


@pytest.fixture(scope="module")
def localstripe(api: stack.PostgREST) -> Iterator[LocalStripe]:
    with run_localstripe() as fake:
        fake.register_webhook(f"{api.url}/rpc/stripe_webhook", config.load().stripe_webhook_secret)
        yield fake


@pytest.fixture
def stripe_for_worker(localstripe: LocalStripe) -> Iterator[StripeProxy]:
    """localstripe ignores Idempotency-Key; Stripe does not. The worker talks to Stripe
    through a pass-through that honours the header as Stripe documents, as in production."""
    with StripeProxy(localstripe.url) as proxy:
        yield proxy


def _worker(api: stack.PostgREST) -> WorkerProcess:
    dbname = psycopg.conninfo.conninfo_to_dict(api.db_url)["dbname"]
    url = stack.role_url(str(dbname), "bookiji_worker", config.load().worker_db_password)
    proc = WorkerProcess(
        url,
        "--import",
        "worker.tasks",
        "--sweep-interval",
        "1",
        "--poll",
        "1",
        "--retry-base",
        "0.2",
        "--retry-cap",
        "2",
    )
    proc.wait_for("worker ready|idle")
    return proc


@pytest.mark.slow
def test_nemesis_finds_no_broken_promise(
    api: stack.PostgREST,
    localstripe: LocalStripe,
    stripe_for_worker: StripeProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STRIPE_API_BASE", stripe_for_worker.url)
    rng = random.Random(7)
    admin = psycopg.connect(api.db_url, autocommit=True)
    shops = [
        bk.open_shop(
            admin, lat=47.0 + i * 0.2 + rng.random() / 100, lng=-76.0, buffer_after_minutes=15
        )
        for i in range(3)
    ]
    customers = [create_user(admin, "customer") for _ in range(CLIENTS)]
    ops = create_user(admin, "ops")
    tokens = {c: bearer(mint("customer", c)) for c in customers}
    ops_h = bearer(mint("ops", ops))
    base = catalog.next_weekday(2, at="09:00", min_days=4)
    sc = stripe.StripeClient(
        "sk_test_nemesis", base_addresses={"api": localstripe.url}, max_network_retries=0
    )
    http = httpx.Client(
        base_url=api.url, timeout=30, limits=httpx.Limits(max_connections=CLIENTS + 2)
    )
    lock = threading.Lock()
    ops_done: Counter[str] = Counter()
    server_errors: list[str] = []
    promised_cancelled: set[str] = set()
    promised_refunds: set[str] = set()
    mine: dict[uuid.UUID, list[str]] = {c: [] for c in customers}

    def slot() -> Any:
        return base + timedelta(
            days=rng.randint(0, 2), hours=rng.randint(0, 6), minutes=rng.choice([0, 30])
        )

    def record(name: str, r: httpx.Response) -> None:
        with lock:
            ops_done[f"{name} {r.status_code}"] += 1
            if r.status_code >= 500:
                server_errors.append(f"{name}: {r.status_code} {r.text[:200]}")

    def act(c: uuid.UUID) -> None:
        h = tokens[c]
        x = rng.random()
        with lock:
            own = list(mine[c])
        if x < 0.40 or not own:
            shop = rng.choice(shops)
            q = http.post(
                "/rpc/quote",
                headers=h,
                json={
                    "category": "haircut",
                    "lat": shop.lat,
                    "lng": shop.lng,
                    "starts_at": slot().isoformat(),
                    "radius_km": 1,
                },
            )
            record("quote", q)
            offers = (
                [o for o in q.json() if o["provider_id"] == str(shop.provider_id)]
                if q.status_code == 200
                else []
            )
            if offers:
                r = http.post(
                    "/rpc/confirm_booking",
                    headers=h,
                    json={
                        "quote_id": offers[0]["quote_id"],
                        "provider_id": offers[0]["provider_id"],
                    },
                )
                record("confirm", r)
                if r.status_code == 200:
                    with lock:
                        mine[c].append(r.json()["id"])
        elif x < 0.60:
            bid = rng.choice(own)
            p = http.get("/rpc/booking_payment", headers=h, params={"booking_id": bid})
            secret = (
                (p.json().get("payment") or {}).get("client_secret")
                if p.status_code == 200
                else None
            )
            if secret:
                pi = secret.split("_secret_")[0]
                try:
                    sc.v1.payment_intents.update(pi, params={"payment_method": "pm_card_visa"})
                    sc.v1.payment_intents.confirm(pi)
                    with lock:
                        ops_done["pay"] += 1
                except stripe.StripeError:
                    with lock:
                        ops_done["pay refused by stripe (not payable now)"] += 1
        elif x < 0.72:
            r = http.post(
                "/rpc/reschedule_booking",
                headers=h,
                json={"booking_id": rng.choice(own), "new_starts_at": slot().isoformat()},
            )
            record("reschedule", r)
        elif x < 0.84:
            bid = rng.choice(own)
            r = http.post(
                "/rpc/cancel_booking", headers=h, json={"booking_id": bid, "reason": "nemesis"}
            )
            record("cancel", r)
            if r.status_code == 200:
                with lock:
                    promised_cancelled.add(bid)
        elif x < 0.94:
            bid = rng.choice(own)
            r = http.post(
                "/rpc/ops_refund",
                headers=ops_h,
                json={
                    "booking_id": bid,
                    "amount_cents": rng.choice([100, 300, 700]),
                    "reason": "nemesis",
                },
            )
            record("ops refund", r)
            if r.status_code == 200:
                with lock:
                    promised_refunds.add(bid)
        else:
            bid = rng.choice(own)
            r = http.post(
                "/rpc/ops_force_cancel",
                headers=ops_h,
                json={"booking_id": bid, "reason": "nemesis"},
            )
            record("force cancel", r)
            if r.status_code == 200:
                with lock:
                    promised_cancelled.add(bid)

    faults = 0
    worker = _worker(api)
    try:
        deadline = time.monotonic() + SECONDS
        next_fault = time.monotonic() + SECONDS / 3

        def client_loop(c: uuid.UUID) -> None:
            while time.monotonic() < deadline:
                act(c)

        with ThreadPoolExecutor(CLIENTS) as pool:
            futures = [pool.submit(client_loop, c) for c in customers]
            while time.monotonic() < deadline:
                if time.monotonic() >= next_fault:
                    worker.kill()  # kill -9 in the middle of whatever it holds
                    worker = _worker(api)
                    faults += 1
                    next_fault += SECONDS / 3
                time.sleep(0.2)
            for f in futures:
                f.result()

        def drained() -> bool:
            row = admin.execute(
                "select (select count(*) from pgmq.q_payments) "
                "+ (select count(*) from app.refunds where status = 'pending'), "
                "(select count(*) from pgmq.q_payments_dlq)"
            ).fetchone()
            assert row is not None
            if row[1]:  # a dead letter never drains: fail now, showing it
                raise AssertionError(
                    admin.execute("select message from pgmq.q_payments_dlq").fetchall()
                )
            return bool(row[0] == 0)

        try:
            until(drained, timeout=180, what="the payment queue and pending refunds to drain")
        except AssertionError:
            print(
                admin.execute("select msg_id, read_ct, vt, message from pgmq.q_payments").fetchall()
            )
            print(
                admin.execute(
                    "select id, booking_id, status, stripe_refund_id from app.refunds "
                    "where status = 'pending'"
                ).fetchall()
            )
            print(worker.output()[-5000:])
            raise
    finally:
        worker.kill()
        http.close()

    violations = admin.execute(
        "select rule, violations, example from internal.check_invariants() where violations > 0"
    ).fetchall()
    statuses = {
        r[0]: r[1]
        for r in admin.execute(
            "select id::text, status from app.bookings where id::text = any(%s)",
            (list(promised_cancelled),),
        )
    }
    broken_cancels = [b for b in promised_cancelled if statuses.get(b) != "cancelled"]
    missing_refunds = [
        b
        for b in promised_refunds
        if admin.execute("select count(*) from app.refunds where booking_id = %s", (b,)).fetchone()
        == (0,)
    ]
    # every Stripe effect exactly once: one PaymentIntent per booking, one Stripe refund per ledger row
    intents: Counter[str] = Counter(
        pi.metadata.to_dict().get("booking_id", "")
        for pi in sc.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
    )
    booking_ids = {
        r[0]
        for r in admin.execute(
            "select b.id::text from app.bookings b join app.payments p on p.booking_id = b.id "
            "where b.provider_id = any(%s) and p.stripe_payment_intent_id is not null",
            ([s.provider_id for s in shops],),
        )
    }
    duplicate_intents = [b for b in booking_ids if intents[b] != 1]
    refund_rows = admin.execute(
        "select r.id::text, p.stripe_payment_intent_id from app.refunds r join app.payments p on p.id = r.payment_id "
        "where r.booking_id in (select id from app.bookings where provider_id = any(%s)) and r.status = 'succeeded'",
        ([s.provider_id for s in shops],),
    ).fetchall()
    stripe_refunds: Counter[str] = Counter()
    for pi in {r[1] for r in refund_rows}:
        for ref in sc.v1.refunds.list(
            params={"payment_intent": pi, "limit": 100}
        ).auto_paging_iter():
            stripe_refunds[ref.metadata.to_dict().get("refund_ledger_id", "")] += 1
    duplicate_refunds = [r[0] for r in refund_rows if stripe_refunds[r[0]] != 1]
    dead = admin.execute("select count(*) from pgmq.q_payments_dlq").fetchone()
    admin.close()

    total = sum(ops_done.values())
    problems = (
        len(violations)
        + len(server_errors)
        + len(broken_cancels)
        + len(missing_refunds)
        + len(duplicate_intents)
        + len(duplicate_refunds)
        + (dead[0] if dead else 0)
    )
    print(
        f"nemesis: {total} ops, {faults} faults injected, {problems} violations; {dict(sorted(ops_done.items()))}"
    )
    assert violations == []
    assert server_errors == []
    assert broken_cancels == []
    assert missing_refunds == []
    assert duplicate_intents == []
    assert duplicate_refunds == []
    assert dead == (0,)
    assert faults >= 2
