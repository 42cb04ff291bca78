"""Stripe writes are idempotent by effect: through a real localstripe behind the idempotency proxy."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import stripe

from bookiji import config
from bookiji.cluster import port_in_use
from bookiji.config import ROOT
from tests.chaos import payments as cp
from tests.helpers import stack, waiting
from tests.helpers.db import as_user
from tests.helpers.stripe_proxy import StripeProxy
from worker import registry, retry, stripe_client
from worker.messages import Message
from worker.tasks import payments as tasks


@pytest.fixture(scope="module")
def localstripe() -> Iterator[str]:
    port = stack.free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bookiji.cli", "localstripe", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        waiting.until(
            lambda: proc.poll() is not None or port_in_use(port), what="localstripe to listen"
        )
        assert proc.poll() is None, "localstripe did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def proxy(localstripe: str) -> Iterator[StripeProxy]:
    with StripeProxy(localstripe) as p:
        yield p


def client_for(base: str) -> stripe.StripeClient:
    return stripe_client.make_client(dataclasses.replace(config.load(), stripe_api_base=base))


@pytest.fixture
def sc(proxy: StripeProxy) -> stripe.StripeClient:
    return client_for(proxy.url)


def intents_upstream(localstripe: str, booking_id: str) -> list[str]:
    direct = client_for(localstripe)
    return [
        pi.id
        for pi in direct.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
        if stripe_client.metadata(pi).get("booking_id") == booking_id
    ]


def _cancel_as_its_customer(db: psycopg.Connection[Any], booking_id: str) -> None:
    customer = db.execute(
        "select customer_id from app.bookings where id = %s", (booking_id,)
    ).fetchone()
    assert customer is not None
    with as_user(db, "customer", customer[0]):
        db.execute("select internal.cancel_booking(%s, 'changed my mind')", (booking_id,))


def test_the_client_never_retries_on_its_own_and_talks_to_the_configured_base(
    proxy: StripeProxy,
) -> None:
    sc = client_for(proxy.url)
    assert sc._requestor._options.max_network_retries == 0
    assert sc._requestor._options.base_addresses["api"] == proxy.url


def test_effect_keys_name_the_effect_never_a_random_value() -> None:
    assert stripe_client.intent_key(42) == "booking:42:create_intent"
    assert stripe_client.refund_key("7f3a") == "refund:7f3a"
    assert stripe_client.intent_key(42) == stripe_client.intent_key("42")
    with pytest.raises(stripe_client.PermanentError):
        stripe_client.effect_key("booking", "1' or 'a'='a")


def test_creating_an_intent_twice_with_the_same_effect_key_yields_one_object(
    sc: stripe.StripeClient, proxy: StripeProxy, localstripe: str
) -> None:
    booking = uuid.uuid4().hex
    first = stripe_client.create_payment_intent(
        sc, booking_id=booking, amount=5000, currency="cad", find_existing=False
    )
    second = stripe_client.create_payment_intent(
        sc, booking_id=booking, amount=5000, currency="cad", find_existing=False
    )
    assert second.id == first.id
    assert proxy.created["/v1/payment_intents"] == 1
    assert proxy.replayed == 1
    assert intents_upstream(localstripe, booking) == [first.id]
    assert first.metadata["effect"] == f"booking:{booking}:create_intent"


def test_the_same_key_with_other_parameters_is_refused_and_never_retried(
    sc: stripe.StripeClient, proxy: StripeProxy
) -> None:
    booking = uuid.uuid4().hex
    stripe_client.create_payment_intent(
        sc, booking_id=booking, amount=5000, currency="cad", find_existing=False
    )
    with pytest.raises(stripe.IdempotencyError) as err:
        sc.v1.payment_intents.create(
            params={"amount": 9999, "currency": "cad"},
            options={"idempotency_key": stripe_client.intent_key(booking)},
        )
    assert retry.classify(err.value) == "permanent"
    assert proxy.created["/v1/payment_intents"] == 1


def test_a_replay_after_the_key_expired_finds_the_intent_instead_of_creating_another(
    sc: stripe.StripeClient, proxy: StripeProxy, localstripe: str
) -> None:
    booking = uuid.uuid4().hex
    first = stripe_client.create_payment_intent(sc, booking_id=booking, amount=1200, currency="cad")
    proxy.forget_keys()  # 24 hours later, say, from the dead-letter queue
    again = stripe_client.create_payment_intent(sc, booking_id=booking, amount=1200, currency="cad")
    assert again.id == first.id
    assert proxy.created["/v1/payment_intents"] == 1
    assert intents_upstream(localstripe, booking) == [first.id]


def test_a_refund_is_made_once_per_ledger_entry_even_after_the_key_expired(
    sc: stripe.StripeClient, proxy: StripeProxy
) -> None:
    card = sc.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        },
        options={"idempotency_key": f"test:{uuid.uuid4().hex}:card"},
    )
    booking = uuid.uuid4().hex
    pi = stripe_client.create_payment_intent(
        sc, booking_id=booking, amount=8000, currency="cad", find_existing=False
    )
    sc.v1.payment_intents.update(
        pi.id,
        params={"payment_method": card.id},
        options={"idempotency_key": f"test:{booking}:attach"},
    )
    sc.v1.payment_intents.confirm(pi.id, options={"idempotency_key": f"test:{booking}:confirm"})

    ledger = uuid.uuid4().hex
    first = stripe_client.create_refund(
        sc, ledger_id=ledger, payment_intent=pi.id, amount=3000, find_existing=False
    )
    second = stripe_client.create_refund(
        sc, ledger_id=ledger, payment_intent=pi.id, amount=3000, find_existing=False
    )
    proxy.forget_keys()
    third = stripe_client.create_refund(sc, ledger_id=ledger, payment_intent=pi.id, amount=3000)
    assert first.id == second.id == third.id
    assert proxy.created["/v1/refunds"] == 1
    assert first.metadata["refund_ledger_id"] == ledger


def test_an_intent_made_by_an_attempt_that_never_committed_is_recorded_and_cancelled_when_the_booking_ended_meanwhile(
    db: psycopg.Connection[Any],
    proxy: StripeProxy,
    localstripe: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Found by the nemesis (a database restart between the Stripe call and the commit): the
    redelivered message found the booking cancelled and skipped, leaving a live PaymentIntent
    in Stripe that the database never heard of and nobody cancelled."""
    monkeypatch.setenv("STRIPE_API_BASE", proxy.url)
    stripe_client.client.cache_clear()
    booking = cp.make_bookings(db, 1)[0]
    row = db.execute(
        "select msg_id, message, enqueued_at from pgmq.q_payments "
        "where message ->> 'booking_id' = %s",
        (booking["id"],),
    ).fetchone()
    assert row is not None
    msg_id, body, enqueued_at = row
    with psycopg.connect(stack.worker_url(db.info.dbname)) as conn:

        def deliver(read_ct: int, commit: bool) -> None:
            message = Message("payments", msg_id, read_ct, enqueued_at, enqueued_at, body)
            with conn.transaction(force_rollback=not commit):
                tasks.create_intent(registry.Context(conn, message, 8), body)

        deliver(1, commit=False)  # Stripe made the intent; the commit never happened
        assert len(intents_upstream(localstripe, booking["id"])) == 1
        _cancel_as_its_customer(db, booking["id"])
        deliver(2, commit=True)  # the message again, after its visibility timeout
    [pi] = intents_upstream(localstripe, booking["id"])
    assert proxy.created["/v1/payment_intents"] == 1
    recorded = db.execute(
        "select stripe_payment_intent_id from app.payments where booking_id = %s", (booking["id"],)
    ).fetchone()
    assert recorded == (pi,)
    # recording it asked for its cancellation: the booking has ended
    cancels = db.execute(
        "select msg_id, message, enqueued_at from pgmq.q_payments "
        "where message ->> 'booking_id' = %s and message ->> 'type' = 'payment.cancel_intent'",
        (booking["id"],),
    ).fetchall()
    assert cancels
    with psycopg.connect(stack.worker_url(db.info.dbname)) as conn:
        for c_id, c_body, c_at in cancels:
            message = Message("payments", c_id, 1, c_at, c_at, c_body)
            with conn.transaction():
                tasks.cancel_intent(registry.Context(conn, message, 8), c_body)
    assert client_for(localstripe).v1.payment_intents.retrieve(pi).status == "canceled"


