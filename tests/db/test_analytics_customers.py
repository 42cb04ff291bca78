"""New and returning customers (api.analytics_customers): each customer's first booking kept by
a trigger on bookings (app.analytics_customer_firsts, and its earliest start with each provider,
app.analytics_provider_customers), against a brute-force recount after the
random runs of test_analytics.py, in zones west and east of UTC; what moves a customer's first
booking, one write at a time; the rebuild and the drift check."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from tests.db.test_analytics import Run, _local_buckets, drift, rows_of
from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.factories import create_user

COUNTED = ("confirmed", "completed", "no_show")
CUSTOMERS = "select * from api.analytics_customers(%s, %s, %s, %s)"


@pytest.fixture
def run(db: psycopg.Connection[Any]) -> Run:
    """The random run of test_analytics.py with returning customers whose bookings are paid
    (confirmed), then more cancellations, moves, deletions and outcomes."""
    r = Run(db, seed=47)
    for _ in range(4):
        r.book()
    for _ in range(30):
        r.step()
    for _ in range(12):
        r.returning()
    for b in r.booked:
        if bk.status(db, b["id"]) == "pending_payment":
            bk.pay(db, b)
    for _ in range(20):
        r.step()
    return r


def _firsts(db: psycopg.Connection[Any]) -> dict[Any, Any]:
    rows = db.execute(
        "select customer_id, booking_id from app.analytics_customer_firsts"
    ).fetchall()
    return dict(rows)


@pytest.mark.parametrize("tz", ["America/Toronto", "Pacific/Auckland", "UTC"])
def test_new_and_returning_customers_equal_a_brute_force_recount(
    db: psycopg.Connection[Any], run: Run, tz: str
) -> None:
    assert drift(db) == []
    bookings = db.execute(
        "select customer_id, id, lower(during), status from app.bookings"
    ).fetchall()
    counted = sorted((b for b in bookings if b[3] in COUNTED), key=lambda b: (b[0], b[2], b[1]))
    first_of: dict[Any, Any] = {}
    for customer, booking_id, _, _ in counted:
        first_of.setdefault(customer, booking_id)
    assert _firsts(db) == first_of
    firsts = set(first_of.values())
    assert len(firsts) >= 3 and len(counted) > len(firsts)  # new and returning customers

    zone = ZoneInfo(tz)
    days = [b[2].astimezone(zone).date() for b in bookings]
    for grain, bucket in _local_buckets(zone).items():
        expected: dict[date, tuple[int, int]] = {}
        for _, booking_id, start, _ in counted:
            n, new = expected.get(bucket(start), (0, 0))
            expected[bucket(start)] = (n + 1, new + (booking_id in firsts))
        rows = rows_of(db, "ops", run.ops, CUSTOMERS, min(days), max(days), tz, grain)
        got = {
            r["bucket_local"].date(): (r["bookings"], r["new_customers"])
            for r in rows
            if r["bookings"]
        }
        assert got == expected, grain
        for r in rows:
            assert r["returning_bookings"] == r["bookings"] - r["new_customers"]
            if r["bookings"]:
                share = (r["bookings"] - r["new_customers"]) / r["bookings"]
                assert float(r["returning_share"]) == pytest.approx(share, abs=0.0005)
            else:
                assert r["returning_share"] is None


def test_a_customers_first_booking_follows_each_write(db: psycopg.Connection[Any]) -> None:
    """A hold does not count until confirmed; an earlier booking takes over; cancelling the first
    hands it to the next, and so do a reschedule and a deletion; another customer's bookings are
    not this one's."""
    shop = bk.open_shop(db)
    other = bk.open_shop(db)
    customer, someone = create_user(db, "customer"), create_user(db, "customer")
    day = datetime.now(UTC).replace(hour=15, minute=0, second=0, microsecond=0) + timedelta(days=10)

    def first() -> Any:
        return _firsts(db).get(customer)

    hold = catalog.add_booking(
        db,
        shop.service_id,
        day,
        status="pending_payment",
        hold_expires_at=datetime.now(UTC) + timedelta(minutes=10),
        customer_id=customer,
    )
    assert first() is None
    later = catalog.add_booking(db, shop.service_id, day + timedelta(days=2), customer_id=customer)
    assert first() == later
    db.execute("select internal.transition_booking(%s, 'confirmed', 'system')", (hold,))
    assert first() == hold
    earlier = catalog.add_booking(
        db, other.service_id, day - timedelta(days=1), customer_id=customer
    )
    assert first() == earlier
    theirs = catalog.add_booking(db, other.service_id, day - timedelta(days=3), customer_id=someone)
    assert first() == earlier and _firsts(db)[someone] == theirs
    db.execute("select internal.transition_booking(%s, 'cancelled', 'ops', 'test')", (earlier,))
    assert first() == hold
    # moved later than the other: the other is first
    db.execute(
        "update app.bookings set during = tstzrange(lower(during) + interval '5 days', "
        "upper(during) + interval '5 days'), blocked = tstzrange(lower(blocked) + interval '5 days', "
        "upper(blocked) + interval '5 days') where id = %s",
        (hold,),
    )
    assert first() == later
    db.execute("delete from app.bookings where id = %s", (later,))
    assert first() == hold
    db.execute("delete from app.bookings where id = %s", (hold,))
    assert first() is None and _firsts(db)[someone] == theirs
    assert drift(db) == []


