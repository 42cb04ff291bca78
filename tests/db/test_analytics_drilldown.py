"""The drill-down (api.analytics_bookings) and the areas named after neighbourhoods: on the
seeded random run, the bookings listed behind a figure of analytics_overview, _provider and
_areas are as many as the figure counts and their money adds up to its sums; paging; who
sees which bookings; bad inputs; the neighbourhood polygons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from tests.db.test_analytics import Run, raw_bookings, rows_of, span
from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.db import acting_as, call_as
from tests.helpers.factories import create_user

TORONTO = ZoneInfo("America/Toronto")
STATUSES = ["pending_payment", "confirmed", "completed", "no_show", "cancelled", "expired"]
MONEY = ["booked_cents", "captured_cents", "refunded_cents", "fees_kept_cents", "net_cents"]
DRILL = (
    "select * from api.analytics_bookings("
    '"from" => %(from)s::date, "to" => %(to)s::date, tz => %(tz)s::text, '
    "group_by => %(group_by)s::text, bucket_start => %(bucket_start)s::timestamptz, "
    "status => %(status)s::text, figure => %(figure)s::text, category => %(category)s::text, "
    "currency => %(currency)s::text, provider_id => %(provider_id)s::uuid, area => %(area)s::text, "
    "cell_deg => %(cell_deg)s::numeric, after_start => %(after_start)s::timestamptz, "
    "after_id => %(after_id)s::uuid, page_size => %(page_size)s::integer)"
)
DEFAULTS: dict[str, Any] = {
    "tz": None,
    "group_by": "day",
    "bucket_start": None,
    "status": None,
    "figure": None,
    "category": None,
    "currency": None,
    "provider_id": None,
    "area": None,
    "cell_deg": 0.02,
    "after_start": None,
    "after_id": None,
    "page_size": 1000,
}


def drill(db: psycopg.Connection[Any], role: str, sub: Any, **kw: Any) -> list[dict[str, Any]]:
    with acting_as(db, role, sub):
        cur = db.execute(DRILL, {**DEFAULTS, **kw})
        names = [d.name for d in cur.description or []]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def refusal(db: psycopg.Connection[Any], role: str, sub: Any, **kw: Any) -> tuple[Any, str]:
    with pytest.raises(psycopg.Error) as err:
        drill(db, role, sub, **kw)
    return err.value.sqlstate, str(err.value.diag.message_primary)


def total(rows: list[dict[str, Any]]) -> int:
    """The total every row carries (the number of matching bookings), 0 without rows."""
    assert len({r["total"] for r in rows}) <= 1
    return rows[0]["total"] if rows else 0


# --- the rows behind the figures, on the random run ----------------------------------------


@pytest.fixture
def run(db: psycopg.Connection[Any]) -> Run:
    """A seeded random run (test_analytics.Run): bookings over about a month and a half."""
    r = Run(db, seed=86)
    for _ in range(4):
        r.book()
    actions = [r.step() for _ in range(80)]
    assert {"book", "insert", "cancel", "refund"} <= set(actions)
    return r


def test_the_bookings_behind_each_overview_figure_are_as_many_as_it_counts(
    db: psycopg.Connection[Any], run: Run
) -> None:
    first, last = span(raw_bookings(db), TORONTO)
    rng = {"from": first, "to": last, "tz": "America/Toronto"}
    rows = rows_of(
        db,
        "ops",
        run.ops,
        "select * from api.analytics_overview(%s, %s, 'America/Toronto', 'week')",
        first,
        last,
    )
    assert len(rows) >= 4
    checked = 0
    for r in rows:
        key = {
            **rng,
            "group_by": "week",
            "bucket_start": r["bucket_start"],
            "category": r["category"],
            "currency": r["currency"],
        }
        listed = drill(db, "ops", run.ops, **key)
        assert len(listed) == total(listed) == r["bookings"], r
        for m in MONEY:
            assert sum(b[m] for b in listed) == r[m], (m, r)
        assert {b["booking_category"] for b in listed} <= {r["category"]}
        for s in STATUSES:
            n = total(drill(db, "ops", run.ops, **key, status=s))
            assert n == (r[s] or 0), (s, r)
        for f in ("cancelled_by_customer", "cancelled_by_provider", "cancelled_late"):
            assert total(drill(db, "ops", run.ops, **key, figure=f)) == (r[f] or 0), (f, r)
        refunded = drill(db, "ops", run.ops, **key, figure="refunded_cents")
        assert sum(b["refunded_cents"] for b in refunded) == r["refunded_cents"]
        assert all(b["refunded_cents"] != 0 for b in refunded)
        checked += 1
    assert checked == len(rows)
    # the whole range: every booking, whatever its bucket
    assert total(drill(db, "ops", run.ops, **rng)) == sum(r["bookings"] for r in rows)


def test_a_providers_daily_figures_list_its_own_bookings_in_its_zone(
    db: psycopg.Connection[Any], run: Run
) -> None:
    shop = run.shops[0]
    first, last = span(raw_bookings(db), TORONTO)
    rows = rows_of(
        db,
        "provider",
        shop.owner_id,
        "select * from api.analytics_provider(%s, %s, 'day')",
        first,
        last,
    )
    assert rows
    for r in rows:
        key = {
            "from": first,
            "to": last,
            "bucket_start": r["bucket_start"],
            "category": r["category"],
        }
        listed = drill(db, "provider", shop.owner_id, **key)
        assert len(listed) == r["bookings"]
        assert {b["booking_provider_id"] for b in listed} == {shop.provider_id}
        assert sum(b["net_cents"] for b in listed) == r["net_cents"]
        # a local day: each booking starts on it, in the provider's zone
        assert {b["starts_at"].astimezone(TORONTO).date() for b in listed} == {
            r["bucket_local"].date()
        }
        completed = total(drill(db, "provider", shop.owner_id, **key, status="completed"))
        assert completed == (r["completed"] or 0)


@pytest.mark.parametrize(
    ("kind", "cell"), [("neighbourhood", 0.02), ("grid", 0.02), ("grid", 0.05)]
)
def test_the_bookings_behind_each_area_are_as_many_as_it_counts(
    db: psycopg.Connection[Any], run: Run, kind: str, cell: str
) -> None:
    """Each area's row of analytics_areas (the neighbourhoods, the default grid's kept cells,
    and cells of another size) lists as many bookings as it counts."""
    db.execute(
        "update app.providers set lat = 45.4590, lng = -73.5710 where id = %s",
        (run.shops[2].provider_id,),
    )
    first, last = span(raw_bookings(db), ZoneInfo("UTC"))
    rows = rows_of(
        db,
        "ops",
        run.ops,
        "select * from api.analytics_areas(%s, %s, 'UTC', %s::numeric, null, %s)",
        first,
        last,
        cell,
        kind,
    )
    assert len({r["area"] for r in rows}) == 2
    if kind == "neighbourhood":
        assert {(r["area"], r["area_name_en"], r["area_name_fr"]) for r in rows} == {
            ("plateau-mont-royal", "Plateau-Mont-Royal", "Plateau-Mont-Royal"),
            ("verdun", "Verdun", "Verdun"),
        }

    def in_area(r: dict[str, Any], to: Any, zone: str, **kw: Any) -> list[dict[str, Any]]:
        """The bookings of an area's row from first to `to` in a zone (and any other filter)."""
        rng = {"from": first, "to": to, "tz": zone}
        return drill(db, "ops", run.ops, **rng, area=r["area"], cell_deg=cell, **kw)

    for r in rows:
        listed = in_area(r, last, "UTC", category=r["category"], currency=r["currency"])
        assert len(listed) == r["bookings"]
        assert {b["booking_area"] for b in listed} == {r["area"]}
        for m in ("captured_cents", "refunded_cents", "net_cents"):
            assert sum(b[m] for b in listed) == r[m]
        cancelled = in_area(r, last, "UTC", category=r["category"], status="cancelled")
        assert len(cancelled) == (r["cancelled"] or 0)
    # the totals an area's rows carry: from the rollups per area (a neighbourhood, the default
    # cells) or counted (another cell size), with the deltas and once folded, in UTC (whole
    # days), Toronto and Dhaka (edge hours too: Dhaka's midnight is 18:00 UTC, among the
    # bookings' hours)
    for fold in (False, True):
        if fold:
            db.execute("select internal.analytics_compact()")
        for r in rows:
            for zone in ("UTC", "America/Toronto", "Asia/Dhaka"):
                for kw in ({}, {"status": "cancelled"}, {"status": "completed"}):
                    listed = in_area(r, last, zone, **kw)
                    assert total(listed) == len(listed), (fold, zone, kw, r["area"])
                    assert all(b["total_exact"] for b in listed)
    # ranges that end on each day with bookings, in Dhaka: the last day's edge hours
    # (00:00-18:00 UTC) hold bookings of the day for some of them
    dhaka = ZoneInfo("Asia/Dhaka")
    ends = sorted({b["start"].astimezone(dhaka).date() for b in raw_bookings(db)})
    for r in rows:
        for end in ends:
            listed = in_area(r, end, "Asia/Dhaka")
            assert total(listed) == len(listed), (end, r["area"])


