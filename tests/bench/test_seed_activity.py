"""The benchmark's two weeks of activity (db/seed/ ``load_activity``): time off
and bookings that keep every promise of ``internal.check_invariants()``, that
availability sees, written exactly as the audit trigger would have written them;
and the mixed scenario end to end at a tiny size. Never about time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import psycopg

import bookiji_seed as seed
from tests.helpers.bench_run import run_bench

PROVIDERS = 60
FIRST_DAY = date(2030, 3, 4)  # a Monday, far from today: the window is all ahead


def _load(db: psycopg.Connection[Any], first: date = FIRST_DAY) -> seed.ActivityResult:
    seed.load(db, PROVIDERS)
    # a higher share of time off than the default, so that a tiny set has some
    return seed.load_activity(db, PROVIDERS, first_day=first, time_off=0.2)


def _violations(db: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
    return [r for r in db.execute("select * from internal.check_invariants()") if r[1] != 0]


def test_the_two_weeks_have_time_off_and_bookings_that_keep_every_invariant(
    db: psycopg.Connection[Any],
) -> None:
    result = _load(db)

    assert result.customers > 0 and result.time_off > 0
    assert result.confirmed > 0 and result.cancelled > 0 and result.payments > 0
    assert 0.05 < result.booked_share < 0.6
    assert "confirmed bookings" in result.summary()
    assert _violations(db) == []
    row = db.execute(
        "select count(*) filter (where status = 'confirmed'), count(*) filter (where status = "
        "'cancelled'), min(lower(blocked)), max(upper(blocked)) from app.bookings"
    ).fetchone()
    assert row is not None
    assert (row[0], row[1]) == (result.confirmed, result.cancelled)
    window_start = row[2].astimezone(seed.ZoneInfo(seed.TIME_ZONE)).date()
    window_end = row[3].astimezone(seed.ZoneInfo(seed.TIME_ZONE)).date()
    assert window_start >= FIRST_DAY and window_end < FIRST_DAY + timedelta(days=seed.ACTIVITY_DAYS)
    # every paid booking's payment succeeded for what it cost (the deposit, else the price)
    assert db.execute(
        """
        select count(*) from app.bookings b join app.payments p on p.booking_id = b.id
        where b.status <> 'confirmed' or p.status <> 'succeeded' or p.captured_cents <> p.amount_cents
           or p.amount_cents <> case when b.deposit_cents > 0 then b.deposit_cents else b.price_cents end
        """
    ).fetchone() == (0,)
    # no booking in time off, none outside the provider's services
    assert db.execute(
        """
        select count(*) from app.bookings b
        where exists (select from app.time_off o where o.provider_id = b.provider_id
                      and o.during && b.blocked)
           or not exists (select from app.services s where s.id = b.service_id
                          and s.provider_id = b.provider_id)
        """
    ).fetchone() == (0,)


def test_every_booking_comes_from_its_customers_quote_and_some_quotes_are_left(
    db: psycopg.Connection[Any],
) -> None:
    # the funnel's data, as customers make it: a quote of the booking's category at its
    # start, 1 to 10 minutes before the booking, still valid then, after the customer signed
    # up; and quotes nobody booked (asked an hour before, or a slot the load skipped)
    result = _load(db)
    bookings = result.confirmed + result.cancelled
    assert db.execute(
        """
        select count(*) from app.bookings b
        join app.quotes q on q.id = b.quote_id
        join app.services s on s.id = b.service_id
        join app.users u on u.id = b.customer_id
        where q.customer_id = b.customer_id and q.category_id = s.category_id
          and q.starts_at = lower(b.blocked)
          and b.created_at - q.created_at between interval '1 minute' and interval '10 minutes'
          and q.expires_at > b.created_at and q.created_at > u.created_at
        """
    ).fetchone() == (bookings,)
    unbooked = db.execute(
        "select count(*) from app.quotes q where not exists "
        "(select from app.bookings b where b.quote_id = q.id)"
    ).fetchone()
    assert unbooked is not None and 0.3 * bookings < unbooked[0] < bookings
    assert result.quotes == bookings + unbooked[0]
    assert f"{result.quotes} quotes" in result.summary()
    # the funnel's rollups agree with a recount, and say the same
    assert list(db.execute("select * from internal.analytics_drift()")) == []
    first_bookings = db.execute("select count(*) from app.analytics_quote_bookings").fetchone()
    assert first_bookings == (bookings,)
    # a window of another day replaces them with its own
    again = seed.load_activity(db, PROVIDERS, first_day=FIRST_DAY + timedelta(days=1), time_off=0.2)
    assert db.execute("select count(*) from app.quotes").fetchone() == (again.quotes,)
    assert list(db.execute("select * from internal.analytics_drift()")) == []
    disabled = db.execute(
        "select count(*) from pg_trigger where tgname like '_520_analytics%' and tgenabled = 'D'"
    ).fetchone()
    assert disabled == (0,)


def test_the_analytics_rollups_count_the_bulk_write_and_their_triggers_are_back_on(
    db: psycopg.Connection[Any],
) -> None:
    # the load turns the analytics triggers off for its bulk write and rebuilds the
    # rollups in the same transaction: they agree with a live recount, before and after
    # a window is replaced, and the triggers are on again for what follows
    first = _load(db)
    facts = db.execute("select count(*) from app.analytics_booking_facts").fetchone()
    assert facts == (first.confirmed + first.cancelled,)
    assert list(db.execute("select * from internal.analytics_drift()")) == []
    seed.load_activity(db, PROVIDERS, first_day=FIRST_DAY + timedelta(days=1), time_off=0.2)
    assert list(db.execute("select * from internal.analytics_drift()")) == []
    disabled = db.execute(
        "select count(*) from pg_trigger where tgname like '_510_analytics%' and tgenabled = 'D'"
    ).fetchone()
    assert disabled == (0,)


def test_an_offered_window_of_another_day_is_recounted_in_full(
    db: psycopg.Connection[Any],
) -> None:
    # today's window: only the bookings' rollups are recounted (time off's triggers kept the
    # offered days); a window left from another day: everything, the offered days included
    seed.load(db, PROVIDERS)
    db.execute(
        "update app.analytics_offered_window set first_day = first_day - 1, last_day = last_day - 1"
    )
    seed.load_activity(db, PROVIDERS, first_day=FIRST_DAY, time_off=0.2)
    assert db.execute(
        "select w.first_day = t.first_day and w.last_day = t.last_day "
        "from app.analytics_offered_window as w, internal.analytics_offered_target() as t"
    ).fetchone() == (True,)
    assert list(db.execute("select * from internal.analytics_drift()")) == []


_RELIABILITY = """
select id, ended_bookings, provider_cancellations, no_shows, other_cancellations,
       provider_cancellation_rate, no_show_rate
