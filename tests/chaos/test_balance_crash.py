"""Issue 22's exactly-once acceptance for the balance charged to the saved card: the real
worker, killed with SIGKILL at random moments while it creates the Stripe Customers and the
deposits' PaymentIntents (which save the cards), then while it charges the balances
off-session after completion; restarted each time. Afterwards every customer has one Stripe
Customer, every booking one deposit intent and exactly ONE balance intent (metadata
balance_of), the balances the card paid are settled in the ledger to the cent, and those whose
card asked for authentication are due, their customer emailed once.

Stripe is localstripe behind tests/helpers/stripe_proxy.py, which honours idempotency keys as
Stripe does and counts the objects really created."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
import psycopg
import pytest
import stripe

from tests.chaos import payments as cp
from tests.chaos import scale
from tests.chaos.test_connect_crash import _count, _kill_loop, _settle
from tests.helpers import booking as bk
from tests.helpers import catalog, stack
from tests.helpers.db import as_user, call_as
from tests.helpers.factories import create_user
from tests.helpers.stripe_fake import run_localstripe
from tests.helpers.stripe_proxy import StripeProxy

AUTH_CARD = "4000002500003155"


def _book_saving_the_card(db: psycopg.Connection[Any], shop: bk.Shop, at: Any) -> dict[str, Any]:
    customer = create_user(db, "customer")
    quote_id = bk.quote(db, customer, shop, at)
    with as_user(db, "customer", customer):
        row = db.execute(
            "select internal.confirm_booking(%s, %s, true)", (quote_id, shop.provider_id)
        ).fetchone()
    assert row is not None
    return dict(row[0])


def _pay(sc: stripe.StripeClient, base: str, intent_id: str, card: str | None) -> dict[str, Any]:
    """The customer pays the deposit on session (authenticating when the card asks)."""
    method = "pm_card_visa"
    if card is not None:
        method = sc.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {"number": card, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
            }
        ).id
    sc.v1.payment_intents.update(intent_id, params={"payment_method": method})
    pi = sc.v1.payment_intents.confirm(intent_id)
    if pi.status == "requires_action":
        done = httpx.post(  # Stripe.js's 3D Secure step, passed
            f"{base}/v1/payment_intents/{intent_id}/_authenticate",
            params={"success": "true"},
            json={"key": "pk_test_chaos", "client_secret": pi.client_secret},
        )
        assert done.status_code == 200, done.text
        pi = sc.v1.payment_intents.retrieve(intent_id)
    assert pi.status == "succeeded", pi.status
    return dict(pi.to_dict())


def _balance_intents(sc: stripe.StripeClient) -> Counter[str]:
    counts: Counter[str] = Counter()
    for pi in sc.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter():
        bid = pi.metadata.to_dict().get("balance_of") if pi.metadata else None
        if bid:
            counts[bid] += 1
    return counts


@pytest.mark.slow
def test_kill_9_charges_each_balance_off_session_exactly_once(
    db: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    n = scale.count("BALANCE_BOOKINGS", 10)
    kills = scale.count("BALANCE_KILLS", 6)
    rng = random.Random(scale.count("SEED", 11))
    url = stack.worker_url(db.info.dbname)
    day = catalog.next_weekday(2, at="09:00")
    with run_localstripe() as ls, StripeProxy(ls.url) as proxy:
        monkeypatch.setenv("STRIPE_API_BASE", proxy.url)
        sc = cp.client(ls.url)

        # 1. bookings with a deposit, the customer consenting to save the card
        bookings: list[dict[str, Any]] = []
        shops: list[bk.Shop] = []
        for i in range(n):
            if i % cp.SLOTS_PER_SHOP == 0:
                shops.append(
                    bk.open_shop(
                        db,
                        lat=44.0 + len(shops) * 0.05,
                        lng=-75.0,
                        price_cents=4010,
                        deposit_cents=1010,
                    )
                )
            at = day + timedelta(hours=i % cp.SLOTS_PER_SHOP)
            bookings.append(_book_saving_the_card(db, shops[-1], at))
        ids = [b["id"] for b in bookings]
        working = _kill_loop(url, kills, rng)
        _settle(db, url, lambda: cp.unrecorded_intents(db, ids) == 0, "every deposit intent")

        # 2. paid (every third card asks for authentication), confirmed by the webhook
        auth = set(ids[::3])
        for b in bookings:
            row = db.execute(
                "select stripe_payment_intent_id from app.payments where booking_id = %s",
                (b["id"],),
            ).fetchone()
            assert row is not None
            pi = _pay(sc, ls.url, row[0], AUTH_CARD if b["id"] in auth else None)
            assert bk.apply_event(db, "payment_intent.succeeded", pi) == "booking confirmed"

        # 3. completed by their providers: the balances are charged under kills
        for b, shop in zip(
            bookings, [shops[i // cp.SLOTS_PER_SHOP] for i in range(n)], strict=True
        ):
            bk.starts_in(db, b["id"], "-70 minutes")
            call_as(
                db,
                "provider",
                shop.owner_id,
                "select internal.mark_booking(%s, 'completed')",
                b["id"],
            )
        working += _kill_loop(url, kills, rng)
        _settle(
            db,
            url,
            lambda: (
                _count(db, "select count(*) from app.balance_payments where status = 'pending'")
                == 0
            ),
            "every balance charge",
        )

        balances = _balance_intents(sc)
        assert {bid: balances[bid] for bid in ids} == dict.fromkeys(ids, 1)
        assert proxy.created["/v1/customers"] == n  # one Customer per customer
        # one deposit and one balance each; the proxy counts a 402 (the card asked for
        # authentication) as no creation, though Stripe keeps that intent (listed above)
        assert proxy.created["/v1/payment_intents"] == 2 * n - len(auth)
        rows = db.execute(
            "select booking_id::text, status, method, amount_cents from app.balance_payments"
            " where booking_id = any(%s::uuid[])",
            (ids,),
        ).fetchall()
        assert {r[0]: (r[1], r[2], r[3]) for r in rows} == {
            # 4010 - 1010 (these providers charge no tax)
            bid: ("due" if bid in auth else "succeeded", "card", 3000)
            for bid in ids
        }
        emails = db.execute(
            "select count(*), count(distinct event_key) from app.notifications"
            " where event = 'balance_due' and channel = 'email'"
        ).fetchone()
        assert emails == (len(auth), len(auth))
    print(
        f"balance crash: {n} bookings, {2 * kills} kills ({working} with work in flight); "
        f"proxy created {dict(proxy.created)}, replayed {proxy.replayed}"
    )
    assert working + proxy.replayed > 0, "no kill landed while the worker was working"
