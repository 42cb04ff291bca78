"""Export my data and delete my account over HTTP, with the sessions sign-up and login
really issue: after deletion the old access and refresh tokens are refused and login
fails, the bookings remain with the anonymised customer, nobody else is touched."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
import pytest

from tests.helpers import api as api_helper
from tests.helpers import booking as bk
from tests.helpers import catalog, stack
from tests.helpers.auth import bearer, mint


@pytest.fixture
def admin(api: stack.PostgREST) -> Any:
    with psycopg.connect(api.db_url, autocommit=True) as conn:
        yield conn


def _shop(admin: psycopg.Connection[Any]) -> bk.Shop:
    lat, lng = 49.0 + (uuid.uuid4().int % 1000) / 1000, -68.5 + (uuid.uuid4().int % 1000) / 1000
    return bk.open_shop(admin, lat=lat, lng=lng)


def _past_booking(admin: psycopg.Connection[Any], shop: bk.Shop, customer: str) -> dict[str, Any]:
    """A paid booking that took place: a financial record with nothing left open."""
    b = bk.book(admin, shop, catalog.next_weekday(1, at="10:00"), uuid.UUID(customer))
    bk.pay(admin, b)
    bk.starts_in(admin, b["id"], "-3 hours")
    admin.execute("select internal.transition_booking(%s, 'completed', 'system')", (b["id"],))
    return b


def _delete(url: str, who: api_helper.Account, password: str | None) -> httpx.Response:
    body = {} if password is None else {"password": password}
    return httpx.post(f"{url}/rpc/delete_my_account", json=body, headers=who.headers, timeout=30)


def test_a_customer_exports_her_own_data_and_nobody_elses(
    api_url: str, admin: psycopg.Connection[Any]
) -> None:
    shop = _shop(admin)
    ann = api_helper.signup(api_url, "customer", full_name="Ann Export")
    bea = api_helper.signup(api_url, "customer")
    mine = _past_booking(admin, shop, ann.id)
    hers = _past_booking(admin, shop, bea.id)
    resp = httpx.get(f"{api_url}/rpc/export_my_data", headers=ann.headers, timeout=30)
    assert resp.status_code == 200, resp.text
    data = resp.json()
    assert (data["account"]["email"], data["account"]["full_name"]) == (ann.email, "Ann Export")
    assert [b["id"] for b in data["bookings"]] == [mine["id"]]
    assert [p["booking_id"] for p in data["payments"]] == [mine["id"]]
    assert len(data["sessions"]) == 1
    assert "email_confirmation" in {n["event"] for n in data["notifications"]}
    for secret in (hers["id"], hers["payment"]["id"], bea.id, bea.email):
        assert secret not in resp.text
    assert httpx.get(f"{api_url}/rpc/export_my_data", timeout=30).status_code == 401


def test_after_deletion_tokens_and_login_are_refused_and_the_bookings_remain(
    api_url: str, admin: psycopg.Connection[Any]
) -> None:
    shop = _shop(admin)
    ann = api_helper.signup(api_url, "customer", full_name="Ann Leaving")
    bea = api_helper.signup(api_url, "customer", full_name="Bea Staying")
    booking = _past_booking(admin, shop, ann.id)
    theirs = _past_booking(admin, shop, bea.id)
    bea_before = httpx.get(f"{api_url}/rpc/export_my_data", headers=bea.headers, timeout=30).json()

    resp = _delete(api_url, ann, ann.password)
    assert resp.status_code == 200, resp.text
    assert resp.json()["deleted"] is True

    me = httpx.get(f"{api_url}/rpc/me", headers=ann.headers, timeout=30)
    assert (me.status_code, me.json()["hint"]) == (401, "invalid_token")
    refresh = httpx.post(
        f"{api_url}/rpc/refresh", json={"refresh_token": ann.refresh_token}, timeout=30
    )
    assert (refresh.status_code, refresh.json()["hint"]) == (401, "invalid_token")
    login = httpx.post(
        f"{api_url}/rpc/login", json={"email": ann.email, "password": ann.password}, timeout=30
    )
    assert (login.status_code, login.json()["hint"]) == (401, "invalid_credentials")

    row = admin.execute(
        "select b.customer_id::text, b.status, u.email::text, u.full_name, u.deleted_at is not null "
        "from app.bookings as b join app.users as u on u.id = b.customer_id where b.id = %s",
        (booking["id"],),
    ).fetchone()
    assert row == (ann.id, "completed", f"deleted-{ann.id}@deleted.invalid", "Deleted user", True)
    payments = admin.execute(
        "select count(*) from app.payments where booking_id = %s", (booking["id"],)
    )
    assert payments.fetchone() == (1,)

    # the other customer: her session, data and booking untouched
    bea_after = httpx.get(f"{api_url}/rpc/export_my_data", headers=bea.headers, timeout=30)
    assert bea_after.status_code == 200
    assert {k: v for k, v in bea_after.json().items() if k != "exported_at"} == {
        k: v for k, v in bea_before.items() if k != "exported_at"
    }
    assert bk.status(admin, theirs["id"]) == "completed"
    # the email is free again
    again = api_helper.signup(api_url, "customer", email=ann.email)
    assert again.id != ann.id


def test_deleting_needs_the_right_password_and_nothing_open(
    api_url: str, admin: psycopg.Connection[Any]
) -> None:
    shop = _shop(admin)
    ann = api_helper.signup(api_url, "customer")
    upcoming = bk.book(admin, shop, catalog.next_weekday(2, at="11:00"), uuid.UUID(ann.id))
    bk.pay(admin, upcoming)
    hold = bk.book(admin, shop, catalog.next_weekday(2, at="14:00"), uuid.UUID(ann.id))

    missing = _delete(api_url, ann, None)
    assert (missing.status_code, missing.json()["hint"]) == (400, "invalid_input")
    assert "password is required" in missing.json()["message"]
    wrong = _delete(api_url, ann, "not the password at all")
    assert (wrong.status_code, wrong.json()["hint"]) == (403, "wrong_password")
    blocked = _delete(api_url, ann, ann.password)
    assert (blocked.status_code, blocked.json()["hint"]) == (409, "account_not_deletable")
    assert upcoming["id"] in blocked.json()["message"]
    assert hold["id"] in blocked.json()["message"]
    # still signed in, still there
    assert httpx.get(f"{api_url}/rpc/me", headers=ann.headers, timeout=30).status_code == 200
    get = httpx.get(
        f"{api_url}/rpc/delete_my_account", params={"password": ann.password}, headers=ann.headers
    )
    assert (get.status_code, get.json()["hint"]) == (405, "method_not_allowed")


def test_a_provider_deletes_its_account_and_leaves_the_catalogue(
    api_url: str, admin: psycopg.Connection[Any]
) -> None:
    owner = api_helper.signup(api_url, "provider")
    created = httpx.post(
        f"{api_url}/my_provider",
        json={
            "business_name": "Salon Adieu",
            "lat": 49.9,
            "lng": -66.1,
            "contact_phone": "+15145550144",
        },
        headers={**owner.headers, "Prefer": "return=representation"},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    provider_id = created.json()[0]["id"]
    listed = httpx.get(f"{api_url}/providers", params={"id": f"eq.{provider_id}"}, timeout=30)
    assert len(listed.json()) == 1
    resp = _delete(api_url, owner, owner.password)
    assert resp.status_code == 200, resp.text
    assert (
        httpx.get(f"{api_url}/providers", params={"id": f"eq.{provider_id}"}, timeout=30).json()
        == []
    )
    row = admin.execute(
        "select business_name, contact_phone, is_active from app.providers where id = %s",
        (provider_id,),
    ).fetchone()
    assert row == ("Deleted provider", None, False)


@pytest.mark.parametrize("role", ["ops", "anon"])
def test_ops_and_anonymous_callers_cannot_delete_an_account_here(api_url: str, role: str) -> None:
    headers = {} if role == "anon" else bearer(mint(role))
    resp = httpx.post(
        f"{api_url}/rpc/delete_my_account", json={"password": "x" * 12}, headers=headers
    )
    assert (resp.status_code, resp.json()["hint"]) == (
        (403, "forbidden") if role == "ops" else (401, "not_authenticated")
    )


def test_the_export_and_deletion_are_in_the_openapi_of_those_who_may_call_them(
    api_url: str,
) -> None:
    customer = api_helper.signup(api_url, "customer")
    doc = httpx.get(f"{api_url}/rpc/openapi", headers=customer.headers, timeout=30).json()
    assert {"/rpc/export_my_data", "/rpc/delete_my_account"} <= set(doc["paths"])
    assert "/rpc/ops_booking_story" not in doc["paths"]
    assert "/rpc/my_provider_bookings" not in doc["paths"]


def test_a_customers_history_over_http_is_hers_alone(
    api_url: str, admin: psycopg.Connection[Any]
) -> None:
    shop = _shop(admin)
    ann = api_helper.signup(api_url, "customer")
    bea = api_helper.signup(api_url, "customer")
    mine = _past_booking(admin, shop, ann.id)
    hers = _past_booking(admin, shop, bea.id)
    resp = httpx.get(f"{api_url}/rpc/my_booking_history", headers=ann.headers, timeout=30)
    assert resp.status_code == 200, resp.text
    assert [(r["id"], r["service_name"], r["charged_cents"]) for r in resp.json()] == [
        (mine["id"], "Cut", 1000)
    ]
    assert hers["id"] not in resp.text
    foreign = httpx.post(
        f"{api_url}/rpc/my_booking_history",
        json={"before_id": hers["id"]},
        headers=ann.headers,
        timeout=30,
    )
    assert (foreign.status_code, foreign.json()["hint"]) == (404, "not_found")
    bad = httpx.post(
        f"{api_url}/rpc/my_booking_history", json={"limit": 0}, headers=ann.headers, timeout=30
    )
    assert (bad.status_code, bad.json()["hint"]) == (400, "invalid_input")
    assert "limit" in bad.json()["message"]
    provider = httpx.get(
        f"{api_url}/rpc/my_booking_history", headers=bearer(mint("provider")), timeout=30
    )
    assert (provider.status_code, provider.json()["hint"]) == (403, "forbidden")
    assert httpx.get(f"{api_url}/rpc/my_booking_history", timeout=30).status_code == 401
