"""The rollups per area (app.analytics_area_hours, _days and _weeks, folded from the placed deltas):
the same figures as every provider's rows placed where it is now, in any zone, before and
after the compaction and a rebuild; a move (or redrawn neighbourhoods) carries the provider's
history, and is ordered against the open writes of its provider by the place's advisory lock."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from tests.db.test_analytics import TORONTO, Run, drift, raw_bookings, rows_of, span
from tests.helpers import booking as bk
from tests.helpers import catalog

FIGURES = [
    "bookings",
    "completed",
    "no_show",
    "cancelled",
    "booked_cents",
    "captured_cents",
    "refunded_cents",
    "fees_kept_cents",
    "net_cents",
    "outstanding_cents",
]
AREAS = "select * from api.analytics_areas(%s, %s, %s, %s, %s, %s)"


def areas(
    db: psycopg.Connection[Any],
    ops: Any,
    first: Any,
    last: Any,
    tz: str = "UTC",
    cell: str = "0.02",
    category: str | None = None,
    kind: str = "grid",
) -> list[dict[str, Any]]:
    return rows_of(db, "ops", ops, AREAS, first, last, tz, Decimal(cell), category, kind)


def coarser(rows: list[dict[str, Any]], cell: Decimal) -> dict[tuple[str, str, str], list[int]]:
    """Cells of 0.02 degrees summed into cells of a multiple of it, named as the database
    names a cell (its south-west corner at the cell's scale)."""
    out: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0] * len(FIGURES))
    for r in rows:
        lat, lng = (Decimal(x) for x in r["area"].split(","))
        name = f"{(lat / cell).__floor__() * cell},{(lng / cell).__floor__() * cell}"
        key = (name, r["category"], r["currency"])
        out[key] = [a + r[f] for a, f in zip(out[key], FIGURES, strict=True)]
    return {k: v for k, v in out.items() if any(v)}


def keyed(rows: list[dict[str, Any]]) -> dict[tuple[str, str, str], list[int]]:
    return {(r["area"], r["category"], r["currency"]): [r[f] for f in FIGURES] for r in rows}


def stored_areas(db: psycopg.Connection[Any]) -> tuple[list[Any], list[Any], list[Any]]:
    nonzero = (
        "where bookings <> 0 or captured_cents <> 0 or refunded_cents <> 0 "
        "or outstanding_cents <> 0 or booked_cents <> 0"
    )
    order = "kind, area, category_id, currency"
    return (
        db.execute(
            f"select * from app.analytics_area_hours {nonzero} order by hour, {order}"
        ).fetchall(),
        db.execute(
            f"select * from app.analytics_area_days {nonzero} order by day, {order}"
        ).fetchall(),
        db.execute(
            f"select * from app.analytics_area_weeks {nonzero} order by week, {order}"
        ).fetchall(),
    )


@pytest.fixture
def moved_run(db: psycopg.Connection[Any]) -> Run:
    """A random run with providers moving between bookings, payments and cancellations."""
    r = Run(db, seed=31)
    for _ in range(4):
        r.book()
    for i in range(60):
        r.step()
        if i % 6 == 5:
            r.relocate()
    assert len({s.provider_id for s in r.shops}) >= 3
    return r


@pytest.mark.parametrize("tz", ["UTC", "America/Toronto"])
def test_areas_from_the_rollups_equal_every_providers_rows_placed_now(
    db: psycopg.Connection[Any], moved_run: Run, tz: str
) -> None:
    """The default cell (rollups per area) summed into cells of 0.04 degrees equals the cells of
    0.04 counted from every provider's hourly rows (the other path), with the deltas waiting and
    after they are folded; a zone whose days are not UTC days reads the edge hours."""
    bookings = raw_bookings(db)
    first, last = span(bookings, TORONTO)
    ops = moved_run.ops
    for _ in range(2):
        fine = areas(db, ops, first, last, tz)
        assert coarser(fine, Decimal("0.04")) == keyed(areas(db, ops, first, last, tz, "0.04"))
        assert len({r["area"] for r in fine}) >= 2 and sum(r["bookings"] for r in fine) > 0
        one = areas(db, ops, first, last, tz, category="haircut")
        assert one and {r["category"] for r in one} == {"haircut"}
        assert keyed(one) == {k: v for k, v in keyed(fine).items() if k[1] == "haircut"}
        db.execute("select internal.analytics_compact()")
    assert db.execute("select count(*) from app.analytics_deltas").fetchone() == (0,)
    assert drift(db) == []


