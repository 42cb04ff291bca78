"""Heartbeats: a peer that stops answering pings is dropped within twice
REALTIME_PING_SECONDS (1 s here, 10 s by default: within 20 s); the application's own
ping frame gets a pong."""

from __future__ import annotations

import asyncio
import time

from websockets.exceptions import ConnectionClosed

from tests.helpers.realtime import Client

REALTIME_ENV = {"REALTIME_PING_SECONDS": "1"}


def test_a_dead_peer_is_dropped_and_a_live_one_kept(rt_url: str) -> None:
    async def run() -> None:
        live = await Client.open(rt_url, None)
        dead = await Client.open(rt_url, None)
        dead.ws.transport.pause_reading()  # no pong will ever leave: a dead peer
        started = time.monotonic()
        await asyncio.sleep(5)
        dead.ws.transport.resume_reading()
        try:
            async with asyncio.timeout(10):
                while True:
                    await dead.ws.recv()
        except ConnectionClosed as exc:
            assert exc.rcvd is not None and exc.rcvd.code == 1011, exc
            assert "ping" in exc.rcvd.reason
        print(f"\na dead peer was dropped (checked after {time.monotonic() - started:.1f} s)")
        for _ in range(3):
            assert (await live.request({"type": "ping"}))["type"] == "pong"
        await live.close()

    asyncio.run(run())
