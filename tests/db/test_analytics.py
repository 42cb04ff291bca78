"""Analytics: the rollups stay equal to a brute-force recount of the base tables, to the
cent, through a seeded random run of bookings, payments, cancellations, refunds, moves,
outcomes, deletions and a rebuild; local days and DST; bad inputs; who reads what."""

from __future__ import annotations

import dataclasses
import random
import threading
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from psycopg import sql

from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.db import acting_as, call_as, one
from tests.helpers.factories import create_user

TORONTO = ZoneInfo("America/Toronto")
GST = "123456782RT0001"  # 123456782 is a Luhn-valid business number
QST = "1234567890TQ0001"
STATUS_COLUMNS = ["pending_payment", "confirmed", "completed", "no_show", "cancelled", "expired"]
FIGURES = [
    "bookings",
    "cancelled_by_customer",
    "cancelled_by_provider",
    "cancelled_by_ops",
    "cancelled_by_system",
    "cancelled_late",
    "lead_minutes",
    "booked_cents",
    "captured_cents",
    "refunded_cents",
    "fees_kept_cents",
    "outstanding_cents",
    "gst_cents",
    "qst_cents",
]


# --- the brute-force recount: raw rows, summed in Python ------------------------------------


def raw_bookings(db: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    """Every booking with its money, read table by table and summed here."""
    rows = db.execute(
        """
        select b.id, b.provider_id, k.slug, lower(b.during), b.status, b.currency, b.price_cents,
               b.created_at, b.cancelled_at, b.cancelled_by_role, b.cancel_notice_hours,
               b.deposit_cents, b.gst_rate, b.qst_rate, b.gst_cents, b.qst_cents
        from app.bookings b join app.services s on s.id = b.service_id
        join app.service_categories k on k.id = s.category_id
        """
    ).fetchall()
    captured: dict[Any, int] = defaultdict(int)
    outstanding: dict[Any, int] = defaultdict(int)
    succeeded: dict[Any, int] = defaultdict(int)
    for booking_id, cents, amount, status in db.execute(
        "select booking_id, captured_cents, amount_cents, status from app.payments"
    ):
        captured[booking_id] += cents
        if status in ("pending", "requires_payment"):
            outstanding[booking_id] += amount
        succeeded[booking_id] += status == "succeeded"
    refunded: dict[Any, int] = defaultdict(int)
    for booking_id, cents in db.execute(
        "select booking_id, amount_cents from app.refunds where status = 'succeeded'"
    ):
        refunded[booking_id] += cents
    fees: dict[Any, int] = defaultdict(int)
    for booking_id, cents in db.execute("select booking_id, amount_cents from app.booking_fees"):
        fees[booking_id] += cents
    out = []
    for (
        bid,
        provider,
        slug,
        start,
        status,
        currency,
        price,
        created,
        c_at,
        c_by,
        notice,
        deposit,
        gst_rate,
        qst_rate,
        gst,
        qst,
    ) in rows:
        cancelled = status == "cancelled"
        # the taxes of the first charge (the deposit's, or the price's), once per charge paid
        if deposit > 0:
            gst, qst = tax(deposit, gst_rate), tax(deposit, qst_rate)
        out.append(
            {
                "id": bid,
                "provider_id": provider,
                "category": slug,
                "start": start,
                "status": status,
                "currency": currency,
                "bookings": 1,
                "booked_cents": price,
                "lead_minutes": int((start - created).total_seconds() // 60),
                "cancelled_by_customer": int(cancelled and c_by == "customer"),
                "cancelled_by_provider": int(cancelled and c_by == "provider"),
                "cancelled_by_ops": int(cancelled and c_by == "ops"),
                "cancelled_by_system": int(cancelled and c_by == "system"),
                "cancelled_late": int(
                    cancelled and c_at is not None and c_at >= start - timedelta(hours=notice)
                ),
                "captured_cents": captured[bid],
                "refunded_cents": refunded[bid],
                "fees_kept_cents": fees[bid],
                "outstanding_cents": outstanding[bid],
                "gst_cents": gst * succeeded[bid],
                "qst_cents": qst * succeeded[bid],
            }
        )
    return out


def tax(cents: int, rate: Decimal) -> int:
    return int((Decimal(cents) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def recount(
    bookings: list[dict[str, Any]], bucket: Any, provider: Any = None
) -> dict[tuple[Any, ...], dict[str, int]]:
    """Figures per (bucket(start), category, currency), as the API reports them."""
    out: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for b in bookings:
        if provider is not None and b["provider_id"] != provider:
            continue
        row = out[(bucket(b["start"]), b["category"], b["currency"])]
        for f in FIGURES:
            row[f] += b[f]
        row[b["status"]] += 1
        row["net_cents"] += b["captured_cents"] - b["refunded_cents"]
    return out


def reported(rows: list[dict[str, Any]], bucket: Any) -> dict[tuple[Any, ...], dict[str, int]]:
    out: dict[tuple[Any, ...], dict[str, int]] = {}
    for r in rows:
        out[(bucket(r), r["category"], r["currency"])] = {
            k: int(r[k] or 0) for k in [*FIGURES, *STATUS_COLUMNS, "net_cents"] if k in r
        }
    return out


def same(
    expected: dict[tuple[Any, ...], dict[str, int]], got: dict[tuple[Any, ...], dict[str, int]]
) -> None:
    assert set(got) == set(expected), f"buckets differ: {set(got) ^ set(expected)}"
    for key, figures in got.items():
        want = {k: expected[key].get(k, 0) for k in figures}
        assert figures == want, f"{key}: reported {figures}, recounted {want}"


def rows_of(
    db: psycopg.Connection[Any], role: str, sub: Any, sql: str, *args: Any
) -> list[dict[str, Any]]:
    with acting_as(db, role, sub):
        cur = db.execute(sql, args)
        names = [d.name for d in cur.description or []]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def assert_facts_live(db: psycopg.Connection[Any], booking_id: Any) -> None:
    """The booking's stored facts row is the one a live recount gives (and there is one)."""
    stored = db.execute(
        "select f.* from app.analytics_booking_facts as f where f.booking_id = %s", (booking_id,)
    ).fetchall()
    live = db.execute(
        "select l.* from internal.analytics_live_facts as l where l.booking_id = %s",
        (booking_id,),
    ).fetchall()
    assert stored == live and len(live) == 1


def drift(db: psycopg.Connection[Any]) -> list[Any]:
    return db.execute("select * from internal.analytics_drift()").fetchall()


def stored_rollups(db: psycopg.Connection[Any]) -> list[Any]:
    return db.execute(
        """
        select * from app.analytics_provider_hours
        where bookings <> 0 or captured_cents <> 0 or refunded_cents <> 0 or outstanding_cents <> 0
        order by provider_id, hour, category_id, status, currency
        """
    ).fetchall()


# --- a seeded random run --------------------------------------------------------------------


class Run:
    """Bookings through the real functions (quote, confirm, pay, cancel, refunds, outcomes)
    and owner-level writes the API never makes (any status, any hour, moves, deletions)."""

    def __init__(self, db: psycopg.Connection[Any], seed: int) -> None:
        self.db = db
        self.rng = random.Random(seed)
        self.shops = [
            bk.open_shop(db, cancel_notice_hours=24, cancel_fee_cents=300),
            bk.open_shop(db, cancel_notice_hours=48, cancel_fee_cents=500, price_cents=8000),
            bk.open_shop(db, deposit_cents=0, price_cents=4000),
            bk.open_shop(db, price_cents=6995),
            bk.open_shop(db, deposit_cents=0, price_cents=5555),
        ]
        # the last two collect GST and QST: with a deposit, and without
        for shop in self.shops[3:]:
            db.execute(
                "insert into app.provider_tax_registrations (provider_id, gst_number, qst_number) "
                "values (%s, %s, %s)",
                (shop.provider_id, GST, QST),
            )
        self.extra_service = catalog.create_service(
            db, self.shops[0].provider_id, category="nails", name="Nails", price_cents=3000
        )
        self.ops = create_user(db, "ops")
        self.customers = [create_user(db, "customer") for _ in range(4)]
        self.booked: list[dict[str, Any]] = []
        self.day = 3
        # owner-level writes go to slots of their own, five hours apart: never an overlap
        self.slot = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(
            days=50
        )

    def _next_slot(self) -> datetime:
        self.slot += timedelta(hours=5)
        return self.slot + timedelta(minutes=self.rng.choice([0, 30]))

    def step(self) -> str:
        action = self.rng.choice(
            [
                "book",
                "book",
                "insert",
                "insert",
                "pay",
                "cancel",
                "settle",
                "refund",
                "move",
                "outcome",
                "delete",
                "category",
            ]
        )
        getattr(self, action)()
        return action

    def _pick(self, status: str) -> dict[str, Any] | None:
        ids = [b for b in self.booked if bk.status(self.db, b["id"]) == status]
        return self.rng.choice(ids) if ids else None

    def book(self, customer: uuid.UUID | None = None) -> None:
        shop = self.rng.choice(self.shops[:2] if self.rng.random() < 0.5 else self.shops)
        self.day += 1
        start = catalog.next_weekday(
            self.day % 7, at=f"{self.rng.randint(10, 15)}:00", min_days=self.day
        )
        b = bk.book(self.db, shop, start, customer)
        b["customer"] = self.db.execute(
            "select customer_id from app.bookings where id = %s", (b["id"],)
        ).fetchone()[0]  # type: ignore[index]
        self.booked.append(b)

    def insert(self) -> None:
        shop = self.rng.choice(self.shops)
        service = (
            self.extra_service
            if shop is self.shops[0] and self.rng.random() < 0.5
            else shop.service_id
        )
        start = self._next_slot()
        status = self.rng.choice(STATUS_COLUMNS)
        bid = catalog.add_booking(self.db, service, start, status=status)
        if status != "expired" and self.rng.random() < 0.7:
            amount = self.rng.randint(100, 5000)
            paid = status in ("confirmed", "completed", "no_show", "cancelled")
            self.db.execute(
                "insert into app.payments (booking_id, amount_cents, currency, status, captured_cents) "
                "values (%s, %s, 'CAD', %s, %s)",
                (bid, amount, "succeeded" if paid else "pending", amount if paid else 0),
            )
        self.booked.append({"id": str(bid), "inserted": True})

    def pay(self) -> None:
        b = self._pick("pending_payment")
        if b and "payment" in b and b["payment"]:
            bk.pay(self.db, b)

    def cancel(self) -> None:
        b = self._pick("confirmed") or self._pick("pending_payment")
        if b is None or "customer" not in b:
            return
        # a customer cancels only what has not started (`move` may have put it in the past)
        ahead = self.db.execute(
            "select lower(during) > now() from app.bookings where id = %s", (b["id"],)
        ).fetchone() == (True,)
        if self.rng.random() < 0.5 and ahead:
            call_as(
                self.db,
                "customer",
                b["customer"],
                "select internal.cancel_booking(%s, %s)",
                b["id"],
                "changed plans",
            )
        else:
            self.db.execute(
                "select internal.transition_booking(%s, 'cancelled', %s, 'random')",
                (b["id"], self.rng.choice(["provider", "ops", "system"])),
            )

    def settle(self) -> None:
        for (refund_id,) in self.db.execute(
            "select id from app.refunds where status = 'pending' order by created_at, id"
        ).fetchall():
            outcome = self.rng.choice(["succeeded", "succeeded", "failed"])
            self.db.execute(
                "select internal.record_refund(%s, %s, %s)",
                (refund_id, f"re_{uuid.uuid4().hex[:12]}", outcome),
            )

    def refund(self) -> None:
        row = self.db.execute(
            """
            select p.booking_id from app.payments p
            where p.captured_cents - coalesce((select sum(r.amount_cents) from app.refunds r
                where r.payment_id = p.id and r.status <> 'failed'), 0) >= 200
            order by p.booking_id limit 1
            """
        ).fetchone()
        if row:
            call_as(
                self.db,
                "ops",
                self.ops,
                "select internal.ops_refund(%s, %s, %s)",
                row[0],
                100,
                "goodwill",
            )

    def move(self) -> None:
        b = self.rng.choice(self.booked) if self.booked else None
        if b:
            offset = self._next_slot() - datetime.now(UTC)
            bk.starts_in(self.db, b["id"], f"{int(offset.total_seconds())} seconds")

    def outcome(self) -> None:
        b = self._pick("confirmed")
        if b:
            self.db.execute(
                "select internal.transition_booking(%s, %s, 'provider')",
                (b["id"], self.rng.choice(["completed", "no_show"])),
            )

    def delete(self) -> None:
        b = next((b for b in self.booked if b.get("inserted")), None)
        if b:
            self.db.execute("delete from app.bookings where id = %s", (b["id"],))
            self.booked.remove(b)

    def category(self) -> None:
        slug = self.rng.choice(["nails", "esthetics"])
        self.db.execute(
            "update app.services set category_id = (select id from app.service_categories where slug = %s) "
            "where id = %s",
            (slug, self.extra_service),
        )

    # what the customers' cohort weeks and the providers' places follow (the audience run)

    def _customers(self) -> list[Any]:
        return [b["customer"] for b in self.booked if "customer" in b]

    def returning(self) -> None:
        """A customer who booked before books again."""
        who = self._customers()
        if who:
            self.book(self.rng.choice(who))

    def backdate(self) -> None:
        """A booking was made hours to weeks earlier than the run made it (another week of its
        customer's, or before the sign-up)."""
        b = self.rng.choice(self.booked) if self.booked else None
        if b:
            self.db.execute(
                "update app.bookings set created_at = created_at - make_interval(hours => %s) "
                "where id = %s",
                (self.rng.randint(1, 700), b["id"]),
            )

    def resignup(self) -> None:
        """A customer's sign-up moves earlier (an account brought in with its original date)."""
        who = self._customers()
        if who:
            self.db.execute(
                "update app.users set created_at = created_at - make_interval(hours => %s) "
                "where id = %s",
                (self.rng.randint(1, 900), self.rng.choice(who)),
            )

    def expire(self) -> None:
        """A hold lapses unpaid: the booking stops counting for its customer."""
        b = self._pick("pending_payment")
        if b:
            self.db.execute(
                "select internal.transition_booking(%s, 'expired', 'system', 'hold lapsed')",
                (b["id"],),
            )

    def relocate(self) -> None:
        """A provider moves: to a neighbourhood's centre, or out of every neighbourhood."""
        i = self.rng.randrange(len(self.shops))
        lat, lng = self.rng.choice(
            [(45.5225, -73.5810), (45.4590, -73.5710), (45.5440, -73.5400), (45.6500, -73.9000)]
        )
        self.db.execute(
            "update app.providers set lat = %s, lng = %s where id = %s",
            (lat, lng, self.shops[i].provider_id),
        )
        # later quotes ask where it is now
        self.shops[i] = dataclasses.replace(self.shops[i], lat=lat, lng=lng)


@pytest.fixture
def run(db: psycopg.Connection[Any]) -> Run:
    r = Run(db, seed=20)
    for _ in range(4):
        r.book()
    actions = [r.step() for _ in range(70)]
    assert {"book", "insert", "cancel", "move"} <= set(actions)
    # a paid booking at each taxed shop (a deposit with its own taxes, and a full price), the
    # first refunded in part, the second in full: refunds that carry a tax share
    for shop, part in zip(r.shops[3:], (True, False), strict=True):
        r.day += 1
        b = bk.book(db, shop, catalog.next_weekday(r.day % 7, at="11:00", min_days=r.day))
        bk.pay(db, b)
        amount = int(b["payment"]["amount_cents"])
        amount = amount // 3 if part else amount
        refund = call_as(
            db, "ops", r.ops, "select internal.ops_refund(%s, %s, %s)", b["id"], amount, "goodwill"
        )["refund_id"]
        db.execute(
            "select internal.record_refund(%s, %s, 'succeeded')",
            (refund, f"re_{uuid.uuid4().hex[:12]}"),
        )
    return r


AUDIENCE = [
    "book",
    "returning",
    "returning",
    "backdate",
    "resignup",
    "expire",
    "delete",
    "relocate",
    "cancel",
    "move",
    "insert",
]


@pytest.fixture
def audience_run(db: psycopg.Connection[Any], run: Run) -> Run:
    """The random run, then what the cohorts and the areas follow: returning customers,
    bookings made earlier, sign-ups moved, lapsed holds, deletions, providers that move, with
    more cancellations, reschedules and owner-level inserts."""
    actions = [_audience_step(run) for _ in range(36)]
    assert {"returning", "backdate", "resignup", "relocate", "expire"} <= set(actions)
    return run


def _audience_step(run: Run) -> str:
    action = run.rng.choice(AUDIENCE)
    getattr(run, action)()
    return action


def span(bookings: list[dict[str, Any]], zone: ZoneInfo) -> tuple[date, date]:
    days = [b["start"].astimezone(zone).date() for b in bookings]
    return min(days), max(days)


# --- the rollups against the recount --------------------------------------------------------


def test_the_random_run_wrote_every_kind_of_row(db: psycopg.Connection[Any], run: Run) -> None:
    counts = db.execute(
        """
        select (select count(distinct status) from app.bookings),
               (select count(*) from app.payments where captured_cents > 0),
               (select count(*) from app.refunds where status = 'succeeded'),
               (select count(*) from app.bookings where status = 'cancelled')
        """
    ).fetchone()
    assert counts is not None
    assert counts[0] >= 5 and counts[1] > 0 and counts[2] > 0 and counts[3] > 0


def test_rollups_equal_a_live_recount_after_a_random_run(
    db: psycopg.Connection[Any], run: Run
) -> None:
    assert drift(db) == []


def test_every_rollup_row_equals_a_brute_force_recount_per_utc_hour(
    db: psycopg.Connection[Any], run: Run
) -> None:
    expected: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for b in raw_bookings(db):
        key = (
            b["provider_id"],
            b["start"].astimezone(UTC).replace(minute=0, second=0, microsecond=0),
            b["category"],
            b["status"],
            b["currency"],
        )
        for f in FIGURES:
            expected[key][f] += b[f]
    got = {}
    for row in db.execute(
        """
        select h.provider_id, h.hour, k.slug, h.status, h.currency, h.bookings,
               h.cancelled_by_customer, h.cancelled_by_provider, h.cancelled_by_ops,
               h.cancelled_by_system, h.cancelled_late, h.lead_minutes, h.booked_cents,
               h.captured_cents, h.refunded_cents, h.fees_kept_cents, h.outstanding_cents,
               h.gst_cents, h.qst_cents
        from app.analytics_provider_hours h join app.service_categories k on k.id = h.category_id
        where h.bookings <> 0
        """
    ):
        got[tuple(row[:5])] = dict(zip(FIGURES, row[5:], strict=True))
    assert got == {k: dict(v) for k, v in expected.items()}


def test_the_overview_by_local_day_equals_a_brute_force_recount_to_the_cent(
    db: psycopg.Connection[Any], run: Run
) -> None:
    bookings = raw_bookings(db)
    first, last = span(bookings, TORONTO)
    rows = rows_of(
        db,
        "ops",
        run.ops,
        "select * from api.analytics_overview(%s, %s, 'America/Toronto', 'day')",
        first,
        last,
    )
    assert rows
    same(
        recount(bookings, lambda t: t.astimezone(TORONTO).date()),
        reported(rows, lambda r: r["bucket_local"].date()),
    )


def test_revenue_by_utc_week_and_a_providers_own_figures_equal_the_recount(
    db: psycopg.Connection[Any], run: Run
) -> None:
    bookings = raw_bookings(db)
    first, last = span(bookings, ZoneInfo("UTC"))
    rows = rows_of(
        db,
        "ops",
        run.ops,
        "select * from api.analytics_revenue(%s, %s, 'UTC', 'week')",
        first,
        last,
    )

    def monday(t: datetime) -> date:
        d = t.astimezone(UTC).date()
        return d - timedelta(days=d.weekday())

    same(recount(bookings, monday), reported(rows, lambda r: r["bucket_local"].date()))
    shop = run.shops[0]
    first, last = span(bookings, TORONTO)
    mine = rows_of(
        db,
        "provider",
        shop.owner_id,
        "select * from api.analytics_provider(%s, %s, 'month')",
        first,
        last,
    )
    assert mine
    same(
        recount(bookings, lambda t: t.astimezone(TORONTO).date().replace(day=1), shop.provider_id),
        reported(mine, lambda r: r["bucket_local"].date()),
    )


def test_a_rebuild_writes_the_very_rows_the_triggers_kept(
    db: psycopg.Connection[Any], run: Run
) -> None:
    before = stored_rollups(db)
    got = db.execute("select * from internal.analytics_rebuild()").fetchone()
    assert (
        got is not None and got[0] == db.execute("select count(*) from app.bookings").fetchone()[0]
    )  # type: ignore[index]
    assert stored_rollups(db) == before
    assert drift(db) == []


def test_a_rebuild_repairs_rollups_written_behind_the_triggers_back(
    db: psycopg.Connection[Any], run: Run
) -> None:
    db.execute("update app.analytics_provider_hours set captured_cents = captured_cents + 1")
    db.execute("delete from app.analytics_provider_hours where status = 'cancelled'")
    assert drift(db)
    db.execute("select internal.analytics_rebuild()")
    assert drift(db) == []


def test_the_drift_check_can_fail(db: psycopg.Connection[Any], run: Run) -> None:
    db.execute(
        "update app.analytics_provider_hours set refunded_cents = refunded_cents + 1 "
        "where ctid = (select ctid from app.analytics_provider_hours where bookings > 0 limit 1)"
    )
    assert len(drift(db)) == 1


# --- the customers' cohort weeks and the providers' places -----------------------------------


def stored_audience(db: psycopg.Connection[Any]) -> tuple[list[Any], list[Any]]:
    return (
        # a week's hours in the order its bookings came (a rebuild: in time order), compared sorted
        db.execute(
            "select w.customer_id, w.week, w.signup_hour, w.first_hour, w.last_hour, "
            "(select array_agg(array[u.h, u.n] order by u.h) "
            "from unnest(w.hours, w.bookings) as u (h, n)) "
            "from app.analytics_customer_weeks as w order by w.customer_id, w.week"
        ).fetchall(),
        db.execute("select * from app.analytics_provider_places order by provider_id").fetchall(),
    )


def cohorts_recount(
    db: psycopg.Connection[Any], first: date, last: date, zone: ZoneInfo, weeks: int
) -> list[tuple[Any, ...]]:
    """api.analytics_cohorts' rows recounted in Python from the accounts and the bookings."""
    lo = datetime.combine(first, time(), zone)
    hi = datetime.combine(last + timedelta(days=1), time(), zone)

    def monday(t: datetime) -> date:
        d = t.astimezone(zone).date()
        return d - timedelta(days=d.weekday())

    cohort = {
        uid: monday(at)
        for uid, at in db.execute("select id, created_at from app.users where role = 'customer'")
        if lo <= at < hi
    }
    active: dict[tuple[date, int], set[Any]] = defaultdict(set)
    for customer, made in db.execute(
        "select customer_id, created_at from app.bookings where status <> 'expired'"
    ):
        week = cohort.get(customer)
        if week is None:
            continue
        start = datetime.combine(week, time(), zone)
        end = datetime.combine(week + timedelta(days=7 * (weeks + 1)), time(), zone)
        if start <= made < end:
            active[(week, (monday(made) - week).days // 7)].add(customer)
    sizes: dict[date, int] = defaultdict(int)
    for week in cohort.values():
        sizes[week] += 1
    return [
        (week, n, k, len(active[(week, k)]))
        for week, n in sorted(sizes.items())
        for k in range(weeks + 1)
    ]


def test_the_audience_rollups_equal_a_live_recount_after_a_random_run(
    db: psycopg.Connection[Any], audience_run: Run
) -> None:
    customers, places = stored_audience(db)
    assert len(customers) > 10 and len(places) >= len(audience_run.shops)
    # the run moved sign-ups and made bookings before them: some fall outside what is kept
    kept = db.execute(
        "select sum(n) from app.analytics_customer_weeks as w, unnest(w.bookings) as n"
    ).fetchone()
    made = db.execute("select count(*) from app.bookings where status <> 'expired'").fetchone()
    assert kept is not None and made is not None and 0 < kept[0] <= made[0]
    assert drift(db) == []


@pytest.mark.parametrize(
    ("zone", "weeks"), [("UTC", 8), ("America/Toronto", 3), ("Asia/Tokyo", 26)]
)
def test_cohorts_equal_a_brute_force_recount_in_any_zone(
    db: psycopg.Connection[Any], audience_run: Run, zone: str, weeks: int
) -> None:
    today = datetime.now(ZoneInfo(zone)).date()
    first, last = today - timedelta(days=120), today
    rows = rows_of(
        db,
        "ops",
        audience_run.ops,
        "select * from api.analytics_cohorts(%s, %s, %s, %s)",
        first,
        last,
        zone,
        weeks,
    )
    got = [
        (r["cohort_week"], r["customers"], r["week_offset"], r["active_customers"]) for r in rows
    ]
    expected = cohorts_recount(db, first, last, ZoneInfo(zone), weeks)
    assert got == expected
    assert len({r[0] for r in got}) >= 2 and sum(r[3] for r in got) > 0


def test_areas_by_neighbourhood_follow_the_providers_that_moved(
    db: psycopg.Connection[Any], audience_run: Run
) -> None:
    bookings = raw_bookings(db)
    first, last = span(bookings, ZoneInfo("UTC"))
    # where each provider is now, looked up in the polygons here
    where = dict(
        db.execute(
            """
            select p.id, coalesce((
                select a.slug from app.areas a
                where extensions.st_covers(a.boundary, p.location::extensions.geometry)
                order by a.slug limit 1
            ), 'other')
            from app.providers p
            """
        ).fetchall()
    )
    expected: dict[tuple[Any, ...], int] = defaultdict(int)
    for b in bookings:
        expected[(where[b["provider_id"]], b["category"], b["currency"])] += 1
    rows = rows_of(
        db,
        "ops",
        audience_run.ops,
        "select * from api.analytics_areas(%s, %s, 'UTC', 0.02, null, 'neighbourhood')",
        first,
        last,
    )
    assert {(r["area"], r["category"], r["currency"]): r["bookings"] for r in rows} == expected
    assert len({r["area"] for r in rows}) >= 2


def test_a_rebuild_writes_the_very_audience_rows_the_triggers_kept(
    db: psycopg.Connection[Any], audience_run: Run
) -> None:
    before = stored_audience(db)
    db.execute("select internal.analytics_rebuild()")
    assert stored_audience(db) == before


def test_a_customers_week_keeps_its_hours_first_and_last_as_bookings_come_and_go(
    db: psycopg.Connection[Any],
) -> None:
    """One row per customer and UTC week: each hour's bookings, the first and last hour, kept as
    bookings are made in the week and moved out of it (the cohorts read only the first and last)."""
    shop = bk.open_shop(db, price_cents=0, deposit_cents=0)  # confirmed at once: no hold
    customer = create_user(db, "customer")
    ids = [
        bk.book(
            db,
            shop,
            datetime.combine(date.today() + timedelta(days=d), time(10), TORONTO),
            customer,
        )["id"]
        for d in range(3, 7)
    ]
    week = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
    db.execute(
        "update app.users set created_at = %s where id = %s", (week - timedelta(days=1), customer)
    )

    def make(booking: Any, at: datetime) -> None:
        db.execute("update app.bookings set created_at = %s where id = %s", (at, booking))

    def kept() -> Any:
        assert drift(db) == []
        return db.execute(
            "select w.first_hour - w.week, w.last_hour - w.week, "
            "(select array_agg(array[u.h, u.n] order by u.h) "
            "from unnest(w.hours, w.bookings) as u (h, n)) "
            "from app.analytics_customer_weeks as w where w.customer_id = %s and w.week = %s",
            (customer, week),
        ).fetchone()

    # made out of order: the last hour after a middle one, then the first (kept as they came)
    for booking, hour in zip(ids, [58, 167, 1, 1], strict=True):
        make(booking, week + timedelta(hours=hour, minutes=10))
    h = timedelta(hours=1)
    assert kept() == (1 * h, 167 * h, [[1, 2], [58, 1], [167, 1]])
    away = week + timedelta(days=14)
    make(ids[1], away)  # the last hour's only booking
    assert kept() == (1 * h, 58 * h, [[1, 2], [58, 1]])
    make(ids[2], away)  # one of the first hour's two
    assert kept() == (1 * h, 58 * h, [[1, 1], [58, 1]])
    make(ids[3], away)  # the first hour's last
    assert kept() == (58 * h, 58 * h, [[58, 1]])
    make(ids[0], away)
    assert kept() is None


def test_the_drift_check_sees_the_audience_rollups_and_a_rebuild_repairs_them(
    db: psycopg.Connection[Any], audience_run: Run
) -> None:
    db.execute(
        "update app.analytics_customer_weeks set bookings[1] = bookings[1] + 1 "
        "where ctid = (select ctid from app.analytics_customer_weeks limit 1)"
    )
    db.execute(
        "update app.analytics_provider_places set lat = lat + 1 where provider_id = %s",
        (audience_run.shops[0].provider_id,),
    )
    db.execute(
        "delete from app.analytics_provider_places where provider_id = %s",
        (audience_run.shops[1].provider_id,),
    )
    db.execute(
        "update app.analytics_peer_places set location = 'SRID=4326;POINT(-73 45)' "
        "where provider_id = %s",
        (audience_run.shops[2].provider_id,),
    )
    db.execute(
        "delete from app.analytics_peer_places where provider_id = %s",
        (audience_run.shops[3].provider_id,),
    )
    db.execute("select internal.analytics_compact()")
    db.execute(
        "update app.analytics_area_weeks set captured_cents = captured_cents + 1 "
        "where ctid = (select ctid from app.analytics_area_weeks where bookings > 0 limit 1)"
    )
    assert sorted(r[0] for r in drift(db)) == [
        "area_weeks",
        "customer_weeks",
        "peer_places",
        "peer_places",
        "provider_places",
        "provider_places",
    ]
    db.execute("select internal.analytics_rebuild()")
    assert drift(db) == []


def peer_places(db: psycopg.Connection[Any], provider_id: uuid.UUID) -> list[tuple[str, str]]:
    return [
        (r[0], r[1])
        for r in db.execute(
            "select k.slug, extensions.st_astext(x.location) from app.analytics_peer_places x "
            "join app.service_categories k on k.id = x.category_id where x.provider_id = %s "
            "order by k.slug",
            (provider_id,),
        ).fetchall()
    ]


def test_a_providers_places_among_peers_follow_its_services_and_its_moves(
    db: psycopg.Connection[Any],
) -> None:
    shop = bk.open_shop(db, lat=45.5, lng=-73.6)
    here = "POINT(-73.6 45.5)"
    assert peer_places(db, shop.provider_id) == [("haircut", here)]
    # a second haircut, then a massage; several services in one statement
    db.execute(
        "insert into app.services (provider_id, category_id, name, duration_minutes, price_cents) "
        "select %s, k.id, k.slug || ' ' || g, 30, 1000 from app.service_categories k, "
        "generate_series(1, 2) g where k.slug in ('haircut', 'massage')",
        (shop.provider_id,),
    )
    assert peer_places(db, shop.provider_id) == [("haircut", here), ("massage", here)]
    # the massages become nails: massage has no service left
    db.execute(
        "update app.services set category_id = "
        "(select id from app.service_categories where slug = 'nails') "
        "where provider_id = %s and category_id = "
        "(select id from app.service_categories where slug = 'massage')",
        (shop.provider_id,),
    )
    assert peer_places(db, shop.provider_id) == [("haircut", here), ("nails", here)]
    # a price changes nothing; deleting one of two haircuts keeps the category
    db.execute(
        "update app.services set price_cents = price_cents + 100 where provider_id = %s",
        (shop.provider_id,),
    )
    db.execute("delete from app.services where id = %s", (shop.service_id,))
    assert peer_places(db, shop.provider_id) == [("haircut", here), ("nails", here)]
    db.execute(
        "update app.providers set lat = 45.51, lng = -73.62 where id = %s", (shop.provider_id,)
    )
    there = "POINT(-73.62 45.51)"
    assert peer_places(db, shop.provider_id) == [("haircut", there), ("nails", there)]
    # its nails go to another provider (a fix by the table's owner): the category leaves it
    other = bk.open_shop(db)
    db.execute(
        "update app.services set provider_id = %s where provider_id = %s and category_id = "
        "(select id from app.service_categories where slug = 'nails')",
        (other.provider_id, shop.provider_id),
    )
    assert peer_places(db, shop.provider_id) == [("haircut", there)]
    assert [c for c, _ in peer_places(db, other.provider_id)] == ["haircut", "nails"]
    db.execute("delete from app.services where provider_id = %s", (shop.provider_id,))
    assert peer_places(db, shop.provider_id) == []
    assert drift(db) == []


@pytest.mark.parametrize("role", ["anon", "customer", "provider", "ops"])
def test_no_api_role_reads_the_audience_rollups(
    db: psycopg.Connection[Any], audience_run: Run, role: str
) -> None:
    for name in ("analytics_customer_weeks", "analytics_provider_places"):
        table = f"app.{name}"
        assert db.execute(
            "select has_table_privilege(%s, %s, 'select'), "
            "has_any_column_privilege(%s, %s, 'select')",
            (role, table, role, table),
        ).fetchone() == (False, False)
        assert db.execute(
            "select relrowsecurity and relforcerowsecurity from pg_class where oid = %s::regclass",
            (table,),
        ).fetchone() == (True,)
        sub = audience_run.ops if role == "ops" else audience_run.shops[0].owner_id
        with pytest.raises(psycopg.errors.InsufficientPrivilege), acting_as(db, role, sub):
            db.execute(sql.SQL("select count(*) from {}").format(sql.Identifier("app", name)))


def test_a_booking_that_changes_nothing_counted_leaves_the_rollups_alone(
    db: psycopg.Connection[Any], run: Run
) -> None:
    before = stored_rollups(db)
    db.execute(
        "update app.bookings set cancel_reason = 'a note' where id = %s", (run.booked[0]["id"],)
    )
    db.execute("update app.payments set failure_reason = 'a note'")
    assert stored_rollups(db) == before


@pytest.mark.parametrize("price", [5000, 0], ids=["a-deposit-to-pay", "nothing-to-pay"])
def test_a_confirm_writes_its_bookings_vector_once(db: psycopg.Connection[Any], price: int) -> None:
    """The hold's insert writes no vector: its payment's insert (or, with nothing to pay, the
    recount of its confirmation) writes it once, money included, and it equals a live recount."""
    shop = bk.open_shop(db, price_cents=price, deposit_cents=min(price, 1000))
    count_deltas = "select count(*) from app.analytics_deltas"
    deltas_before = one(db, count_deltas)
    start = datetime.combine(date.today() + timedelta(days=3), time(10), TORONTO)
    booking = bk.book(db, shop, start)
    assert booking["status"] == ("pending_payment" if price else "confirmed")
    assert one(db, count_deltas) - deltas_before == 1
    assert_facts_live(db, booking["id"])
    owed = db.execute(
        "select f.outstanding_cents, coalesce(sum(p.amount_cents), 0) from app.analytics_booking_facts as f "
        "left join app.payments as p on f.booking_id = p.booking_id where f.booking_id = %s "
        "group by f.outstanding_cents",
        (booking["id"],),
    ).fetchone()
    assert owed is not None and owed[0] == owed[1] and (owed[0] > 0) == (price > 0)
    assert drift(db) == []


def test_a_hold_recounted_before_its_payment_gets_the_payment_moved_not_written_again(
    db: psycopg.Connection[Any],
) -> None:
    """A write to the confirm's hold between its insert and its payment's (here a trigger of the
    test's own, before the payment's insert) recounts it, which writes its vector: the payment
    then moves that vector by its own money instead of writing the hold's vector a second
    time."""
    db.execute(
        """
        create function public.touch_the_hold() returns trigger language plpgsql as $$
        begin
            update app.bookings set created_at = created_at - interval '1 second'
            where id = new.booking_id;
            return new;
        end $$;
        create trigger touch_the_hold before insert on app.payments
        for each row execute function public.touch_the_hold();
        """
    )
    shop = bk.open_shop(db, price_cents=5000, deposit_cents=1000)
    start = datetime.combine(date.today() + timedelta(days=3), time(10), TORONTO)
    booking = bk.book(db, shop, start)
    assert booking["status"] == "pending_payment"
    assert_facts_live(db, booking["id"])
    outstanding = "select outstanding_cents from app.analytics_booking_facts where booking_id = %s"
    assert one(db, outstanding, booking["id"]) == 1000  # the deposit, counted once
    assert drift(db) == []


# --- the rollups across providers (deltas, hourly and daily rows) ----------------------------

ZONES = [
    "America/Toronto",
    "UTC",
    "Asia/Tokyo",
    "Pacific/Auckland",
    "America/Los_Angeles",
    "Europe/Paris",
]


def compact(db: psycopg.Connection[Any]) -> int:
    row = db.execute("select internal.analytics_compact()").fetchone()
    assert row is not None
    return int(row[0])


def deltas(db: psycopg.Connection[Any]) -> int:
    """The bookings' deltas, the quotes' (the funnel's) and the first bookings' (new customers),
    which the compaction folds all."""
    row = db.execute(
        "select (select count(*) from app.analytics_deltas)"
        " + (select count(*) from app.analytics_quote_deltas)"
        " + (select count(*) from app.analytics_first_deltas)"
    ).fetchone()
    assert row is not None
    return int(row[0])


def stored_ops_rollups(db: psycopg.Connection[Any]) -> tuple[list[Any], list[Any]]:
    nonzero = "where bookings <> 0 or captured_cents <> 0 or refunded_cents <> 0 or outstanding_cents <> 0"
    return (
        db.execute(
            f"select * from app.analytics_hours {nonzero} order by hour, category_id, status, currency"
        ).fetchall(),
        db.execute(
            f"select * from app.analytics_days {nonzero} order by day, category_id, status, currency"
        ).fetchall(),
    )


def _local_buckets(zone: ZoneInfo) -> dict[str, Any]:
    def day(t: datetime) -> date:
        return t.astimezone(zone).date()

    def week(t: datetime) -> date:
        d = t.astimezone(zone).date()
        return d - timedelta(days=d.weekday())

    def month(t: datetime) -> date:
        return t.astimezone(zone).date().replace(day=1)

    return {"day": day, "week": week, "month": month}


@pytest.mark.parametrize("folded", [False, True], ids=["with-deltas", "compacted"])
def test_the_overview_equals_the_recount_in_any_zone_and_grain(
    db: psycopg.Connection[Any], run: Run, folded: bool
) -> None:
    """Whole UTC days plus edge hours, in zones west and east of UTC (Auckland's day straddles
    a UTC midnight at 11-13 hours: no whole UTC day in it), before and after the fold."""
    assert deltas(db) > 0
    if folded:
        assert compact(db) > 0
        assert deltas(db) == 0
    assert drift(db) == []
    bookings = raw_bookings(db)
    for tz in ZONES:
        zone = ZoneInfo(tz)
        first, last = span(bookings, zone)
        for grain, bucket in _local_buckets(zone).items():
            rows = rows_of(
                db,
                "ops",
                run.ops,
                "select * from api.analytics_overview(%s, %s, %s, %s)",
                first,
                last,
                tz,
                grain,
            )
            same(recount(bookings, bucket), reported(rows, lambda r: r["bucket_local"].date()))
        # hours: a 31-day window, the bookings inside it
        inside = [
            b for b in bookings if b["start"].astimezone(zone).date() <= first + timedelta(30)
        ]
        rows = rows_of(
            db,
            "ops",
            run.ops,
            "select * from api.analytics_overview(%s, %s, %s, 'hour')",
            first,
            first + timedelta(30),
            tz,
        )
        same(
            recount(inside, lambda t: t.astimezone(UTC).replace(minute=0, second=0, microsecond=0)),
            reported(rows, lambda r: r["bucket_start"].astimezone(UTC)),
        )


def test_a_part_of_the_range_counts_only_its_own_days(
    db: psycopg.Connection[Any], run: Run
) -> None:
    """A range that starts and ends inside weeks and months: the edge buckets are partial."""
    compact(db)
    bookings = raw_bookings(db)
    first, last = span(bookings, TORONTO)
    first, last = first + timedelta(days=3), last - timedelta(days=4)
    inside = [b for b in bookings if first <= b["start"].astimezone(TORONTO).date() <= last]
    for grain, bucket in _local_buckets(TORONTO).items():
        rows = rows_of(
            db,
            "ops",
            run.ops,
            "select * from api.analytics_overview(%s, %s, 'America/Toronto', %s)",
            first,
            last,
            grain,
        )
        same(recount(inside, bucket), reported(rows, lambda r: r["bucket_local"].date()))


def test_the_compaction_folds_every_delta_and_changes_no_figure(
    db: psycopg.Connection[Any], run: Run
) -> None:
    bookings = raw_bookings(db)
    first, last = span(bookings, TORONTO)
    sql = "select * from api.analytics_overview(%s, %s, 'America/Toronto', 'week')"
    before = rows_of(db, "ops", run.ops, sql, first, last)
    pending = deltas(db)
    assert compact(db) == pending
    assert deltas(db) == 0 and compact(db) == 0
    assert rows_of(db, "ops", run.ops, sql, first, last) == before
    # writes after the fold: deltas again, the figures still exact
    for _ in range(10):
        run.step()
    assert deltas(db) > 0 and drift(db) == []


def test_a_rebuild_writes_the_rollups_across_providers_the_compaction_folded(
    db: psycopg.Connection[Any], run: Run
) -> None:
    compact(db)
    before = stored_ops_rollups(db)
    assert before[0] and before[1]
    db.execute("select internal.analytics_rebuild()")
    assert deltas(db) == 0
    assert stored_ops_rollups(db) == before
    assert drift(db) == []


def test_the_drift_check_sees_the_rollups_across_providers(
    db: psycopg.Connection[Any], run: Run
) -> None:
    compact(db)
    db.execute(
        "update app.analytics_days set bookings = bookings + 1 "
        "where ctid = (select ctid from app.analytics_days where bookings > 0 limit 1)"
    )
    db.execute(
        "insert into app.analytics_deltas select hour, category_id, status, currency, "
        "0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0 from app.analytics_hours limit 1"
    )
    assert sorted(r[0] for r in drift(db)) == ["days", "days", "hours"]
    db.execute("select internal.analytics_rebuild()")
    assert drift(db) == []


def test_revenue_reports_the_taxes_apart_reconciled_with_the_payments(
    db: psycopg.Connection[Any], run: Run
) -> None:
    bookings = raw_bookings(db)
    assert sum(b["gst_cents"] for b in bookings) > 0 and sum(b["qst_cents"] for b in bookings) > 0
    first, last = span(bookings, UTC)
    rows = rows_of(
        db,
        "ops",
        run.ops,
        "select * from api.analytics_revenue(%s, %s, 'UTC', 'month')",
        first,
        last,
    )
    same(
        recount(bookings, lambda t: t.astimezone(UTC).date().replace(day=1)),
        reported(rows, lambda r: r["bucket_local"].date()),
    )
    ledger = db.execute(
        """
        select coalesce(sum(p.captured_cents), 0),
               coalesce(sum(c.gst_cents) filter (where p.status = 'succeeded'), 0),
               coalesce(sum(c.qst_cents) filter (where p.status = 'succeeded'), 0)
        from app.payments p join app.bookings b on b.id = p.booking_id
        cross join internal.booking_first_charge(b) c
        """
    ).fetchone()
    assert ledger is not None
    assert sum(r["captured_cents"] for r in rows) == ledger[0]
    assert (sum(r["gst_cents"] for r in rows), sum(r["qst_cents"] for r in rows)) == ledger[1:]
    assert sum(r["service_cents"] + r["gst_cents"] + r["qst_cents"] for r in rows) == ledger[0]
    # a provider's own revenue has its taxes too
    taxed = run.shops[3]
    mine = rows_of(
        db,
        "provider",
        taxed.owner_id,
        "select * from api.analytics_revenue(%s, %s, 'UTC', 'month')",
        first,
        last,
    )
    same(
        recount(bookings, lambda t: t.astimezone(UTC).date().replace(day=1), taxed.provider_id),
        reported(mine, lambda r: r["bucket_local"].date()),
    )
    # the refunds' tax share, recounted booking by booking: the first charge's tax x the
    # succeeded refunds / what the payments captured, half up (all of it once fully refunded)
    shares = db.execute(
        """
        select c.gst_cents, c.qst_cents, f.refunded,
               (select coalesce(sum(y.captured_cents), 0) from app.payments y where y.booking_id = b.id),
               b.provider_id
        from (select booking_id, sum(amount_cents) as refunded from app.refunds
              where status = 'succeeded' group by booking_id) f
        join app.bookings b on b.id = f.booking_id
        cross join internal.booking_first_charge(b) c
        where lower(b.during) >= %s and lower(b.during) < %s
        """,
        (datetime.combine(first, time(), UTC), datetime.combine(last + timedelta(1), time(), UTC)),
    ).fetchall()
    assert shares, "the run refunded nothing"

    def share(tax: int, refunded: int, captured: int) -> int:
        if captured <= 0 or refunded <= 0:
            return 0
        if refunded >= captured:
            return tax
        return (2 * tax * refunded + captured) // (2 * captured)

    gst = sum(share(g, f, c) for g, _, f, c, _ in shares)
    qst = sum(share(q, f, c) for _, q, f, c, _ in shares)
    # the fixture refunded two taxed bookings, one in part: a share to find, and one to round
    assert gst > 0 and qst > 0
    assert any(0 < f < c and g > 0 for g, _, f, c, _ in shares)
    assert sum(r["gst_refunded_cents"] for r in rows) == gst
    assert sum(r["qst_refunded_cents"] for r in rows) == qst
    # and a taxed shop's own revenue carries its refunds' share, no other's
    own = [(share(g, f, c), share(q, f, c)) for g, q, f, c, p in shares if p == taxed.provider_id]
    assert sum(g for g, _ in own) > 0
    assert sum(r["gst_refunded_cents"] for r in mine) == sum(g for g, _ in own)
    assert sum(r["qst_refunded_cents"] for r in mine) == sum(q for _, q in own)


def test_two_providers_booking_the_same_hour_share_no_rollup_row(
    db: psycopg.Connection[Any], db_url: str
) -> None:
    """The rollups across providers are appended to, never updated, on write: a booking
    whose transaction is still open holds no row another provider's booking needs."""
    a, b = bk.open_shop(db), bk.open_shop(db)
    start = datetime(2026, 6, 10, 15, tzinfo=TORONTO)
    with psycopg.connect(db_url) as one, psycopg.connect(db_url) as two:
        catalog.add_booking(one, a.service_id, start)  # its transaction stays open
        two.execute("set lock_timeout = '5s'")
        done = threading.Event()

        def second() -> None:
            catalog.add_booking(two, b.service_id, start)
            two.commit()
            done.set()

        t = threading.Thread(target=second)
        t.start()
        t.join(30)
        assert done.is_set(), "the second booking waited on the first's transaction"
        one.commit()
    rows = _overview(db, "2026-06-10", "2026-06-10", "America/Toronto", "day")
    assert [r["bookings"] for r in rows] == [2]
    assert drift(db) == []


def test_services_copied_in_bulk_are_placed_among_the_peers_in_one_statement(
    db: psycopg.Connection[Any],
) -> None:
    """More providers than one transaction may hold advisory locks for (the seed's copy of
    100,000 services): the table's lock instead, and every one placed."""
    providers = [catalog.create_provider(db) for _ in range(300)]
    with db.transaction():
        db.execute(
            "insert into app.services "
            "(provider_id, category_id, name, duration_minutes, price_cents) "
            "select p, (select id from app.service_categories where slug = 'yoga'), 'Class', "
            "60, 2000 from unnest(%s::uuid[]) p",
            (providers,),
        )
        advisory = db.execute(
            "select count(*) from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()"
        ).fetchone()
        assert advisory is not None and advisory[0] < 300
    placed = db.execute(
        "select count(*) from app.analytics_peer_places x join app.service_categories k "
        "on k.id = x.category_id where k.slug = 'yoga' and x.provider_id = any(%s)",
        (providers,),
    ).fetchone()
    assert placed == (300,)
    assert drift(db) == []


def test_a_category_added_back_while_its_last_service_is_deleted_stays_among_the_peers(
    db: psycopg.Connection[Any], db_url: str
) -> None:
    """A new haircut committed while another transaction deletes the provider's last one: the
    delete waits for the insert's transaction (the provider's lock in
    internal.analytics_place_peers, and the catalogue's cache version before it), then sees the
    new service and keeps the category."""
    shop = bk.open_shop(db)
    with psycopg.connect(db_url) as adding, psycopg.connect(db_url) as deleting:
        catalog.create_service(adding, shop.provider_id, name="Second cut")  # stays open
        deleting.execute("set lock_timeout = '10s'")
        done = threading.Event()

        def delete_the_first() -> None:
            deleting.execute("delete from app.services where id = %s", (shop.service_id,))
            deleting.commit()
            done.set()

        t = threading.Thread(target=delete_the_first)
        t.start()
        t.join(1)
        assert not done.is_set(), "the delete did not wait for the insert's transaction"
        adding.commit()
        t.join(30)
        assert done.is_set()
    assert [c for c, _ in peer_places(db, shop.provider_id)] == ["haircut"]
    assert drift(db) == []


# --- time zones -----------------------------------------------------------------------------


@pytest.fixture
def shop(db: psycopg.Connection[Any]) -> bk.Shop:
    return bk.open_shop(db)


def _overview(
    db: psycopg.Connection[Any], first: str, last: str, tz: str, group_by: str
) -> list[dict[str, Any]]:
    ops = create_user(db, "ops")
    return rows_of(
        db,
        "ops",
        ops,
        "select * from api.analytics_overview(%s, %s, %s, %s)",
        first,
        last,
        tz,
        group_by,
    )


def test_a_booking_at_2330_local_counts_on_its_local_day(
    db: psycopg.Connection[Any], shop: bk.Shop
) -> None:
    catalog.add_booking(db, shop.service_id, datetime(2026, 6, 10, 23, 30, tzinfo=TORONTO))
    local = _overview(db, "2026-06-09", "2026-06-12", "America/Toronto", "day")
    assert [(r["bucket_local"].date(), r["bookings"]) for r in local] == [(date(2026, 6, 10), 1)]
    utc = _overview(db, "2026-06-09", "2026-06-12", "UTC", "day")
    assert [(r["bucket_local"].date(), r["bookings"]) for r in utc] == [(date(2026, 6, 11), 1)]


def test_dst_days_last_23_and_25_hours(db: psycopg.Connection[Any], shop: bk.Shop) -> None:
    for day in (date(2026, 3, 7), date(2026, 3, 8), date(2026, 10, 31), date(2026, 11, 1)):
        catalog.add_booking(
            db, shop.service_id, datetime(day.year, day.month, day.day, 12, tzinfo=TORONTO)
        )
    rows = _overview(db, "2026-03-01", "2026-11-30", "America/Toronto", "day")
    hours = {
        r["bucket_local"].date(): (r["bucket_end"] - r["bucket_start"]) / timedelta(hours=1)
        for r in rows
    }
    assert hours == {
        date(2026, 3, 7): 24,
        date(2026, 3, 8): 23,
        date(2026, 10, 31): 24,
        date(2026, 11, 1): 25,
    }


@pytest.mark.parametrize("folded", [False, True], ids=["with-deltas", "compacted"])
def test_dst_days_count_their_first_and_last_local_hours(
    db: psycopg.Connection[Any], shop: bk.Shop, folded: bool
) -> None:
    """00:30 and 23:30 local on the 23- and 25-hour days (and the days around them) count on
    their local day, whether read from hours, whole UTC days and edges, or deltas."""
    days = [date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 9), date(2026, 11, 1)]
    for day in days:
        for hh, mm in ((0, 30), (12, 0), (23, 30)):
            catalog.add_booking(
                db, shop.service_id, datetime(day.year, day.month, day.day, hh, mm, tzinfo=TORONTO)
            )
    if folded:
        compact(db)
    rows = _overview(db, "2026-03-01", "2026-11-30", "America/Toronto", "day")
    assert [(r["bucket_local"].date(), r["bookings"]) for r in rows] == [(d, 3) for d in days]
    weeks = _overview(db, "2026-03-01", "2026-11-30", "America/Toronto", "week")
    assert [(r["bucket_local"].date(), r["bookings"]) for r in weeks] == [
        (date(2026, 3, 2), 6),
        (date(2026, 3, 9), 3),
        (date(2026, 10, 26), 3),
    ]
    assert drift(db) == []


def test_the_repeated_hour_of_a_fall_back_night_is_two_hourly_buckets(
    db: psycopg.Connection[Any], shop: bk.Shop
) -> None:
    # 01:30 EDT (05:30 UTC) and 01:30 EST (06:30 UTC) on 1 November 2026
    for utc_hour in (5, 6):
        catalog.add_booking(db, shop.service_id, datetime(2026, 11, 1, utc_hour, 30, tzinfo=UTC))
    rows = _overview(db, "2026-11-01", "2026-11-01", "America/Toronto", "hour")
    assert [
        (r["bucket_local"].hour, r["bucket_start"].astimezone(UTC).hour, r["bookings"])
        for r in rows
    ] == [
        (1, 5, 1),
        (1, 6, 1),
    ]
    day = _overview(db, "2026-11-01", "2026-11-01", "America/Toronto", "day")
    assert [r["bookings"] for r in day] == [2]


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (("2026-06-10", "2026-06-01", "UTC", "day"), "from must be on or before to"),
        (("2026-06-01", "2026-06-10", "UTC", "year"), "group_by must be hour, day, week or month"),
        (("2026-06-01", "2026-06-10", "Mars/Olympus", "day"), "tz must be a time zone name"),
        (("2026-06-01", "2026-06-10", "UTC'; select 1; --", "day"), "tz must be a time zone name"),
        (
            ("2026-06-01", "2026-06-10", "Asia/Kolkata", "day"),
            "tz: Asia/Kolkata is not a whole number of hours",
        ),
        (
            ("2024-01-01", "2026-06-10", "UTC", "day"),
            "to: the range from 2024-01-01 to 2026-06-10 covers",
        ),
        (("2026-01-01", "2026-03-01", "UTC", "hour"), "at most 31 with group_by hour"),
        ((None, "2026-03-01", "UTC", "day"), "from is required"),
        (("2026-01-01", "infinity", "UTC", "day"), "to must be a calendar date"),
    ],
)
def test_a_bad_range_is_refused_naming_the_argument(
    db: psycopg.Connection[Any], args: tuple[Any, ...], names: str
) -> None:
    ops = create_user(db, "ops")
    with pytest.raises(psycopg.Error) as err:
        rows_of(db, "ops", ops, "select * from api.analytics_overview(%s, %s, %s, %s)", *args)
    assert err.value.sqlstate == "PT400"
    assert names in str(err.value.diag.message_primary)


# --- who reads what ------------------------------------------------------------------------


@pytest.fixture
def two(db: psycopg.Connection[Any]) -> tuple[bk.Shop, bk.Shop]:
    a, b = bk.open_shop(db), bk.open_shop(db)
    for s in (a, b):
        catalog.add_booking(db, s.service_id, datetime(2026, 6, 10, 15, tzinfo=TORONTO))
    return a, b


def _refusal(
    db: psycopg.Connection[Any], role: str, sub: Any, sql: str, *args: Any
) -> tuple[str | None, str]:
    with pytest.raises(psycopg.Error) as err:
        rows_of(db, role, sub, sql, *args)
    return err.value.sqlstate, str(err.value.diag.message_primary)


def test_a_provider_reads_only_its_own_rollup_rows(
    db: psycopg.Connection[Any], two: tuple[bk.Shop, bk.Shop]
) -> None:
    a, _b = two
    rows = rows_of(
        db, "provider", a.owner_id, "select distinct provider_id from app.analytics_provider_hours"
    )
    assert [r["provider_id"] for r in rows] == [a.provider_id]
    assert (
        _refusal(db, "provider", a.owner_id, "select * from app.analytics_booking_facts")[0]
        == "42501"
    )
    assert (
        _refusal(db, "provider", a.owner_id, "select * from app.analytics_booking_facts")[0]
        == "42501"
    )


@pytest.mark.parametrize(
    "fn",
    ["analytics_provider(%s, %s, 'day', null, %s)", "analytics_revenue(%s, %s, null, 'day', %s)"],
)
def test_a_provider_cannot_name_another_provider(
    db: psycopg.Connection[Any], two: tuple[bk.Shop, bk.Shop], fn: str
) -> None:
    a, b = two
    state, message = _refusal(
        db,
        "provider",
        a.owner_id,
        f"select * from api.{fn}",
        "2026-06-01",
        "2026-06-30",
        b.provider_id,
    )
    assert (state, message) == ("PT403", "provider_id: a provider may read only its own figures")
    own = rows_of(
        db,
        "provider",
        a.owner_id,
        f"select * from api.{fn}",
        "2026-06-01",
        "2026-06-30",
        a.provider_id,
    )
    assert [r["bookings"] for r in own] == [1]


def test_the_peer_ranks_refuse_anyone_but_the_provider_and_ops(
    db: psycopg.Connection[Any], two: tuple[bk.Shop, bk.Shop]
) -> None:
    a, b = two
    sql = "select * from internal.analytics_peer_ranks(%s, '2026-06-01', '2026-07-01')"
    assert _refusal(db, "provider", a.owner_id, sql, b.provider_id)[0] == "PT403"
    assert rows_of(db, "ops", create_user(db, "ops"), sql, b.provider_id)


@pytest.mark.parametrize(
    "sql",
    [
        "select * from api.analytics_overview('2026-06-01', '2026-06-30')",
        "select * from api.analytics_funnel('2026-06-01', '2026-06-30')",
        "select * from api.analytics_cohorts('2026-06-01', '2026-06-30')",
    ],
)
def test_a_provider_is_refused_ops_analytics(
    db: psycopg.Connection[Any], two: tuple[bk.Shop, bk.Shop], sql: str
) -> None:
    a, _b = two
    assert _refusal(db, "provider", a.owner_id, sql)[0] in ("PT403", "42501")


def test_ops_must_name_the_provider_whose_figures_they_read(
    db: psycopg.Connection[Any], two: tuple[bk.Shop, bk.Shop]
) -> None:
    ops = create_user(db, "ops")
    state, message = _refusal(
        db, "ops", ops, "select * from api.analytics_provider('2026-06-01', '2026-06-30')"
    )
    assert state == "PT400" and message.startswith("provider_id is required")
    rows = rows_of(
        db,
        "ops",
        ops,
        "select * from api.analytics_provider('2026-06-01', '2026-06-30', provider_id => %s)",
        two[1].provider_id,
    )
    assert [r["bookings"] for r in rows] == [1]


def test_a_providers_percentiles_rank_it_among_its_categorys_providers_nearby(
    db: psycopg.Connection[Any],
) -> None:
    shops = [bk.open_shop(db) for _ in range(4)]
    for i, s in enumerate(shops):
        for h in range(i):
            catalog.add_booking(db, s.service_id, datetime(2026, 6, 10, 10 + 2 * h, tzinfo=TORONTO))
    far = bk.open_shop(db, lat=46.8, lng=-71.2)  # Quebec City: not nearby
    for h in range(9):
        catalog.add_booking(db, far.service_id, datetime(2026, 6, 10, 8 + h, tzinfo=TORONTO))
    rows = rows_of(
        db,
        "provider",
        shops[2].owner_id,
        "select * from api.analytics_provider('2026-06-01', '2026-06-30', 'month')",
    )
    assert [
        (r["bookings"], r["peer_providers"], float(r["bookings_percentile"]), r["peer_category"])
        for r in rows
    ] == [(2, 4, pytest.approx(66.7), "haircut")]
    assert "business_name" not in rows[0] and str(shops[3].provider_id) not in str(rows)


def rank_of(db: psycopg.Connection[Any], shop: bk.Shop) -> dict[str, Any]:
    rows = rows_of(
        db,
        "provider",
        shop.owner_id,
        "select * from api.analytics_provider('2026-06-01', '2026-06-30', 'month')",
    )
    assert len(rows) == 1
    return rows[0]


def test_a_providers_peers_are_the_200_nearest_of_its_category_however_crowded(
    db: psycopg.Connection[Any],
) -> None:
    me = bk.open_shop(db)
    catalog.add_booking(db, me.service_id, datetime(2026, 6, 10, 10, tzinfo=TORONTO))
    # 205 haircut providers due north of it, 0.001 degrees (111 m) apart: the 200th is 22.2 km
    # away; the 201st, just beyond the 200, has the most bookings of all
    line = [catalog.create_provider(db, lat=me.lat + 0.001 * k, lng=me.lng) for k in range(1, 206)]
    services = [catalog.create_service(db, p) for p in line]
    for h in range(3):
        catalog.add_booking(db, services[200], datetime(2026, 6, 11, 10 + h, tzinfo=TORONTO))
    # nearer than any of them, but of another category: not a peer
    other = catalog.create_provider(db, lat=me.lat, lng=me.lng + 0.0005)
    other_service = catalog.create_service(db, other, category="massage")
    for h in range(3):
        catalog.add_booking(db, other_service, datetime(2026, 6, 11, 10 + h, tzinfo=TORONTO))
    rank = rank_of(db, me)
    assert (rank["peer_providers"], rank["peer_area"], float(rank["bookings_percentile"])) == (
        201,
        "22.3 km",
        100.0,
    )


def test_a_providers_peers_are_no_farther_than_25_km(db: psycopg.Connection[Any]) -> None:
    me = bk.open_shop(db)
    for h in range(2):
        catalog.add_booking(db, me.service_id, datetime(2026, 6, 10, 10 + h, tzinfo=TORONTO))
    near = [bk.open_shop(db, lat=me.lat + 0.01 * k, lng=me.lng) for k in (1, 2, 3)]
    catalog.add_booking(db, near[0].service_id, datetime(2026, 6, 10, 10, tzinfo=TORONTO))
    # 0.24 degrees north is 26.7 km: busier, and not counted
    beyond = bk.open_shop(db, lat=me.lat + 0.24, lng=me.lng)
    for h in range(5):
        catalog.add_booking(db, beyond.service_id, datetime(2026, 6, 10, 9 + h, tzinfo=TORONTO))
    rank = rank_of(db, me)
    assert (rank["peer_providers"], rank["peer_area"], float(rank["bookings_percentile"])) == (
        4,
        "3.4 km",
        100.0,
    )
    # it moves 2 km north of the busier one, more than 25 km from the others: its peers follow
    db.execute(
        "update app.providers set lat = %s where id = %s", (beyond.lat + 0.018, me.provider_id)
    )
    rank = rank_of(db, me)
    assert (rank["peer_providers"], rank["peer_area"], rank["bookings_percentile"]) == (
        2,
        "2.1 km",
        None,  # fewer than 3: no rank
    )


# --- the funnel and the cohorts --------------------------------------------------------------


def test_the_funnel_counts_each_step_from_the_base_rows(
    db: psycopg.Connection[Any], shop: bk.Shop
) -> None:
    customer = create_user(db, "customer")
    starts = [catalog.next_weekday(d, at="11:00", min_days=3 + d) for d in range(4)]
    quoted = [bk.quote(db, customer, shop, s) for s in starts]
    paid = bk.confirm(db, customer, quoted[0], shop.provider_id)
    bk.pay(db, paid)
    bk.confirm(db, customer, quoted[1], shop.provider_id)  # left unpaid
    db.execute("select internal.transition_booking(%s, 'completed', 'provider')", (paid["id"],))
    today = datetime.now(UTC).date()
    rows = rows_of(
        db,
        "ops",
        create_user(db, "ops"),
        "select * from api.analytics_funnel(%s, %s)",
        today - timedelta(days=1),
        today + timedelta(days=1),
    )
    assert [(r["name"], r["quotes"], r["drop_off"]) for r in rows] == [
        ("quote", 4, None),
        ("confirm", 2, 2),
        ("paid", 1, 1),
        ("completed", 1, 0),
    ]
    assert rows[1]["share_of_quotes"] == pytest.approx(0.5)


def test_cohorts_count_who_booked_again_in_each_week(
    db: psycopg.Connection[Any], shop: bk.Shop
) -> None:
    monday = datetime(2026, 6, 1, 12, tzinfo=UTC)
    people = [create_user(db, "customer") for _ in range(4)]
    db.execute("update app.users set created_at = %s where id = any(%s)", (monday, people))
    for i, who in enumerate(people[:2]):
        bid = catalog.add_booking(
            db, shop.service_id, datetime(2026, 7, 1 + i, 15, tzinfo=UTC), customer_id=who
        )
        db.execute(
            "update app.bookings set created_at = %s where id = %s",
            (monday + timedelta(days=7), bid),
        )
    # booked three weeks after the sign-up week, and two days before it: neither counts
    for i, (who, made) in enumerate(
        ((people[2], monday + timedelta(days=21)), (people[3], monday - timedelta(days=2)))
    ):
        bid = catalog.add_booking(
            db, shop.service_id, datetime(2026, 7, 6 + i, 15, tzinfo=UTC), customer_id=who
        )
        db.execute("update app.bookings set created_at = %s where id = %s", (made, bid))
    rows = rows_of(
        db,
        "ops",
        create_user(db, "ops"),
        # to a Wednesday: the last cohort week is the one the range ends in
        "select * from api.analytics_cohorts('2026-06-01', '2026-06-03', 'UTC', 2)",
    )
    assert [
        (r["cohort_week"], r["customers"], r["week_offset"], r["active_customers"]) for r in rows
    ] == [
        (date(2026, 6, 1), 4, 0, 0),
        (date(2026, 6, 1), 4, 1, 2),
        (date(2026, 6, 1), 4, 2, 0),
    ]
    assert rows[1]["retention"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        # Toronto's weeks: the Sunday night of the week DST ended is still that week
        ("America/Toronto", {date(2026, 10, 26): 2, date(2026, 11, 2): 2}),
        # the same instants in UTC: five hours later, across Monday midnights
        ("UTC", {date(2026, 10, 26): 1, date(2026, 11, 2): 2, date(2026, 11, 9): 1}),
    ],
)
def test_a_cohort_is_the_local_week_of_the_sign_up_to_the_minute(
    db: psycopg.Connection[Any], zone: str, expected: dict[date, int]
) -> None:
    """Sign-ups at a local week's first and last minutes (Monday 00:00, Sunday 23:59) and in
    the week DST ended (2026-11-01) each count in their own local week."""
    toronto = ZoneInfo("America/Toronto")
    signed = [
        datetime(2026, 10, 26, 0, 0, tzinfo=toronto),  # Monday 00:00
        datetime(2026, 11, 1, 23, 30, tzinfo=toronto),  # Sunday, DST ended at 2:00
        datetime(2026, 11, 2, 0, 30, tzinfo=toronto),  # Monday
        datetime(2026, 11, 8, 23, 59, tzinfo=toronto),  # Sunday 23:59
    ]
    for at in signed:
        who = create_user(db, "customer")
        db.execute("update app.users set created_at = %s where id = %s", (at, who))
    rows = rows_of(
        db,
        "ops",
        create_user(db, "ops"),
        "select * from api.analytics_cohorts('2026-10-20', '2026-11-15', %s, 1)",
        zone,
    )
    assert {r["cohort_week"]: r["customers"] for r in rows} == expected
