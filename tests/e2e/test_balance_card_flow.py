"""The balance after a deposit charged to the customer's saved card after completion, end to
end through real processes (PostgREST over HTTP with real JWTs, the worker, the Stripe fake
through the ``stripe`` SDK, signed webhooks, an SMTP server): with the customer's consent
at confirm, the deposit's PaymentIntent saves the card to the user's Stripe Customer; once
the provider marks the booking completed, the worker charges the balance off-session. A
card that asks for authentication leaves the balance due, emails the customer a link and
lets them pay it on session; without consent nothing is charged and the venue collects."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
import stripe

from bookiji import config
from tests.helpers import booking as bk
from tests.helpers import catalog, stack
from tests.helpers.api import Account, signup
from tests.helpers.auth import bearer, mint
from tests.helpers.factories import create_user
from tests.helpers.mailbox import Mailbox, text_of
from tests.helpers.stripe_fake import LocalStripe, run_localstripe
from tests.helpers.waiting import until
from tests.helpers.worker_proc import WorkerProcess

AUTH_CARD = "4000002500003155"  # asks for authentication (3D Secure) on every charge


@pytest.fixture(scope="module")
def localstripe(api: stack.PostgREST) -> Iterator[LocalStripe]:
    with run_localstripe() as fake:
        fake.register_webhook(f"{api.url}/rpc/stripe_webhook", config.load().stripe_webhook_secret)
        yield fake


@pytest.fixture
def worker(
    api: stack.PostgREST,
    localstripe: LocalStripe,
    mailbox: Mailbox,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[WorkerProcess]:
    monkeypatch.setenv("STRIPE_API_BASE", localstripe.url)
    dbname = psycopg.conninfo.conninfo_to_dict(api.db_url)["dbname"]
    url = stack.worker_url(str(dbname))
    with WorkerProcess(
        url, "--import", "worker.tasks", "--sweep-interval", "0.5", "--poll", "1"
    ) as proc:
        proc.wait_for("worker ready|idle")
        yield proc
        print(proc.output())  # shown when the test fails


@pytest.fixture
def admin(api: stack.PostgREST) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(api.db_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def sc(localstripe: LocalStripe) -> stripe.StripeClient:
    return stripe.StripeClient(
        "sk_test_e2e", base_addresses={"api": localstripe.url}, max_network_retries=0
    )


def _shop(api: stack.PostgREST, admin: psycopg.Connection[Any]) -> tuple[bk.Shop, Any]:
    lat, lng = 46.0 + (uuid.uuid4().int % 500) / 1000, -72.5 + (uuid.uuid4().int % 500) / 1000
    shop = bk.open_shop(admin, lat=lat, lng=lng, price_cents=4010, deposit_cents=1010)
    provider = bearer(mint("provider", shop.owner_id))
    registered = httpx.post(
        f"{api.url}/rpc/set_tax_registration",
        json={"gst_number": "123456782RT0001", "qst_number": "1234567890TQ0001"},
        headers=provider,
    )
    assert registered.status_code == 200, registered.text
    return shop, provider


def _book(
    api: stack.PostgREST, shop: bk.Shop, customer: Account, save_card: bool | None
) -> dict[str, Any]:
    offers = httpx.post(
        f"{api.url}/rpc/quote",
        json={
            "category": "haircut",
            "lat": shop.lat,
            "lng": shop.lng,
            "starts_at": catalog.next_weekday(3, at="11:00").isoformat(),
            "radius_km": 1,
        },
        headers=customer.headers,
    ).json()
    offer = next(o for o in offers if o["provider_id"] == str(shop.provider_id))
    body: dict[str, Any] = {"quote_id": offer["quote_id"], "provider_id": offer["provider_id"]}
    if save_card is not None:
        body["save_card"] = save_card
    resp = httpx.post(
        f"{api.url}/rpc/confirm_booking",
        json=body,
        headers={**customer.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def _intent_of(api: stack.PostgREST, customer: Account, booking_id: str) -> str:
    def secret() -> Any:
        return httpx.get(
            f"{api.url}/rpc/booking_payment",
            params={"booking_id": booking_id},
            headers=customer.headers,
        ).json()["payment"]["client_secret"]

    return str(until(secret, what="the PaymentIntent")).split("_secret_")[0]


def _card(sc: stripe.StripeClient, number: str) -> str:
    pm = sc.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }
    )
    return str(pm.id)


def _pay_on_session(
    sc: stripe.StripeClient, localstripe: LocalStripe, intent_id: str, method: str
) -> str:
    """What Stripe.js does in the customer's browser: the card, the confirm, and (for a card
    that asks for it) the 3D Secure step, passed."""
    sc.v1.payment_intents.update(intent_id, params={"payment_method": method})
    pi = sc.v1.payment_intents.confirm(intent_id)
    if pi.status == "requires_action":
        done = httpx.post(
            f"{localstripe.url}/v1/payment_intents/{intent_id}/_authenticate",
            params={"success": "true"},
            json={"key": "pk_test_e2e", "client_secret": pi.client_secret},
        )
        assert done.status_code == 200, done.text
        pi = sc.v1.payment_intents.retrieve(intent_id)
    return str(pi.status)


def _complete(api: stack.PostgREST, admin: Any, provider: Any, booking_id: str) -> None:
    bk.starts_in(admin, booking_id, "-70 minutes")
    done = httpx.post(
        f"{api.url}/rpc/mark_booking",
        json={"booking_id": booking_id, "outcome": "completed"},
        headers=provider,
    )
    assert done.status_code == 200, done.text


def _balance(api: stack.PostgREST, customer: Account, booking_id: str) -> dict[str, Any]:
    return dict(
        httpx.get(
            f"{api.url}/rpc/booking_balance",
            params={"booking_id": booking_id},
            headers=customer.headers,
        ).json()
    )


def _balance_intents(sc: stripe.StripeClient, booking_id: str) -> list[Any]:
    return [
        pi
        for pi in sc.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
        if pi.metadata and pi.metadata.to_dict().get("balance_of") == booking_id
    ]


def test_with_consent_the_balance_is_charged_off_session_and_the_parts_add_up_to_the_cent(
    api: stack.PostgREST,
    admin: psycopg.Connection[Any],
    localstripe: LocalStripe,
    worker: WorkerProcess,
    sc: stripe.StripeClient,
) -> None:
    shop, provider = _shop(api, admin)
    customer = signup(api.url, "customer")
    booking = _book(api, shop, customer, save_card=True)
    deposit_id = _intent_of(api, customer, booking["id"])
    deposit = sc.v1.payment_intents.retrieve(deposit_id)
    assert (deposit.setup_future_usage, deposit.amount) == ("off_session", 1162)
    assert deposit.customer is not None and deposit.customer.startswith("cus_")
    assert _pay_on_session(sc, localstripe, deposit_id, "pm_card_visa") == "succeeded"
    until(lambda: bk.status(admin, booking["id"]) == "confirmed", what="the payment webhook")
    saved = sc.v1.payment_methods.list(params={"customer": deposit.customer, "type": "card"})
    assert len(saved.data) == 1  # the card was saved to the customer's Stripe Customer

    _complete(api, admin, provider, booking["id"])
    until(
        lambda: _balance(api, customer, booking["id"])["balance_status"] == "paid",
        what="the off-session balance charge",
    )
    [balance] = _balance_intents(sc, booking["id"])
    money = _balance(api, customer, booking["id"])
    # the fake charged 1162 then 3449: 4010 + 201 + 400, as the ledger says
    assert (balance.status, balance.amount, balance.customer) == (
        "succeeded",
        3449,
        deposit.customer,
    )
    assert balance.payment_method == saved.data[0].id
    assert (money["balance_method"], money["balance_paid_cents"], money["settled_cents"]) == (
        "card",
        3449,
        4611,
    )
    assert deposit.amount + balance.amount == 4010 + 201 + 400
    # the venue cannot take it again
    venue = httpx.post(
        f"{api.url}/rpc/mark_balance_paid_at_venue",
        json={"booking_id": booking["id"]},
        headers=provider,
    )
    assert venue.status_code == 409, venue.text
    # exactly one balance intent, however the worker ran
    assert len(_balance_intents(sc, booking["id"])) == 1

    # ops refunds: the guard covers both charges (4611), the balance's is refunded first
    ops = bearer(mint("ops", create_user(admin, "ops")))
    too_much = httpx.post(
        f"{api.url}/rpc/ops_refund",
        json={"booking_id": booking["id"], "amount_cents": 4612, "reason": "too much"},
        headers=ops,
    )
    assert (too_much.status_code, too_much.json()["hint"]) == (409, "conflict"), too_much.text
    assert "4611" in too_much.json()["message"]
    for part in (3000, 1611):
        refunded = httpx.post(
            f"{api.url}/rpc/ops_refund",
            json={"booking_id": booking["id"], "amount_cents": part, "reason": "goodwill"},
            headers=ops,
        )
        assert refunded.status_code == 200, refunded.text
    rows = admin.execute(
        "select balance_charge, sum(amount_cents) from app.refunds where booking_id = %s"
        " group by balance_charge order by balance_charge",
        (booking["id"],),
    ).fetchall()
    assert rows == [(False, 1162), (True, 3449)]
    until(
        lambda: (
            admin.execute(
                "select count(*) from app.refunds where booking_id = %s and status = 'succeeded'",
                (booking["id"],),
            ).fetchone()
            == (3,)
        ),
        what="the three Stripe refunds",
    )
    # in Stripe: the balance's charge and the deposit's are each refunded in full
    for intent_id, amount in ((balance.id, 3449), (deposit_id, 1162)):
        refunds = sc.v1.refunds.list(params={"payment_intent": intent_id, "limit": 10})
        assert sum(r.amount for r in refunds.data) == amount
    again = httpx.post(
        f"{api.url}/rpc/ops_refund",
        json={"booking_id": booking["id"], "amount_cents": 1, "reason": "one more"},
        headers=ops,
    )
    assert again.status_code == 409, again.text


def test_a_card_that_asks_for_authentication_leaves_the_balance_due_and_the_customer_pays_it(
    api: stack.PostgREST,
    admin: psycopg.Connection[Any],
    localstripe: LocalStripe,
    worker: WorkerProcess,
    sc: stripe.StripeClient,
    mailbox: Mailbox,
) -> None:
    shop, provider = _shop(api, admin)
    customer = signup(api.url, "customer", locale="fr")
    stranger = signup(api.url, "customer")
    booking = _book(api, shop, customer, save_card=True)
    deposit_id = _intent_of(api, customer, booking["id"])
    assert _pay_on_session(sc, localstripe, deposit_id, _card(sc, AUTH_CARD)) == "succeeded"
    until(lambda: bk.status(admin, booking["id"]) == "confirmed", what="the payment webhook")

    early = httpx.get(
        f"{api.url}/rpc/pay_balance", params={"booking_id": booking["id"]}, headers=customer.headers
    )
    assert (early.status_code, early.json()["hint"]) == (409, "balance_not_due")
    _complete(api, admin, provider, booking["id"])
    until(
        lambda: _balance(api, customer, booking["id"])["balance_status"] == "due",
        what="the failed off-session charge",
    )
    [due] = until(
        lambda: (
            mailbox.to(customer.email)
            and [m for m in mailbox.to(customer.email) if "Solde" in str(m["Subject"])]
        ),
        what="the balance_due email",
    )
    assert str(due["Subject"]).startswith("Solde de 34,49")
    assert f"/bookings?pay_balance={booking['id']}" in text_of(due)

    # another customer neither sees nor pays it; bad input is a 400
    other = httpx.get(
        f"{api.url}/rpc/pay_balance", params={"booking_id": booking["id"]}, headers=stranger.headers
    )
    assert (other.status_code, other.json()["hint"]) == (404, "not_found")
    bad = httpx.get(
        f"{api.url}/rpc/pay_balance", params={"booking_id": "nope"}, headers=customer.headers
    )
    assert bad.status_code == 400, bad.text
    by_provider = httpx.get(
        f"{api.url}/rpc/pay_balance", params={"booking_id": booking["id"]}, headers=provider
    )
    assert by_provider.status_code in (401, 403), by_provider.text

    pay = httpx.get(
        f"{api.url}/rpc/pay_balance", params={"booking_id": booking["id"]}, headers=customer.headers
    )
    assert pay.status_code == 200, pay.text
    now = pay.json()
    assert (now["balance_status"], now["balance_cents"], now["failure_code"]) == (
        "due",
        3449,
        "authentication_required",
    )
    intent_id = now["client_secret"].split("_secret_")[0]
    # the customer's first try on session is declined, the second (authenticated) pays
    with pytest.raises(stripe.CardError):
        _pay_on_session(sc, localstripe, intent_id, "pm_card_chargeCustomerFail")
    assert _pay_on_session(sc, localstripe, intent_id, _card(sc, AUTH_CARD)) == "succeeded"
    until(
        lambda: _balance(api, customer, booking["id"])["balance_status"] == "paid",
        what="the balance webhook",
    )
    money = _balance(api, customer, booking["id"])
    assert (money["balance_method"], money["settled_cents"]) == ("card", 4611)
    assert len(_balance_intents(sc, booking["id"])) == 1


def test_without_consent_nothing_is_charged_off_session_and_the_venue_collects(
    api: stack.PostgREST,
    admin: psycopg.Connection[Any],
    localstripe: LocalStripe,
    worker: WorkerProcess,
    sc: stripe.StripeClient,
) -> None:
    shop, provider = _shop(api, admin)
    customer = signup(api.url, "customer")
    booking = _book(api, shop, customer, save_card=None)
    deposit_id = _intent_of(api, customer, booking["id"])
    deposit = sc.v1.payment_intents.retrieve(deposit_id)
    assert (deposit.customer, deposit.setup_future_usage) == (None, None)
    assert _pay_on_session(sc, localstripe, deposit_id, "pm_card_visa") == "succeeded"
    until(lambda: bk.status(admin, booking["id"]) == "confirmed", what="the payment webhook")
    _complete(api, admin, provider, booking["id"])
    asked = admin.execute(
        "select count(*) from (select message from pgmq.q_payments union all"
        " select message from pgmq.a_payments) as m"
        " where message ->> 'type' = 'payment.charge_balance' and message ->> 'booking_id' = %s",
        (booking["id"],),
    ).fetchone()
    assert asked == (0,)
    assert _balance(api, customer, booking["id"])["balance_status"] == "open"
    venue = httpx.post(
        f"{api.url}/rpc/mark_balance_paid_at_venue",
        json={"booking_id": booking["id"]},
        headers=provider,
    )
    assert venue.status_code == 200, venue.text
    assert _balance_intents(sc, booking["id"]) == []
