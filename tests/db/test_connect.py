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
        " fee_refund_cents from app.refunds where booking_id = %s",
        (booking["id"],),
    ).fetchone()
    # commission 10.00, transfer 90.00: 75.00 refunded late reverses 67.50 and keeps the fee
    assert row == (True, refund_fee, refund * 9000 // 10000, 1000 if refund_fee else 0)
    step = db.execute(
        "select internal.refund_action(id) from app.refunds where booking_id = %s",
        (booking["id"],),
    ).fetchone()
    assert step is not None
    assert (step[0]["reverse_transfer"], step[0]["refund_application_fee"]) == (True, refund_fee)


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
