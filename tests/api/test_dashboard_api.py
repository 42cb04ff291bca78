"""The provider dashboard and the ops console over HTTP, with real JWTs through the
gateway: a provider's calendar with its customers (its own bookings only), provider
suspension (the quote skips a suspended provider; it cannot lift it), the ops booking
search and a booking's story; refusals carry their registered codes and name the field."""

from __future__ import annotations

import uuid
from datetime import timedelta
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


def _remote_shop(admin: psycopg.Connection[Any]) -> bk.Shop:
    # somewhere no other test's provider is, so that a quote there offers only this one
    lat, lng = 48.0 + (uuid.uuid4().int % 1000) / 1000, -70.5 + (uuid.uuid4().int % 1000) / 1000
    return bk.open_shop(admin, lat=lat, lng=lng)


def _rpc(
    api_url: str, name: str, token: str | None, body: dict[str, Any], get: bool = False
) -> httpx.Response:
    headers = bearer(token) if token else {}
    if get:
        return httpx.get(f"{api_url}/rpc/{name}", params=body, headers=headers, timeout=30)
    return httpx.post(f"{api_url}/rpc/{name}", json=body, headers=headers, timeout=30)


def _error(resp: httpx.Response) -> tuple[int, str]:
    return resp.status_code, resp.json().get("hint")


@pytest.fixture
def two_shops(admin: psycopg.Connection[Any]) -> dict[str, Any]:
    """P1 with a confirmed booking by Alice (who has a phone), P2 with one by Bob."""
    p1, p2 = _remote_shop(admin), _remote_shop(admin)
    alice = create_user(admin, "customer", full_name="Alice Over-HTTP")
    admin.execute("update app.users set phone = '+15145550133' where id = %s", (alice,))
    start = catalog.next_weekday(2, at="10:00")
    mine = bk.book(admin, p1, start, alice)
    bk.pay(admin, mine)
    theirs = bk.book(admin, p2, start)
    bk.pay(admin, theirs)
    return {"p1": p1, "p2": p2, "alice": alice, "mine": mine, "theirs": theirs, "start": start}


# --- the provider's calendar ------------------------------------------------------------------


def test_a_provider_reads_its_calendar_with_its_customers_name_and_contact(
    api_url: str, admin: psycopg.Connection[Any], two_shops: dict[str, Any]
) -> None:
    p1 = two_shops["p1"]
    resp = _rpc(api_url, "my_provider_bookings", mint("provider", p1.owner_id), {}, get=True)
    assert resp.status_code == 200, resp.text
    (row,) = resp.json()
    assert row["id"] == two_shops["mine"]["id"]
    assert row["customer_name"] == "Alice Over-HTTP"
    assert row["customer_phone"] == "+15145550133"
    email = admin.execute("select email from app.users where id = %s", (two_shops["alice"],))
    assert row["customer_email"] == email.fetchone()[0]  # type: ignore[index]
    assert (row["status"], row["charged_cents"], row["service_name"]) == ("confirmed", 1000, "Cut")


def test_another_provider_learns_nothing_of_those_bookings_through_any_filter(
    api_url: str, two_shops: dict[str, Any]
) -> None:
    p1, p2, mine = two_shops["p1"], two_shops["p2"], two_shops["mine"]
    token = mint("provider", p2.owner_id)
    for filters in (
        {},
        {"booking_id": mine["id"]},
        {"service_id": str(p1.service_id)},
        {"customer_id": str(two_shops["alice"])},
        {"status": "confirmed"},
        {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"},
    ):
        for get in (True, False):
            resp = _rpc(api_url, "my_provider_bookings", token, filters, get=get)
            assert resp.status_code == 200, (filters, resp.text)
            assert mine["id"] not in resp.text, filters
            assert "Alice Over-HTTP" not in resp.text, filters
            assert {r["id"] for r in resp.json()} <= {two_shops["theirs"]["id"]}
    foreign = _rpc(api_url, "my_provider_bookings", token, {"after_id": mine["id"]}, get=True)
    unknown = _rpc(
        api_url, "my_provider_bookings", token, {"after_id": str(uuid.uuid4())}, get=True
    )
    assert _error(foreign) == _error(unknown) == (404, "not_found")
    assert foreign.json()["message"] == unknown.json()["message"]


@pytest.mark.parametrize(
    ("role", "status", "hint"),
    [("customer", 403, "forbidden"), ("ops", 403, "forbidden"), ("anon", 401, "not_authenticated")],
)
def test_only_providers_have_a_calendar(api_url: str, role: str, status: int, hint: str) -> None:
    token = None if role == "anon" else mint(role)
    assert _error(_rpc(api_url, "my_provider_bookings", token, {}, get=True)) == (status, hint)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"limit": 0}, "limit"),
        ({"status": "paid"}, "status"),
        ({"from": "2030-01-02T00:00:00Z", "to": "2030-01-01T00:00:00Z"}, "to must be after from"),
    ],
)
def test_bad_calendar_inputs_are_400_naming_the_field(
    api_url: str, two_shops: dict[str, Any], body: dict[str, Any], named: str
) -> None:
    resp = _rpc(api_url, "my_provider_bookings", mint("provider", two_shops["p1"].owner_id), body)
    assert _error(resp) == (400, "invalid_input")
    assert named in resp.json()["message"]


