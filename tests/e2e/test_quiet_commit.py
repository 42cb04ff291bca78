"""A confirm commits without a NOTIFY (docs/events.md, "Reading the log"): a transaction that
notifies takes a database-wide lock at commit, held through its WAL flush, so notifying
confirms committed one at a time. The real-time service and the read router poll the
event log instead; what they show must not change: the customer's client still receives
the booking, the cached slots still change, and an event whose id is lower than one
already seen but which commits later still reaches both."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import psycopg
import pytest

from bookiji import procs
from tests.helpers import booking as bk
from tests.helpers import catalog, stack
from tests.helpers.auth import bearer, mint
from tests.helpers.factories import create_user
from tests.helpers.realtime import Client
from tests.helpers.waiting import until

GAP_SECONDS = 1  # REALTIME_GAP_SECONDS here: the late transaction below outlasts it


@pytest.fixture(scope="module")
def server(template_db: str) -> Iterator[stack.PostgREST]:
    s = stack.settings()
    with stack.scratch_database("bookiji_quiet", template_db) as db:
        read_path = procs.ReadPath(
            primary_url=stack.role_url(db.name, "authenticator", s.authenticator_password),
            cache_ttl=300,  # every fresh answer below comes from a bump, not from expiry
        )
        with stack.run_postgrest(
            db.name,
            read_path=read_path,
            realtime_env={"REALTIME_GAP_SECONDS": str(GAP_SECONDS)},
        ) as server:
            until(
                lambda: "X-Cache-Status" in _get(server.url, "/service_categories").headers,
                20,
                "the read router's first state",
            )
            yield server


@pytest.fixture
def admin(server: stack.PostgREST) -> Iterator[psycopg.Connection[Any]]:
    with stack.admin_connection(server) as conn:
        yield conn


def _get(url: str, path: str) -> httpx.Response:
    return httpx.get(url + path, timeout=30)


def _slots_version(server: stack.PostgREST) -> int:
    assert server.gateway is not None and server.gateway.read_state is not None
    return int(json.loads(server.gateway.read_state.read_text())["slots"])


def _channels(admin: psycopg.Connection[Any]) -> set[str]:
    """Every channel a function of this database notifies on, and the ones it used to."""
    rows = admin.execute(
        "select distinct m[1] from pg_proc, "
        "regexp_matches(prosrc, 'pg_notify\\(''([a-z_]+)''', 'g') as m"
    ).fetchall()
    return {r[0] for r in rows} | {"bookiji_events", "bookiji_cache", "bookiji_queue", "pgrst"}


def test_a_confirm_through_postgrest_notifies_nobody_yet_reaches_the_client_and_the_cache(
    server: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    shop = bk.open_shop(admin, lat=46.8, lng=-71.2)
    customer = create_user(admin, "customer")
    day = catalog.next_weekday(2, at="09:00")
    path = (
        f"/rpc/available_slots?service_id={shop.service_id}&from={day.isoformat()}"
        f"&to={day.replace(hour=17).isoformat()}&step_minutes=60"
    ).replace("+", "%2B")
    first = _get(server.url, path).json()[0]
    until(lambda: _get(server.url, path).headers["X-Cache-Status"] == "HIT", 10, "a cache hit")
    channels = _channels(admin)
    assert "bookiji_cache" in channels  # the catalog tables still notify the router
    quote = bk.quote(admin, customer, shop, datetime.fromisoformat(first["starts_at"]))
    assert server.realtime is not None
    rt_url = server.url.replace("http://", "ws://") + "/realtime"

    async def run() -> tuple[list[str], dict[str, Any]]:
        c = await Client.open(rt_url, mint("customer", customer))
        await c.subscribe("bookings")
        with psycopg.connect(server.db_url, autocommit=True) as listener:
            for channel in sorted(channels):
                listener.execute(f"listen {channel}")
            answer = await asyncio.to_thread(
                httpx.post,
                f"{server.url}/rpc/confirm_booking",
                json={"quote_id": str(quote), "provider_id": str(shop.provider_id)},
                headers=bearer(mint("customer", customer)),
                timeout=30,
            )
            assert answer.status_code == 200, answer.text
            await c.collect(lambda ev: len(ev) >= 1, timeout=30)
            # the booking was delivered: its transaction committed well before
            heard = [n.channel for n in listener.notifies(timeout=0.5)]
        event = c.events[0]
        await c.close()
        return heard, event

    heard, event = asyncio.run(run())
    assert heard == []  # not bookiji_events, bookiji_cache, bookiji_queue, nor any other
    assert event["event"] == "booking_created"
    assert event["data"]["provider_id"] == str(shop.provider_id)
    until(
        lambda: first not in _get(server.url, path).json(),
        10,
        "the booked slot to leave the cached anonymous read",
    )


def test_an_event_committed_after_a_later_one_reaches_the_subscriber_and_bumps_the_cache(
    server: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    """The late transaction holds its id past REALTIME_GAP_SECONDS: the later id goes out
    first (the gap was given up), the earlier one when it commits; each bumps the slots."""
    shop = bk.open_shop(admin, lat=46.9, lng=-71.3)
    rt_url = server.url.replace("http://", "ws://") + "/realtime"
    during = "[2030-01-07 10:00+00, 2030-01-07 11:00+00)"
    append = "select internal.append_event('availability_changed', null, %s, null, null, %s, '{}')"

    async def run() -> tuple[int, int, list[int], list[int]]:
        c = await Client.open(rt_url, None)
        await c.subscribe("availability", provider_id=str(shop.provider_id))
        held: dict[str, int] = {}
        appended, release = threading.Event(), threading.Event()

        def late_transaction() -> None:
            with psycopg.connect(server.db_url) as conn:  # one transaction, committed late
                row = conn.execute(append, (shop.provider_id, during)).fetchone()
                assert row is not None
                held["id"] = int(row[0])
                appended.set()
                release.wait(30)
                conn.commit()

        worker = threading.Thread(target=late_transaction)
        worker.start()
        try:
            await asyncio.to_thread(appended.wait, 10)
            versions = [_slots_version(server)]
            row = admin.execute(append, (shop.provider_id, during)).fetchone()
            assert row is not None
            later = int(row[0])
            await c.collect(lambda ev: len(ev) >= 1, timeout=30)  # after the gap: alone
            await asyncio.to_thread(
                until, lambda: _slots_version(server) > versions[0], 10, "the first bump"
            )
            versions.append(_slots_version(server))
        finally:
            release.set()
            await asyncio.to_thread(worker.join)
        await c.collect(lambda ev: len(ev) >= 2, timeout=30)
        await asyncio.to_thread(
            until, lambda: _slots_version(server) > versions[1], 10, "the late one's bump"
        )
        ids = c.ids()
        await c.close()
        return held["id"], later, ids, versions

    early, later, ids, _ = asyncio.run(run())
    assert early < later
    assert ids == [later, early]


def test_nobody_but_authenticator_may_poll_the_log(admin: psycopg.Connection[Any]) -> None:
    for role in ("anon", "customer", "provider", "ops", "bookiji_worker"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege), admin.transaction():
            admin.execute(f"set local role {role}")
            admin.execute("select * from auth.event_ids_after(0, '{}', 10)")
    with admin.transaction():
        admin.execute("set local role authenticator")
        rows = admin.execute("select id, kind from auth.event_ids_after(0, '{}', 10)").fetchall()
    assert all(isinstance(r[0], int) and isinstance(r[1], str) for r in rows)
