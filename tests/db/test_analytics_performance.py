"""Provider performance (utilisation, rates, repeat customers, rating trend), areas, refunds by
reason and today's counters: each figure against rows written here or a brute-force recount of
the random run, in the provider's zone; bad inputs; who reads what."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from tests.db.test_analytics import Run, drift, raw_bookings, rows_of, span
from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.factories import create_user

TORONTO = ZoneInfo("America/Toronto")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TORONTO)


def performance(
    db: psycopg.Connection[Any], role: str, sub: Any, first: Any, last: Any, provider: Any = None
) -> list[dict[str, Any]]:
    return rows_of(
        db,
        role,
        sub,
        "select * from api.analytics_performance(%s, %s, %s)",
        first,
        last,
        provider,
    )


def cell(degrees: float, size: Decimal = Decimal("0.02")) -> Decimal:
    """The south-west corner of a grid cell, as the database names it."""
    return (Decimal(str(degrees)) / size).to_integral_value(rounding=ROUND_FLOOR) * size


def review(db: psycopg.Connection[Any], booking_id: Any, stars: int, written: datetime) -> None:
    db.execute(
        """
        insert into app.reviews (booking_id, provider_id, customer_id, author_name, stars, created_at)
        select b.id, b.provider_id, b.customer_id, 'A Reviewer', %s, %s from app.bookings b where b.id = %s
        """,
        (stars, written, booking_id),
    )


# --- utilisation ----------------------------------------------------------------------------


def test_utilisation_is_booked_over_offered_minutes_less_time_off(
    db: psycopg.Connection[Any],
) -> None:
    shop = bk.open_shop(db)  # every day 09:00-17:00 Toronto, a 60-minute haircut
    week = [date(2026, 6, 8) + timedelta(days=i) for i in range(7)]
    catalog.add_time_off(db, shop.provider_id, at(week[2], 12), at(week[2], 14))
    for day, hour, status in [
        (week[1], 10, "confirmed"),
        (week[3], 15, "completed"),
        (week[4], 9, "no_show"),
        (week[5], 10, "cancelled"),
        (week[5], 11, "pending_payment"),
        (week[5], 12, "expired"),
        (week[6], 16, "completed"),
        (week[6] + timedelta(days=1), 10, "completed"),  # after the range
    ]:
        catalog.add_booking(db, shop.service_id, at(day, hour), status=status)
    [row] = performance(db, "provider", shop.owner_id, week[0], week[-1])
    assert row["provider_id"] == shop.provider_id
    assert row["offered_minutes"] == 7 * 8 * 60 - 120
    assert row["booked_minutes"] == 4 * 60
    assert row["utilisation"] == round(Decimal(240) / Decimal(3240), 4)
    assert (row["bookings"], row["completed"], row["no_show"], row["cancelled"]) == (7, 2, 1, 1)
    # cancelled / (bookings that are neither holds nor expired); no-show / (completed + no-show)
    assert row["cancellation_rate"] == round(Decimal(1) / Decimal(5), 4)
    assert row["no_show_rate"] == round(Decimal(1) / Decimal(3), 4)
    assert row["area"] == "45.52,-73.60"


def test_offered_minutes_follow_the_providers_zone_on_a_dst_day(
    db: psycopg.Connection[Any],
) -> None:
    shop = bk.open_shop(db)
    sunday = date(2026, 3, 8)  # clocks go from 02:00 to 03:00 in Toronto
    catalog.add_hours(db, shop.provider_id, [0], "00:00", "04:00")
    [row] = performance(db, "provider", shop.owner_id, sunday, sunday)
    assert row["offered_minutes"] == 8 * 60 + 3 * 60
    # the part of a booking outside the offered hours is not counted as booked
    catalog.add_booking(db, shop.service_id, at(sunday, 8, 30))
    [row] = performance(db, "provider", shop.owner_id, sunday, sunday)
    assert row["booked_minutes"] == 30


def test_a_provider_without_hours_has_no_utilisation(db: psycopg.Connection[Any]) -> None:
    owner = create_user(db, "provider")
    catalog.create_provider(db, owner_id=owner)
    [row] = performance(db, "provider", owner, "2026-06-01", "2026-06-30")
    assert (row["offered_minutes"], row["booked_minutes"], row["utilisation"]) == (0, 0, None)
    assert row["repeat_customer_share"] is None and row["rating_avg"] is None


# --- repeat customers and rating ------------------------------------------------------------


def test_repeat_customers_booked_at_least_twice_up_to_the_end_of_the_range(
    db: psycopg.Connection[Any],
) -> None:
    shop, elsewhere = bk.open_shop(db), bk.open_shop(db)
    x, y, z, w, v, u = (create_user(db, "customer") for _ in range(6))
    june = date(2026, 6, 10)
    for service, when, who, status in [
        (shop.service_id, at(date(2026, 5, 2), 10), x, "completed"),  # before the range
        (shop.service_id, at(june, 10), x, "confirmed"),
        (shop.service_id, at(june, 11), y, "confirmed"),
        (shop.service_id, at(june, 12), z, "completed"),
        (shop.service_id, at(june, 13), z, "completed"),
        (shop.service_id, at(june, 14), w, "cancelled"),  # not a customer of the range
        (shop.service_id, at(date(2026, 7, 2), 10), y, "confirmed"),  # after it
        # booked before the range, but another provider: not a repeat customer of this one
        (elsewhere.service_id, at(date(2026, 5, 3), 10), v, "completed"),
        (shop.service_id, at(june, 15), v, "confirmed"),
        # booked this provider before the range, but that booking was cancelled
        (shop.service_id, at(date(2026, 5, 4), 10), u, "cancelled"),
        (shop.service_id, at(june, 16), u, "confirmed"),
    ]:
        catalog.add_booking(db, service, when, status=status, customer_id=who)
    [row] = performance(db, "provider", shop.owner_id, "2026-06-01", "2026-06-30")
    assert (row["customers"], row["repeat_customers"]) == (5, 2)
    assert row["repeat_customer_share"] == round(Decimal(2) / Decimal(5), 4)
    # ops, who see every provider's bookings, read the same (the provider's row-level security
    # hides the other provider's booking; ops' does not)
    ops = create_user(db, "ops")
    [seen] = performance(db, "ops", ops, "2026-06-01", "2026-06-30", shop.provider_id)
    assert (seen["customers"], seen["repeat_customers"]) == (5, 2)
    # the earliest starts the probe reads: the provider sees its own customers' only
    own = rows_of(db, "provider", shop.owner_id, "select * from app.analytics_provider_customers")
    assert {r["provider_id"] for r in own} == {shop.provider_id} and len(own) == 5
    assert {r["customer_id"]: r["first_starts_at"] for r in own}[x] == at(date(2026, 5, 2), 10)
    theirs = rows_of(
        db, "provider", elsewhere.owner_id, "select * from app.analytics_provider_customers"
    )
    assert [(r["provider_id"], r["customer_id"]) for r in theirs] == [(elsewhere.provider_id, v)]
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        rows_of(db, "customer", x, "select * from app.analytics_provider_customers")


def test_the_rating_and_its_change_from_the_period_before(db: psycopg.Connection[Any]) -> None:
    shop = bk.open_shop(db)
    for i, (written, stars) in enumerate(
        [
            (at(date(2026, 5, 20), 9), 3),  # the 30 days before June
            (at(date(2026, 5, 25), 9), 4),
            (at(date(2026, 6, 5), 9), 5),
            (at(date(2026, 6, 20), 9), 4),
            (at(date(2026, 6, 21), 9), 1),  # hidden below
            (at(date(2026, 4, 1), 9), 1),  # too early for either period
        ]
    ):
        bid = catalog.add_booking(
            db, shop.service_id, at(date(2026, 3, 1), 9 + i), status="completed"
        )
        review(db, bid, stars, written)
    db.execute(
        "update app.reviews set hidden_at = now(), hidden_reason = 'spam' where stars = 1 "
        "and created_at > '2026-06-01'"
    )
    [row] = performance(db, "provider", shop.owner_id, "2026-06-01", "2026-06-30")
    assert (row["reviews"], row["rating_avg"]) == (2, Decimal("4.50"))
    assert (row["previous_reviews"], row["previous_rating_avg"]) == (2, Decimal("3.50"))
    assert row["rating_change"] == Decimal("1.00")


# --- against the random run: live figures equal the recount and the rollups -----------------


@pytest.fixture
def run(db: psycopg.Connection[Any]) -> Run:
    r = Run(db, seed=20)
    for _ in range(4):
        r.book()
    for _ in range(70):
        r.step()
    return r


def of_provider(
    bookings: list[dict[str, Any]], provider_id: Any, zone: ZoneInfo, first: date, last: date
) -> list[dict[str, Any]]:
    """The provider's bookings that start on its local days [first, last] in ``zone``."""
    return [
        b
        for b in bookings
        if b["provider_id"] == provider_id and first <= b["start"].astimezone(zone).date() <= last
    ]


