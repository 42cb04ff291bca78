"""The WebSocket server, the shared polling connection and the fan-out (docs/realtime.md).

- ``Hub`` owns the database side: one connection that polls the event log for new ids
  every REALTIME_POLL_MS (realtime/cursor.py: ids only, late commits included; no
  NOTIFY, which would make every event's transaction commit alone), a small pool for
  the per-subscriber reads, and the order of release (ids go out in id order; a gap
  waits up to REALTIME_GAP_SECONDS for the transaction that holds it to commit).
- ``Client`` is one WebSocket: its identity (the verified claims), its
  subscriptions, and a bounded queue drained by its own writer task; a client whose
  queue is full is told so (close 4009 slow_consumer) and dropped, never waited for.
- Every delivery is read from api.events as the subscriber (``set local role`` and
  ``request.jwt.claims``, exactly as PostgREST does): row-level security decides.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import logging
import signal
import socket
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from realtime import cursor as cursor_mod
from realtime import settings as settings_mod
from realtime.cursor import EventCursor
from realtime.settings import Settings

log = logging.getLogger("realtime")

PATH = "/realtime"
ROLES = ("anon", "customer", "provider", "ops")
# channel -> the event kinds it carries
CHANNELS: dict[str, tuple[str, ...]] = {
    "bookings": (
        "booking_created",
        "booking_status_changed",
        "booking_rescheduled",
        "booking_refunded",
    ),
    "notifications": ("notification_created",),
    "availability": ("availability_changed",),
}
KIND_CHANNEL = {kind: channel for channel, kinds in CHANNELS.items() for kind in kinds}

# close codes (docs/realtime.md)
CLOSE_AUTH = 4001  # invalid_token, token_expired, auth_timeout
CLOSE_LIMIT = 4029  # too_many_connections
CLOSE_SLOW = 4009  # slow_consumer
CLOSE_POLICY = 1008  # too many bad frames
CLOSE_UNAVAILABLE = 1013  # the database cannot be reached

BATCH = 100  # ids read and fanned out at a time
READS_PER_TRANSACTION = 50  # identities read in one pipelined transaction
SEND_BUFFER_BYTES = 64 * 1024  # per client socket
SEEN_PER_SUBSCRIPTION = 4096  # ids remembered per subscription to drop duplicates
POLL_TIMEOUT = 10.0  # seconds a poll of the log may take before the connection is dropped

EVENT_COLUMNS = sql.SQL(
    "select e.id, e.kind, to_jsonb(e) - 'id' - 'kind' as data from api.events as e"
)


class Refused(Exception):
    """A frame is refused: answered with an error frame, the connection stays."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class Fatal(Refused):
    """Answered with an error frame, then the connection is closed with ``close_code``."""

    def __init__(self, code: str, message: str, close_code: int) -> None:
        super().__init__(code, message)
        self.close_code = close_code


@dataclass
class Identity:
    role: str
    claims: dict[str, Any]
    token: str | None

    @property
    def key(self) -> str:
        """Subscribers with the same key read the same rows: one query serves them all."""
        return json.dumps(self.claims, sort_keys=True)

    @property
    def token_key(self) -> str | None:
        if self.token is None:
            return None
        sid = self.claims.get("sid")
        return f"sid:{sid}" if sid else "tok:" + hashlib.sha256(self.token.encode()).hexdigest()

    @property
    def exp(self) -> float | None:
        exp = self.claims.get("exp")
        return float(exp) if isinstance(exp, int | float) else None


@dataclass
class Subscription:
    channel: str
    provider_id: str | None
    replaying: bool = False
    pending: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    # live from: ids up to ``floor`` had committed before the subscription (but those of
    # ``floor_holes``, which had not), and are not sent (None: no floor)
    floor: int | None = None
    floor_holes: frozenset[int] = frozenset()
    seen: set[int] = field(default_factory=set)
    order: deque[int] = field(default_factory=deque)

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.provider_id or '*'}"

    @property
    def slot(self) -> tuple[str, str | None]:
        """Where the index files it: the channel and the provider (None: every provider)."""
        return self.channel, self.provider_id

    def first_time(self, event_id: int) -> bool:
        if self.floor is not None and event_id <= self.floor and event_id not in self.floor_holes:
            return False  # committed before the subscription: not a new event
        if event_id in self.seen:
            return False
        self.seen.add(event_id)
        self.order.append(event_id)
        if len(self.order) > SEEN_PER_SUBSCRIPTION:
            self.seen.discard(self.order.popleft())
        return True


