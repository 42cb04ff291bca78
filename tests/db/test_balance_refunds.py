"""Refunds of a booking whose balance was charged to the saved card (63_balance_card.sql):
each charge unwinds on its own. A refund spanning both charges splits over the balance's
charge first, then the deposit's; the deposit's part reverses its transfer and refunds its
fee in proportion (the balance's refunds are not the deposit's), the completing refund of
each charge takes the rest, to the cent."""

from __future__ import annotations

import json
import uuid
from typing import Any

import psycopg
import pytest

from tests.db.test_connect import _onboarded
from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.db import call_as
from tests.helpers.factories import create_user

GST = "123456782RT0001"
QST = "1234567890TQ0001"
UNWIND = """
    select balance_charge, amount_cents, reverse_transfer, refund_application_fee,
        transfer_reversal_cents, fee_refund_cents, payout_share_cents
    from app.refunds where booking_id = %s order by created_at, balance_charge desc
"""


def _card_balance(db: psycopg.Connection[Any], *, connect: bool) -> tuple[bk.Shop, Any]:
    """Price 40.10, deposit 10.10 (11.62 with taxes), commission 10% (4.01): the deposit paid
    with the card saved, the booking completed, the balance (34.49) charged to the card."""
    db.execute("update app.commission_rates set rate_bp = 1000, minimum_cents = 0")
    shop = bk.open_shop(db, price_cents=4010, deposit_cents=1010)
    call_as(db, "provider", shop.owner_id, "select internal.set_tax_registration(%s, %s)", GST, QST)
    if connect:
        _onboarded(db, shop)
    b = bk.book(db, shop, catalog.next_weekday(2, at="10:00"))
    assert bk.pay(db, b) == "booking confirmed"
    db.execute(
        "update app.payments set save_card = true, stripe_customer_id = 'cus_balfix',"
        " stripe_payment_method_id = 'pm_balfix' where booking_id = %s",
        (b["id"],),
    )
    bk.starts_in(db, b["id"], "-2 hours")
    call_as(db, "provider", shop.owner_id, "select internal.mark_booking(%s, 'completed')", b["id"])
    row = db.execute(
        "select amount_cents, transfer_destination is not null, application_fee_cents"
        " from app.balance_payments where booking_id = %s and method = 'card' and status = 'pending'",
        (b["id"],),
    ).fetchone()
    assert row == (3449, connect, 0), "the deposit's fee took the whole commission"
    intent = {"id": f"pi_{uuid.uuid4().hex[:24]}", "status": "succeeded", "amount_received": 3449}
    assert db.execute(
        "select internal.record_balance_intent(%s, %s::jsonb)",
        (b["id"], json.dumps(intent)),
    ).fetchone() == ("balance charged",)
    payment = db.execute(
        "select captured_cents, application_fee_cents, transfer_destination is not null"
        " from app.payments where booking_id = %s",
        (b["id"],),
    ).fetchone()
    assert payment == (1162, 401 if connect else 0, connect)
    return shop, b["id"]


def _ops_refund(db: psycopg.Connection[Any], ops: Any, booking_id: Any, cents: int) -> None:
    call_as(db, "ops", ops, "select internal.ops_refund(%s, %s, 'goodwill')", booking_id, cents)


def test_a_refund_spanning_both_destination_charges_unwinds_each_in_proportion(
    db: psycopg.Connection[Any],
) -> None:
    _, booking_id = _card_balance(db, connect=True)
    ops = create_user(db, "ops")
    # 35.49: the balance's 34.49 (its whole charge) and 1.00 of the deposit's 11.62
    _ops_refund(db, ops, booking_id, 3549)
    # the booking's money counts both card charges, as the over-refund guard does
    money = db.execute("select internal.balance_json(%s)", (booking_id,)).fetchone()
    assert money is not None
    assert {k: money[0][k] for k in ("charged_cents", "refunded_cents", "refundable_cents")} == {
        "charged_cents": 1162 + 3449,
        "refunded_cents": 3549,
        "refundable_cents": 1062,
    }
    rows = db.execute(UNWIND, (booking_id,)).fetchall()
    assert rows == [
        # the balance's own destination charge: its transfer (34.49, no fee) all reversed
        (True, 3449, True, False, 3449, 0, 0),
        # the deposit's: 1.00 / 11.62 of its transfer (7.61) and fee (4.01), half up, not all
        (False, 100, True, True, 65, 35, 0),
    ]
    # the rest of the deposit completes it: the reversals add up to its transfer, the fee
    # refunds to its fee, to the cent
    _ops_refund(db, ops, booking_id, 1062)
    rows = db.execute(UNWIND, (booking_id,)).fetchall()
    assert rows[2] == (False, 1062, True, True, 696, 366, 0)
    deposit = [r for r in rows if not r[0]]
    balance = [r for r in rows if r[0]]
    assert (sum(r[4] for r in deposit), sum(r[5] for r in deposit)) == (1162 - 401, 401)
    assert (sum(r[4] for r in balance), sum(r[5] for r in balance)) == (3449, 0)
    with pytest.raises(psycopg.Error, match="at most 0 cents"):
        _ops_refund(db, ops, booking_id, 1)


