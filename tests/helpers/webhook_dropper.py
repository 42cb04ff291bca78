"""A pass-through for Stripe's webhooks that loses some deliveries on purpose.

localstripe never retries a webhook; a dropped delivery here is lost for good,
like events Stripe gave up on (an endpoint down for days, a disabled endpoint).
``drop(event_type, n)`` decides per delivery: the default drops every tenth
``payment_intent.succeeded`` (the 4th, 14th, 24th...). The dropped deliveries get a
503 and are never forwarded.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections import Counter
from collections.abc import Callable
from types import TracebackType

from aiohttp import ClientSession, web


def every_tenth(event_type: str, n: int) -> bool:
    return event_type == "payment_intent.succeeded" and n % 10 == 3


class WebhookDropper:
    def __init__(self, upstream: str, drop: Callable[[str, int], bool] = every_tenth) -> None:
        self.upstream = upstream.rstrip("/")
        self.drop = drop
        self.seen: Counter[str] = Counter()
        self.dropped: list[dict[str, object]] = []  # the events' data.object
        self.delivered: Counter[int] = Counter()  # upstream status -> deliveries
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> WebhookDropper:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(30)
        return self

    async def _start(self) -> None:
        self._session = ClientSession()
        app = web.Application()
        app.router.add_route("POST", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = int(sock.getsockname()[1])
        await web.SockSite(self._runner, sock).start()

    def stop(self) -> None:
        async def _stop() -> None:
            if self._session is not None:
                await self._session.close()
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(_stop(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> WebhookDropper:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        event = json.loads(body)
        kind = str(event.get("type", ""))
        n = self.seen[kind]
        self.seen[kind] += 1
        if self.drop(kind, n):
            self.dropped.append(event["data"]["object"])
            return web.Response(status=503, text="dropped on purpose")
        assert self._session is not None
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in ("content-type", "stripe-signature")
        }
        async with self._session.post(
            self.upstream + request.path_qs, data=body, headers=headers
        ) as resp:
            self.delivered[resp.status] += 1
            return web.Response(status=resp.status, body=await resp.read())
