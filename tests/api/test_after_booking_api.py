"""After booking over HTTP: cancel, preview, reschedule, ops refunds and the balance through
PostgREST, with real tokens; refusals carry their registered codes and statuses."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import psycopg
import pytest
from postgrest import APIError

from tests.helpers import booking as bk
from tests.helpers import catalog, stack
from tests.helpers.api import pgrst
from tests.helpers.auth import bearer, mint
from tests.helpers.factories import create_user


@pytest.fixture
def admin(api: stack.PostgREST) -> Any:
    with psycopg.connect(api.db_url, autocommit=True) as conn:
        yield conn


def _paid_booking(admin: psycopg.Connection[Any]) -> tuple[bk.Shop, dict[str, Any], Any]:
    # somewhere no other test's provider is, so that the quote offers only this one
    lat, lng = 44.0 + (uuid.uuid4().int % 1000) / 1000, -76.5 + (uuid.uuid4().int % 1000) / 1000
    shop = bk.open_shop(admin, lat=lat, lng=lng, cancel_notice_hours=24, cancel_fee_cents=300)
    start = catalog.next_weekday(4, at="10:00")
    b = bk.book(admin, shop, start)
    bk.pay(admin, b)
    return shop, b, start


def _rpc(
    api_url: str, name: str, role: str, sub: Any, body: dict[str, Any], get: bool = False
) -> httpx.Response:
    headers = bearer(mint(role, sub))
    if get:
        return httpx.get(f"{api_url}/rpc/{name}", params=body, headers=headers, timeout=30)
    return httpx.post(f"{api_url}/rpc/{name}", json=body, headers=headers, timeout=30)


def test_a_customer_previews_then_cancels_over_http_and_strangers_get_404(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    _, b, _ = _paid_booking(admin)
    customer, booking = b["customer_id"], {"booking_id": b["id"]}
    stranger = create_user(admin, "customer")
    for name, get in (("cancellation_preview", True), ("booking_balance", True)):
        resp = _rpc(api.url, name, "customer", stranger, booking, get=get)
        assert (resp.status_code, resp.json()["hint"]) == (404, "not_found")
    cancel = _rpc(api.url, "cancel_booking", "customer", stranger, {**booking, "reason": "x"})
    assert (cancel.status_code, cancel.json()["hint"]) == (404, "not_found")

    preview = _rpc(api.url, "cancellation_preview", "customer", customer, booking, get=True)
    assert preview.status_code == 200, preview.text
    assert preview.json()["refund_cents"] == 1000
    no_reason = _rpc(api.url, "cancel_booking", "customer", customer, booking)
    assert (no_reason.status_code, no_reason.json()["hint"]) == (400, "invalid_input")
    assert "reason" in no_reason.json()["message"]

    done = _rpc(api.url, "cancel_booking", "customer", customer, {**booking, "reason": "moving"})
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["refund_cents"]) == ("cancelled", 1000)
    again = _rpc(api.url, "cancel_booking", "customer", customer, {**booking, "reason": "again"})
    assert (again.status_code, again.json()["hint"]) == (409, "invalid_transition")
    row = admin.execute(
        "select actor_id, actor_role, reason, request_id from audit.action_log "
        "where action = 'booking.cancelled' and row_id = %s",
        (b["id"],),
    ).fetchone()
    assert row is not None
    assert row[:3] == (uuid.UUID(customer), "customer", "moving")
    assert row[3] == done.headers["X-Request-Id"]


def test_cancelling_a_started_booking_over_http_is_a_409_booking_started_and_refunds_nothing(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    _, b, _ = _paid_booking(admin)
    admin.execute(
        "update app.bookings set during = tstzrange(now() - interval '5 minutes', "
        "now() + interval '25 minutes'), blocked = tstzrange(now() - interval '5 minutes', "
        "now() + interval '40 minutes') where id = %s",
        (b["id"],),
    )
    client, booking = pgrst(api.url, mint("customer", b["customer_id"])), {"booking_id": b["id"]}
    preview = client.rpc("cancellation_preview", booking, get=True).execute().data
    assert (preview["can_cancel"], preview["refusal"]) == (False, "booking_started")
    with pytest.raises(APIError) as cancel:
        client.rpc("cancel_booking", {**booking, "reason": "meh"}).execute()
    assert (cancel.value.code, cancel.value.hint) == ("PT409", "booking_started")
    assert "started" in str(cancel.value.message)
    refunds = admin.execute("select count(*) from app.refunds where booking_id = %s", (b["id"],))
    assert refunds.fetchone() == (0,)


def test_reschedule_over_http_moves_to_a_free_slot_and_refuses_a_taken_one(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    shop, b, start = _paid_booking(admin)
    bk.book(admin, shop, start + timedelta(hours=3))
    customer = pgrst(api.url, mint("customer", b["customer_id"]))
    provider = pgrst(api.url, mint("provider", shop.owner_id))

    def to(hours: int) -> dict[str, Any]:
        return {
            "booking_id": b["id"],
            "new_starts_at": (start + timedelta(hours=hours)).isoformat(),
        }

    with pytest.raises(APIError) as taken:
        customer.rpc("reschedule_booking", to(3)).execute()
    assert (taken.value.code, taken.value.hint) == ("PT409", "slot_unavailable")
    moved = provider.rpc("reschedule_booking", to(5)).execute().data
    assert moved["payment"]["id"] == b["payment"]["id"]
    row = admin.execute(
        "select lower(during) from app.bookings where id = %s", (b["id"],)
    ).fetchone()
    assert row == (start + timedelta(hours=5),)


def test_only_ops_refund_over_http_and_each_refund_is_audited_with_its_request_id(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    shop, b, _ = _paid_booking(admin)
    body = {"booking_id": b["id"], "amount_cents": 400, "reason": "late start"}
    for role, sub in (("customer", b["customer_id"]), ("provider", shop.owner_id)):
        resp = _rpc(api.url, "ops_refund", role, sub, body)
        assert (resp.status_code, resp.json()["hint"]) == (403, "forbidden")
    ops = create_user(admin, "ops")
    no_reason = _rpc(api.url, "ops_refund", "ops", ops, {**body, "reason": ""})
    assert (no_reason.status_code, no_reason.json()["hint"]) == (400, "invalid_input")
    first = _rpc(api.url, "ops_refund", "ops", ops, body)
    assert first.status_code == 200, first.text
    assert (first.json()["refunded_cents"], first.json()["net_cents"]) == (400, 600)
    over = _rpc(api.url, "ops_refund", "ops", ops, {**body, "amount_cents": 601})
    assert (over.status_code, over.json()["hint"]) == (409, "conflict")
    row = admin.execute(
        "select actor_id, actor_role, reason, before->>'refunded_cents', after->>'refunded_cents', "
        "request_id from audit.action_log where action = 'booking.ops_refund' and row_id = %s",
        (b["id"],),
    ).fetchall()
    assert row == [(ops, "ops", "late start", "0", "400", first.headers["X-Request-Id"])]
    balance = _rpc(
        api.url, "booking_balance", "customer", b["customer_id"], {"booking_id": b["id"]}, get=True
    )
    assert balance.status_code == 200
    assert (balance.json()["charged_cents"], balance.json()["refunded_cents"]) == (1000, 400)

    force = _rpc(
        api.url,
        "ops_force_cancel",
        "provider",
        shop.owner_id,
        {"booking_id": b["id"], "reason": "x"},
    )
    assert (force.status_code, force.json()["hint"]) == (403, "forbidden")
    force = _rpc(
        api.url, "ops_force_cancel", "ops", ops, {"booking_id": b["id"], "reason": "closed"}
    )
    assert force.status_code == 200, force.text
    assert (force.json()["status"], force.json()["refund_cents"]) == ("cancelled", 600)
