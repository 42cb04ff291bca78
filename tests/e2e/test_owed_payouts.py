"""Paying what the platform owes, end to end through real processes (issue 22): a provider
whose account cannot take transfers is booked and paid for (the platform collects); a refund
then takes its share of what is owed; the provider finishes onboarding, and Stripe's
account.updated makes the worker transfer what is owed (one Transfer, source_transaction =
the charge); later refunds reverse their shares from that transfer, the last one what is
left. At each step api.booking_payout, the provider's statement and the fake's objects agree
to the cent."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import stripe

from tests.e2e.test_connect_flow import (  # the module's fixtures and helpers
    admin,
    book_and_pay,
    call,
    charge_of,
    localstripe,
    read,
    sc,
    set_rate,
    settled,
    worker,
)
from tests.helpers import booking as bk
from tests.helpers import stack
from tests.helpers.auth import bearer, session_token
from tests.helpers.factories import create_user
from tests.helpers.stripe_fake import LocalStripe
from tests.helpers.waiting import until
from tests.helpers.worker_proc import WorkerProcess

__all__ = ["admin", "localstripe", "sc", "worker"]  # fixtures, used by name


def statement_line(api: stack.PostgREST, provider: dict[str, str], booking_id: str) -> Any:
    today = datetime.now(UTC).date()
    statement = read(
        api,
        "provider_statement",
        provider,
        period_from=(today - timedelta(days=2)).isoformat(),
        period_to=(today + timedelta(days=60)).isoformat(),
    )
    lines = [line for line in statement["lines"] if line["booking_id"] == booking_id]
    assert len(lines) == 1 and statement["bookings"] == 1
    return statement, lines[0]


def test_what_the_platform_owes_is_transferred_once_the_account_is_ready_and_refunds_reverse_it(
    api: stack.PostgREST,
    admin: psycopg.Connection[Any],
    localstripe: LocalStripe,
    worker: WorkerProcess,
    sc: stripe.StripeClient,
) -> None:
    ops = bearer(session_token(admin, create_user(admin, "ops")))
    lat, lng = 41.0 + (uuid.uuid4().int % 500) / 1000, -69.0 + (uuid.uuid4().int % 500) / 1000
    shop = bk.open_shop(admin, lat=lat, lng=lng, price_cents=10000, deposit_cents=0)
    provider = bearer(session_token(admin, shop.owner_id))
    call(api, "start_payout_onboarding", provider)
    link = until(
        lambda: read(api, "my_payout_account", provider)["onboarding_url"],
        what="the onboarding link",
    )
    set_rate(api, admin, 1000, 100)
    customer, booking, intent_id = book_and_pay(api, admin, shop, sc)
    bid = booking["id"]
    payout = read(api, "booking_payout", provider, booking_id=bid)
    assert (payout["collected_by"], payout["payout_owed_cents"]) == ("platform", 9000)

    # a refund before the account is ready takes its share of what is owed (9000 x 20 %)
    call(api, "ops_refund", ops, booking_id=bid, amount_cents=2000, reason="goodwill")
    payout = read(api, "booking_payout", provider, booking_id=bid)
    assert (payout["owed_share_cents"], payout["payout_owed_cents"]) == (7200, 7200)
    assert payout["owed_transfer_status"] is None

    # the provider finishes onboarding: account.updated, then the transfer of what is owed
    assert httpx.get(link).status_code == 302
    payout = until(
        lambda: (
            (p := read(api, "booking_payout", provider, booking_id=bid))["owed_transfer_status"]
            == "succeeded"
            and p
        ),
        what="the worker to transfer what is owed",
    )
    account = read(api, "my_payout_account", provider)["stripe_account_id"]
    transfers = sc.v1.transfers.list(params={"destination": account}).data
    assert len(transfers) == 1
    transfer = transfers[0]
    assert transfer.id == payout["owed_transfer_id"]
    assert (transfer.amount, transfer.destination) == (7200, account)
    assert transfer.source_transaction == charge_of(sc, intent_id).id
    assert transfer.metadata.to_dict()["effect"] == f"owed:{bid}"
    assert (payout["payout_owed_cents"], payout["paid_out_cents"]) == (0, 7200)
    settled(api, customer.headers, bid, 2000)

    # a refund after the transfer reverses its share from it: 3333 x 9000 / 10000 = 3000
    call(api, "ops_refund", ops, booking_id=bid, amount_cents=3333, reason="late start")
    until(
        lambda: sc.v1.transfers.retrieve(transfer.id).amount_reversed == 3000,
        what="the worker to reverse the refund's share",
    )
    payout = read(api, "booking_payout", provider, booking_id=bid)
    assert (payout["owed_transfer_reversed_cents"], payout["paid_out_cents"]) == (3000, 4200)
    assert (payout["provider_net_cents"], payout["platform_net_cents"]) == (4200, 467)
    statement, line = statement_line(api, provider, bid)
    assert (line["charged_cents"], line["refunded_cents"]) == (10000, 5333)
    assert (line["commission_cents"], line["payout_cents"]) == (467, 4200)
    assert (line["paid_out_cents"], line["owed_cents"]) == (4200, 0)
    assert statement["collected_net_cents"] == 4667 == statement["commission_cents"] + 4200

    # the refund that completes the charge takes what is left of the transfer back
    call(api, "ops_refund", ops, booking_id=bid, amount_cents=4667, reason="cancelled")
    until(
        lambda: sc.v1.transfers.retrieve(transfer.id).reversed,
        what="the last reversal",
    )
    reversals = sc.v1.transfers.reversals.list(transfer.id).data
    assert sorted(r.amount for r in reversals) == [3000, 4200]
    assert len(sc.v1.transfers.list(params={"destination": account}).data) == 1
    payout = read(api, "booking_payout", provider, booking_id=bid)
    assert (
        payout["provider_net_cents"],
        payout["paid_out_cents"],
        payout["platform_net_cents"],
    ) == (
        0,
        0,
        0,
    )
    assert read(api, "booking_payout", ops, booking_id=bid) == payout
    rows = admin.execute(
        "select amount_cents, payout_share_cents, owed_reversal_cents,"
        " stripe_owed_reversal_id is not null from app.refunds where booking_id = %s"
        " order by created_at",
        (bid,),
    ).fetchall()
    assert rows == [(2000, 1800, 0, False), (3333, 3000, 3000, True), (4667, 4200, 4200, True)]


def test_a_charge_paid_after_the_account_is_ready_is_never_owed(
    api: stack.PostgREST,
    admin: psycopg.Connection[Any],
    localstripe: LocalStripe,
    worker: WorkerProcess,
    sc: stripe.StripeClient,
) -> None:
    """The sweep finds nothing to pay for a destination charge: no owed transfer at all."""
    lat, lng = 40.0 + (uuid.uuid4().int % 500) / 1000, -68.0 + (uuid.uuid4().int % 500) / 1000
    shop = bk.open_shop(admin, lat=lat, lng=lng, price_cents=3000, deposit_cents=0)
    provider = bearer(session_token(admin, shop.owner_id))
    call(api, "start_payout_onboarding", provider)
    link = until(
        lambda: read(api, "my_payout_account", provider)["onboarding_url"],
        what="the onboarding link",
    )
    assert httpx.get(link).status_code == 302
    until(
        lambda: read(api, "my_payout_account", provider)["destination_charges"],
        what="account.updated",
    )
    set_rate(api, admin, 1000, 100)
    _, booking, _ = book_and_pay(api, admin, shop, sc)
    row = admin.execute("select internal.sweep()").fetchone()
    assert row is not None and row[0]["owed_transfers"] == 0
    payout = read(api, "booking_payout", provider, booking_id=booking["id"])
    assert (payout["collected_by"], payout["transfer_cents"]) == ("provider_account", 2700)
    assert (payout["payout_owed_cents"], payout["owed_transfer_status"]) == (0, None)
    count = admin.execute(
        "select count(*) from app.owed_transfers where booking_id = %s", (booking["id"],)
    ).fetchone()
    assert count == (0,)