def test_the_rebuild_writes_the_rows_the_trigger_kept_and_the_drift_check_sees_a_change(
    db: psycopg.Connection[Any], run: Run
) -> None:
    kept = sorted(_firsts(db).items())
    assert kept
    db.execute("select * from internal.analytics_rebuild()")
    assert sorted(_firsts(db).items()) == kept
    customer = kept[0][0]
    db.execute(
        "update app.analytics_customer_firsts set starts_at = starts_at - interval '1 day' "
        "where customer_id = %s",
        (customer,),
    )
    db.execute(
        "insert into app.analytics_customer_firsts values (%s, %s, now(), 1)",
        (
            create_user(db, "customer"),
            uuid.uuid4(),
        ),
    )
    db.execute(
        "update app.analytics_customer_firsts set category_id = category_id %% 14 + 1 "
        "where customer_id = %s",
        (kept[1][0],),
    )
    assert sorted(d[0] for d in drift(db) if d[0] == "customer_firsts") == ["customer_firsts"] * 3
    db.execute(
        "update app.analytics_first_hours set customers = customers + 1 "
        "where (hour, category_id) = (select hour, category_id from app.analytics_first_hours limit 1)"
    )
    assert [d[0] for d in drift(db) if d[0] == "first_hours"] == ["first_hours"]
    db.execute(
        "update app.analytics_provider_customers set first_starts_at = first_starts_at + "
        "interval '1 hour' where ctid = (select ctid from app.analytics_provider_customers limit 1)"
    )
    db.execute(
        "delete from app.analytics_provider_customers "
        "where ctid = (select ctid from app.analytics_provider_customers offset 1 limit 1)"
    )
    assert [d[0] for d in drift(db) if d[0] == "provider_customers"] == ["provider_customers"] * 2
    db.execute("select internal.analytics_rebuild_cohorts()")
    assert drift(db) == []


