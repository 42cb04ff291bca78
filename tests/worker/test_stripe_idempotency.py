"""Stripe writes are idempotent by effect: through a real localstripe behind the idempotency proxy."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
import stripe

from tests.helpers import stack, waiting
from tests.helpers.stripe_proxy import StripeProxy
from worker import config, retry, stripe_client
from worker.cluster import port_in_use
from worker.config import ROOT


@pytest.fixture(scope="module")
def localstripe() -> Iterator[str]:
    port = stack.free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "worker.cli", "localstripe", "--port", str(port)],
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
