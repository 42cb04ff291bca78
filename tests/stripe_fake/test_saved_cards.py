"""The development Stripe fake's saved cards (bookiji/stripe_connect.py), through the official
stripe SDK against a real fake process: ``setup_future_usage`` attaches the card that paid to
the intent's Customer, an off-session charge of it works, a declined card answers as Stripe
does (402 ``card_error`` carrying the intent, back to ``requires_payment_method``), and the
failed intent can be confirmed again on session with another card."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from tests.helpers.stripe_fake import LocalStripe, run_localstripe


@pytest.fixture(scope="module")
def fake() -> Iterator[LocalStripe]:
    with run_localstripe() as ls:
        yield ls


@pytest.fixture
def sc(fake: LocalStripe) -> stripe.StripeClient:
    return stripe.StripeClient(
        "sk_test_saved_cards", base_addresses={"api": fake.url}, max_network_retries=0
    )


def _card(sc: stripe.StripeClient, number: str) -> str:
    params = {"number": number, "exp_month": 12, "exp_year": 2040, "cvc": "123"}
    return str(sc.v1.payment_methods.create(params={"type": "card", "card": params}).id)


def test_setup_future_usage_saves_the_card_to_the_customer_for_an_off_session_charge(
    sc: stripe.StripeClient,
) -> None:
    customer = sc.v1.customers.create()
    pi = sc.v1.payment_intents.create(
        params={
            "amount": 1162,
            "currency": "cad",
            "customer": customer.id,
            "setup_future_usage": "off_session",
        }
    )
    assert pi.setup_future_usage == "off_session"
    sc.v1.payment_intents.update(pi.id, params={"payment_method": "pm_card_visa"})
    paid = sc.v1.payment_intents.confirm(pi.id)
    assert paid.status == "succeeded"
    [saved] = sc.v1.payment_methods.list(params={"customer": customer.id, "type": "card"}).data
    assert paid.payment_method == saved.id  # the test token became a payment method
    later = sc.v1.payment_intents.create(
        params={
            "amount": 3449,
            "currency": "cad",
            "customer": customer.id,
            "payment_method": saved.id,
            "off_session": True,
            "confirm": True,
        }
    )
    assert (later.status, later.amount) == ("succeeded", 3449)


def test_an_unknown_setup_future_usage_is_refused_naming_it(sc: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as err:
        sc.v1.payment_intents.create(
            params={"amount": 100, "currency": "cad", "setup_future_usage": "sometimes"}
        )
    assert err.value.param == "setup_future_usage"


def test_a_declined_off_session_charge_carries_the_intent_which_can_be_paid_again(
    sc: stripe.StripeClient,
) -> None:
    customer = sc.v1.customers.create()
    declining = _card(sc, "4000000000000341")  # attaches, then every charge is declined
    sc.v1.payment_methods.attach(declining, params={"customer": customer.id})
    with pytest.raises(stripe.CardError) as err:
        sc.v1.payment_intents.create(
            params={
                "amount": 3449,
                "currency": "cad",
                "customer": customer.id,
                "payment_method": declining,
                "off_session": True,
                "confirm": True,
            }
        )
    error = err.value.json_body["error"] if isinstance(err.value.json_body, dict) else {}
    assert (error["type"], error["code"]) == ("card_error", "card_declined")
    intent = error["payment_intent"]
    assert (intent["status"], intent["payment_method"]) == ("requires_payment_method", None)
    assert intent["last_payment_error"]["code"] == "card_declined"
    # on session, with another card
    sc.v1.payment_intents.update(intent["id"], params={"payment_method": "pm_card_visa"})
    assert sc.v1.payment_intents.confirm(intent["id"]).status == "succeeded"
