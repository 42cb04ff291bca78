"""Stripe Connect end to end through real processes (issue 22): a provider onboards its
Express account over HTTP (the worker creates the account and its link in the Stripe fake,
the provider's browser opens the link, the signed account.updated webhook records it), a
customer books and pays a destination charge carrying the commission, ops refund part of
it and the customer cancels late; at each step the ledger (api.booking_payout,
api.booking_balance) and the fake's objects (transfer, application fee, reversals, fee
refunds) agree to the cent. A provider without an account is still paid for, by the
platform, which owes it its share."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
import stripe

from bookiji import config
from tests.helpers import booking as bk
from tests.helpers import catalog, stack
from tests.helpers.api import signup
from tests.helpers.auth import bearer, session_token
from tests.helpers.factories import create_user
from tests.helpers.stripe_fake import LocalStripe, run_localstripe
from tests.helpers.waiting import until
from tests.helpers.worker_proc import WorkerProcess

APP_URL = "http://127.0.0.1:9/app"


@pytest.fixture(scope="module")
def localstripe(api: stack.PostgREST) -> Iterator[LocalStripe]:
    with run_localstripe() as fake:
        fake.register_webhook(f"{api.url}/rpc/stripe_webhook", config.load().stripe_webhook_secret)
        yield fake


@pytest.fixture
def worker(
    api: stack.PostgREST, localstripe: LocalStripe, monkeypatch: pytest.MonkeyPatch
) -> Iterator[WorkerProcess]:
    monkeypatch.setenv("STRIPE_API_BASE", localstripe.url)
    monkeypatch.setenv("APP_URL", APP_URL)
    dbname = psycopg.conninfo.conninfo_to_dict(api.db_url)["dbname"]
    url = stack.worker_url(str(dbname))
    with WorkerProcess(
        url, "--import", "worker.tasks", "--sweep-interval", "0.5", "--poll", "1"
    ) as proc:
        proc.wait_for("worker ready|idle")
        yield proc
        print(proc.output())  # shown when the test fails


@pytest.fixture
def admin(api: stack.PostgREST) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(api.db_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def sc(localstripe: LocalStripe) -> stripe.StripeClient:
    return stripe.StripeClient(
        "sk_test_e2e", base_addresses={"api": localstripe.url}, max_network_retries=0
    )


def call(api: stack.PostgREST, fn: str, headers: dict[str, str], **args: Any) -> Any:
    resp = httpx.post(f"{api.url}/rpc/{fn}", json=args, headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


def read(api: stack.PostgREST, fn: str, headers: dict[str, str], **args: Any) -> Any:
    resp = httpx.get(f"{api.url}/rpc/{fn}", params=args, headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


def onboard(api: stack.PostgREST, provider: dict[str, str]) -> str:
    """The provider's side: ask for a link, open it in a browser, wait for Stripe's word."""
    started = call(api, "start_payout_onboarding", provider)
    assert started["stripe_account_id"] is None and started["onboarding_url"] is None
    account = until(
        lambda: (a := read(api, "my_payout_account", provider))["onboarding_url"] and a,
        what="the worker to make the onboarding link",
    )
    assert account["stripe_account_id"].startswith("acct_")
    assert account["charges_enabled"] is False and account["destination_charges"] is False
    opened = httpx.get(account["onboarding_url"])  # the provider's browser, at Stripe
    assert opened.status_code == 302
    assert opened.headers["location"] == APP_URL + "/provider/payouts?onboarding=return"
    done = until(
        lambda: (a := read(api, "my_payout_account", provider))["destination_charges"] and a,
        what="account.updated to record the onboarding",
    )
    assert (done["charges_enabled"], done["payouts_enabled"], done["details_submitted"]) == (
        True,
        True,
        True,
    )
    assert done["capabilities"] == {"card_payments": "active", "transfers": "active"}
    assert done["onboarding_url"] is None, "a completed onboarding uses up the link"
    return str(done["stripe_account_id"])


def book_and_pay(
    api: stack.PostgREST, admin: psycopg.Connection[Any], shop: bk.Shop, sc: stripe.StripeClient
) -> tuple[Any, dict[str, Any], str]:
    customer = signup(api.url, "customer")
    start = catalog.next_weekday(4, at="13:00")
    offers = call(
        api,
        "quote",
        customer.headers,
        category="haircut",
        lat=shop.lat,
        lng=shop.lng,
        starts_at=start.isoformat(),
        radius_km=1,
    )
    offer = next(o for o in offers if o["provider_id"] == str(shop.provider_id))
    booking = call(
        api,
        "confirm_booking",
        {**customer.headers, "Idempotency-Key": str(uuid.uuid4())},
        quote_id=offer["quote_id"],
        provider_id=offer["provider_id"],
    )
    secret = until(
        lambda: read(api, "booking_payment", customer.headers, booking_id=booking["id"])["payment"][
            "client_secret"
        ],
        what="the PaymentIntent",
    )
    intent_id = secret.split("_secret_")[0]
    sc.v1.payment_intents.update(intent_id, params={"payment_method": "pm_card_visa"})
    assert sc.v1.payment_intents.confirm(intent_id).status == "succeeded"
    until(
        lambda: (
            read(api, "booking_payment", customer.headers, booking_id=booking["id"])["status"]
            == "confirmed"
        ),
        what="the webhook to confirm the booking",
    )
    return customer, booking, intent_id


def charge_of(sc: stripe.StripeClient, intent_id: str) -> stripe.Charge:
    latest: Any = sc.v1.payment_intents.retrieve(intent_id).latest_charge
    return sc.v1.charges.retrieve(latest if isinstance(latest, str) else latest.id)


def set_rate(api: stack.PostgREST, admin: psycopg.Connection[Any], bp: int, minimum: int) -> None:
    ops = bearer(session_token(admin, create_user(admin, "ops")))
    args = {"category": "haircut", "rate_bp": bp, "minimum_cents": minimum}
    call(api, "ops_set_commission_rate", ops, **args, reason="the test's rate")


def settled(api: stack.PostgREST, headers: dict[str, str], booking_id: str, cents: int) -> None:
    until(
        lambda: (
            read(api, "booking_balance", headers, booking_id=booking_id)["refund_succeeded_cents"]
            == cents
        ),
        what=f"the worker to perform the refunds ({cents} cents)",
    )


def test_onboard_book_pay_refund_partly_and_cancel_late_agree_to_the_cent(
    api: stack.PostgREST,
    admin: psycopg.Connection[Any],
    localstripe: LocalStripe,
    worker: WorkerProcess,
    sc: stripe.StripeClient,
) -> None:
    ops = bearer(session_token(admin, create_user(admin, "ops")))
    lat, lng = 44.0 + (uuid.uuid4().int % 500) / 1000, -72.0 + (uuid.uuid4().int % 500) / 1000
    shop = bk.open_shop(
        admin,
        lat=lat,
        lng=lng,
        price_cents=10000,
        deposit_cents=0,
        cancel_notice_hours=24,
        cancel_fee_cents=4000,
    )
    provider = bearer(session_token(admin, shop.owner_id))
    account_id = onboard(api, provider)

    # ops set the category's commission; the booking keeps the one of its confirmation
    call(
        api,
        "ops_set_commission_rate",
        ops,
        category="haircut",
        rate_bp=1250,
        minimum_cents=300,
        reason="launch pricing",
    )
    customer, booking, intent_id = book_and_pay(api, admin, shop, sc)
    call(
        api,
        "ops_set_commission_rate",
        ops,
        category="haircut",
        rate_bp=1000,
        minimum_cents=100,
        reason="back to the default",
    )

    intent = sc.v1.payment_intents.retrieve(intent_id)
    assert intent.transfer_data.destination == account_id
    assert intent.application_fee_amount == 1250  # 12.5 % of 100.00
    charge = charge_of(sc, intent_id)
    transfer = sc.v1.transfers.retrieve(charge.transfer)
    fee = sc.v1.application_fees.retrieve(charge.application_fee)
    assert (transfer.amount, transfer.destination, fee.amount) == (8750, account_id, 1250)
    payout = read(api, "booking_payout", provider, booking_id=booking["id"])
    assert payout["commission_cents"] == 1250
    assert (payout["commission_rate_bp"], payout["commission_minimum_cents"]) == (1250, 300)
    assert payout["collected_by"] == "provider_account"
    assert payout["transfer_destination"] == account_id
    assert (payout["charged_cents"], payout["application_fee_cents"], payout["transfer_cents"]) == (
        10000,
        1250,
        8750,
    )

    # ops refund a third: the transfer is reversed and the fee refunded, proportionally
    call(api, "ops_refund", ops, booking_id=booking["id"], amount_cents=3333, reason="goodwill")
    settled(api, customer.headers, booking["id"], 3333)
    transfer = sc.v1.transfers.retrieve(charge.transfer)
    fee = sc.v1.application_fees.retrieve(charge.application_fee)
    assert (transfer.amount_reversed, fee.amount_refunded) == (2916, 417)
    payout = read(api, "booking_payout", provider, booking_id=booking["id"])
    assert (payout["transfer_reversed_cents"], payout["fee_refunded_cents"]) == (2916, 417)

    # the customer cancels late: 40.00 is kept, and the provider bears the 60.00 refunded:
    # the refund is made without reverse_transfer (Stripe's is proportional) and the worker
    # reverses what is left of the transfer (58.34) apart; the fee is kept (8.33 remain)
    bk.starts_in(admin, booking["id"], "2 hours")
    cancelled = call(
        api, "cancel_booking", customer.headers, booking_id=booking["id"], reason="too late"
    )
    assert (cancelled["refund_cents"], cancelled["fee_cents"]) == (6000, 667)
    settled(api, customer.headers, booking["id"], 9333)
    until(
        lambda: (
            admin.execute(
                "select count(*) from app.refunds where booking_id = %s"
                " and reversal_apart and stripe_transfer_reversal_id is not null",
                (booking["id"],),
            ).fetchone()
            == (1,)
        ),
        what="the worker to reverse the late cancellation's refund from the transfer",
    )
    transfer = sc.v1.transfers.retrieve(charge.transfer)
    fee = sc.v1.application_fees.retrieve(charge.application_fee)
    assert (transfer.amount_reversed, fee.amount_refunded) == (2916 + 5834, 417)
    refunds = sc.v1.refunds.list(params={"payment_intent": intent_id}).data
    assert sorted(r.amount for r in refunds) == [3333, 6000]
    reversals = sc.v1.transfers.reversals.list(transfer.id).data
    assert sorted(r.amount for r in reversals) == [2916, 5834]
    assert [r.amount for r in sc.v1.application_fees.refunds.list(fee.id).data] == [417]

    payout = read(api, "booking_payout", provider, booking_id=booking["id"])
    assert payout["refunded_cents"] == 9333
    assert (payout["transfer_reversed_cents"], payout["fee_refunded_cents"]) == (8750, 417)
    assert payout["transfer_kept_cents"] == transfer.amount - transfer.amount_reversed == 0
    assert payout["fee_kept_cents"] == fee.amount - fee.amount_refunded == 833
    # the provider had less left than the refund: Bookiji's balance paid the other 1.66
    assert (payout["provider_net_cents"], payout["platform_net_cents"]) == (0, 667)
    assert read(api, "booking_payout", ops, booking_id=booking["id"]) == payout
    balance = read(api, "booking_balance", customer.headers, booking_id=booking["id"])
    assert (balance["charged_cents"], balance["refunded_cents"], balance["net_cents"]) == (
        10000,
        9333,
        667,
    )
    ledger = admin.execute(
        "select amount_cents, reverse_transfer, refund_application_fee, transfer_reversal_cents,"
        " fee_refund_cents, status, reversal_apart, stripe_transfer_reversal_id"
        " from app.refunds where booking_id = %s order by created_at",
        (booking["id"],),
    ).fetchall()
    late_reversal = next(r.id for r in reversals if r.amount == 5834)
    assert ledger == [
        (3333, True, True, 2916, 417, "succeeded", False, None),
        (6000, True, False, 5834, 0, "succeeded", True, late_reversal),
    ]


def test_a_provider_cancellation_unwinds_everything(
    api: stack.PostgREST,
    admin: psycopg.Connection[Any],
    localstripe: LocalStripe,
    worker: WorkerProcess,
    sc: stripe.StripeClient,
) -> None:
    lat, lng = 43.0 + (uuid.uuid4().int % 500) / 1000, -71.0 + (uuid.uuid4().int % 500) / 1000
    shop = bk.open_shop(admin, lat=lat, lng=lng, price_cents=4999, deposit_cents=2001)
    provider = bearer(session_token(admin, shop.owner_id))
    onboard(api, provider)
    set_rate(api, admin, 1000, 100)
    customer, booking, intent_id = book_and_pay(api, admin, shop, sc)
    payout = read(api, "booking_payout", provider, booking_id=booking["id"])
    # the commission is on the price (10 %: 5.00), taken from the deposit charged
    assert (payout["commission_cents"], payout["application_fee_cents"]) == (500, 500)
    assert payout["transfer_cents"] == 1501

    bk.starts_in(admin, booking["id"], "2 hours")  # late: the provider's cancel refunds all
    cancelled = call(
        api, "cancel_booking", provider, booking_id=booking["id"], reason="the shop is closed"
    )
    assert cancelled["refund_cents"] == 2001
    settled(api, customer.headers, booking["id"], 2001)
    charge = charge_of(sc, intent_id)
    transfer = sc.v1.transfers.retrieve(charge.transfer)
    fee = sc.v1.application_fees.retrieve(charge.application_fee)
    assert (transfer.amount_reversed, transfer.reversed) == (1501, True)
    assert (fee.amount_refunded, fee.refunded) == (500, True)
    payout = read(api, "booking_payout", provider, booking_id=booking["id"])
    assert (payout["transfer_kept_cents"], payout["fee_kept_cents"]) == (0, 0)


def test_a_provider_without_an_account_is_paid_for_by_the_platform_which_owes_it(
    api: stack.PostgREST,
    admin: psycopg.Connection[Any],
    localstripe: LocalStripe,
    worker: WorkerProcess,
    sc: stripe.StripeClient,
) -> None:
    lat, lng = 42.0 + (uuid.uuid4().int % 500) / 1000, -70.0 + (uuid.uuid4().int % 500) / 1000
    shop = bk.open_shop(admin, lat=lat, lng=lng, price_cents=5000, deposit_cents=0)
    provider = bearer(session_token(admin, shop.owner_id))
    # onboarding started but never finished: the account cannot take transfers yet
    call(api, "start_payout_onboarding", provider)
    until(
        lambda: read(api, "my_payout_account", provider)["onboarding_url"],
        what="the onboarding link",
    )
    set_rate(api, admin, 1000, 100)
    _, booking, intent_id = book_and_pay(api, admin, shop, sc)
    intent = sc.v1.payment_intents.retrieve(intent_id)
    assert (intent.transfer_data, intent.application_fee_amount) == (None, None)
    assert charge_of(sc, intent_id).transfer is None
    payout = read(api, "booking_payout", provider, booking_id=booking["id"])
    assert payout["collected_by"] == "platform"
    assert payout["transfer_destination"] is None
    assert (payout["commission_cents"], payout["payout_owed_cents"]) == (500, 4500)
    assert payout["transfer_cents"] == 0
