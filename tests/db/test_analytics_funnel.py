"""The funnel from its rollups (app.analytics_quote_hours with its deltas, and each quote's first
booking in app.analytics_quote_bookings): the same steps, counts and medians as a brute-force
recount of quotes, bookings and payments, in any zone and category, before and after the
compaction and a rebuild, after quotes nobody booked, quotes asked earlier or moved to another
category or removed, and bookings made from a quote before its first, moved or deleted."""

from __future__ import annotations

import statistics
import threading
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from tests.db.test_analytics import TORONTO, Run, drift, rows_of
from tests.db.test_analytics_areas import _until, _waiting_on_advisory
from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.factories import create_user

FUNNEL = "select * from api.analytics_funnel(%s, %s, %s, %s)"


def recount(
    db: psycopg.Connection[Any], lo: datetime, hi: datetime, category: str | None
) -> list[tuple[str, int, float | None]]:
    """The funnel's steps counted in Python from the base rows (docs/analytics.md)."""
    quotes = {
        r[0]: (r[1], r[2])
        for r in db.execute(
            "select q.id, q.created_at, k.slug from app.quotes as q "
            "join app.service_categories as k on k.id = q.category_id"
        )
    }
    first: dict[Any, tuple[Any, ...]] = {}
    for b in db.execute(
        "select quote_id, created_at, id, status, updated_at from app.bookings "
        "where quote_id is not null"
    ):
        if b[0] not in first or (b[1], b[2]) < first[b[0]][1:3]:
            first[b[0]] = b
    payments = {
        r[0]: (r[1], r[2])
        for r in db.execute("select booking_id, status, updated_at from app.payments")
    }
    asked = [
        qid for qid, (at, slug) in quotes.items() if lo <= at < hi and category in (None, slug)
    ]
    booked, paid, completed = [], [], []
    for qid in asked:
        if qid not in first:
            continue
        _, made, bid, status, updated = first[qid]
        booked.append((made - quotes[qid][0]).total_seconds() / 60)
        pay = payments.get(bid)
        if pay is not None:
            paid_at = pay[1] if pay[0] == "succeeded" else None
        else:
            paid_at = made if status not in ("pending_payment", "expired") else None
        if paid_at is None:
            continue
        paid.append((paid_at - made).total_seconds() / 60)
        if status == "completed":
            completed.append((updated - paid_at).total_seconds() / 60)

    def median(xs: list[float]) -> float | None:
        return statistics.median(xs) if xs else None

    return [
        ("quote", len(asked), None),
        ("confirm", len(booked), median(booked)),
        ("paid", len(paid), median(paid)),
        ("completed", len(completed), median(completed)),
    ]


def reported(rows: list[dict[str, Any]]) -> list[tuple[str, int, float | None]]:
    def num(x: Any) -> float | None:
        return None if x is None else float(x)

    return [(r["name"], r["quotes"], num(r["median_minutes_from_previous"])) for r in rows]


def same(
    got: list[tuple[str, int, float | None]], want: list[tuple[str, int, float | None]]
) -> bool:
    """Equal counts; medians equal to the 0.1 minute the function rounds to."""
    return [(n, c) for n, c, _ in got] == [(n, c) for n, c, _ in want] and all(
        (g is None) == (w is None) and (g is None or w is None or abs(g - w) <= 0.051)
        for (_, _, g), (_, _, w) in zip(got, want, strict=True)
    )


def check_every_view(db: psycopg.Connection[Any], ops: Any) -> int:
    """The funnel against the recount in UTC and Toronto, for every category and each one;
    how many quotes the widest range held."""
    (lo_at, hi_at) = db.execute(
        "select min(created_at), max(created_at) from app.quotes"
    ).fetchone()  # type: ignore[misc]
    widest = 0
    for zone in ("UTC", "America/Toronto"):
        tz = ZoneInfo(zone)
        first_day, last_day = lo_at.astimezone(tz).date(), hi_at.astimezone(tz).date()
        # the whole span, and its second half (a range that cuts through the quotes)
        for start in (first_day, first_day + (last_day - first_day) / 2):
            start = date.fromordinal(int(start.toordinal()))
            lo = datetime.combine(start, datetime.min.time(), tz)
            hi = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), tz)
            for category in (None, "haircut", "nails"):
                got = reported(rows_of(db, "ops", ops, FUNNEL, start, last_day, zone, category))
                want = recount(db, lo, hi, category)
                assert same(got, want), (zone, start, category, got, want)
                widest = max(widest, want[0][1])
    return widest


