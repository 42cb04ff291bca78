"""The real-time service under load, and what the event log costs confirm.

On the smallest ``--sizes`` dataset, the service (`python -m realtime`) behind nginx's
``/realtime``, with the per-address caps lifted (nginx's ``limit_conn``, the service's
own) and nginx's worker raised to hold every connection twice (client and upstream);
this process lifts its own file limit (``RLIMIT_NOFILE``) as far as the hard limit.

- **fan-out, N clients** (``--clients``, default 1,000 and 5,000): N WebSocket
  clients (the ``websockets`` library; one asyncio loop in each of ``CLIENT_PROCESSES``
  child processes, so that neither the confirming thread nor the measured service
  shares a Python process, a GIL, with the clients' loop) connect
  through nginx, authenticate anonymously and each subscribe to the availability of
  one of the providers the sample books (round robin; up to 10 each when there are
  more providers than clients). Then bookings are confirmed at
  a steady ``RATE`` a second (``api.confirm_booking`` as PostgREST calls it, from one
  thread); each commit writes an ``availability_changed`` event, which the service
  delivers to that provider's subscribers. Latency is from the moment the confirm's
  commit returned to the moment a client read the event (same machine, same clock);
  throughput is deliveries a second; ``extra``: the clients, the events, the
  deliveries expected and missing, the service's resident memory per connection
  (RSS after connecting minus before, ÷ N), and its CPU per delivery.
- **confirm with and without the event log**: the confirm scenario's pgbench path
  (``api.confirm_booking`` on distinct slots), once as deployed and once with the
  bookings' event triggers disabled, interleaved; the ratio's target is 0.95.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import resource
import statistics
import time
from multiprocessing.connection import Connection
from typing import Any

import psycopg
from websockets.asyncio.client import ClientConnection, connect

from bench.env import BenchEnv
from bench.model import Context, Plan, Ratio, Sample, Variant
from bench.scenarios.confirm import (
    _claims,
    _Offers,
    direct_sample,
    lift_hold_limit,
    make_pool,
    sweep,
)
from bench.tools import cpu_seconds, machine_ticks

RATE = 100.0  # confirms a second during a fan-out sample (the target load)
SETTLE = 5.0  # seconds to wait for the last deliveries (the service holds a gap up to 2 s)
OPENING = 200  # connections opened at once (per client process)
CLIENT_PROCESSES = 2  # processes the clients are spread over (the machine's cores)
WITH_LOG = "confirm (pgbench), event log on"
WITHOUT_LOG = "confirm (pgbench), event log off"
EVENT_TRIGGERS = ("_500_event_created", "_500_event_changed")


def lift_file_limit() -> int:
    """The soft limit on open files raised to the hard one: the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else 1_048_576
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


def rss_kb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return float(line.split()[1])
    return 0.0


def set_event_log(url: str, on: bool) -> None:
    verb = "enable" if on else "disable"
    with psycopg.connect(url, autocommit=True) as conn:
        for trigger in EVENT_TRIGGERS:
            conn.execute(f"alter table app.bookings {verb} trigger {trigger}")


class _Subscriber:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.received: dict[int, float] = {}  # event id -> wall clock at receipt
        self.task: asyncio.Task[None] | None = None

    async def read(self) -> None:
        try:
            async for raw in self.ws:
                at = time.time()
                frame = json.loads(raw)
                if frame.get("type") == "event":
                    self.received[int(frame["id"])] = at
        except Exception:
            return