def test_performance_bookings_and_net_equal_the_recount_and_the_providers_rollup(
    db: psycopg.Connection[Any], run: Run
) -> None:
    bookings = raw_bookings(db)
    first, last = span(bookings, TORONTO)
    last = min(last, first + timedelta(days=365))
    rows = {
        r["provider_id"]: r for r in performance(db, "ops", run.ops, first, first + timedelta(30))
    }
    assert set(rows) >= {s.provider_id for s in run.shops}
    for shop in run.shops:
        mine = of_provider(bookings, shop.provider_id, TORONTO, first, last)
        [own] = performance(db, "provider", shop.owner_id, first, last)
        assert own["bookings"] == len(mine)
        assert own["net_cents"] == sum(b["captured_cents"] - b["refunded_cents"] for b in mine)
        assert own["cancelled"] == sum(b["status"] == "cancelled" for b in mine)
        assert own["provider_cancelled"] == sum(b["cancelled_by_provider"] for b in mine)
        kept = sum(b["status"] not in ("pending_payment", "expired") for b in mine)
        if kept:
            assert own["provider_cancellation_rate"] == round(
                Decimal(own["provider_cancelled"]) / kept, 4
            )
        rollup = rows_of(
            db,
            "provider",
            shop.owner_id,
            "select * from api.analytics_provider(%s, %s, 'month')",
            first,
            last,
        )
        assert own["bookings"] == sum(r["bookings"] for r in rollup)
        assert own["net_cents"] == sum(r["net_cents"] for r in rollup)
        assert own["refunded_cents"] == sum(r["refunded_cents"] for r in rollup)