PAYOUT_KEYS = (
    "charged_cents",
    "refunded_cents",
    "application_fee_cents",
    "transfer_cents",
    "transfer_reversed_cents",
    "fee_refunded_cents",
    "owed_share_cents",
    "payout_owed_cents",
    "balance_owed_cents",
    "provider_net_cents",
    "platform_net_cents",
    "paid_out_cents",
)
LINE_KEYS = (
    "charged_cents",
    "refunded_cents",
    "gst_cents",
    "qst_cents",
    "refunded_gst_cents",
    "refunded_qst_cents",
    "commission_cents",
    "payout_cents",
    "paid_out_cents",
    "owed_cents",
)


def _payout(db: psycopg.Connection[Any], booking_id: Any) -> tuple[int, ...]:
    row = db.execute("select internal.payout_json(%s)", (booking_id,)).fetchone()
    assert row is not None
    return tuple(row[0][k] for k in PAYOUT_KEYS)


def _line(db: psycopg.Connection[Any], shop: bk.Shop, booking_id: Any) -> tuple[int, ...]:
    st = call_as(
        db,
        "provider",
        shop.owner_id,
        "select internal.provider_statement(current_date - 7, current_date + 7)",
    )
    [line] = [x for x in st["lines"] if x["booking_id"] == str(booking_id)]
    assert st["gross_cents"] - st["refunded_cents"] == st["collected_net_cents"]
    # per line, what Bookiji keeps, what is the provider's and what went back add up
    assert (
        line["commission_cents"] + line["payout_cents"] + line["refunded_cents"]
        == (line["charged_cents"])
    )
    return tuple(line[k] for k in LINE_KEYS)


def test_the_payout_and_the_statement_count_the_card_balance_with_the_deposit(
    db: psycopg.Connection[Any],
) -> None:
    shop, booking_id = _card_balance(db, connect=True)
    # 46.11 charged (11.62 + 34.49), 4.01 fee (the deposit's), 7.61 + 34.49 transferred
    assert _payout(db, booking_id) == (4611, 0, 401, 4210, 0, 0, 0, 0, 0, 4210, 401, 4210)
    _ops_refund(db, create_user(db, "ops"), booking_id, 3549)
    assert _payout(db, booking_id) == (4611, 3549, 401, 4210, 3514, 35, 0, 0, 0, 696, 366, 696)
    # the taxes given back: all of the balance's (1.50, 2.99), 1.00/11.62 of the deposit's
    # (0.51 -> 0.04, 1.01 -> 0.09)
    assert _line(db, shop, booking_id) == (4611, 3549, 201, 400, 154, 308, 366, 696, 696, 0)


def test_a_refund_of_a_balance_the_platform_charged_takes_its_share_of_the_balance_not_the_deposit(
    db: psycopg.Connection[Any],
) -> None:
    shop, booking_id = _card_balance(db, connect=False)
    ops = create_user(db, "ops")
    # the platform owes 7.61 of the deposit and the balance's 34.49 (no account to pay yet)
    assert _payout(db, booking_id) == (4611, 0, 0, 0, 0, 0, 761, 761 + 3449, 3449, 4210, 401, 0)
    _ops_refund(db, ops, booking_id, 2000)
    # the balance's refund takes its share of the balance's 34.49 (all of it: the deposit
    # carried the whole commission), none of the deposit's
    assert db.execute(UNWIND, (booking_id,)).fetchall() == [
        (True, 2000, False, False, 0, 0, 2000),
    ]
    assert _payout(db, booking_id) == (4611, 2000, 0, 0, 0, 0, 761, 761 + 1449, 1449, 2210, 401, 0)
    # 15.49: the balance's last 14.49 and 1.00 of the deposit, whose share of 7.61 is 0.65
    _ops_refund(db, ops, booking_id, 1549)
    assert [r[6] for r in db.execute(UNWIND, (booking_id,)).fetchall()] == [2000, 1449, 65]
    assert _payout(db, booking_id) == (4611, 3549, 0, 0, 0, 0, 696, 696, 0, 696, 366, 0)
    assert _line(db, shop, booking_id) == (4611, 3549, 201, 400, 154, 308, 366, 696, 0, 696)
    # once the account can take transfers, the owed transfer pays the deposit's share: never
    # more than the deposit's charge, its source; nothing is left of the balance's
    _onboarded(db, shop)
    assert db.execute(
        "select amount_cents, balance_charge from app.owed_transfers where booking_id = %s",
        (booking_id,),
    ).fetchall() == [(696, False)]


