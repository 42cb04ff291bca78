"""A pass-through HTTP server in front of localstripe that honours ``Idempotency-Key``.

localstripe ignores the header; Stripe does not. This proxy does what Stripe
documents, so tests that count Stripe objects see Stripe's behaviour:

- the first POST with a key is forwarded, and its status and body are stored
  (per API key and idempotency key);
- the same key with the same request (method, path, body) gets the stored
  response again, marked ``Idempotent-Replayed: true``, and nothing is
  forwarded;
- the same key with a different request is refused with 400 and an
  ``idempotency_error`` (the SDK raises ``stripe.IdempotencyError``);
- requests with the same key are served one at a time;
- a response that says the request never executed (400 validation, 409, 429)
  is not stored, as Stripe does not store those either.

``created`` counts the objects created per collection path (a non-replayed
successful POST to ``/v1/<objects>``); ``forget_keys()`` expires every key, as
Stripe does after 24 hours.

``go_down()`` makes Stripe unreachable: the port stops listening (new
connections are refused) and a request on a connection kept alive is cut
without an answer; ``come_back()`` listens on the same port again.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from collections import Counter
from dataclasses import dataclass
from types import TracebackType

from aiohttp import ClientSession, web

COLLECTION = re.compile(r"^/v1/[a-z_]+$")
HOP_BY_HOP = {"host", "content-length", "transfer-encoding", "connection", "accept-encoding"}
NOT_STORED = {400, 409, 429}


@dataclass(frozen=True)
class Stored:
    fingerprint: tuple[str, str, bytes]
    status: int
    body: bytes
    content_type: str


class StripeProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.created: Counter[str] = Counter()
        self.forwarded: Counter[str] = Counter()
        self.replayed = 0
        self._keys: dict[tuple[str, str], Stored] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._site: web.BaseSite | None = None
        self._sock = socket.socket()
        self.down = False
        self.refused = 0  # requests cut while down
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def forget_keys(self) -> None:
        """Expire every stored key (Stripe keeps them for 24 hours)."""
        self._loop.call_soon_threadsafe(self._keys.clear)

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> StripeProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(30)
        return self

    async def _start(self) -> None:
        self._session = ClientSession()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = int(sock.getsockname()[1])
        self._sock = sock
        self._site = web.SockSite(self._runner, sock)
        await self._site.start()

    def go_down(self) -> None:
        async def _down() -> None:
            self.down = True
            if self._site is not None:
                await self._site.stop()
                self._site = None
            self._sock.close()  # refuse new connections now

        asyncio.run_coroutine_threadsafe(_down(), self._loop).result(30)

    def come_back(self) -> None:
        async def _up() -> None:
            assert self._runner is not None
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", self.port))
            self._sock = sock
            site = web.SockSite(self._runner, sock)
            await site.start()
            self._site = site
            self.down = False

        asyncio.run_coroutine_threadsafe(_up(), self._loop).result(30)

    def stop(self) -> None:
        async def _stop() -> None:
            if self._session is not None:
                await self._session.close()
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(_stop(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> StripeProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- requests ----------------------------------------------------------------------------

    async def _forward(self, request: web.Request, body: bytes) -> tuple[int, bytes, str]:
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        async with self._session.request(
            request.method, self.upstream + request.path_qs, data=body, headers=headers
        ) as resp:
            self.forwarded[f"{request.method} {request.path}"] += 1
            return resp.status, await resp.read(), resp.headers.get("Content-Type", "")

    async def _handle(self, request: web.Request) -> web.Response:
        if self.down:
            self.refused += 1
            if request.transport is not None:
                request.transport.close()
            raise ConnectionResetError("Stripe is down (test)")
        body = await request.read()
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key:
            status, data, ctype = await self._forward(request, body)
            return self._response(status, data, ctype)
        scope = (request.headers.get("Authorization", ""), key)
        fingerprint = (request.method, request.path_qs, body)
        async with self._locks.setdefault(scope, asyncio.Lock()):
            stored = self._keys.get(scope)
            if stored is not None:
                if stored.fingerprint != fingerprint:
                    return web.json_response(
                        {
                            "error": {
                                "type": "idempotency_error",
                                "message": (
                                    "Keys for idempotent requests can only be used with the "
                                    "same parameters they were first used with. Try using a key "
                                    f"other than '{key}' if you meant to execute a different "
                                    "request."
                                ),
                            }
                        },
                        status=400,
                        headers={"Idempotency-Key": key},
                    )
                self.replayed += 1
                return self._response(
                    stored.status,
                    stored.body,
                    stored.content_type,
                    {"Idempotency-Key": key, "Idempotent-Replayed": "true"},
                )
            status, data, ctype = await self._forward(request, body)
            if status not in NOT_STORED:
                self._keys[scope] = Stored(fingerprint, status, data, ctype)
            if 200 <= status < 300 and COLLECTION.match(request.path):
                self.created[request.path] += 1
            return self._response(status, data, ctype, {"Idempotency-Key": key})

    @staticmethod
    def _response(
        status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> web.Response:
        resp = web.Response(status=status, body=body, headers=headers)
        if content_type:
            resp.headers["Content-Type"] = content_type
        return resp
