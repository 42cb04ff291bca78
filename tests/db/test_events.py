"""The event log (app.events, read through api.events): what is written in the transaction
of each change, NOTIFY with the id only, who may read which event (row-level security under
each persona's claims), append-only, and the purge."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.db import acting_as, as_user
from tests.helpers.factories import create_user


@pytest.fixture
def shop(db: psycopg.Connection[Any]) -> bk.Shop:
    return bk.open_shop(db, buffer_after_minutes=15)


@pytest.fixture
def start() -> Any:
    return catalog.next_weekday(2, at="10:00")


def _events(db: psycopg.Connection[Any], after: int) -> list[tuple[Any, ...]]:
    """(kind, booking_id, provider_id, customer_id, recipient_id, during, payload) after an id."""
    return db.execute(
        "select kind, booking_id, provider_id, customer_id, recipient_id, during, payload "
        "from app.events where id > %s order by id",
        (after,),
    ).fetchall()


def _visible(db: psycopg.Connection[Any], role: str, sub: Any) -> list[tuple[Any, ...]]:
    """The events a persona reads through the API, under its own role and claims."""
    with acting_as(db, role, sub):
        return db.execute(
            "select id, kind, booking_id, provider_id, customer_id, recipient_id from api.events order by id"
        ).fetchall()


def _blocked(db: psycopg.Connection[Any], booking_id: Any) -> Any:
    row = db.execute("select blocked from app.bookings where id = %s", (booking_id,)).fetchone()
    assert row is not None
    return row[0]


# --- what is written -------------------------------------------------------------------------


def test_a_hold_writes_booking_created_and_the_time_it_takes(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    mark = bk.last_event(db)
    b = bk.book(db, shop, start)
    events = _events(db, mark)
    assert [e[0] for e in events] == ["booking_created", "availability_changed"]
    created, taken = events
    assert created[1:5] == (uuid.UUID(b["id"]), shop.provider_id, uuid.UUID(b["customer_id"]), None)
    assert created[6]["status"] == "pending_payment"
    assert taken[1:6] == (None, shop.provider_id, None, None, _blocked(db, b["id"]))
    assert taken[6] == {}, "an availability event carries the provider and the range, nothing else"


def test_a_move_writes_booking_rescheduled_with_the_time_freed_and_taken(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    b = bk.book(db, shop, start)
    bk.pay(db, b)
    before = _blocked(db, b["id"])
    mark = bk.last_event(db)
    with as_user(db, "customer", b["customer_id"]):
        db.execute(
            "select internal.reschedule_booking(%s, %s)", (b["id"], start + timedelta(hours=3))
        )
    events = _events(db, mark)
    kinds = [e[0] for e in events]
    assert kinds.count("booking_rescheduled") == 1
    moved = events[kinds.index("booking_rescheduled")]
    assert moved[6]["previous_starts_at"] != moved[6]["starts_at"]
    assert {e[5] for e in events if e[0] == "availability_changed"} == {
        before,
        _blocked(db, b["id"]),
    }


def test_a_refund_that_succeeds_writes_booking_refunded_once(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    b = bk.book(db, shop, start)
    bk.pay(db, b)
    with as_user(db, "provider", shop.owner_id):
        db.execute("select internal.cancel_booking(%s, 'closed')", (b["id"],))
    row = db.execute("select id from app.refunds where booking_id = %s", (b["id"],)).fetchone()
    assert row is not None
    mark = bk.last_event(db)
    for _ in range(2):  # a repeated report changes nothing
        db.execute("select internal.record_refund(%s, 're_1', 'succeeded')", (row[0],))
    refunded = [e for e in _events(db, mark) if e[0] == "booking_refunded"]
    assert len(refunded) == 1
    assert refunded[0][6]["refund_id"] == str(row[0]) and refunded[0][6]["refund_cents"] == 1000


def test_time_off_added_moved_and_removed_changes_availability(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    first = (start, start + timedelta(hours=2))
    second = (start + timedelta(days=1), start + timedelta(days=1, hours=2))
    mark = bk.last_event(db)
    with as_user(db, "provider", shop.owner_id):
        db.execute(
            "insert into api.my_time_off (provider_id, during) values (%s, tstzrange(%s, %s))",
            (shop.provider_id, *first),
        )
        db.execute("update api.my_time_off set during = tstzrange(%s, %s)", second)
        db.execute("update api.my_time_off set reason = 'dentist'")  # the time is the same
        db.execute("delete from api.my_time_off")
    events = _events(db, mark)
    assert {e[0] for e in events} == {"availability_changed"}
    assert [(e[5].lower, e[5].upper) for e in events] == [first, first, second, second]
    assert {e[2] for e in events} == {shop.provider_id}


def test_each_notification_row_writes_one_event_for_its_recipient(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    b = bk.book(db, shop, start)
    mark = bk.last_event(db)
    bk.pay(db, b)
    rows = db.execute("select id, recipient_id, event, channel from app.notifications").fetchall()
    events = [e for e in _events(db, mark) if e[0] == "notification_created"]
    assert sorted((e[4], e[6]["notification_id"]) for e in events) == sorted(
        (r[1], str(r[0])) for r in rows
    )
    assert all(e[1:4] == (None, None, None) for e in events), "the recipient only"
    assert all(set(e[6]) == {"notification_id", "event", "channel"} for e in events)


def test_a_rolled_back_change_writes_no_event(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    b = bk.book(db, shop, start)
    mark = bk.last_event(db)
    with pytest.raises(psycopg.Error), as_user(db, "customer", b["customer_id"]):
        db.execute("select internal.cancel_booking(%s, 'changed my mind')", (b["id"],))
        db.execute("select 1 / 0")
    assert bk.last_event(db) == mark


# --- ids, and no NOTIFY ------------------------------------------------------------------------


def test_event_ids_grow_and_appending_them_notifies_nobody(
    db: psycopg.Connection[Any], db_url: str, shop: bk.Shop, start: Any
) -> None:
    """Readers poll the log (auth.event_ids_after): a NOTIFY would make the transaction
    take PostgreSQL's notify lock at commit, and confirms commit one at a time."""
    mark = bk.last_event(db)
    with psycopg.connect(db_url, autocommit=True) as listener:
        listener.execute("listen bookiji_events")
        listener.execute("listen bookiji_cache")
        customer = create_user(db, "customer")
        q = bk.quote(db, customer, shop, start)
        with db.transaction():
            db.execute(
                "select set_config('request.jwt.claims', %s, true)",
                (json.dumps({"role": "customer", "sub": str(customer)}),),
            )
            db.execute("set local role customer")
            row = db.execute(
                "select internal.confirm_booking(%s, %s)", (q, shop.provider_id)
            ).fetchone()
        assert row is not None
        db.execute(
            "select internal.append_event('booking_status_changed', %s, %s, %s, null, null, '{}')",
            (row[0]["id"], shop.provider_id, customer),
        )
        ids = [
            r[0] for r in db.execute("select id from app.events where id > %s order by id", (mark,))
        ]
        assert len(ids) == 3 and ids[0] < ids[1] < ids[2]
        # a notification of these commits would be queued by now: nothing is
        db.execute("select pg_notify('bookiji_events', 'marker')")
        notes = list(listener.notifies(timeout=5, stop_after=1))
    assert [(n.channel, n.payload) for n in notes] == [("bookiji_events", "marker")]
    with db.transaction():
        db.execute("set local role authenticator")
        polled = db.execute(
            "select id, kind from auth.event_ids_after(%s, '{}', 10)", (mark,)
        ).fetchall()
    assert [r[0] for r in polled] == ids
    assert [r[1] for r in polled] == [
        "booking_created",
        "availability_changed",
        "booking_status_changed",
    ]