OWED = """
    select balance_charge, amount_cents, status from app.owed_transfers
    where booking_id = %s order by balance_charge
"""


def test_a_balance_the_platform_charged_is_paid_by_its_own_owed_transfer_and_refunds_reverse_it(
    db: psycopg.Connection[Any],
) -> None:
    shop, booking_id = _card_balance(db, connect=False)
    ops = create_user(db, "ops")
    # the account becomes ready: one owed transfer for the deposit's share (7.61, sourced from
    # the deposit's charge) and one for the balance's (34.49, sourced from the balance's)
    _onboarded(db, shop)
    assert db.execute(OWED, (booking_id,)).fetchall() == [
        (False, 761, "pending"),
        (True, 3449, "pending"),
    ]
    messages = bk.payment_messages(db, "connect.pay_owed")
    assert len(messages) == 2
    steps = {}
    for m in messages:
        row = db.execute(
            "select internal.owed_transfer_action(%s)", (m["owed_transfer_id"],)
        ).fetchone()
        assert row is not None
        steps[row[0]["balance_charge"]] = row[0]
    balance_intent = db.execute(
        "select stripe_payment_intent_id from app.balance_payments where booking_id = %s",
        (booking_id,),
    ).fetchone()
    deposit_intent = db.execute(
        "select stripe_payment_intent_id from app.payments where booking_id = %s", (booking_id,)
    ).fetchone()
    assert balance_intent is not None and deposit_intent is not None
    assert (steps[True]["action"], steps[True]["amount_cents"]) == ("create_transfer", 3449)
    assert steps[True]["stripe_payment_intent_id"] == balance_intent[0]
    assert steps[False]["stripe_payment_intent_id"] == deposit_intent[0]
    # asking again (the sweep, another account.updated) asks for nothing more
    assert db.execute("select internal.request_owed_transfers(null, 100)").fetchone() == (0,)
    assert db.execute(
        "select internal.request_owed_balance_transfer(%s)", (booking_id,)
    ).fetchone() == ("already asked for",)
    for flag, tr in ((False, "tr_deposit1"), (True, "tr_balance1")):
        db.execute(
            "select internal.record_owed_transfer(%s, %s, 'ch_x')",
            (steps[flag]["owed_transfer_id"], tr),
        )
    payout = call_as(db, "ops", ops, "select internal.booking_payout(%s)", booking_id)
    assert (payout["balance_owed_transfer_status"], payout["balance_owed_transfer_cents"]) == (
        "succeeded",
        3449,
    )
    assert (payout["payout_owed_cents"], payout["paid_out_cents"]) == (0, 4210)
    assert _line(db, shop, booking_id)[-2:] == (4210, 0)
    # a refund of 10.00 of the balance takes its 10.00 back from the balance's transfer
    _ops_refund(db, ops, booking_id, 1000)
    refund = db.execute(
        "select r.id, r.payout_share_cents, r.owed_reversal_cents, t.balance_charge"
        " from app.refunds as r join app.owed_transfers as t on r.owed_transfer_id = t.id"
        " where r.booking_id = %s",
        (booking_id,),
    ).fetchone()
    assert refund is not None and refund[1:] == (1000, 1000, True)
    db.execute("select internal.record_refund(%s, 're_bal1', 'succeeded')", (refund[0],))
    step = db.execute("select internal.owed_reversal_action(%s)", (refund[0],)).fetchone()
    assert step is not None
    assert (step[0]["action"], step[0]["stripe_transfer_id"], step[0]["amount_cents"]) == (
        "reverse",
        "tr_balance1",
        1000,
    )
    db.execute("select internal.record_owed_reversal(%s, 'trr_bal1')", (refund[0],))
    payout = call_as(db, "ops", ops, "select internal.booking_payout(%s)", booking_id)
    assert payout["balance_owed_transfer_reversed_cents"] == 1000
    assert (
        payout["provider_net_cents"],
        payout["paid_out_cents"],
        payout["payout_owed_cents"],
    ) == (
        3210,
        3210,
        0,
    )
    assert _line(db, shop, booking_id)[-4:] == (401, 3210, 3210, 0)
    # the provider sees its own booking's payout; another provider does not
    assert (
        call_as(db, "provider", shop.owner_id, "select internal.booking_payout(%s)", booking_id)[
            "balance_owed_transfer_cents"
        ]
        == 3449
    )
    other = bk.open_shop(db)
    with pytest.raises(psycopg.Error, match="no such booking"):
        call_as(db, "provider", other.owner_id, "select internal.booking_payout(%s)", booking_id)
