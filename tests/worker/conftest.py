"""Worker fixtures: the test tables, the worker's own login, in-process and real worker runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.helpers import stack
from tests.worker import handlers
from worker.retry import RetryPolicy
from worker.runner import Options, Runner

FAST_RETRY = RetryPolicy(max_attempts=5, base_seconds=0.05, cap_seconds=1.0)


@pytest.fixture
def effects(db: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    """The test handlers' tables in this test's database; returns the superuser connection."""
    db.execute(handlers.TABLES)
    return db


@pytest.fixture
def worker_url(db: psycopg.Connection[Any]) -> str:
    return stack.worker_url(db.info.dbname)


def enqueue(
    db: psycopg.Connection[Any], queue: str, message: dict[str, Any], delay: int = 0
) -> int:
    row = db.execute(
        "select internal.enqueue(%s, %s::jsonb, %s)", (queue, json.dumps(message), delay)
    ).fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def drain(worker_url: str) -> Callable[..., Runner]:
    """Run the real worker loop in this process with --once semantics until the queues are empty."""

    def run(**overrides: Any) -> Runner:
        opts: dict[str, Any] = {
            "queues": ("payments", "notifications"),
            "batch_size": 10,
            "vt": 30,
            "concurrency": 4,
            "once": True,
            "retry": FAST_RETRY,
        }
        opts.update(overrides)
        runner = Runner(worker_url, Options(**opts))
        assert runner.run() == 0
        return runner

    return run


def effect_rows(db: psycopg.Connection[Any], key: str) -> list[tuple[Any, ...]]:
    return db.execute(
        "select msg_id, attempt, handler from public.test_effects where key = %s order by id",
        (key,),
    ).fetchall()


def queue_row(db: psycopg.Connection[Any], queue: str, msg_id: int) -> tuple[Any, ...] | None:
    return db.execute(
        psycopg.sql.SQL("select msg_id, read_ct, message from pgmq.{} where msg_id = %s").format(
            psycopg.sql.Identifier(f"q_{queue}")
        ),
        (msg_id,),
    ).fetchone()


def archive_row(db: psycopg.Connection[Any], queue: str, msg_id: int) -> tuple[Any, ...] | None:
    return db.execute(
        psycopg.sql.SQL("select msg_id, read_ct, message from pgmq.{} where msg_id = %s").format(
            psycopg.sql.Identifier(f"a_{queue}")
        ),
        (msg_id,),
    ).fetchone()


def dlq_messages(db: psycopg.Connection[Any], queue: str) -> list[tuple[int, dict[str, Any]]]:
    rows = db.execute(
        psycopg.sql.SQL("select msg_id, message from pgmq.{} order by msg_id").format(
            psycopg.sql.Identifier(f"q_{queue}_dlq")
        )
    ).fetchall()
    return [(int(r[0]), r[1]) for r in rows]
