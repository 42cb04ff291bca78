"""A real WebSocket client (the `websockets` library) for the real-time service."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from typing import Any

from websockets.asyncio.client import ClientConnection, connect


class Client:
    """One connection: frames as dicts, and the events received so far by id."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []
        self.others: list[dict[str, Any]] = []
        self.latencies: list[float] = []

    @classmethod
    async def open(
        cls, url: str, token: str | None = None, *, auth: bool = True, rcvbuf: int | None = None
    ) -> Client:
        sock = None
        if rcvbuf is not None:
            host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            sock.connect((host, int(port)))
        ws = await connect(url, sock=sock, open_timeout=30, max_size=2**22)
        client = cls(ws)
        if auth:
            await client.send({"type": "auth", "token": token})
            ready = await client.next_frame()
            assert ready["type"] == "ready", ready
        return client

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def next_frame(self, timeout: float = 30) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        frame = json.loads(raw)
        assert isinstance(frame, dict)
        return frame

    async def request(self, frame: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
        """Send ``frame``, return the next frame that is not an event (events are kept)."""
        await self.send(frame)
        while True:
            got = await self.next_frame(timeout)
            if got["type"] == "event":
                self.events.append(got)
            else:
                return got

    async def subscribe(self, channel: str, **extra: Any) -> dict[str, Any]:
        reply = await self.request({"type": "subscribe", "channel": channel, **extra})
        assert reply["type"] == "subscribed", reply
        return reply

    async def collect(self, until: Any, timeout: float = 30) -> list[dict[str, Any]]:
        """Receive until ``until(self.events)`` is true (or time runs out): the events."""
        deadline = time.monotonic() + timeout
        while not until(self.events):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                frame = await self.next_frame(left)
            except TimeoutError:
                break
            if frame["type"] == "event":
                self.events.append(frame)
            else:
                self.others.append(frame)
        return self.events

    async def quiet(self, seconds: float) -> list[dict[str, Any]]:
        """Everything that arrives within ``seconds`` (to show that nothing more comes)."""
        await self.collect(lambda _: False, timeout=seconds)
        return self.events

    def ids(self) -> list[int]:
        return [int(e["id"]) for e in self.events]

    async def close(self) -> None:
        await self.ws.close()
