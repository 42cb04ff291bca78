"""Taxes, receipts, statements and disputes over HTTP, through PostgREST with real JWTs:
a malformed registration number is a 400 naming it, the quote's offers carry the taxes,
the receipt is its customer's alone, and a signed charge.dispute.created flags the
booking."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import psycopg
import pytest

from tests.api.test_stripe_webhook import _sign
from tests.helpers import booking as bk
from tests.helpers import catalog, stack
from tests.helpers.auth import bearer, mint
from tests.helpers.factories import create_user

GST = "123456782RT0001"
QST = "1234567890TQ0001"


@pytest.fixture
def admin(api: stack.PostgREST) -> Any:
    with psycopg.connect(api.db_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def shop(admin: psycopg.Connection[Any]) -> bk.Shop:
    lat, lng = 46.0 + (uuid.uuid4().int % 1000) / 1000, -74.5 + (uuid.uuid4().int % 1000) / 1000
    return bk.open_shop(admin, lat=lat, lng=lng, price_cents=4010, deposit_cents=0)


def _register(api: stack.PostgREST, shop: bk.Shop, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        f"{api.url}/rpc/set_tax_registration",
        json=body,
        headers=bearer(mint("provider", shop.owner_id)),
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"gst_number": "123456789RT0001", "qst_number": QST}, "gst_number"),
        ({"gst_number": GST, "qst_number": "12345TQ0001"}, "qst_number"),
    ],
)
def test_a_malformed_registration_number_is_a_400_naming_it(
    api: stack.PostgREST, shop: bk.Shop, body: dict[str, Any], field: str
) -> None:
    resp = _register(api, shop, body)
    assert resp.status_code == 400, resp.text
    assert resp.json()["hint"] == "invalid_input"
    assert resp.json()["message"].startswith(field)


def test_the_quote_shows_the_taxes_and_the_receipt_is_the_customers_alone(
    api: stack.PostgREST, admin: psycopg.Connection[Any], shop: bk.Shop
) -> None:
    assert _register(api, shop, {"gst_number": GST, "qst_number": QST}).status_code == 200
    customer = create_user(admin, "customer")
    start = catalog.next_weekday(2, at="10:00")
    offers = httpx.post(
        f"{api.url}/rpc/quote",
        json={
            "category": "haircut",
            "lat": shop.lat,
            "lng": shop.lng,
            "starts_at": start.isoformat(),
            "radius_km": 1,
        },
        headers=bearer(mint("customer", customer)),
    ).json()
    [offer] = [o for o in offers if o["provider_id"] == str(shop.provider_id)]
    assert (offer["gst_cents"], offer["qst_cents"], offer["total_cents"]) == (201, 400, 4611)
    b = bk.confirm(admin, customer, uuid.UUID(offer["quote_id"]), shop.provider_id)
    intent = f"pi_{uuid.uuid4().hex[:24]}"
    assert bk.pay(admin, b, intent) == "booking confirmed"
    url = f"{api.url}/rpc/booking_receipt?booking_id={b['id']}"
    mine = httpx.get(url, headers=bearer(mint("customer", customer)))
    assert mine.status_code == 200, mine.text
    assert (mine.json()["paid_cents"], mine.json()["gst_number"]) == (4611, GST)
    stranger = httpx.get(url, headers=bearer(mint("customer", create_user(admin, "customer"))))
    assert stranger.status_code == 404
    assert httpx.get(url, headers=bearer(mint("provider", shop.owner_id))).status_code in (401, 403)

    dispute = {
        "id": f"dp_{uuid.uuid4().hex[:20]}",
        "object": "dispute",
        "amount": 4611,
        "currency": "cad",
        "charge": "ch_x",
        "payment_intent": intent,
        "reason": "fraudulent",
        "status": "needs_response",
    }
    event = {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": "charge.dispute.created",
        "data": {"object": dispute},
    }
    body = json.dumps(event).encode()
    resp = httpx.post(
        f"{api.url}/rpc/stripe_webhook",
        content=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": _sign(body)},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["outcome"] == "dispute opened"
    assert mine.json()["dispute_status"] is None
    again = httpx.get(url, headers=bearer(mint("customer", customer))).json()
    assert again["dispute_status"] == "open"
    ops = httpx.get(f"{api.url}/rpc/ops_disputes", headers=bearer(mint("ops", uuid.uuid4())))
    assert dispute["id"] in [d["id"] for d in ops.json()]
