"""The worker folds the analytics deltas into the rollups across providers after its sweep."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg

from tests.helpers import booking as bk
from tests.helpers import catalog
from worker.runner import Runner


def one(db: psycopg.Connection[Any], sql: str) -> Any:
    row = db.execute(sql).fetchone()
    assert row is not None
    return row[0]


def test_the_worker_folds_the_analytics_deltas_after_its_sweep(
    db: psycopg.Connection[Any], drain: Callable[..., Runner]
) -> None:
    shop = bk.open_shop(db)
    for hour in (15, 16):
        catalog.add_booking(db, shop.service_id, datetime(2026, 6, 10, hour, tzinfo=UTC))
    assert one(db, "select count(*) from app.analytics_deltas") == 2
    drain()
    assert one(db, "select count(*) from app.analytics_deltas") == 0
    assert one(db, "select sum(bookings) from app.analytics_hours") == 2
    assert one(db, "select sum(bookings) from app.analytics_days where day = '2026-06-10'") == 2
    assert db.execute("select * from internal.analytics_drift()").fetchall() == []
