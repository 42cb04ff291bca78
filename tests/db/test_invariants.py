"""internal.check_invariants: zero violations after real work, and it finds a planted one."""

from __future__ import annotations

from typing import Any

import psycopg

from tests.helpers import booking as bk
from tests.helpers import catalog


def _violations(db: psycopg.Connection[Any]) -> dict[str, int]:
    return {
        r[0]: int(r[1])
        for r in db.execute("select rule, violations from internal.check_invariants()")
    }


def test_real_bookings_break_no_rule(db: psycopg.Connection[Any]) -> None:
    shop = bk.open_shop(db)
    start = catalog.next_weekday(2, at="10:00")
    paid = bk.book(db, shop, start)
    bk.pay(db, paid)
    bk.book(db, shop, start.replace(hour=12))
    assert set(_violations(db).values()) == {0}


def test_a_planted_over_refund_is_found(db: psycopg.Connection[Any]) -> None:
    shop = bk.open_shop(db)
    paid = bk.book(db, shop, catalog.next_weekday(2, at="10:00"))
    bk.pay(db, paid)
    db.execute("alter table app.refunds disable trigger _100_refund_total")
    db.execute(
        "insert into app.refunds (booking_id, payment_id, amount_cents, reason, requested_role) "
        "select booking_id, id, captured_cents + 1, 'planted', 'ops' from app.payments where booking_id = %s",
        (paid["id"],),
    )
    assert _violations(db)["refunds never exceed what was captured"] == 1


def test_a_confirmation_without_payment_is_found(db: psycopg.Connection[Any]) -> None:
    shop = bk.open_shop(db)
    held = bk.book(db, shop, catalog.next_weekday(2, at="10:00"))
    db.execute("select internal.transition_booking(%s, 'confirmed', 'system')", (held["id"],))
    assert _violations(db)["no booking is confirmed without a payment"] == 1