def test_the_log_is_append_only_for_everyone(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    b = bk.book(db, shop, start)
    with pytest.raises(psycopg.Error, match="append-only"):
        db.execute("update app.events set payload = '{}'")
    for role, sub in (
        ("anon", None),
        ("customer", b["customer_id"]),
        ("provider", shop.owner_id),
        ("ops", create_user(db, "ops")),
    ):
        for stmt in (
            "insert into api.events (kind, provider_id) values ('availability_changed', gen_random_uuid())",
            "update api.events set payload = '{}'",
            "delete from api.events",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege), acting_as(db, role, sub):
                db.execute(stmt)
    with pytest.raises(psycopg.errors.InsufficientPrivilege), db.transaction(force_rollback=True):
        db.execute("set local role bookiji_worker")
        db.execute("delete from app.events")


# --- who reads what --------------------------------------------------------------------------------


@pytest.fixture
def two_customers(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> tuple[dict[str, Any], dict[str, Any], bk.Shop]:
    """A's paid booking at the shop, B's paid booking at another provider, and their notifications."""
    a = bk.book(db, shop, start)
    bk.pay(db, a)
    other = bk.open_shop(db)
    b = bk.book(db, other, start + timedelta(hours=2))
    bk.pay(db, b)
    return a, b, other


def test_a_customer_reads_its_own_bookings_and_notifications_and_public_availability(
    db: psycopg.Connection[Any], two_customers: tuple[dict[str, Any], dict[str, Any], bk.Shop]
) -> None:
    a, b, _ = two_customers
    me = uuid.UUID(a["customer_id"])
    seen = _visible(db, "customer", me)
    assert {r[1] for r in seen} >= {
        "booking_created",
        "booking_status_changed",
        "notification_created",
    }
    for _, kind, booking, _provider, customer, recipient in seen:
        if kind == "availability_changed":
            assert (booking, customer, recipient) == (None, None, None)
        elif kind == "notification_created":
            assert recipient == me
        else:
            assert (booking, customer) == (uuid.UUID(a["id"]), me)
    assert uuid.UUID(b["id"]) not in {r[2] for r in seen}, "never another customer's booking"
    assert uuid.UUID(b["customer_id"]) not in {r[5] for r in seen}, "nor its notifications"


def test_a_provider_reads_its_own_providers_bookings_and_its_own_notifications(
    db: psycopg.Connection[Any],
    shop: bk.Shop,
    two_customers: tuple[dict[str, Any], dict[str, Any], bk.Shop],
) -> None:
    a, b, other = two_customers
    seen = _visible(db, "provider", shop.owner_id)
    booking_events = [r for r in seen if r[1].startswith("booking_")]
    assert booking_events and {r[2] for r in booking_events} == {uuid.UUID(a["id"])}
    assert {r[5] for r in seen if r[1] == "notification_created"} == {shop.owner_id}
    assert {r[3] for r in seen if r[1] == "availability_changed"} == {
        shop.provider_id,
        other.provider_id,
    }
    assert uuid.UUID(b["id"]) not in {r[2] for r in seen}


def test_anonymous_callers_read_availability_only_and_no_customer_data(
    db: psycopg.Connection[Any],
    shop: bk.Shop,
    two_customers: tuple[dict[str, Any], dict[str, Any], bk.Shop],
) -> None:
    seen = _visible(db, "anon", None)
    assert seen and {r[1] for r in seen} == {"availability_changed"}
    assert {(r[2], r[4], r[5]) for r in seen} == {(None, None, None)}
    with acting_as(db, "anon", None):
        payloads = db.execute("select payload from api.events").fetchall()
    assert {json.dumps(p[0]) for p in payloads} == {"{}"}


def test_an_availability_event_with_customer_data_cannot_be_written(
    db: psycopg.Connection[Any], shop: bk.Shop
) -> None:
    customer = create_user(db, "customer")
    for column, value in (
        ("customer_id", customer),
        ("booking_id", uuid.uuid4()),
        ("recipient_id", customer),
        ("payload", json.dumps({"customer_id": str(customer)})),
    ):
        with pytest.raises(psycopg.errors.CheckViolation) as err:
            db.execute(
                psycopg.sql.SQL(
                    "insert into app.events (kind, provider_id, during, {}) "
                    "values ('availability_changed', %s, tstzrange(now(), now() + interval '1 hour'), %s)"
                ).format(psycopg.sql.Identifier(column)),
                (shop.provider_id, value),
            )
        assert err.value.diag.constraint_name == "events_audience_check"


def test_ops_read_every_booking_event_but_only_their_own_notifications(
    db: psycopg.Connection[Any],
    shop: bk.Shop,
    two_customers: tuple[dict[str, Any], dict[str, Any], bk.Shop],
) -> None:
    a, b, _ = two_customers
    ops = create_user(db, "ops")
    seen = _visible(db, "ops", ops)
    assert {uuid.UUID(a["id"]), uuid.UUID(b["id"])} <= {r[2] for r in seen}
    assert not [r for r in seen if r[1] == "notification_created"]


def test_delivery_is_checked_event_by_event_under_the_subscribers_claims(
    db: psycopg.Connection[Any],
    shop: bk.Shop,
    two_customers: tuple[dict[str, Any], dict[str, Any], bk.Shop],
) -> None:
    """What the real-time service will do: for a NOTIFYed id, may this subscriber read it?"""
    a, b, _ = two_customers
    row = db.execute(
        "select id from app.events where kind = 'booking_status_changed' and booking_id = %s",
        (b["id"],),
    ).fetchone()
    assert row is not None

    def delivered(role: str, sub: Any) -> bool:
        with acting_as(db, role, sub):
            return db.execute(
                "select exists (select from api.events where id = %s)", row
            ).fetchone() == (True,)

    assert delivered("customer", b["customer_id"])
    assert not delivered("customer", a["customer_id"])
    assert not delivered("provider", shop.owner_id)
    assert not delivered("anon", None)


# --- the purge -------------------------------------------------------------------------------------


def test_the_purge_removes_only_events_older_than_the_retention(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    def plant(age: str) -> int:
        row = db.execute(
            "insert into app.events (created_at, kind, provider_id, during) "
            "values (now() - %s::interval, 'availability_changed', %s, tstzrange(now(), now() + interval '1 hour')) "
            "returning id",
            (age, shop.provider_id),
        ).fetchone()
        assert row is not None
        return int(row[0])

    old, recent = plant("25 hours"), plant("23 hours")
    assert db.execute("select internal.sweep()").fetchone()[0]["events_purged"] == 1  # type: ignore[index]
    remaining = {r[0] for r in db.execute("select id from app.events")}
    assert old not in remaining and recent in remaining
    db.execute(
        "insert into internal.settings (key, value) values ('event_retention_hours', '1') "
        "on conflict (key) do update set value = excluded.value"
    )
    fresh = plant("0 seconds")
    assert db.execute("select internal.purge_events()").fetchone() == (1,)
    # the shop's own events (its hours, written just now) are fresh too and stay
    remaining = {r[0] for r in db.execute("select id from app.events")}
    assert fresh in remaining and recent not in remaining and old not in remaining
    assert db.execute(
        "select count(*) from app.events where created_at < now() - interval '1 hour'"
    ).fetchone() == (0,)