def subscriptions(i: int, clients: int, providers: list[str]) -> list[str]:
    """Client ``i``'s providers: one each while there are more clients than providers,
    else every ``clients``-th from its own (at most 10, the service's limit): every
    provider booked has a subscriber when it can."""
    per = max(1, min(10, -(-len(providers) // clients)))
    return sorted({providers[(i + k * clients) % len(providers)] for k in range(per)})


async def _open(url: str, provider_ids: list[str]) -> _Subscriber:
    ws = await connect(url, open_timeout=60, max_size=2**20, ping_interval=None)
    await ws.send(json.dumps({"type": "auth", "token": None}))
    ready = json.loads(await ws.recv())
    if ready.get("type") != "ready":
        raise RuntimeError(f"auth answered {ready}")
    for provider in provider_ids:
        await ws.send(
            json.dumps({"type": "subscribe", "channel": "availability", "provider_id": provider})
        )
        reply = json.loads(await ws.recv())
        if reply.get("type") != "subscribed":
            raise RuntimeError(f"subscribe answered {reply}")
    return _Subscriber(ws)


def _clients_process(pipe: Connection, ws_url: str, plan: list[tuple[int, list[str]]]) -> None:
    """A child process: open ``plan``'s clients (index, providers), answer "ready"; read
    events from "go" to "stop"; answer {index: {event id: wall clock at receipt}}."""
    lift_file_limit()

    async def main() -> dict[int, dict[int, float]]:
        gate = asyncio.Semaphore(OPENING)

        async def one(providers: list[str]) -> _Subscriber:
            async with gate:
                return await _open(ws_url, providers)

        subs = await asyncio.gather(*(one(p) for _, p in plan))
        pipe.send("ready")
        if await asyncio.to_thread(pipe.recv) != "go":
            return {}
        for s in subs:
            s.task = asyncio.ensure_future(s.read())
        await asyncio.to_thread(pipe.recv)  # "stop"
        for s in subs:
            await s.ws.close()
        await asyncio.gather(*(s.task for s in subs if s.task))
        return {i: s.received for (i, _), s in zip(plan, subs, strict=True)}

    try:
        pipe.send(asyncio.run(main()))
    except Exception as exc:
        pipe.send(f"{type(exc).__name__}: {exc}")
    finally:
        pipe.close()


def _confirm_at_rate(
    url: str,
    claims: list[str],
    batch: list[tuple[int, str, str]],
    rate: float,
    committed: dict[str, float],
) -> int:
    """Confirm ``batch`` at ``rate`` a second; booking id -> wall clock when its commit returned."""
    failed = 0
    start = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        for n, (w, quote, provider) in enumerate(batch):
            wait = start + n / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                with conn.transaction():
                    conn.execute(
                        "select set_config('role', 'customer', true), "
                        "set_config('request.jwt.claims', %s, true)",
                        (claims[w],),
                    )
                    row = conn.execute(
                        "select api.confirm_booking(%s, %s) ->> 'id'", (quote, provider)
                    ).fetchone()
                committed[str(row[0]) if row else ""] = time.time()
            except psycopg.Error:
                failed += 1
    return failed


def fan_out_sample(
    env: BenchEnv,
    url: str,
    clients: int,
    claims: list[str],
    batch: list[tuple[int, str, str]],
    capacity: int,
) -> Sample:
    """One sample of ``clients`` subscribers; ``capacity``: the most clients of the run
    (nginx is started once, sized for it)."""
    api = env.realtime_api_for(url, capacity)
    assert api.realtime is not None and api.realtime.process is not None
    pid = api.realtime.process.pid
    ws_url = api.url.replace("http://", "ws://") + "/realtime"
    providers = sorted({p for _, _, p in batch})
    with psycopg.connect(url) as conn:
        mark_row = conn.execute("select coalesce(max(id), 0) from app.events").fetchone()
    mark = int(mark_row[0]) if mark_row else 0

    cpu: dict[str, float] = {}

    def run() -> tuple[list[dict[int, float]], dict[str, float], float, float, int]:
        before = rss_kb(pid)
        ctx = multiprocessing.get_context("spawn")
        shares = [list(range(k, clients, CLIENT_PROCESSES)) for k in range(CLIENT_PROCESSES)]
        pipes: list[Connection] = []
        children = []
        try:
            for share in shares:
                mine, theirs = ctx.Pipe()
                plan = [(i, subscriptions(i, clients, providers)) for i in share]
                child = ctx.Process(target=_clients_process, args=(theirs, ws_url, plan))
                child.start()
                theirs.close()
                pipes.append(mine)
                children.append(child)
            for pipe in pipes:
                ready = pipe.recv()
                if ready != "ready":
                    raise RuntimeError(f"a client process failed: {ready}")
            time.sleep(1)
            after = rss_kb(pid)
            for pipe in pipes:
                pipe.send("go")
            committed: dict[str, float] = {}
            # the service's CPU while it fans out (not while clients connect)
            cpu["before"] = cpu_seconds(pid)
            busy, total = machine_ticks()
            failed = _confirm_at_rate(url, claims, batch, RATE, committed)
            time.sleep(SETTLE)
            cpu["seconds"] = cpu_seconds(pid) - cpu["before"]
            busy_after, total_after = machine_ticks()
            cpu["busy_pct"] = 100 * (busy_after - busy) / max(total_after - total, 1)
            received: dict[int, dict[int, float]] = {}
            for pipe in pipes:
                pipe.send("stop")
            for pipe in pipes:
                got = pipe.recv()
                if not isinstance(got, dict):
                    raise RuntimeError(f"a client process failed: {got}")
                received.update(got)
        finally:
            for child in children:
                child.join(timeout=60)
                if child.is_alive():
                    child.kill()
        return [received.get(i, {}) for i in range(clients)], committed, before, after, failed

    def sample() -> Sample:
        started = time.monotonic()
        subs, committed, before, after, failed = run()
        seconds = time.monotonic() - started
        with psycopg.connect(url) as conn:
            rows = conn.execute(
                "select e.id, e.provider_id::text, b.id::text from app.events as e "
                "join app.bookings as b on b.provider_id = e.provider_id and b.blocked = e.during "
                "where e.id > %s and e.kind = 'availability_changed' and b.id = any(%s::uuid[])",
                (mark, list(committed)),
            ).fetchall()
        event_booking = {int(r[0]): (r[1], r[2]) for r in rows}
        latencies: list[float] = []
        expected = delivered = 0
        for i, s in enumerate(subs):
            mine = set(subscriptions(i, clients, providers))
            for event_id, (provider, booking) in event_booking.items():
                if provider not in mine:
                    continue
                expected += 1
                got = s.get(event_id)
                if got is not None:
                    delivered += 1
                    latencies.append((got - committed[booking]) * 1000)
        latencies.sort()
        q = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else latencies * 99
        return Sample(
            requests=delivered,
            seconds=seconds,
            throughput=delivered / (len(batch) / RATE) if batch else 0.0,
            mean_ms=statistics.fmean(latencies) if latencies else None,
            p50_ms=q[49] if q else None,
            p99_ms=q[98] if q else None,
            max_ms=latencies[-1] if latencies else None,
            errors=expected - delivered + failed,
            extra={
                "clients": float(clients),
                "events": float(len(event_booking)),
                "confirms_failed": float(failed),
                "deliveries_expected": float(expected),
                "deliveries_missing": float(expected - delivered),
                "rss_before_mb": before / 1024,
                "rss_after_mb": after / 1024,
                "rss_per_connection_kb": (after - before) / clients,
                "realtime_cpu_ms_per_delivery": cpu["seconds"] * 1000 / max(delivered, 1),
                "machine_busy_pct": cpu["busy_pct"],
            },
            command=f"{clients} websockets clients via nginx /realtime, confirms at {RATE:g}/s",
        )

    return sample()


class Realtime:
    name = "realtime"
    title = (
        "WebSocket fan-out (N clients through nginx): delivery latency, memory; confirm ± event log"
    )

    def plan(self, ctx: Context) -> Plan:
        env = ctx.env
        lift_file_limit()
        url = env.dataset(min(ctx.options.sizes))
        lift_hold_limit(url)
        make_pool(url)
        accounts = env.accounts_of(url)
        _, claims = _claims(env, accounts)
        offers = _Offers(url, claims)
        customers = [a.id for a in accounts]
        c = min(ctx.options.concurrency)
        set_event_log(url, True)

        def fan_out(clients: int) -> Any:
            def measure(duration: float) -> Sample:
                batch = offers.take(max(10, int(RATE * duration)))
                sweep(url, customers)
                return fan_out_sample(env, url, clients, claims, batch, max(ctx.options.clients))

            return measure

        # the two confirm variants share each batch of offers half and half (alternate
        # offers: the same customers, neighbourhoods and days), so that neither uses
        # up the slots of a small dataset before the other runs
        pending: dict[bool, list[tuple[int, str, str]]] = {}

        def confirm(on: bool) -> Any:
            def measure(duration: float) -> Sample:
                if on not in pending:
                    both = offers.take(2 * max(1500, int(1.6 * 1000 * duration)))
                    pending[True], pending[False] = both[0::2], both[1::2]
                batch = pending.pop(on)
                sweep(url, customers)
                set_event_log(url, on)
                try:
                    return direct_sample(env, url, claims, batch, c, duration)
                finally:
                    set_event_log(url, True)

            return measure

        variants = [
            Variant(
                f"fan-out to {n} clients",
                n,
                fan_out(n),
                unit="deliveries/s",
                series="fan-out",
                label=f"{n} clients",
                note=f"confirms at {RATE:g}/s, latency commit → client",
                p99_target_ms=100.0,
            )
            for n in ctx.options.clients
        ]
        variants += [
            Variant(WITH_LOG, c, confirm(True), unit="tx/s"),
            Variant(WITHOUT_LOG, c, confirm(False), unit="tx/s"),
        ]
        return Plan(
            variants,
            [Ratio("confirm with ÷ without the event log", (WITH_LOG, c), (WITHOUT_LOG, c), 0.95)],
        )
