"""Two of every party in one API database, for the authorization sweep and the limits.

Customer A books at provider P1, customer B at provider P2; B also holds an open
quote, a pending payment (with a client secret), notifications and a review of a
completed booking that ops hid; P2 has time off.
Tokens are minted for these real users (no session id, so ``logout`` in the sweep
ends nothing the other tests use)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from tests.helpers import booking, catalog, stack
from tests.helpers.auth import mint
from tests.helpers.db import call_as
from tests.helpers.factories import create_user


@dataclass
class Party:
    role: str
    user_id: uuid.UUID
    email: str
    token: str
    provider_id: uuid.UUID | None = None
    service_id: uuid.UUID | None = None
    # ids and values only this party (and ops) may learn
    private: dict[str, str] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    api: stack.PostgREST
    db: psycopg.Connection[Any]
    a: Party
    b: Party
    p1: Party
    p2: Party
    ops: Party

    @property
    def url(self) -> str:
        return self.api.url


def _email(db: psycopg.Connection[Any], user_id: uuid.UUID) -> str:
    row = db.execute("select email from app.users where id = %s", (user_id,)).fetchone()
    assert row is not None
    return str(row[0])


def _provider(db: psycopg.Connection[Any], lat: float) -> Party:
    shop = booking.open_shop(db, lat=lat)
    return Party(
        "provider",
        shop.owner_id,
        _email(db, shop.owner_id),
        mint("provider", shop.owner_id),
        shop.provider_id,
        shop.service_id,
    )


def _customer(db: psycopg.Connection[Any]) -> Party:
    user = create_user(db, "customer")
    return Party("customer", user, _email(db, user), mint("customer", user))


@pytest.fixture(scope="module")
def world(template_db: str) -> Iterator[World]:
    with (
        stack.api_over_scratch("bookiji_sec", template_db) as server,
        psycopg.connect(server.db_url, autocommit=True) as db,
    ):
        yield _populate(server, db)


def _populate(server: stack.PostgREST, db: psycopg.Connection[Any]) -> World:
    # far apart, so a quote near one never offers the other
    p1 = _provider(db, catalog.PLATEAU[0])
    p2 = _provider(db, catalog.PLATEAU[0] + 0.5)
    a, b = _customer(db), _customer(db)
    ops_id = create_user(db, "ops")
    ops = Party("ops", ops_id, _email(db, ops_id), mint("ops", ops_id))
    when = catalog.next_weekday(2, at="10:00")
    shop1 = booking.Shop(
        p1.provider_id, p1.user_id, p1.service_id, catalog.PLATEAU[0], catalog.PLATEAU[1]
    )  # type: ignore[arg-type]
    shop2 = booking.Shop(
        p2.provider_id, p2.user_id, p2.service_id, catalog.PLATEAU[0] + 0.5, catalog.PLATEAU[1]
    )  # type: ignore[arg-type]
    a_booking = booking.book(db, shop1, when, a.user_id)
    b_booking = booking.book(db, shop2, when, b.user_id)
    b_paid = booking.book(db, shop2, when + timedelta(hours=2), b.user_id)
    intent = f"pi_{uuid.uuid4().hex[:24]}"
    booking.pay(db, b_paid, intent)
    b_quote = booking.quote(db, b.user_id, shop2, when + timedelta(hours=4))
    time_off = catalog.add_time_off(
        db, p2.provider_id, when + timedelta(days=1), when + timedelta(days=2)
    )  # type: ignore[arg-type]
    # B reviewed a completed booking at P2, and ops hid the review: nobody else may see it
    b_done = catalog.add_booking(
        db, p2.service_id, datetime.now(UTC) - timedelta(days=3), customer_id=b.user_id
    )  # type: ignore[arg-type]
    db.execute("select internal.transition_booking(%s, 'completed', 'provider')", (b_done,))
    b_review = call_as(
        db, "customer", b.user_id, "select internal.review_booking(%s, 2, 'private words')", b_done
    )
    hidden_reason = f"hidden-{uuid.uuid4().hex}"
    call_as(db, "ops", ops_id, "select internal.hide_review(%s, %s)", b_review["id"], hidden_reason)
    a.private.update(booking=str(a_booking["id"]), payment=str(a_booking["payment"]["id"]))
    b.private.update(
        booking=str(b_booking["id"]),
        paid_booking=str(b_paid["id"]),
        payment=str(b_booking["payment"]["id"]),
        paid_payment=str(b_paid["payment"]["id"]),
        quote=str(b_quote),
        intent=intent,
        client_secret=intent + "_secret_x",
        user=str(b.user_id),
        email=b.email,
        reviewed_booking=str(b_done),
        review=str(b_review["id"]),
        review_hidden_reason=hidden_reason,
    )
    for party in (a, b, p1, p2):
        rows = db.execute(
            "select id from app.notifications where recipient_id = %s", (party.user_id,)
        ).fetchall()
        for i, (nid,) in enumerate(rows):
            party.private[f"notification{i}"] = str(nid)
    p2.private.update(
        user=str(p2.user_id),
        email=p2.email,
        time_off=str(time_off),
        booking=str(b_booking["id"]),
        paid_booking=str(b_paid["id"]),
    )
    row = db.execute(
        "select contact_email from app.providers where id = %s", (p2.provider_id,)
    ).fetchone()
    assert row is not None
    p2.private["contact_email"] = str(row[0])
    return World(server, db, a, b, p1, p2, ops)