# --- suspension -------------------------------------------------------------------------------


def _offered(api_url: str, customer: str, shop: bk.Shop, start: Any) -> bool:
    resp = _rpc(
        api_url,
        "quote",
        customer,
        {
            "category": "haircut",
            "lat": shop.lat,
            "lng": shop.lng,
            "starts_at": start.isoformat(),
            "radius_km": 5,
        },
    )
    assert resp.status_code == 200, resp.text
    return str(shop.provider_id) in {o["provider_id"] for o in resp.json()}


def test_a_suspended_provider_leaves_a_customers_quote_until_ops_reinstate_it(
    api_url: str, admin: psycopg.Connection[Any]
) -> None:
    shop = _remote_shop(admin)
    start = catalog.next_weekday(3, at="11:00")
    customer = mint("customer", create_user(admin, "customer"))
    ops_id = create_user(admin, "ops")
    ops = mint("ops", ops_id)
    provider = mint("provider", shop.owner_id)
    assert _offered(api_url, customer, shop, start)

    suspended = _rpc(
        api_url,
        "ops_suspend_provider",
        ops,
        {"provider_id": str(shop.provider_id), "reason": "chargebacks"},
    )
    assert suspended.status_code == 200, suspended.text
    assert (suspended.json()["suspended"], suspended.json()["is_active"]) == (True, False)
    assert not _offered(api_url, customer, shop, start)
    listed = httpx.get(f"{api_url}/providers", params={"id": f"eq.{shop.provider_id}"}, timeout=30)
    assert listed.json() == []
    slots = _rpc(
        api_url,
        "available_slots",
        None,
        {
            "service_id": str(shop.service_id),
            "from": start.isoformat(),
            "to": (start + timedelta(days=1)).isoformat(),
        },
        get=True,
    )
    assert _error(slots) == (404, "not_found")

    # the provider sees why, and cannot lift it
    mine = httpx.get(f"{api_url}/my_provider", headers=bearer(provider), timeout=30).json()
    assert (mine[0]["is_active"], mine[0]["suspension_reason"]) == (False, "chargebacks")
    patch = httpx.patch(
        f"{api_url}/my_provider", json={"is_active": True}, headers=bearer(provider), timeout=30
    )
    assert _error(patch) == (409, "provider_suspended")
    assert "suspended" in patch.json()["message"]
    lift = _rpc(
        api_url,
        "ops_reinstate_provider",
        provider,
        {"provider_id": str(shop.provider_id), "reason": "me"},
    )
    assert lift.status_code in (401, 403)
    assert not _offered(api_url, customer, shop, start)

    back = _rpc(
        api_url,
        "ops_reinstate_provider",
        ops,
        {"provider_id": str(shop.provider_id), "reason": "cleared"},
    )
    assert back.status_code == 200, back.text
    assert _offered(api_url, customer, shop, start)
    rows = admin.execute(
        "select action, actor_id, reason, request_id from audit.action_log "
        "where table_name = 'app.providers' and row_id = %s order by id",
        (str(shop.provider_id),),
    ).fetchall()
    assert rows == [
        ("provider.suspended", ops_id, "chargebacks", suspended.headers["X-Request-Id"]),
        ("provider.reinstated", ops_id, "cleared", back.headers["X-Request-Id"]),
    ]


@pytest.mark.parametrize(
    ("role", "status", "hint"),
    [
        ("customer", 403, "forbidden"),
        ("provider", 403, "forbidden"),
        ("anon", 401, "not_authenticated"),
    ],
)
def test_only_ops_suspend_reinstate_or_list_providers(
    api_url: str, admin: psycopg.Connection[Any], role: str, status: int, hint: str
) -> None:
    shop = _remote_shop(admin)
    token = None if role == "anon" else mint(role, shop.owner_id if role == "provider" else None)
    body = {"provider_id": str(shop.provider_id), "reason": "x"}
    for name in ("ops_suspend_provider", "ops_reinstate_provider"):
        assert _error(_rpc(api_url, name, token, body)) == (status, hint)
    assert _error(_rpc(api_url, "ops_providers", token, {}, get=True)) == (status, hint)
    row = admin.execute(
        "select is_active, suspended_at from app.providers where id = %s", (shop.provider_id,)
    )
    assert row.fetchone() == (True, None)