@pytest.mark.parametrize("tz", ["UTC", "America/Toronto"])
def test_a_range_of_whole_weeks_reads_what_its_days_read_one_by_one(
    db: psycopg.Connection[Any], moved_run: Run, tz: str
) -> None:
    """A range over whole UTC weeks (app.analytics_area_weeks), the days around them and the
    hours at its edges equals the sum of its days read one at a time (never a whole week):
    folded, and with deltas waiting on top of the folded rows."""
    first, last = span(raw_bookings(db), TORONTO)
    first, last = first - timedelta(days=8), last + timedelta(days=8)
    ops = moved_run.ops
    for fold in (True, False):
        if fold:
            db.execute("select internal.analytics_compact()")
            weeks = db.execute(
                "select count(*) from app.analytics_area_weeks where bookings <> 0 "
                "and week > %s and week + 7 <= %s",
                (first, last),
            ).fetchone()
            assert weeks is not None and weeks[0] > 0
        else:
            for _ in range(12):
                moved_run.step()
            assert db.execute("select count(*) from app.analytics_deltas").fetchone() != (0,)
        summed: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0] * len(FIGURES))
        day = first
        while day <= last:
            for k, v in keyed(areas(db, ops, day, day, tz)).items():
                summed[k] = [a + b for a, b in zip(summed[k], v, strict=True)]
            day += timedelta(days=1)
        whole = keyed(areas(db, ops, first, last, tz))
        assert whole and whole == {k: v for k, v in summed.items() if any(v)}


def test_a_rebuild_writes_the_very_area_rows_the_compaction_folded(
    db: psycopg.Connection[Any], moved_run: Run
) -> None:
    db.execute("select internal.analytics_compact()")
    before = stored_areas(db)
    assert before[0] and before[1] and before[2]
    db.execute("select internal.analytics_rebuild()")
    assert stored_areas(db) == before


def _waiting_on_advisory(db: psycopg.Connection[Any], pid: int) -> bool:
    row = db.execute(
        "select wait_event_type = 'Lock' and wait_event = 'advisory' from pg_stat_activity "
        "where pid = %s",
        (pid,),
    ).fetchone()
    return bool(row and row[0])


def _until(check: Any, what: str) -> None:
    deadline = time.monotonic() + 30
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


PLATEAU = (45.5225, -73.5810)
VERDUN = (45.4590, -73.5710)


def _cell_bookings(db: psycopg.Connection[Any], ops: Any, day: str) -> dict[str, int]:
    return {r["area"]: r["bookings"] for r in areas(db, ops, day, day, kind="neighbourhood")}


@pytest.mark.parametrize("first", ["booking", "move"])
def test_a_move_and_an_open_booking_of_its_provider_wait_for_each_other(
    db: psycopg.Connection[Any], db_url: str, first: str
) -> None:
    """A booking still open when its provider moves: the move waits for it and carries it; a
    move still open when a booking comes: the booking waits and is placed where the provider
    went. Either way the booking ends up in the new neighbourhood, once."""
    from tests.helpers.factories import create_user

    ops = create_user(db, "ops")
    shop = bk.open_shop(db, lat=PLATEAU[0], lng=PLATEAU[1])
    earlier = catalog.add_booking(db, shop.service_id, datetime(2026, 6, 10, 15, tzinfo=TORONTO))
    assert earlier
    assert _cell_bookings(db, ops, "2026-06-10") == {"plateau-mont-royal": 1}
    start = datetime(2026, 6, 10, 16, tzinfo=TORONTO)
    with psycopg.connect(db_url) as one, psycopg.connect(db_url) as two:
        waiting = two.info.backend_pid
        move = "update app.providers set lat = %s, lng = %s where id = %s"
        if first == "booking":
            catalog.add_booking(one, shop.service_id, start)  # its transaction stays open
            late, late_sql = two, (move, (*VERDUN, shop.provider_id))
        else:
            one.execute(move, (*VERDUN, shop.provider_id))  # the move stays open
            late, late_sql = two, None
        done = threading.Event()

        def second() -> None:
            if late_sql is not None:
                late.execute(*late_sql)
            else:
                catalog.add_booking(late, shop.service_id, start)
            late.commit()
            done.set()

        t = threading.Thread(target=second)
        t.start()
        _until(lambda: _waiting_on_advisory(db, waiting), "the second waits on the place's lock")
        assert not done.is_set()
        one.commit()
        t.join(30)
        assert done.is_set()
    assert _cell_bookings(db, ops, "2026-06-10") == {"verdun": 2}
    assert drift(db) == []
    db.execute("select internal.analytics_compact()")
    assert _cell_bookings(db, ops, "2026-06-10") == {"verdun": 2}
    assert drift(db) == []


def test_redrawn_neighbourhoods_move_the_history_of_every_provider_in_them(
    db: psycopg.Connection[Any], moved_run: Run
) -> None:
    bookings = raw_bookings(db)
    first, last = span(bookings, TORONTO)
    ops = moved_run.ops
    before = keyed(areas(db, ops, first, last, kind="neighbourhood"))
    gone = {k[0] for k in before} - {"other"}
    assert gone
    slug = sorted(gone)[0]
    db.execute("delete from app.areas where slug = %s", (slug,))
    after = keyed(areas(db, ops, first, last, kind="neighbourhood"))
    assert slug not in {k[0] for k in after}
    # what was in it is in "other" now, the rest where it was
    moved: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0] * len(FIGURES))
    for (area, category, currency), v in before.items():
        key = ("other" if area == slug else area, category, currency)
        moved[key] = [a + b for a, b in zip(moved[key], v, strict=True)]
    assert after == dict(moved)
    assert drift(db) == []