def test_cancelling_an_intent_the_customer_pays_at_that_very_moment_is_not_a_dead_letter(
    db: psycopg.Connection[Any],
    proxy: StripeProxy,
    localstripe: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Found by the nemesis: the booking ended, the cancel handler looked at the intent
    (awaiting payment), the customer paid, and Stripe refused the cancel (400) - a permanent
    error, dead-lettered. The paid intent is the webhook's to refund, as when the look
    already shows it paid."""
    monkeypatch.setenv("STRIPE_API_BASE", proxy.url)
    stripe_client.client.cache_clear()
    booking = cp.make_bookings(db, 1)[0]
    msg_id, body, at = db.execute(
        "select msg_id, message, enqueued_at from pgmq.q_payments "
        "where message ->> 'booking_id' = %s",
        (booking["id"],),
    ).fetchone() or (None, None, None)
    with psycopg.connect(stack.worker_url(db.info.dbname)) as conn, conn.transaction():
        tasks.create_intent(
            registry.Context(conn, Message("payments", msg_id, 1, at, at, body), 8), body
        )
    _cancel_as_its_customer(db, booking["id"])
    [cancel] = db.execute(
        "select msg_id, message, enqueued_at from pgmq.q_payments "
        "where message ->> 'booking_id' = %s and message ->> 'type' = 'payment.cancel_intent'",
        (booking["id"],),
    ).fetchall()
    sc = stripe_client.client()
    look = sc.v1.payment_intents.retrieve

    paid: list[str] = []

    def look_then_the_customer_pays(intent_id: str) -> Any:
        seen = look(intent_id)
        if not paid:  # at that very moment, once
            paid.append(cp.charge(client_for(localstripe), intent_id)["id"])
        return seen

    monkeypatch.setattr(sc.v1.payment_intents, "retrieve", look_then_the_customer_pays)
    c_id, c_body, c_at = cancel
    with psycopg.connect(stack.worker_url(db.info.dbname)) as conn, conn.transaction():
        tasks.cancel_intent(
            registry.Context(conn, Message("payments", c_id, 1, c_at, c_at, c_body), 8), c_body
        )
    assert intents_upstream(localstripe, booking["id"]) == paid
    status = db.execute(
        "select status from app.payments where booking_id = %s", (booking["id"],)
    ).fetchone()
    assert status == ("requires_payment",)  # not cancelled: the webhook settles it