class Client:
    def __init__(self, ws: ServerConnection, address: str, queue_size: int) -> None:
        self.ws = ws
        self.address = address
        self.identity: Identity | None = None
        self.subs: dict[str, Subscription] = {}
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=queue_size)
        self.closing: tuple[int, str] | None = None
        self.wake = asyncio.Event()

    def offer(self, frame: dict[str, Any] | str) -> bool:
        """Queue a frame (or its text) without ever waiting: a full queue drops the client
        (slow consumer)."""
        if self.closing is not None:
            return False
        try:
            self.queue.put_nowait(frame if isinstance(frame, str) else encode(frame))
            return True
        except asyncio.QueueFull:
            self.close(CLOSE_SLOW, "slow_consumer: the client does not read its events fast enough")
            return False

    async def put(self, frame: dict[str, Any]) -> None:
        """Queue a frame, waiting for room (a replay, which only this client waits for)."""
        if self.closing is None:
            await self.queue.put(encode(frame))

    def close(self, code: int, reason: str) -> None:
        if self.closing is None:
            self.closing = (code, reason)
            self.wake.set()

    def deliver(
        self,
        sub: Subscription,
        event_id: int,
        kind: str,
        data: dict[str, Any],
        text: str | None = None,
    ) -> None:
        """One event through ``sub`` (``text``: the frame already encoded, shared by every
        receiver of the row)."""
        if sub.replaying:
            sub.pending.append((event_id, kind, data))
            if len(sub.pending) > self.queue.maxsize:
                self.close(CLOSE_SLOW, "slow_consumer: too many events arrived during the replay")
        elif sub.first_time(event_id):
            self.offer(text if text is not None else event_frame(sub.channel, event_id, kind, data))


class Index:
    """Who could receive an event, so that a released slice costs what it delivers.

    The subscriptions by the identity they read as (``Identity.key``: the same claims,
    the same rows under row-level security), then by (channel, provider_id): an event of
    channel C about provider P can reach only the subscriptions filed under (C, P) and
    (C, None), and only through a read as their identity. Kept on subscribe,
    unsubscribe, re-auth (the claims change) and close; nothing here decides what a
    subscriber may read: that stays the read of api.events as the subscriber.
    """

    def __init__(self) -> None:
        self.groups: dict[str, dict[tuple[str, str | None], dict[Client, Subscription]]] = {}
        self.identities: dict[str, Identity] = {}  # one member's identity for each key
        # client -> the identity key it is filed under and its slots there
        self.filed: dict[Client, tuple[str, set[tuple[str, str | None]]]] = {}

    def add(self, client: Client, sub: Subscription) -> None:
        """File ``sub`` (already in ``client.subs``) under the client's identity."""
        assert client.identity is not None
        key = client.identity.key
        was = self.filed.get(client)
        if was is not None and was[0] != key:
            self.refile(client)  # filed under former claims: move every subscription
            return
        slots = was[1] if was is not None else set()
        self.filed[client] = (key, slots)
        slots.add(sub.slot)
        self.identities.setdefault(key, client.identity)
        self.groups.setdefault(key, {}).setdefault(sub.slot, {})[client] = sub

    def remove(self, client: Client, sub: Subscription) -> None:
        was = self.filed.get(client)
        if was is None or sub.slot not in was[1]:
            return
        key, slots = was
        group = self.groups[key]
        members = group[sub.slot]
        if members.get(client) is not sub:
            return
        del members[client]
        slots.discard(sub.slot)
        if not members:
            del group[sub.slot]
        if not slots:
            del self.filed[client]
        if not group:
            del self.groups[key]
            del self.identities[key]

    def drop(self, client: Client) -> None:
        """Every subscription of ``client`` (it closed, or its claims changed)."""
        was = self.filed.pop(client, None)
        if was is None:
            return
        key, slots = was
        group = self.groups[key]
        for slot in slots:
            members = group[slot]
            members.pop(client, None)
            if not members:
                del group[slot]
        if not group:
            del self.groups[key]
            del self.identities[key]

    def refile(self, client: Client) -> None:
        """After a re-auth: file ``client``'s subscriptions under its new claims."""
        self.drop(client)
        for sub in client.subs.values():
            self.add(client, sub)


