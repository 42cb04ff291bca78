"""The balance after a deposit, paid at the venue, over HTTP through PostgREST with real
JWTs: only the booking's provider marks it, only once the appointment has started, once
(idempotent, audited); the booking's money, the receipt and the statement then show the
price and all its taxes settled, to the cent."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

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


def _shop(api: stack.PostgREST, admin: psycopg.Connection[Any], deposit_cents: int) -> bk.Shop:
    lat, lng = 45.0 + (uuid.uuid4().int % 1000) / 1000, -73.0 + (uuid.uuid4().int % 1000) / 1000
    shop = bk.open_shop(admin, lat=lat, lng=lng, price_cents=4010, deposit_cents=deposit_cents)
    resp = httpx.post(
        f"{api.url}/rpc/set_tax_registration",
        json={"gst_number": GST, "qst_number": QST},
        headers=bearer(mint("provider", shop.owner_id)),
    )
    assert resp.status_code == 200, resp.text
    return shop


def _paid_booking(
    admin: psycopg.Connection[Any], shop: bk.Shop
) -> tuple[dict[str, Any], uuid.UUID]:
    customer = create_user(admin, "customer")
    b = bk.book(admin, shop, catalog.next_weekday(2, at="10:00"), customer)
    assert bk.pay(admin, b) == "booking confirmed"
    return b, customer


def _mark(api: stack.PostgREST, token: str, booking_id: Any) -> httpx.Response:
    return httpx.post(
        f"{api.url}/rpc/mark_balance_paid_at_venue",
        json={"booking_id": str(booking_id)} if booking_id is not None else {},
        headers=bearer(token),
    )


def test_the_provider_marks_the_balance_paid_at_the_venue_and_every_view_agrees(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    shop = _shop(api, admin, deposit_cents=1010)
    b, customer = _paid_booking(admin, shop)
    # the deposit charged 1010 + its taxes (51 + 101); the balance is the rest: 3000 and
    # the booking's taxes (201, 400) minus the deposit's
    assert b["payment"]["amount_cents"] == 1162
    provider = mint("provider", shop.owner_id)

    before = httpx.get(
        f"{api.url}/rpc/booking_balance?booking_id={b['id']}", headers=bearer(provider)
    )
    assert before.status_code == 200, before.text
    assert (before.json()["balance_cents"], before.json()["balance_status"]) == (3449, "open")
    assert before.json()["settled_cents"] == 1162

    early = _mark(api, provider, b["id"])
    assert early.status_code == 409, early.text
    assert early.json()["hint"] == "invalid_transition"

    bk.starts_in(admin, b["id"], "-10 minutes")
    done = _mark(api, provider, b["id"])
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["balance_status"], body["balance_method"], body["balance_paid_cents"]) == (
        "paid",
        "venue",
        3449,
    )
    assert (body["balance_base_cents"], body["balance_gst_cents"], body["balance_qst_cents"]) == (
        3000,
        150,
        299,
    )

    again = _mark(api, provider, b["id"])
    assert again.status_code == 200, again.text
    assert again.json() == body
    [audits] = admin.execute(
        "select count(*) from audit.action_log where action = 'payment.balance_paid_at_venue' and row_id = %s",
        (str(b["id"]),),
    ).fetchone() or [None]
    assert audits == 1

    money = httpx.get(
        f"{api.url}/rpc/booking_balance?booking_id={b['id']}", headers=bearer(provider)
    ).json()
    # price + taxes = 4010 + 201 + 400: the deposit by card, the rest at the venue
    assert (money["charged_cents"], money["balance_paid_cents"], money["settled_cents"]) == (
        1162,
        3449,
        4611,
    )

    receipt = httpx.get(
        f"{api.url}/rpc/booking_receipt?booking_id={b['id']}",
        headers=bearer(mint("customer", customer)),
    )
    assert receipt.status_code == 200, receipt.text
    r = receipt.json()
    assert (r["total_cents"], r["paid_cents"], r["balance_paid_cents"]) == (4611, 1162, 3449)
    assert r["paid_cents"] + r["balance_paid_cents"] == r["total_cents"]
    assert (r["balance_status"], r["balance_method"]) == ("paid", "venue")

    today = datetime.now(UTC).date()
    statement = httpx.get(
        f"{api.url}/rpc/provider_statement?period_from={today - timedelta(days=2)}&period_to={today + timedelta(days=2)}",
        headers=bearer(provider),
    )
    assert statement.status_code == 200, statement.text
    s = statement.json()
    [line] = [x for x in s["lines"] if x["booking_id"] == str(b["id"])]
    assert (line["charged_cents"], line["balance_cents"], line["balance_method"]) == (
        1162,
        3449,
        "venue",
    )
    assert (line["gst_cents"], line["qst_cents"]) == (201, 400)
    assert s["balance_venue_cents"] == 3449 and s["balance_card_cents"] == 0
    assert s["gross_cents"] + s["balance_venue_cents"] == 4611


def test_bad_inputs_and_other_people_are_refused(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    shop = _shop(api, admin, deposit_cents=1010)
    b, customer = _paid_booking(admin, shop)
    bk.starts_in(admin, b["id"], "-10 minutes")
    provider = mint("provider", shop.owner_id)

    missing = _mark(api, provider, None)
    assert missing.status_code == 400, missing.text
    assert missing.json()["hint"] == "invalid_input"
    assert _mark(api, provider, uuid.uuid4()).status_code == 404
    other = _shop(api, admin, deposit_cents=1010)
    stranger = _mark(api, mint("provider", other.owner_id), b["id"])
    assert stranger.status_code == 404, stranger.text
    by_customer = _mark(api, mint("customer", customer), b["id"])
    assert by_customer.status_code in (401, 403), by_customer.text
    assert httpx.get(
        f"{api.url}/rpc/mark_balance_paid_at_venue?booking_id={b['id']}", headers=bearer(provider)
    ).status_code in (404, 405)
    [rows] = admin.execute(
        "select count(*) from app.balance_payments where booking_id = %s", (b["id"],)
    ).fetchone() or [None]
    assert rows == 0

    # paid in full (no deposit): there is no balance
    full = _shop(api, admin, deposit_cents=0)
    paid, _ = _paid_booking(admin, full)
    bk.starts_in(admin, paid["id"], "-10 minutes")
    resp = _mark(api, mint("provider", full.owner_id), paid["id"])
    assert resp.status_code == 409, resp.text
    assert resp.json()["hint"] == "invalid_transition"
    money = httpx.get(
        f"{api.url}/rpc/booking_balance?booking_id={paid['id']}",
        headers=bearer(mint("provider", full.owner_id)),
    ).json()
    assert (money["balance_status"], money["balance_cents"], money["settled_cents"]) == (
        "none",
        0,
        4611,
    )
