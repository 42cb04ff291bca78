"""The geographic quote: real candidates from the Montreal demo data, each genuinely
free, ranked by the documented score, stored with the price and policy locked in;
bad input refused with nothing written."""

from __future__ import annotations

import itertools
import json
import math
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

import bookiji_seed as seed
from tests.helpers.catalog import (
    PLATEAU,
    add_booking,
    add_hours,
    add_time_off,
    create_provider,
    create_service,
    next_weekday,
)
from tests.helpers.db import acting_as
from tests.helpers.factories import create_user

QUEBEC = (46.8139, -71.2080)  # far from the demo data: a clean slate


@pytest.fixture
def demo(db: psycopg.Connection[Any]) -> uuid.UUID:
    """The Montreal demo data; returns the demo customer's id."""
    seed.load_demo(db)
    row = db.execute("select id from app.users where email = %s", (seed.DEMO_CUSTOMER,)).fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))


@pytest.fixture
def customer(db: psycopg.Connection[Any]) -> uuid.UUID:
    return create_user(db, "customer")


def quote(
    db: psycopg.Connection[Any],
    customer: uuid.UUID | None,
    *,
    role: str = "customer",
    category: str | None = "haircut",
    lat: float | None = PLATEAU[0],
    lng: float | None = PLATEAU[1],
    starts_at: datetime | None = None,
    radius_km: float | None = 10,
    max_results: int | None = 10,
    keep: bool = False,
) -> list[dict[str, Any]]:
    """api.quote as ``role``; rolled back unless ``keep``."""
    args = (category, lat, lng, starts_at or next_weekday(2), radius_km, max_results)
    with _as(db, role, customer, keep=keep):
        cur = db.cursor(row_factory=dict_row)
        return cur.execute("select * from api.quote(%s, %s, %s, %s, %s, %s)", args).fetchall()


@contextmanager
def _as(
    db: psycopg.Connection[Any], role: str, sub: uuid.UUID | None, *, keep: bool
) -> Iterator[None]:
    if not keep:
        with acting_as(db, role, sub):
            yield
        return
    with db.transaction():
        claims = {"role": role, "sub": str(sub)}
        db.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps(claims),))
        db.execute(psycopg.sql.SQL("set local role {}").format(psycopg.sql.Identifier(role)))
        yield


def _service_of(db: psycopg.Connection[Any], service_id: uuid.UUID) -> dict[str, Any]:
    cur = db.cursor(row_factory=dict_row)
    row = cur.execute("select * from app.services where id = %s", (service_id,)).fetchone()
    assert row is not None
    return row


# --- With the Montreal demo data ----------------------------------------------------


def test_a_plateau_haircut_quote_returns_ranked_real_candidates(
    db: psycopg.Connection[Any], demo: uuid.UUID
) -> None:
    offers = quote(db, demo)
    assert len(offers) >= 5
    assert [o["rank"] for o in offers] == list(range(1, len(offers) + 1))
    assert len({o["provider_id"] for o in offers}) == len(offers)
    assert len({o["quote_id"] for o in offers}) == 1
    for a, b in itertools.pairwise(offers):
        assert a["score"] >= b["score"]
        if a["score"] == b["score"]:
            assert a["distance_m"] <= b["distance_m"]  # nearest first within equal scores
    for o in offers:
        assert o["distance_m"] <= 10_000
        assert o["ends_at"] - o["starts_at"] == timedelta(
            minutes=_service_of(db, o["service_id"])["duration_minutes"]
        )
        row = db.execute(
            """
            select p.service_radius_km * 1000 >= %(d)s, c.slug, s.is_active and p.is_active
            from app.services as s
            join app.providers as p on p.id = s.provider_id
            join app.service_categories as c on c.id = s.category_id
            where s.id = %(s)s and p.id = %(p)s
            """,
            {"d": o["distance_m"], "s": o["service_id"], "p": o["provider_id"]},
        ).fetchone()
        assert row == (True, "haircut", True)


def test_every_candidate_is_free_for_the_whole_slot_with_its_buffers(
    db: psycopg.Connection[Any], demo: uuid.UUID
) -> None:
    starts_at = next_weekday(2)
    for o in quote(db, demo, starts_at=starts_at):
        s = _service_of(db, o["service_id"])
        row = db.execute(
            """
            select internal.slot_is_free(
                p.id, p.time_zone,
                tstzrange(%(t)s - make_interval(mins => %(b)s), %(t)s + make_interval(mins => %(d)s)),
                now()
            )
            from app.providers as p where p.id = %(p)s
            """,
            {
                "t": starts_at,
                "b": s["buffer_before_minutes"],
                "d": s["duration_minutes"] + s["buffer_after_minutes"],
                "p": o["provider_id"],
            },
        ).fetchone()
        assert row == (True,)


