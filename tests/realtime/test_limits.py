"""Tokens (bad, expired, revoked, refreshed), malformed and oversize frames, the
per-token and per-connection limits, and a slow consumer: each hits only its own
connection."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import psycopg
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.helpers import stack
from tests.helpers.auth import mint
from tests.helpers.factories import create_user
from tests.helpers.realtime import Client


async def closed_with(c: Client, timeout: float = 30) -> tuple[int | None, str, list[Any]]:
    """Read until the server closes: (code, reason, the frames read before)."""
    frames = []
    try:
        async with asyncio.timeout(timeout):
            while True:
                frames.append(json.loads(await c.ws.recv()))
    except ConnectionClosed as exc:
        rcvd = exc.rcvd
        return (rcvd.code if rcvd else None), (rcvd.reason if rcvd else ""), frames
    raise AssertionError("not closed")


async def still_alive(c: Client) -> None:
    assert (await c.request({"type": "ping"}))["type"] == "pong"


@pytest.mark.parametrize(
    ("why", "token"),
    [
        ("garbage", "not-a-jwt"),
        ("wrong secret", mint("customer", secret="x" * 40)),
        ("expired", mint("customer", exp=int(time.time()) - 10)),
        ("no exp", mint("customer", omit=("exp",))),
        ("no session", mint("customer", omit=("sid",))),
        ("wrong audience", mint("customer", aud="someone-else")),
        ("unknown role", mint("authenticator")),
        ("alg none", "eyJhbGciOiJub25lIn0.eyJyb2xlIjoib3BzIn0."),
    ],
)
def test_a_bad_token_gets_an_error_and_a_close(rt_url: str, why: str, token: str) -> None:
    async def run() -> None:
        c = await Client.open(rt_url, auth=False)
        await c.send({"type": "auth", "token": token})
        code, reason, frames = await closed_with(c)
        assert frames and frames[-1]["type"] == "error" and frames[-1]["code"] == "invalid_token"
        assert code == 4001, (why, code, reason)

    asyncio.run(run())


def test_a_token_in_the_url_is_refused(rt_url: str) -> None:
    async def run() -> None:
        with pytest.raises(InvalidStatus) as info:
            await Client.open(rt_url + "?token=" + mint("customer"), auth=False)
        assert info.value.response.status_code == 400

    asyncio.run(run())


def test_an_expiring_token_closes_the_stream_and_a_fresh_one_keeps_it(rt_url: str) -> None:
    me = uuid.uuid4()

    async def run() -> None:
        soon = int(time.time()) + 3
        lapsing = await Client.open(rt_url, mint("customer", me, exp=soon))
        refreshed = await Client.open(rt_url, mint("customer", me, exp=soon))
        await lapsing.subscribe("bookings")
        await refreshed.subscribe("bookings")
        ready = await refreshed.request({"type": "auth", "token": mint("customer", me)})
        assert ready["type"] == "ready"
        other = await refreshed.request({"type": "auth", "token": mint("customer")})
        assert other["code"] == "identity_changed"  # and that connection closes
        again = await Client.open(rt_url, mint("customer", me, exp=soon))
        await again.request({"type": "auth", "token": mint("customer", me)})
        code, _, frames = await closed_with(lapsing, timeout=15)
        assert code == 4001 and frames[-1]["code"] == "token_expired"
        await asyncio.sleep(max(0, soon - time.time()) + 1)
        await still_alive(again)
        await again.close()

    asyncio.run(run())


def test_a_revoked_session_is_refused_and_its_streams_end(
    rt_url: str, admin: psycopg.Connection[Any]
) -> None:
    user = create_user(admin, "customer")
    row = admin.execute("select auth.issue_session(%s)", (user,)).fetchone()
    assert row is not None
    token = row[0]["access_token"]

    async def run() -> None:
        c = await Client.open(rt_url, token)
        await c.subscribe("notifications")
        admin.execute("select auth.revoke_sessions(%s, 'test')", (user,))
        code, _, frames = await closed_with(c, timeout=20)
        assert code == 4001 and frames[-1]["code"] == "invalid_token"
        late = await Client.open(rt_url, auth=False)
        await late.send({"type": "auth", "token": token})
        code, _, frames = await closed_with(late)
        assert code == 4001 and "session" in frames[-1]["message"]

    asyncio.run(run())


def test_bad_frames_get_errors_and_the_connection_stays(rt_url: str) -> None:
    async def run() -> None:
        c = await Client.open(rt_url, auth=False)
        first = await c.request({"type": "subscribe", "channel": "availability"})
        assert first["code"] == "not_authenticated"
        await c.send({"type": "auth", "token": None})
        assert (await c.next_frame())["type"] == "ready"
        for bad, code in [
            ("not json", "bad_frame"),
            ("[1, 2]", "bad_frame"),
            ('{"no": "type"}', "bad_frame"),
            ('{"type": "launch"}', "bad_frame"),
            ('{"type": "subscribe", "channel": "everything"}', "bad_channel"),
            ('{"type": "subscribe", "channel": "availability", "provider_id": "x"}', "bad_frame"),
            ('{"type": "subscribe", "channel": "availability", "after": "yesterday"}', "bad_frame"),
            ('{"type": "unsubscribe", "channel": "bookings"}', "not_subscribed"),
        ]:
            await c.send(bad)
            reply = await c.next_frame()
            assert reply["type"] == "error" and reply["code"] == code, (bad, reply)
        await c.ws.send(b"\x00\x01binary")
        assert (await c.next_frame())["code"] == "bad_frame"
        await still_alive(c)
        await c.close()

    asyncio.run(run())


def test_a_thousand_bad_frames_in_a_row_close_only_that_client(rt_url: str) -> None:
    async def run() -> None:
        bystander = await Client.open(rt_url, None)
        noisy = await Client.open(rt_url, None)
        for _ in range(999):
            await noisy.send("{")
            assert (await noisy.next_frame())["code"] == "bad_frame"
        await still_alive(noisy)  # a good frame resets the count
        for _ in range(999):
            await noisy.send("{")
            assert (await noisy.next_frame())["code"] == "bad_frame"
        await noisy.send("{")
        code, reason, frames = await closed_with(noisy)
        assert code == 1008, (code, reason)
        assert [f["code"] for f in frames] == ["bad_frame"]
        await still_alive(bystander)
        await bystander.close()

    asyncio.run(run())


def test_an_oversize_frame_closes_only_that_client(rt_url: str) -> None:
    async def run() -> None:
        bystander = await Client.open(rt_url, None)
        big = await Client.open(rt_url, None)
        await big.send({"type": "ping", "pad": "x" * 10_000})
        code, _, _ = await closed_with(big)
        assert code == 1009
        await still_alive(bystander)
        await bystander.close()

    asyncio.run(run())


def test_connections_per_token_and_subscriptions_per_connection(rt_url: str) -> None:
    token = mint("customer")

    async def run() -> None:
        five = [await Client.open(rt_url, token) for _ in range(5)]
        sixth = await Client.open(rt_url, auth=False)
        await sixth.send({"type": "auth", "token": token})
        code, _, frames = await closed_with(sixth)
        assert code == 4029 and frames[-1]["code"] == "too_many_connections"
        await five[0].close()
        await asyncio.sleep(0.3)
        replacement = await Client.open(rt_url, token)  # a slot was freed
        c = five[1]
        for _ in range(10):
            await c.subscribe("availability", provider_id=str(uuid.uuid4()))
        over = await c.request(
            {"type": "subscribe", "channel": "availability", "provider_id": str(uuid.uuid4())}
        )
        assert over["code"] == "too_many_subscriptions"
        for other in [*five[1:], replacement]:
            await other.close()

    asyncio.run(run())


def test_a_client_that_never_reads_is_dropped_and_delays_nobody(
    rt_api: stack.PostgREST, rt_url: str, admin: psycopg.Connection[Any]
) -> None:
    assert rt_api.realtime is not None
    provider = uuid.uuid4()
    count = 3000

    async def run() -> None:
        # straight to the service, with a tiny receive buffer: nginx's buffers would
        # otherwise hide the stall for a while (the service's own are 64 KiB)
        slow = await Client.open(rt_api.realtime.direct_url, None, rcvbuf=4096)
        await slow.subscribe("availability", provider_id=str(provider))
        fast = [await Client.open(rt_url, None) for _ in range(3)]
        for c in fast:
            await c.subscribe("availability", provider_id=str(provider))
        started = time.monotonic()
        admin.execute(
            "select internal.append_event('availability_changed', null, %s, null, null,"
            " tstzrange(now() + make_interval(days => 1, mins => n), now() + interval '5 days'), '{}')"
            " from generate_series(1, %s) as n",
            (provider, count),
        )
        await asyncio.gather(*(c.collect(lambda ev: len(ev) >= count, 60) for c in fast))
        took = time.monotonic() - started
        for c in fast:
            assert len(c.ids()) == count and c.ids() == sorted(c.ids())
        print(
            f"\n{count} events reached 3 readers in {took:.2f} s beside a client that never reads"
        )
        # the slow one: dropped; whatever it gets now ends with the close
        try:
            code, reason, _ = await closed_with(slow, timeout=30)
        except AssertionError:
            raise AssertionError("the slow client was never disconnected") from None
        assert code in (4009, None), (code, reason)
        assert "4009 slow_consumer" in rt_api.realtime.log_text()
        for c in fast:
            await c.close()

    asyncio.run(run())
