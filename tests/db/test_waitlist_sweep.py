"""The sweep (internal.sweep, run by the worker) expires waitlist entries whose window ended
unmatched, and deletes finished entries 30 days after their window ended; live entries and
other customers' rows are left as they are."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from tests.helpers import booking as bk
from tests.helpers.db import call_as
from tests.helpers.factories import create_user


def _join(db: psycopg.Connection[Any], customer: uuid.UUID, shop: bk.Shop) -> uuid.UUID:
    start = datetime.now(UTC) + timedelta(days=2)
    entry = call_as(
        db,
        "customer",
        customer,
        "select internal.join_waitlist(%s, null, null, null, null, null, %s, %s)",
        shop.service_id,
        start,
        start + timedelta(hours=4),
    )
    return uuid.UUID(entry["id"])


def _end_window(db: psycopg.Connection[Any], entry: uuid.UUID, ago: str) -> None:
    db.execute(
        "update app.waitlist_entries set wanted = tstzrange(now() - %s::interval - interval '1 hour',"
        " now() - %s::interval) where id = %s",
        (ago, ago, entry),
    )


def _status(db: psycopg.Connection[Any], entry: uuid.UUID) -> str | None:
    row = db.execute("select status from app.waitlist_entries where id = %s", (entry,)).fetchone()
    return None if row is None else str(row[0])


def test_the_sweep_marks_an_entry_whose_window_ended_expired_and_leaves_live_ones(
    db: psycopg.Connection[Any],
) -> None:
    shop = bk.open_shop(db)
    alice, bob = create_user(db), create_user(db)
    ended, live, others = _join(db, alice, shop), _join(db, alice, shop), _join(db, bob, shop)
    _end_window(db, ended, "1 minute")

    swept = db.execute("select internal.sweep()").fetchone()
    assert swept is not None
    assert (swept[0]["waitlist_expired"], swept[0]["waitlist_purged"]) == (1, 0)
    assert (_status(db, ended), _status(db, live), _status(db, others)) == (
        "expired",
        "active",
        "active",
    )
    # the customer reads it as before, and it no longer counts towards the limit
    mine = call_as(db, "customer", alice, "select jsonb_agg(e) from internal.my_waitlist(100) as e")
    assert sorted(e["status"] for e in mine) == ["active", "expired"]
    # a second sweep finds nothing more to do
    again = db.execute("select internal.sweep()").fetchone()
    assert again is not None and again[0]["waitlist_expired"] == 0


def test_the_sweep_deletes_finished_entries_thirty_days_after_their_window(
    db: psycopg.Connection[Any],
) -> None:
    shop = bk.open_shop(db)
    alice = create_user(db)
    old_active, old_left, recent_left = (_join(db, alice, shop) for _ in range(3))
    for entry in (old_left, recent_left):
        call_as(db, "customer", alice, "select internal.leave_waitlist(%s)", entry)
    _end_window(db, old_active, "31 days")
    _end_window(db, old_left, "31 days")
    _end_window(db, recent_left, "29 days")

    swept = db.execute("select internal.sweep()").fetchone()
    assert swept is not None
    # the old active entry is expired, then purged with the old cancelled one
    assert (swept[0]["waitlist_expired"], swept[0]["waitlist_purged"]) == (1, 2)
    assert (_status(db, old_active), _status(db, old_left), _status(db, recent_left)) == (
        None,
        None,
        "cancelled",
    )


def test_the_sweep_takes_bounded_batches(db: psycopg.Connection[Any]) -> None:
    shop = bk.open_shop(db)
    alice = create_user(db)
    entries = [_join(db, alice, shop) for _ in range(3)]
    for entry in entries:
        _end_window(db, entry, "1 minute")
    assert db.execute("select internal.sweep_waitlist(2)").fetchone() == (
        {"expired": 2, "purged": 0},
    )
    assert db.execute("select internal.sweep_waitlist(2)").fetchone() == (
        {"expired": 1, "purged": 0},
    )
