"""Paying what the platform owes, exactly once under kill -9 (issue 22): providers whose
accounts cannot take transfers yet are booked and paid for (the platform collects), part of
each charge is refunded, then every account completes onboarding, and the real worker, killed
with SIGKILL at random moments and restarted each time, transfers what is owed; then the rest
of each charge is refunded under kills, each refund reversing its share from the transfer.
Afterwards Stripe holds exactly one Transfer per owed booking (of the amount the ledger fixed,
from the booking's charge) and exactly one reversal per refund, adding up to the ledger's
shares to the cent.

Stripe is localstripe behind tests/helpers/stripe_proxy.py, which honours idempotency keys as
Stripe does and counts the objects really created."""

from __future__ import annotations

import json
import random
import time
from collections import Counter
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
from tests.helpers.db import call_as
from tests.helpers.stripe_fake import run_localstripe
from tests.helpers.stripe_proxy import StripeProxy


def _transfers_by_booking(sc: stripe.StripeClient) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for t in sc.v1.transfers.list(params={"limit": 100}).auto_paging_iter():
        bid = t.metadata.to_dict().get("booking_id") if t.metadata else None
        if bid:
            found.setdefault(bid, []).append(t)
    return found


@pytest.mark.slow
def test_kill_9_transfers_what_is_owed_once_per_booking_and_reverses_each_refund_once(
    db: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    n = scale.count("OWED_PROVIDERS", 10)
    kills = scale.count("OWED_KILLS", 6)
    rng = random.Random(scale.count("SEED", 11))
    url = stack.worker_url(db.info.dbname)
    day = catalog.next_weekday(3, at="10:00")
    with run_localstripe() as ls, StripeProxy(ls.url) as proxy:
        monkeypatch.setenv("STRIPE_API_BASE", proxy.url)
        sc = cp.client(ls.url)

        # 1. providers ask for onboarding but do not finish; their bookings are paid to the
        #    platform, and a quarter of each is refunded before anything is owed out
        shops = [bk.open_shop(db, lat=45.0 + k * 0.05, lng=-71.5) for k in range(n)]
        for shop in shops:
            call_as(db, "provider", shop.owner_id, "select internal.start_payout_onboarding()")
        bookings = [bk.book(db, shop, day) for shop in shops]
        ids = [b["id"] for b in bookings]
        _settle(
            db,
            url,
            lambda: (
                _count(db, "select count(*) from app.payout_accounts where onboarding_url is null")
                == 0
                and cp.unrecorded_intents(db, ids) == 0
            ),
            "every onboarding link and intent",
        )
        for b in bookings:
            intent_id = db.execute(
                "select stripe_payment_intent_id from app.payments where booking_id = %s",
                (b["id"],),
            ).fetchone()
            assert intent_id is not None
            pi = cp.charge(sc, intent_id[0])
            assert bk.apply_event(db, "payment_intent.succeeded", pi) == "booking confirmed"
            amount = int(b["payment"]["amount_cents"])
            db.execute(
                "select internal.request_refund(%s, %s, 'before', null, 'system')",
                (b["id"], amount // 4),
            )
        assert _count(db, "select count(*) from app.owed_transfers") == 0
        assert (
            _count(db, "select count(*) from app.payments where transfer_destination is null") >= n
        )

        # 2. every account completes onboarding: account.updated asks for the owed transfers,
        #    which the worker makes while it is killed again and again
        for shop in shops:
            row = db.execute(
                "select stripe_account_id, onboarding_url from app.payout_accounts"
                " where provider_id = %s",
                (shop.provider_id,),
            ).fetchone()
            assert row is not None
            assert httpx.get(row[1]).status_code == 302
            event = {
                "id": f"evt_owed_{shop.provider_id.hex}",
                "type": "account.updated",
                "created": int(time.time()),
                "data": {"object": sc.v1.accounts.retrieve(row[0]).to_dict()},
            }
            db.execute("select internal.apply_account_event(%s::jsonb)", (json.dumps(event),))
        assert _count(db, "select count(*) from app.owed_transfers") == n
        working = _kill_loop(url, kills, rng)
        _settle(
            db,
            url,
            lambda: (
                _count(db, "select count(*) from app.owed_transfers where status = 'pending'") == 0
                and cp.pending_refunds(db) == 0
            ),
            "every owed transfer",
        )
        transfers = _transfers_by_booking(sc)
        assert {bid: len(transfers.get(bid, [])) for bid in ids} == dict.fromkeys(ids, 1)
        assert proxy.created["/v1/transfers"] == n
        for bid in ids:
            row = db.execute(
                "select t.amount_cents, t.stripe_transfer_id, t.destination, t.status"
                " from app.owed_transfers as t where t.booking_id = %s",
                (bid,),
            ).fetchone()
            assert row is not None
            made = transfers[bid][0]
            assert (made.amount, made.id, made.destination, row[3]) == (
                row[0],
                row[1],
                row[2],
                "succeeded",
            )
            assert made.source_transaction is not None

        # 3. the rest of each charge is refunded under kills: each refund reverses its share
        refund_ids: list[str] = []
        for b in bookings:
            amount = int(b["payment"]["amount_cents"])
            r = db.execute(
                "select internal.request_refund(%s, %s, 'after', null, 'system')",
                (b["id"], amount - amount // 4),
            ).fetchone()
            assert r is not None
            refund_ids.append(str(r[0]))
        working += _kill_loop(url, kills, rng)
        _settle(
            db,
            url,
            lambda: (
                cp.pending_refunds(db) == 0
                and _count(
                    db,
                    "select count(*) from app.refunds where owed_reversal_cents > 0"
                    " and stripe_owed_reversal_id is null",
                )
                == 0
            ),
            "every reversal",
        )
        reversals: Counter[str] = Counter()
        for bid in ids:
            transfer = sc.v1.transfers.retrieve(transfers[bid][0].id)
            for rev in sc.v1.transfers.reversals.list(transfer.id).auto_paging_iter():
                reversals[rev.metadata.to_dict().get("refund_ledger_id", "")] += 1
            ledger = db.execute(
                "select sum(owed_reversal_cents) from app.refunds where booking_id = %s", (bid,)
            ).fetchone()
            assert ledger is not None
            # the whole charge is refunded: the whole transfer is taken back, to the cent
            assert (transfer.amount_reversed, transfer.reversed) == (ledger[0], True)
        assert {rid: reversals[rid] for rid in refund_ids} == dict.fromkeys(refund_ids, 1)
        assert sum(reversals.values()) == len(refund_ids)
        payouts = [
            db.execute("select internal.payout_json(%s)", (bid,)).fetchone()[0]  # type: ignore[index]
            for bid in ids
        ]
        assert {
            (p["provider_net_cents"], p["paid_out_cents"], p["payout_owed_cents"]) for p in payouts
        } == {(0, 0, 0)}
    print(
        f"owed transfer crash: {n} providers, {2 * kills} kills ({working} with work in flight); "
        f"proxy created {dict(proxy.created)}, replayed {proxy.replayed}"
    )
    assert working + proxy.replayed > 0, "no kill landed while the worker was working"