@pytest.mark.parametrize("how", ["confirmed booking", "unexpired hold", "time off"])
def test_a_provider_that_becomes_busy_disappears_from_the_quote(
    db: psycopg.Connection[Any], demo: uuid.UUID, how: str
) -> None:
    starts_at = next_weekday(2)
    before = quote(db, demo, starts_at=starts_at)
    top = before[0]
    if how == "time off":
        add_time_off(
            db, top["provider_id"], starts_at - timedelta(hours=1), starts_at + timedelta(hours=1)
        )
    else:
        add_booking(
            db,
            top["service_id"],
            starts_at,
            status="confirmed" if how == "confirmed booking" else "pending_payment",
            hold_expires_at=datetime.now().astimezone() + timedelta(minutes=10),
        )
    after = quote(db, demo, starts_at=starts_at)
    assert top["provider_id"] not in {o["provider_id"] for o in after}
    assert {o["provider_id"] for o in before[1:]} <= {o["provider_id"] for o in after}


@pytest.mark.parametrize("status", ["expired hold", "cancelled"])
def test_an_expired_hold_or_a_cancelled_booking_does_not_block(
    db: psycopg.Connection[Any], demo: uuid.UUID, status: str
) -> None:
    starts_at = next_weekday(2)
    top = quote(db, demo, starts_at=starts_at)[0]
    add_booking(
        db,
        top["service_id"],
        starts_at,
        status="pending_payment" if status == "expired hold" else "cancelled",
        hold_expires_at=datetime.now().astimezone() - timedelta(minutes=1),
    )
    assert quote(db, demo, starts_at=starts_at)[0]["provider_id"] == top["provider_id"]


def test_a_quote_at_night_finds_nobody(db: psycopg.Connection[Any], demo: uuid.UUID) -> None:
    assert quote(db, demo, starts_at=next_weekday(2, at="03:00")) == []


def test_the_quote_is_stored_with_the_price_and_cancellation_policy_in_force(
    db: psycopg.Connection[Any], demo: uuid.UUID
) -> None:
    offers = quote(db, demo, keep=True)
    quote_id = offers[0]["quote_id"]
    row = db.execute(
        "select customer_id, expires_at - created_at, radius_km from app.quotes where id = %s",
        (quote_id,),
    ).fetchone()
    assert row == (demo, timedelta(minutes=15), 10.0)
    cur = db.cursor(row_factory=dict_row)
    items = cur.execute(
        "select * from app.quote_items where quote_id = %s order by rank", (quote_id,)
    ).fetchall()
    assert [i["provider_id"] for i in items] == [o["provider_id"] for o in offers]
    for item in items:
        s = _service_of(db, item["service_id"])
        for key in (
            "price_cents",
            "deposit_cents",
            "currency",
            "duration_minutes",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "cancel_notice_hours",
            "cancel_fee_cents",
        ):
            assert item[key] == s[key], key
    # the provider changes its prices afterwards: the quote keeps what was offered
    db.execute(
        "update app.services set price_cents = price_cents * 2, cancel_fee_cents = 0, "
        "cancel_notice_hours = 1 where id = %s",
        (items[0]["service_id"],),
    )
    kept = cur.execute(
        "select price_cents, cancel_notice_hours from app.quote_items "
        "where quote_id = %s and rank = 1",
        (quote_id,),
    ).fetchone()
    assert kept == {
        "price_cents": items[0]["price_cents"],
        "cancel_notice_hours": items[0]["cancel_notice_hours"],
    }


def test_a_customer_sees_only_its_own_quotes(
    db: psycopg.Connection[Any], demo: uuid.UUID, customer: uuid.UUID
) -> None:
    mine = quote(db, demo, keep=True)
    with acting_as(db, "customer", customer):
        assert db.execute("select count(*) from api.my_quote_offers").fetchone() == (0,)
    with acting_as(db, "customer", demo):
        rows = db.execute("select quote_id, rank from api.my_quote_offers order by rank").fetchall()
        assert rows == [(o["quote_id"], o["rank"]) for o in mine]
    with pytest.raises(psycopg.errors.InsufficientPrivilege), acting_as(db, "anon"):
        db.execute("select * from api.my_quote_offers")


