"""The offered time kept per provider and local day (app.analytics_offered_days), the
utilisation's denominator: after random changes of weekly hours, time off and zones it equals
a recount (the SQL definition and one in Python), performance reads the same figures from it
as counted live, the window moves forward, and rebuild and drift cover it."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from tests.db.test_analytics import rows_of
from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.db import as_user
from tests.helpers.factories import create_user

ZONES = ["America/Toronto", "Asia/Kolkata", "Pacific/Auckland", "Europe/Paris"]
# an exclusion violation, at owner level or through the API (409 conflict)
OVERLAP = {"23P01", "PT409"}


def offered_drift(db: psycopg.Connection[Any]) -> list[Any]:
    return db.execute(
        "select * from internal.analytics_drift() where rollup = 'offered_days'"
    ).fetchall()


def window(db: psycopg.Connection[Any]) -> tuple[date, date]:
    row = db.execute("select first_day, last_day from app.analytics_offered_window").fetchone()
    assert row is not None
    return row[0], row[1]


def performance(
    db: psycopg.Connection[Any], ops: Any, first: date, last: date, provider: Any = None
) -> list[dict[str, Any]]:
    return rows_of(
        db,
        "ops",
        ops,
        "select * from api.analytics_performance(%s, %s, %s, page_size => 1000)",
        first,
        last,
        provider,
    )


def _union(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _minus(
    spans: list[tuple[datetime, datetime]], cuts: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    for clo, chi in cuts:
        kept: list[tuple[datetime, datetime]] = []
        for lo, hi in spans:
            if chi <= lo or clo >= hi:
                kept.append((lo, hi))
                continue
            if lo < clo:
                kept.append((lo, clo))
            if chi < hi:
                kept.append((chi, hi))
        spans = kept
    return spans


def recount_offered_minutes(
    db: psycopg.Connection[Any], provider_id: Any, first: date, last: date
) -> int:
    """Weekly hours on each local day of [first, last] in the provider's zone, minus time off,
    counted in Python from the base rows."""
    [(zone_name,)] = db.execute(
        "select time_zone from app.providers where id = %s", (provider_id,)
    ).fetchall()
    zone = ZoneInfo(zone_name)
    hours = db.execute(
        "select day_of_week, start_time, end_time from app.weekly_hours where provider_id = %s",
        (provider_id,),
    ).fetchall()
    off = [
        (lo, hi)
        for lo, hi in db.execute(
            "select lower(during), upper(during) from app.time_off where provider_id = %s",
            (provider_id,),
        ).fetchall()
    ]
    spans = []
    day = first
    while day <= last:
        dow = (day.weekday() + 1) % 7  # PostgreSQL: 0 = Sunday
        for d, start, end in hours:
            if d == dow:
                spans.append(
                    (
                        datetime.combine(day, start, zone).astimezone(UTC),
                        datetime.combine(day, end, zone).astimezone(UTC),
                    )
                )
        day += timedelta(days=1)
    seconds = sum((hi - lo).total_seconds() for lo, hi in _minus(_union(spans), off))
    return int(seconds // 60)


class Schedules:
    """Random owner-level and self-service changes of providers' hours, time off and zones."""

    def __init__(self, db: psycopg.Connection[Any], seed: int) -> None:
        self.db = db
        self.rng = random.Random(seed)
        self.shops = [bk.open_shop(db) for _ in range(4)]
        first, last = window(db)
        self.lo = datetime.combine(first, time(0), UTC) - timedelta(days=5)
        self.span_days = (last - first).days + 10

    def _shop(self) -> Any:
        return self.rng.choice(self.shops)

    def _try(self, sql: str, args: tuple[Any, ...]) -> None:
        try:
            with self.db.transaction():
                self.db.execute(sql, args)
        except psycopg.Error as e:
            if e.sqlstate not in OVERLAP:
                raise  # only an overlap with hours or time off it already has is expected

    def _hours(self) -> tuple[time, time]:
        start = self.rng.randrange(6 * 4, 20 * 4) * 15
        length = self.rng.randrange(2, 16) * 15
        return time(start // 60, start % 60), time((start + length) // 60, (start + length) % 60)

    def _instant(self) -> datetime:
        return self.lo + timedelta(
            days=self.rng.randrange(self.span_days), seconds=self.rng.randrange(86400)
        )

    def add_hours(self) -> None:
        start, end = self._hours()
        self._try(
            "insert into app.weekly_hours (provider_id, day_of_week, start_time, end_time) "
            "values (%s, %s, %s, %s)",
            (self._shop().provider_id, self.rng.randrange(7), start, end),
        )

    def add_hours_as_the_provider(self) -> None:
        shop = self._shop()
        start, end = self._hours()
        try:
            with as_user(self.db, "provider", shop.owner_id):
                self.db.execute(
                    "insert into api.my_weekly_hours (provider_id, day_of_week, start_time, end_time) "
                    "values (%s, %s, %s, %s)",
                    (shop.provider_id, self.rng.randrange(7), start, end),
                )
        except psycopg.Error as e:
            if e.sqlstate not in OVERLAP:
                raise  # only the overlap, as the API refuses it (409)

    def move_hours(self) -> None:
        start, end = self._hours()
        self._try(
            "update app.weekly_hours set start_time = %s, end_time = %s where id = ("
            "select id from app.weekly_hours where provider_id = %s order by random() limit 1)",
            (start, end, self._shop().provider_id),
        )

    def delete_hours(self) -> None:
        self.db.execute(
            "delete from app.weekly_hours where id = ("
            "select id from app.weekly_hours where provider_id = %s order by random() limit 1)",
            (self._shop().provider_id,),
        )

    def replace_week(self) -> None:
        """One statement removes a provider's week, one adds a new one (several rows)."""
        shop = self._shop()
        self.db.execute("delete from app.weekly_hours where provider_id = %s", (shop.provider_id,))
        days = self.rng.sample(range(7), self.rng.randrange(1, 6))
        start, end = self._hours()
        self.db.execute(
            "insert into app.weekly_hours (provider_id, day_of_week, start_time, end_time) "
            "select %s, d, %s, %s from unnest(%s::smallint[]) as d",
            (shop.provider_id, start, end, days),
        )

    def add_time_off(self) -> None:
        lo = self._instant()
        self._try(
            "insert into app.time_off (provider_id, during) values (%s, tstzrange(%s, %s))",
            (
                self._shop().provider_id,
                lo,
                lo + timedelta(seconds=self.rng.randrange(600, 3 * 86400)),
            ),
        )

    def add_time_off_as_the_provider(self) -> None:
        shop = self._shop()
        lo = self._instant()
        try:
            with as_user(self.db, "provider", shop.owner_id):
                self.db.execute(
                    "insert into api.my_time_off (provider_id, during, reason) "
                    "values (%s, tstzrange(%s, %s), 'away')",
                    (shop.provider_id, lo, lo + timedelta(hours=self.rng.randrange(1, 30))),
                )
        except psycopg.Error as e:
            if e.sqlstate not in OVERLAP:
                raise  # only an overlap with its time off (409)

    def move_time_off(self) -> None:
        lo = self._instant()
        self._try(
            "update app.time_off set during = tstzrange(%s, %s) where id = ("
            "select id from app.time_off where provider_id = %s order by random() limit 1)",
            (lo, lo + timedelta(hours=self.rng.randrange(1, 48)), self._shop().provider_id),
        )

    def delete_time_off(self) -> None:
        self.db.execute(
            "delete from app.time_off where id = ("
            "select id from app.time_off where provider_id = %s order by random() limit 1)",
            (self._shop().provider_id,),
        )

    def zone(self) -> None:
        self.db.execute(
            "update app.providers set time_zone = %s where id = %s",
            (self.rng.choice(ZONES), self._shop().provider_id),
        )

    def step(self) -> None:
        getattr(
            self,
            self.rng.choice(
                [
                    "add_hours",
                    "add_hours",
                    "add_hours_as_the_provider",
                    "move_hours",
                    "delete_hours",
                    "replace_week",
                    "add_time_off",
                    "add_time_off",
                    "add_time_off_as_the_provider",
                    "move_time_off",
                    "delete_time_off",
                    "zone",
                ]
            ),
        )()


def live_only(db: psycopg.Connection[Any]) -> None:
    """Keep no day: every read counts offered time live."""
    db.execute("update app.analytics_offered_window set last_day = first_day - 1")
    db.execute("delete from app.analytics_offered_days")


@pytest.mark.parametrize("seed", [20, 2020])
def test_after_random_schedule_changes_the_kept_days_equal_a_recount(
    db: psycopg.Connection[Any], seed: int
) -> None:
    s = Schedules(db, seed)
    for i in range(80):
        s.step()
        if i % 20 == 19:
            assert offered_drift(db) == []
    assert offered_drift(db) == []
    assert db.execute("select count(*) from app.analytics_offered_days").fetchone() != (0,)

    first, last = window(db)
    ops = create_user(db, "ops")
    # a month across the window's start, one inside it, one across its end; a year for one
    ranges = [
        (first - timedelta(days=10), first + timedelta(days=20)),
        (first + timedelta(days=40), first + timedelta(days=70)),
        (last - timedelta(days=15), last + timedelta(days=15)),
    ]
    kept = {r: performance(db, ops, *r) for r in ranges}
    year = {
        shop.provider_id: performance(
            db, ops, first - timedelta(days=100), first + timedelta(days=265), shop.provider_id
        )
        for shop in s.shops
    }
    for r in ranges:
        for row in kept[r]:
            assert row["offered_minutes"] == recount_offered_minutes(db, row["provider_id"], *r)
    for shop in s.shops:
        [row] = year[shop.provider_id]
        assert row["offered_minutes"] == recount_offered_minutes(
            db, shop.provider_id, first - timedelta(days=100), first + timedelta(days=265)
        )

    # the same reads with nothing kept (counted live from the hours and time off) are identical
    live_only(db)
    for r in ranges:
        assert performance(db, ops, *r) == kept[r]
    for shop in s.shops:
        assert (
            performance(
                db, ops, first - timedelta(days=100), first + timedelta(days=265), shop.provider_id
            )
            == year[shop.provider_id]
        )


def test_booked_minutes_and_utilisation_read_the_kept_days(db: psycopg.Connection[Any]) -> None:
    shop = bk.open_shop(db)  # every day 09:00-17:00 Toronto
    first, _ = window(db)
    day = first + timedelta(days=30)
    zone = ZoneInfo("America/Toronto")
    catalog.add_booking(
        db, shop.service_id, datetime.combine(day, time(10), zone), status="confirmed"
    )
    catalog.add_booking(
        db, shop.service_id, datetime.combine(day, time(16, 30), zone), status="completed"
    )
    # time off over the second booking's last half hour: it is not offered, so not booked either
    catalog.add_time_off(
        db,
        shop.provider_id,
        datetime.combine(day, time(16, 45), zone),
        datetime.combine(day, time(18), zone),
    )
    ops = create_user(db, "ops")
    [row] = performance(db, ops, day, day, shop.provider_id)
    assert row["offered_minutes"] == 8 * 60 - 15
    assert row["booked_minutes"] == 60 + 15
    assert db.execute(
        "select floor(offered_seconds / 60) from app.analytics_offered_days where provider_id = %s and day = %s",
        (shop.provider_id, day),
    ).fetchone() == (8 * 60 - 15,)
    live_only(db)
    assert performance(db, ops, day, day, shop.provider_id) == [row]


def test_the_window_moves_forward_and_counts_the_days_it_gains(db: psycopg.Connection[Any]) -> None:
    shops = [bk.open_shop(db) for _ in range(3)]
    catalog.add_time_off(
        db,
        shops[0].provider_id,
        datetime.now(UTC) + timedelta(days=61),
        datetime.now(UTC) + timedelta(days=64),
    )
    target = db.execute(
        "select first_day, last_day from internal.analytics_offered_target()"
    ).fetchone()
    assert target is not None
    # as if the worker had last moved it ten days ago
    db.execute(
        "update app.analytics_offered_window set first_day = first_day - 10, last_day = last_day - 10"
    )
    db.execute(
        "delete from app.analytics_offered_days o using app.analytics_offered_window w "
        "where o.day > w.last_day"
    )
    [(gained,)] = db.execute("select internal.analytics_offered_advance()").fetchall()
    assert gained > 0
    assert window(db) == target
    assert offered_drift(db) == []
    assert db.execute(
        "select count(*) from app.analytics_offered_days o, app.analytics_offered_window w "
        "where o.day < w.first_day or o.day > w.last_day"
    ).fetchone() == (0,)
    # already there: nothing to do
    assert db.execute("select internal.analytics_offered_advance()").fetchone() == (0,)
    # far behind (a database left alone for months): the whole window is counted again
    db.execute(
        "update app.analytics_offered_window set first_day = first_day - 400, last_day = last_day - 400"
    )
    db.execute("select internal.analytics_offered_advance()")
    assert window(db) == target
    assert offered_drift(db) == []


def test_rebuild_restores_the_offered_days_and_drift_names_what_differs(
    db: psycopg.Connection[Any],
) -> None:
    shop = bk.open_shop(db)
    first, _ = window(db)
    db.execute(
        "update app.analytics_offered_days set offered_seconds = offered_seconds + 60 "
        "where provider_id = %s and day = %s",
        (shop.provider_id, first + timedelta(days=3)),
    )
    db.execute(
        "insert into app.analytics_offered_days (provider_id, day, offered, offered_seconds) "
        "values (%s, %s, '{}', 0)",
        (shop.provider_id, first - timedelta(days=1)),
    )
    keys = sorted(r[1] for r in offered_drift(db))
    assert keys == sorted(
        f"{shop.provider_id} {d}" for d in (first + timedelta(days=3), first - timedelta(days=1))
    )
    db.execute("select internal.analytics_rebuild()")
    assert offered_drift(db) == []
    assert db.execute("select * from internal.analytics_drift()").fetchall() == []


def test_the_worker_role_may_move_the_window_and_api_roles_may_not(
    db: psycopg.Connection[Any],
) -> None:
    for role, allowed in [("bookiji_worker", True), ("provider", False), ("ops", False)]:
        assert db.execute(
            "select has_function_privilege(%s, 'internal.analytics_offered_advance()', 'execute')",
            (role,),
        ).fetchone() == (allowed,)


def test_a_provider_reads_only_its_own_kept_days(db: psycopg.Connection[Any]) -> None:
    mine, theirs = bk.open_shop(db), bk.open_shop(db)
    seen = rows_of(
        db, "provider", mine.owner_id, "select distinct provider_id from app.analytics_offered_days"
    )
    assert seen == [{"provider_id": mine.provider_id}]
    assert theirs.provider_id not in {r["provider_id"] for r in seen}
