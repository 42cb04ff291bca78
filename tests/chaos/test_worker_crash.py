"""Issue 7's crash-safety acceptance: the real payment worker, killed with SIGKILL at random
moments while it creates PaymentIntents and refunds, restarted each time. Afterwards every
booking has exactly one PaymentIntent in Stripe, every ledger refund exactly one Stripe
refund, and every intent is recorded.

A message whose handler is killed on every read is a poison message: read more than the
worker's max attempts times without an outcome, it is dead-lettered without running
(docs/worker.md). With many kills (`make chaos`) some messages are that unlucky. The test
holds the worker to exactly that: the dead letters are exactly the messages read more than
max attempts times (pgmq's read_ct, kept in the archive), each `AttemptsExhausted`, none
dead-lettered for any other reason; then it replays them as an operator would
(internal.dlq_replay) and they too must end with one Stripe object each, no more.

Stripe is localstripe behind tests/helpers/stripe_proxy.py, which honours idempotency keys
as Stripe does and counts the objects really created."""

from __future__ import annotations

import random
import re
import time
from typing import Any

import psycopg
import pytest

from tests.chaos import payments as cp
from tests.chaos import scale
from tests.helpers import stack
from tests.helpers.stripe_fake import run_localstripe
from tests.helpers.stripe_proxy import StripeProxy
from tests.helpers.waiting import until
from tests.helpers.worker_proc import WorkerProcess

WORKER_ARGS = (
    "--import",
    "worker.tasks",
    "--queues",
    "payments",
    "--vt",
    "2",
    "--sweep-interval",
    "0",
    "--poll",
    "0.5",
    "--retry-base",
    "0.2",
    "--retry-cap",
    "2",
    "--batch-size",
    "10",
)


def _max_attempts(ready_line: str) -> int:
    """The worker's own limit, from its "worker ready: ... max_attempts=N" line."""
    found = re.search(r"max_attempts=(\d+)", ready_line)
    assert found, ready_line
    return int(found.group(1))


def _over_read(db: psycopg.Connection[Any], max_attempts: int) -> set[int]:
    """The payment messages archived after more than ``max_attempts`` reads."""
    rows = db.execute(
        "select msg_id from pgmq.a_payments where read_ct > %s", (max_attempts,)
    ).fetchall()
    return {int(r[0]) for r in rows}