def test_the_spatial_filter_can_use_the_gist_index(
    db: psycopg.Connection[Any], demo: uuid.UUID
) -> None:
    # At demo scale a sequential scan is cheapest; with it disabled the plan must
    # reach the providers through providers_location_idx, which proves the
    # filter is index-friendly. (At 100k providers the planner picks the index
    # unforced; see docs/catalog.md.)
    db.execute("analyze app.providers")
    with db.transaction(force_rollback=True):
        db.execute("set local enable_seqscan = off")
        db.execute("set local enable_bitmapscan = off")
        plan = "\n".join(
            r[0]
            for r in db.execute(
                "explain select * from internal.quote_candidates("
                "1, internal.make_point(%s, %s), %s, 1, now())",
                (*PLATEAU, next_weekday(2)),
            )
        )
    assert "providers_location_idx" in plan, plan


# --- Precise ranking, away from the demo data ---------------------------------------


def _at_km_east(km: float) -> tuple[float, float]:
    return QUEBEC[0], QUEBEC[1] + km / (111.32 * math.cos(math.radians(QUEBEC[0])))


def _quebec_provider(
    db: psycopg.Connection[Any], km: float, *, radius: float = 25, **service: Any
) -> uuid.UUID:
    lat, lng = _at_km_east(km)
    provider = create_provider(db, lat=lat, lng=lng, service_radius_km=radius)
    add_hours(db, provider, range(7), "08:00", "20:00")
    create_service(db, provider, category="massage", **service)
    return provider


def _quebec_quote(
    db: psycopg.Connection[Any], customer: uuid.UUID, **kw: Any
) -> list[dict[str, Any]]:
    return quote(db, customer, category="massage", lat=QUEBEC[0], lng=QUEBEC[1], **kw)


def test_the_score_follows_the_documented_formula(
    db: psycopg.Connection[Any], customer: uuid.UUID
) -> None:
    near = _quebec_provider(db, 1, price_cents=8000)
    far = _quebec_provider(db, 4, price_cents=10000)
    db.execute("update app.providers set rating_count = 20, rating_avg = 4.8 where id = %s", (far,))
    offers = {o["provider_id"]: o for o in _quebec_quote(db, customer)}
    for provider, n, avg, price in [(near, 0, 0.0, 8000), (far, 20, 4.8, 10000)]:
        o = offers[provider]
        bayes = (5 * 4.0 + n * avg) / (5 + n)
        # version 2 (active): reliability Q = 1 - 2% - 2% for a provider without history
        expected = (
            0.5 * (1 - o["distance_m"] / 10_000)
            + 0.2 * (bayes - 1) / 4
            + 0.2 * (8000 / price)
            + 0.1 * 0.96
        )
        assert o["score"] == pytest.approx(expected, abs=1e-4)
        assert o["ranking_version"] == 2
        terms = o["explanation"]["terms"]
        total = sum(float(t["contribution"]) for t in terms.values())
        assert total == pytest.approx(o["score"], abs=3e-4)  # the contributions add up to it


def test_version_1_is_the_formula_before_versions(
    db: psycopg.Connection[Any], customer: uuid.UUID
) -> None:
    near = _quebec_provider(db, 1, price_cents=8000)
    far = _quebec_provider(db, 4, price_cents=10000)
    db.execute("update app.providers set rating_count = 20, rating_avg = 4.8 where id = %s", (far,))
    db.execute("select internal.activate_ranking_version(1, 'back to the old formula')")
    offers = {o["provider_id"]: o for o in _quebec_quote(db, customer)}
    for provider, n, avg, price in [(near, 0, 0.0, 8000), (far, 20, 4.8, 10000)]:
        o = offers[provider]
        bayes = (5 * 4.0 + n * avg) / (5 + n)
        expected = (
            0.5 * (1 - o["distance_m"] / 10_000) + 0.3 * (bayes - 1) / 4 + 0.2 * (8000 / price)
        )
        assert o["score"] == pytest.approx(expected, abs=1e-4)
        assert o["ranking_version"] == 1


def test_equal_scores_go_to_the_nearer_provider(
    db: psycopg.Connection[Any], customer: uuid.UUID
) -> None:
    # identical providers at the same distance on either side tie; a nearer one wins
    west = _quebec_provider(db, -2)
    east = _quebec_provider(db, 2)
    nearest = _quebec_provider(db, 0.5)
    offers = _quebec_quote(db, customer)
    assert offers[0]["provider_id"] == nearest
    assert {offers[1]["provider_id"], offers[2]["provider_id"]} == {west, east}


