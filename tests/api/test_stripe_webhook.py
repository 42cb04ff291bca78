"""Stripe's webhook through PostgREST: signatures checked in SQL over the raw body,
events stored once, bad deliveries refused with nothing stored."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
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
from tests.helpers.auth import bearer, mint
from tests.helpers.factories import create_user
from tests.helpers.stripe_fake import LocalStripe, run_localstripe
from tests.helpers.waiting import until

SECRET = config.load().stripe_webhook_secret


def _event(kind: str = "customer.created") -> dict[str, Any]:
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": {"id": "cus_x", "object": "customer", "name": "Zoë Ünïcödé"}},
    }


def _sign(body: bytes, secret: str = SECRET, ts: int | None = None) -> str:
    ts = int(time.time()) if ts is None else ts
    sig = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={ts},v1={sig}"


def _post(api_url: str, body: bytes, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return httpx.post(f"{api_url}/rpc/stripe_webhook", content=body, headers=headers)


def _stored(api: stack.PostgREST, event_id: str) -> int:
    with psycopg.connect(api.db_url) as conn:
        row = conn.execute(
            "select count(*) from app.stripe_events where id = %s", (event_id,)
        ).fetchone()
        return int(row[0]) if row else 0


def test_a_signed_delivery_is_stored_once_and_a_duplicate_changes_nothing(
    api: stack.PostgREST,
) -> None:
    event = _event()
    # Stripe's own formatting: indentation and non-ASCII text must survive byte for byte
    body = json.dumps(event, indent=2, sort_keys=True, ensure_ascii=False).encode()
    first = _post(api.url, body, _sign(body))
    assert first.status_code == 200, first.text
    assert first.json()["duplicate"] is False
    again = _post(api.url, body, _sign(body))
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert _stored(api, event["id"]) == 1


def test_any_of_several_v1_signatures_may_match(api: stack.PostgREST) -> None:
    event = _event()
    body = json.dumps(event).encode()
    ts = int(time.time())
    good = _sign(body, ts=ts).split(",")[1]
    header = f"t={ts},v1={'0' * 64},{good},v0=deadbeef"
    assert _post(api.url, body, header).status_code == 200
    assert _stored(api, event["id"]) == 1


@pytest.mark.parametrize(
    "case",
    [
        "unsigned",
        "tampered body",
        "wrong secret",
        "stale timestamp",
        "future timestamp",
        "garbage header",
    ],
)
def test_a_bad_delivery_is_a_400_and_stores_nothing(api: stack.PostgREST, case: str) -> None:
    event = _event()
    body = json.dumps(event).encode()
    signature: str | None = {
        "unsigned": None,
        "tampered body": _sign(body),
        "wrong secret": _sign(body, secret="whsec_not_ours"),
        "stale timestamp": _sign(body, ts=int(time.time()) - 3600),
        "future timestamp": _sign(body, ts=int(time.time()) + 3600),
        "garbage header": "t=abc,v1=,,,",
    }[case]
    if case == "tampered body":
        body = body.replace(b"customer.created", b"customer.deleted")
    resp = _post(api.url, body, signature)
    assert resp.status_code == 400, resp.text
    assert resp.json()["hint"] == "invalid_signature"
    assert _stored(api, event["id"]) == 0


def test_a_signed_body_that_is_not_an_event_is_a_400(api: stack.PostgREST) -> None:
    body = b'{"hello": "world"}'
    resp = _post(api.url, body, _sign(body))
    assert resp.status_code == 400
    assert resp.json()["hint"] == "invalid_input"


@pytest.fixture(scope="module")
def localstripe(api: stack.PostgREST) -> Iterator[LocalStripe]:
    with run_localstripe() as fake:
        fake.register_webhook(f"{api.url}/rpc/stripe_webhook", SECRET)
        yield fake


def test_real_signed_deliveries_from_localstripe_are_accepted(
    api: stack.PostgREST, localstripe: LocalStripe
) -> None:
    client = stripe.StripeClient(
        "sk_test_bookiji", base_addresses={"api": localstripe.url}, max_network_retries=0
    )
    customer = client.v1.customers.create(
        params={"name": "Ünïcödé Customer", "email": "c@example.test"}
    )

    def recorded() -> list[tuple[Any, ...]]:
        with psycopg.connect(api.db_url) as conn:
            return conn.execute(
                "select type, outcome from app.stripe_events where payload->'data'->'object'->>'id' = %s",
                (customer.id,),
            ).fetchall()

    assert until(recorded, 20, "the delivery") == [("customer.created", "ignored")]


# --- what a payment must match (docs/security.md) -------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency"),
    [(1, "cad"), (1000, "usd"), (2500, "cad")],
    ids=["amount lowered to 1 cent", "wrong currency", "over-payment"],
)
def test_a_signed_payment_that_does_not_match_the_booking_never_confirms_it(
    api: stack.PostgREST, amount: int, currency: str
) -> None:
    with psycopg.connect(api.db_url, autocommit=True) as db:
        lat, lng = 45.0 + (uuid.uuid4().int % 1000) / 1000, -72.5 + (uuid.uuid4().int % 1000) / 1000
        shop = bk.open_shop(db, lat=lat, lng=lng)
        b = bk.book(db, shop, catalog.next_weekday(3, at="10:00"))
        intent_id = f"pi_{uuid.uuid4().hex[:24]}"
        db.execute(
            "select internal.record_payment_intent(%s, %s, 's')", (b["payment"]["id"], intent_id)
        )
        ops = create_user(db, "ops")
    assert b["payment"]["amount_cents"] == 1000
    event = {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": int(time.time()),
        "data": {
            "object": {
                "id": intent_id,
                "object": "payment_intent",
                "amount": amount,
                "amount_received": amount,
                "currency": currency,
                "status": "succeeded",
                "metadata": {"booking_id": b["id"]},
            }
        },
    }
    body = json.dumps(event).encode()
    resp = _post(api.url, body, _sign(body))
    assert resp.status_code == 200, resp.text
    assert resp.json()["outcome"] == "mismatched payment refunded"
    with psycopg.connect(api.db_url) as db:
        row = db.execute(
            "select b.status, p.captured_cents, "
            "(select array_agg(r.amount_cents) from app.refunds as r where r.booking_id = b.id) "
            "from app.bookings as b join app.payments as p on p.booking_id = b.id where b.id = %s",
            (b["id"],),
        ).fetchone()
    assert row == ("cancelled", amount, [amount]), "not confirmed; everything received refunded"
    listed = httpx.get(
        f"{api.url}/payment_mismatches",
        params={"booking_id": f"eq.{b['id']}"},
        headers=bearer(mint("ops", ops)),
    )
    assert listed.status_code == 200, listed.text
    assert [
        (m["expected_cents"], m["expected_currency"], m["received_cents"], m["received_currency"])
        for m in listed.json()
    ] == [(1000, "cad", amount, currency)]
    customer = httpx.get(
        f"{api.url}/payment_mismatches", headers=bearer(mint("customer", b["customer_id"]))
    )
    assert customer.status_code in (401, 403), customer.text
