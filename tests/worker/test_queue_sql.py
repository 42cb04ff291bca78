"""The queue functions in SQL: enqueue (the outbox), purge, stats, grants and the DLQ CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.helpers.db import acting_as
from tests.worker.conftest import dlq_messages, enqueue, queue_row
from worker.runner import Runner


def test_enqueue_sends_the_message_and_no_notification(
    db: psycopg.Connection[Any], db_url: str
) -> None:
    """No NOTIFY: it would serialise every enqueuing transaction's commit (the worker polls)."""
    with psycopg.connect(db_url, autocommit=True) as listener:
        listener.execute("listen bookiji_queue")
        with db.transaction():
            msg_id = enqueue(db, "payments", {"type": "payment.create_intent", "booking_id": 1})
        # a control on the same channel, sent after the enqueue's commit: when it arrives,
        # anything the enqueue's commit sent would have arrived before it
        db.execute("notify bookiji_queue, 'control'")
        notes = list(listener.notifies(timeout=5, stop_after=1))
    assert [(n.channel, n.payload) for n in notes] == [("bookiji_queue", "control")]
    row = queue_row(db, "payments", msg_id)
    assert row is not None
    assert row[2] == {"type": "payment.create_intent", "booking_id": 1}


def test_a_rolled_back_transaction_enqueues_nothing(db: psycopg.Connection[Any]) -> None:
    with pytest.raises(RuntimeError), db.transaction():
        enqueue(db, "notifications", {"type": "email.welcome"})
        raise RuntimeError("the state change failed")
    assert db.execute("select count(*) from pgmq.q_notifications").fetchone() == (0,)


def test_enqueue_with_a_delay_keeps_the_message_invisible_until_then(
    db: psycopg.Connection[Any],
) -> None:
    msg_id = enqueue(db, "notifications", {"type": "email.reminder"}, delay=3600)
    row = db.execute(
        "select vt > now() + interval '59 minutes' from pgmq.q_notifications where msg_id = %s",
        (msg_id,),
    ).fetchone()
    assert row == (True,)


@pytest.mark.parametrize(
    ("queue", "message", "delay", "field"),
    [
        ("bookings", {"type": "x"}, 0, "queue"),
        ("payments_dlq", {"type": "x"}, 0, "queue"),
        ("payments'; drop table pgmq.q_payments; --", {"type": "x"}, 0, "queue"),
        ("payments", [1, 2], 0, "message"),
        ("payments", {"kind": "x"}, 0, "message"),
        ("payments", {"type": ""}, 0, "message"),
        ("payments", {"type": 3}, 0, "message"),
        ("payments", {"type": "x"}, -1, "delay_seconds"),
    ],
)
def test_enqueue_refuses_bad_input_naming_the_field(
    db: psycopg.Connection[Any], queue: str, message: Any, delay: int, field: str
) -> None:
    with pytest.raises(psycopg.Error) as err:
        db.execute(
            "select internal.enqueue(%s, %s::jsonb, %s)", (queue, json.dumps(message), delay)
        )
    assert err.value.sqlstate == "PT400"
    assert err.value.diag.message_hint == "invalid_input"
    assert (err.value.diag.message_primary or "").startswith(field)
    assert db.execute("select to_regclass('pgmq.q_payments') is not null").fetchone() == (True,)


def test_the_worker_may_enqueue_but_api_roles_may_not(
    db: psycopg.Connection[Any], worker_url: str
) -> None:
    with psycopg.connect(worker_url, autocommit=True) as w:
        w.execute("""select internal.enqueue('notifications', '{"type": "x"}')""")
    for role in ("anon", "customer", "provider", "ops"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege), acting_as(db, role):
            db.execute("""select internal.enqueue('notifications', '{"type": "x"}')""")


def test_api_roles_cannot_reach_the_definer_dlq_functions_directly(
    db: psycopg.Connection[Any],
) -> None:
    for role in ("anon", "customer", "provider"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege), acting_as(db, role):
            db.execute("select internal.dlq_replay('payments', null, null, 'forged')")


def test_purge_removes_only_archive_rows_older_than_asked(
    db: psycopg.Connection[Any], worker_url: str
) -> None:
    ids = [enqueue(db, q, {"type": "x"}) for q in ("payments", "notifications", "payments")]
    for q, msg_id in zip(("payments", "notifications", "payments"), ids, strict=True):
        db.execute("select pgmq.archive(%s, %s::bigint)", (q, msg_id))
    db.execute("select pgmq.send('payments_dlq', '{}'::jsonb)")
    db.execute("select pgmq.archive('payments_dlq', 1::bigint)")
    db.execute("update pgmq.a_payments set archived_at = now() - interval '10 days'")
    db.execute("update pgmq.a_payments_dlq set archived_at = now() - interval '10 days'")
    with psycopg.connect(worker_url, autocommit=True) as w:
        deleted = w.execute("select internal.purge_archives(interval '7 days')").fetchone()
    assert deleted == (3,)
    assert db.execute("select count(*) from pgmq.a_notifications").fetchone() == (1,)
    with pytest.raises(psycopg.Error) as err:
        db.execute("select internal.purge_archives(interval '-1 day')")
    assert err.value.diag.message_hint == "invalid_input"


def test_queue_stats_reports_every_queue_and_its_dead_letter_twin(
    db: psycopg.Connection[Any],
) -> None:
    enqueue(db, "payments", {"type": "x"})
    rows = db.execute("select queue_name, queue_length from internal.queue_stats()").fetchall()
    assert rows == [
        ("payments", 1),
        ("payments_dlq", 0),
        ("notifications", 0),
        ("notifications_dlq", 0),
    ]


@pytest.mark.usefixtures("effects")
def test_an_operator_at_psql_lists_shows_discards_and_replays_dead_letters_as_actor_cli(
    db: psycopg.Connection[Any], drain: Callable[..., Runner]
) -> None:
    """When the API is down, ops call internal.dlq_* from `bookiji db psql`
    (docs/operations.md); such calls are audited as the actor 'cli'."""
    enqueue(db, "payments", {"type": "test.bug", "key": "c1"})
    enqueue(db, "payments", {"type": "test.until_fixed", "key": "c2"})
    drain()
    by_key = {m["original"]["key"]: msg_id for msg_id, m in dlq_messages(db, "payments")}
    first, second = by_key["c1"], by_key["c2"]

    listed = db.execute(
        "select msg_id from internal.dlq_list('payments', 'ZeroDivisionError', 50)"
    ).fetchall()
    assert listed == [(first,)]

    row = db.execute("select internal.dlq_show('payments', %s)", (second,)).fetchone()
    assert row is not None and row[0]["message"]["original"]["key"] == "c2"

    db.execute("select internal.dlq_discard('payments', %s, 'test', null, 'cli', null)", (first,))

    db.execute("insert into public.test_fixes values ('c2')")
    replayed = db.execute(
        "select dlq_msg_id from internal.dlq_replay('payments', null, null, 'cli', null)"
    ).fetchall()
    assert replayed == [(second,)]
    drain()
    assert db.execute("select key from public.test_effects").fetchall() == [("c2",)]

    actions = db.execute(
        "select action, actor_id, actor_role, row_id from audit.action_log order by id"
    ).fetchall()
    assert actions == [
        ("dlq_discard", None, "cli", str(first)),
        ("dlq_replay", None, "cli", str(second)),
    ]

    with pytest.raises(psycopg.Error) as err:
        db.execute("select * from internal.dlq_list('bookings', null, 50)")
    assert err.value.diag.message_primary == "queue must be one of: payments, notifications"
    assert err.value.diag.message_hint == "invalid_input"
