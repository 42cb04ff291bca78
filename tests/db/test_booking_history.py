"""A customer's booking history (api.my_booking_history): her own bookings only, latest
first, with the provider's and service's names even after the provider left the catalogue,
and the money of each."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.db.test_balance_refunds import _card_balance
from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.db import acting_as, call_as
from tests.helpers.factories import create_user


def _history(db: psycopg.Connection[Any], role: str, sub: Any, **args: Any) -> list[dict[str, Any]]:
    names = ", ".join(f'"{k}" => %({k})s' for k in args)
    with acting_as(db, role, sub), db.cursor(row_factory=dict_row) as cur:
        return cur.execute(f"select * from api.my_booking_history({names})", args).fetchall()


@pytest.fixture
def start() -> Any:
    return catalog.next_weekday(2, at="10:00")


def test_a_customer_sees_her_bookings_latest_first_with_names_and_money(
    db: psycopg.Connection[Any], start: Any
) -> None:
    shop = bk.open_shop(db)
    ann = create_user(db, "customer")
    first = bk.book(db, shop, start, ann)
    bk.pay(db, first)
    later = bk.book(db, shop, start + timedelta(days=1), ann)
    someone_elses = bk.book(db, shop, start + timedelta(hours=2))
    rows = _history(db, "customer", ann)
    assert [str(r["id"]) for r in rows] == [later["id"], first["id"]]
    assert someone_elses["id"] not in {str(r["id"]) for r in rows}
    paid = rows[1]
    assert (paid["service_name"], paid["payment_status"], paid["charged_cents"]) == (
        "Cut",
        "succeeded",
        1000,
    )
    assert paid["provider_name"].startswith("Test business")
    assert rows[0]["hold_expires_at"] is not None
    assert [str(r["id"]) for r in _history(db, "customer", ann, status="confirmed")] == [
        first["id"]
    ]
    page = _history(db, "customer", ann, limit=1, before_id=later["id"])
    assert [str(r["id"]) for r in page] == [first["id"]]


def test_the_names_stay_after_the_provider_is_suspended(
    db: psycopg.Connection[Any], start: Any
) -> None:
    shop = bk.open_shop(db)
    ann = create_user(db, "customer")
    b = bk.book(db, shop, start, ann)
    name = db.execute("select business_name from app.providers where id = %s", (shop.provider_id,))
    call_as(
        db,
        "ops",
        create_user(db, "ops"),
        "select api.ops_suspend_provider(%s, 'x')",
        shop.provider_id,
    )
    (row,) = _history(db, "customer", ann)
    assert (str(row["id"]), row["provider_name"]) == (b["id"], name.fetchone()[0])  # type: ignore[index]


def test_refusals_name_the_field_and_keep_others_bookings_private(
    db: psycopg.Connection[Any], start: Any
) -> None:
    shop = bk.open_shop(db)
    theirs = bk.book(db, shop, start)
    ann = create_user(db, "customer")
    for args, hint, named in (
        ({"limit": 0}, "invalid_input", "limit"),
        ({"status": "paid"}, "invalid_input", "status"),
        ({"before_id": theirs["id"]}, "not_found", "before_id"),
        ({"before_id": str(uuid.uuid4())}, "not_found", "before_id"),
    ):
        with pytest.raises(psycopg.Error) as err:
            _history(db, "customer", ann, **args)
        assert err.value.diag.message_hint == hint
        assert named in str(err.value.diag.message_primary)
    for role, sub in (("provider", shop.owner_id), ("anon", None), ("ops", create_user(db, "ops"))):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _history(db, role, sub)


MONEY = ("charged_cents", "refunded_cents", "paid_cents", "balance_cents", "balance_status")


def test_the_money_counts_the_balance_charged_to_the_card_as_the_bookings_balance_does(
    db: psycopg.Connection[Any],
) -> None:
    # deposit 11.62 with taxes, then the balance 34.49 charged to the saved card
    _, booking_id = _card_balance(db, connect=False)
    customer = db.execute(
        "select customer_id from app.bookings where id = %s", (booking_id,)
    ).fetchone()
    assert customer is not None
    (row,) = _history(db, "customer", customer[0])
    assert {k: row[k] for k in MONEY} == {
        "charged_cents": 1162 + 3449,
        "refunded_cents": 0,
        "paid_cents": 1162 + 3449,
        "balance_cents": 3449,
        "balance_status": "paid",
    }
    call_as(
        db, "ops", create_user(db, "ops"), "select internal.ops_refund(%s, 3000, 'x')", booking_id
    )
    (row,) = _history(db, "customer", customer[0])
    money = db.execute("select internal.balance_json(%s)", (booking_id,)).fetchone()
    assert money is not None
    assert (
        (row["charged_cents"], row["refunded_cents"], row["paid_cents"])
        == (
            money[0]["charged_cents"],
            money[0]["refunded_cents"],
            money[0]["settled_cents"],
        )
        == (4611, 3000, 4611)
    )


def test_a_balance_paid_at_the_venue_is_paid_but_not_charged(
    db: psycopg.Connection[Any], start: Any
) -> None:
    shop = bk.open_shop(db, price_cents=4000, deposit_cents=1000)
    ann = create_user(db, "customer")
    b = bk.book(db, shop, start, ann)
    bk.pay(db, b)
    (row,) = _history(db, "customer", ann)
    assert {k: row[k] for k in MONEY} == {
        "charged_cents": 1000,
        "refunded_cents": 0,
        "paid_cents": 1000,
        "balance_cents": 3000,
        "balance_status": "open",
    }
    bk.starts_in(db, b["id"], "-2 hours")
    call_as(db, "provider", shop.owner_id, "select internal.mark_booking(%s, 'completed')", b["id"])
    call_as(
        db, "provider", shop.owner_id, "select internal.mark_balance_paid_at_venue(%s)", b["id"]
    )
    (row,) = _history(db, "customer", ann)
    assert {k: row[k] for k in MONEY} == {
        "charged_cents": 1000,
        "refunded_cents": 0,
        "paid_cents": 4000,
        "balance_cents": 3000,
        "balance_status": "paid",
    }