def test_in_a_half_hour_zone_the_figures_come_from_the_bookings_and_equal_the_recount(
    db: psycopg.Connection[Any], run: Run
) -> None:
    """A provider whose midnights are not whole UTC hours (Asia/Kolkata) is counted from its
    bookings of every status, not from the hourly rollups: the same counts, money and customers
    as a recount in its zone; the provider-caused cancellations, which only the rollups keep,
    are null."""
    kolkata = ZoneInfo("Asia/Kolkata")
    db.execute(
        "update app.providers set time_zone = 'Asia/Kolkata' where id = any(%s)",
        ([s.provider_id for s in run.shops],),
    )
    bookings = raw_bookings(db)
    customer_of = dict(db.execute("select id, customer_id from app.bookings").fetchall())
    first, last = span(bookings, kolkata)
    last = min(last, first + timedelta(days=365))
    checked = 0
    for shop in run.shops:
        mine = of_provider(bookings, shop.provider_id, kolkata, first, last)
        [own] = performance(db, "provider", shop.owner_id, first, last)
        counted = [b for b in mine if b["status"] in ("confirmed", "completed", "no_show")]
        assert own["bookings"] == len(mine)
        for status in ("completed", "no_show", "cancelled"):
            assert own[status] == sum(b["status"] == status for b in mine), status
        assert own["captured_cents"] == sum(b["captured_cents"] for b in mine)
        assert own["refunded_cents"] == sum(b["refunded_cents"] for b in mine)
        assert own["customers"] == len({customer_of[b["id"]] for b in counted})
        assert own["provider_cancelled"] is None
        checked += len(mine)
    assert checked > 0


