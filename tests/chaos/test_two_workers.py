"""Two competing payment workers (`bookiji up --scale worker=2`), their queue loops
through PgBouncer (transaction mode) and their handlers direct; one is killed (SIGKILL)
while messages are in its hands. The survivor takes them over after their visibility
timeout, and the effects are exactly once, as with one worker
(tests/chaos/test_worker_crash.py): one PaymentIntent per booking in Stripe, each
recorded, nothing dead-lettered."""

from __future__ import annotations

import contextlib
from typing import Any

import psycopg
import pytest

from bookiji import config, procs
from tests.chaos import payments as cp
from tests.chaos import scale
from tests.chaos.test_worker_crash import WORKER_ARGS
from tests.helpers import stack
from tests.helpers.stripe_fake import run_localstripe
from tests.helpers.stripe_proxy import StripeProxy
from tests.helpers.waiting import until
from tests.helpers.worker_proc import WorkerProcess


def _settled(db: psycopg.Connection[Any], ids: list[str]) -> bool:
    return cp.unrecorded_intents(db, ids) == 0 and cp.queue_depth(db, "payments") == 0


@pytest.mark.slow
def test_killing_one_of_two_workers_with_messages_in_flight_creates_each_intent_once(
    db: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    n_bookings = scale.count("TWO_WORKERS_BOOKINGS", 60)
    s = config.load()
    direct = stack.worker_url(db.info.dbname)
    with (
        contextlib.ExitStack() as es,
        run_localstripe() as ls,
        StripeProxy(ls.url) as proxy,
    ):
        pooler, _ = procs.start_pooler(
            s, es, s.data_dir / "test" / f"pgbouncer-{db.info.dbname}", direct
        )
        loop = pooler.url("bookiji_worker", s.worker_db_password, db.info.dbname)
        monkeypatch.setenv("STRIPE_API_BASE", proxy.url)
        monkeypatch.setenv("WORKER_DIRECT_DATABASE_URL", direct)
        bookings = cp.make_bookings(db, n_bookings)
        ids = [b["id"] for b in bookings]
        with WorkerProcess(loop, *WORKER_ARGS) as victim, WorkerProcess(loop, *WORKER_ARGS) as w:
            victim.wait_for("worker ready", 60)
            w.wait_for("worker ready", 60)
            # the victim has finished some and holds others
            victim.wait_for("outcome=done", 60)
            in_flight = not _settled(db, ids)
            victim.kill()
            try:
                until(
                    lambda: _settled(db, ids),
                    scale.seconds("TWO_WORKERS_SETTLE", 90),
                    "the surviving worker to finish the batch",
                )
            except AssertionError:
                print(w.output()[-6000:])
                raise
            w.terminate()
            assert w.wait(30) == 0
            took = (victim.count("outcome=done"), w.count("outcome=done"))
        intents = cp.intents_by_booking(cp.client(ls.url))
    assert in_flight, "the kill found no work in flight"
    assert took[0] > 0 and took[1] > 0, f"the workers did not compete: {took}"
    assert {bid: intents[bid] for bid in ids} == dict.fromkeys(ids, 1)
    assert proxy.created["/v1/payment_intents"] == len(ids)
    assert db.execute(
        "select count(*) from app.payments where booking_id = any(%s::uuid[]) "
        "and stripe_payment_intent_id is not null",
        (ids,),
    ).fetchone() == (len(ids),)
    assert db.execute("select count(*) from pgmq.q_payments_dlq").fetchone() == (0,)
    print(f"two workers: {len(ids)} intents, done by victim/survivor {took}")