def test_pages_follow_each_other_without_gaps_or_repeats(
    db: psycopg.Connection[Any], run: Run
) -> None:
    first, last = span(raw_bookings(db), ZoneInfo("UTC"))
    rng = {"from": first, "to": last, "tz": "UTC"}
    everything = drill(db, "ops", run.ops, **rng)
    seen: list[Any] = []
    after: dict[str, Any] = {}
    while True:
        page = drill(db, "ops", run.ops, **rng, **after, page_size=7)
        if not page:
            break
        assert len(page) <= 7 and all(b["total"] == len(everything) for b in page)
        seen += [b["booking_id"] for b in page]
        after = {"after_start": page[-1]["starts_at"], "after_id": page[-1]["booking_id"]}
    assert seen == [b["booking_id"] for b in everything]
    assert len(set(seen)) == len(everything) > 7
    assert [b["starts_at"] for b in everything] == sorted(b["starts_at"] for b in everything)


# --- buckets ----------------------------------------------------------------------------------


def test_a_booking_at_2330_local_is_listed_under_its_local_day(
    db: psycopg.Connection[Any],
) -> None:
    shop = bk.open_shop(db)
    late = datetime(2026, 6, 10, 23, 30, tzinfo=TORONTO)
    catalog.add_booking(db, shop.service_id, late)
    day = datetime(2026, 6, 10, tzinfo=TORONTO)
    on_day = drill(
        db,
        "provider",
        shop.owner_id,
        **{"from": "2026-06-01", "to": "2026-06-30"},
        bucket_start=day,
    )
    assert [b["starts_local"] for b in on_day] == [datetime(2026, 6, 10, 23, 30)]
    next_day = drill(
        db,
        "provider",
        shop.owner_id,
        **{"from": "2026-06-01", "to": "2026-06-30"},
        bucket_start=day + timedelta(days=1),
    )
    assert next_day == []
    # the same instant is the 11th in UTC
    utc = drill(
        db,
        "provider",
        shop.owner_id,
        **{"from": "2026-06-01", "to": "2026-06-30", "tz": "UTC"},
        bucket_start=datetime(2026, 6, 11, tzinfo=UTC),
    )
    assert len(utc) == 1