def test_ops_page_through_every_provider_in_id_order(db: psycopg.Connection[Any], run: Run) -> None:
    bookings = raw_bookings(db)
    first, _ = span(bookings, TORONTO)
    last = first + timedelta(30)
    every = performance(db, "ops", run.ops, first, last)
    assert len(every) >= 3
    pages: list[list[dict[str, Any]]] = []
    after = None
    while True:
        page = rows_of(
            db,
            "ops",
            run.ops,
            "select * from api.analytics_performance(%s, %s, after_id => %s, page_size => 2)",
            first,
            last,
            after,
        )
        pages.append(page)
        if len(page) < 2:
            break
        after = page[-1]["provider_id"]
    assert [r for page in pages for r in page] == sorted(every, key=lambda r: r["provider_id"])
    assert all(len(page) <= 2 for page in pages)


def test_provider_cancellations_are_null_where_midnight_is_not_a_whole_utc_hour(
    db: psycopg.Connection[Any],
) -> None:
    shop = bk.open_shop(db)
    db.execute(
        "update app.providers set time_zone = 'Asia/Kolkata' where id = %s", (shop.provider_id,)
    )
    [row] = performance(db, "provider", shop.owner_id, "2026-06-01", "2026-06-30")
    assert row["provider_cancelled"] is None and row["provider_cancellation_rate"] is None
    db.execute("update app.providers set time_zone = 'UTC' where id = %s", (shop.provider_id,))
    [row] = performance(db, "provider", shop.owner_id, "2026-06-01", "2026-06-30")
    assert row["provider_cancelled"] == 0


def test_areas_equal_a_brute_force_recount_by_the_providers_cell(
    db: psycopg.Connection[Any], run: Run
) -> None:
    db.execute(
        "update app.providers set lat = 45.4590, lng = -73.5710 where id = %s",
        (run.shops[2].provider_id,),
    )
    bookings = raw_bookings(db)
    first, last = span(bookings, ZoneInfo("UTC"))
    where = {
        pid: f"{cell(lat)},{cell(lng)}"
        for pid, lat, lng in db.execute("select id, lat, lng from app.providers").fetchall()
    }
    expected: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for b in bookings:
        row = expected[(where[b["provider_id"]], b["category"], b["currency"])]
        row["bookings"] += 1
        row[b["status"]] += 1
        row["net_cents"] += b["captured_cents"] - b["refunded_cents"]
        for f in ("booked_cents", "captured_cents", "refunded_cents", "fees_kept_cents"):
            row[f] += b[f]
    got = {
        (r["area"], r["category"], r["currency"]): {
            "bookings": r["bookings"],
            "completed": r["completed"],
            "no_show": r["no_show"],
            "cancelled": r["cancelled"],
            "net_cents": r["net_cents"],
            "booked_cents": r["booked_cents"],
            "captured_cents": r["captured_cents"],
            "refunded_cents": r["refunded_cents"],
            "fees_kept_cents": r["fees_kept_cents"],
        }
        for r in rows_of(
            db, "ops", run.ops, "select * from api.analytics_areas(%s, %s)", first, last
        )
    }
    assert len({k[0] for k in got}) == 2
    assert got == {
        k: {f: v.get(f, 0) for f in next(iter(got.values()))} for k, v in expected.items()
    }


