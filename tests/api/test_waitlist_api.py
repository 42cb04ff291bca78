"""The waitlist over HTTP with real tokens: joining, leaving, the limit and bad inputs; one
customer never sees another's entries; a cancelled booking or an expired hold notifies the
matching entries by email (the real worker process and aiosmtpd), in the recipient's language,
with a link to a fresh quote."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from tests.e2e.test_identity_mail import run_worker_once
from tests.helpers import booking as bk
from tests.helpers import catalog, stack
from tests.helpers.auth import bearer, mint
from tests.helpers.db import acting_as
from tests.helpers.factories import create_user
from tests.helpers.mailbox import Mailbox, html_of, text_of


@pytest.fixture
def admin(api: stack.PostgREST) -> Any:
    with psycopg.connect(api.db_url, autocommit=True) as conn:
        yield conn


def _somewhere() -> tuple[float, float]:
    # a place no other test's provider is
    return 44.0 + (uuid.uuid4().int % 1000) / 1000, -76.5 + (uuid.uuid4().int % 1000) / 1000


def _rpc(url: str, name: str, role: str, sub: Any, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{url}/rpc/{name}", json=body, headers=bearer(mint(role, sub)), timeout=30)


def _day(days: int = 3) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(
        hour=15, minute=0, second=0, microsecond=0
    )


def _window(start: datetime, hours: int = 4) -> dict[str, str]:
    return {
        "starts_at": (start - timedelta(hours=1)).isoformat(),
        "ends_at": (start + timedelta(hours=hours)).isoformat(),
    }


def test_a_cancelled_booking_and_an_expired_hold_notify_the_matching_entries_once_by_email(
    db: psycopg.Connection[Any], mailbox: Mailbox
) -> None:
    lat, lng = _somewhere()
    shop = bk.open_shop(db, lat=lat, lng=lng, name="Coupe dégradée", price_cents=4500)
    other = catalog.create_service(db, shop.provider_id, name="Beard trim")
    start = _day()
    booked = catalog.add_booking(db, shop.service_id, start)
    held = catalog.add_booking(
        db, other, start + timedelta(hours=2), status="pending_payment",
        hold_expires_at=datetime.now(UTC) + timedelta(minutes=10),
    )  # fmt: skip
    the_booker = db.execute(
        "select customer_id from app.bookings where id = %s", (booked,)
    ).fetchone()
    assert the_booker is not None
    alice = create_user(db, locale="fr", full_name="Élodie Tremblay")  # the service
    bob = create_user(db, full_name="Bob Stone")  # the provider, a window that misses it
    carol = create_user(db, full_name="Carol King")  # the category, near the shop
    dave = create_user(db, full_name="Dave Far")  # the category, too far away
    with stack.run_postgrest(db.info.dbname) as server:
        joined = {
            "alice": _rpc(server.url, "join_waitlist", "customer", alice,
                          {"service_id": str(shop.service_id), **_window(start)}),
            "bob": _rpc(server.url, "join_waitlist", "customer", bob,
                        {"provider_id": str(shop.provider_id), **_window(start + timedelta(days=1))}),
            "carol": _rpc(server.url, "join_waitlist", "customer", carol,
                          {"category": "haircut", "lat": lat + 0.01, "lng": lng, "radius_km": 5,
                           **_window(start)}),
            "dave": _rpc(server.url, "join_waitlist", "customer", dave,
                         {"category": "haircut", "lat": lat + 1, "lng": lng, "radius_km": 5,
                          **_window(start)}),
            # the customer whose booking frees the slot is not told of it
            "booker": _rpc(server.url, "join_waitlist", "customer", the_booker[0],
                           {"service_id": str(shop.service_id), **_window(start)}),
        }  # fmt: skip
        for who, resp in joined.items():
            assert resp.status_code == 200, (who, resp.text)
            assert resp.json()["status"] == "active"
        assert joined["alice"].json()["provider_id"] == str(shop.provider_id)
        assert joined["carol"].json()["category"] == "haircut"

        db.execute("select internal.transition_booking(%s, 'cancelled', 'customer')", (booked,))
        run_worker_once(db.info.dbname, mailbox.url)

        alice_email = db.execute("select email from app.users where id = %s", (alice,)).fetchone()
        assert alice_email is not None
        (to_alice,) = mailbox.to(alice_email[0])
        assert to_alice["Subject"].startswith("Un créneau s'est libéré : Coupe dégradée le ")
        body = text_of(to_alice)
        assert body.startswith("Bonjour Élodie Tremblay,")
        assert f"?service_id={shop.service_id}&starts_at=" in body
        assert "45,00" in body
        assert f"service_id={shop.service_id}" in html_of(to_alice)
        carol_email = db.execute("select email from app.users where id = %s", (carol,)).fetchone()
        assert carol_email is not None
        (to_carol,) = mailbox.to(carol_email[0])
        assert to_carol["Subject"].startswith("A slot opened: Coupe dégradée on ")
        assert "$45.00 CAD" in text_of(to_carol)
        for quiet in (bob, dave, the_booker[0]):
            email = db.execute("select email from app.users where id = %s", (quiet,)).fetchone()
            assert email is not None
            # the booker hears of its cancellation, not of the opening
            assert not [m for m in mailbox.to(email[0]) if "slot opened" in m["Subject"]]

        mine = httpx.get(f"{server.url}/rpc/my_waitlist", headers=bearer(mint("customer", alice)))
        assert mine.status_code == 200, mine.text
        assert [(e["status"], e["notified_at"] is not None) for e in mine.json()] == [
            ("notified", True)
        ]
        bobs = httpx.get(f"{server.url}/rpc/my_waitlist", headers=bearer(mint("customer", bob)))
        assert [e["status"] for e in bobs.json()] == ["active"]

        # the hold on the provider's other service expires: bob's window misses it, alice
        # and carol were told already; a new entry of alice's for the provider is told
        again = _rpc(server.url, "join_waitlist", "customer", alice,
                     {"provider_id": str(shop.provider_id), **_window(start)})  # fmt: skip
        assert again.status_code == 200, again.text
        db.execute("select internal.transition_booking(%s, 'expired', 'system')", (held,))
        counts = db.execute(
            "select recipient_id, count(*) from app.notifications where event = 'waitlist_opening'"
            " group by recipient_id"
        ).fetchall()
        assert dict(counts) == {alice: 2, carol: 1}


def test_one_customer_never_sees_or_leaves_another_customers_entries(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    shop = bk.open_shop(admin, lat=_somewhere()[0], lng=_somewhere()[1])
    alice, bob = create_user(admin), create_user(admin)
    entry = _rpc(api.url, "join_waitlist", "customer", alice,
                 {"service_id": str(shop.service_id), **_window(_day())})  # fmt: skip
    assert entry.status_code == 200, entry.text
    entry_id = entry.json()["id"]

    bobs = httpx.get(f"{api.url}/rpc/my_waitlist", headers=bearer(mint("customer", bob)))
    assert bobs.status_code == 200 and bobs.json() == []
    taken = _rpc(api.url, "leave_waitlist", "customer", bob, {"entry_id": entry_id})
    assert taken.status_code == 404, taken.text
    assert taken.json()["hint"] == "not_found"
    # the table itself is closed to API roles, owner included: only the functions read it
    for who in (bob, alice):
        with pytest.raises(psycopg.errors.InsufficientPrivilege), acting_as(admin, "customer", who):
            admin.execute("select count(*) from app.waitlist_entries")
    alices = httpx.get(f"{api.url}/rpc/my_waitlist", headers=bearer(mint("customer", alice)))
    assert [e["id"] for e in alices.json()] == [entry_id]

    left = _rpc(api.url, "leave_waitlist", "customer", alice, {"entry_id": entry_id})
    assert left.status_code == 200, left.text
    assert left.json()["status"] == "cancelled"
    mine = httpx.get(f"{api.url}/rpc/my_waitlist", headers=bearer(mint("customer", alice)))
    assert [e["status"] for e in mine.json()] == ["cancelled"]


def test_a_customer_has_at_most_ten_active_entries_and_expired_ones_do_not_count(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    shop = bk.open_shop(admin, lat=_somewhere()[0], lng=_somewhere()[1])
    alice = create_user(admin)
    body = {"service_id": str(shop.service_id), **_window(_day())}
    for _ in range(10):
        assert _rpc(api.url, "join_waitlist", "customer", alice, body).status_code == 200
    over = _rpc(api.url, "join_waitlist", "customer", alice, body)
    assert over.status_code == 429, over.text
    assert over.json()["hint"] == "too_many_waitlist_entries"

    # a window that has ended: the entry is expired and frees a place
    admin.execute(
        "update app.waitlist_entries set wanted = tstzrange(now() - interval '2 days', now() - interval '1 day')"
        " where id = (select id from app.waitlist_entries where customer_id = %s limit 1)",
        (alice,),
    )
    mine = httpx.get(f"{api.url}/rpc/my_waitlist", headers=bearer(mint("customer", alice))).json()
    assert sorted(e["status"] for e in mine) == ["active"] * 9 + ["expired"]
    assert _rpc(api.url, "join_waitlist", "customer", alice, body).status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "starts_at is required"),
        ({"window": "reversed"}, "ends_at must be after starts_at"),
        ({"window": "past"}, "ends_at must be in the future"),
        ({"window": "far"}, "ends_at must be within 90 days"),
        ({"target": "none"}, "give exactly one of service_id, provider_id, or category"),
        ({"target": "two"}, "give exactly one of service_id, provider_id, or category"),
        ({"target": "unknown_category"}, "category must be a known category slug"),
        ({"target": "no_point"}, "lat is required"),
        ({"target": "far_radius"}, "radius_km must be more than 0 and at most 200"),
    ],
)
def test_bad_input_is_a_400_naming_the_problem(
    api: stack.PostgREST, admin: psycopg.Connection[Any], body: dict[str, str], message: str
) -> None:
    shop = bk.open_shop(admin, lat=_somewhere()[0], lng=_somewhere()[1])
    start = _day()
    windows = {
        "reversed": {"starts_at": start.isoformat(), "ends_at": (start - timedelta(hours=1)).isoformat()},
        "past": {"starts_at": (start - timedelta(days=9)).isoformat(),
                 "ends_at": (start - timedelta(days=8)).isoformat()},
        "far": {"starts_at": start.isoformat(), "ends_at": (start + timedelta(days=120)).isoformat()},
    }  # fmt: skip
    targets: dict[str, dict[str, Any]] = {
        "none": {},
        "two": {"service_id": str(shop.service_id), "category": "haircut", "lat": 45, "lng": -73},
        "unknown_category": {"category": "astrology", "lat": 45, "lng": -73},
        "no_point": {"category": "haircut"},
        "far_radius": {"category": "haircut", "lat": 45, "lng": -73, "radius_km": 500},
    }
    payload: dict[str, Any] = {}
    if body:
        payload |= windows.get(body.get("window", ""), _window(start))
        payload |= targets.get(body.get("target", ""), {"service_id": str(shop.service_id)})
    resp = _rpc(api.url, "join_waitlist", "customer", create_user(admin), payload)
    assert resp.status_code == 400, resp.text
    assert resp.json()["hint"] == "invalid_input"
    assert resp.json()["message"].startswith(message)


def test_only_a_signed_in_customer_joins_and_an_unknown_service_is_a_404(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    window = _window(_day())
    anon = httpx.post(
        f"{api.url}/rpc/join_waitlist", json={"service_id": str(uuid.uuid4()), **window}
    )
    assert anon.status_code == 401, anon.text
    provider = _rpc(api.url, "join_waitlist", "provider", create_user(admin, "provider"),
                    {"service_id": str(uuid.uuid4()), **window})  # fmt: skip
    assert provider.status_code in (401, 403), provider.text
    missing = _rpc(api.url, "join_waitlist", "customer", create_user(admin),
                   {"service_id": str(uuid.uuid4()), **window})  # fmt: skip
    assert missing.status_code == 404, missing.text
    assert missing.json()["hint"] == "not_found"
