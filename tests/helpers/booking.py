"""Booking scenarios: a bookable provider, quotes and confirmations through the real functions."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from tests.helpers import catalog
from tests.helpers.db import as_user
from tests.helpers.factories import create_user


@dataclass
class Shop:
    provider_id: uuid.UUID
    owner_id: uuid.UUID
    service_id: uuid.UUID
    lat: float
    lng: float


def open_shop(
    db: psycopg.Connection[Any],
    *,
    lat: float = catalog.PLATEAU[0],
    lng: float = catalog.PLATEAU[1],
    **service: Any,
) -> Shop:
    """A provider open every day 09:00-17:00 (Toronto) with one haircut service."""
    owner = create_user(db, "provider")
    provider = catalog.create_provider(db, owner_id=owner, lat=lat, lng=lng)
    catalog.add_hours(db, provider, range(7), "09:00", "17:00")
    svc = catalog.create_service(db, provider, **service)
    return Shop(provider, owner, svc, lat, lng)


def quote(
    db: psycopg.Connection[Any],
    customer: uuid.UUID,
    shop: Shop,
    starts_at: datetime,
    radius_km: float = 1,
) -> uuid.UUID:
    with as_user(db, "customer", customer):
        rows = db.execute(
            "select quote_id, provider_id from internal.quote('haircut', %s, %s, %s, %s, 50)",
            (shop.lat, shop.lng, starts_at, radius_km),
        ).fetchall()
    offered = {r[1]: r[0] for r in rows}
    assert shop.provider_id in offered, f"the shop was not offered at {starts_at}"
    return uuid.UUID(str(offered[shop.provider_id]))


def confirm(
    db: psycopg.Connection[Any],
    customer: uuid.UUID,
    quote_id: uuid.UUID,
    provider_id: uuid.UUID,
    idempotency_key: str | None = None,
    client_addr: str | None = None,
) -> dict[str, Any]:
    """Confirm as the customer; ``client_addr`` is the X-Real-IP nginx would pass on."""
    headers = {
        **({"idempotency-key": idempotency_key} if idempotency_key else {}),
        **({"x-real-ip": client_addr} if client_addr else {}),
    }
    with as_user(db, "customer", customer):
        if headers:
            db.execute("select set_config('request.headers', %s, true)", (json.dumps(headers),))
        row = db.execute(
            "select internal.confirm_booking(%s, %s)", (quote_id, provider_id)
        ).fetchone()
    assert row is not None
    return dict(row[0])


def book(
    db: psycopg.Connection[Any], shop: Shop, starts_at: datetime, customer: uuid.UUID | None = None
) -> dict[str, Any]:
    customer = customer or create_user(db, "customer")
    return confirm(db, customer, quote(db, customer, shop, starts_at), shop.provider_id)


def stripe_event(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"evt_{uuid.uuid4().hex}", "type": kind, "data": {"object": obj}}


def apply_event(db: psycopg.Connection[Any], kind: str, obj: dict[str, Any]) -> str:
    row = db.execute(
        "select internal.process_stripe_event(%s::jsonb)", (json.dumps(stripe_event(kind, obj)),)
    ).fetchone()
    assert row is not None
    return str(row[0])


def pay(db: psycopg.Connection[Any], booking: dict[str, Any], intent_id: str | None = None) -> str:
    """The worker records an intent, then Stripe reports it paid."""
    intent_id = intent_id or f"pi_{uuid.uuid4().hex[:24]}"
    db.execute(
        "select internal.record_payment_intent(%s, %s, %s)",
        (booking["payment"]["id"], intent_id, intent_id + "_secret_x"),
    )
    return apply_event(
        db,
        "payment_intent.succeeded",
        {
            "id": intent_id,
            "object": "payment_intent",
            "amount": booking["payment"]["amount_cents"],
            "amount_received": booking["payment"]["amount_cents"],
            "currency": str(booking["payment"]["currency"]).lower(),
            "metadata": {"booking_id": booking["id"]},
        },
    )


def status(db: psycopg.Connection[Any], booking_id: Any) -> str:
    row = db.execute("select status from app.bookings where id = %s", (booking_id,)).fetchone()
    assert row is not None
    return str(row[0])


def starts_in(db: psycopg.Connection[Any], booking_id: Any, offset: str) -> None:
    """Owner-level: move a booking (during and blocked together) to start at now() + offset."""
    db.execute(
        """
        update app.bookings as b
        set during = tstzrange(lower(b.during) + s.d, upper(b.during) + s.d, '[)'),
            blocked = tstzrange(lower(b.blocked) + s.d, upper(b.blocked) + s.d, '[)')
        from (select now() + %s::interval - lower(during) as d from app.bookings where id = %s) as s
        where b.id = %s
        """,
        (offset, booking_id, booking_id),
    )


def payment_messages(db: psycopg.Connection[Any], kind: str) -> list[dict[str, Any]]:
    """The messages of type ``kind`` waiting in the payments queue, oldest first."""
    rows = db.execute(
        "select message from pgmq.q_payments where message->>'type' = %s order by msg_id", (kind,)
    )
    return [r[0] for r in rows]


def last_event(db: psycopg.Connection[Any]) -> int:
    """The id of the newest row in app.events (0 if none)."""
    row = db.execute("select coalesce(max(id), 0) from app.events").fetchone()
    assert row is not None
    return int(row[0])
