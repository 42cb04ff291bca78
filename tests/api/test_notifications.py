"""Notification log and preferences: by persona (owner, another customer, anonymous), over
HTTP through PostgREST and in SQL under the API roles."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import psycopg
import pytest

from tests.helpers import factories
from tests.helpers.api import signup
from tests.helpers.db import acting_as


def _notify(db: psycopg.Connection[Any], user: uuid.UUID, key: str) -> None:
    db.execute(
        "select internal.notify('password_reset', %s, %s, %s::jsonb)",
        (user, key, json.dumps({"token": f"secret-{key}"})),
    )


# --- over HTTP -------------------------------------------------------------------------


def test_a_new_account_sees_its_confirmation_email_in_its_log(api_url: str) -> None:
    alice = signup(api_url)
    resp = httpx.get(f"{api_url}/rpc/my_notifications", headers=alice.headers)
    assert resp.status_code == 200, resp.text
    (row,) = resp.json()
    assert (row["event"], row["channel"], row["status"]) == (
        "email_confirmation",
        "email",
        "queued",
    )
    assert set(row) == {"id", "event", "channel", "status", "created_at", "sent_at"}


def test_a_get_with_limit_returns_that_many_rows(api_url: str) -> None:
    alice = signup(api_url)
    httpx.post(f"{api_url}/rpc/request_password_reset", json={"email": alice.email})
    every = httpx.get(f"{api_url}/rpc/my_notifications", headers=alice.headers).json()
    assert [r["event"] for r in every] == ["password_reset", "email_confirmation"]
    # in a GET's query string, limit is PostgREST's own row limit: the same effect
    one = httpx.get(f"{api_url}/rpc/my_notifications?limit=1", headers=alice.headers).json()
    assert [r["event"] for r in one] == ["password_reset"]


def test_the_log_refuses_a_limit_out_of_range_naming_it(db: psycopg.Connection[Any]) -> None:
    alice = factories.create_user(db)
    with acting_as(db, "customer", alice), pytest.raises(psycopg.Error) as err:
        db.execute("select * from api.my_notifications(0)")
    assert err.value.sqlstate == "PT400"
    assert err.value.diag.message_primary == "limit must be between 1 and 500"


def test_preferences_start_at_the_defaults_and_security_is_not_editable(api_url: str) -> None:
    alice = signup(api_url)
    resp = httpx.get(f"{api_url}/rpc/notification_preferences", headers=alice.headers)
    assert resp.status_code == 200, resp.text
    assert resp.json() == [
        {"category": "security", "email": True, "sms": False, "editable": False},
        {"category": "booking_updates", "email": True, "sms": False, "editable": True},
        {"category": "reminders", "email": True, "sms": False, "editable": True},
    ]


def test_a_customer_turns_reminders_off_and_sms_on_for_booking_updates(api_url: str) -> None:
    alice = signup(api_url)
    off = httpx.post(
        f"{api_url}/rpc/set_notification_preference",
        json={"category": "reminders", "email": False},
        headers=alice.headers,
    )
    assert off.status_code == 200, off.text
    assert off.json() == {"category": "reminders", "email": False, "sms": False}
    on = httpx.post(
        f"{api_url}/rpc/set_notification_preference",
        json={"category": "booking_updates", "sms": True},
        headers=alice.headers,
    )
    assert on.json() == {"category": "booking_updates", "email": True, "sms": True}
    prefs = httpx.get(f"{api_url}/rpc/notification_preferences", headers=alice.headers).json()
    assert {p["category"]: (p["email"], p["sms"]) for p in prefs} == {
        "security": (True, False),
        "booking_updates": (True, True),
        "reminders": (False, False),
    }


@pytest.mark.parametrize(
    ("category", "message"),
    [
        ("security", "category 'security' cannot be changed"),
        ("marketing", "category must be 'reminders' or 'booking_updates'"),
        (None, "category must be 'reminders' or 'booking_updates'"),
    ],
)
def test_security_mail_cannot_be_turned_off_and_a_bad_category_is_a_400_naming_it(
    api_url: str, category: str | None, message: str
) -> None:
    alice = signup(api_url)
    resp = httpx.post(
        f"{api_url}/rpc/set_notification_preference",
        json={"category": category, "email": False},
        headers=alice.headers,
    )
    assert resp.status_code == 400, resp.text
    assert resp.json()["hint"] == "invalid_input"
    assert resp.json()["message"].startswith(message)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/rpc/my_notifications"),
        ("GET", "/rpc/notification_preferences"),
        ("POST", "/rpc/set_notification_preference"),
    ],
)
def test_anon_has_no_notifications_or_preferences(api_url: str, method: str, path: str) -> None:
    resp = httpx.request(method, f"{api_url}{path}", json={"category": "reminders"})
    assert resp.status_code == 401


# --- RLS, as two customers -------------------------------------------------------------


def test_a_customer_reads_only_their_own_notifications(db: psycopg.Connection[Any]) -> None:
    alice, bob = factories.create_user(db), factories.create_user(db)
    _notify(db, alice, "a1")
    _notify(db, bob, "b1")
    _notify(db, bob, "b2")
    with acting_as(db, "customer", alice):
        mine = db.execute("select event from api.my_notifications()").fetchall()
        direct = db.execute("select recipient_id from app.notifications").fetchall()
    assert mine == [("password_reset",)]
    assert direct == [(alice,)]
    with acting_as(db, "customer", bob):
        assert db.execute("select count(*) from api.my_notifications()").fetchone() == (2,)
        assert db.execute(
            "select count(*) from app.notifications where recipient_id = %s", (alice,)
        ).fetchone() == (0,)


def test_nobody_reads_the_rendering_data_not_even_their_own(db: psycopg.Connection[Any]) -> None:
    alice = factories.create_user(db)
    _notify(db, alice, "a1")
    with (
        acting_as(db, "customer", alice),
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        db.execute("select data from app.notifications")


@pytest.mark.parametrize("role", ["customer", "provider", "ops"])
def test_no_api_role_writes_notifications(db: psycopg.Connection[Any], role: str) -> None:
    alice = factories.create_user(db, role)
    _notify(db, alice, "a1")
    with acting_as(db, role, alice), pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("update app.notifications set status = 'sent'")
    with acting_as(db, role, alice), pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute(
            "select internal.notify('password_reset', %s, 'x', '{\"token\": \"t\"}')", (alice,)
        )


def test_a_customer_cannot_read_or_change_another_customers_preferences(
    db: psycopg.Connection[Any],
) -> None:
    alice, bob = factories.create_user(db), factories.create_user(db)
    db.execute(
        "insert into app.notification_preferences (user_id, category, email, sms) "
        "values (%s, 'reminders', false, false)",
        (bob,),
    )
    with acting_as(db, "customer", alice):
        assert db.execute("select count(*) from app.notification_preferences").fetchone() == (0,)
        updated = db.execute(
            "update app.notification_preferences set email = true where user_id = %s", (bob,)
        )
        assert updated.rowcount == 0
        prefs = db.execute("select category, email from api.notification_preferences()").fetchall()
        assert ("reminders", True) in prefs  # alice's defaults, not bob's choice
    with acting_as(db, "customer", alice), pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute(
            "insert into app.notification_preferences (user_id, category, email, sms) "
            "values (%s, 'booking_updates', false, false)",
            (bob,),
        )
    assert db.execute(
        "select email from app.notification_preferences where user_id = %s", (bob,)
    ).fetchone() == (False,)
