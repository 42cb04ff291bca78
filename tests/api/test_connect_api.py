"""Stripe Connect over HTTP, without the worker: onboarding requests and payout accounts
(each provider sees its own), a booking's payout split (its provider and ops only), and
the commission ops set (bad inputs refused with their codes, every change audited)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
import pytest

from tests.helpers import booking as bk
from tests.helpers import catalog, stack
from tests.helpers.auth import bearer, mint
from tests.helpers.factories import create_user


@pytest.fixture
def admin(api: stack.PostgREST) -> Any:
    with psycopg.connect(api.db_url, autocommit=True) as conn:
        yield conn


def _rpc(
    api_url: str, name: str, role: str, sub: Any, body: dict[str, Any], get: bool = False
) -> httpx.Response:
    headers = bearer(mint(role, sub))
    if get:
        return httpx.get(f"{api_url}/rpc/{name}", params=body, headers=headers, timeout=30)
    return httpx.post(f"{api_url}/rpc/{name}", json=body, headers=headers, timeout=30)


def _shop(admin: psycopg.Connection[Any], **service: Any) -> bk.Shop:
    lat, lng = 41.0 + (uuid.uuid4().int % 1000) / 1000, -74.5 + (uuid.uuid4().int % 1000) / 1000
    return bk.open_shop(admin, lat=lat, lng=lng, **service)


def test_a_provider_asks_for_onboarding_and_sees_only_its_own_payout_account(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    mine, other = _shop(admin), _shop(admin)
    started = _rpc(api.url, "start_payout_onboarding", "provider", mine.owner_id, {})
    assert started.status_code == 200, started.text
    assert started.json()["provider_id"] == str(mine.provider_id)
    assert started.json()["stripe_account_id"] is None
    queued = [
        m
        for m in bk.payment_messages(admin, "connect.onboard")
        if m["provider_id"] == str(mine.provider_id)
    ]
    assert len(queued) == 1 and uuid.UUID(queued[0]["link_request_id"])
    again = _rpc(api.url, "start_payout_onboarding", "provider", mine.owner_id, {})
    assert again.status_code == 200, again.text
    link_requests = admin.execute(
        "select link_request_id from app.payout_accounts where provider_id = %s",
        (mine.provider_id,),
    ).fetchone()
    assert link_requests is not None
    assert str(link_requests[0]) != queued[0]["link_request_id"], "each call asks for a new link"

    # the other provider sees its own (empty) account, never the first one's
    theirs = _rpc(api.url, "my_payout_account", "provider", other.owner_id, {}, get=True)
    assert theirs.status_code == 200, theirs.text
    assert theirs.json()["provider_id"] == str(other.provider_id)
    assert theirs.json()["link_requested_at"] is None

    customer = _rpc(api.url, "my_payout_account", "customer", uuid.uuid4(), {}, get=True)
    assert customer.status_code in (401, 403)
    anon = httpx.get(f"{api.url}/rpc/my_payout_account", timeout=30)
    assert anon.status_code == 401
    no_profile = _rpc(api.url, "start_payout_onboarding", "provider", uuid.uuid4(), {})
    assert (no_profile.status_code, no_profile.json()["hint"]) == (404, "not_found")
    assert "provider profile" in no_profile.json()["message"]


def test_a_bookings_payout_is_for_its_provider_and_ops_only(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    shop, stranger = _shop(admin), _shop(admin)
    booking = bk.book(admin, shop, catalog.next_weekday(4, at="10:00"))
    bk.pay(admin, booking)
    args = {"booking_id": booking["id"]}
    own = _rpc(api.url, "booking_payout", "provider", shop.owner_id, args, get=True)
    assert own.status_code == 200, own.text
    assert own.json()["collected_by"] == "platform"
    assert own.json()["charged_cents"] == 1000
    other = _rpc(api.url, "booking_payout", "provider", stranger.owner_id, args, get=True)
    assert (other.status_code, other.json()["hint"]) == (404, "not_found")
    ops = _rpc(api.url, "booking_payout", "ops", uuid.uuid4(), args, get=True)
    assert ops.status_code == 200 and ops.json() == own.json()
    customer = _rpc(api.url, "booking_payout", "customer", booking["customer_id"], args, get=True)
    assert customer.status_code == 403
    missing = _rpc(api.url, "booking_payout", "ops", uuid.uuid4(), {}, get=True)
    assert (missing.status_code, missing.json()["hint"]) == (400, "invalid_input")
    bad = _rpc(api.url, "booking_payout", "ops", uuid.uuid4(), {"booking_id": "nope"}, get=True)
    assert bad.status_code == 400


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"rate_bp": 1000, "minimum_cents": 100, "reason": "r"}, 400, "category"),
        ({"category": "barber", "minimum_cents": 100, "reason": "r"}, 400, "rate_bp"),
        (
            {"category": "barber", "rate_bp": -1, "minimum_cents": 100, "reason": "r"},
            400,
            "rate_bp",
        ),
        (
            {"category": "barber", "rate_bp": 10001, "minimum_cents": 0, "reason": "r"},
            400,
            "rate_bp",
        ),
        (
            {"category": "barber", "rate_bp": 900, "minimum_cents": -5, "reason": "r"},
            400,
            "minimum",
        ),
        ({"category": "barber", "rate_bp": 900, "minimum_cents": 0}, 400, "reason"),
        ({"category": "barber", "rate_bp": 900, "minimum_cents": 0, "reason": " "}, 400, "reason"),
        (
            {"category": "no-such", "rate_bp": 900, "minimum_cents": 0, "reason": "r"},
            404,
            "category",
        ),
        ({"category": "barber", "rate_bp": "ten", "minimum_cents": 0, "reason": "r"}, 400, ""),
    ],
)
def test_ops_commission_changes_refuse_bad_inputs(
    api: stack.PostgREST, body: dict[str, Any], status: int, field: str
) -> None:
    resp = _rpc(api.url, "ops_set_commission_rate", "ops", uuid.uuid4(), body)
    assert resp.status_code == status, resp.text
    assert field in resp.json()["message"]


def test_only_ops_set_the_commission_and_every_change_is_audited(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    body = {"category": "barber", "rate_bp": 1500, "minimum_cents": 250, "reason": "new deal"}
    for role in ("customer", "provider"):
        refused = _rpc(api.url, "ops_set_commission_rate", role, uuid.uuid4(), body)
        assert refused.status_code == 403
        listed = _rpc(api.url, "commission_rates", role, uuid.uuid4(), {}, get=True)
        assert listed.status_code == 403
    ops = create_user(admin, "ops")
    done = _rpc(api.url, "ops_set_commission_rate", "ops", ops, body)
    assert done.status_code == 200, done.text
    rates = _rpc(api.url, "commission_rates", "ops", ops, {}, get=True).json()
    assert {
        k: v
        for k, v in next(r for r in rates if r["category"] == "barber").items()
        if k != "updated_at"
    } == {"category": "barber", "rate_bp": 1500, "minimum_cents": 250}
    audit = admin.execute(
        "select actor_id, reason, after ->> 'rate_bp' from audit.action_log"
        " where action = 'commission.set' and reason = 'new deal' order by id desc limit 1"
    ).fetchone()
    assert audit == (ops, "new deal", "1500")
