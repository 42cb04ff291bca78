"""Taxes and disputes end to end through real processes: a provider registers for GST and
QST over HTTP, a customer books, the worker's PaymentIntent in localstripe asks for the
deposit plus its taxes, the customer pays with Stripe's dispute test card, localstripe's
signed webhooks confirm the booking and then open the dispute, the booking is flagged and
cannot be refunded, and losing evidence closes it as lost in the ledger."""

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
from tests.helpers.auth import bearer, mint
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


def test_a_taxed_deposit_is_charged_and_a_lost_dispute_lands_in_the_ledger(
    api: stack.PostgREST,
    admin: psycopg.Connection[Any],
    localstripe: LocalStripe,
    worker: WorkerProcess,
) -> None:
    lat, lng = 46.5 + (uuid.uuid4().int % 500) / 1000, -75.5 + (uuid.uuid4().int % 500) / 1000
    shop = bk.open_shop(admin, lat=lat, lng=lng, price_cents=5000, deposit_cents=1000)
    registered = httpx.post(
        f"{api.url}/rpc/set_tax_registration",
        json={"gst_number": "123456782RT0001", "qst_number": "1234567890TQ0001"},
        headers=bearer(mint("provider", shop.owner_id)),
    )
    assert registered.status_code == 200, registered.text
    customer = signup(api.url, "customer")
    offers = httpx.post(
        f"{api.url}/rpc/quote",
        json={
            "category": "haircut",
            "lat": lat,
            "lng": lng,
            "starts_at": catalog.next_weekday(4, at="13:00").isoformat(),
            "radius_km": 1,
        },
        headers=customer.headers,
    ).json()
    offer = next(o for o in offers if o["provider_id"] == str(shop.provider_id))
    assert (offer["gst_cents"], offer["qst_cents"], offer["total_cents"]) == (250, 499, 5749)
    booking = httpx.post(
        f"{api.url}/rpc/confirm_booking",
        json={"quote_id": offer["quote_id"], "provider_id": offer["provider_id"]},
        headers={**customer.headers, "Idempotency-Key": str(uuid.uuid4())},
    ).json()

    def payment() -> dict[str, Any]:
        return dict(
            httpx.get(
                f"{api.url}/rpc/booking_payment",
                params={"booking_id": booking["id"]},
                headers=customer.headers,
            ).json()["payment"]
        )

    secret = until(lambda: payment()["client_secret"], what="the PaymentIntent")
    intent_id = str(secret).split("_secret_")[0]
    sc = stripe.StripeClient(
        "sk_test_e2e", base_addresses={"api": localstripe.url}, max_network_retries=0
    )
    # the deposit, 1000, with its own GST (50) and QST (99.75 -> 100)
    assert sc.v1.payment_intents.retrieve(intent_id).amount == 1150
    sc.v1.payment_intents.update(intent_id, params={"payment_method": "pm_card_createDispute"})
    assert sc.v1.payment_intents.confirm(intent_id).status == "succeeded"

    def flag() -> Any:
        row = admin.execute(
            "select status, dispute_status from app.bookings where id = %s", (booking["id"],)
        ).fetchone()
        return row if row == ("confirmed", "open") else None

    until(flag, what="the payment and the dispute webhooks")
    refund = httpx.post(
        f"{api.url}/rpc/ops_refund",
        json={"booking_id": booking["id"], "amount_cents": 100, "reason": "goodwill"},
        headers=bearer(mint("ops", uuid.uuid4())),
    )
    assert refund.status_code == 409, refund.text
    [dispute] = sc.v1.disputes.list(params={"payment_intent": intent_id}).data
    sc.v1.disputes.update(
        dispute.id, params={"evidence": {"uncategorized_text": "losing_evidence"}}
    )
    until(
        lambda: (
            admin.execute(
                "select outcome from app.disputes where id = %s", (dispute.id,)
            ).fetchone()
            == ("lost",)
        ),
        what="the dispute to close as lost",
    )
    receipt = httpx.get(
        f"{api.url}/rpc/booking_receipt",
        params={"booking_id": booking["id"]},
        headers=customer.headers,
    ).json()
    assert (receipt["paid_cents"], receipt["disputed_lost_cents"], receipt["dispute_status"]) == (
        1150,
        1150,
        "lost",
    )
