"""Issue 22's exactly-once acceptance for Stripe Connect: the real worker, killed with SIGKILL
at random moments while it creates providers' Express accounts and onboarding links, then
destination charges, then the refunds that reverse their transfers and refund their fees (or,
for a late customer cancellation, keep the fee and reverse the refund from the transfer apart,
a step of its own); restarted each time. Afterwards every provider has exactly one account in
Stripe and one link recorded, every booking one PaymentIntent (carrying the provider's account and the
commission the ledger says), every ledger refund one Stripe refund, and the reversals and fee
refunds in Stripe add up to the ledger's, to the cent (one reversal per late cancellation).

Stripe is localstripe behind tests/helpers/stripe_proxy.py, which honours idempotency keys as
Stripe does and counts the objects really created."""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import psycopg
import pytest
import stripe

from tests.chaos import payments as cp
from tests.chaos import scale
from tests.chaos.test_worker_crash import WORKER_ARGS
from tests.helpers import booking as bk
from tests.helpers import catalog, stack
from tests.helpers.db import call_as
from tests.helpers.stripe_fake import run_localstripe
from tests.helpers.stripe_proxy import StripeProxy
from tests.helpers.waiting import until
from tests.helpers.worker_proc import WorkerProcess


def _kill_loop(
    url: str, kills: int, rng: random.Random, pending: Callable[[], bool] | None = None
) -> int:
    """Start and SIGKILL the worker ``kills`` times; how many kills found it working. With
    ``pending``, while no kill has found it working and work is left, up to twice as many
    more, each waiting longer (on a loaded machine the worker may not have started its first
    batch 0.6 s after it said ready, and the test must not pass without a kill in flight)."""
    working = rounds = 0
    while rounds < kills or (
        pending is not None and working == 0 and rounds < 3 * kills and pending()
    ):
        with WorkerProcess(url, *WORKER_ARGS) as w:
            w.wait_for("worker ready", 60)
            time.sleep(rng.uniform(0.05, 0.6) * (1 + rounds // kills))
            w.kill()
            working += bool(w.count("outcome=done"))
        rounds += 1
    return working


def _settle(db: psycopg.Connection[Any], url: str, done: Any, what: str) -> None:
    with WorkerProcess(url, *WORKER_ARGS) as w:
        w.wait_for("worker ready", 60)
        try:
            until(
                lambda: done() and cp.queue_depth(db, "payments") == 0,
                scale.seconds("CRASH_SETTLE", 90),
                what,
            )
        except AssertionError:
            print(w.output()[-6000:])
            raise
        w.terminate()
        assert w.wait(30) == 0


def _count(db: psycopg.Connection[Any], sql: str, *args: Any) -> int:
    row = db.execute(sql, args).fetchone()
    assert row is not None
    return int(row[0])


def _accounts_by_provider(sc: stripe.StripeClient) -> Counter[str]:
    counts: Counter[str] = Counter()
    for account in sc.v1.accounts.list(params={"limit": 100}).auto_paging_iter():
        pid = account.metadata.to_dict().get("provider_id") if account.metadata else None
        if pid:
            counts[pid] += 1
    return counts


@pytest.mark.slow
def test_kill_9_creates_each_account_link_destination_charge_and_unwinding_refund_once(
    db: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    n = scale.count("CONNECT_PROVIDERS", 12)
    kills = scale.count("CONNECT_KILLS", 6)
    rng = random.Random(scale.count("SEED", 7))
    url = stack.worker_url(db.info.dbname)
    day = catalog.next_weekday(2, at="10:00")
    with run_localstripe() as ls, StripeProxy(ls.url) as proxy:
        monkeypatch.setenv("STRIPE_API_BASE", proxy.url)
        sc = cp.client(ls.url)

        # 1. every provider asks for onboarding; the worker is killed while it works
        # a 10.00 deposit; a late cancellation keeps 6.00 (the customer gets 4.00 back)
        shops = [
            bk.open_shop(db, lat=46.0 + k * 0.05, lng=-72.0, cancel_fee_cents=600) for k in range(n)
        ]
        for shop in shops:
            call_as(db, "provider", shop.owner_id, "select internal.start_payout_onboarding()")
        working = _kill_loop(url, kills, rng)
        _settle(
            db,
            url,
            lambda: (
                _count(db, "select count(*) from app.payout_accounts where onboarding_url is null")
                == 0
            ),
            "every onboarding link",
        )
        accounts = _accounts_by_provider(sc)
        assert {str(s.provider_id): accounts[str(s.provider_id)] for s in shops} == dict.fromkeys(
            (str(s.provider_id) for s in shops), 1
        )
        assert proxy.created["/v1/accounts"] == n
        assert proxy.created["/v1/account_links"] == n

        # 2. each provider completes onboarding; Stripe's account.updated is applied
        for shop in shops:
            row = db.execute(
                "select stripe_account_id, onboarding_url from app.payout_accounts"
                " where provider_id = %s",
                (shop.provider_id,),
            ).fetchone()
            assert row is not None
            assert httpx.get(row[1]).status_code == 302
            account = sc.v1.accounts.retrieve(row[0]).to_dict()
            event = {
                "id": f"evt_{shop.provider_id.hex}",
                "type": "account.updated",
                "created": int(time.time()),
                "data": {"object": account},
            }
            db.execute("select internal.apply_account_event(%s::jsonb)", (json.dumps(event),))

        # 3. one booking per provider: destination charges, created under kills
        bookings = [bk.book(db, shop, day) for shop in shops]
        ids = [b["id"] for b in bookings]
        working += _kill_loop(url, kills, rng)
        _settle(db, url, lambda: cp.unrecorded_intents(db, ids) == 0, "every intent")

        # 4. paid, then refunded in two parts (the fee with it), or every other booking
        # cancelled late by its customer (the fee kept, the refund reversed from the transfer
        # apart, after the refund: its own step and key): refunds and reversals under kills
        refund_ids: list[str] = []
        late: dict[str, str] = {}  # booking -> its late cancellation's refund
        for k, b in enumerate(bookings):
            intent_id = db.execute(
                "select stripe_payment_intent_id from app.payments where booking_id = %s",
                (b["id"],),
            ).fetchone()
            assert intent_id is not None
            pi = cp.charge(sc, intent_id[0])
            assert bk.apply_event(db, "payment_intent.succeeded", pi) == "booking confirmed"
            if k % 2:
                bk.starts_in(db, b["id"], "3 hours")
                call_as(
                    db,
                    "customer",
                    b["customer_id"],
                    "select internal.cancel_booking(%s, 'chaos')",
                    b["id"],
                )
                r = db.execute(
                    "select id from app.refunds where booking_id = %s", (b["id"],)
                ).fetchone()
                assert r is not None
                refund_ids.append(str(r[0]))
                late[str(b["id"])] = str(r[0])
                continue
            amount = int(b["payment"]["amount_cents"])
            for part in (amount // 3, amount - amount // 3):
                r = db.execute(
                    "select internal.request_refund(%s, %s, 'chaos', null, 'system')",
                    (b["id"], part),
                ).fetchone()
                assert r is not None
                refund_ids.append(str(r[0]))
        working += _kill_loop(
            url,
            kills,
            rng,
            (lambda: cp.pending_refunds(db) > 0) if working + proxy.replayed == 0 else None,
        )
        _settle(
            db,
            url,
            lambda: (
                cp.pending_refunds(db) == 0
                and _count(
                    db,
                    "select count(*) from app.refunds"
                    " where reversal_apart and stripe_transfer_reversal_id is null",
                )
                == 0
            ),
            "every refund and reversal",
        )

        intents = cp.intents_by_booking(sc)
        refunds = cp.refunds_by_ledger(sc)
        assert {bid: intents[bid] for bid in ids} == dict.fromkeys(ids, 1)
        assert {lid: refunds[lid] for lid in refund_ids} == dict.fromkeys(refund_ids, 1)
        assert proxy.created["/v1/payment_intents"] == n
        assert proxy.created["/v1/refunds"] == len(refund_ids)

        # the ledger and Stripe agree to the cent, booking by booking
        for b in bookings:
            ledger = db.execute(
                "select p.stripe_payment_intent_id, p.transfer_destination, p.application_fee_cents,"
                " sum(r.transfer_reversal_cents), sum(r.fee_refund_cents)"
                " from app.payments as p join app.refunds as r on r.payment_id = p.id"
                " where p.booking_id = %s group by p.id",
                (b["id"],),
            ).fetchone()
            assert ledger is not None
            intent = sc.v1.payment_intents.retrieve(ledger[0])
            assert intent.transfer_data.destination == ledger[1]
            assert intent.application_fee_amount == ledger[2] > 0
            latest: Any = intent.latest_charge
            charge = sc.v1.charges.retrieve(latest if isinstance(latest, str) else latest.id)
            transfer = sc.v1.transfers.retrieve(charge.transfer)
            fee = sc.v1.application_fees.retrieve(charge.application_fee)
            assert (transfer.amount_reversed, fee.amount_refunded) == (ledger[3], ledger[4])
            reversals = Counter(
                r.metadata.to_dict().get("refund_ledger_id", "")
                for r in sc.v1.transfers.reversals.list(transfer.id).auto_paging_iter()
            )
            if str(b["id"]) in late:
                # 4.00 refunded, all of it reversed from the 5.00 transfer, once; the fee kept
                assert (ledger[3], ledger[4]) == (400, 0)
                assert reversals == Counter({late[str(b["id"])]: 1})
                assert (transfer.reversed, fee.refunded) == (False, False)
            else:
                assert (transfer.reversed, fee.refunded) == (True, True)
        transfers = len(list(sc.v1.transfers.list(params={"limit": 100}).auto_paging_iter()))
        assert transfers == n
    print(
        f"connect crash: {n} providers, {3 * kills} kills ({working} with work in flight); "
        f"proxy created {dict(proxy.created)}, replayed {proxy.replayed}"
    )
    # a replayed key is a kill that landed between a Stripe call and its record
    assert working + proxy.replayed > 0, "no kill landed while the worker was working"