def test_an_edge_week_lists_only_the_days_inside_the_range(
    db: psycopg.Connection[Any],
) -> None:
    shop = bk.open_shop(db)
    for d in (8, 10, 14):  # Monday 8 June .. Sunday 14 June
        catalog.add_booking(db, shop.service_id, datetime(2026, 6, d, 12, tzinfo=TORONTO))
    rng = {"from": "2026-06-10", "to": "2026-06-30", "group_by": "week"}
    [fig] = rows_of(
        db,
        "provider",
        shop.owner_id,
        "select * from api.analytics_provider('2026-06-10', '2026-06-30', 'week')",
    )
    assert fig["bookings"] == 2
    listed = drill(db, "provider", shop.owner_id, **rng, bucket_start=fig["bucket_start"])
    assert len(listed) == 2


# --- who sees what ----------------------------------------------------------------------------


@pytest.fixture
def two(db: psycopg.Connection[Any]) -> tuple[bk.Shop, bk.Shop]:
    a, b = bk.open_shop(db), bk.open_shop(db)
    for s in (a, b):
        catalog.add_booking(db, s.service_id, datetime(2026, 6, 10, 15, tzinfo=TORONTO))
    return a, b


JUNE = {"from": "2026-06-01", "to": "2026-06-30"}


def test_a_provider_lists_only_its_own_bookings(
    db: psycopg.Connection[Any], two: tuple[bk.Shop, bk.Shop]
) -> None:
    a, b = two
    own = drill(db, "provider", a.owner_id, **JUNE)
    assert [r["booking_provider_id"] for r in own] == [a.provider_id]
    assert refusal(db, "provider", a.owner_id, **JUNE, provider_id=b.provider_id) == (
        "PT403",
        "provider_id: a provider may read only its own figures",
    )
    # through the definer too: it checks the caller itself
    with pytest.raises(psycopg.Error) as err:
        rows_of(
            db,
            "provider",
            a.owner_id,
            "select * from internal.analytics_drill(%s, '2026-06-01', '2026-07-01', 'UTC', null, "
            "null, null, null, null, 'neighbourhood', 0.02, null, null, 10)",
            b.provider_id,
        )
    assert err.value.sqlstate == "PT403"