def test_suspension_inputs_are_checked_naming_the_field(
    api_url: str, admin: psycopg.Connection[Any]
) -> None:
    shop = _remote_shop(admin)
    ops = mint("ops", create_user(admin, "ops"))
    missing = _rpc(api_url, "ops_suspend_provider", ops, {"provider_id": str(shop.provider_id)})
    assert _error(missing) == (400, "invalid_input")
    assert "reason is required" in missing.json()["message"]
    no_id = _rpc(api_url, "ops_suspend_provider", ops, {"reason": "x"})
    assert _error(no_id) == (400, "invalid_input")
    assert "provider_id is required" in no_id.json()["message"]
    bad_id = _rpc(api_url, "ops_suspend_provider", ops, {"provider_id": "nope", "reason": "x"})
    assert bad_id.status_code == 400
    unknown = _rpc(
        api_url, "ops_suspend_provider", ops, {"provider_id": str(uuid.uuid4()), "reason": "x"}
    )
    assert _error(unknown) == (404, "not_found")
    assert _error(
        _rpc(
            api_url,
            "ops_reinstate_provider",
            ops,
            {"provider_id": str(shop.provider_id), "reason": "x"},
        )
    ) == (
        409,
        "conflict",
    )
    listed = _rpc(api_url, "ops_providers", ops, {"search": str(shop.provider_id)}, get=True)
    assert [p["id"] for p in listed.json()] == [str(shop.provider_id)]
    assert _error(_rpc(api_url, "ops_providers", ops, {"limit": 0})) == (400, "invalid_input")


# --- ops: search and story --------------------------------------------------------------------


def test_ops_search_by_customer_email_and_read_the_story(
    api_url: str, admin: psycopg.Connection[Any], two_shops: dict[str, Any]
) -> None:
    ops = mint("ops", create_user(admin, "ops"))
    email = admin.execute(
        "select email::text from app.users where id = %s", (two_shops["alice"],)
    ).fetchone()
    assert email is not None
    found = _rpc(api_url, "ops_bookings", ops, {"customer_email": email[0].upper()})
    assert found.status_code == 200, found.text
    assert [r["id"] for r in found.json()] == [two_shops["mine"]["id"]]
    assert found.json()[0]["stripe_payment_intent_id"].startswith("pi_")
    by_provider = _rpc(
        api_url, "ops_bookings", ops, {"provider_id": str(two_shops["p2"].provider_id)}, get=True
    )
    assert [r["id"] for r in by_provider.json()] == [two_shops["theirs"]["id"]]

    story = _rpc(
        api_url, "ops_booking_story", ops, {"booking_id": two_shops["mine"]["id"]}, get=True
    )
    assert story.status_code == 200, story.text
    doc = story.json()
    assert doc["booking"]["status"] == "confirmed"
    assert doc["customer"]["full_name"] == "Alice Over-HTTP"
    assert [h["to"] for h in doc["status_history"]] == ["pending_payment", "confirmed"]
    assert doc["payment"]["stripe_payment_intent_id"] == found.json()[0]["stripe_payment_intent_id"]
    assert {"refunds", "fees", "notifications", "audit_trail", "events", "stripe"} <= set(doc)
    assert "secret" not in story.text


@pytest.mark.parametrize(
    ("role", "status", "hint"),
    [
        ("customer", 403, "forbidden"),
        ("provider", 403, "forbidden"),
        ("anon", 401, "not_authenticated"),
    ],
)
def test_only_ops_search_bookings_or_read_a_story(
    api_url: str, two_shops: dict[str, Any], role: str, status: int, hint: str
) -> None:
    token = (
        None
        if role == "anon"
        else mint(role, two_shops["alice"] if role == "customer" else two_shops["p1"].owner_id)
    )
    assert _error(_rpc(api_url, "ops_bookings", token, {}, get=True)) == (status, hint)
    story = _rpc(
        api_url, "ops_booking_story", token, {"booking_id": two_shops["mine"]["id"]}, get=True
    )
    assert _error(story) == (status, hint)
    assert two_shops["mine"]["id"] not in story.text


@pytest.mark.parametrize(
    ("name", "body", "named"),
    [
        ("ops_bookings", {"limit": 501}, "limit"),
        ("ops_bookings", {"status": "gone"}, "status"),
        (
            "ops_bookings",
            {"from": "2030-01-02T00:00:00Z", "to": "2030-01-01T00:00:00Z"},
            "to must be after from",
        ),
        ("ops_booking_story", {}, "booking_id is required"),
    ],
)
def test_bad_ops_inputs_are_400_naming_the_field(
    api_url: str, admin: psycopg.Connection[Any], name: str, body: dict[str, Any], named: str
) -> None:
    resp = _rpc(api_url, name, mint("ops", create_user(admin, "ops")), body)
    assert _error(resp) == (400, "invalid_input")
    assert named in resp.json()["message"]


def test_a_story_of_no_booking_is_a_404(api_url: str, admin: psycopg.Connection[Any]) -> None:
    ops = mint("ops", create_user(admin, "ops"))
    resp = _rpc(api_url, "ops_booking_story", ops, {"booking_id": str(uuid.uuid4())}, get=True)
    assert _error(resp) == (404, "not_found")
