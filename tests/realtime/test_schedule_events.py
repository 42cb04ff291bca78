"""Changes to a provider's schedule that are not bookings or time off — weekly hours, a
service's shape, the provider's time zone — reach its availability subscribers live,
through nginx, made by the provider itself over the API; the event names the provider
and its booking horizon only."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import psycopg

from tests.helpers import booking as bk
from tests.helpers.auth import bearer, session_token
from tests.helpers.factories import create_user
from tests.helpers.realtime import Client
from tests.helpers.stack import PostgREST

PRIVATE = ("booking_id", "customer_id", "recipient_id")


def shop_at(admin: psycopg.Connection[Any]) -> bk.Shop:
    n = uuid.uuid4().int
    return bk.open_shop(
        admin,
        lat=44.0 + (n % 1000) / 1000,
        lng=-76.0 + (n // 1000 % 1000) / 1000,
        max_days_ahead=60,
    )


def parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts)


def test_weekly_hours_edited_over_the_api_reach_that_providers_subscribers(
    rt_api: PostgREST, rt_url: str, admin: psycopg.Connection[Any]
) -> None:
    shop, other = shop_at(admin), shop_at(admin)
    owner = session_token(admin, shop.owner_id)
    http = httpx.Client(base_url=rt_api.url, headers=bearer(owner), timeout=30)
    hours = http.get("/my_weekly_hours", params={"order": "day_of_week"}).json()
    assert len(hours) == 7, hours
    customer = create_user(admin, "customer")

    async def run() -> None:
        anon = await Client.open(rt_url, None)
        watcher = await Client.open(rt_url, session_token(admin, customer))
        elsewhere = await Client.open(rt_url, None)
        for c in (anon, watcher):
            await c.subscribe("availability", provider_id=str(shop.provider_id))
        await elsewhere.subscribe("availability", provider_id=str(other.provider_id))

        # one interval changed, one added, one removed: three requests, three events
        moved = http.patch(
            "/my_weekly_hours", params={"id": f"eq.{hours[1]['id']}"}, json={"end_time": "12:00"}
        )
        assert moved.status_code == 204, moved.text
        added = http.post(
            "/my_weekly_hours",
            json={
                "provider_id": str(shop.provider_id),
                "day_of_week": 1,
                "start_time": "13:00",
                "end_time": "18:00",
            },
        )
        assert added.status_code == 201, added.text
        removed = http.delete("/my_weekly_hours", params={"id": f"eq.{hours[0]['id']}"})
        assert removed.status_code == 204, removed.text
        # an update that changes nothing changes no availability
        same = http.patch(
            "/my_weekly_hours", params={"id": f"eq.{hours[2]['id']}"}, json={"end_time": "17:00"}
        )
        assert same.status_code == 204, same.text

        for c in (anon, watcher):
            await c.collect(lambda ev: len(ev) >= 3, timeout=30)
            await c.quiet(1)
        await elsewhere.quiet(1)

        assert elsewhere.events == []
        for c in (anon, watcher):
            assert [e["event"] for e in c.events] == ["availability_changed"] * 3
            for e in c.events:
                data = e["data"]
                assert data["provider_id"] == str(shop.provider_id)
                assert all(data[k] is None for k in PRIVATE), data
                assert data["payload"] == {}
                # the booking horizon: from the change to the service's 60 days (+1)
                span = parse(data["ends_at"]) - parse(data["starts_at"])
                assert span == timedelta(days=61), data
        assert [e["id"] for e in anon.events] == [e["id"] for e in watcher.events]
        for c in (anon, watcher, elsewhere):
            await c.close()

    asyncio.run(run())
    http.close()


def test_a_service_reshaped_or_a_zone_moved_changes_availability(
    rt_api: PostgREST, rt_url: str, admin: psycopg.Connection[Any]
) -> None:
    shop = shop_at(admin)
    http = httpx.Client(
        base_url=rt_api.url, headers=bearer(session_token(admin, shop.owner_id)), timeout=30
    )

    async def run() -> None:
        c = await Client.open(rt_url, None)
        await c.subscribe("availability", provider_id=str(shop.provider_id))
        where = {"id": f"eq.{shop.service_id}"}
        # longer, with a buffer, bookable further ahead: one event, over the longer horizon
        assert (
            http.patch(
                "/my_services",
                params=where,
                json={"duration_minutes": 90, "buffer_after_minutes": 15, "max_days_ahead": 120},
            ).status_code
            == 204
        )
        # a new name or price takes no time
        assert (
            http.patch("/my_services", params=where, json={"name": "Long cut"}).status_code == 204
        )
        # back to 30 days: the days it no longer offers are freed too (the old horizon)
        assert (
            http.patch("/my_services", params=where, json={"max_days_ahead": 30}).status_code == 204
        )
        assert (
            http.patch("/my_provider", json={"time_zone": "America/Vancouver"}).status_code == 204
        )
        await c.collect(lambda ev: len(ev) >= 3, timeout=30)
        await c.quiet(1)
        assert [e["event"] for e in c.events] == ["availability_changed"] * 3
        spans = [parse(e["data"]["ends_at"]) - parse(e["data"]["starts_at"]) for e in c.events]
        assert spans == [timedelta(days=121), timedelta(days=121), timedelta(days=31)], spans
        assert all(e["data"][k] is None for e in c.events for k in PRIVATE)
        await c.close()

    asyncio.run(run())
    http.close()


def test_a_bulk_edit_is_one_event_per_provider(admin: psycopg.Connection[Any]) -> None:
    """A provider replacing its week in one statement: one event, not one per interval; a
    provider deleted with its hours leaves none (nothing is left to book)."""
    shop = shop_at(admin)
    mark = admin.execute("select coalesce(max(id), 0) from app.events").fetchone()
    assert mark is not None
    admin.execute(
        "update app.weekly_hours set start_time = '10:00' where provider_id = %s",
        (shop.provider_id,),
    )
    admin.execute("delete from app.providers where id = %s", (shop.provider_id,))
    rows = admin.execute(
        "select kind, provider_id from app.events where id > %s order by id", (mark[0],)
    ).fetchall()
    assert rows == [("availability_changed", shop.provider_id)]