from app.providers order by id
"""


def test_the_reliability_counts_are_what_the_trigger_counts(db: psycopg.Connection[Any]) -> None:
    # the load counts the ended (cancelled) bookings into their providers set-based, with
    # the reliability trigger off: the trigger itself, counting the same bookings again
    # from zero, reaches the same counts and rates, before and after a window is replaced
    seed.load(db, PROVIDERS)
    for first_day in (FIRST_DAY, FIRST_DAY + timedelta(days=1)):
        result = seed.load_activity(db, PROVIDERS, first_day=first_day, time_off=0.2)
        set_based = db.execute(_RELIABILITY).fetchall()
        assert sum(r[1] for r in set_based) == result.cancelled > 0
        with db.transaction():
            db.execute(
                "update app.providers set ended_bookings = 0, provider_cancellations = 0, "
                "no_shows = 0, other_cancellations = 0, provider_cancellation_rate = 0.02, "
                "no_show_rate = 0.02"
            )
            db.execute("select set_config('bookiji.actor', %s, true)", (seed.ACTOR,))
            # cancelled bookings hold no time: copies of them go in beside the originals
            copied = db.execute(
                """
                insert into app.bookings (customer_id, provider_id, service_id, during, blocked,
                    status, price_cents, deposit_cents, currency, cancel_notice_hours,
                    cancel_fee_cents, cancelled_at, cancelled_by, cancelled_by_role, cancel_reason)
                select customer_id, provider_id, service_id, during, blocked, status, price_cents,
                    deposit_cents, currency, cancel_notice_hours, cancel_fee_cents, cancelled_at,
                    cancelled_by, cancelled_by_role, cancel_reason
                from app.bookings where status in ('completed', 'no_show', 'cancelled')
                """
            ).rowcount
            assert copied == result.cancelled
            assert db.execute(_RELIABILITY).fetchall() == set_based
            raise psycopg.Rollback()  # the copies go, the set-based counts stay


def test_the_audit_rows_are_what_the_trigger_writes(db: psycopg.Connection[Any]) -> None:
    result = _load(db)
    rows = db.execute(
        """
        select l.action, l.actor_role, l.actor_id, l.after = to_jsonb(b), l.before
        from app.bookings b
        join audit.action_log l on l.table_name = 'app.bookings' and l.row_id = b.id::text
        """
    ).fetchall()
    assert len(rows) == result.confirmed + result.cancelled
    assert set(rows) == {("booking.created", seed.ACTOR, None, True, None)}
    # the trigger is back on: a booking inserted now is audited by it, in the same shape
    booking = db.execute("select * from app.bookings limit 1").fetchone()
    assert booking is not None
    with db.transaction():
        db.execute("select set_config('bookiji.actor', %s, true)", (seed.ACTOR,))
        new = db.execute(
            """
            insert into app.bookings (customer_id, provider_id, service_id, during, blocked,
                status, price_cents, deposit_cents, currency, cancel_notice_hours, cancel_fee_cents)
            select customer_id, provider_id, service_id, during, blocked, 'cancelled',
                price_cents, deposit_cents, currency, cancel_notice_hours, cancel_fee_cents
            from app.bookings where id = %s
            returning id
            """,
            (booking[0],),
        ).fetchone()
    assert new is not None
    assert db.execute(
        """
        select l.action, l.actor_role, l.after = to_jsonb(b) from app.bookings b
        join audit.action_log l on l.row_id = b.id::text where b.id = %s
        """,
        (new[0],),
    ).fetchall() == [("booking.created", seed.ACTOR, True)]


def test_availability_sees_the_bookings_and_the_time_off(db: psycopg.Connection[Any]) -> None:
    _load(db)
    booked = db.execute(
        """
        select b.service_id, b.during, b.blocked, p.time_zone,
               internal.slot_is_free(b.provider_id, p.time_zone, b.blocked, %s::timestamptz)
        from app.bookings b join app.providers p on p.id = b.provider_id
        where b.status = 'confirmed' order by b.id limit 50
        """,
        (FIRST_DAY - timedelta(days=1),),
    ).fetchall()
    assert booked and not any(r[4] for r in booked)
    # the start of a booking is not offered, while other starts of that day are
    now = FIRST_DAY - timedelta(days=1)
    offered = 0
    for service_id, during, _blocked, _tz, _free in booked[:10]:
        starts = {
            r[0]
            for r in db.execute(
                "select starts_at from internal.service_slots(%s, %s, %s, 15, %s::timestamptz)",
                (
                    service_id,
                    during.lower - timedelta(hours=12),
                    during.upper + timedelta(hours=12),
                    now,
                ),
            )
        }
        offered += len(starts)
        assert during.lower not in starts
    assert offered > 0
    off = db.execute(
        """
        select o.provider_id, o.during, p.time_zone from app.time_off o
        join app.providers p on p.id = o.provider_id
        """
    ).fetchall()
    assert off
    for provider_id, during, tz in off:
        assert db.execute(
            "select internal.slot_is_free(%s, %s, tstzrange(%s, %s), %s::timestamptz)",
            (provider_id, tz, during.lower, during.lower + timedelta(minutes=30), FIRST_DAY),
        ).fetchone() == (False,)


def test_the_window_is_deterministic_kept_and_replaced_on_another_day(
    db: psycopg.Connection[Any],
) -> None:
    first = _load(db)
    ids = db.execute("select array_agg(id order by id) from app.bookings").fetchone()
    again = seed.load_activity(db, PROVIDERS, first_day=FIRST_DAY, time_off=0.2)
    assert again.skipped
    later = seed.load_activity(db, PROVIDERS, first_day=FIRST_DAY + timedelta(days=1), time_off=0.2)
    assert later.replaced == first.confirmed + first.cancelled
    assert _violations(db) == []
    back = seed.load_activity(db, PROVIDERS, first_day=FIRST_DAY, time_off=0.2)
    assert (back.confirmed, back.cancelled, back.time_off) == (
        first.confirmed,
        first.cancelled,
        first.time_off,
    )
    assert db.execute("select array_agg(id order by id) from app.bookings").fetchone() == ids
    left = db.execute(
        "select count(*) from audit.action_log l where l.table_name = 'app.bookings' "
        "and not exists (select from app.bookings b where b.id::text = l.row_id)"
    ).fetchone()
    assert left == (0,)


def test_the_mixed_scenario_runs_with_the_worker_and_counts_each_operation(
    bench_db: str, tmp_path: Path
) -> None:
    doc, printed = run_bench(
        bench_db,
        tmp_path,
        "--concurrency",
        "2",
        "--sizes",
        "30",
        "--scenarios",
        "mixed",
        duration=2,
        timeout=300,
    )
    assert "activity, 14 days" in printed  # the dataset's summary
    assert "quote" in printed and "drained" in printed
    (scenario,) = doc["scenarios"]
    assert scenario["name"] == "mixed"
    (result,) = scenario["results"]
    assert result["requests"] > 0
    for figure in ("throughput", "p50_ms", "p99_ms", "max_ms"):
        assert isinstance(result[figure], int | float), figure
    extra = result["extra"]
    for op in ("quote", "confirm", "cancel"):
        for kind in ("sent", "2xx", "409", "other", "errors"):
            assert isinstance(extra[f"{op}_{kind}"], int | float), (op, kind)
    assert extra["quote_sent"] > 0
    assert extra["quote_2xx"] + extra["quote_409"] + extra["quote_other"] > 0
    assert extra["overlapping_live_bookings"] == 0
    assert extra["queue_left_payments"] == 0 and extra["queue_left_notifications"] == 0
    assert extra["dlq_new_payments"] == 0 and extra["dlq_new_notifications"] == 0


def test_a_longer_window_brings_new_customers_not_busier_ones(
    db: psycopg.Connection[Any],
) -> None:
    """As many customers per two weeks whatever the window: four weeks have twice the
    customers of two, and a customer's bookings do not grow with the window."""
    seed.load(db, PROVIDERS)
    two = seed.load_activity(db, PROVIDERS, first_day=FIRST_DAY)
    four = seed.load_activity(db, PROVIDERS, first_day=FIRST_DAY + timedelta(days=1), days=28)
    assert (two.customers, four.customers) == (
        max(8, int(PROVIDERS * seed.CUSTOMERS_PER_PROVIDER)),
        max(8, int(PROVIDERS * seed.CUSTOMERS_PER_PROVIDER * 2)),
    )
    busiest = db.execute(
        "select max(n) from (select count(*) n from app.bookings group by customer_id) c"
    ).fetchone()
    assert busiest is not None and busiest[0] < 2 * four.confirmed / four.customers
    assert _violations(db) == []