def test_ops_list_every_providers_bookings_or_one(
    db: psycopg.Connection[Any], two: tuple[bk.Shop, bk.Shop]
) -> None:
    ops = create_user(db, "ops")
    assert {r["booking_provider_id"] for r in drill(db, "ops", ops, **JUNE)} == {
        two[0].provider_id,
        two[1].provider_id,
    }
    one = drill(db, "ops", ops, **JUNE, provider_id=two[1].provider_id)
    assert [r["booking_provider_id"] for r in one] == [two[1].provider_id]


@pytest.mark.parametrize("role", ["customer", "anon"])
def test_customers_and_anonymous_callers_cannot_list_bookings(
    db: psycopg.Connection[Any], two: tuple[bk.Shop, bk.Shop], role: str
) -> None:
    sub = create_user(db, "customer") if role == "customer" else None
    state, _ = refusal(db, role, sub, **JUNE)
    assert state == "42501"  # no execute grant: PostgREST answers 401/403


# --- bad inputs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        (
            {"bucket_start": datetime(2026, 6, 10, 15, tzinfo=TORONTO)},
            "bucket_start must be the start of a day",
        ),
        (
            {"bucket_start": datetime(2026, 7, 10, tzinfo=TORONTO)},
            "bucket_start must be a bucket of the range",
        ),
        ({"group_by": "year"}, "group_by must be"),
        ({"status": "paid"}, "status must be"),
        ({"figure": "providers"}, "figure must be"),
        ({"category": "nope"}, "category: no such category"),
        ({"currency": "cad"}, "currency must be"),
        ({"area": "the-moon"}, "area must be"),
        ({"area": "45.52,-73.6", "cell_deg": 5}, "cell_deg must be"),
        (
            {"after_id": "00000000-0000-0000-0000-000000000000"},
            "after_start and after_id go together",
        ),
        ({"page_size": 0}, "page_size must be"),
        ({"tz": "Mars/Base"}, "tz must be"),
        ({"from": "2026-07-01"}, "from must be on or before to"),
    ],
)
def test_a_bad_argument_is_a_400_naming_it(
    db: psycopg.Connection[Any], kw: dict[str, Any], message: str
) -> None:
    ops = create_user(db, "ops")
    state, got = refusal(db, "ops", ops, **{**JUNE, "tz": "America/Toronto", **kw})
    assert state == "PT400"
    assert got.startswith(message), got


# --- the neighbourhoods ----------------------------------------------------------------------


def test_the_polygons_are_valid_and_do_not_overlap(db: psycopg.Connection[Any]) -> None:
    n, invalid = db.execute(
        "select count(*), count(*) filter (where not extensions.st_isvalid(boundary)) from app.areas"
    ).fetchone()  # type: ignore[misc]
    assert n >= 15 and invalid == 0
    overlaps = db.execute(
        """
        select a.slug, b.slug from app.areas a join app.areas b on a.slug < b.slug
        where extensions.st_area(extensions.st_intersection(a.boundary, b.boundary)::extensions.geography) > 1
        """
    ).fetchall()
    assert overlaps == []
    # each centre lies in its own polygon, and each polygon spans about a neighbourhood
    rows = db.execute(
        "select slug, extensions.st_covers(boundary, centre), "
        "extensions.st_area(boundary::extensions.geography) / 1e6 from app.areas"
    ).fetchall()
    assert all(inside for _, inside, _ in rows)
    assert all(0.3 < km2 < 20 for _, _, km2 in rows), rows


