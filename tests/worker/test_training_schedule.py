"""The worker trains the ranking and the quality model on a schedule (worker/learn/schedule.py):
with a short interval a running worker records a quality version and activates it because it
beat the active one, leaves the ranking alone without enough choices, and a round another
worker holds is skipped."""

from __future__ import annotations

import threading
from typing import Any

import psycopg

from tests.helpers import waiting
from tests.helpers.db import one
from tests.helpers.quality import seed
from worker.learn import schedule
from worker.runner import Options, Runner


def test_a_running_worker_trains_on_its_schedule_and_ships_only_a_better_version(
    db: psycopg.Connection[Any], worker_url: str
) -> None:
    seed(db, shops=7, per_shop=100, seed_value=13)
    runner = Runner(worker_url, Options(queues=("payments",), train_seconds=0.5, sweep_seconds=0))
    thread = threading.Thread(target=runner.run)
    thread.start()
    try:
        waiting.until(
            lambda: one(db, "select max(version) from app.quality_versions where is_active") == 2,
            timeout=120,
            what="the scheduled training to ship quality version 2",
        )
        # the next round trains again and records another version (shipped only if it beat
        # the active one on its held-out bookings)
        waiting.until(
            lambda: one(db, "select count(*) from app.quality_versions") >= 3,
            timeout=120,
            what="a second scheduled round",
        )
    finally:
        runner.stop()
        thread.join(timeout=60)
    assert not thread.is_alive()
    assert one(db, "select count(*) from app.quality_versions where is_active") == 1
    actions = one(
        db,
        "select array_agg(distinct actor_role) from audit.action_log where action = 'quality.activated'",
    )
    assert actions == ["bookiji_worker"]  # the worker's own login, through the definer entry points
    # no logged choices: the ranking is left as it was
    assert one(db, "select max(version) from app.ranking_versions") == 2


def test_a_round_another_worker_holds_is_skipped(
    db: psycopg.Connection[Any], worker_url: str
) -> None:
    db.execute("select pg_advisory_lock(hashtext(%s))", (schedule.LOCK,))
    try:
        assert schedule.run(worker_url) is None
    finally:
        db.execute("select pg_advisory_unlock(hashtext(%s))", (schedule.LOCK,))
    # free again: a round runs (and trains nothing on an empty log)
    assert schedule.run(worker_url) == {"rank": 1, "quality": 1}
