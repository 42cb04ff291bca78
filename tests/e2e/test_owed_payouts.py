"""Paying what the platform owes, end to end through real processes (issue 22): a provider
whose account cannot take transfers is booked and paid for (the platform collects); a refund
then takes its share of what is owed; the provider finishes onboarding, and Stripe's
account.updated makes the worker transfer what is owed (one Transfer, source_transaction =
the charge); later refunds reverse their shares from that transfer, the last one what is
left. A balance the platform charged to the saved card is paid by an owed transfer of its own,
sourced from the balance's charge, and its refunds reverse from that one. At each step
api.booking_payout, the provider's statement and the fake's objects agree to the cent."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import stripe

from tests.e2e.test_balance_card_flow import (
    _balance,
    _balance_intents,
    _book,
    _complete,
    _intent_of,
    _pay_on_session,
)
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
from tests.helpers.api import signup
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


def reversals_recorded(admin: psycopg.Connection[Any], booking_id: str) -> int:
    """The owed reversals the worker recorded (it makes them in Stripe first: waiting for
    Stripe's alone races the record, which paid_out_cents counts)."""
    row = admin.execute(
        "select count(*) from app.refunds where booking_id = %s"
        " and stripe_owed_reversal_id is not null",
        (booking_id,),
    ).fetchone()
    assert row is not None
    return int(row[0])


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
        lambda: (
            sc.v1.transfers.retrieve(transfer.id).amount_reversed == 3000
            and reversals_recorded(admin, bid) == 1
        ),
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
        lambda: (
            sc.v1.transfers.retrieve(transfer.id).reversed and reversals_recorded(admin, bid) == 2
        ),
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


def test_a_balance_the_platform_charged_to_the_card_is_paid_by_its_own_owed_transfer(
    api: stack.PostgREST,
    admin: psycopg.Connection[Any],
    localstripe: LocalStripe,
    worker: WorkerProcess,
    sc: stripe.StripeClient,
) -> None:
    ops = bearer(session_token(admin, create_user(admin, "ops")))
    lat, lng = 40.0 + (uuid.uuid4().int % 500) / 1000, -68.0 + (uuid.uuid4().int % 500) / 1000
    shop = bk.open_shop(admin, lat=lat, lng=lng, price_cents=10000, deposit_cents=2000)
    provider = bearer(session_token(admin, shop.owner_id))
    call(api, "start_payout_onboarding", provider)
    link = until(
        lambda: read(api, "my_payout_account", provider)["onboarding_url"],
        what="the onboarding link",
    )
    set_rate(api, admin, 1000, 100)  # 10 %: 1000, all of it within the 2000 deposit

    # the deposit (card saved) and, after completion, the balance: both collected by Bookiji
    customer = signup(api.url, "customer")
    bid = _book(api, shop, customer, save_card=True)["id"]
    deposit_id = _intent_of(api, customer, bid)
    assert _pay_on_session(sc, localstripe, deposit_id, "pm_card_visa") == "succeeded"
    until(lambda: bk.status(admin, bid) == "confirmed", what="the payment webhook")
    _complete(api, admin, provider, bid)
    until(lambda: _balance(api, customer, bid)["balance_status"] == "paid", what="the balance")
    [balance] = _balance_intents(sc, bid)
    assert (balance.amount, balance.transfer_data) == (8000, None)
    payout = read(api, "booking_payout", provider, booking_id=bid)
    assert payout["collected_by"] == "platform"
    # owed: the deposit's 2000 less the commission, and the whole balance
    assert (payout["owed_share_cents"], payout["balance_owed_cents"]) == (1000, 8000)
    assert (payout["payout_owed_cents"], payout["balance_payout_owed_cents"]) == (9000, 8000)

    # the account becomes ready: one owed transfer per charge, each from its own charge
    assert httpx.get(link).status_code == 302
    payout = until(
        lambda: (
            (p := read(api, "booking_payout", provider, booking_id=bid))["owed_transfer_status"]
            == p["balance_owed_transfer_status"]
            == "succeeded"
            and p
        ),
        what="the worker to transfer both shares",
    )
    account = read(api, "my_payout_account", provider)["stripe_account_id"]
    transfers = {t.id: t for t in sc.v1.transfers.list(params={"destination": account}).data}
    assert len(transfers) == 2
    deposit_transfer = transfers[payout["owed_transfer_id"]]
    balance_transfer = transfers[payout["balance_owed_transfer_id"]]
    assert (deposit_transfer.amount, balance_transfer.amount) == (1000, 8000)
    assert deposit_transfer.source_transaction == charge_of(sc, deposit_id).id
    assert balance_transfer.source_transaction == charge_of(sc, balance.id).id
    assert balance_transfer.metadata.to_dict()["effect"] == f"owed_balance:{bid}"
    assert (payout["payout_owed_cents"], payout["paid_out_cents"]) == (0, 9000)

    # ops refund 3000: the balance's charge first, its share reversed from its own transfer
    call(api, "ops_refund", ops, booking_id=bid, amount_cents=3000, reason="goodwill")
    until(
        lambda: (
            sc.v1.transfers.retrieve(balance_transfer.id).amount_reversed == 3000
            and reversals_recorded(admin, bid) == 1
        ),
        what="the worker to reverse the balance refund's share",
    )
    assert sc.v1.transfers.retrieve(deposit_transfer.id).amount_reversed == 0
    refunds = sc.v1.refunds.list(params={"payment_intent": balance.id}).data
    assert [r.amount for r in refunds] == [3000]
    payout = read(api, "booking_payout", provider, booking_id=bid)
    assert (payout["balance_owed_transfer_reversed_cents"], payout["paid_out_cents"]) == (
        3000,
        6000,
    )
    assert (payout["provider_net_cents"], payout["platform_net_cents"]) == (6000, 1000)
    statement, line = statement_line(api, provider, bid)
    assert (line["charged_cents"], line["refunded_cents"]) == (10000, 3000)
    assert (line["commission_cents"], line["payout_cents"]) == (1000, 6000)
    assert (line["paid_out_cents"], line["owed_cents"]) == (6000, 0)
    assert statement["collected_net_cents"] == 7000 == statement["commission_cents"] + 6000