def test_a_provider_is_placed_in_the_neighbourhood_covering_it_else_other(
    db: psycopg.Connection[Any],
) -> None:
    shop = bk.open_shop(db)  # on the Plateau
    catalog.add_booking(db, shop.service_id, datetime(2026, 6, 10, 15, tzinfo=TORONTO))
    ops = create_user(db, "ops")

    def where() -> list[tuple[Any, ...]]:
        rows = rows_of(
            db,
            "ops",
            ops,
            "select * from api.analytics_areas('2026-06-01', '2026-06-30', area_kind => 'neighbourhood')",
        )
        return [(r["area"], r["area_name_fr"], r["bookings"]) for r in rows]

    assert where() == [("plateau-mont-royal", "Plateau-Mont-Royal", 1)]
    for lat, lng, expected in [
        (45.5075, -73.5545, ("old-montreal", "Vieux-Montréal", 1)),
        (45.4870, -73.5730, ("little-burgundy", "Petite-Bourgogne", 1)),
        (45.7000, -73.4000, ("other", None, 1)),  # Repentigny: outside every polygon
    ]:
        db.execute(
            "update app.providers set lat = %s, lng = %s where id = %s",
            (lat, lng, shop.provider_id),
        )
        assert where() == [expected]
        [listed] = drill(db, "ops", ops, **JUNE, area=expected[0])
        assert listed["area_name_fr"] == expected[1]
    with pytest.raises(psycopg.Error) as err:
        rows_of(
            db,
            "ops",
            ops,
            "select * from api.analytics_areas('2026-06-01', '2026-06-30', area_kind => 'city')",
        )
    assert err.value.diag.message_primary == "area_kind must be grid or neighbourhood"


def test_each_seed_neighbourhood_centre_is_in_a_polygon_of_its_own(
    db: psycopg.Connection[Any],
) -> None:
    from db.seed import NEIGHBOURHOODS

    slugs = []
    for _name, lat, lng, _ in NEIGHBOURHOODS:
        rows = db.execute(
            "select slug from app.areas where extensions.st_covers(boundary, "
            "extensions.st_setsrid(extensions.st_makepoint(%s, %s), 4326))",
            (lng, lat),
        ).fetchall()
        assert len(rows) == 1, (_name, rows)
        slugs.append(rows[0][0])
    assert len(set(slugs)) == len(NEIGHBOURHOODS)


# --- the hours read: only those whose rollups hold the figure ----------------------------------

FIGURES = [
    "cancelled_by_customer",
    "cancelled_by_provider",
    "cancelled_by_ops",
    "cancelled_by_system",
    "cancelled_late",
    "captured_cents",
    "refunded_cents",
    "fees_kept_cents",
    "net_cents",
    "outstanding_cents",
]


def _counts(figure: str, b: dict[str, Any]) -> bool:
    """Whether a listed booking (a row of the drill-down of every booking) adds to a figure."""
    if figure.startswith("cancelled_by_"):
        return bool(b["cancelled_by"] == figure.removeprefix("cancelled_by_"))
    if figure == "cancelled_late":
        return bool(b["cancelled_late"])
    return bool(b[figure] != 0)


