"""The balance after a deposit paid at the venue, end to end through real processes: the
worker's PaymentIntent in the Stripe fake asks for the deposit plus its taxes, the
customer pays it, the signed webhook confirms the booking, the appointment starts, the
provider marks it completed and the balance paid at the venue over HTTP; the fake's
charge, the booking's money, the receipt and the statement agree to the cent."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
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


def test_a_deposit_by_card_and_the_balance_at_the_venue_add_up_to_the_price_and_taxes(
    api: stack.PostgREST,
    admin: psycopg.Connection[Any],
    localstripe: LocalStripe,
    worker: WorkerProcess,
) -> None:
    lat, lng = 47.0 + (uuid.uuid4().int % 500) / 1000, -71.5 + (uuid.uuid4().int % 500) / 1000
    shop = bk.open_shop(admin, lat=lat, lng=lng, price_cents=4010, deposit_cents=1010)
    provider = bearer(mint("provider", shop.owner_id))
    registered = httpx.post(
        f"{api.url}/rpc/set_tax_registration",
        json={"gst_number": "123456782RT0001", "qst_number": "1234567890TQ0001"},
        headers=provider,
    )
    assert registered.status_code == 200, registered.text
    customer = signup(api.url, "customer")
    offers = httpx.post(
        f"{api.url}/rpc/quote",
        json={
            "category": "haircut",
            "lat": lat,
            "lng": lng,
            "starts_at": catalog.next_weekday(3, at="11:00").isoformat(),
            "radius_km": 1,
        },
        headers=customer.headers,
    ).json()
    offer = next(o for o in offers if o["provider_id"] == str(shop.provider_id))
    assert offer["total_cents"] == 4611
    booking = httpx.post(
        f"{api.url}/rpc/confirm_booking",
        json={"quote_id": offer["quote_id"], "provider_id": offer["provider_id"]},
        headers={**customer.headers, "Idempotency-Key": str(uuid.uuid4())},
    ).json()

    def secret() -> Any:
        return httpx.get(
            f"{api.url}/rpc/booking_payment",
            params={"booking_id": booking["id"]},
            headers=customer.headers,
        ).json()["payment"]["client_secret"]

    intent_id = str(until(secret, what="the PaymentIntent")).split("_secret_")[0]
    sc = stripe.StripeClient(
        "sk_test_e2e", base_addresses={"api": localstripe.url}, max_network_retries=0
    )
    sc.v1.payment_intents.update(intent_id, params={"payment_method": "pm_card_visa"})
    assert sc.v1.payment_intents.confirm(intent_id).status == "succeeded"
    until(lambda: bk.status(admin, booking["id"]) == "confirmed", what="the payment webhook")

    early = httpx.post(
        f"{api.url}/rpc/mark_balance_paid_at_venue",
        json={"booking_id": booking["id"]},
        headers=provider,
    )
    assert early.status_code == 409, early.text
    bk.starts_in(admin, booking["id"], "-70 minutes")
    done = httpx.post(
        f"{api.url}/rpc/mark_booking",
        json={"booking_id": booking["id"], "outcome": "completed"},
        headers=provider,
    )
    assert done.status_code == 200, done.text
    venue = httpx.post(
        f"{api.url}/rpc/mark_balance_paid_at_venue",
        json={"booking_id": booking["id"]},
        headers=provider,
    )
    assert venue.status_code == 200, venue.text
    assert (venue.json()["balance_status"], venue.json()["balance_paid_cents"]) == ("paid", 3449)

    intent = sc.v1.payment_intents.retrieve(intent_id)
    money = httpx.get(
        f"{api.url}/rpc/booking_balance",
        params={"booking_id": booking["id"]},
        headers=customer.headers,
    ).json()
    receipt = httpx.get(
        f"{api.url}/rpc/booking_receipt",
        params={"booking_id": booking["id"]},
        headers=customer.headers,
    ).json()
    today = datetime.now(UTC).date()
    statement = httpx.get(
        f"{api.url}/rpc/provider_statement",
        params={
            "period_from": str(today - timedelta(days=2)),
            "period_to": str(today + timedelta(days=2)),
        },
        headers=provider,
    ).json()
    [line] = [x for x in statement["lines"] if x["booking_id"] == booking["id"]]
    # the fake charged the deposit and its taxes (1010 + 51 + 101); the venue took the rest
    assert intent.status == "succeeded"
    assert (
        intent.amount
        == money["charged_cents"]
        == receipt["paid_cents"]
        == line["charged_cents"]
        == 1162
    )
    assert (
        money["balance_paid_cents"]
        == receipt["balance_paid_cents"]
        == line["balance_cents"]
        == 3449
    )
    assert money["settled_cents"] == receipt["total_cents"] == 4611
    assert (line["gst_cents"], line["qst_cents"], line["balance_method"]) == (201, 400, "venue")
    assert statement["balance_venue_cents"] == 3449
