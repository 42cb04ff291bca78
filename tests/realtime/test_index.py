"""The fan-out index (realtime/server.py ``Index``): a released event reaches only the
subscriptions filed under its channel and provider, each client once, and the index
follows subscribe, unsubscribe, re-auth and close. The service runs in this test's own
event loop (the real ``Service``, logged in as authenticator on the module's database,
real WebSocket clients), so that its index can be looked at between the steps."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import psycopg

from bookiji import procs
from realtime.server import Hub, Service
from realtime.settings import Settings
from tests.helpers import booking as bk
from tests.helpers import catalog, stack
from tests.helpers.auth import mint
from tests.helpers.factories import create_user
from tests.helpers.realtime import Client


def shop_at(admin: psycopg.Connection[Any]) -> bk.Shop:
    n = uuid.uuid4().int
    return bk.open_shop(admin, lat=45.0 + (n % 1000) / 1000, lng=-75.0 + (n // 1000 % 1000) / 1000)


@asynccontextmanager
async def service(rt_api: stack.PostgREST) -> AsyncIterator[tuple[str, Hub]]:
    """The real-time service in this loop: its URL and its hub."""
    dbname = psycopg.conninfo.conninfo_to_dict(rt_api.db_url)["dbname"]
    assert isinstance(dbname, str)
    url = stack.role_url(dbname, "authenticator", stack.settings().authenticator_password)
    cfg = Settings(
        database_url=url,
        host="127.0.0.1",
        port=procs.free_port(),
        max_connections_per_token=10,
        max_connections_per_address=100,
        max_subscriptions=10,
        max_message_bytes=65536,
        queue_size=200,
        ping_seconds=20,
        gap_seconds=1,
        replay_max=10000,
    )
    svc = Service(cfg)
    stop = asyncio.Event()
    task = asyncio.create_task(svc.run(stop))
    try:
        for _ in range(300):
            if svc.hub.listening:
                break
            await asyncio.sleep(0.05)
        assert svc.hub.listening
        yield f"ws://127.0.0.1:{cfg.port}/realtime", svc.hub
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


def filed(hub: Hub) -> dict[tuple[str, str | None], int]:
    """The index's slots (channel, provider) and how many clients each holds, all groups."""
    out: dict[tuple[str, str | None], int] = {}
    for group in hub.index.groups.values():
        for slot, members in group.items():
            out[slot] = out.get(slot, 0) + len(members)
    return out


async def until(check: Callable[[], bool]) -> None:
    for _ in range(200):
        if check():
            return
        await asyncio.sleep(0.05)
    assert check()


def test_a_subscriber_of_one_provider_gets_none_of_anothers_events(
    rt_api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    a, b = shop_at(admin), shop_at(admin)

    async def run() -> None:
        async with service(rt_api) as (url, hub):
            ca, cb = await Client.open(url, None), await Client.open(url, None)
            await ca.subscribe("availability", provider_id=str(a.provider_id))
            await cb.subscribe("availability", provider_id=str(b.provider_id))
            assert filed(hub) == {
                ("availability", str(a.provider_id)): 1,
                ("availability", str(b.provider_id)): 1,
            }
            bk.book(admin, a, catalog.next_weekday(2, at="09:00"))
            bk.book(admin, b, catalog.next_weekday(2, at="09:00"))
            bk.book(admin, a, catalog.next_weekday(2, at="11:00"))
            await ca.collect(lambda ev: len(ev) >= 2)
            await cb.collect(lambda ev: len(ev) >= 1)
            await ca.quiet(1)
            await cb.quiet(1)
            assert [e["data"]["provider_id"] for e in ca.events] == [str(a.provider_id)] * 2
            assert [e["data"]["provider_id"] for e in cb.events] == [str(b.provider_id)]
            assert ca.events[0]["id"] < ca.events[1]["id"]
            await ca.close()
            await cb.close()

    asyncio.run(run())


def test_subscribe_unsubscribe_reauth_and_close_keep_the_index_right(
    rt_api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    shop = shop_at(admin)
    customer = create_user(admin, "customer")
    pid = str(shop.provider_id)

    async def run() -> None:
        async with service(rt_api) as (url, hub):
            c = await Client.open(url, mint("customer", customer))
            await c.subscribe("availability", provider_id=pid)
            await c.subscribe("bookings")
            await c.subscribe("notifications")
            assert filed(hub) == {
                ("availability", pid): 1,
                ("bookings", None): 1,
                ("notifications", None): 1,
            }
            before = next(iter(hub.index.groups))
            # a fresh token (other iat/exp: other claims) moves every subscription
            await asyncio.sleep(1.1)
            ready = await c.request({"type": "auth", "token": mint("customer", customer)})
            assert ready["type"] == "ready", ready
            assert list(hub.index.groups) != [before] and len(hub.index.groups) == 1
            assert filed(hub) == {
                ("availability", pid): 1,
                ("bookings", None): 1,
                ("notifications", None): 1,
            }
            reply = await c.request(
                {"type": "unsubscribe", "channel": "availability", "provider_id": pid}
            )
            assert reply["type"] == "unsubscribed", reply
            assert filed(hub) == {("bookings", None): 1, ("notifications", None): 1}
            # this customer's own booking still reaches it; the availability no longer does
            bk.book(admin, shop, catalog.next_weekday(3, at="09:00"), customer)
            await c.collect(lambda ev: any(e["channel"] == "bookings" for e in ev))
            await c.quiet(1)
            assert {e["channel"] for e in c.events} <= {"bookings", "notifications"}
            assert any(e["channel"] == "bookings" for e in c.events)
            other = await Client.open(url, None)
            await other.subscribe("availability", provider_id=pid)
            await c.close()
            await until(lambda: filed(hub) == {("availability", pid): 1})
            assert len(hub.index.identities) == 1
            await other.close()
            await until(lambda: not hub.index.groups and not hub.index.filed)
            assert not hub.index.identities

    asyncio.run(run())


def test_a_client_with_overlapping_subscriptions_gets_each_event_once(
    rt_api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    a, b = shop_at(admin), shop_at(admin)

    async def run() -> None:
        async with service(rt_api) as (url, _):
            c = await Client.open(url, None)
            await c.subscribe("availability")
            await c.subscribe("availability", provider_id=str(a.provider_id))
            bk.book(admin, a, catalog.next_weekday(4, at="09:00"))
            bk.book(admin, b, catalog.next_weekday(4, at="09:00"))
            await c.collect(lambda ev: len(ev) >= 2)
            await c.quiet(1)
            mine = [
                e
                for e in c.events
                if e["data"]["provider_id"] in (str(a.provider_id), str(b.provider_id))
            ]
            ids = [e["id"] for e in mine]
            assert len(ids) == 2 and len(set(ids)) == 2 and ids == sorted(ids)
            await c.close()

    asyncio.run(run())