def test_each_figure_lists_exactly_its_bookings_whether_its_hours_are_folded_or_not(
    db: psycopg.Connection[Any], run: Run
) -> None:
    """A figure's bookings are read only in the hours whose rollup rows (across providers:
    the hourly rows and the deltas not folded; a provider: its hourly rows) add up to more
    than zero for it. After a fold, more steps (refunds, cancellations, payments of hours the
    fold left without them) are only in the deltas: each figure still lists exactly the
    bookings of the whole list that add to it, as ops and as a provider."""
    first, last = span(raw_bookings(db), TORONTO)
    rng = {"from": first, "to": last + timedelta(days=1), "tz": "America/Toronto"}
    db.execute("select internal.analytics_compact()")
    before = {
        f: {b["booking_id"] for b in drill(db, "ops", run.ops, **rng, figure=f)} for f in FIGURES
    }
    # on keys the fold wrote (the rows' update, not their insert): a first refund of a paid
    # booking, a captured payment for a booking without one
    paid = db.execute(
        "select p.booking_id from app.payments p where p.captured_cents >= 200 and not exists "
        "(select from app.refunds r where r.booking_id = p.booking_id) order by 1 limit 1"
    ).fetchone()
    assert paid is not None
    call_as(db, "ops", run.ops, "select internal.ops_refund(%s, %s, %s)", paid[0], 100, "goodwill")
    for (refund_id,) in db.execute(
        "select id from app.refunds where status = 'pending'"
    ).fetchall():
        db.execute("select internal.record_refund(%s, 're_drill', 'succeeded')", (refund_id,))
    unpaid = db.execute(
        "select b.id from app.bookings b where b.status <> 'expired' and not exists "
        "(select from app.payments p where p.booking_id = b.id) order by 1 limit 1"
    ).fetchone()
    assert unpaid is not None
    db.execute(
        "insert into app.payments (booking_id, amount_cents, currency, status, captured_cents) "
        "values (%s, 700, 'CAD', 'succeeded', 700)",
        unpaid,
    )
    actions = [run.step() for _ in range(60)]
    assert {"refund", "cancel"} <= set(actions)
    left = db.execute("select count(*) from app.analytics_deltas").fetchone()
    assert left is not None and left[0] > 0
    # the bookings, against their definition: every booking starting in the range, once
    every = drill(db, "ops", run.ops, **rng)
    assert len(every) == total(every) < 1000
    live = db.execute(
        "select count(*) from internal.analytics_live_facts where hour >= %s and hour < %s",
        (
            datetime.combine(rng["from"], datetime.min.time(), TORONTO),
            datetime.combine(rng["to"] + timedelta(days=1), datetime.min.time(), TORONTO),
        ),
    ).fetchone()
    assert live is not None and len(every) == live[0]
    changed = 0
    for subject in (None, *(s.provider_id for s in run.shops)):
        mine = [b for b in every if subject is None or b["booking_provider_id"] == subject]
        for f in FIGURES:
            listed = drill(db, "ops", run.ops, **rng, figure=f, provider_id=subject)
            expected = {b["booking_id"] for b in mine if _counts(f, b)}
            assert {b["booking_id"] for b in listed} == expected, (subject, f)
            # the total: the rollups' count of the figure's bookings, deltas included
            assert total(listed) == len(listed) and all(b["total_exact"] for b in listed)
            if subject is None:
                changed += len(expected - before[f])
    # the steps after the fold gave figures bookings that only the deltas hold
    assert changed > 0
    for f in ("captured_cents", "refunded_cents", "cancelled_by_customer", "cancelled_late"):
        assert any(_counts(f, b) for b in every), f
    # a provider reads its own the same way
    shop = run.shops[0]
    for f in FIGURES:
        own = drill(db, "provider", shop.owner_id, **rng, figure=f)
        expected = {
            b["booking_id"]
            for b in every
            if b["booking_provider_id"] == shop.provider_id and _counts(f, b)
        }
        assert {b["booking_id"] for b in own} == expected, f
    # folded a second time, onto the rows of the first: the same lists and totals, no drift
    db.execute("select internal.analytics_compact()")
    for f in FIGURES:
        listed = drill(db, "ops", run.ops, **rng, figure=f)
        assert {b["booking_id"] for b in listed} == {
            b["booking_id"] for b in every if _counts(f, b)
        }
        assert total(listed) == len(listed), f
    assert db.execute("select * from internal.analytics_drift()").fetchall() == []


# --- the total: from the rollups, or counted up to a cap -------------------------------------


def test_the_total_from_the_rollups_is_exact_before_and_after_the_fold(
    db: psycopg.Connection[Any], run: Run
) -> None:
    """A count's total comes from the rollups (across providers: whole UTC days, edge hours and
    the deltas; a provider: its hourly rows): it equals the rows listed, folded or not."""
    first, last = span(raw_bookings(db), TORONTO)
    rng = {"from": first, "to": last, "tz": "America/Toronto"}
    for fold in (False, True):
        if fold:
            db.execute("select internal.analytics_compact()")
        for kw in [
            {},
            {"status": "cancelled"},
            {"figure": "cancelled_late"},
            {"figure": "booked_cents", "category": "haircut"},
            {"figure": "captured_cents"},
            {"figure": "refunded_cents", "status": "cancelled"},
            {"figure": "net_cents", "provider_id": run.shops[0].provider_id},
            {"figure": "fees_kept_cents"},
            {"figure": "outstanding_cents", "provider_id": run.shops[2].provider_id},
            {"provider_id": run.shops[1].provider_id},
            {"provider_id": run.shops[0].provider_id, "figure": "cancelled_by_customer"},
        ]:
            listed = drill(db, "ops", run.ops, **rng, **kw)
            assert total(listed) == len(listed), (fold, kw)
            assert all(b["total_exact"] for b in listed)
        # one day, shorter than a UTC day and across two: only hours and deltas
        day = drill(db, "ops", run.ops, **rng, group_by="day")[0]["starts_local"].date()
        one = drill(db, "ops", run.ops, **{"from": day, "to": day, "tz": "America/Toronto"})
        assert total(one) == len(one) > 0
        # from each day to the last: the leading edge (the first local day's hours before the
        # next UTC midnight, 00:00-19:00 in Toronto) read from the hourly rows
        edged = 0
        for n in range((last - first).days + 1):
            rest = drill(db, "ops", run.ops, **{**rng, "from": first + timedelta(days=n)})
            assert total(rest) == len(rest), (fold, n)
            edged += sum(b["starts_local"].date() == first + timedelta(days=n) for b in rest)
        assert edged > 0


