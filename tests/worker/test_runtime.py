"""The worker loop, run in-process against a real database with test-only handlers."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.helpers import waiting
from tests.worker.conftest import (
    archive_row,
    dlq_messages,
    effect_rows,
    enqueue,
    queue_row,
)
from worker import registry
from worker.retry import RetryPolicy
from worker.runner import Options, Runner

pytestmark = pytest.mark.usefixtures("effects")


def outcomes(caplog: pytest.LogCaptureFixture, msg_id: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "msg_id", None) == msg_id]


def test_a_message_is_dispatched_by_type_and_archived(
    db: psycopg.Connection[Any], drain: Callable[..., Runner]
) -> None:
    msg_id = enqueue(db, "notifications", {"type": "test.record", "key": "hello"})
    drain()
    assert effect_rows(db, "hello") == [(msg_id, 1, "record")]
    assert queue_row(db, "notifications", msg_id) is None
    assert archive_row(db, "notifications", msg_id) is not None


def test_a_batch_on_both_queues_is_processed_once_each(
    db: psycopg.Connection[Any], drain: Callable[..., Runner]
) -> None:
    ids = [enqueue(db, "payments", {"type": "test.record", "key": f"p{i}"}) for i in range(25)]
    ids += [enqueue(db, "notifications", {"type": "test.record", "key": f"n{i}"}) for i in range(7)]
    drain(batch_size=10, concurrency=3)
    counts = db.execute("select count(*), count(distinct key) from public.test_effects").fetchone()
    assert counts == (32, 32)
    assert db.execute("select count(*) from pgmq.a_payments").fetchone() == (25,)
    assert db.execute("select count(*) from pgmq.a_notifications").fetchone() == (7,)


def test_one_log_line_per_message_names_queue_id_type_attempt_outcome_and_duration(
    db: psycopg.Connection[Any], drain: Callable[..., Runner], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bookiji.worker")
    msg_id = enqueue(db, "payments", {"type": "test.record", "key": "logged"})
    drain()
    (line,) = outcomes(caplog, msg_id)
    text = line.getMessage()
    for part in (
        "queue=payments",
        f"id={msg_id}",
        "type=test.record",
        "attempt=1",
        "outcome=done",
        "duration_ms=",
    ):
        assert part in text


def xacts(db: psycopg.Connection[Any], handler: str) -> list[int]:
    """How many effects each transaction of ``handler`` wrote, largest first."""
    rows = db.execute(
        "select count(*) from public.test_effects where handler = %s group by xact "
        "order by count(*) desc",
        (handler,),
    ).fetchall()
    return [int(r[0]) for r in rows]


def test_batched_messages_of_one_read_run_and_are_archived_in_one_transaction(
    db: psycopg.Connection[Any], drain: Callable[..., Runner]
) -> None:
    ids = [
        enqueue(db, "notifications", {"type": "test.batched", "key": f"b{i}"}) for i in range(30)
    ]
    single = enqueue(db, "notifications", {"type": "test.record", "key": "alone"})
    drain(batch_size=20, concurrency=2, queues=("notifications",))
    assert db.execute(
        "select count(*), count(distinct key), max(attempt) from public.test_effects "
        "where handler = 'batched'"
    ).fetchone() == (30, 30, 1)
    groups = xacts(db, "batched")
    assert sum(groups) == 30 and groups[0] > 2, "many messages in one transaction"
    assert max(groups) <= 20, "no group larger than the batch size"
    assert effect_rows(db, "alone") == [(single, 1, "record")]
    archived = db.execute(
        "select count(*) from pgmq.a_notifications where msg_id = any(%s)", (ids,)
    ).fetchone()
    assert archived == (30,)
    assert db.execute("select count(*) from pgmq.q_notifications").fetchone() == (0,)


def test_a_failure_in_a_batch_leaves_the_others_done_once_and_only_it_is_retried(
    db: psycopg.Connection[Any], drain: Callable[..., Runner], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bookiji.worker")
    good = [
        enqueue(db, "payments", {"type": "test.batched_flaky", "key": f"g{i}"}) for i in range(9)
    ]
    bad = enqueue(db, "payments", {"type": "test.batched_flaky", "key": "bad", "fail_times": 2})
    drain(batch_size=10, concurrency=1, queues=("payments",))
    for i, msg_id in enumerate(good):
        assert effect_rows(db, f"g{i}") == [(msg_id, 1, "batched_flaky")]
    assert effect_rows(db, "bad") == [(bad, 3, "batched_flaky")]
    assert [(r.attempt, r.outcome) for r in outcomes(caplog, bad)] == [  # type: ignore[attr-defined]
        (1, "retry"),
        (2, "retry"),
        (3, "done"),
    ]
    assert [(r.attempt, r.outcome) for r in outcomes(caplog, good[0])] == [(1, "done")]  # type: ignore[attr-defined]
    assert db.execute("select count(*) from pgmq.a_payments").fetchone() == (10,)
    assert dlq_messages(db, "payments") == []


def test_a_retryable_failure_is_retried_with_growing_delays_then_succeeds(
    db: psycopg.Connection[Any], drain: Callable[..., Runner], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bookiji.worker")
    policy = RetryPolicy(max_attempts=6, base_seconds=0.05, factor=2.0, cap_seconds=5.0)
    msg_id = enqueue(db, "payments", {"type": "test.flaky", "key": "flaky", "fail_times": 3})
    drain(retry=policy)
    lines = outcomes(caplog, msg_id)
    assert [(r.attempt, r.outcome) for r in lines] == [  # type: ignore[attr-defined]
        (1, "retry"),
        (2, "retry"),
        (3, "retry"),
        (4, "done"),
    ]
    delays = [r.retry_in for r in lines[:3]]  # type: ignore[attr-defined]
    for attempt, delay in enumerate(delays, start=1):
        ceiling = policy.ceiling(attempt)
        assert ceiling * (1 - policy.jitter) <= delay <= ceiling
    assert delays == sorted(delays), "each retry waits at least as long as the one before"
    assert policy.ceiling(1) < policy.ceiling(2) < policy.ceiling(3)
    assert effect_rows(db, "flaky") == [(msg_id, 4, "flaky")]
    assert archive_row(db, "payments", msg_id) is not None
    assert dlq_messages(db, "payments") == []


def test_a_permanent_error_dead_letters_at_once_with_reason_class_attempts_and_traceback(
    db: psycopg.Connection[Any], drain: Callable[..., Runner]
) -> None:
    body = {"type": "test.permanent", "key": "perm", "reason": "card token is malformed"}
    msg_id = enqueue(db, "payments", body)
    drain()
    ((_, dead),) = dlq_messages(db, "payments")
    assert dead["original"] == body
    assert dead["queue"] == "payments"
    assert dead["msg_id"] == msg_id
    assert dead["error"] == "card token is malformed"
    assert dead["error_class"] == "PermanentError"
    assert dead["attempts"] == 1
    assert "Traceback (most recent call last)" in dead["traceback"]
    assert "raise PermanentError" in dead["traceback"]
    assert queue_row(db, "payments", msg_id) is None
    assert archive_row(db, "payments", msg_id) is not None


def test_a_bug_in_a_handler_is_dead_lettered_at_once_not_retried(
    db: psycopg.Connection[Any], drain: Callable[..., Runner]
) -> None:
    msg_id = enqueue(db, "notifications", {"type": "test.bug", "key": "bug"})
    drain()
    ((_, dead),) = dlq_messages(db, "notifications")
    assert (dead["msg_id"], dead["error_class"], dead["attempts"]) == (
        msg_id,
        "ZeroDivisionError",
        1,
    )


def test_a_message_without_a_registered_handler_is_dead_lettered(
    db: psycopg.Connection[Any], drain: Callable[..., Runner]
) -> None:
    msg_id = enqueue(db, "notifications", {"type": "test.nobody_handles_this"})
    drain()
    ((_, dead),) = dlq_messages(db, "notifications")
    assert dead["msg_id"] == msg_id
    assert "no handler" in dead["error"]


def test_after_max_attempts_a_retryable_failure_goes_to_the_dead_letter_queue(
    db: psycopg.Connection[Any], drain: Callable[..., Runner]
) -> None:
    msg_id = enqueue(db, "payments", {"type": "test.always_retry", "key": "tired"})
    drain(retry=RetryPolicy(max_attempts=3, base_seconds=0.05, cap_seconds=1.0))
    ((_, dead),) = dlq_messages(db, "payments")
    assert (dead["msg_id"], dead["attempts"], dead["error_class"]) == (msg_id, 3, "RetryableError")
    assert "still failing on attempt 3" in dead["error"]
    assert archive_row(db, "payments", msg_id) is not None


def test_a_message_read_too_often_without_an_outcome_is_dead_lettered_without_running(
    db: psycopg.Connection[Any], drain: Callable[..., Runner]
) -> None:
    msg_id = enqueue(db, "payments", {"type": "test.record", "key": "poison"})
    # as if five workers had crashed while handling it
    db.execute("update pgmq.q_payments set read_ct = 5 where msg_id = %s", (msg_id,))
    drain(retry=RetryPolicy(max_attempts=5, base_seconds=0.05, cap_seconds=1.0))
    assert effect_rows(db, "poison") == []
    ((_, dead),) = dlq_messages(db, "payments")
    assert (dead["msg_id"], dead["error_class"], dead["attempts"]) == (
        msg_id,
        "AttemptsExhausted",
        6,
    )


def test_a_replayed_dead_letter_is_processed_exactly_once(
    db: psycopg.Connection[Any], drain: Callable[..., Runner]
) -> None:
    msg_id = enqueue(db, "payments", {"type": "test.until_fixed", "key": "later"})
    drain()
    ((dlq_id, _),) = dlq_messages(db, "payments")
    db.execute("insert into public.test_fixes values ('later')")
    ((replayed_from, new_id),) = db.execute(
        "select * from internal.dlq_replay('payments', %s, null, 'cli')", (dlq_id,)
    ).fetchall()
    assert replayed_from == dlq_id and new_id != msg_id
    drain()
    drain()
    assert effect_rows(db, "later") == [(new_id, 1, "until_fixed")]
    assert dlq_messages(db, "payments") == []


def test_handlers_run_concurrently_up_to_the_limit_and_no_further(
    db: psycopg.Connection[Any], worker_url: str
) -> None:
    db.execute("select pg_advisory_lock(7001)")
    for i in range(6):
        enqueue(db, "payments", {"type": "test.blocked", "key": f"c{i}", "lock": 7001})
    runner = Runner(
        worker_url, Options(queues=("payments",), batch_size=10, concurrency=3, once=True)
    )
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(runner.run()))
    thread.start()
    try:
        waiting.until(lambda: blocked_handlers(db) == 3, what="three handlers waiting")
        # the other three messages are in hand but not started: still three waiting
        assert blocked_handlers(db) == 3
    finally:
        db.execute("select pg_advisory_unlock(7001)")
        thread.join(timeout=60)
    assert result == [0]
    assert db.execute("select count(*) from public.test_effects").fetchone() == (6,)


def test_a_long_handler_keeps_its_message_invisible_past_the_visibility_timeout(
    db: psycopg.Connection[Any], worker_url: str
) -> None:
    db.execute("select pg_advisory_lock(7002)")
    msg_id = enqueue(db, "payments", {"type": "test.blocked", "key": "long", "lock": 7002})
    runner = Runner(worker_url, Options(queues=("payments",), batch_size=10, vt=1, once=True))
    thread = threading.Thread(target=runner.run)
    thread.start()
    try:
        waiting.until(lambda: blocked_handlers(db) == 1, what="the handler to start")
        first_vt = vt_of(db, msg_id)
        # the heartbeat pushes the vt forward, twice, while the handler still runs
        second_vt = waiting.until(
            lambda: (v := vt_of(db, msg_id)) > first_vt and v, what="a heartbeat"
        )
        waiting.until(lambda: vt_of(db, msg_id) > second_vt, what="another heartbeat")
        visible = db.execute(
            "select count(*) from pgmq.q_payments where vt <= clock_timestamp()"
        ).fetchone()
        assert visible == (0,), "no second worker could read it while it is in hand"
    finally:
        db.execute("select pg_advisory_unlock(7002)")
        thread.join(timeout=60)
    assert effect_rows(db, "long") == [(msg_id, 1, "blocked")]


def test_old_archive_rows_are_purged_when_the_worker_starts(
    db: psycopg.Connection[Any], drain: Callable[..., Runner]
) -> None:
    old = enqueue(db, "payments", {"type": "test.record", "key": "old"})
    drain()
    db.execute(
        "update pgmq.a_payments set archived_at = now() - interval '8 days' where msg_id = %s",
        (old,),
    )
    recent = enqueue(db, "payments", {"type": "test.record", "key": "recent"})
    drain(archive_retention_days=7)
    assert archive_row(db, "payments", old) is None
    assert archive_row(db, "payments", recent) is not None


def blocked_handlers(db: psycopg.Connection[Any]) -> int:
    row = db.execute(
        "select count(*) from pg_locks where locktype = 'advisory' and not granted "
        "and database = (select oid from pg_database where datname = current_database())"
    ).fetchone()
    assert row is not None
    return int(row[0])


def vt_of(db: psycopg.Connection[Any], msg_id: int) -> Any:
    row = db.execute("select vt from pgmq.q_payments where msg_id = %s", (msg_id,)).fetchone()
    assert row is not None
    return row[0]


def test_a_batched_handler_must_run_in_the_runners_transaction() -> None:
    with pytest.raises(ValueError, match="transaction=True"):
        registry.register(
            "test.batched_own_tx", lambda ctx, body: None, transaction=False, batch=True
        )
    assert registry.lookup("test.batched_own_tx") is None