@pytest.mark.parametrize(
    "table",
    ["app.analytics_customer_firsts", "app.analytics_first_hours", "app.analytics_first_deltas"],
)
def test_only_ops_read_the_first_bookings(
    db: psycopg.Connection[Any], run: Run, table: str
) -> None:
    for role in ("customer", "provider"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            rows_of(db, role, run.customers[0], f"select * from {table}")
        db.rollback() if not db.autocommit else None
    rows = rows_of(db, "ops", run.ops, f"select count(*) as n from {table}")
    assert rows[0]["n"] == db.execute(f"select count(*) from {table}").fetchone()[0]  # type: ignore[index]


def _first_counts(db: psycopg.Connection[Any]) -> dict[tuple[Any, int], int]:
    """The first bookings per UTC start hour and category, rollup and deltas summed."""
    rows = db.execute(
        "select hour, category_id, sum(customers)::int from ("
        " select hour, category_id, customers from app.analytics_first_hours"
        " union all select hour, category_id, customers from app.analytics_first_deltas"
        ") as x group by 1, 2 having sum(customers) <> 0"
    ).fetchall()
    return {(r[0], r[1]): r[2] for r in rows}


def test_the_first_bookings_per_hour_are_appended_then_folded_and_the_reads_do_not_move(
    db: psycopg.Connection[Any], run: Run
) -> None:
    """The moves of the run are deltas (a customer's first booking leaving an hour is a -1 there,
    not an update of its row); the compaction folds them into the hours; every read of new
    customers is the same before and after, and equals the first bookings counted per hour."""
    moves = db.execute(
        "select count(*) filter (where customers < 0), count(*) from app.analytics_first_deltas"
    ).fetchone()
    assert moves is not None and moves[0] > 0 and moves[1] > moves[0]
    expected: dict[tuple[Any, int], int] = {}
    for starts_at, category_id in db.execute(
        "select date_trunc('hour', starts_at, 'UTC'), category_id from app.analytics_customer_firsts"
    ).fetchall():
        expected[(starts_at, category_id)] = expected.get((starts_at, category_id), 0) + 1
    assert _first_counts(db) == expected
    starts = [k[0] for k in expected]
    first, last = (min(starts) - timedelta(days=1)).date(), (max(starts) + timedelta(days=1)).date()

    def reads() -> list[list[dict[str, Any]]]:
        return [
            rows_of(db, "ops", run.ops, CUSTOMERS, first, last, tz, grain)
            for tz in ("America/Toronto", "Pacific/Auckland")
            for grain in ("day", "week", "month")
        ]

    before = reads()
    assert sum(r["new_customers"] for r in before[1]) == len(_firsts(db))
    folded = db.execute("select internal.analytics_compact()").fetchone()
    assert folded is not None and folded[0] >= moves[1]
    assert db.execute("select count(*) from app.analytics_first_deltas").fetchone() == (0,)
    assert _first_counts(db) == expected
    assert reads() == before
    assert drift(db) == []


def test_two_customers_first_bookings_in_one_hour_do_not_wait_on_each_other(
    db: psycopg.Connection[Any], db_url: str
) -> None:
    """Two customers' first bookings, same category, same hour, two providers, in two open
    transactions: the second is written while the first is not committed (no counter row they
    both update)."""
    shops = [bk.open_shop(db), bk.open_shop(db)]
    day = datetime.now(UTC).replace(hour=15, minute=0, second=0, microsecond=0) + timedelta(days=9)
    customers = [create_user(db, "customer"), create_user(db, "customer")]
    with psycopg.connect(db_url) as one, psycopg.connect(db_url) as two:
        catalog.add_booking(one, shops[0].service_id, day, customer_id=customers[0])
        two.execute("set lock_timeout = '2s'")
        catalog.add_booking(
            two, shops[1].service_id, day + timedelta(minutes=30), customer_id=customers[1]
        )
        two.commit()
        one.commit()
    hour = day.replace(minute=0)
    counts = _first_counts(db)
    assert sum(n for (h, _), n in counts.items() if h == hour) == 2
    assert drift(db) == []


def test_new_customers_drill_down_to_the_first_bookings_of_their_bucket(
    db: psycopg.Connection[Any], run: Run
) -> None:
    """analytics_bookings(figure => 'new_customers') lists, for a bucket of analytics_customers,
    exactly the first bookings its new_customers counts; a filter narrows them (and they are
    counted); a provider may not list them (whether its customers booked elsewhere before)."""
    from tests.db.test_analytics_drilldown import drill, refusal

    tz = "America/Toronto"
    zone = ZoneInfo(tz)
    # a returning customer's booking in the hour of the latest first booking (another provider):
    # that hour's facts are not all first bookings
    starts = dict(db.execute("select id, lower(during) from app.bookings").fetchall())
    firsts_by_start = sorted(_firsts(db).items(), key=lambda cb: starts[cb[1]])
    (returning, _), (latest_customer, latest) = firsts_by_start[0], firsts_by_start[-1]
    assert returning != latest_customer
    elsewhere = next(
        s
        for s in run.shops
        if s.provider_id
        != db.execute("select provider_id from app.bookings where id = %s", (latest,)).fetchone()[0]
    )
    catalog.add_booking(db, elsewhere.service_id, starts[latest], customer_id=returning)
    first_of = _firsts(db)
    assert latest in first_of.values()
    bookings = {
        b[0]: b[1:]
        for b in db.execute("select id, lower(during), status, customer_id from app.bookings")
    }
    days = [start.astimezone(zone).date() for start, _, _ in bookings.values()]
    span = {"from": min(days), "to": max(days), "tz": tz}
    rows = rows_of(db, "ops", run.ops, CUSTOMERS, span["from"], span["to"], tz, "day")
    listed: set[Any] = set()
    for r in rows:
        page = drill(
            db, "ops", run.ops, **span, bucket_start=r["bucket_start"], figure="new_customers"
        )
        assert len(page) == r["new_customers"], r["bucket_start"]
        assert all(p["total"] == r["new_customers"] and p["total_exact"] for p in page)
        listed |= {p["booking_id"] for p in page}
    assert listed == set(first_of.values())
    assert len(listed) >= 3
    # a filter: the first bookings that are now completed, counted rather than read
    completed = drill(db, "ops", run.ops, **span, status="completed", figure="new_customers")
    expected = {b for b in first_of.values() if bookings[b][1] == "completed"}
    assert 0 < len(expected) < len(first_of)
    assert {p["booking_id"] for p in completed} == expected
    assert all(p["total"] == len(expected) and p["total_exact"] for p in completed)
    # one provider's, as ops: the first bookings made with it
    shop = run.shops[0]
    own = drill(db, "ops", run.ops, **span, provider_id=shop.provider_id, figure="new_customers")
    mine = {
        b
        for b in first_of.values()
        if db.execute("select provider_id from app.bookings where id = %s", (b,)).fetchone()
        == (shop.provider_id,)
    }
    assert mine and {p["booking_id"] for p in own} == mine
    assert refusal(db, "provider", shop.owner_id, **span, figure="new_customers") == (
        "PT403",
        "only ops staff may list the customers' first bookings",
    )


def test_a_category_narrows_the_bookings_and_the_new_customers_to_its_own(
    db: psycopg.Connection[Any], run: Run
) -> None:
    """With a category: its counted bookings per bucket, and as new customers those whose first
    booking was in it, against a brute-force count; an unknown category is a 400."""
    tz = "America/Toronto"
    zone = ZoneInfo(tz)
    # nails too: a new customer's booking, and one of a customer with bookings already
    returning = next(iter(_firsts(db)))
    catalog.add_booking(db, run.extra_service, run._next_slot(), status="completed")
    catalog.add_booking(db, run.extra_service, run._next_slot(), customer_id=returning)
    firsts = set(_firsts(db).values())
    bookings = db.execute(
        "select b.id, lower(b.during), b.status, k.slug from app.bookings b "
        "join app.services s on s.id = b.service_id join app.service_categories k on k.id = s.category_id"
    ).fetchall()
    days = [b[1].astimezone(zone).date() for b in bookings]
    categories = {b[3] for b in bookings if b[2] in COUNTED}

    def in_category(category: str) -> list[dict[str, Any]]:
        sql = "select * from api.analytics_customers(%s, %s, %s, 'day', %s)"
        return rows_of(db, "ops", run.ops, sql, min(days), max(days), tz, category)

    assert len(categories) >= 2  # the check can fail: the run books in more than one category
    seen_new = 0
    for category in sorted(categories):
        expected: dict[date, tuple[int, int]] = {}
        for booking_id, start, status, slug in bookings:
            if status in COUNTED and slug == category:
                n, new = expected.get(start.astimezone(zone).date(), (0, 0))
                expected[start.astimezone(zone).date()] = (n + 1, new + (booking_id in firsts))
        rows = in_category(category)
        got = {
            r["bucket_local"].date(): (r["bookings"], r["new_customers"])
            for r in rows
            if r["bookings"]
        }
        assert got == expected, category
        seen_new += sum(new for _, new in got.values())
    assert seen_new == len(firsts)  # each first booking is in one category
    with pytest.raises(psycopg.Error) as err:
        in_category("no-such-category")
    assert err.value.diag.message_primary == "category: no such category"


def test_a_first_booking_takes_its_services_new_category(
    db: psycopg.Connection[Any], run: Run
) -> None:
    """A service moved to another category takes its customers' first bookings with it, as it
    takes its bookings in the rollups: the new customers of the new category count them."""
    booking_id, service_id, starts_at = db.execute(
        "select f.booking_id, b.service_id, f.starts_at from app.analytics_customer_firsts f "
        "join app.bookings b on b.id = f.booking_id order by f.starts_at limit 1"
    ).fetchone()  # type: ignore[misc]
    moved = db.execute(
        "select count(*) from app.analytics_customer_firsts f join app.bookings b "
        "on b.id = f.booking_id where b.service_id = %s",
        (service_id,),
    ).fetchone()
    assert moved is not None and moved[0] >= 1
    day = starts_at.astimezone(ZoneInfo("America/Toronto")).date()

    def new_in(category: str) -> int:
        sql = "select * from api.analytics_customers(%s, %s, 'America/Toronto', 'day', %s)"
        return sum(r["new_customers"] for r in rows_of(db, "ops", run.ops, sql, day, day, category))

    before = new_in("tattoo")
    db.execute(
        "update app.services set category_id = "
        "(select id from app.service_categories where slug = 'tattoo') where id = %s",
        (service_id,),
    )
    assert db.execute(
        "select k.slug from app.analytics_customer_firsts f "
        "join app.service_categories k on k.id = f.category_id where f.booking_id = %s",
        (booking_id,),
    ).fetchone() == ("tattoo",)
    assert new_in("tattoo") > before
    assert drift(db) == []
