"""A provider's calendar with its customers (api.my_provider_bookings): its own bookings
only, through every filter; the customer's name always, their email and phone only
while the provider needs them; refusals name the field."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.db import acting_as
from tests.helpers.factories import create_user

LIST = "select * from api.my_provider_bookings({})"


def _list(db: psycopg.Connection[Any], role: str, sub: Any, **args: Any) -> list[dict[str, Any]]:
    """api.my_provider_bookings as ``role`` with named arguments."""
    names = ", ".join(f'"{k}" => %({k})s' for k in args)
    with acting_as(db, role, sub), db.cursor(row_factory=dict_row) as cur:
        return cur.execute(LIST.format(names), args).fetchall()


def _refused(
    db: psycopg.Connection[Any], role: str, sub: Any, **args: Any
) -> tuple[str | None, str | None, str]:
    with pytest.raises(psycopg.Error) as err:
        _list(db, role, sub, **args)
    e = err.value
    return e.sqlstate, e.diag.message_hint, str(e.diag.message_primary)


@pytest.fixture
def start() -> Any:
    return catalog.next_weekday(1, at="10:00")


@pytest.fixture
def two_shops(db: psycopg.Connection[Any], start: Any) -> dict[str, Any]:
    """P1 with a paid (confirmed) booking and a hold, P2 with one confirmed booking; the
    customers have phones."""
    p1 = bk.open_shop(db)
    p2 = bk.open_shop(db, lat=catalog.PLATEAU[0] + 0.5)
    alice = create_user(db, "customer", full_name="Alice Tremblay")
    bob = create_user(db, "customer", full_name="Bob Gagnon")
    db.execute("update app.users set phone = '+15145550111' where id = %s", (alice,))
    db.execute("update app.users set phone = '+15145550122' where id = %s", (bob,))
    paid = bk.book(db, p1, start, alice)
    bk.pay(db, paid)
    hold = bk.book(db, p1, start + timedelta(hours=2), bob)
    theirs = bk.book(db, p2, start, bob)
    bk.pay(db, theirs)
    return {
        "p1": p1,
        "p2": p2,
        "alice": alice,
        "bob": bob,
        "paid": paid,
        "hold": hold,
        "theirs": theirs,
    }


def test_a_provider_sees_its_confirmed_booking_with_the_customers_name_and_contact(
    db: psycopg.Connection[Any], two_shops: dict[str, Any]
) -> None:
    p1, paid = two_shops["p1"], two_shops["paid"]
    rows = _list(db, "provider", p1.owner_id)
    assert [r["id"] for r in rows] == [uuid.UUID(paid["id"]), uuid.UUID(two_shops["hold"]["id"])]
    row = rows[0]
    assert row["status"] == "confirmed"
    assert row["customer_name"] == "Alice Tremblay"
    alice_email = db.execute(
        "select email from app.users where id = %s", (two_shops["alice"],)
    ).fetchone()
    assert alice_email is not None
    assert row["customer_email"] == alice_email[0]
    assert row["customer_phone"] == "+15145550111"
    assert (row["service_id"], row["service_name"]) == (p1.service_id, "Cut")
    assert (row["price_cents"], row["deposit_cents"], row["currency"]) == (5000, 1000, "CAD")
    assert (row["payment_status"], row["charged_cents"], row["refunded_cents"]) == (
        "succeeded",
        1000,
        0,
    )
    assert row["time_zone"] == "America/Toronto"


def test_a_hold_shows_the_customers_name_but_not_their_contact(
    db: psycopg.Connection[Any], two_shops: dict[str, Any]
) -> None:
    rows = _list(db, "provider", two_shops["p1"].owner_id, status="pending_payment")
    assert len(rows) == 1
    hold = rows[0]
    assert hold["customer_name"] == "Bob Gagnon"
    assert (hold["customer_email"], hold["customer_phone"]) == (None, None)
    assert hold["hold_expires_at"] is not None


def test_a_cancelled_booking_no_longer_shows_the_customers_contact(
    db: psycopg.Connection[Any], two_shops: dict[str, Any]
) -> None:
    paid = two_shops["paid"]
    db.execute("select internal.transition_booking(%s, 'cancelled', 'ops', 'test')", (paid["id"],))
    (row,) = _list(db, "provider", two_shops["p1"].owner_id, booking_id=paid["id"])
    assert row["status"] == "cancelled"
    assert row["customer_name"] == "Alice Tremblay"
    assert (row["customer_email"], row["customer_phone"]) == (None, None)


@pytest.mark.parametrize(
    ("status", "ended", "shown"),
    [
        ("confirmed", "1 day", True),
        ("completed", "29 days", True),
        ("no_show", "29 days", True),
        ("completed", "31 days", False),
        ("cancelled", "0 days", False),
        ("expired", "0 days", False),
        ("pending_payment", "0 days", False),
    ],
)
def test_the_contact_rule_in_one_place(
    db: psycopg.Connection[Any], status: str, ended: str, shown: bool
) -> None:
    row = db.execute(
        "select internal.provider_may_contact(%s, now() - %s::interval)", (status, ended)
    ).fetchone()
    assert row == (shown,)


def test_another_provider_sees_none_of_those_bookings_through_any_filter(
    db: psycopg.Connection[Any], two_shops: dict[str, Any]
) -> None:
    p1, p2, paid = two_shops["p1"], two_shops["p2"], two_shops["paid"]
    mine = {r["id"] for r in _list(db, "provider", p2.owner_id)}
    assert mine == {uuid.UUID(two_shops["theirs"]["id"])}
    for filters in (
        {"booking_id": paid["id"]},
        {"booking_id": two_shops["hold"]["id"]},
        {"service_id": p1.service_id},
        {"customer_id": two_shops["alice"]},
        {"status": "pending_payment"},
        {"status": "confirmed", "customer_id": two_shops["alice"]},
        {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z", "limit": 500},
    ):
        seen = {r["id"] for r in _list(db, "provider", p2.owner_id, **filters)}
        assert seen <= mine, filters
        assert not any(
            b in seen for b in (uuid.UUID(paid["id"]), uuid.UUID(two_shops["hold"]["id"]))
        )
    # a cursor on another provider's booking is refused like one on no booking at all
    foreign = _refused(db, "provider", p2.owner_id, after_id=paid["id"])
    unknown = _refused(db, "provider", p2.owner_id, after_id=uuid.uuid4())
    assert foreign == unknown == ("PT404", "not_found", "after_id is not one of your bookings")


def test_a_provider_without_a_profile_has_no_bookings(db: psycopg.Connection[Any]) -> None:
    assert _list(db, "provider", create_user(db, "provider")) == []


def test_customers_and_ops_are_refused_and_anonymous_callers_asked_to_sign_in(
    db: psycopg.Connection[Any], two_shops: dict[str, Any]
) -> None:
    db.execute(
        "grant execute on function internal.my_provider_bookings"
        "(timestamptz, timestamptz, text, uuid, uuid, uuid, integer, uuid) to customer, anon"
    )
    db.execute(
        "grant execute on function api.my_provider_bookings"
        "(timestamptz, timestamptz, text, uuid, uuid, uuid, integer, uuid) to customer, anon"
    )
    # with the grants forced open, the definer's own check still refuses
    assert _refused(db, "customer", two_shops["alice"])[:2] == ("PT403", "forbidden")
    assert _refused(db, "anon", None)[:2] == ("PT401", "not_authenticated")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _list(db, "ops", create_user(db, "ops"))


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ({"limit": 0}, "limit must be between 1 and 500"),
        ({"limit": 501}, "limit must be between 1 and 500"),
        ({"status": "paid"}, "status must be pending_payment, confirmed"),
        ({"from": "2030-01-02T00:00:00Z", "to": "2030-01-01T00:00:00Z"}, "to must be after from"),
        ({"from": "infinity"}, "from and to must be finite"),
    ],
)
def test_bad_inputs_are_400_naming_the_field(
    db: psycopg.Connection[Any], two_shops: dict[str, Any], args: dict[str, Any], named: str
) -> None:
    state, hint, message = _refused(db, "provider", two_shops["p1"].owner_id, **args)
    assert (state, hint) == ("PT400", "invalid_input")
    assert named in message


def test_after_id_pages_through_every_booking_once_in_start_order(
    db: psycopg.Connection[Any], two_shops: dict[str, Any], start: Any
) -> None:
    p1 = two_shops["p1"]
    for hours in (4, 6):
        bk.book(db, p1, start + timedelta(hours=hours))
    everything = [r["id"] for r in _list(db, "provider", p1.owner_id)]
    assert len(everything) == 4
    seen: list[uuid.UUID] = []
    after = None
    while True:
        page = _list(db, "provider", p1.owner_id, limit=3, **({"after_id": after} if after else {}))
        if not page:
            break
        seen += [r["id"] for r in page]
        after = page[-1]["id"]
    assert seen == everything
    starts = [r["starts_at"] for r in _list(db, "provider", p1.owner_id)]
    assert starts == sorted(starts)


def test_from_and_to_select_by_start(
    db: psycopg.Connection[Any], two_shops: dict[str, Any], start: Any
) -> None:
    p1 = two_shops["p1"]
    first = _list(db, "provider", p1.owner_id, **{"from": start, "to": start + timedelta(hours=1)})
    assert [r["id"] for r in first] == [uuid.UUID(two_shops["paid"]["id"])]
    later = _list(db, "provider", p1.owner_id, **{"from": start + timedelta(minutes=1)})
    assert [r["id"] for r in later] == [uuid.UUID(two_shops["hold"]["id"])]
