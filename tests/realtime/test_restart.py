"""Restart the real-time service, then PostgreSQL, under many subscribed clients and a
stream of events: every client ends with every event it was entitled to, exactly once
(compared with the event log), in id order. Clients do what docs/realtime.md asks of them: on a
close they reconnect and subscribe again with `after` = the last id they received.

On a throwaway cluster of its own (the shared test cluster stays up). 200 clients by
default (REALTIME_RESTART_CLIENTS)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import threading
import time
import uuid
from collections import Counter
from typing import Any

import psycopg
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from tests.helpers.auth import mint
from tests.helpers.throwaway import Throwaway, throwaway_cluster

CLIENTS = int(os.environ.get("REALTIME_RESTART_CLIENTS", "200"))
CUSTOMERS = CLIENTS // 2  # two connections each (per-token limit is 5)


async def follow(url: str, token: str, start: int, got: list[int], stop: asyncio.Event) -> None:
    """Subscribe to bookings from ``start``; on any close, reconnect and resume after the
    last id received."""
    last = start
    while not stop.is_set():
        try:
            async with connect(url, open_timeout=10, compression=None) as ws:
                await ws.send(json.dumps({"type": "auth", "token": token}))
                if json.loads(await ws.recv())["type"] != "ready":
                    raise ConnectionError("not ready")
                await ws.send(
                    json.dumps({"type": "subscribe", "channel": "bookings", "after": last})
                )
                while not stop.is_set():
                    try:
                        raw = await asyncio.wait_for(ws.recv(), 0.5)
                    except TimeoutError:
                        continue
                    frame = json.loads(raw)
                    if frame["type"] == "event":
                        got.append(int(frame["id"]))
                        last = max(last, int(frame["id"]))
                    elif frame["type"] == "error":
                        raise ConnectionError(frame["code"])
        except (WebSocketException, OSError, ConnectionError, TimeoutError):
            await asyncio.sleep(0.3 + random.random() * 0.3)


def writer(
    url: str, customers: list[uuid.UUID], stop: threading.Event, errors: Counter[str]
) -> None:
    """One booking event at a time for a random customer, through internal.append_event,
    riding out the restart (an event whose commit was lost in it is not in the log)."""
    conn: psycopg.Connection[Any] | None = None
    while not stop.is_set():
        try:
            if conn is None or conn.closed:
                conn = psycopg.connect(url, autocommit=True, connect_timeout=2)
            cust = random.choice(customers)
            conn.execute(
                "select internal.append_event('booking_status_changed', %s, %s, %s, null, null, '{}')",
                (uuid.uuid4(), uuid.uuid4(), cust),
            )
            time.sleep(0.01)
        except psycopg.Error as exc:
            errors[type(exc).__name__] += 1
            conn = None
            time.sleep(0.2)
    if conn is not None:
        conn.close()


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_restarts_lose_and_duplicate_nothing() -> None:
    with throwaway_cluster() as t, t.run_postgrest({"REALTIME_GAP_SECONDS": "1"}) as api:
        assert api.realtime is not None
        run(t, api)


def run(t: Throwaway, api: Any) -> None:
    url = api.url.replace("http://", "ws://") + "/realtime"
    customers = [uuid.uuid4() for _ in range(CUSTOMERS)]
    tokens = {c: mint("customer", c, exp=int(time.time()) + 3600) for c in customers}
    with psycopg.connect(t.url(), autocommit=True) as conn:
        row = conn.execute("select coalesce(max(id), 0) from app.events").fetchone()
    assert row is not None
    start = int(row[0])
    owners = [customers[i % CUSTOMERS] for i in range(CLIENTS)]
    received: list[list[int]] = [[] for _ in owners]
    errors: Counter[str] = Counter()

    async def scenario() -> None:
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(follow(url, tokens[o], start, received[i], stop))
            for i, o in enumerate(owners)
        ]
        await asyncio.sleep(3)  # everyone connected
        halt = threading.Event()
        w = threading.Thread(target=writer, args=(t.url(), customers, halt, errors))
        w.start()
        await asyncio.sleep(3)
        await asyncio.to_thread(api.realtime.restart)
        await asyncio.sleep(3)
        await asyncio.to_thread(t.cluster.restart, "fast")
        await asyncio.sleep(4)
        halt.set()
        await asyncio.to_thread(w.join)
        with psycopg.connect(t.url(), autocommit=True) as conn:
            rows = conn.execute(
                "select id, customer_id from app.events where id > %s and kind like 'booking%%'",
                (start,),
            ).fetchall()
        expected: dict[uuid.UUID, list[int]] = {c: [] for c in customers}
        for event_id, customer in rows:
            expected[customer].append(int(event_id))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if all(sorted(set(received[i])) == sorted(expected[o]) for i, o in enumerate(owners)):
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(1)  # anything extra would arrive now
        stop.set()
        await asyncio.gather(*tasks)
        total = sum(len(v) for v in expected.values())
        print(
            f"\n{CLIENTS} clients, {len(rows)} events in the log ({total} booking events), "
            f"writer errors during the restart {dict(errors)}"
        )
        for i, o in enumerate(owners):
            got = received[i]
            assert len(got) == len(set(got)), f"client {i} got duplicates"
            assert got == sorted(got), f"client {i} got events out of id order"
            assert sorted(got) == sorted(expected[o]), (
                f"client {i}: missing {sorted(set(expected[o]) - set(got))[:10]}, "
                f"extra {sorted(set(got) - set(expected[o]))[:10]}"
            )
        assert len(rows) > 100

    asyncio.run(scenario())