def test_refunds_by_reason_add_up_to_the_refunded_cents_of_the_revenue(
    db: psycopg.Connection[Any], run: Run
) -> None:
    bookings = raw_bookings(db)
    first, last = span(bookings, TORONTO)
    refunds = rows_of(
        db,
        "ops",
        run.ops,
        "select * from api.analytics_refunds(%s, %s, 'America/Toronto', 'month')",
        first,
        last,
    )
    reasons = {r["reason"] for r in refunds}
    assert reasons and reasons <= {
        "customer_cancellation",
        "provider_cancellation",
        "ops_cancellation",
        "ops_refund",
    }
    revenue = rows_of(
        db,
        "ops",
        run.ops,
        "select * from api.analytics_revenue(%s, %s, 'America/Toronto', 'month')",
        first,
        last,
    )
    succeeded: dict[Any, int] = defaultdict(int)
    for r in refunds:
        if r["status"] == "succeeded":
            succeeded[r["bucket_local"]] += r["amount_cents"]
    refunded: dict[Any, int] = defaultdict(int)
    for r in revenue:
        if r["refunded_cents"]:
            refunded[r["bucket_local"]] += r["refunded_cents"]
    assert succeeded == refunded and sum(refunded.values()) > 0
    total = db.execute("select count(*), sum(amount_cents) from app.refunds").fetchone()
    assert total == (sum(r["refunds"] for r in refunds), sum(r["amount_cents"] for r in refunds))


@pytest.mark.parametrize(
    ("role", "reason", "kind"),
    [
        ("customer", "cancelled by customer: changed plans", "customer_cancellation"),
        ("provider", "cancelled by provider: ill", "provider_cancellation"),
        ("ops", "cancelled by ops: fraud", "ops_cancellation"),
        ("ops", "goodwill", "ops_refund"),
        ("system", "payment arrived after the booking had ended", "late_payment"),
        (
            "system",
            "the payment did not match the booking's amount or currency",
            "payment_mismatch",
        ),
        ("system", "something new", "other"),
    ],
)
def test_each_refund_reason_is_classified(
    db: psycopg.Connection[Any], role: str, reason: str, kind: str
) -> None:
    got = db.execute("select internal.refund_reason_kind(%s, %s)", (role, reason)).fetchone()
    assert got == (kind,)


# --- today's counters -----------------------------------------------------------------------


def test_todays_counters_count_what_was_made_today_and_the_live_holds(
    db: psycopg.Connection[Any],
) -> None:
    a, b = bk.open_shop(db), bk.open_shop(db)
    later = datetime.now(UTC) + timedelta(days=5)
    catalog.add_booking(db, a.service_id, later, status="confirmed")
    catalog.add_booking(db, a.service_id, later + timedelta(hours=2), status="cancelled")
    catalog.add_booking(
        db,
        a.service_id,
        later + timedelta(hours=4),
        status="pending_payment",
        hold_expires_at=datetime.now(UTC) + timedelta(minutes=15),
    )
    catalog.add_booking(db, b.service_id, later, status="confirmed")
    old = catalog.add_booking(db, b.service_id, later + timedelta(hours=2), status="confirmed")
    db.execute(
        "update app.bookings set created_at = now() - interval '3 days' where id = %s", (old,)
    )
    db.execute(
        "insert into app.payments (booking_id, amount_cents, currency, status, captured_cents) "
        "select id, 1000, 'CAD', 'succeeded', 1000 from app.bookings where provider_id = %s "
        "and status = 'confirmed'",
        (a.provider_id,),
    )
    [mine] = rows_of(db, "provider", a.owner_id, "select * from api.analytics_today()")
    assert (mine["bookings_made"], mine["bookings_paid"], mine["bookings_cancelled"]) == (3, 1, 1)
    assert (mine["booked_cents"], mine["captured_cents"], mine["live_holds"]) == (5000, 1000, 1)
    assert (mine["queue_depth"], mine["dead_letters"]) == (None, None)
    assert mine["tz"] == "America/Toronto"
    assert mine["day_start"] <= mine["as_of"] < mine["day_end"]
    ops = create_user(db, "ops")
    [every] = rows_of(db, "ops", ops, "select * from api.analytics_today('Asia/Kolkata')")
    assert (every["bookings_made"], every["bookings_paid"], every["live_holds"]) == (4, 2, 1)
    assert every["queue_depth"] is not None and every["dead_letters"] is not None
    [theirs] = rows_of(
        db, "ops", ops, "select * from api.analytics_today(provider_id => %s)", b.provider_id
    )
    assert (theirs["bookings_made"], theirs["tz"]) == (1, "America/Toronto")