@pytest.fixture
def funnel_run(db: psycopg.Connection[Any]) -> Run:
    """The random run (quotes confirmed, bookings made earlier, deleted, paid, completed), then
    quotes nobody booked, quotes asked hours to weeks earlier, one moved to another category,
    one removed, a second booking of a quote made before its first, that first deleted, a
    booking moved to another quote, and payments that change while their booking does not."""
    run = Run(db, seed=41)
    for _ in range(10):
        run.book()
    for _ in range(50):
        run.step()
    rng = run.rng
    customer = create_user(db, "customer")
    for i in range(6):
        run.day += 1
        shop = rng.choice(run.shops)
        bk.quote(db, customer, shop, catalog.next_weekday(i % 5, at="13:00", min_days=run.day))
    quotes = [r[0] for r in db.execute("select id from app.quotes order by created_at, id")]
    for qid in rng.sample(quotes, len(quotes) // 2):
        db.execute(
            "update app.quotes set created_at = created_at - make_interval(hours => %s) "
            "where id = %s",
            (rng.randint(1, 500), qid),
        )
    booked = [
        r[0]
        for r in db.execute(
            "select distinct quote_id from app.bookings where quote_id is not null order by 1"
        )
    ]
    assert len(booked) >= 6, "the random run booked too few quotes to move them around"
    twice, moved_to, removed, recategorised = booked[0], booked[1], booked[2], booked[3]
    # a second booking of a quote, made an hour before the one the quote's customer confirmed
    extra = catalog.add_booking(db, run.shops[0].service_id, run._next_slot(), status="confirmed")
    db.execute(
        "update app.bookings set quote_id = %s, created_at = "
        "(select min(created_at) - interval '1 hour' from app.bookings where quote_id = %s) "
        "where id = %s",
        (twice, twice, extra),
    )
    # a third, whose first booking is then deleted: the next one becomes its first
    other = catalog.add_booking(db, run.shops[1].service_id, run._next_slot(), status="completed")
    db.execute("update app.bookings set quote_id = %s where id = %s", (moved_to, other))
    db.execute(
        "delete from app.bookings where id = (select id from app.bookings where quote_id = %s "
        "order by created_at, id limit 1)",
        (moved_to,),
    )
    # a booking moved from its quote to another
    db.execute("update app.bookings set quote_id = %s where quote_id = %s", (booked[4], booked[5]))
    db.execute(
        "update app.quotes set category_id = (select id from app.service_categories "
        "where slug = 'nails') where id = %s",
        (recategorised,),
    )
    db.execute("delete from app.quotes where id = %s", (removed,))
    # payments that change alone, their booking untouched: captured later, or back to pending
    for shop in run.shops[:2]:
        run.day += 1
        bk.pay(
            db, bk.book(db, shop, catalog.next_weekday(run.day % 7, at="16:00", min_days=run.day))
        )
    paid = [
        r[0]
        for r in db.execute(
            "select p.id from app.payments as p join app.bookings as b on b.id = p.booking_id "
            "where b.quote_id is not null and p.status = 'succeeded' order by p.id"
        )
    ]
    assert len(paid) >= 2, "the random run paid too few quoted bookings"
    for pid in paid:
        db.execute(
            "update app.payments set updated_at = updated_at + make_interval(mins => %s) "
            "where id = %s",
            (rng.randint(1, 90), pid),
        )
    db.execute(
        "update app.payments set status = 'pending', captured_cents = 0 where id = %s", (paid[0],)
    )
    return run


def test_the_funnel_equals_a_recount_before_and_after_the_compaction_and_a_rebuild(
    db: psycopg.Connection[Any], funnel_run: Run
) -> None:
    assert db.execute("select count(*) from app.analytics_quote_deltas").fetchone()[0] > 0  # type: ignore[index]
    widest = check_every_view(db, funnel_run.ops)
    assert widest >= 10
    assert drift(db) == []

    db.execute("select internal.analytics_compact()")
    assert db.execute("select count(*) from app.analytics_quote_deltas").fetchone() == (0,)
    check_every_view(db, funnel_run.ops)
    assert drift(db) == []

    stored = db.execute(
        "select (select array_agg(h order by hour, category_id) from app.analytics_quote_hours as h where quotes <> 0),"
        " (select array_agg(f order by quote_id) from app.analytics_quote_bookings as f)"
    ).fetchone()
    db.execute("select * from internal.analytics_rebuild()")
    again = db.execute(
        "select (select array_agg(h order by hour, category_id) from app.analytics_quote_hours as h where quotes <> 0),"
        " (select array_agg(f order by quote_id) from app.analytics_quote_bookings as f)"
    ).fetchone()
    assert again == stored


def test_the_drift_check_names_a_funnel_rollup_written_behind_its_back(
    db: psycopg.Connection[Any], funnel_run: Run
) -> None:
    db.execute("select internal.analytics_compact()")
    db.execute(
        "update app.analytics_quote_hours set quotes = quotes + 1 "
        "where (hour, category_id) = (select hour, category_id from app.analytics_quote_hours limit 1)"
    )
    db.execute(
        "update app.analytics_quote_bookings set booked_at = booked_at + interval '1 second' "
        "where quote_id = (select quote_id from app.analytics_quote_bookings order by quote_id limit 1)"
    )
    assert sorted({d[0] for d in drift(db)}) == ["quote_bookings", "quote_hours"]
    db.execute("select * from internal.analytics_rebuild()")
    assert drift(db) == []


def test_a_quote_asked_now_counts_at_once_and_its_booking_when_confirmed(
    db: psycopg.Connection[Any],
) -> None:
    shop = bk.open_shop(db)
    ops = create_user(db, "ops")
    customer = create_user(db, "customer")
    today = datetime.now(UTC).date()

    def steps() -> list[tuple[str, int]]:
        rows = rows_of(db, "ops", ops, FUNNEL, today, today, "UTC", None)
        return [(r["name"], r["quotes"]) for r in rows]

    before = dict(steps())
    q = bk.quote(db, customer, shop, catalog.next_weekday(2, at="10:00", min_days=3))
    assert dict(steps())["quote"] == before["quote"] + 1
    b = bk.confirm(db, customer, q, shop.provider_id)
    assert dict(steps())["confirm"] == before["confirm"] + 1
    bk.pay(db, b)
    assert dict(steps())["paid"] == before["paid"] + 1
    assert drift(db) == []


@pytest.mark.parametrize("open_one", ["earlier", "later"])
def test_two_bookings_of_one_quote_made_at_once_leave_the_earlier_as_its_first(
    db: psycopg.Connection[Any], db_url: str, open_one: str
) -> None:
    """The first transaction stays open with its booking of the quote; the second waits on the
    quote's advisory lock, then reads the first's booking: whichever was made earlier is the
    quote's first, as a recount says."""
    shop = bk.open_shop(db)
    customer = create_user(db, "customer")
    q = bk.quote(db, customer, shop, catalog.next_weekday(2, at="10:00", min_days=3))
    made = {
        "earlier": datetime(2026, 6, 1, 9, tzinfo=UTC),
        "later": datetime(2026, 6, 1, 10, tzinfo=UTC),
    }
    attach = "update app.bookings set quote_id = %s, created_at = %s where id = %s"

    def book(conn: psycopg.Connection[Any], which: str, hour: int) -> uuid.UUID:
        bid = catalog.add_booking(
            conn, shop.service_id, datetime(2026, 6, 10, hour, tzinfo=TORONTO)
        )
        conn.execute(attach, (q, made[which], bid))
        return bid

    late = "later" if open_one == "earlier" else "earlier"
    with psycopg.connect(db_url) as one, psycopg.connect(db_url) as two:
        book(one, open_one, 11)  # its transaction stays open
        done = threading.Event()
        bids: list[uuid.UUID] = []

        def second() -> None:
            bids.append(book(two, late, 14))
            two.commit()
            done.set()

        t = threading.Thread(target=second)
        t.start()
        _until(lambda: _waiting_on_advisory(db, two.info.backend_pid), "the second waits")
        assert not done.is_set()
        one.commit()
        t.join(30)
        assert done.is_set()
    first = db.execute(
        "select booked_at from app.analytics_quote_bookings where quote_id = %s", (q,)
    ).fetchone()
    assert first == (made["earlier"],)
    assert drift(db) == []


def test_a_booking_inserted_with_its_quote_is_its_first_unless_an_earlier_one_is(
    db: psycopg.Connection[Any],
) -> None:
    """A booking inserted already naming its quote (a confirm's hold, a load) writes the quote's
    row from its own columns when the quote has no other booking; with one, the quote's first is
    recounted (an insert made later, one back-dated before the first, and a later one of a quote
    whose first was loaded with the trigger off)."""
    shop = bk.open_shop(db)
    customer = create_user(db, "customer")
    q = bk.quote(db, customer, shop, catalog.next_weekday(2, at="10:00", min_days=3))
    insert = (
        "insert into app.bookings (customer_id, provider_id, service_id, quote_id, during, "
        "blocked, status, price_cents, deposit_cents, currency, cancel_notice_hours, "
        "cancel_fee_cents, created_at) "
        "select %(customer)s, s.provider_id, s.id, %(quote)s, "
        "tstzrange(%(start)s, %(start)s + interval '30 minutes'), "
        "tstzrange(%(start)s, %(start)s + interval '30 minutes'), 'confirmed', s.price_cents, "
        "s.deposit_cents, s.currency, s.cancel_notice_hours, s.cancel_fee_cents, %(made)s "
        "from app.services as s where s.id = %(service)s returning id"
    )
    row = (
        "select booking_id, booked_at, status from app.analytics_quote_bookings where quote_id = %s"
    )

    def book(hour: int, made: datetime) -> Any:
        args = {"customer": customer, "quote": q, "service": shop.service_id, "made": made}
        args["start"] = datetime(2026, 6, 10, hour, tzinfo=TORONTO)
        got = db.execute(insert, args).fetchone()
        assert got is not None
        return got[0]

    noon = datetime(2026, 6, 1, 12, tzinfo=UTC)
    first = book(9, noon)
    assert db.execute(row, (q,)).fetchone() == (first, noon, "confirmed")
    book(11, noon + timedelta(hours=1))  # later: the row keeps the first
    assert db.execute(row, (q,)).fetchone() == (first, noon, "confirmed")
    earlier = book(13, noon - timedelta(hours=1))  # earlier: it becomes the first
    assert db.execute(row, (q,)).fetchone() == (earlier, noon - timedelta(hours=1), "confirmed")
    assert drift(db) == []
    # a quote whose first booking was loaded with the trigger off has no row: a later booking
    # of it is not taken for its first
    q = bk.quote(db, customer, shop, catalog.next_weekday(3, at="10:00", min_days=3))
    db.execute("alter table app.bookings disable trigger _520_analytics_funnel_insert")
    try:
        loaded = book(15, noon)
    finally:
        db.execute("alter table app.bookings enable trigger _520_analytics_funnel_insert")
    assert db.execute(row, (q,)).fetchone() is None
    book(17, noon + timedelta(hours=1))
    assert db.execute(row, (q,)).fetchone() == (loaded, noon, "confirmed")
    assert drift(db) == []


def test_a_payment_moves_its_quotes_row_only_when_its_booking_is_the_first(
    db: psycopg.Connection[Any],
) -> None:
    """A new payment writes its status into the quote's row without a recount when its booking
    is the quote's first; a later booking's payment leaves the row as it is; a quote with no row
    (its bookings loaded without the triggers) is recounted."""
    shop = bk.open_shop(db)
    customer = create_user(db, "customer")
    q = bk.quote(db, customer, shop, catalog.next_weekday(2, at="10:00", min_days=3))
    first = uuid.UUID(bk.confirm(db, customer, q, shop.provider_id)["id"])
    row = "select booking_id, payment_status from app.analytics_quote_bookings where quote_id = %s"
    paid = db.execute("select status from app.payments where booking_id = %s", (first,)).fetchone()
    assert paid is not None
    assert db.execute(row, (q,)).fetchone() == (first, paid[0])

    later = catalog.add_booking(db, shop.service_id, datetime(2026, 6, 10, 14, tzinfo=TORONTO))
    db.execute(
        "update app.bookings set quote_id = %s, created_at = now() + interval '1 minute' where id = %s",
        (q, later),
    )
    pay_later = (
        "insert into app.payments (booking_id, amount_cents, currency, status) "
        "values (%s, 500, 'cad', 'failed')"  # not the first's status (the row would show it)
    )
    db.execute(pay_later, (later,))
    assert db.execute(row, (q,)).fetchone() == (first, paid[0])
    assert drift(db) == []

    db.execute("delete from app.payments where booking_id = %s", (later,))
    db.execute("delete from app.analytics_quote_bookings where quote_id = %s", (q,))
    db.execute(pay_later, (later,))
    assert db.execute(row, (q,)).fetchone() == (first, paid[0])
    assert drift(db) == []