def _signups(db: psycopg.Connection[Any]) -> tuple[Any, ...]:
    row = db.execute(
        """
        select
            count(*) filter (where exists (
                select from app.bookings b where b.customer_id = u.id and b.created_at < u.created_at
            )),
            count(distinct date_trunc('week', u.created_at, 'UTC')),
            min(u.created_at), max(u.created_at)
        from app.users as u
        where u.email like 'customer%%@seed.bookiji.test'
        """
    ).fetchone()
    assert row is not None
    return tuple(row)


def test_customers_sign_up_over_weeks_before_their_first_booking_and_move_with_the_window(
    db: psycopg.Connection[Any],
) -> None:
    """The seed's customers sign up over the five weeks before bookings start being made, not
    all in the hour the seed ran: the sign-up cohorts (api.analytics_cohorts) are weeks of
    customers. No booking is made before its customer signed up, on another first day too,
    and the cohort weeks carry each customer's sign-up hour."""
    _load(db)
    before, weeks, first, last = _signups(db)
    assert before == 0
    assert weeks >= 3 and last - first > timedelta(days=14)
    assert first >= datetime.combine(FIRST_DAY - timedelta(days=63), time(), UTC)
    assert last <= datetime.combine(FIRST_DAY - timedelta(days=28), time(), UTC)
    # the cohort weeks' sign-up hour is the customer's (recounted after the bulk write)
    assert db.execute(
        """
        select count(*) from app.analytics_customer_weeks c
        join app.users u on u.id = c.customer_id
        where c.signup_hour <> date_trunc('hour', u.created_at, 'UTC')
        """
    ).fetchone() == (0,)
    assert db.execute("select count(*) from app.analytics_customer_weeks").fetchone() != (0,)
    assert db.execute("select count(*) from internal.analytics_drift()").fetchone() == (0,)

    later = FIRST_DAY + timedelta(days=10)
    seed.load_activity(db, PROVIDERS, first_day=later, time_off=0.2)
    before, _, first, last = _signups(db)
    assert before == 0
    assert first >= datetime.combine(later - timedelta(days=63), time(), UTC)
    assert last <= datetime.combine(later - timedelta(days=28), time(), UTC)
    assert db.execute("select count(*) from internal.analytics_drift()").fetchone() == (0,)
