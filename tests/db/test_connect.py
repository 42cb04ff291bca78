"""Stripe Connect in the database: the commission a booking keeps from its confirmation,
where a payment goes (the provider's connected account once it can take transfers, else
the platform, which owes the provider its share), account.updated applied in order, the
worker's onboarding entry points, and how each refund unwinds a destination charge."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import psycopg
import pytest

from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.db import call_as
from tests.helpers.factories import create_user


def _account_event(
    db: psycopg.Connection[Any],
    account_id: str,
    created: int,
    *,
    transfers: str = "active",
    provider_id: Any = None,
) -> str:
    event = {
        "id": f"evt_{uuid.uuid4().hex}",
        "type": "account.updated",
        "created": created,
        "data": {
            "object": {
                "id": account_id,
                "object": "account",
                "charges_enabled": transfers == "active",
                "payouts_enabled": transfers == "active",
                "details_submitted": transfers == "active",
                "capabilities": {"card_payments": transfers, "transfers": transfers},
                "requirements": {"currently_due": [] if transfers == "active" else ["tos"]},
                "metadata": {"provider_id": str(provider_id)} if provider_id else {},
            }
        },
    }
    row = db.execute("select internal.apply_account_event(%s::jsonb)", (json.dumps(event),))
    return str(row.fetchone()[0])  # type: ignore[index]


def _onboarded(db: psycopg.Connection[Any], shop: bk.Shop) -> str:
    account_id = f"acct_{uuid.uuid4().hex[:16]}"
    call_as(db, "provider", shop.owner_id, "select internal.start_payout_onboarding()")
    db.execute("select internal.record_payout_account(%s, %s)", (shop.provider_id, account_id))
    assert _account_event(db, account_id, 1_000) == "account updated"
    return account_id


def _commission(db: psycopg.Connection[Any], booking_id: Any) -> tuple[int, int, int]:
    row = db.execute(
        "select commission_rate_bp, commission_minimum_cents, commission_cents"
        " from app.bookings where id = %s",
        (booking_id,),
    ).fetchone()
    assert row is not None
    return (int(row[0]), int(row[1]), int(row[2]))


@pytest.fixture
def start() -> datetime:
    return catalog.next_weekday(2, at="10:00")


@pytest.mark.parametrize(
    ("price", "rate_bp", "minimum", "expected"),
    [(5000, 1000, 100, 500), (5005, 1250, 0, 626), (500, 1000, 100, 100), (50, 1000, 100, 50)],
    ids=["rate", "half up", "minimum", "never above the price"],
)
def test_a_booking_keeps_the_commission_of_its_confirmation(
    db: psycopg.Connection[Any],
    start: datetime,
    price: int,
    rate_bp: int,
    minimum: int,
    expected: int,
) -> None:
    db.execute(
        "update app.commission_rates set rate_bp = %s, minimum_cents = %s where category_id = 1",
        (rate_bp, minimum),
    )
    shop = bk.open_shop(db, price_cents=price, deposit_cents=0)
    booking = bk.book(db, shop, start)
    assert _commission(db, booking["id"]) == (rate_bp, minimum, expected)
    db.execute("update app.commission_rates set rate_bp = 0, minimum_cents = 0")
    assert _commission(db, booking["id"])[2] == expected, "a later change leaves it alone"
    with pytest.raises(psycopg.Error, match="commission never changes"):
        db.execute("update app.bookings set commission_cents = 0 where id = %s", (booking["id"],))


def test_a_provider_without_an_account_is_charged_by_the_platform_which_owes_its_share(
    db: psycopg.Connection[Any], start: datetime
) -> None:
    shop = bk.open_shop(db, price_cents=5000, deposit_cents=1000)
    booking = bk.book(db, shop, start)
    bk.pay(db, booking)
    request = db.execute(
        "select internal.payment_intent_request(%s)", (booking["payment"]["id"],)
    ).fetchone()
    assert request is not None
    assert (request[0]["transfer_destination"], request[0]["application_fee_cents"]) == (None, 0)
    payout = db.execute("select internal.payout_json(%s)", (booking["id"],)).fetchone()
    assert payout is not None
    assert payout[0]["collected_by"] == "platform"
    # the deposit collected (10.00) less the commission on the price (5.00)
    assert (payout[0]["commission_cents"], payout[0]["payout_owed_cents"]) == (500, 500)


def test_an_onboarded_providers_payment_is_a_destination_charge_with_the_commission(
    db: psycopg.Connection[Any], start: datetime
) -> None:
    shop = bk.open_shop(db, price_cents=20000, deposit_cents=1500)
    account_id = _onboarded(db, shop)
    booking = bk.book(db, shop, start)
    request = db.execute(
        "select internal.payment_intent_action(%s, 1)", (booking["payment"]["id"],)
    ).fetchone()
    assert request is not None
    # commission 20.00 on the price, but a fee is never more than the charge (the deposit)
    assert (request[0]["transfer_destination"], request[0]["application_fee_cents"]) == (
        account_id,
        1500,
    )
    assert request[0]["action"] == "create_intent"


def test_account_updated_is_applied_in_order_and_matched_by_metadata_when_early(
    db: psycopg.Connection[Any],
) -> None:
    shop = bk.open_shop(db)
    call_as(db, "provider", shop.owner_id, "select internal.start_payout_onboarding()")
    account_id = f"acct_{uuid.uuid4().hex[:16]}"
    # the webhook outruns the worker's record of the account: matched by its metadata
    assert _account_event(db, account_id, 2_000, provider_id=shop.provider_id) == "account updated"
    assert db.execute(
        "select internal.record_payout_account(%s, %s)", (shop.provider_id, account_id)
    ).fetchone() == ("already recorded",)
    # an older snapshot (inactive) changes nothing; a newer one does
    assert "ignored" in _account_event(db, account_id, 1_000, transfers="inactive")
    assert db.execute("select internal.payout_destination(%s)", (shop.provider_id,)).fetchone() == (
        account_id,
    )
    assert _account_event(db, account_id, 3_000, transfers="inactive") == "account updated"
    state = call_as(db, "provider", shop.owner_id, "select internal.my_payout_account()")
    assert (state["charges_enabled"], state["destination_charges"]) == (False, False)
    assert state["requirements_due"] == ["tos"]
    assert _account_event(db, "acct_unknown1", 4_000) == "unknown account"
    with pytest.raises(psycopg.Error, match="another Stripe account"):
        db.execute("select internal.record_payout_account(%s, 'acct_other1')", (shop.provider_id,))
    with pytest.raises(psycopg.Error, match="acct_"):
        db.execute("select internal.record_payout_account(%s, 'nope')", (shop.provider_id,))


def test_the_worker_makes_only_the_latest_link_and_one_account_per_provider(
    db: psycopg.Connection[Any],
) -> None:
    shop = bk.open_shop(db)
    first = call_as(db, "provider", shop.owner_id, "select internal.start_payout_onboarding()")
    assert first["onboarding_url"] is None
    old, new = [m["link_request_id"] for m in bk.payment_messages(db, "connect.onboard")] + [None]
    assert new is None
    call_as(db, "provider", shop.owner_id, "select internal.start_payout_onboarding()")
    old, new = [m["link_request_id"] for m in bk.payment_messages(db, "connect.onboard")]

    def action(link: str) -> dict[str, Any]:
        row = db.execute(
            "select internal.payout_onboarding_action(%s, %s)", (shop.provider_id, link)
        ).fetchone()
        assert row is not None
        return dict(row[0])

    assert action(old)["action"] == "skip"
    assert action(new)["action"] == "create_account"
    db.execute("select internal.record_payout_account(%s, 'acct_first1')", (shop.provider_id,))
    assert action(new)["action"] == "create_link"
    url = "https://connect.stripe.test/setup/x"
    assert db.execute(
        "select internal.record_payout_link(%s, %s, %s, now() + interval '5 minutes')",
        (shop.provider_id, old, url),
    ).fetchone() == ("superseded: a newer link was asked for",)
    db.execute(
        "select internal.record_payout_link(%s, %s, %s, now() + interval '5 minutes')",
        (shop.provider_id, new, url),
    )
    assert action(new)["action"] == "skip"
    state = call_as(db, "provider", shop.owner_id, "select internal.my_payout_account()")
    assert (state["stripe_account_id"], state["onboarding_url"]) == ("acct_first1", url)


@pytest.mark.parametrize(
    ("who", "late", "refund_fee"),
    [("customer", False, True), ("customer", True, False), ("provider", True, True)],
    ids=["customer in time", "customer late", "provider late"],
)
def test_a_cancellation_unwinds_the_destination_charge_by_the_policy(
    db: psycopg.Connection[Any], start: datetime, who: str, late: bool, refund_fee: bool
) -> None:
    shop = bk.open_shop(
        db, price_cents=10000, deposit_cents=0, cancel_notice_hours=24, cancel_fee_cents=2500
    )
    _onboarded(db, shop)
    booking = bk.book(db, shop, start)
    bk.pay(db, booking)
    if late:
        bk.starts_in(db, booking["id"], "3 hours")
    sub = booking["customer_id"] if who == "customer" else shop.owner_id
    done = call_as(
        db, who, sub, "select internal.cancel_booking(%s, 'change of plans')", booking["id"]
    )
    refund = 7500 if who == "customer" and late else 10000
    assert done["refund_cents"] == refund
    row = db.execute(
        "select reverse_transfer, refund_application_fee, transfer_reversal_cents,"
        " fee_refund_cents, reversal_apart from app.refunds where booking_id = %s",
        (booking["id"],),
    ).fetchone()
    # commission 10.00, transfer 90.00: a refund in full reverses the whole transfer and
    # refunds the fee; 75.00 refunded late keeps the whole fee and the provider bears it all:
    # 75.00 reversed from the transfer, apart from the refund (Stripe's is proportional)
    reversed_ = 9000 if refund_fee else 7500
    assert row == (True, refund_fee, reversed_, 1000 if refund_fee else 0, not refund_fee)
    step = db.execute(
        "select internal.refund_action(id) from app.refunds where booking_id = %s",
        (booking["id"],),
    ).fetchone()
    assert step is not None
    # the refund itself: Stripe's flags only when the unwinding is proportional
    assert (step[0]["reverse_transfer"], step[0]["refund_application_fee"]) == (
        refund_fee,
        refund_fee,
    )


def test_refunds_of_a_platform_charge_unwind_nothing(
    db: psycopg.Connection[Any], start: datetime
) -> None:
    shop = bk.open_shop(db)
    booking = bk.book(db, shop, start)
    bk.pay(db, booking)
    call_as(
        db,
        "customer",
        booking["customer_id"],
        "select internal.cancel_booking(%s, 'x')",
        booking["id"],
    )
    row = db.execute(
        "select reverse_transfer, refund_application_fee, transfer_reversal_cents,"
        " fee_refund_cents from app.refunds where booking_id = %s",
        (booking["id"],),
    ).fetchone()
    assert row == (False, False, 0, 0)


def test_a_late_cancellation_after_an_ops_refund_reverses_what_is_left_and_apart_once(
    db: psycopg.Connection[Any], start: datetime
) -> None:
    shop = bk.open_shop(
        db, price_cents=10000, deposit_cents=0, cancel_notice_hours=24, cancel_fee_cents=1000
    )
    _onboarded(db, shop)
    booking = bk.book(db, shop, start)
    bk.pay(db, booking)
    ops = create_user(db, "ops")
    # ops give back 20.00 (18.00 reversed, 2.00 of the fee refunded, in proportion); then the
    # customer cancels late: the 80.00 left is refunded, the transfer has 72.00 left: all of it
    call_as(db, "ops", ops, "select internal.ops_refund(%s, 2000, 'goodwill')", booking["id"])
    bk.starts_in(db, booking["id"], "3 hours")
    done = call_as(
        db,
        "customer",
        booking["customer_id"],
        "select internal.cancel_booking(%s, 'x')",
        booking["id"],
    )
    assert done["refund_cents"] == 8000
    rows = db.execute(
        "select id, amount_cents, transfer_reversal_cents, fee_refund_cents, reversal_apart"
        " from app.refunds where booking_id = %s order by created_at",
        (booking["id"],),
    ).fetchall()
    assert [r[1:] for r in rows] == [(2000, 1800, 200, False), (8000, 7200, 0, True)]
    late = rows[1][0]
    payout = call_as(db, "ops", ops, "select internal.booking_payout(%s)", booking["id"])
    # everything was given back; the provider had only 72.00 left to bear the 80.00, so
    # Bookiji's fee object keeps 8.00 but its balance paid the other 8.00 of the refund
    assert (payout["transfer_kept_cents"], payout["fee_kept_cents"]) == (0, 800)
    assert (payout["provider_net_cents"], payout["platform_net_cents"]) == (0, 0)

    def step() -> dict[str, Any]:
        row = db.execute("select internal.transfer_reversal_action(%s)", (late,)).fetchone()
        assert row is not None
        return dict(row[0])

    assert (step()["action"], step()["reason"]) == ("skip", "the refund has not succeeded")
    assert bk.payment_messages(db, "connect.reverse_transfer") == []
    for refund_id, stripe_id in ((rows[0][0], "re_ops1"), (late, "re_late1")):
        db.execute("select internal.record_refund(%s, %s, 'succeeded')", (refund_id, stripe_id))
    # only the late cancellation's refund asks for its reversal, once it succeeded
    assert [m["refund_id"] for m in bk.payment_messages(db, "connect.reverse_transfer")] == [
        str(late)
    ]
    assert (step()["action"], step()["amount_cents"]) == ("reverse", 7200)
    with pytest.raises(psycopg.Error, match="trr_"):
        db.execute("select internal.record_transfer_reversal(%s, 'tr_wrong')", (late,))
    assert db.execute(
        "select internal.record_transfer_reversal(%s, 'trr_late1')", (late,)
    ).fetchone() == ("recorded",)
    assert db.execute(
        "select internal.record_transfer_reversal(%s, 'trr_late1')", (late,)
    ).fetchone() == ("already recorded",)
    assert step()["action"] == "skip"
    with pytest.raises(psycopg.Error, match="another reversal"):
        db.execute("select internal.record_transfer_reversal(%s, 'trr_other')", (late,))


def test_a_late_cancellation_of_a_charge_the_platform_collected_takes_the_whole_refund_from_the_share(
    db: psycopg.Connection[Any], start: datetime
) -> None:
    shop = bk.open_shop(
        db, price_cents=10000, deposit_cents=0, cancel_notice_hours=24, cancel_fee_cents=2500
    )
    booking = bk.book(db, shop, start)
    bk.pay(db, booking)
    bk.starts_in(db, booking["id"], "3 hours")
    call_as(
        db,
        "customer",
        booking["customer_id"],
        "select internal.cancel_booking(%s, 'x')",
        booking["id"],
    )
    row = db.execute(
        "select amount_cents, payout_share_cents, reversal_apart from app.refunds"
        " where booking_id = %s",
        (booking["id"],),
    ).fetchone()
    # commission 10.00: the provider's share 90.00 bears the whole 75.00 refund
    assert row == (7500, 7500, False)
    ops = create_user(db, "ops")
    payout = call_as(db, "ops", ops, "select internal.booking_payout(%s)", booking["id"])
    assert (payout["payout_owed_cents"], payout["platform_net_cents"]) == (1500, 1000)
