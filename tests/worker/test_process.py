"""The worker as a real process: SIGTERM, kill -9, the idle probe's wake-ups, reconnects and metrics."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import pytest

from tests.helpers import booking as bk
from tests.helpers import catalog, stack, waiting
from tests.helpers.factories import create_user
from tests.helpers.stripe_fake import run_localstripe
from tests.helpers.worker_proc import WorkerProcess
from tests.worker.conftest import archive_row, enqueue
from tests.worker.test_runtime import blocked_handlers

pytestmark = pytest.mark.usefixtures("effects")


def scalar(db: psycopg.Connection[Any], sql: str) -> Any:
    row = db.execute(sql).fetchone()  # type: ignore[call-overload]
    assert row is not None
    return row[0]


def one_row(db: psycopg.Connection[Any], sql: str, *params: Any) -> tuple[Any, ...]:
    row = db.execute(sql, params).fetchone()  # type: ignore[call-overload]
    assert row is not None, sql
    return tuple(row)


def visible(db: psycopg.Connection[Any]) -> int:
    return int(scalar(db, "select count(*) from pgmq.q_payments where vt <= clock_timestamp()"))


def effects_per_key(db: psycopg.Connection[Any]) -> dict[str, int]:
    rows = db.execute("select key, count(*) from public.test_effects group by key").fetchall()
    return {k: n for k, n in rows}


def test_sigterm_finishes_running_handlers_hands_back_the_rest_and_loses_nothing(
    db: psycopg.Connection[Any], worker_url: str
) -> None:
    db.execute("select pg_advisory_lock(8001)")
    for i in range(8):
        enqueue(db, "payments", {"type": "test.blocked", "key": f"s{i}", "lock": 8001})
    args = ("--queues", "payments", "--concurrency", "4", "--batch-size", "10", "--vt", "20")
    with WorkerProcess(worker_url, *args) as worker:
        waiting.until(lambda: blocked_handlers(db) == 4, what="four handlers running")
        worker.terminate()
        # it reads no more than it can run: the other four were never taken
        worker.wait_for(r"released 0 messages not started; waiting for 4 running")
        db.execute("select pg_advisory_unlock(8001)")
        assert worker.wait(timeout=20) == 0, "exits cleanly within the visibility timeout"
    assert scalar(db, "select count(*) from public.test_effects") == 4
    assert scalar(db, "select count(*) from pgmq.a_payments") == 4
    assert visible(db) == 4, "the messages not started are visible at once"

    with WorkerProcess(worker_url, "--queues", "payments", "--once") as again:
        assert again.wait(timeout=60) == 0
    assert effects_per_key(db) == {f"s{i}": 1 for i in range(8)}
    assert scalar(db, "select count(*) from pgmq.q_payments") == 0


def test_after_kill_9_the_messages_in_hand_reappear_after_their_vt_and_are_processed_once(
    db: psycopg.Connection[Any], worker_url: str
) -> None:
    db.execute("select pg_advisory_lock(8002)")
    for i in range(6):
        enqueue(db, "payments", {"type": "test.blocked", "key": f"k{i}", "lock": 8002})
    args = ("--queues", "payments", "--concurrency", "3", "--batch-size", "10", "--vt", "5")
    with WorkerProcess(worker_url, *args) as worker:
        waiting.until(lambda: blocked_handlers(db) == 3, what="three handlers running")
        worker.kill()
    # it read only what it could run: the three it held are invisible, the rest never read
    assert visible(db) == 3, "what the dead worker held is still invisible"
    # the dead worker's half-done transactions never commit
    db.execute("select pg_advisory_unlock(8002)")
    waiting.until(lambda: visible(db) == 6, what="the messages to reappear after their vt")
    assert scalar(db, "select count(*) from public.test_effects") == 0

    with WorkerProcess(worker_url, "--queues", "payments", "--once") as restarted:
        assert restarted.wait(timeout=60) == 0
    assert effects_per_key(db) == {f"k{i}": 1 for i in range(6)}
    attempts = db.execute(
        "select attempt, count(*) from public.test_effects group by attempt order by attempt"
    ).fetchall()
    assert attempts == [(1, 3), (2, 3)], "a crash charged an attempt only to the running ones"


def test_after_kill_9_a_batched_group_is_charged_one_attempt_each_and_done_once(
    db: psycopg.Connection[Any], worker_url: str
) -> None:
    db.execute("select pg_advisory_lock(8003)")
    for i in range(12):
        enqueue(db, "payments", {"type": "test.batched_blocked", "key": f"g{i}", "lock": 8003})
    for i in range(4):
        enqueue(db, "payments", {"type": "test.blocked", "key": f"s{i}", "lock": 8003})
    args = ("--queues", "payments", "--concurrency", "2", "--batch-size", "10", "--vt", "5")
    with WorkerProcess(worker_url, *args) as worker:
        # each slot reads one message, a batched one, and takes up to 10 of its type with it:
        # a group of 10, then a group of the other 2; no slot is left for the single ones
        waiting.until(lambda: blocked_handlers(db) == 2, what="two handler slots running")
        worker.kill()
    assert visible(db) == 4, "two groups (12 messages) were in hand; the 4 others never read"
    db.execute("select pg_advisory_unlock(8003)")
    waiting.until(lambda: visible(db) == 16, what="the messages to reappear after their vt")
    assert scalar(db, "select count(*) from public.test_effects") == 0

    with WorkerProcess(worker_url, "--queues", "payments", "--once") as restarted:
        assert restarted.wait(timeout=60) == 0
    assert effects_per_key(db) == {
        **{f"g{i}": 1 for i in range(12)},
        **{f"s{i}": 1 for i in range(4)},
    }
    attempts = db.execute(
        "select attempt, count(*) from public.test_effects group by attempt order by attempt"
    ).fetchall()
    assert attempts == [(1, 4), (2, 12)], "a crash charged an attempt only to what was running"
    assert scalar(db, "select count(*) from pgmq.a_payments") == 16


def test_the_probe_wakes_an_idle_worker_long_before_its_poll_interval(
    db: psycopg.Connection[Any], worker_url: str
) -> None:
    metrics_port = stack.free_port()
    with WorkerProcess(worker_url, "--poll", "30", metrics_port=metrics_port) as worker:
        worker.wait_for(r"idle: probing every 50.0ms, reading every 30.0s")
        msg_id = enqueue(db, "notifications", {"type": "test.record", "key": "woken"})
        # the full read is 30 s away: only the probe can explain processing within 10 s
        waiting.until(
            lambda: archive_row(db, "notifications", msg_id),
            timeout=10,
            what="the message to be processed after the probe saw it",
        )
        worker.wait_for(rf"queue=notifications id={msg_id} type=test.record attempt=1 outcome=done")

        body = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
        assert (
            'bookiji_worker_messages_processed_total{queue="notifications",type="test.record"} 1.0'
            in body
        )
        assert 'bookiji_worker_handler_duration_seconds_count{queue="notifications"' in body
        for queue in ("payments", "notifications", "payments_dlq", "notifications_dlq"):
            assert f'bookiji_queue_depth{{queue="{queue}"}}' in body
            assert f'bookiji_queue_oldest_message_age_seconds{{queue="{queue}"}}' in body

        worker.terminate()
        assert worker.wait(timeout=30) == 0


def test_the_worker_reconnects_after_its_connections_are_killed(
    db: psycopg.Connection[Any], worker_url: str
) -> None:
    with WorkerProcess(worker_url, "--poll", "30") as worker:
        worker.wait_for("idle: probing every")
        db.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity "
            "where usename = 'bookiji_worker' and datname = current_database()"
        )
        worker.wait_for("database unavailable")
        waiting.until(lambda: worker.count("worker ready") >= 2, what="a second 'worker ready'")
        msg_id = enqueue(db, "payments", {"type": "test.record", "key": "after-reconnect"})
        waiting.until(lambda: archive_row(db, "payments", msg_id), timeout=10, what="processing")
        worker.terminate()
        assert worker.wait(timeout=30) == 0


def test_a_confirm_notifies_no_listener_and_the_idle_worker_still_handles_its_message(
    db: psycopg.Connection[Any], db_url: str, worker_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """internal.enqueue sends no NOTIFY (it serialised the callers' commits): a session
    listening on bookiji_queue hears nothing from a confirm, and the worker, idle with
    its full read 30 s away, finds the PaymentIntent request by its probe."""
    shop = bk.open_shop(db, price_cents=4500)
    customer = create_user(db, "customer")
    start = catalog.next_weekday(2, at="10:00")
    with run_localstripe() as stripe, psycopg.connect(db_url, autocommit=True) as listener:
        monkeypatch.setenv("STRIPE_API_BASE", stripe.url)
        listener.execute("listen bookiji_queue")
        args = ("--import", "worker.tasks", "--queues", "payments", "--poll", "30")
        with WorkerProcess(worker_url, *args) as worker:
            worker.wait_for("idle: probing every")
            booking = bk.confirm(
                db, customer, bk.quote(db, customer, shop, start), shop.provider_id
            )
            (msg_id,) = one_row(
                db,
                "select msg_id from pgmq.q_payments "
                "where message ->> 'booking_id' = %s and message ->> 'type' = 'payment.create_intent'",
                str(booking["id"]),
            )
            waiting.until(
                lambda: archive_row(db, "payments", msg_id),
                timeout=30,
                what="the confirm's PaymentIntent request to be handled",
            )
            worker.wait_for(
                rf"queue=payments id={msg_id} type=payment.create_intent attempt=1 outcome=done"
            )
            intent = one_row(
                db,
                "select stripe_payment_intent_id from app.payments where booking_id = %s",
                booking["id"],
            )[0]
            assert str(intent).startswith("pi_"), "the handler recorded the intent it created"
            worker.terminate()
            assert worker.wait(timeout=30) == 0
        # the listener heard nothing, from the confirm's commit or since (a NOTIFY would
        # be delivered at that commit, long before the message was handled)
        assert list(listener.notifies(timeout=0)) == []
