"""Receipts (the email queued when a payment confirms a booking, and api.booking_receipt
for its customer only), the provider's statement over a period, and card disputes
(charge.dispute.* recorded, the booking flagged, ops notified, refunds refused)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.db import call_as, one
from tests.helpers.factories import create_user

GST = "123456782RT0001"
QST = "1234567890TQ0001"


@pytest.fixture
def shop(db: psycopg.Connection[Any]) -> bk.Shop:
    s = bk.open_shop(db, price_cents=4500, deposit_cents=1010)
    call_as(db, "provider", s.owner_id, "select internal.set_tax_registration(%s, %s)", GST, QST)
    return s


def _paid(db: psycopg.Connection[Any], shop: bk.Shop, weekday: int = 2) -> dict[str, Any]:
    b = bk.book(db, shop, catalog.next_weekday(weekday, at="10:00"))
    intent = f"pi_{uuid.uuid4().hex[:24]}"
    assert bk.pay(db, b, intent) == "booking confirmed"
    b["intent"] = intent
    return b


def _customer(db: psycopg.Connection[Any], b: dict[str, Any]) -> Any:
    return one(db, "select customer_id from app.bookings where id = %s", b["id"])


def test_a_paid_booking_queues_one_receipt_with_the_taxes_and_numbers(
    db: psycopg.Connection[Any], shop: bk.Shop
) -> None:
    b = _paid(db, shop)
    rows = db.execute(
        "select recipient_id, data from app.notifications where event = 'payment_receipt'"
    ).fetchall()
    assert len(rows) == 1
    assert rows[0][0] == _customer(db, b)
    receipt = rows[0][1]["receipt"]
    assert {k: receipt[k] for k in ("price_cents", "gst_cents", "qst_cents", "total_cents")} == {
        "price_cents": 4500,
        "gst_cents": 225,
        "qst_cents": 449,
        "total_cents": 5174,
    }
    assert (receipt["gst_number"], receipt["qst_number"]) == (GST, QST)
    assert receipt["charge"] == {
        "base_cents": 1010,
        "gst_cents": 51,
        "qst_cents": 101,
        "total_cents": 1162,
    }
    assert (receipt["paid_cents"], receipt["refunded_cents"]) == (1162, 0)


def test_the_receipt_is_its_customers_alone(db: psycopg.Connection[Any], shop: bk.Shop) -> None:
    b = _paid(db, shop)
    mine = call_as(db, "customer", _customer(db, b), "select internal.booking_receipt(%s)", b["id"])
    assert mine["paid_cents"] == 1162 and mine["deposit_cents"] == 1010
    other = create_user(db, "customer")
    with pytest.raises(psycopg.Error) as err:
        call_as(db, "customer", other, "select internal.booking_receipt(%s)", b["id"])
    assert err.value.diag.message_hint == "not_found"
    for role, sub in (("provider", shop.owner_id), ("ops", uuid.uuid4()), ("anon", None)):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            call_as(db, role, sub, "select api.booking_receipt(%s)", b["id"])


def test_the_statement_sums_charges_taxes_and_refunds_of_the_period(
    db: psycopg.Connection[Any], shop: bk.Shop
) -> None:
    first = _paid(db, shop, 2)
    second = _paid(db, shop, 3)
    unpaid = bk.book(db, shop, catalog.next_weekday(4, at="10:00"))
    call_as(
        db,
        "ops",
        uuid.uuid4(),
        "select internal.ops_refund(%s, %s, %s)",
        second["id"],
        500,
        "goodwill",
    )
    starts = [
        one(db, "select lower(during) from app.bookings where id = %s", x["id"])
        for x in (first, second, unpaid)
    ]
    period_from = (min(starts) - timedelta(days=1)).date()
    period_to = (max(starts) + timedelta(days=2)).date()
    st = call_as(
        db,
        "provider",
        shop.owner_id,
        "select internal.provider_statement(%s, %s)",
        period_from,
        period_to,
    )
    assert st["bookings"] == 2
    assert (st["gross_cents"], st["gst_collected_cents"], st["qst_collected_cents"]) == (
        2324,
        102,
        202,
    )
    assert (st["refunded_cents"], st["collected_net_cents"]) == (500, 1824)
    assert "net_cents" not in st, "the old 'net' (before Bookiji's commission) is gone"
    # the refund's tax share: 51 x 500 / 1162 = 21.9 -> 22 GST, 101 x 500 / 1162 = 43.5 -> 43 QST
    assert (st["gst_refunded_cents"], st["qst_refunded_cents"]) == (22, 43)
    assert (st["gst_net_cents"], st["qst_net_cents"]) == (102 - 22, 202 - 43)
    # analytics_revenue gives back the same tax share once the refund went through (the
    # statement counts refunds asked for, the analytics those that succeeded)
    [(refund_id,)] = db.execute(
        "select id from app.refunds where booking_id = %s", (second["id"],)
    ).fetchall()
    db.execute(
        "select internal.record_refund(%s, %s, 'succeeded')",
        (refund_id, f"re_{uuid.uuid4().hex[:12]}"),
    )
    revenue = call_as(
        db,
        "provider",
        shop.owner_id,
        "select jsonb_agg(r) from api.analytics_revenue(%s, %s, null, 'month') r",
        period_from,
        period_to - timedelta(days=1),
    )
    assert sum(r["refunded_cents"] for r in revenue) == st["refunded_cents"]
    assert sum(r["gst_refunded_cents"] for r in revenue) == st["gst_refunded_cents"]
    assert sum(r["qst_refunded_cents"] for r in revenue) == st["qst_refunded_cents"]
    refunded_line = next(x for x in st["lines"] if x["booking_id"] == second["id"])
    assert (refunded_line["refunded_gst_cents"], refunded_line["refunded_qst_cents"]) == (22, 43)
    assert (st["gst_number"], st["qst_number"]) == (GST, QST)
    # Connect's split, booking by booking: Bookiji's commission plus the payout plus the
    # refunds is what was charged (the shop has no payout account: the platform collected
    # it and owes the provider its payout, none of it paid out yet)
    for line in st["lines"]:
        payout = one(db, "select internal.payout_json(%s)", line["booking_id"])
        assert line["payout_cents"] == payout["payout_owed_cents"] == line["owed_cents"]
        assert (line["paid_out_cents"], line["collected_by"]) == (0, "platform")
        kept = line["commission_cents"] + line["payout_cents"] + line["refunded_cents"]
        assert kept == line["charged_cents"]
    assert st["commission_cents"] + st["payout_cents"] == st["collected_net_cents"]
    assert st["commission_cents"] > 0 and st["owed_cents"] == st["payout_cents"]
    # another provider's statement holds none of it
    other = bk.open_shop(db)
    theirs = call_as(
        db,
        "provider",
        other.owner_id,
        "select internal.provider_statement(%s, %s)",
        period_from,
        period_to,
    )
    assert theirs["bookings"] == 0 and theirs["gross_cents"] == 0


@pytest.mark.parametrize(
    ("period_from", "period_to"),
    [
        (None, "2027-01-01"),
        ("2027-01-01", None),
        ("2027-01-02", "2027-01-01"),
        ("2026-01-01", "2027-06-01"),
    ],
)
def test_a_bad_statement_period_is_refused(
    db: psycopg.Connection[Any], shop: bk.Shop, period_from: Any, period_to: Any
) -> None:
    with pytest.raises(psycopg.Error) as err:
        call_as(
            db,
            "provider",
            shop.owner_id,
            "select internal.provider_statement(%s::date, %s::date)",
            period_from,
            period_to,
        )
    assert err.value.diag.message_hint == "invalid_input"


def _dispute(b: dict[str, Any], dispute_id: str, status: str) -> dict[str, Any]:
    return {
        "id": dispute_id,
        "object": "dispute",
        "amount": 1162,
        "currency": "cad",
        "charge": "ch_test",
        "payment_intent": b["intent"],
        "reason": "fraudulent",
        "status": status,
        "evidence_details": {"due_by": 1900000000, "has_evidence": False},
    }


def test_a_dispute_flags_the_booking_notifies_ops_and_blocks_refunds(
    db: psycopg.Connection[Any], shop: bk.Shop
) -> None:
    ops = create_user(db, "ops")
    b = _paid(db, shop)
    dp = f"dp_{uuid.uuid4().hex[:20]}"
    assert bk.apply_event(db, "charge.dispute.created", _dispute(b, dp, "needs_response")) == (
        "dispute opened"
    )
    assert one(db, "select dispute_status from app.bookings where id = %s", b["id"]) == "open"
    assert (
        one(
            db,
            "select count(*) from app.notifications where event = 'dispute_opened' and recipient_id = %s",
            ops,
        )
        == 1
    )
    with pytest.raises(psycopg.Error) as err:
        call_as(db, "ops", ops, "select internal.ops_refund(%s, %s, %s)", b["id"], 100, "sorry")
    assert err.value.diag.message_hint == "conflict"
    # a repeated event changes nothing and notifies nobody again
    assert bk.apply_event(db, "charge.dispute.updated", _dispute(b, dp, "under_review")) == (
        "dispute updated"
    )
    assert bk.apply_event(db, "charge.dispute.closed", _dispute(b, dp, "lost")) == "dispute lost"
    assert bk.apply_event(db, "charge.dispute.closed", _dispute(b, dp, "lost")) == "dispute updated"
    row = db.execute(
        "select status, outcome, amount_cents, reason from app.disputes where id = %s", (dp,)
    ).fetchone()
    assert row == ("lost", "lost", 1162, "fraudulent")
    assert one(db, "select dispute_status from app.bookings where id = %s", b["id"]) == "lost"
    assert one(db, "select count(*) from app.notifications where event like 'dispute_%%'") == 2
    receipt = call_as(
        db, "customer", _customer(db, b), "select internal.booking_receipt(%s)", b["id"]
    )
    assert (receipt["disputed_lost_cents"], receipt["dispute_status"]) == (1162, "lost")
    actions = [
        r[0]
        for r in db.execute(
            "select action from audit.action_log where row_id = %s order by id", (dp,)
        )
    ]
    assert actions == ["payment.dispute_opened", "payment.dispute_closed"]
    listed = call_as(db, "ops", ops, "select count(*) from api.ops_disputes(true)")
    assert listed == 0
    assert call_as(db, "ops", ops, "select outcome from api.ops_disputes()") == "lost"


def test_a_won_dispute_lets_refunds_through_and_strangers_see_no_disputes(
    db: psycopg.Connection[Any], shop: bk.Shop
) -> None:
    b = _paid(db, shop)
    dp = f"dp_{uuid.uuid4().hex[:20]}"
    bk.apply_event(db, "charge.dispute.created", _dispute(b, dp, "needs_response"))
    assert bk.apply_event(db, "charge.dispute.closed", _dispute(b, dp, "won")) == "dispute won"
    call_as(db, "ops", uuid.uuid4(), "select internal.ops_refund(%s, %s, %s)", b["id"], 100, "ok")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        call_as(db, "customer", _customer(db, b), "select * from api.ops_disputes()")


def test_a_dispute_of_an_unknown_payment_is_ignored(db: psycopg.Connection[Any]) -> None:
    out = bk.apply_event(
        db,
        "charge.dispute.created",
        {"id": "dp_nobody", "payment_intent": "pi_nobody", "amount": 5, "status": "needs_response"},
    )
    assert out.startswith("unknown dispute")
    assert one(db, "select count(*) from app.disputes") == 0