def test_todays_queue_counters_are_exact_up_to_ten_thousand_a_queue_then_a_floor(
    db: psycopg.Connection[Any],
) -> None:
    """Each queue is counted up to 10,000 messages (a backlog must not make every load of the
    counters count all of it): exact below, a floor flagged inexact above, for ops only."""
    ops = create_user(db, "ops")
    shop = bk.open_shop(db)

    def send(queue: str, n: int) -> None:
        db.execute("select pgmq.send_batch(%s, array_fill('{}'::jsonb, array[%s]))", (queue, n))

    def counters() -> tuple[Any, ...]:
        [row] = rows_of(db, "ops", ops, "select * from api.analytics_today()")
        return tuple(
            row[k]
            for k in ("queue_depth", "dead_letters", "queue_depth_exact", "dead_letters_exact")
        )

    def waiting() -> tuple[int, int]:
        return db.execute(
            "select (select count(*) from pgmq.q_payments) + (select count(*) from pgmq.q_notifications), "
            "(select count(*) from pgmq.q_payments_dlq) + (select count(*) from pgmq.q_notifications_dlq)"
        ).fetchone()  # type: ignore[return-value]

    send("payments", 3)
    send("notifications_dlq", 2)
    assert counters() == (*waiting(), True, True)
    assert db.execute("select count(*) from pgmq.q_notifications").fetchone() == (0,)
    send("notifications", 10_000)
    assert counters() == (10_003, 2, True, True)  # 10,000 in one queue: still exact
    send("notifications", 1)
    assert waiting() == (10_004, 2)
    assert counters() == (10_003, 2, False, True)  # that queue's 10,000 and the 3 payments
    send("payments_dlq", 10_001)
    assert counters() == (10_003, 10_002, False, False)
    # a provider gets none of them
    [mine] = rows_of(db, "provider", shop.owner_id, "select * from api.analytics_today()")
    assert {k: v for k, v in mine.items() if k.startswith(("queue", "dead"))} == dict.fromkeys(
        ("queue_depth", "dead_letters", "queue_depth_exact", "dead_letters_exact")
    )


def _made_between(db: psycopg.Connection[Any], start: datetime, end: datetime) -> tuple[int, ...]:
    """Today's bookings counted here from the base rows: made, paid, cancelled, the list
    prices of the paid ones, what their payments captured."""
    paid = ("confirmed", "completed", "no_show")
    made = db.execute(
        "select id, status, price_cents from app.bookings where created_at >= %s and created_at < %s",
        (start, end),
    ).fetchall()
    captured = dict(
        db.execute(
            "select booking_id, sum(captured_cents) from app.payments group by booking_id"
        ).fetchall()
    )
    return (
        len(made),
        sum(1 for _, st, _ in made if st in paid),
        sum(1 for _, st, _ in made if st == "cancelled"),
        sum(cents for _, st, cents in made if st in paid),
        sum(int(captured.get(i, 0)) for i, _, _ in made),
    )


def _ops_today(db: psycopg.Connection[Any], ops: Any, tz: str) -> dict[str, Any]:
    [row] = rows_of(db, "ops", ops, "select * from api.analytics_today(%s)", tz)
    return row


def _counted(row: dict[str, Any]) -> tuple[int, ...]:
    return tuple(
        row[k]
        for k in (
            "bookings_made",
            "bookings_paid",
            "bookings_cancelled",
            "booked_cents",
            "captured_cents",
        )
    )


