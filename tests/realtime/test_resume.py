"""Resume with `after`: exactly the missed events, in order, once; an event whose
transaction commits late still goes out in id order; a purged window is refused."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from typing import Any

import psycopg

from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.auth import mint
from tests.helpers.factories import create_user
from tests.helpers.realtime import Client


def append(
    db: psycopg.Connection[Any], kind: str, b: dict[str, Any], shop: bk.Shop, cust: Any
) -> int:
    """One booking event through the log's own write path (internal.append_event)."""
    row = db.execute(
        "select internal.append_event(%s, %s, %s, %s, null, null, %s)",
        (kind, b["id"], shop.provider_id, cust, json.dumps({"n": str(uuid.uuid4())})),
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_client_that_comes_back_gets_exactly_the_50_it_missed(
    rt_url: str, admin: psycopg.Connection[Any]
) -> None:
    shop = bk.open_shop(admin, lat=44.1, lng=-76.1)
    me, other = create_user(admin, "customer"), create_user(admin, "customer")
    mine = bk.book(admin, shop, catalog.next_weekday(1, at="10:00"), me)
    theirs = bk.book(admin, shop, catalog.next_weekday(1, at="12:00"), other)
    token = mint("customer", me)

    async def run() -> None:
        c = await Client.open(rt_url, token)
        await c.subscribe("bookings")
        first = append(admin, "booking_status_changed", mine, shop, me)
        await c.collect(lambda ev: len(ev) >= 1)
        assert c.ids() == [first]
        await c.close()

        missed = []
        for i in range(50):
            missed.append(append(admin, "booking_status_changed", mine, shop, me))
            if i % 5 == 0:  # another customer's events in between: never replayed to me
                append(admin, "booking_status_changed", theirs, shop, other)

        back = await Client.open(rt_url, token)
        reply = await back.subscribe("bookings", after=first)
        assert reply["after"] == first
        live = append(admin, "booking_status_changed", mine, shop, me)  # during or after
        await back.collect(lambda ev: len(ev) >= 51)
        await back.quiet(1)
        assert back.ids() == [*missed, live]
        assert len(set(back.ids())) == len(back.ids())
        await back.close()

    asyncio.run(run())


def test_an_id_whose_transaction_commits_late_still_goes_out_first(
    rt_api: Any, rt_url: str, admin: psycopg.Connection[Any]
) -> None:
    shop = bk.open_shop(admin, lat=44.2, lng=-76.2)
    me = create_user(admin, "customer")
    mine = bk.book(admin, shop, catalog.next_weekday(1, at="10:00"), me)

    async def run() -> None:
        c = await Client.open(rt_url, mint("customer", me))
        await c.subscribe("bookings")
        held: dict[str, int] = {}
        appended = threading.Event()

        def slow_transaction() -> None:
            with psycopg.connect(rt_api.db_url) as conn:  # not autocommit: one transaction
                held["id"] = append(conn, "booking_status_changed", mine, shop, me)
                appended.set()
                time.sleep(0.4)
                conn.commit()

        worker = threading.Thread(target=slow_transaction)
        worker.start()
        await asyncio.to_thread(appended.wait, 10)
        later = append(admin, "booking_status_changed", mine, shop, me)  # commits first
        await c.collect(lambda ev: len(ev) >= 2)
        await asyncio.to_thread(worker.join)
        assert held["id"] < later
        assert c.ids() == [held["id"], later]
        await c.close()

    asyncio.run(run())


def test_a_resume_after_the_window_is_refused(rt_url: str, admin: psycopg.Connection[Any]) -> None:
    shop = bk.open_shop(admin, lat=44.3, lng=-76.3)
    me = create_user(admin, "customer")
    mine = bk.book(admin, shop, catalog.next_weekday(1, at="10:00"), me)
    seen = append(admin, "booking_status_changed", mine, shop, me)
    append(admin, "booking_status_changed", mine, shop, me)
    # the sweep's purge, with a window of nothing: everything committed so far goes
    admin.execute("select internal.purge_events('0 seconds'::interval, 1000000)")

    async def run() -> None:
        c = await Client.open(rt_url, mint("customer", me))
        reply = await c.request({"type": "subscribe", "channel": "bookings", "after": seen})
        assert reply["type"] == "error" and reply["code"] == "resume_window_passed", reply
        # the connection is still usable: a fresh subscription without `after`
        await c.subscribe("bookings")
        live = append(admin, "booking_status_changed", mine, shop, me)
        await c.collect(lambda ev: len(ev) >= 1)
        assert c.ids() == [live]
        await c.close()

    asyncio.run(run())