class Hub:
    """The database side: polling the log, the order of release, reads as each subscriber."""

    def __init__(self, cfg: Settings) -> None:
        self.cfg = cfg
        self.clients: set[Client] = set()
        self.per_token: dict[str, int] = {}
        self.per_address: dict[str, int] = {}
        self.index = Index()
        self.pool = AsyncConnectionPool(
            cfg.database_url,
            min_size=1,
            max_size=4,
            open=False,
            # no server-side prepared statements: the pool may be PgBouncer's
            kwargs={"autocommit": True, "prepare_threshold": None},
            check=AsyncConnectionPool.check_connection,
        )
        self.cursor: EventCursor | None = None  # what the next poll of the log asks for
        self.next_id: int | None = None  # the lowest id not yet released
        self.pending: dict[int, float] = {}  # id polled and not released -> when seen
        self.gap_since: float | None = None
        self.late: list[int] = []  # ids seen after a later one went out
        self.wake = asyncio.Event()
        self.listening = False  # the polling connection is up
        self.polled_at = 0.0  # when the last poll answered (monotonic)
        self.polls = 0  # polls answered so far
        self.poll_done = asyncio.Event()  # set (and replaced) after each poll

    # -- the database --------------------------------------------------------------

    async def as_subscriber(
        self, identity: Identity, query: sql.Composed, params: tuple[Any, ...]
    ) -> list[dict[str, Any]]:
        """Run ``query`` as PostgREST would for this token: its role, its claims, its budget."""
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute(
                "select set_config('request.jwt.claims', %s, true), "
                "set_config('statement_timeout', %s, true)",
                (json.dumps(identity.claims), "1s" if identity.role == "anon" else "5s"),
            )
            await conn.execute(sql.SQL("set local role {}").format(sql.Identifier(identity.role)))
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(query, params)
            return await cur.fetchall()

    async def as_subscribers(
        self, reads: list[tuple[Identity, sql.Composed, tuple[Any, ...]]]
    ) -> list[list[dict[str, Any]]]:
        """Several reads, each as ``as_subscriber`` runs it (its role, its claims, its
        budget), in one transaction and one round trip (a pipeline): a slice costs one
        exchange per READS_PER_TRANSACTION identities, not one per identity."""
        if len(reads) == 1:
            return [await self.as_subscriber(*reads[0])]
        async with self.pool.connection() as conn, conn.transaction():
            cursors = []
            async with conn.pipeline():
                for identity, query, params in reads:
                    await conn.execute(
                        "select set_config('request.jwt.claims', %s, true), "
                        "set_config('statement_timeout', %s, true)",
                        (json.dumps(identity.claims), "1s" if identity.role == "anon" else "5s"),
                    )
                    await conn.execute(
                        sql.SQL("set local role {}").format(sql.Identifier(identity.role))
                    )
                    cur = conn.cursor(row_factory=dict_row)
                    await cur.execute(query, params)
                    cursors.append(cur)
                    await conn.execute("reset role")
            return [await cur.fetchall() for cur in cursors]

    async def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, checked by the database as PostgREST's are; Fatal otherwise."""
        try:
            async with self.pool.connection() as conn:
                cur = await conn.execute("select auth.verify_token(%s)", (token,))
                row = await cur.fetchone()
        except psycopg.Error as exc:
            state = exc.sqlstate or ""
            if state.startswith("PT") or state.startswith("22"):
                # internal.fail's PT401 (invalid_token), or a claim of the wrong type
                message = exc.diag.message_primary if state.startswith("PT") else None
                raise Fatal(
                    "invalid_token", message or "the access token is not valid", CLOSE_AUTH
                ) from None
            log.warning("token check failed: %s", exc)
            raise Fatal(
                "unavailable", "the database cannot check tokens now; retry", CLOSE_UNAVAILABLE
            ) from None
        assert row is not None
        claims = row[0]
        if not isinstance(claims, dict):
            raise Fatal("invalid_token", "the access token is not valid", CLOSE_AUTH)
        return claims

    async def log_bounds(self) -> tuple[int | None, int]:
        async with self.pool.connection() as conn:
            cur = await conn.execute("select oldest_id, last_id from auth.event_log_bounds()")
            row = await cur.fetchone()
        assert row is not None
        return row[0], int(row[1])

    async def poll_forever(self) -> None:
        """The one polling connection: new event ids every REALTIME_POLL_MS, reconnecting
        when it is lost (the cursor resumes where it was: nothing committed meanwhile is
        missed, the log keeps it)."""
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self.cfg.listen_url,
                    autocommit=True,
                    # nothing prepared: the connection may be a transaction pooler's
                    prepare_threshold=None,
                ) as conn:
                    if self.cursor is None:
                        _, last = await self.log_bounds()
                        cur = await conn.execute(
                            cursor_mod.QUERY, (last - cursor_mod.START_WINDOW, [], cursor_mod.LIMIT)
                        )
                        self.cursor = EventCursor.starting(
                            last,
                            [r[0] for r in await cur.fetchall()],
                            time.monotonic(),
                            recent_seconds=self.cfg.gap_seconds,
                        )
                        self.next_id = last + 1
                    self.listening = True
                    log.info("polling the event log from id %s", self.cursor.high + 1)
                    while True:
                        high, holes = self.cursor.ask(time.monotonic())
                        async with asyncio.timeout(POLL_TIMEOUT):  # a stalled link: reconnect
                            cur = await conn.execute(
                                cursor_mod.QUERY, (high, holes, cursor_mod.LIMIT)
                            )
                            rows = await cur.fetchall()
                        self.polled_at = time.monotonic()
                        self.polls += 1
                        done, self.poll_done = self.poll_done, asyncio.Event()
                        for event_id in self.cursor.saw([r[0] for r in rows], time.monotonic()):
                            self.heard(event_id)
                        if rows or self.pending:
                            self.wake.set()  # new ids, or a gap that may have waited enough
                        done.set()
                        if len(rows) < cursor_mod.LIMIT:
                            await asyncio.sleep(self.cfg.poll_seconds)
            except (psycopg.Error, OSError, TimeoutError) as exc:
                self.listening = False
                log.warning("event log connection lost (%r); reconnecting in 1 s", exc)
                await asyncio.sleep(1)

    async def floor(self) -> tuple[int | None, frozenset[int]]:
        """What has committed by now, once a poll that started after this call has answered:
        the highest id seen and the holes below it (a subscription made now takes what
        commits later only). Without a poll within a second (the database is away): what
        the cursor has."""
        start = self.polls
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                while self.polls < start + 2:  # the first may have begun before the call
                    await self.poll_done.wait()
        if self.cursor is None:
            return None, frozenset()
        return self.cursor.high, frozenset(self.cursor.holes)

    @property
    def alive(self) -> bool:
        """The poll loop runs: connected, and its last poll answered recently (/healthz)."""
        return self.listening and time.monotonic() - self.polled_at < POLL_TIMEOUT

    def heard(self, event_id: int) -> None:
        """A committed id the poll found for the first time."""
        assert self.next_id is not None
        if event_id >= self.next_id:
            self.pending.setdefault(event_id, time.monotonic())
        else:
            self.late.append(event_id)  # its transaction committed after a gap was given up
        self.wake.set()

    def releasable(self) -> list[int]:
        """The ids to send now, in id order; a gap holds the ids after it (bounded wait)."""
        out, self.late = sorted(self.late), []
        if self.next_id is None:
            return out
        now = time.monotonic()
        while self.pending:
            if self.next_id in self.pending:
                del self.pending[self.next_id]
                out.append(self.next_id)
                self.next_id += 1
                self.gap_since = None
                continue
            # a gap: an id allocated by a transaction not committed yet (or rolled back)
            if self.gap_since is None:
                self.gap_since = min(self.pending.values())
            if now - self.gap_since < self.cfg.gap_seconds:
                break
            self.next_id = min(self.pending)
            self.gap_since = None
        return out

    async def release_forever(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            ids = self.releasable()
            while ids:
                # in slices, so that the writers drain between them: a client that keeps
                # up never holds more than a slice or so in its queue
                batch = ids[:BATCH]
                try:
                    await self.dispatch(batch)
                    ids = ids[BATCH:]
                    await asyncio.sleep(0)
                except (psycopg.Error, OSError) as exc:
                    log.warning("delivery read failed (%s); retrying in 1 s", exc)
                    await asyncio.sleep(1)

    async def dispatch(self, ids: list[int]) -> None:
        """Read ``ids`` once per distinct identity among the subscribers (only the kinds and
        providers its subscriptions could take); hand each row to the subscriptions the
        index files under its channel and provider: the cost is the audience's, not the
        number of clients connected."""
        keys = list(self.index.groups)
        if not keys:
            return
        limit = asyncio.Semaphore(4)

        async def some(chunk: list[str]) -> None:
            reads: list[tuple[str, Identity, sql.Composed, tuple[Any, ...]]] = []
            for key in chunk:
                group = self.index.groups.get(key)
                identity = self.index.identities.get(key)
                if group and identity is not None:
                    reads.append((key, identity, *audience_query(group, ids)))
            if not reads:
                return
            async with limit:
                results = await self.as_subscribers([(i, q, p) for _, i, q, p in reads])
            for (key, _, _, _), rows in zip(reads, results, strict=True):
                # the group as it is now (a client may have subscribed or left meanwhile;
                # the rows were read under exactly these claims)
                group = self.index.groups.get(key)
                if group and rows:
                    fan_out(group, rows)

        chunks = [
            keys[k : k + READS_PER_TRANSACTION] for k in range(0, len(keys), READS_PER_TRANSACTION)
        ]
        results = await asyncio.gather(*(some(c) for c in chunks), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def check_window(self, after: int) -> None:
        """Refuse a resume from an id whose successors have been purged."""
        oldest, last = await self.log_bounds()
        if after < last and (oldest is None or oldest > after + 1):
            raise Refused(
                "resume_window_passed",
                "events after this id have been purged from the log: start again without 'after'",
            )

    async def replay(self, client: Client, sub: Subscription, after: int) -> None:
        """The events after ``after`` still in the log, then what arrived meanwhile, once each."""
        assert client.identity is not None
        kinds = list(CHANNELS[sub.channel])
        where: sql.Composable = sql.SQL(" where e.id > %s and e.kind = any(%s::text[])")
        params: tuple[Any, ...] = (after, kinds)
        if sub.provider_id is not None:
            where += sql.SQL(" and e.provider_id = %s::uuid")
            params += (sub.provider_id,)
        query = EVENT_COLUMNS + where + sql.SQL(" order by e.id limit %s")
        rows = await self.as_subscriber(client.identity, query, (*params, self.cfg.replay_max + 1))
        if len(rows) > self.cfg.replay_max:
            raise Refused(
                "resume_too_far",
                f"more than {self.cfg.replay_max} events to replay: start again without 'after'",
            )
        for row in rows:
            event_id = int(row["id"])
            sub.first_time(event_id)
            if any(event_id in other.seen for other in client.subs.values() if other is not sub):
                continue  # sent live through another subscription of this client already
            # paced by this client alone: a long replay waits for its own reader
            await client.put(event_frame(sub.channel, event_id, row["kind"], row["data"]))

    # -- limits ----------------------------------------------------------------------

    def admit(self, client: Client) -> None:
        count = self.per_address.get(client.address, 0)
        if count >= self.cfg.max_connections_per_address:
            raise Fatal(
                "too_many_connections",
                f"at most {self.cfg.max_connections_per_address} connections per address",
                CLOSE_LIMIT,
            )
        self.per_address[client.address] = count + 1
        self.clients.add(client)

    def count_token(self, key: str | None, delta: int) -> int:
        if key is None:
            return 0
        n = self.per_token.get(key, 0) + delta
        if n <= 0:
            self.per_token.pop(key, None)
        else:
            self.per_token[key] = n
        return n

    def leave(self, client: Client) -> None:
        self.clients.discard(client)
        self.index.drop(client)
        n = self.per_address.get(client.address, 1) - 1
        if n <= 0:
            self.per_address.pop(client.address, None)
        else:
            self.per_address[client.address] = n
        if client.identity is not None:
            self.count_token(client.identity.token_key, -1)


class Session:
    """The conversation with one client: frames in, frames out, its timers."""

    def __init__(self, hub: Hub, client: Client) -> None:
        self.hub, self.client, self.cfg = hub, client, hub.cfg
        self.bad_in_row = 0
        self.auth_changed = asyncio.Event()

    async def run(self) -> None:
        ws, client = self.client.ws, self.client
        writer = asyncio.create_task(self.write_forever())
        reader = asyncio.create_task(self.read_forever())
        watch = asyncio.create_task(self.watch_token())
        woke = asyncio.create_task(client.wake.wait())
        try:
            await asyncio.wait(
                {writer, reader, watch, woke},
                return_when=asyncio.FIRST_COMPLETED,
            )
            if client.closing is not None:
                code, reason = client.closing
                log.info("closing a connection from %s: %s %s", client.address, code, reason)
                writer.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                    await writer
                # the close frame goes out after what is queued only when the client reads;
                # a slow consumer is cut at once (its reason is in the close frame)
                if code != CLOSE_SLOW:
                    await self.drain(timeout=2)
                await ws.close(code, reason[:120])
        finally:
            for task in (writer, reader, watch, woke):
                task.cancel()
            with contextlib.suppress(Exception):
                await ws.close()

    async def drain(self, timeout: float) -> None:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(timeout):
                while not self.client.queue.empty():
                    await self.client.ws.send(self.client.queue.get_nowait())

    async def write_forever(self) -> None:
        ws, queue = self.client.ws, self.client.queue
        with contextlib.suppress(ConnectionClosed):
            while self.client.closing is None:
                frame = await queue.get()
                await ws.send(frame)

    async def read_forever(self) -> None:
        client = self.client
        try:
            async with asyncio.timeout(self.cfg.auth_seconds) as deadline:
                while client.identity is None and client.closing is None:
                    await self.handle(await client.ws.recv())
                deadline.reschedule(None)
            while client.closing is None:
                await self.handle(await client.ws.recv())
        except TimeoutError:
            client.offer(error("auth_timeout", "send an auth frame first"))
            client.close(CLOSE_AUTH, "auth_timeout")
        except ConnectionClosed:
            client.close(1000, "")

    async def handle(self, message: str | bytes) -> None:
        client = self.client
        try:
            if isinstance(message, bytes):
                raise Refused("bad_frame", "frames are JSON text, not binary")
            try:
                frame = json.loads(message)
            except ValueError:
                raise Refused("bad_frame", "a frame is one JSON object") from None
            if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
                raise Refused("bad_frame", "a frame is a JSON object with a 'type'")
            kind = frame["type"]
            if kind == "auth":
                await self.authenticate(frame)
                client.offer(
                    {"type": "ready", "role": client.identity.role if client.identity else "anon"}
                )
            elif client.identity is None:
                raise Refused("not_authenticated", "send an auth frame first")
            elif kind == "ping":
                client.offer({"type": "pong"})
            elif kind == "subscribe":
                await self.subscribe(frame)
            elif kind == "unsubscribe":
                sub = client.subs.pop(subscription_key(frame), None)
                if sub is None:
                    raise Refused("not_subscribed", "no such subscription")
                self.hub.index.remove(client, sub)
                client.offer(
                    {"type": "unsubscribed", "channel": sub.channel, "provider_id": sub.provider_id}
                )
            else:
                raise Refused("bad_frame", f"unknown frame type {kind[:40]!r}")
            self.bad_in_row = 0
        except Fatal as exc:
            client.offer(error(exc.code, exc.message))
            client.close(exc.close_code, exc.code)
        except Refused as exc:
            client.offer(error(exc.code, exc.message))
            self.bad_in_row += 1
            if self.bad_in_row >= self.cfg.bad_frames_in_a_row:
                client.close(CLOSE_POLICY, f"{self.bad_in_row} bad frames in a row")

    async def authenticate(self, frame: dict[str, Any]) -> None:
        client, token = self.client, frame.get("token")
        if token is None:
            identity = Identity("anon", {"role": "anon"}, None)
        elif not isinstance(token, str):
            raise Fatal(
                "invalid_token", "the token is a string (or null for anonymous)", CLOSE_AUTH
            )
        else:
            claims = await self.hub.verify(token)
            identity = Identity(str(claims.get("role")), claims, token)
            if identity.role not in ROLES:
                raise Fatal("invalid_token", "the access token has an unknown role", CLOSE_AUTH)
        previous = client.identity
        if previous is not None and (
            previous.role != identity.role
            or previous.claims.get("sub") != identity.claims.get("sub")
        ):
            raise Fatal(
                "identity_changed",
                "a fresh token must be for the same user and role; open a new connection",
                CLOSE_AUTH,
            )
        key = identity.token_key
        if key is not None and (previous is None or previous.token_key != key):
            if self.hub.per_token.get(key, 0) >= self.cfg.max_connections_per_token:
                raise Fatal(
                    "too_many_connections",
                    f"at most {self.cfg.max_connections_per_token} connections per token",
                    CLOSE_LIMIT,
                )
            self.hub.count_token(key, +1)
            if previous is not None:
                self.hub.count_token(previous.token_key, -1)
        client.identity = identity
        if client.subs:
            self.hub.index.refile(client)  # new claims (a fresh exp): a new read group
        self.auth_changed.set()

    async def subscribe(self, frame: dict[str, Any]) -> None:
        client = self.client
        assert client.identity is not None
        channel = frame.get("channel")
        if channel not in CHANNELS:
            raise Refused("bad_channel", "channel is one of bookings, notifications, availability")
        provider_id = frame.get("provider_id")
        if provider_id is not None:
            if channel != "availability":
                raise Refused("bad_frame", "provider_id is for the availability channel only")
            if not isinstance(provider_id, str) or not is_uuid(provider_id):
                raise Refused("bad_frame", "provider_id is a uuid")
            provider_id = provider_id.lower()
        if client.identity.role == "anon" and channel != "availability":
            raise Refused("forbidden", "anonymous clients may subscribe to availability only")
        after = frame.get("after")
        if after is not None and (
            not isinstance(after, int) or isinstance(after, bool) or after < 0
        ):
            raise Refused("bad_frame", "after is the id of the last event received")
        sub = Subscription(channel, provider_id)
        if sub.key in client.subs:
            raise Refused("already_subscribed", "already subscribed to this channel")
        if len(client.subs) >= self.cfg.max_subscriptions:
            raise Refused(
                "too_many_subscriptions", f"at most {self.cfg.max_subscriptions} subscriptions"
            )
        client.subs[sub.key] = sub
        self.hub.index.add(client, sub)
        reply: dict[str, Any] = {
            "type": "subscribed",
            "channel": channel,
            "provider_id": provider_id,
        }
        if after is None:
            # what commits from now on: live events wait in sub.pending meanwhile
            sub.replaying = True
            try:
                sub.floor, sub.floor_holes = await self.hub.floor()
            finally:
                sub.replaying = False
                pending, sub.pending = sub.pending, []
            client.offer(reply)
            for event_id, kind, data in sorted(pending, key=lambda p: p[0]):
                client.deliver(sub, event_id, kind, data)
            return
        sub.replaying = True  # live events wait in sub.pending while the log is read
        try:
            await self.hub.check_window(after)
            reply["after"] = after
            client.offer(reply)
            await self.hub.replay(client, sub, after)
        except Refused:
            client.subs.pop(sub.key, None)
            self.hub.index.remove(client, sub)
            raise
        except (psycopg.Error, OSError) as exc:
            client.subs.pop(sub.key, None)
            self.hub.index.remove(client, sub)
            log.warning("replay failed: %s", exc)
            raise Refused("unavailable", "the event log cannot be read now; retry") from None
        finally:
            sub.replaying = False
            pending, sub.pending = sub.pending, []
        for event_id, kind, data in sorted(pending, key=lambda p: p[0]):
            client.deliver(sub, event_id, kind, data)

    async def watch_token(self) -> None:
        """Close at the token's exp (unless a fresh token came); check it again every so
        often, so that a revoked session ends within REALTIME recheck time."""
        client = self.client
        while client.closing is None:
            identity = client.identity
            if identity is None or identity.token is None:
                self.auth_changed.clear()
                await self.auth_changed.wait()
                continue
            exp = identity.exp or time.time() + self.cfg.recheck_seconds
            wait = min(exp - time.time(), self.cfg.recheck_seconds)
            self.auth_changed.clear()
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self.auth_changed.wait()
                        continue
            if client.identity is not identity:
                continue
            if identity.exp is not None and identity.exp <= time.time():
                client.offer(
                    error("token_expired", "the access token has expired; send a fresh one")
                )
                client.close(CLOSE_AUTH, "token_expired")
                return
            try:
                await self.hub.verify(identity.token)
            except Fatal as exc:
                if exc.close_code == CLOSE_AUTH:
                    client.offer(error(exc.code, exc.message))
                    client.close(CLOSE_AUTH, exc.code)
                    return


def encode(frame: dict[str, Any]) -> str:
    return json.dumps(frame, separators=(",", ":"), default=str)


def event_frame(channel: str, event_id: int, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": "event", "channel": channel, "id": event_id, "event": kind, "data": data}


def audience_query(
    group: dict[tuple[str, str | None], dict[Client, Subscription]], ids: list[int]
) -> tuple[sql.Composed, tuple[Any, ...]]:
    """The read of ``ids`` for one identity, narrowed to what its subscriptions could take
    (their channels' kinds; their providers when every one names a provider). A narrowing
    only: row-level security still decides every row under the subscriber's claims."""
    kinds = sorted({kind for channel, _ in group for kind in CHANNELS[channel]})
    where: sql.Composable = sql.SQL(" where e.id = any(%s::bigint[]) and e.kind = any(%s::text[])")
    params: tuple[Any, ...] = (ids, kinds)
    providers = sorted({p for _, p in group if p is not None})
    if all(p is not None for _, p in group):
        where += sql.SQL(" and e.provider_id = any(%s::uuid[])")
        params += (providers,)
    return EVENT_COLUMNS + where + sql.SQL(" order by e.id"), params


def fan_out(
    group: dict[tuple[str, str | None], dict[Client, Subscription]], rows: list[dict[str, Any]]
) -> None:
    """Each row to the subscriptions filed under its channel and provider (and under its
    channel for every provider), once per client, its frame encoded once for all."""
    for row in rows:
        kind, data = row["kind"], row["data"]
        channel = KIND_CHANNEL.get(kind)
        if channel is None:
            continue
        provider = data.get("provider_id")
        specific = group.get((channel, provider)) if provider is not None else None
        general = group.get((channel, None))
        if not specific and not general:
            continue
        event_id = int(row["id"])
        text = encode(event_frame(channel, event_id, kind, data))
        if specific:
            for client, sub in specific.items():
                if client.closing is not None:
                    continue
                if general and not sub.replaying:
                    # subscribed to this provider and to all: once, through the one
                    # replaying if either is (its replay keeps the order)
                    other = general.get(client)
                    if other is not None and other.replaying:
                        sub = other
                client.deliver(sub, event_id, kind, data, text)
        if general:
            for client, sub in general.items():
                if client.closing is not None or (specific and client in specific):
                    continue
                client.deliver(sub, event_id, kind, data, text)


def error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}


def subscription_key(frame: dict[str, Any]) -> str:
    provider_id = frame.get("provider_id")
    return f"{frame.get('channel')}:{str(provider_id).lower() if provider_id else '*'}"


def is_uuid(text: str) -> bool:
    import uuid

    try:
        uuid.UUID(text)
        return True
    except ValueError:
        return False


def client_address(ws: ServerConnection) -> str:
    """The client's address: nginx's X-Real-IP when the peer is the local gateway."""
    peer = ws.remote_address[0] if ws.remote_address else "unknown"
    real = ws.request.headers.get("X-Real-IP") if ws.request else None
    if real and peer in ("127.0.0.1", "::1"):
        return str(real)
    return str(peer)


class Service:
    def __init__(self, cfg: Settings) -> None:
        self.cfg = cfg
        self.hub = Hub(cfg)

    def health(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.path == "/healthz":
            ok = self.hub.alive
            status = HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE
            return connection.respond(status, "ok\n" if ok else "not polling the event log\n")
        if request.path.split("?")[0] != PATH:
            return connection.respond(HTTPStatus.NOT_FOUND, "the real-time endpoint is /realtime\n")
        if "?" in request.path:
            return connection.respond(
                HTTPStatus.BAD_REQUEST, "no query string: send the token in the auth frame\n"
            )
        return None

    async def handle(self, ws: ServerConnection) -> None:
        client = Client(ws, client_address(ws), self.cfg.queue_size)
        sock = ws.transport.get_extra_info("socket")
        if sock is not None:
            # a small kernel buffer: a client that stops reading fills its queue soon,
            # instead of parking megabytes in the kernel first
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
        try:
            self.hub.admit(client)
        except Fatal as exc:
            with contextlib.suppress(Exception):
                await ws.send(json.dumps(error(exc.code, exc.message)))
                await ws.close(exc.close_code, exc.code)
            return
        try:
            await Session(self.hub, client).run()
        finally:
            self.hub.leave(client)

    async def run(self, stop: asyncio.Event) -> None:
        await self.hub.pool.open(wait=False)
        tasks = [
            asyncio.create_task(self.hub.poll_forever()),
            asyncio.create_task(self.hub.release_forever()),
        ]
        async with serve(
            self.handle,
            self.cfg.host,
            self.cfg.port,
            process_request=self.health,
            ping_interval=self.cfg.ping_seconds,
            ping_timeout=self.cfg.ping_seconds,
            max_size=self.cfg.max_message_bytes,
            max_queue=4,
            write_limit=2**16,
            close_timeout=2,
            # no permessage-deflate: compressing every frame once per client costs CPU
            # on each fan-out, and it would hide a stalled reader behind small frames
            compression=None,
        ):
            log.info("real-time service on ws://%s:%s%s", self.cfg.host, self.cfg.port, PATH)
            await stop.wait()
        for task in tasks:
            task.cancel()
        await self.hub.pool.close()


def main(argv: Iterable[str] = ()) -> int:
    parser = argparse.ArgumentParser(prog="python -m realtime", description=__doc__)
    parser.parse_args(list(argv))
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        cfg = settings_mod.load()
    except settings_mod.ConfigError as exc:
        log.error("%s", exc)
        return 2

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await Service(cfg).run(stop)

    asyncio.run(run())
    return 0
