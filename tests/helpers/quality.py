"""Ended bookings with planted outcomes, written as they ended (owner-level setup), for the
quality model's tests (tests/db/test_quality_train.py, tests/worker/test_training_schedule.py)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from tests.helpers import booking as bk
from tests.helpers.factories import create_user


def ended_booking(
    db: psycopg.Connection[Any],
    shop: bk.Shop,
    customer: uuid.UUID,
    start: datetime,
    created: datetime,
    outcome: str,
) -> None:
    """A booking written as it ended (owner-level setup): completed, no_show, or cancelled
    by the provider or the customer."""
    status = "cancelled" if outcome.startswith("cancelled") else outcome
    by = outcome.split(":")[1] if ":" in outcome else None
    db.execute(
        """
        insert into app.bookings (
            customer_id, provider_id, service_id, during, blocked, status, price_cents,
            deposit_cents, currency, cancel_notice_hours, cancel_fee_cents, cancelled_at,
            cancelled_by_role, created_at
        )
        select %s, s.provider_id, s.id, tstzrange(%s, %s + interval '1 hour'),
            tstzrange(%s, %s + interval '1 hour'), %s, s.price_cents, 0, s.currency,
            s.cancel_notice_hours, 0, case when %s = 'cancelled' then %s end, %s, %s
        from app.services as s where s.id = %s
        """,
        (
            customer,
            start,
            start,
            start,
            start,
            status,
            status,
            created,
            by,
            created,
            shop.service_id,
        ),
    )


def seed(db: psycopg.Connection[Any], shops: int, per_shop: int, seed_value: int) -> list[bk.Shop]:
    """``shops`` providers, the i-th going wrong with probability 0.02 + 0.5 i / shops (half
    provider cancellations, half no-shows), 10% of bookings cancelled by the customer, made
    over the last 150 days for 2 to 300 hours ahead."""
    rng = random.Random(seed_value)
    made = [bk.open_shop(db) for _ in range(shops)]
    customer = create_user(db, "customer")
    now = datetime.now(UTC)
    rows = []
    for i, shop in enumerate(made):
        bad = 0.02 + 0.5 * i / shops  # the planted chance of going wrong, per provider
        for _ in range(per_shop):
            created = now - timedelta(days=rng.uniform(1, 150))
            start = created + timedelta(hours=rng.uniform(2, 300))
            r = rng.random()
            if r < bad / 2:
                outcome = "cancelled:provider"
            elif r < bad:
                outcome = "no_show"
            elif r < bad + 0.1:
                outcome = "cancelled:customer"
            else:
                outcome = "completed"
            rows.append((created, shop, start, outcome))
    rows.sort(key=lambda r: r[0])
    for created, shop, start, outcome in rows:
        ended_booking(db, shop, customer, start, created, outcome)
    return made