def test_todays_counters_across_providers_read_the_rollup_by_hour_made(
    db: psycopg.Connection[Any],
) -> None:
    """Every provider's counters in a zone with whole-hour offsets come from the rollup by the
    hour each booking was made (with its deltas, then folded): the same figures as the base
    rows, after payments, a cancellation and bookings whose creation moves out of and into
    today; a half-hour zone counts the bookings. The drift check sees the rollup, and reads
    follow it (so the rollup, not a recount, answered)."""
    a, b = bk.open_shop(db), bk.open_shop(db)
    later = datetime.now(UTC) + timedelta(days=5)
    ids = [
        catalog.add_booking(db, shop.service_id, later + timedelta(hours=h), status=st)
        for shop, h, st in [
            (a, 0, "confirmed"),
            (a, 2, "confirmed"),
            (a, 4, "pending_payment"),
            (b, 0, "confirmed"),
            (b, 2, "confirmed"),
        ]
    ]
    db.execute(
        "insert into app.payments (booking_id, amount_cents, currency, status, captured_cents) "
        "select id, 1500, 'CAD', 'succeeded', 1500 from app.bookings where id = any(%s)",
        (ids[:2] + ids[3:4],),
    )
    db.execute(
        "select internal.transition_booking(%s, 'cancelled', 'customer', 'changed plans')",
        (ids[1],),
    )
    db.execute(
        "update app.bookings set created_at = now() - interval '3 days' where id = %s", (ids[4],)
    )
    ops = create_user(db, "ops")
    for _ in range(2):
        for tz in ("UTC", "America/Toronto", "Asia/Kolkata"):
            row = _ops_today(db, ops, tz)
            assert _counted(row) == _made_between(db, row["day_start"], row["day_end"]), tz
            assert row["bookings_made"] >= 3
        db.execute("select internal.analytics_compact()")
    assert db.execute("select count(*) from app.analytics_deltas").fetchone() == (0,)
    # a booking made three days ago, now made today, counts today
    db.execute("update app.bookings set created_at = now() where id = %s", (ids[4],))
    row = _ops_today(db, ops, "UTC")
    assert _counted(row) == _made_between(db, row["day_start"], row["day_end"])
    assert row["bookings_made"] == 5
    db.execute("select internal.analytics_compact()")
    assert drift(db) == []
    db.execute(
        "update app.analytics_created_hours set bookings = bookings + 1 where (hour, status) = "
        "(select date_trunc('hour', created_at, 'UTC'), 'confirmed' from app.bookings where id = %s)",
        (ids[0],),
    )
    assert _ops_today(db, ops, "UTC")["bookings_made"] == 6
    assert [r[0] for r in drift(db)] == ["created_hours"]
    db.execute("select internal.analytics_rebuild()")
    assert drift(db) == [] and _ops_today(db, ops, "UTC")["bookings_made"] == 5


# --- bad inputs and who reads what ----------------------------------------------------------


def _refusal(
    db: psycopg.Connection[Any], role: str, sub: Any, sql: str, *args: Any
) -> tuple[Any, str]:
    with pytest.raises(psycopg.Error) as err:
        rows_of(db, role, sub, sql, *args)
    return err.value.sqlstate, str(err.value.diag.message_primary)


