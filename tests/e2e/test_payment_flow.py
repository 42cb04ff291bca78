"""End to end through real processes: sign-up -> quote -> confirm over HTTP, the worker
creates the PaymentIntent in localstripe, the card is charged, localstripe's signed
webhook reaches PostgREST, the booking is confirmed; cancelled, the worker refunds it in
Stripe. A declined card never confirms:
the hold expires and the slot is free again."""

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
from tests.helpers.api import signup
from tests.helpers.stripe_fake import LocalStripe, run_localstripe
from tests.helpers.waiting import until
from tests.helpers.worker_proc import WorkerProcess


@pytest.fixture(scope="module")
def localstripe(api: stack.PostgREST) -> Iterator[LocalStripe]:
    with run_localstripe() as fake:
        fake.register_webhook(f"{api.url}/rpc/stripe_webhook", config.load().stripe_webhook_secret)
        yield fake


@pytest.fixture
def worker(
    api: stack.PostgREST, localstripe: LocalStripe, monkeypatch: pytest.MonkeyPatch
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


def _stripe(localstripe: LocalStripe) -> stripe.StripeClient:
    return stripe.StripeClient(
        "sk_test_e2e", base_addresses={"api": localstripe.url}, max_network_retries=0
    )


def _book_over_http(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> tuple[Any, bk.Shop, dict[str, Any]]:
    lat, lng = 46.5 + (uuid.uuid4().int % 500) / 1000, -75.5 + (uuid.uuid4().int % 500) / 1000
    shop = bk.open_shop(admin, lat=lat, lng=lng)
    customer = signup(api.url, "customer")
    start = catalog.next_weekday(4, at="13:00")
    offers = httpx.post(
        f"{api.url}/rpc/quote",
        json={
            "category": "haircut",
            "lat": lat,
            "lng": lng,
            "starts_at": start.isoformat(),
            "radius_km": 1,
        },
        headers=customer.headers,
    )
    assert offers.status_code == 200, offers.text
    offer = next(o for o in offers.json() if o["provider_id"] == str(shop.provider_id))
    confirmed = httpx.post(
        f"{api.url}/rpc/confirm_booking",
        json={"quote_id": offer["quote_id"], "provider_id": offer["provider_id"]},
        headers={**customer.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert confirmed.status_code == 200, confirmed.text
    return customer, shop, confirmed.json()


def _payment(api: stack.PostgREST, customer: Any, booking_id: str) -> dict[str, Any]:
    resp = httpx.get(
        f"{api.url}/rpc/booking_payment",
        params={"booking_id": booking_id},
        headers=customer.headers,
    )
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def _status(api: stack.PostgREST, customer: Any, booking_id: str) -> str:
    rows = httpx.get(
        f"{api.url}/my_bookings", params={"id": f"eq.{booking_id}"}, headers=customer.headers
    ).json()
    return str(rows[0]["status"])


def test_a_paid_booking_is_confirmed_by_stripes_webhook(
    api: stack.PostgREST,
    admin: psycopg.Connection[Any],
    localstripe: LocalStripe,
    worker: WorkerProcess,
) -> None:
    customer, _, booking = _book_over_http(api, admin)
    assert booking["status"] == "pending_payment"
    pay = until(
        lambda: (
            _payment(api, customer, booking["id"])["payment"]["client_secret"]
            and _payment(api, customer, booking["id"])["payment"]
        ),
        what="the PaymentIntent",
    )
    intent_id = pay["client_secret"].split("_secret_")[0]
    sc = _stripe(localstripe)
    sc.v1.payment_intents.update(intent_id, params={"payment_method": "pm_card_visa"})
    assert sc.v1.payment_intents.confirm(intent_id).status == "succeeded"
    until(
        lambda: _status(api, customer, booking["id"]) == "confirmed",
        what="the webhook to confirm the booking",
    )
    assert _payment(api, customer, booking["id"])["payment"]["status"] == "succeeded"
    outcome = admin.execute(
        "select outcome from app.stripe_events where type = 'payment_intent.succeeded' "
        "and payload->'data'->'object'->>'id' = %s",
        (intent_id,),
    ).fetchone()
    assert outcome == ("booking confirmed",)
    intents = [
        pi
        for pi in sc.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
        if pi.metadata.to_dict().get("booking_id") == booking["id"]
    ]
    assert len(intents) == 1


def test_a_declined_card_never_confirms_and_the_expired_hold_frees_the_slot(
    api: stack.PostgREST,
    admin: psycopg.Connection[Any],
    localstripe: LocalStripe,
    worker: WorkerProcess,
) -> None:
    customer, shop, booking = _book_over_http(api, admin)
    pay = until(
        lambda: (
            _payment(api, customer, booking["id"])["payment"]["client_secret"]
            and _payment(api, customer, booking["id"])["payment"]
        ),
        what="the PaymentIntent",
    )
    intent_id = pay["client_secret"].split("_secret_")[0]
    sc = _stripe(localstripe)
    sc.v1.payment_intents.update(intent_id, params={"payment_method": "pm_card_chargeCustomerFail"})
    with pytest.raises(stripe.CardError):
        sc.v1.payment_intents.confirm(intent_id)
    until(
        lambda: _payment(api, customer, booking["id"])["payment"]["failure_reason"],
        what="the failure webhook",
    )
    assert _status(api, customer, booking["id"]) == "pending_payment"
    # the customer walks away; time passes (the hold's end is moved, not waited for)
    admin.execute("update app.bookings set hold_expires_at = now() where id = %s", (booking["id"],))
    until(
        lambda: _status(api, customer, booking["id"]) == "expired",
        what="the sweep to expire the hold",
    )
    until(
        lambda: _payment(api, customer, booking["id"])["payment"]["status"] == "cancelled",
        what="the worker to cancel the PaymentIntent",
    )
    assert sc.v1.payment_intents.retrieve(intent_id).status == "canceled"
    # the slot is free for the next customer
    other = signup(api.url, "customer")
    offers = httpx.post(
        f"{api.url}/rpc/quote",
        json={
            "category": "haircut",
            "lat": shop.lat,
            "lng": shop.lng,
            "starts_at": booking["starts_at"],
            "radius_km": 1,
        },
        headers=other.headers,
    ).json()
    assert str(shop.provider_id) in {o["provider_id"] for o in offers}


def test_a_cancelled_paid_booking_is_refunded_in_stripe_by_the_worker(
    api: stack.PostgREST,
    admin: psycopg.Connection[Any],
    localstripe: LocalStripe,
    worker: WorkerProcess,
) -> None:
    customer, _, booking = _book_over_http(api, admin)
    pay = until(
        lambda: (
            _payment(api, customer, booking["id"])["payment"]["client_secret"]
            and _payment(api, customer, booking["id"])["payment"]
        ),
        what="the PaymentIntent",
    )
    intent_id = pay["client_secret"].split("_secret_")[0]
    sc = _stripe(localstripe)
    sc.v1.payment_intents.update(intent_id, params={"payment_method": "pm_card_visa"})
    assert sc.v1.payment_intents.confirm(intent_id).status == "succeeded"
    until(
        lambda: _status(api, customer, booking["id"]) == "confirmed",
        what="the webhook to confirm the booking",
    )
    cancelled = httpx.post(
        f"{api.url}/rpc/cancel_booking",
        json={"booking_id": booking["id"], "reason": "plans changed"},
        headers=customer.headers,
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["refund_cents"] == 1000, "well before the notice limit: everything back"

    def balance() -> dict[str, Any]:
        resp = httpx.get(
            f"{api.url}/rpc/booking_balance",
            params={"booking_id": booking["id"]},
            headers=customer.headers,
        )
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    until(
        lambda: balance()["refund_succeeded_cents"] == 1000,
        what="the worker to perform the refund in Stripe",
    )
    refunds = sc.v1.refunds.list(params={"payment_intent": intent_id}).data
    assert [r.amount for r in refunds] == [1000]
    assert balance()["net_cents"] == 0


def test_a_payment_intent_whose_amount_was_lowered_never_confirms_and_is_refunded_in_stripe(
    api: stack.PostgREST,
    admin: psycopg.Connection[Any],
    localstripe: LocalStripe,
    worker: WorkerProcess,
) -> None:
    """The attacker's move (docs/security.md): the client lowers its PaymentIntent's amount
    to 1 cent before confirming it. Real Stripe refuses that from a client; the server
    does not rely on it."""
    customer, _, booking = _book_over_http(api, admin)
    pay = until(
        lambda: (
            _payment(api, customer, booking["id"])["payment"]["client_secret"]
            and _payment(api, customer, booking["id"])["payment"]
        ),
        what="the PaymentIntent",
    )
    assert pay["amount_cents"] == 1000
    intent_id = pay["client_secret"].split("_secret_")[0]
    sc = _stripe(localstripe)
    sc.v1.payment_intents.update(intent_id, params={"amount": 1, "payment_method": "pm_card_visa"})
    assert sc.v1.payment_intents.confirm(intent_id).status == "succeeded"
    until(
        lambda: _status(api, customer, booking["id"]) == "cancelled",
        what="the webhook to refuse the payment",
    )
    outcome = admin.execute(
        "select outcome from app.stripe_events where type = 'payment_intent.succeeded' "
        "and payload->'data'->'object'->>'id' = %s",
        (intent_id,),
    ).fetchone()
    assert outcome == ("mismatched payment refunded",)
    until(
        lambda: (
            [r.amount for r in sc.v1.refunds.list(params={"payment_intent": intent_id}).data] == [1]
        ),
        what="the worker to refund the cent in Stripe",
    )
    flagged = admin.execute(
        "select expected_cents, received_cents from app.payment_mismatches where booking_id = %s",
        (booking["id"],),
    ).fetchall()
    assert flagged == [(1000, 1)]
