"""The worker's training schedule: every ``WORKER_TRAIN_SECONDS`` (a day by default; 0:
never), train the quote's ranking and the quality model on the database's log, record each
as a new version and activate it only if it beat the active one offline (the rule of
internal.activate_ranking_version and internal.activate_quality_version).

One worker trains at a time: a round takes a session advisory lock, and a worker that does
not get it skips the round (several workers share a database). Each model's round is one
transaction: a version is recorded and activated together, or not at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import psycopg

from worker.learn import quality, rank

log = logging.getLogger("worker.learn")

LOCK = "bookiji.learn.schedule"


@dataclass(frozen=True)
class Plan:
    """What a round trains on: the windows, the held-out share and the minimum data."""

    rank_days: float = 28.0
    rank_min_choices: int = 200
    quality_days: float = 180.0
    quality_min_bookings: int = 500
    holdout: float = 0.25


def train_once(conn: psycopg.Connection[Any], plan: Plan) -> dict[str, int] | None:
    """One round on ``conn`` (autocommit): the exit status of each model's training, or
    None when another worker holds the round."""
    got = conn.execute("select pg_try_advisory_lock(hashtext(%s))", (LOCK,)).fetchone()
    if not got or not got[0]:
        log.info("training: another worker is training; skipped")
        return None
    try:
        results = {}
        with conn.transaction():
            results["rank"] = rank.run(
                conn,
                plan.rank_days,
                plan.holdout,
                plan.rank_min_choices,
                activate=True,
                note="worker schedule",
                out=log.info,
            )
        with conn.transaction():
            results["quality"] = quality.run(
                conn,
                plan.quality_days,
                plan.holdout,
                plan.quality_min_bookings,
                activate=True,
                note="worker schedule",
                out=log.info,
            )
        return results
    finally:
        conn.execute("select pg_advisory_unlock(hashtext(%s))", (LOCK,))


def run(url: str, plan: Plan | None = None) -> dict[str, int] | None:
    """One round on a connection of its own."""
    with psycopg.connect(url, autocommit=True) as conn:
        return train_once(conn, plan or Plan())