def _dead_letters(db: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    return [r[0] for r in db.execute("select message from pgmq.q_payments_dlq").fetchall()]


def _settled(db: psycopg.Connection[Any], ids: list[str]) -> bool:
    return (
        cp.unrecorded_intents(db, ids) == 0
        and cp.pending_refunds(db) == 0
        and cp.queue_depth(db, "payments") == 0
    )


@pytest.mark.slow
def test_kill_9_at_random_moments_creates_each_intent_and_refund_once(
    db: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    n_bookings = scale.count("CRASH_BOOKINGS", 200)
    n_paid = scale.count("CRASH_PAID", 16)
    kills = scale.count("CRASH_KILLS", 20)
    rng = random.Random(scale.count("SEED", 7))
    url = stack.worker_url(db.info.dbname)
    with run_localstripe() as ls, StripeProxy(ls.url) as proxy:
        monkeypatch.setenv("STRIPE_API_BASE", proxy.url)
        stripe_direct = cp.client(ls.url)

        # paid bookings with refunds requested (their messages wait in the queue)
        paid_ids, refund_ids = cp.paid_with_refunds(db, url, n_paid, WORKER_ARGS, stripe_direct)

        # the batch: bookings awaiting their PaymentIntent (half at once, the rest in a wave
        # before each start, so that every kill finds work), and the refunds above
        first = n_bookings // 2
        wave = -(-(n_bookings - first) // kills)
        pending = cp.make_bookings(db, first)
        messages = n_bookings + len(refund_ids)

        mid_work = 0
        limits: set[int] = set()
        started = time.monotonic()
        for _ in range(kills):
            pending += cp.make_bookings(db, min(wave, n_bookings - len(pending)))
            with WorkerProcess(url, *WORKER_ARGS) as w:
                limits.add(_max_attempts(w.wait_for("worker ready", 60)))
                time.sleep(rng.uniform(0.05, 0.6))
                w.kill()
                if w.count("outcome=done") and not _settled(db, [b["id"] for b in pending]):
                    mid_work += 1
        all_ids = paid_ids + [b["id"] for b in pending]
        assert len(all_ids) == n_paid + n_bookings
        with WorkerProcess(url, *WORKER_ARGS) as w:
            limits.add(_max_attempts(w.wait_for("worker ready", 60)))
            assert len(limits) == 1, limits
            max_attempts = limits.pop()
            try:
                # every message handled or dead-lettered (both archive it)...
                until(
                    lambda: cp.queue_depth(db, "payments") == 0,
                    scale.seconds("CRASH_SETTLE", 90),
                    "the worker to empty the queue",
                )
                # ...and dead-lettered exactly when read more than max attempts times: the
                # poison rule, nothing else (the original is archived with its read_ct)
                dead = _dead_letters(db)
                over_read = _over_read(db, max_attempts)
                assert sorted(d["msg_id"] for d in dead) == sorted(over_read), (dead, over_read)
                for d in dead:
                    assert d["error_class"] == "AttemptsExhausted", d
                    assert d["attempts"] > max_attempts, d
                # an operator replays them (attempts start again); the worker finishes them
                replayed = db.execute(
                    "select * from internal.dlq_replay('payments', null, null, 'cli')"
                ).fetchall()
                assert len(replayed) == len(dead)
                until(
                    lambda: _settled(db, all_ids),
                    scale.seconds("CRASH_SETTLE", 90),
                    "the worker to finish the batch",
                )
            except AssertionError:
                print(w.output()[-6000:])
                print(
                    "unrecorded",
                    cp.unrecorded_intents(db, all_ids),
                    "pending refunds",
                    cp.pending_refunds(db),
                    "queue",
                    db.execute(
                        "select msg_id, read_ct, vt, message from pgmq.q_payments"
                    ).fetchall()[:5],
                    "dlq",
                    _dead_letters(db)[:3],
                )
                raise
            w.terminate()
            assert w.wait(30) == 0
        elapsed = time.monotonic() - started

        intents = cp.intents_by_booking(stripe_direct)
        refunds = cp.refunds_by_ledger(stripe_direct)
    duplicates = sum(c - 1 for c in intents.values()) + sum(c - 1 for c in refunds.values())
    print(
        f"crash: {messages} messages, {kills} kills ({mid_work} with work in flight), "
        f"{len(dead)} dead-lettered after more than {max_attempts} reads and replayed, "
        f"{duplicates} duplicates; {elapsed:.1f}s; proxy created {dict(proxy.created)}, "
        f"replayed {proxy.replayed}"
    )
    assert duplicates == 0
    assert {bid: intents[bid] for bid in all_ids} == dict.fromkeys(all_ids, 1)
    assert set(intents) == set(all_ids)
    assert {lid: refunds[lid] for lid in refund_ids} == dict.fromkeys(refund_ids, 1)
    assert proxy.created["/v1/payment_intents"] == len(all_ids)
    assert proxy.created["/v1/refunds"] == len(refund_ids)
    # nothing lost: every intent recorded is Stripe's, every refund settled
    recorded = db.execute(
        "select count(*) from app.payments where booking_id = any(%s::uuid[]) "
        "and stripe_payment_intent_id is not null",
        (all_ids,),
    ).fetchone()
    assert recorded == (len(all_ids),)
    assert db.execute("select count(*) from app.refunds where status = 'succeeded'").fetchone() == (
        len(refund_ids),
    )
    # the replayed ones were not dead-lettered again: the last worker was never killed
    assert db.execute("select count(*) from pgmq.q_payments_dlq").fetchone() == (0,)
    assert mid_work > 0, "no kill landed while the worker was working"
