"""Live delivery through nginx, decided by row-level security: each subscriber gets the
events it may read under its own role and claims, and nothing else (a BOLA sweep over
every channel and event kind, as customer, provider, ops and anon)."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from datetime import datetime
from typing import Any

import psycopg

from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.auth import mint
from tests.helpers.factories import create_user
from tests.helpers.realtime import Client

CHANNEL_OF = {
    "booking_created": "bookings",
    "booking_status_changed": "bookings",
    "booking_rescheduled": "bookings",
    "booking_refunded": "bookings",
    "notification_created": "notifications",
    "availability_changed": "availability",
}


def last_id(admin: psycopg.Connection[Any]) -> int:
    row = admin.execute("select coalesce(max(id), 0) from app.events").fetchone()
    assert row is not None
    return int(row[0])


def log_since(admin: psycopg.Connection[Any], mark: int) -> list[dict[str, Any]]:
    cur = admin.execute(
        "select id, kind, booking_id::text, provider_id::text, customer_id::text,"
        " recipient_id::text from app.events where id > %s order by id",
        (mark,),
    )
    cols = [d.name for d in cur.description or []]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def shop_at(admin: psycopg.Connection[Any]) -> bk.Shop:
    n = uuid.uuid4().int
    return bk.open_shop(admin, lat=45.0 + (n % 1000) / 1000, lng=-75.0 + (n // 1000 % 1000) / 1000)


def test_each_role_receives_exactly_what_it_may_read(
    rt_url: str, admin: psycopg.Connection[Any]
) -> None:
    shop1, shop2 = shop_at(admin), shop_at(admin)
    c1, c2 = create_user(admin, "customer"), create_user(admin, "customer")
    ops = create_user(admin, "ops")
    who = {
        "customer1": ("customer", c1),
        "customer2": ("customer", c2),
        "provider1": ("provider", shop1.owner_id),
        "provider2": ("provider", shop2.owner_id),
        "ops": ("ops", ops),
    }

    async def scenario() -> tuple[dict[str, Client], int]:
        clients = {}
        for name, (role, sub) in who.items():
            client = await Client.open(rt_url, mint(role, sub))
            for channel in ("bookings", "notifications", "availability"):
                await client.subscribe(channel)
            clients[name] = client
        anon = await Client.open(rt_url, None)
        await anon.subscribe("availability")
        refused = await anon.request({"type": "subscribe", "channel": "bookings"})
        assert refused["code"] == "forbidden"
        refused = await anon.request({"type": "subscribe", "channel": "notifications"})
        assert refused["code"] == "forbidden"
        clients["anon"] = anon
        mark = last_id(admin)
        day = catalog.next_weekday(2, at="10:00")
        b1 = bk.book(admin, shop1, day, c1)
        bk.pay(admin, b1)
        b2 = bk.book(admin, shop2, catalog.next_weekday(3, at="13:00"), c2)
        bk.pay(admin, b2)
        admin.execute(
            "select internal.cancel_booking_as(%s, 'customer', 'plans changed', true)", (b2["id"],)
        )
        # the two kinds no quick path writes here (a move, a settled refund): appended as
        # their triggers would, with the bookings' real audiences
        for b, shop, cust in ((b1, shop1, c1), (b2, shop2, c2)):
            admin.execute(
                "select internal.append_event('booking_rescheduled', %s, %s, %s, null, null, %s)",
                (b["id"], shop.provider_id, cust, json.dumps({"starts_at": str(datetime.now())})),
            )
            admin.execute(
                "select internal.append_event('booking_refunded', %s, %s, %s, null, null, %s)",
                (b["id"], shop.provider_id, cust, json.dumps({"refund_cents": 100})),
            )
        return clients, mark

    async def run() -> None:
        clients, mark = await scenario()
        log = log_since(admin, mark)
        assert {e["kind"] for e in log} == set(CHANNEL_OF), "the scenario covers every kind"
        providers = {
            "provider1": str(shop1.provider_id),
            "provider2": str(shop2.provider_id),
        }

        def may_read(name: str, e: dict[str, Any]) -> bool:
            if e["kind"] == "availability_changed":
                return True
            if name == "anon":
                return False
            role, sub = who[name]
            if e["kind"] == "notification_created":
                return e["recipient_id"] == str(sub)
            if role == "ops":
                return True
            if role == "customer":
                return e["customer_id"] == str(sub)
            return e["provider_id"] == providers[name]

        expected = {name: [e["id"] for e in log if may_read(name, e)] for name in clients}
        for name, ids in expected.items():
            assert ids, f"{name} should see something"
        latencies: list[float] = []

        def enough(n: int) -> Any:
            return lambda events: len(events) >= n

        await asyncio.gather(
            *(c.collect(enough(len(expected[name])), timeout=30) for name, c in clients.items())
        )
        await asyncio.gather(*(c.quiet(1.5) for c in clients.values()))
        created = {
            int(r[0]): r[1].timestamp()
            for r in admin.execute(
                "select id, created_at from app.events where id > %s", (mark,)
            ).fetchall()
        }
        for name, c in clients.items():
            got = c.ids()
            assert got == expected[name], f"{name}: got {got}, expected {expected[name]}"
            kinds = {e["id"]: e["kind"] for e in log}
            for ev in c.events:
                assert ev["event"] == kinds[ev["id"]]
                assert ev["channel"] == CHANNEL_OF[ev["event"]]
            assert c.others == [], c.others
            latencies += [time.time() - created[i] for i in got]
            await c.close()
        print(
            f"\nfrom the event's transaction to the test reading it (the scenario blocks "
            f"the test's loop while it writes): median "
            f"{statistics.median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
        )
        # what each got is what its API view shows: anon's availability carries no party
        anon_data = [e["data"] for e in clients["anon"].events]
        assert {(d["booking_id"], d["customer_id"], d["recipient_id"]) for d in anon_data} == {
            (None, None, None)
        }

    asyncio.run(run())


def test_an_event_arrives_within_a_second_of_the_change(
    rt_url: str, admin: psycopg.Connection[Any]
) -> None:
    shop = shop_at(admin)
    customer = create_user(admin, "customer")

    async def run() -> float:
        c = await Client.open(rt_url, mint("customer", customer))
        await c.subscribe("bookings")
        started = time.monotonic()
        b = bk.book(admin, shop, catalog.next_weekday(1, at="09:00"), customer)
        await c.collect(lambda ev: len(ev) >= 1, timeout=30)
        took = time.monotonic() - started
        assert [e["data"]["booking_id"] for e in c.events] == [b["id"]]
        await c.close()
        return took

    took = asyncio.run(run())
    print(f"\nbooking_created reached its customer {took * 1000:.0f} ms after the call began")


def test_availability_of_one_provider(rt_url: str, admin: psycopg.Connection[Any]) -> None:
    shop1, shop2 = shop_at(admin), shop_at(admin)

    async def run() -> None:
        c = await Client.open(rt_url, None)
        await c.subscribe("availability", provider_id=str(shop2.provider_id))
        bk.book(admin, shop1, catalog.next_weekday(2, at="15:00"))
        bk.book(admin, shop2, catalog.next_weekday(2, at="15:00"))
        await c.collect(lambda ev: len(ev) >= 1, timeout=30)
        await c.quiet(1)
        assert {e["data"]["provider_id"] for e in c.events} == {str(shop2.provider_id)}
        assert len(c.events) == 1
        await c.close()

    asyncio.run(run())
