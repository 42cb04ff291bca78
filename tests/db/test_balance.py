"""The balance after a deposit (57_balance.sql): its split of the taxes adds up with the
deposit's to the booking's to the cent, and the venue marking agrees with a card charge
of the balance (a failed one, due, may still be paid at the venue; a paid or pending one
may not)."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.db import call_as, one

GST = "123456782RT0001"
QST = "1234567890TQ0001"


@pytest.mark.parametrize(
    ("price", "deposit", "remainder"),
    [
        # price, deposit -> the balance's base, GST, QST, total
        (4010, 1010, (3000, 150, 299, 3449)),
        (4500, 1010, (3490, 174, 348, 4012)),
        (12345, 1, (12344, 617, 1231, 14192)),
        (4010, 4010, None),
        (4010, 0, None),
    ],
)
def test_deposit_and_balance_add_up_to_the_booking(
    db: psycopg.Connection[Any], price: int, deposit: int, remainder: tuple[int, ...] | None
) -> None:
    shop = bk.open_shop(db, price_cents=price, deposit_cents=deposit)
    call_as(db, "provider", shop.owner_id, "select internal.set_tax_registration(%s, %s)", GST, QST)
    b = bk.book(db, shop, catalog.next_weekday(2, at="10:00"))
    row = db.execute(
        """
        select r.base_cents, r.gst_cents, r.qst_cents, r.total_cents
        from app.bookings as b cross join internal.booking_remainder(b) as r where b.id = %s
        """,
        (b["id"],),
    ).fetchone()
    assert row == remainder
    if row is not None:
        first = db.execute(
            "select c.total_cents from app.bookings as b cross join internal.booking_first_charge(b) as c where b.id = %s",
            (b["id"],),
        ).fetchone()
        taxes = one(
            db,
            "select price_cents + gst_cents + qst_cents from app.bookings where id = %s",
            b["id"],
        )
        assert first is not None and first[0] + row[3] == taxes


@pytest.fixture
def started(db: psycopg.Connection[Any]) -> tuple[bk.Shop, dict[str, Any]]:
    shop = bk.open_shop(db, price_cents=4010, deposit_cents=1010)
    call_as(db, "provider", shop.owner_id, "select internal.set_tax_registration(%s, %s)", GST, QST)
    b = bk.book(db, shop, catalog.next_weekday(2, at="10:00"))
    assert bk.pay(db, b) == "booking confirmed"
    bk.starts_in(db, b["id"], "-5 minutes")
    return shop, b


def _card_row(db: psycopg.Connection[Any], booking_id: Any, status: str) -> None:
    db.execute(
        """
        insert into app.balance_payments (booking_id, method, status, base_cents, gst_cents, qst_cents, amount_cents)
        values (%s, 'card', %s, 3000, 150, 299, 3449)
        """,
        (booking_id, status),
    )


def test_a_failed_card_charge_may_still_be_paid_at_the_venue(
    db: psycopg.Connection[Any], started: tuple[bk.Shop, dict[str, Any]]
) -> None:
    shop, b = started
    _card_row(db, b["id"], "due")
    assert one(db, "select internal.balance_due_json(%s) ->> 'balance_status'", b["id"]) == "due"
    out = call_as(
        db, "provider", shop.owner_id, "select internal.mark_balance_paid_at_venue(%s)", b["id"]
    )
    assert (out["balance_status"], out["balance_method"], out["balance_paid_cents"]) == (
        "paid",
        "venue",
        3449,
    )


@pytest.mark.parametrize("status", ["succeeded", "pending"])
def test_a_balance_charged_or_being_charged_to_the_card_is_not_marked_at_the_venue(
    db: psycopg.Connection[Any], started: tuple[bk.Shop, dict[str, Any]], status: str
) -> None:
    shop, b = started
    _card_row(db, b["id"], status)
    with pytest.raises(psycopg.Error) as err:
        call_as(
            db, "provider", shop.owner_id, "select internal.mark_balance_paid_at_venue(%s)", b["id"]
        )
    assert err.value.diag.message_hint == "conflict"
    assert (
        one(db, "select method from app.balance_payments where booking_id = %s", b["id"]) == "card"
    )


def test_a_cancelled_or_no_show_booking_has_no_balance_to_collect(
    db: psycopg.Connection[Any], started: tuple[bk.Shop, dict[str, Any]]
) -> None:
    shop, b = started
    call_as(db, "provider", shop.owner_id, "select internal.mark_booking(%s, 'no_show')", b["id"])
    with pytest.raises(psycopg.Error) as err:
        call_as(
            db, "provider", shop.owner_id, "select internal.mark_balance_paid_at_venue(%s)", b["id"]
        )
    assert err.value.diag.message_hint == "invalid_transition"
    assert one(db, "select internal.balance_due_json(%s) ->> 'balance_status'", b["id"]) == "void"


def test_a_completed_booking_balance_is_marked_once(
    db: psycopg.Connection[Any], started: tuple[bk.Shop, dict[str, Any]]
) -> None:
    shop, b = started
    call_as(db, "provider", shop.owner_id, "select internal.mark_booking(%s, 'completed')", b["id"])
    first = call_as(
        db, "provider", shop.owner_id, "select internal.mark_balance_paid_at_venue(%s)", b["id"]
    )
    second = call_as(
        db, "provider", shop.owner_id, "select internal.mark_balance_paid_at_venue(%s)", b["id"]
    )
    assert first == second and first["balance_paid_cents"] == 3449
    assert (
        one(
            db,
            "select count(*) from audit.action_log where action = 'payment.balance_paid_at_venue'",
        )
        == 1
    )
    with pytest.raises(psycopg.Error) as err:
        db.execute(
            "update app.balance_payments set amount_cents = 1 where booking_id = %s", (b["id"],)
        )
    assert (
        "balance_payments_cents_check" in str(err.value)
        or err.value.diag.message_hint == "invalid_input"
    )
