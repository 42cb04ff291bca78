"""Catalog factories: owner-level inserts (the superuser connection) for tests whose
subject is not the provider self-service API itself. Defaults make a bookable
Montreal haircut service; every helper returns the new row's id."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from tests.helpers.factories import create_user

PLATEAU = (45.5225, -73.5810)
TORONTO = ZoneInfo("America/Toronto")


def create_provider(
    db: psycopg.Connection[Any],
    *,
    owner_id: uuid.UUID | None = None,
    lat: float = PLATEAU[0],
    lng: float = PLATEAU[1],
    time_zone: str = "America/Toronto",
    service_radius_km: float = 10,
    business_name: str | None = None,
    rating_count: int = 0,
    rating_avg: float | None = None,
    is_active: bool = True,
) -> uuid.UUID:
    owner_id = owner_id or create_user(db, "provider")
    row = db.execute(
        """
        insert into app.providers (
            owner_id, business_name, lat, lng, time_zone, service_radius_km,
            rating_count, rating_avg, is_active, contact_email, contact_phone
        )
        values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, '+15145550100')
        returning id
        """,
        (
            owner_id,
            business_name or f"Test business {uuid.uuid4().hex[:6]}",
            lat,
            lng,
            time_zone,
            service_radius_km,
            rating_count,
            rating_avg,
            is_active,
            f"contact-{uuid.uuid4().hex[:8]}@example.test",
        ),
    ).fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))


def create_service(
    db: psycopg.Connection[Any],
    provider_id: uuid.UUID,
    *,
    category: str = "haircut",
    name: str = "Cut",
    duration_minutes: int = 60,
    price_cents: int = 5000,
    deposit_cents: int = 1000,
    buffer_before_minutes: int = 0,
    buffer_after_minutes: int = 0,
    min_notice_minutes: int = 0,
    max_days_ahead: int = 730,
    cancel_notice_hours: int = 24,
    cancel_fee_cents: int = 0,
    is_active: bool = True,
) -> uuid.UUID:
    row = db.execute(
        """
        insert into app.services (
            provider_id, category_id, name, duration_minutes, price_cents, deposit_cents,
            buffer_before_minutes, buffer_after_minutes, min_notice_minutes, max_days_ahead,
            cancel_notice_hours, cancel_fee_cents, is_active
        )
        select %s, c.id, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s
        from app.service_categories as c where c.slug = %s
        returning id
        """,
        (
            provider_id,
            name,
            duration_minutes,
            price_cents,
            deposit_cents,
            buffer_before_minutes,
            buffer_after_minutes,
            min_notice_minutes,
            max_days_ahead,
            cancel_notice_hours,
            cancel_fee_cents,
            is_active,
            category,
        ),
    ).fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))


def add_hours(
    db: psycopg.Connection[Any],
    provider_id: uuid.UUID,
    days: range | list[int],
    start: str,
    end: str,
) -> None:
    for day in days:
        db.execute(
            "insert into app.weekly_hours (provider_id, day_of_week, start_time, end_time) "
            "values (%s, %s, %s, %s)",
            (provider_id, day, start, end),
        )


def add_time_off(
    db: psycopg.Connection[Any], provider_id: uuid.UUID, start: datetime, end: datetime
) -> uuid.UUID:
    row = db.execute(
        "insert into app.time_off (provider_id, during, reason) "
        "values (%s, tstzrange(%s, %s), 'test') returning id",
        (provider_id, start, end),
    ).fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))


def add_booking(
    db: psycopg.Connection[Any],
    service_id: uuid.UUID,
    start: datetime,
    *,
    status: str = "confirmed",
    hold_expires_at: datetime | None = None,
    customer_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """A booking as the booking flow would write it: blocked = during plus the service's buffers."""
    customer_id = customer_id or create_user(db, "customer")
    row = db.execute(
        """
        insert into app.bookings (
            customer_id, provider_id, service_id, during, blocked, status, hold_expires_at,
            price_cents, deposit_cents, currency, cancel_notice_hours, cancel_fee_cents
        )
        select
            %(customer)s, s.provider_id, s.id,
            tstzrange(%(start)s, %(start)s + make_interval(mins => s.duration_minutes)),
            tstzrange(
                %(start)s - make_interval(mins => s.buffer_before_minutes),
                %(start)s + make_interval(mins => s.duration_minutes + s.buffer_after_minutes)
            ),
            %(status)s, %(hold)s, s.price_cents, s.deposit_cents, s.currency,
            s.cancel_notice_hours, s.cancel_fee_cents
        from app.services as s where s.id = %(service)s
        returning id
        """,
        {
            "customer": customer_id,
            "start": start,
            "status": status,
            "hold": hold_expires_at,
            "service": service_id,
        },
    ).fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))


def next_weekday(weekday: int, *, at: str = "14:00", min_days: int = 3) -> datetime:
    """The next ``weekday`` (Monday = 0) at least ``min_days`` from today, at local ``at``
    in Montreal: an input for quotes, never an assertion on time."""
    day = date.today() + timedelta(days=min_days)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    h, m = (int(x) for x in at.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=TORONTO)


def slots(
    db: psycopg.Connection[Any],
    service_id: uuid.UUID,
    start: datetime | str,
    end: datetime | str,
    *,
    step: int = 60,
    now: datetime | str = "2026-01-01T00:00:00Z",
) -> list[datetime]:
    """Start times from internal.service_slots as seen at ``now`` (a fixed instant)."""
    rows = db.execute(
        "select starts_at from internal.service_slots(%s, %s, %s, %s, %s)",
        (service_id, start, end, step, now),
    ).fetchall()
    return [r[0] for r in rows]
