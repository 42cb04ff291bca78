"""Issue 10 part 7: reconciliation with Stripe. Stripe's webhooks reach PostgREST through a
pass-through that loses every tenth payment_intent.succeeded; Stripe also settles two refunds
the database never heard of. `bookiji reconcile` reports and repairs every one (through
internal.reconcile_apply, the webhook's logic), a second run reports nothing, and the
worker's own scheduled reconciliation agrees."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from bookiji import config
from bookiji.config import ROOT
from tests.chaos import payments as cp
from tests.chaos import scale
from tests.helpers import stack
from tests.helpers.db import one
from tests.helpers.stripe_fake import run_localstripe
from tests.helpers.stripe_proxy import StripeProxy
from tests.helpers.waiting import until
from tests.helpers.webhook_dropper import WebhookDropper
from tests.helpers.worker_proc import WorkerProcess
from worker import reconcile, stripe_client

WORKER_ARGS = ("--import", "worker.tasks", "--queues", "payments", "--sweep-interval", "0")


def _reconcile(url: str, stripe_base: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, WORKER_DATABASE_URL=url, STRIPE_API_BASE=stripe_base)
    return subprocess.run(
        [sys.executable, "-m", "bookiji.cli", "reconcile", "--grace-minutes", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_reconciliation_repairs_every_lost_webhook_and_then_finds_nothing(
    db: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    n = scale.count("RECONCILE_BOOKINGS", 40)
    url = stack.worker_url(db.info.dbname)
    with (
        stack.run_postgrest(db.info.dbname) as api,
        run_localstripe() as ls,
        StripeProxy(ls.url) as proxy,
        WebhookDropper(api.url) as dropper,
    ):
        ls.register_webhook(
            f"{dropper.url}/rpc/stripe_webhook", config.load().stripe_webhook_secret
        )
        monkeypatch.setenv("STRIPE_API_BASE", proxy.url)
        stripe_direct = cp.client(ls.url)
        bookings = cp.make_bookings(db, n)
        ids = [b["id"] for b in bookings]
        with WorkerProcess(url, *WORKER_ARGS) as w:
            w.wait_for("worker ready", 60)
            until(lambda: cp.unrecorded_intents(db, ids) == 0, 60, "the intents")
            w.terminate()
            assert w.wait(30) == 0

        # every customer pays; localstripe sends payment_intent.succeeded to the dropper
        for bid in ids:
            row = db.execute(
                "select stripe_payment_intent_id from app.payments where booking_id = %s", (bid,)
            ).fetchone()
            assert row is not None
            cp.charge(stripe_direct, row[0])
        until(lambda: dropper.seen["payment_intent.succeeded"] == n, 60, "every webhook")
        lost = {str(o["metadata"]["booking_id"]) for o in dropper.dropped}  # type: ignore[index]
        assert len(lost) == n // 10 + (n % 10 > 3)
        until(
            lambda: (
                one(db, "select count(*) from app.bookings where status = 'confirmed'")
                == n - len(lost)
            ),
            30,
            "the delivered webhooks",
        )
        assert set(dropper.delivered) == {200}, dropper.delivered

        # two refunds Stripe performed and settled; the database never recorded them (the
        # worker performed them and died before recording; its message waits)
        settled: list[str] = []
        sc = stripe_client.make_client(config.load())
        for bid in sorted(set(ids) - lost)[:2]:
            row = db.execute(
                "select internal.request_refund(%s, 500, 'reconcile test', null, 'system')", (bid,)
            ).fetchone()
            assert row is not None
            settled.append(str(row[0]))
            pi = db.execute(
                "select stripe_payment_intent_id from app.payments where booking_id = %s", (bid,)
            ).fetchone()
            assert pi is not None
            stripe_client.create_refund(
                sc,
                ledger_id=row[0],
                payment_intent=pi[0],
                amount=500,
                metadata={"booking_id": bid},
                find_existing=False,
            )

        first = _reconcile(url, proxy.url)
        second = _reconcile(url, proxy.url)
        print(first.stdout, first.stderr[-3000:], second.stdout, second.stderr[-3000:])
        repaired_payments = first.stdout.count("missed_payment_succeeded")
        repaired_refunds = first.stdout.count("missed_refund_update")
        assert first.returncode == 0, first.stderr
        assert repaired_payments == len(lost)
        assert repaired_refunds == len(settled)
        assert all(bid in first.stdout for bid in lost)
        assert "0 differences, 0 repaired" in second.stdout, second.stdout
        assert second.returncode == 0
        assert one(db, "select count(*) from app.bookings where status = 'confirmed'") == n
        assert (
            one(
                db,
                "select count(*) from app.refunds where id = any(%s::uuid[]) "
                "and status = 'succeeded' and stripe_refund_id is not null",
                settled,
            )
            == 2
        )
        assert one(
            db, "select count(*) from audit.action_log where action = 'stripe.reconciled'"
        ) == len(lost) + len(settled)

        # the worker: its refund messages find nothing left to do; its scheduled
        # reconciliation finds nothing either
        with WorkerProcess(url, *WORKER_ARGS, "--reconcile-interval", "1") as w:
            w.wait_for(r"reconcile: .* 0 differences, 0 repaired", 60)
            until(lambda: cp.queue_depth(db, "payments") == 0, 30, "the queue to drain")
            w.terminate()
            assert w.wait(30) == 0
        refunds = cp.refunds_by_ledger(stripe_direct)
        assert {lid: refunds[lid] for lid in settled} == dict.fromkeys(settled, 1)
        assert set(cp.intents_by_booking(stripe_direct).values()) == {1}
    print(
        f"reconcile: {n} paid bookings, {len(lost)} webhooks dropped, "
        f"{repaired_payments} payments and {repaired_refunds} refunds repaired, "
        "0 differences on the second run"
    )


def test_reconciliation_reports_what_it_cannot_repair(db: psycopg.Connection[Any]) -> None:
    """Two intents for one booking, an intent for a booking the database does not know, an
    intent the database recorded that Stripe does not have: reported, never repaired."""
    with run_localstripe() as ls:
        sc = cp.client(ls.url)
        twice, missing = cp.make_bookings(db, 2)
        params = {"amount": 2500, "currency": str(twice["payment"]["currency"]).lower()}
        for _ in range(2):
            sc.v1.payment_intents.create(
                params={**params, "metadata": {"booking_id": twice["id"]}}  # type: ignore[typeddict-item]
            )
        stranger = str(uuid.uuid4())
        sc.v1.payment_intents.create(params={**params, "metadata": {"booking_id": stranger}})  # type: ignore[typeddict-item]
        db.execute(
            "select internal.record_payment_intent(%s, 'pi_notinstripe', 'pi_notinstripe_secret_x')",
            (missing["payment"]["id"],),
        )
        with psycopg.connect(stack.worker_url(db.info.dbname), autocommit=True) as conn:
            report = reconcile.reconcile(conn, sc, grace=timedelta(0))
    found = sorted((d.kind, d.subject) for d in report.differences)
    assert found == sorted(
        [
            ("duplicate_intents", twice["id"]),
            ("intent_not_recorded", twice["id"]),
            ("intent_missing_in_stripe", missing["id"]),
            ("unknown_intent", stranger),
        ]
    )
    assert report.repaired == 0
    assert db.execute(
        "select status from app.bookings where id = %s", (twice["id"],)
    ).fetchone() == ("pending_payment",)
