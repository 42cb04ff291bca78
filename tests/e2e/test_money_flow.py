"""Marketplace money end to end through real processes (issue 22): PostgREST over HTTP with
real JWTs, the worker, the Stripe fake through the ``stripe`` SDK and its signed webhooks.

The whole flow: a provider onboards its Express account (account.updated lets it take
transfers) and registers for GST and QST; a customer books a service with a deposit and
consents to save the card, pays the deposit, the provider marks the booking completed and the
worker charges the balance off-session; ops refund part of it, across both charges; a second
booking is cancelled late by its customer: the platform keeps its whole fee and the provider
bears the refund (reversed from its transfer apart from the refund). At every step the
ledger (``booking_balance``, ``booking_payout``, ``app.refunds``), the fake's PaymentIntents,
transfers and their reversals, application fees and their refunds, and
``api.provider_statement`` agree to the cent, and the receipt shows the taxes.

Also: a taxed deposit paid with Stripe's dispute test card, the dispute flagged, refunds
refused, and the lost dispute in the ledger."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
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
    onboard,
    read,
    sc,
    set_rate,
    settled,
    worker,
)
from tests.helpers import booking as bk
from tests.helpers import catalog, stack
from tests.helpers.api import signup
from tests.helpers.auth import bearer, mint, session_token
from tests.helpers.factories import create_user
from tests.helpers.stripe_fake import LocalStripe
from tests.helpers.waiting import until
from tests.helpers.worker_proc import WorkerProcess

__all__ = ["admin", "localstripe", "sc", "worker"]  # fixtures, used by name

GST, QST = "123456782RT0001", "1234567890TQ0001"


def statement(api: stack.PostgREST, provider: dict[str, str]) -> Any:
    today = datetime.now(UTC).date()
    return read(
        api,
        "provider_statement",
        provider,
        period_from=(today - timedelta(days=2)).isoformat(),
        period_to=(today + timedelta(days=60)).isoformat(),
    )


def line_of(report: Any, booking_id: str) -> Any:
    [line] = [line for line in report["lines"] if line["booking_id"] == booking_id]
    return line


def _listed_total(listed: Callable[[], int], total: Callable[[], int]) -> int:
    """The sum of a list of reversals or refunds, once it agrees with the object's own total
    read before and after it: polled while the worker acts, a reversal made between two reads
    is not a disagreement (the fresh-clone run once read the list after it and the transfer
    before). Disagreeing for 5 s is one."""
    deadline = time.monotonic() + 5
    while True:
        before, summed, after = total(), listed(), total()
        if before == summed == after or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert summed == after, (summed, before, after)
    return summed


def fake_money(sc: stripe.StripeClient, intent_id: str) -> tuple[int, int, int, int, int]:
    """One charge in the fake: amount, refunded, transfer, reversed (listed), fee refunded."""
    charge = charge_of(sc, intent_id)
    refunded = sum(r.amount for r in sc.v1.refunds.list(params={"payment_intent": intent_id}).data)
    transfer = sc.v1.transfers.retrieve(charge.transfer)
    reversed_ = _listed_total(
        lambda: sum(r.amount for r in sc.v1.transfers.reversals.list(transfer.id).data),
        lambda: int(sc.v1.transfers.retrieve(transfer.id).amount_reversed),
    )
    fee_refunded = 0
    if charge.application_fee:
        fee_id = charge.application_fee
        fee_refunded = _listed_total(
            lambda: sum(r.amount for r in sc.v1.application_fees.refunds.list(fee_id).data),
            lambda: int(sc.v1.application_fees.retrieve(fee_id).amount_refunded),
        )
    return charge.amount, refunded, transfer.amount, reversed_, fee_refunded


def test_a_taxed_deposit_is_charged_and_a_lost_dispute_lands_in_the_ledger(
    api: stack.PostgREST,
    admin: psycopg.Connection[Any],
    localstripe: LocalStripe,
    worker: WorkerProcess,
) -> None:
    lat, lng = 46.5 + (uuid.uuid4().int % 500) / 1000, -75.5 + (uuid.uuid4().int % 500) / 1000
    shop = bk.open_shop(admin, lat=lat, lng=lng, price_cents=5000, deposit_cents=1000)
    registered = httpx.post(
        f"{api.url}/rpc/set_tax_registration",
        json={"gst_number": "123456782RT0001", "qst_number": "1234567890TQ0001"},
        headers=bearer(mint("provider", shop.owner_id)),
    )
    assert registered.status_code == 200, registered.text
    customer = signup(api.url, "customer")
    offers = httpx.post(
        f"{api.url}/rpc/quote",
        json={
            "category": "haircut",
            "lat": lat,
            "lng": lng,
            "starts_at": catalog.next_weekday(4, at="13:00").isoformat(),
            "radius_km": 1,
        },
        headers=customer.headers,
    ).json()
    offer = next(o for o in offers if o["provider_id"] == str(shop.provider_id))
    assert (offer["gst_cents"], offer["qst_cents"], offer["total_cents"]) == (250, 499, 5749)
    booking = httpx.post(
        f"{api.url}/rpc/confirm_booking",
        json={"quote_id": offer["quote_id"], "provider_id": offer["provider_id"]},
        headers={**customer.headers, "Idempotency-Key": str(uuid.uuid4())},
    ).json()

    def payment() -> dict[str, Any]:
        return dict(
            httpx.get(
                f"{api.url}/rpc/booking_payment",
                params={"booking_id": booking["id"]},
                headers=customer.headers,
            ).json()["payment"]
        )

    secret = until(lambda: payment()["client_secret"], what="the PaymentIntent")
    intent_id = str(secret).split("_secret_")[0]
    sc = stripe.StripeClient(
        "sk_test_e2e", base_addresses={"api": localstripe.url}, max_network_retries=0
    )
    # the deposit, 1000, with its own GST (50) and QST (99.75 -> 100)
    assert sc.v1.payment_intents.retrieve(intent_id).amount == 1150
    sc.v1.payment_intents.update(intent_id, params={"payment_method": "pm_card_createDispute"})
    assert sc.v1.payment_intents.confirm(intent_id).status == "succeeded"

    def flag() -> Any:
        row = admin.execute(
            "select status, dispute_status from app.bookings where id = %s", (booking["id"],)
        ).fetchone()
        return row if row == ("confirmed", "open") else None

    until(flag, what="the payment and the dispute webhooks")
    refund = httpx.post(
        f"{api.url}/rpc/ops_refund",
        json={"booking_id": booking["id"], "amount_cents": 100, "reason": "goodwill"},
        headers=bearer(mint("ops", uuid.uuid4())),
    )
    assert refund.status_code == 409, refund.text
    [dispute] = sc.v1.disputes.list(params={"payment_intent": intent_id}).data
    sc.v1.disputes.update(
        dispute.id, params={"evidence": {"uncategorized_text": "losing_evidence"}}
    )
    until(
        lambda: (
            admin.execute(
                "select outcome from app.disputes where id = %s", (dispute.id,)
            ).fetchone()
            == ("lost",)
        ),
        what="the dispute to close as lost",
    )
    receipt = httpx.get(
        f"{api.url}/rpc/booking_receipt",
        params={"booking_id": booking["id"]},
        headers=customer.headers,
    ).json()
    assert (receipt["paid_cents"], receipt["disputed_lost_cents"], receipt["dispute_status"]) == (
        1150,
        1150,
        "lost",
    )


def test_onboard_book_pay_complete_charge_the_balance_refund_and_cancel_late_agree_to_the_cent(
    api: stack.PostgREST,
    admin: psycopg.Connection[Any],
    localstripe: LocalStripe,
    worker: WorkerProcess,
    sc: stripe.StripeClient,
) -> None:
    ops = bearer(session_token(admin, create_user(admin, "ops")))
    lat, lng = 45.0 + (uuid.uuid4().int % 500) / 1000, -73.0 + (uuid.uuid4().int % 500) / 1000
    shop = bk.open_shop(
        admin,
        lat=lat,
        lng=lng,
        price_cents=10000,
        deposit_cents=2000,
        cancel_notice_hours=24,
        cancel_fee_cents=1500,
    )
    provider = bearer(session_token(admin, shop.owner_id))
    account_id = onboard(api, provider)
    call(api, "set_tax_registration", provider, gst_number=GST, qst_number=QST)
    set_rate(api, admin, 1000, 100)  # 10 % of the price: 1000

    # 1. the quote: 10000 + GST 500 + QST 997.5 -> 998
    customer = signup(api.url, "customer")
    offers = call(
        api,
        "quote",
        customer.headers,
        category="haircut",
        lat=lat,
        lng=lng,
        starts_at=catalog.next_weekday(3, at="11:00").isoformat(),
        radius_km=1,
    )
    offer = next(o for o in offers if o["provider_id"] == str(shop.provider_id))
    assert (offer["gst_cents"], offer["qst_cents"], offer["total_cents"]) == (500, 998, 11498)

    # 2. book with consent to save the card, pay the deposit: 2000 + 100 + 199.5 -> 200
    booking = _book(api, shop, customer, save_card=True)
    bid = booking["id"]
    deposit_id = _intent_of(api, customer, bid)
    deposit = sc.v1.payment_intents.retrieve(deposit_id)
    assert (deposit.amount, deposit.setup_future_usage) == (2300, "off_session")
    assert deposit.transfer_data.destination == account_id
    assert deposit.application_fee_amount == 1000  # the whole commission, within the deposit
    assert _pay_on_session(sc, localstripe, deposit_id, "pm_card_visa") == "succeeded"
    until(lambda: bk.status(admin, bid) == "confirmed", what="the payment webhook")
    assert fake_money(sc, deposit_id) == (2300, 0, 1300, 0, 0)
    payout = read(api, "booking_payout", provider, booking_id=bid)
    assert (payout["collected_by"], payout["transfer_destination"]) == (
        "provider_account",
        account_id,
    )
    assert (payout["charged_cents"], payout["application_fee_cents"], payout["transfer_cents"]) == (
        2300,
        1000,
        1300,
    )
    money = _balance(api, customer, bid)
    assert (money["balance_status"], money["balance_cents"]) == ("open", 9198)
    assert (money["balance_gst_cents"], money["balance_qst_cents"]) == (400, 798)

    # 3. completed after its start: the worker charges the balance, 8000 + 400 + 798
    _complete(api, admin, provider, bid)
    until(lambda: _balance(api, customer, bid)["balance_status"] == "paid", what="the balance")
    [balance] = _balance_intents(sc, bid)
    assert (balance.status, balance.amount, balance.customer) == (
        "succeeded",
        9198,
        deposit.customer,
    )
    assert balance.transfer_data.destination == account_id
    assert balance.application_fee_amount is None  # the deposit's fee was the whole commission
    assert fake_money(sc, balance.id) == (9198, 0, 9198, 0, 0)
    money = _balance(api, customer, bid)
    assert (money["balance_method"], money["balance_paid_cents"], money["settled_cents"]) == (
        "card",
        9198,
        11498,
    )
    payout = read(api, "booking_payout", provider, booking_id=bid)
    assert (payout["charged_cents"], payout["balance_charged_cents"]) == (11498, 9198)
    assert (payout["application_fee_cents"], payout["transfer_cents"]) == (1000, 10498)
    assert (payout["provider_net_cents"], payout["platform_net_cents"]) == (10498, 1000)
    line = line_of(statement(api, provider), bid)
    assert (line["charged_cents"], line["gst_cents"], line["qst_cents"]) == (11498, 500, 998)
    assert (line["commission_cents"], line["payout_cents"], line["paid_out_cents"]) == (
        1000,
        10498,
        10498,
    )
    assert (line["owed_cents"], line["balance_method"]) == (0, "card")

    # 4. ops refund 9698: the balance's 9198 (its transfer reversed) + 500 of the deposit
    call(api, "ops_refund", ops, booking_id=bid, amount_cents=9698, reason="goodwill")
    settled(api, customer.headers, bid, 9698)
    assert fake_money(sc, balance.id) == (9198, 9198, 9198, 9198, 0)
    # 500 of 2300: 1300 x 500 / 2300 = 282.6 -> 283 reversed, 217 of the fee refunded
    assert fake_money(sc, deposit_id) == (2300, 500, 1300, 283, 217)
    ledger = admin.execute(
        "select balance_charge, amount_cents, transfer_reversal_cents, fee_refund_cents, status"
        " from app.refunds where booking_id = %s order by balance_charge desc",
        (bid,),
    ).fetchall()
    assert ledger == [(True, 9198, 9198, 0, "succeeded"), (False, 500, 283, 217, "succeeded")]
    money = _balance(api, customer, bid)
    assert (money["charged_cents"], money["refunded_cents"], money["net_cents"]) == (
        11498,
        9698,
        1800,
    )
    payout = read(api, "booking_payout", provider, booking_id=bid)
    assert (payout["refunded_cents"], payout["balance_refunded_cents"]) == (9698, 9198)
    assert (payout["transfer_reversed_cents"], payout["fee_refunded_cents"]) == (9481, 217)
    assert (payout["transfer_kept_cents"], payout["fee_kept_cents"]) == (1017, 783)
    assert read(api, "booking_payout", ops, booking_id=bid) == payout
    line = line_of(statement(api, provider), bid)
    assert (line["refunded_cents"], line["commission_cents"], line["payout_cents"]) == (
        9698,
        783,
        1017,
    )
    assert line["commission_cents"] + line["payout_cents"] + line["refunded_cents"] == 11498
    # the balance's taxes all back (400, 798) + the deposit's share: 100 x 500 / 2300 = 21.7
    # -> 22, 200 x 500 / 2300 = 43.5 -> 43 (each charge's, half up)
    assert (line["refunded_gst_cents"], line["refunded_qst_cents"]) == (422, 841)
    assert (payout["provider_net_cents"], payout["platform_net_cents"]) == (1017, 783)
    receipt = read(api, "booking_receipt", customer.headers, booking_id=bid)
    assert (receipt["gst_cents"], receipt["qst_cents"], receipt["total_cents"]) == (
        500,
        998,
        11498,
    )
    assert (receipt["gst_number"], receipt["qst_number"]) == (GST, QST)
    assert receipt["charge"] == {
        "base_cents": 2000,
        "gst_cents": 100,
        "qst_cents": 200,
        "total_cents": 2300,
    }
    assert (receipt["balance_gst_cents"], receipt["balance_qst_cents"]) == (400, 798)
    assert (receipt["balance_method"], receipt["balance_paid_cents"]) == ("card", 9198)
    assert (receipt["paid_cents"], receipt["refunded_cents"]) == (2300, 9698)

    # 5. a second booking (no consent), cancelled late by its customer: 1500 kept
    other, second, second_id = book_and_pay(api, admin, shop, sc)
    assert sc.v1.payment_intents.retrieve(second_id).amount == 2300
    bk.starts_in(admin, second["id"], "2 hours")
    cancelled = call(
        api, "cancel_booking", other.headers, booking_id=second["id"], reason="too late"
    )
    assert (cancelled["refund_cents"], cancelled["fee_cents"]) == (800, 1500)
    settled(api, other.headers, second["id"], 800)
    until(
        lambda: fake_money(sc, second_id)[3] == 800,
        what="the worker to reverse the late cancellation's refund from the transfer",
    )
    # the platform keeps its whole fee and the provider bears the refund: 800 reversed from
    # its 1300 transfer apart from the refund (Stripe's reverse_transfer is proportional)
    assert fake_money(sc, second_id) == (2300, 800, 1300, 800, 0)
    payout = read(api, "booking_payout", provider, booking_id=second["id"])
    assert (payout["transfer_reversed_cents"], payout["fee_refunded_cents"]) == (800, 0)
    assert (payout["transfer_kept_cents"], payout["fee_kept_cents"]) == (500, 1000)
    # 2300 - 800 refunded - 500 left with the provider: Bookiji keeps its 1000 fee exactly
    assert (payout["provider_net_cents"], payout["platform_net_cents"]) == (500, 1000)
    report = statement(api, provider)
    line = line_of(report, second["id"])
    assert (line["charged_cents"], line["refunded_cents"]) == (2300, 800)
    assert (line["commission_cents"], line["payout_cents"], line["paid_out_cents"]) == (
        1000,
        500,
        500,
    )
    assert (line["gst_cents"], line["qst_cents"]) == (100, 200)
    # each refund's tax share: 100 x 800 / 2300 = 34.8 -> 35, 200 x 800 / 2300 = 69.6 -> 70
    assert (line["refunded_gst_cents"], line["refunded_qst_cents"]) == (35, 70)
    for each in report["lines"]:
        assert (
            each["commission_cents"] + each["payout_cents"] + each["refunded_cents"]
            == (each["charged_cents"])
        )
    assert (report["bookings"], report["gross_cents"], report["refunded_cents"]) == (
        2,
        11498 + 2300,
        9698 + 800,
    )
    assert (report["gst_collected_cents"], report["qst_collected_cents"]) == (600, 1198)
    assert (report["gst_refunded_cents"], report["qst_refunded_cents"]) == (422 + 35, 841 + 70)
    assert (report["commission_cents"], report["payout_cents"], report["paid_out_cents"]) == (
        783 + 1000,
        1017 + 500,
        1017 + 500,
    )
    assert report["commission_cents"] + report["payout_cents"] == report["collected_net_cents"]
    assert (report["collected_net_cents"], report["owed_cents"]) == (3300, 0)