@pytest.mark.parametrize(
    ("sql", "args", "message"),
    [
        (
            "api.analytics_performance(%s, %s)",
            ("2026-06-10", "2026-06-01"),
            "from must be on or before to",
        ),
        (
            "api.analytics_performance(%s, %s)",
            ("2026-06-01", "2026-07-10"),
            "covers 40 days; at most 31",
        ),
        ("api.analytics_performance(%s, %s)", (None, "2026-07-10"), "from is required"),
        (
            "api.analytics_performance(%s, %s, cell_deg => 0)",
            ("2026-06-01", "2026-06-10"),
            "cell_deg must be",
        ),
        (
            "api.analytics_performance(%s, %s, page_size => 0)",
            ("2026-06-01", "2026-06-10"),
            "page_size must be from 1 to 1000",
        ),
        (
            "api.analytics_performance(%s, %s, page_size => 1001)",
            ("2026-06-01", "2026-06-10"),
            "page_size must be from 1 to 1000",
        ),
        (
            "api.analytics_areas(%s, %s, cell_deg => 5)",
            ("2026-06-01", "2026-06-10"),
            "cell_deg must be",
        ),
        (
            "api.analytics_areas(%s, %s, category => 'x')",
            ("2026-06-01", "2026-06-10"),
            "category: no such",
        ),
        ("api.analytics_areas(%s, %s, 'Mars/Base')", ("2026-06-01", "2026-06-10"), "tz must be"),
        (
            "api.analytics_refunds(%s, %s, 'UTC', 'year')",
            ("2026-06-01", "2026-06-10"),
            "group_by must be",
        ),
        ("api.analytics_today(%s)", ("Mars/Base",), "tz must be a time zone name"),
        ("api.analytics_today(%s)", ("UTC'; select 1; --",), "tz must be a time zone name"),
    ],
)
def test_bad_inputs_are_refused_naming_the_argument(
    db: psycopg.Connection[Any], sql: str, args: tuple[Any, ...], message: str
) -> None:
    ops = create_user(db, "ops")
    state, text = _refusal(db, "ops", ops, f"select * from {sql}", *args)
    assert state == "PT400" and message in text


def test_ops_may_read_one_provider_over_a_year_but_every_provider_over_a_month(
    db: psycopg.Connection[Any],
) -> None:
    shop = bk.open_shop(db)
    ops = create_user(db, "ops")
    [row] = performance(db, "ops", ops, "2026-01-01", "2026-12-31", shop.provider_id)
    assert row["offered_minutes"] == 365 * 8 * 60


@pytest.fixture
def two(db: psycopg.Connection[Any]) -> tuple[bk.Shop, bk.Shop]:
    a, b = bk.open_shop(db), bk.open_shop(db)
    for s in (a, b):
        catalog.add_booking(db, s.service_id, at(date(2026, 6, 10), 15))
    return a, b


@pytest.mark.parametrize(
    "fn",
    [
        "analytics_performance('2026-06-01', '2026-06-30', %s)",
        "analytics_refunds('2026-06-01', '2026-06-30', null, 'day', %s)",
        "analytics_today(null, %s)",
    ],
)
def test_a_provider_cannot_read_another_providers_performance_refunds_or_today(
    db: psycopg.Connection[Any], two: tuple[bk.Shop, bk.Shop], fn: str
) -> None:
    a, b = two
    state, message = _refusal(db, "provider", a.owner_id, f"select * from api.{fn}", b.provider_id)
    assert (state, message) == ("PT403", "provider_id: a provider may read only its own figures")


def test_a_provider_sees_only_its_own_row_and_ops_see_every_provider(
    db: psycopg.Connection[Any], two: tuple[bk.Shop, bk.Shop]
) -> None:
    a, b = two
    mine = performance(db, "provider", a.owner_id, "2026-06-01", "2026-06-30")
    assert [(r["provider_id"], r["bookings"]) for r in mine] == [(a.provider_id, 1)]
    every = performance(db, "ops", create_user(db, "ops"), "2026-06-01", "2026-06-30")
    assert {r["provider_id"] for r in every} == {a.provider_id, b.provider_id}


@pytest.mark.parametrize(
    ("role", "sql"),
    [
        ("provider", "select * from api.analytics_areas('2026-06-01', '2026-06-30')"),
        ("customer", "select * from api.analytics_performance('2026-06-01', '2026-06-30')"),
        ("customer", "select * from api.analytics_refunds('2026-06-01', '2026-06-30')"),
        ("customer", "select * from api.analytics_today()"),
        ("customer", "select * from api.analytics_areas('2026-06-01', '2026-06-30')"),
    ],
)
def test_customers_and_providers_are_refused_what_is_not_theirs(
    db: psycopg.Connection[Any], two: tuple[bk.Shop, bk.Shop], role: str, sql: str
) -> None:
    sub = two[0].owner_id if role == "provider" else create_user(db, "customer")
    assert _refusal(db, role, sub, sql)[0] in ("PT403", "42501")
