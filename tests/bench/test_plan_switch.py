"""`bookiji plan-switch` (bench/plan_switch.py) on the demo data: every read it lists is called
as its role, in one connection, often enough to pass PL/pgSQL's switch to generic plans, and
writes nothing. Never about time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

import bookiji_seed as seed
from bench import plan_switch
from bench.scenarios.analytics import OPS_EMAIL
from tests.helpers import catalog


def test_every_read_is_called_as_its_role_and_writes_nothing(
    db: psycopg.Connection[Any], db_url: str
) -> None:
    seed.load_demo(db)
    service = db.execute(
        "select s.id from app.services s where s.is_active order by s.id limit 1"
    ).fetchone()
    assert service is not None
    tomorrow = datetime.now(UTC).replace(hour=15, minute=0, second=0, microsecond=0) + timedelta(
        days=1
    )
    catalog.add_booking(db, service[0], tomorrow)
    bookings = db.execute("select count(*) from app.bookings").fetchone()
    figures = plan_switch.run(db_url, calls=7, only=None)
    roles = {f.read.role for f in figures}
    assert roles == {"ops", "provider", "customer", "anon"}
    assert len(figures) == len(plan_switch.reads(plan_switch.subjects(db), datetime.now().date()))
    assert all(f.custom_ms >= 0 and f.later_ms >= 0 for f in figures)
    # the busiest provider's own reads see its booking
    [own] = [
        f for f in figures if f.read.sql.startswith("select * from api.my_provider_bookings()")
    ]
    assert own.rows >= 1
    # an ops account made for it, and nothing else written
    assert db.execute(
        "select count(*) from app.users where email = %s", (OPS_EMAIL,)
    ).fetchone() == (1,)
    assert db.execute("select count(*) from app.bookings").fetchone() == bookings
    # --only narrows the list
    only = plan_switch.run(db_url, calls=7, only="analytics_today")
    assert [f.read.role for f in only] == ["ops", "provider"]


def test_a_read_is_marked_slower_past_the_flag() -> None:
    read = plan_switch.Read(
        "ops", "select * from api.analytics_overview('2026-01-01', '2026-01-31')"
    )
    slow = plan_switch.Figures(read, custom_ms=10.0, later_ms=40.0, rows=3)
    same = plan_switch.Figures(read, custom_ms=10.0, later_ms=11.0, rows=3)
    assert slow.ratio == 4.0 and "SLOWER" in plan_switch.report_line(slow, 1.5)
    assert "SLOWER" not in plan_switch.report_line(same, 1.5)
    assert "analytics_overview('2026-01-01'" in plan_switch.report_line(same, 1.5)