def test_a_provider_whose_service_radius_does_not_reach_the_customer_is_left_out(
    db: psycopg.Connection[Any], customer: uuid.UUID
) -> None:
    short = _quebec_provider(db, 5, radius=3)
    long = _quebec_provider(db, 5, radius=8)
    ids = {o["provider_id"] for o in _quebec_quote(db, customer)}
    assert long in ids
    assert short not in ids


def test_a_provider_beyond_the_quote_radius_is_left_out(
    db: psycopg.Connection[Any], customer: uuid.UUID
) -> None:
    inside = _quebec_provider(db, 2.5)
    outside = _quebec_provider(db, 3.5)
    ids = {o["provider_id"] for o in _quebec_quote(db, customer, radius_km=3)}
    assert ids == {inside}
    assert outside not in ids


def test_minimum_notice_and_maximum_days_ahead_are_respected(
    db: psycopg.Connection[Any], customer: uuid.UUID
) -> None:
    starts_at = next_weekday(2)
    notice = int((starts_at - datetime.now().astimezone()).total_seconds() // 60) + 60
    too_late = _quebec_provider(db, 1, min_notice_minutes=notice)
    too_far = _quebec_provider(db, 1.5, max_days_ahead=1)
    fine = _quebec_provider(db, 2)
    ids = {o["provider_id"] for o in _quebec_quote(db, customer, starts_at=starts_at)}
    assert ids == {fine}
    assert not {too_late, too_far} & ids


def test_max_results_limits_the_offers(db: psycopg.Connection[Any], customer: uuid.UUID) -> None:
    for km in (1, 2, 3):
        _quebec_provider(db, km)
    assert len(_quebec_quote(db, customer, max_results=2)) == 2


def test_only_the_best_free_service_of_a_provider_is_offered(
    db: psycopg.Connection[Any], customer: uuid.UUID
) -> None:
    provider = _quebec_provider(db, 1, price_cents=9000)
    cheap = create_service(db, provider, category="massage", price_cents=6000, name="Short")
    offers = _quebec_quote(db, customer)
    assert [(o["provider_id"], o["service_id"]) for o in offers] == [(provider, cheap)]


# --- Refusals -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"category": "astrology"}, "category"),
        ({"category": None}, "category"),
        ({"lat": 90.01}, "lat"),
        ({"lat": -91}, "lat"),
        ({"lat": None}, "lat"),
        ({"lat": float("nan")}, "lat"),
        ({"lng": 180.5}, "lng"),
        ({"lng": -181}, "lng"),
        ({"lng": None}, "lng"),
        ({"lng": float("inf")}, "lng"),
        ({"starts_at": datetime(2020, 1, 1).astimezone()}, "starts_at"),
        ({"radius_km": 0}, "radius_km"),
        ({"radius_km": -3}, "radius_km"),
        ({"radius_km": 100.5}, "radius_km"),
        ({"radius_km": None}, "radius_km"),
        ({"max_results": 0}, "max_results"),
        ({"max_results": 51}, "max_results"),
        ({"max_results": None}, "max_results"),
    ],
)
def test_a_bad_quote_request_is_a_400_naming_the_field_and_writes_nothing(
    db: psycopg.Connection[Any], customer: uuid.UUID, args: dict[str, Any], field: str
) -> None:
    with pytest.raises(psycopg.Error) as err:
        quote(db, customer, keep=True, **args)
    assert err.value.sqlstate == "PT400"
    assert err.value.diag.message_hint == "invalid_input"
    assert field in (err.value.diag.message_primary or "")
    assert db.execute("select count(*) from app.quotes").fetchone() == (0,)


@pytest.mark.parametrize(
    ("role", "status", "code"),
    [
        # api.quote is granted to customers alone: the others cannot execute it (the
        # gateway answers PostgREST's 401/403 with not_authenticated/forbidden)
        ("anon", "42501", None),
        ("provider", "42501", None),
        ("ops", "42501", None),
        ("customer", "PT403", "forbidden"),  # a token whose subject is no customer account
    ],
)
def test_only_customers_may_ask_for_a_quote(
    db: psycopg.Connection[Any], role: str, status: str, code: str | None
) -> None:
    sub = None if role == "anon" else create_user(db, role) if role != "customer" else uuid.uuid4()
    with pytest.raises(psycopg.Error) as err:
        quote(db, sub, role=role)
    assert err.value.sqlstate == status
    assert err.value.diag.message_hint == code
    assert db.execute("select count(*) from app.quotes").fetchone() == (0,)