def test_a_money_total_is_exact_and_an_areas_stops_counting_past_ten_thousand(
    db: psycopg.Connection[Any],
) -> None:
    """A money figure's total is the rollups' count of bookings whose amount is not zero: exact
    past 10,000, across providers and for one; so is an area's count of its bookings (the
    rollups per area). Another figure of an area is counted from the facts, up to 10,000:
    beyond, total is 10000 and total_exact false (the list itself goes on)."""
    shop = bk.open_shop(db)
    ops = create_user(db, "ops")
    customer = create_user(db, "customer")
    start = datetime(2026, 6, 1, tzinfo=UTC)
    # cancelled bookings hold no time: 10,001 of them one minute apart, each with a payment
    # still pending; written with every trigger off (the booking flow's audit, events and
    # rollups per row would take minutes), then the rollups rebuilt from them
    db.execute("set session_replication_role = replica")
    db.execute(
        """
        insert into app.bookings (
            customer_id, provider_id, service_id, during, blocked, status, price_cents,
            deposit_cents, currency, cancel_notice_hours, cancel_fee_cents, cancelled_at,
            cancelled_by_role
        )
        select
            %(customer)s, s.provider_id, s.id,
            tstzrange(%(start)s + make_interval(mins => g), %(start)s + make_interval(mins => g + 30)),
            tstzrange(%(start)s + make_interval(mins => g), %(start)s + make_interval(mins => g + 30)),
            'cancelled', s.price_cents, s.deposit_cents, s.currency, 24, 300, %(start)s, 'customer'
        from app.services as s, generate_series(0, 10000) as g
        where s.id = %(service)s
        """,
        {"customer": customer, "start": start, "service": shop.service_id},
    )
    db.execute(
        "insert into app.payments (booking_id, amount_cents, currency) "
        "select id, 1000, currency from app.bookings where provider_id = %s",
        (shop.provider_id,),
    )
    db.execute("reset session_replication_role")
    db.execute("select internal.analytics_rebuild()")
    rng = {"from": start.date(), "to": (start + timedelta(days=8)).date(), "tz": "UTC"}
    everything = drill(db, "ops", ops, **rng, page_size=5)
    assert total(everything) == 10001 and everything[0]["total_exact"]
    for subject in (None, shop.provider_id):
        owed = drill(
            db, "ops", ops, **rng, figure="outstanding_cents", provider_id=subject, page_size=5
        )
        assert len(owed) == 5
        assert {(b["total"], b["total_exact"]) for b in owed} == {(10001, True)}
        assert drill(db, "ops", ops, **rng, figure="captured_cents", provider_id=subject) == []
    area = catalog.PLATEAU
    cell = f"{int(area[0] / 0.02) * 0.02:.2f},{(int(area[1] / 0.02) - 1) * 0.02:.2f}"
    # an area's count of every booking or of a status the areas show: from the rollups per area
    for kw in ({}, {"status": "cancelled"}):
        listed = drill(db, "ops", ops, **rng, area=cell, page_size=5, **kw)
        assert {(b["total"], b["total_exact"]) for b in listed} == {(10001, True)}, kw
    assert drill(db, "ops", ops, **rng, area=cell, status="completed") == []
    # any other figure of an area: counted, up to 10,000
    for kw in (
        {"figure": "outstanding_cents"},
        {"status": "cancelled", "figure": "cancelled_by_customer"},
    ):
        listed = drill(db, "ops", ops, **rng, area=cell, page_size=5, **kw)
        assert {(b["total"], b["total_exact"]) for b in listed} == {(10000, False)}, kw
    # a few bookings less than the cap: exact again
    few = drill(
        db, "ops", ops, **{**rng, "to": start.date()}, area=cell, figure="outstanding_cents"
    )
    assert len(few) == 1000  # a page
    assert {(b["total"], b["total_exact"]) for b in few} == {(24 * 60, True)}
