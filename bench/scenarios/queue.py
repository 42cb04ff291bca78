"""The outbox: raw pgmq against the worker, and what consumed messages do to a queue.

* raw read+archive: pgbench calling ``pgmq.read`` then ``pgmq.archive`` of what it
  read, at batch 1, 10 and 50 — the limit the worker can approach;
* the worker with a no-op handler (a real ``python -m worker`` process, batch 50):
  messages per second from its first archive to its last, ÷ raw read+archive at
  batch 50 (target ≥ 0.80); the no-op is batched (``batch=True``: up to 50 messages
  and their archive in one transaction); the same no-op registered without it (one
  transaction per message, as the Stripe and email handlers run) is measured too;
* the same raw read+archive after 500,000 consumed messages left dead rows behind
  (target ≥ 0.80 of the fresh figure; autovacuum is tuned on the queue tables);
* the worker with 10% failing handlers (half succeed on the retry, half are
  dead-lettered after 3 attempts), and the worker making one PaymentIntent at
  localstripe per message (÷ no-op, no target: they show what retries and a
  Stripe call cost);
* wake-up latency: single messages enqueued (``internal.enqueue``, which sends no
  NOTIFY) while the worker idles, probing its queues every 50 ms (``--poll-ms``, its
  default) with its full read 30 s away, and behind a backlog of queued messages;
  enqueue-to-archive p50/p99.

Throughput is counted from the archive (rows that really moved), never from
pgbench's transaction count, which would also count reads of an empty queue.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

import httpx
import psycopg

from bench.model import Context, Plan, Ratio, Sample, Variant
from bench.tools import pgbench, shown
from bookiji import config, services
from bookiji.config import ROOT

QUEUE = "bench_q"
RAW = "raw read+archive"
WORKER = "worker, no-op handler"
SINGLE = "worker, no-op handler not batched"
AFTER = "raw read+archive after 500k consumed"
WAKE = "enqueue -> archived, idle worker"
FLAKY = "worker, 10% failing (retries, dead letters)"
STRIPE = "worker, a PaymentIntent at localstripe each"
BACKLOG = "enqueue -> archived, behind a backlog"


def _admin(url: str) -> psycopg.Connection[tuple[Any, ...]]:
    return psycopg.connect(url, autocommit=True)


def _reset(url: str) -> None:
    with _admin(url) as conn:
        if not conn.execute("select 1 from pgmq.meta where queue_name = %s", (QUEUE,)).fetchone():
            conn.execute("select pgmq.create(%s)", (QUEUE,))
        # the same autovacuum settings as the real queues (migrations 20261124000002
        # and 20261203080100)
        conn.execute(
            "alter table pgmq.q_bench_q set (autovacuum_vacuum_scale_factor = 0.0, "
            "autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_cost_limit = 2000, "
            "autovacuum_vacuum_cost_delay = 0)"
        )
        # pgmq.create is a no-op for a queue that exists
        conn.execute("select pgmq.create(%s)", (f"{QUEUE}_dlq",))
        conn.execute(
            "grant select, insert, update, delete on pgmq.q_bench_q, pgmq.a_bench_q, "
            "pgmq.q_bench_q_dlq, pgmq.a_bench_q_dlq to bookiji_worker"
        )
        conn.execute("select pgmq.purge_queue(%s)", (QUEUE,))
        conn.execute("truncate pgmq.a_bench_q")
        conn.execute("vacuum analyze pgmq.q_bench_q")


def _fill(url: str, n: int, kind: str = "bench.noop") -> None:
    with _admin(url) as conn:
        left = n
        while left > 0:
            k = min(left, 50_000)
            conn.execute(
                "select pgmq.send_batch(%s, array(select jsonb_build_object('type', %s::text) "
                "from generate_series(1, %s)))",
                (QUEUE, kind, k),
            )
            left -= k


def _archived(url: str) -> tuple[int, float | None]:
    with _admin(url) as conn:
        row = conn.execute(
            "select count(*), extract(epoch from max(archived_at) - min(archived_at)) from pgmq.a_bench_q"
        ).fetchone()
    assert row is not None
    return int(row[0]), (float(row[1]) if row[1] is not None else None)


# messages per second of sample to queue beforehand: about twice what raw
# read+archive reaches at each batch size here (1,200, 9,000 and 28,000 a second)
FILL_PER_SECOND = {1: 4_000, 10: 20_000, 50: 60_000}


def _raw(url: str, batch: int, clients: int, duration: float) -> Sample:
    _reset(url)
    _fill(url, int(FILL_PER_SECOND[batch] * max(1.0, duration)))  # more than can be read
    script = f"select pgmq.archive('{QUEUE}', array(select msg_id from pgmq.read('{QUEUE}', 30, {batch})));\n"
    s = pgbench(url, clients=clients, duration=duration, script=script)
    moved, _ = _archived(url)
    return Sample(
        requests=moved,
        seconds=s.seconds,
        throughput=moved / s.seconds,
        mean_ms=s.mean_ms,
        command=s.command,
    )


def _worker_env(settings: config.Settings, url: str, **extra: str) -> dict[str, str]:
    dbname = config.dbname_of(url)
    return dict(
        os.environ,
        # the benchmark database's server, whichever it is (--database-url)
        WORKER_DATABASE_URL=config.with_credentials(
            url, "bookiji_worker", settings.worker_db_password, dbname
        ),
        PYTHONUNBUFFERED="1",
        **extra,
    )


def _worker_cmd(queue: str, *options: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "worker",
        "--queues",
        queue,
        "--import",
        "bench.noop",
        "--metrics-port",
        "0",
        "--sweep-interval",
        "0",
        "--log-level",
        "WARNING",
        *options,
    ]


def _worker(settings: config.Settings, url: str, n: int, kind: str = "bench.noop") -> Sample:
    _reset(url)
    _fill(url, n, kind)
    cmd = _worker_cmd(QUEUE, "--batch-size", "50", "--concurrency", "4", "--once")
    started = time.monotonic()
    subprocess.run(
        cmd, cwd=ROOT, env=_worker_env(settings, url), check=True, capture_output=True, timeout=300
    )
    elapsed = time.monotonic() - started
    moved, span = _archived(url)
    seconds = span if span and span > 0 else elapsed
    return Sample(
        requests=moved,
        seconds=seconds,
        throughput=moved / seconds,
        errors=n - moved,
        command=shown(cmd),
    )


def _send(url: str, queue: str, bodies: list[str]) -> None:
    with _admin(url) as conn:
        for i in range(0, len(bodies), 50_000):
            conn.execute("select pgmq.send_batch(%s, %s::jsonb[])", (queue, bodies[i : i + 50_000]))


def _wait_archived(url: str, n: int, timeout: float, worker: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while _archived(url)[0] < n and time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited ({worker.returncode}) before the queue drained")
        time.sleep(0.1)


def _flaky(settings: config.Settings, url: str, n: int) -> Sample:
    """10% of the messages fail: half once (the retry succeeds), half on every attempt
    (dead-lettered after 3). Throughput counts every message settled either way."""
    _reset(url)
    with _admin(url) as conn:
        conn.execute("select pgmq.purge_queue(%s)", (f"{QUEUE}_dlq",))
    bodies = [
        json.dumps({"type": "bench.flaky", "fail": "once" if i % 20 == 0 else "always"})
        if i % 10 == 0
        else '{"type": "bench.flaky"}'
        for i in range(n)
    ]
    _send(url, QUEUE, bodies)
    cmd = _worker_cmd(
        QUEUE,
        *("--batch-size", "50", "--concurrency", "4", "--poll", "0.05"),
        *("--max-attempts", "3", "--retry-base", "0.05", "--retry-cap", "0.2"),
    )
    proc = _start_worker(settings, url, cmd)
    try:
        _wait_archived(url, n, 300, proc)
    finally:
        proc.terminate()
        proc.wait(60)
    moved, span = _archived(url)
    with _admin(url) as conn:
        row = conn.execute(
            f"select (select count(*) from pgmq.q_{QUEUE}_dlq), "
            f"(select count(*) from pgmq.a_{QUEUE} where read_ct > 1)"
        ).fetchone()
    assert row is not None
    dead, retried = int(row[0]), int(row[1])
    seconds = span if span and span > 0 else 1.0
    return Sample(
        requests=moved,
        seconds=seconds,
        throughput=moved / seconds,
        errors=n - moved,
        extra={"dead_letters": dead, "retried": retried, "expected_dead": n // 20},
        command=shown(cmd),
    )


def _start_worker(settings: config.Settings, url: str, cmd: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=_worker_env(settings, url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stripe(settings: config.Settings, url: str, n: int) -> Sample:
    """One PaymentIntent per message at localstripe: the worker as the payments queue
    uses it (the fake answers in a few ms; real Stripe takes a few hundred)."""
    _reset(url)
    _send(url, QUEUE, ['{"type": "bench.stripe"}'] * n)
    with services.localstripe_process() as stripe_url:
        cmd = _worker_cmd(QUEUE, "--batch-size", "50", "--concurrency", "4", "--once")
        env = _worker_env(settings, url, STRIPE_API_BASE=stripe_url)
        started = time.monotonic()
        subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
        elapsed = time.monotonic() - started
        made = httpx.get(
            f"{stripe_url}/v1/payment_intents",
            params={"limit": 1},
            headers={"Authorization": f"Bearer {settings.stripe_secret_key}"},
        )
    moved, span = _archived(url)
    seconds = span if span and span > 0 else elapsed
    return Sample(
        requests=moved,
        seconds=seconds,
        throughput=moved / seconds,
        errors=n - moved + (0 if made.status_code == 200 else 1),
        command=shown(cmd),
    )


def _consume_500k(url: str) -> None:
    _reset(url)
    with _admin(url) as conn:
        for _ in range(10):
            conn.execute(
                'select pgmq.send_batch(%s, array(select \'{"type": "bench.noop"}\'::jsonb '
                "from generate_series(1, 50000)))",
                (QUEUE,),
            )
            conn.execute(
                "select pgmq.archive(%s, array(select msg_id from pgmq.q_bench_q))", (QUEUE,)
            )


def _after(url: str, batch: int, clients: int, duration: float) -> Sample:
    # read+archive on a queue whose table holds the dead rows of 500k consumed messages
    _consume_500k(url)
    with _admin(url) as conn:
        conn.execute("truncate pgmq.a_bench_q")
    _fill(url, int(FILL_PER_SECOND[batch] * max(1.0, duration)))
    script = f"select pgmq.archive('{QUEUE}', array(select msg_id from pgmq.read('{QUEUE}', 30, {batch})));\n"
    s = pgbench(url, clients=clients, duration=duration, script=script)
    moved, _ = _archived(url)
    return Sample(
        requests=moved, seconds=s.seconds, throughput=moved / s.seconds, command=s.command
    )


def _wake(settings: config.Settings, url: str, messages: int, backlog: int = 0) -> Sample:
    """enqueue-to-archive latency of single messages sent to the worker: idle (its probe
    finds them, its full read is 30 s away), or behind ``backlog`` queued messages."""
    with _admin(url) as conn:
        conn.execute("select pgmq.purge_queue('notifications')")
    if backlog:
        _send(url, "notifications", ['{"type": "bench.noop"}'] * backlog)
    cmd = _worker_cmd("notifications", "--batch-size", "50", "--concurrency", "4", "--poll", "30")
    proc = _start_worker(settings, url, cmd)
    latencies: list[float] = []
    try:
        time.sleep(0 if backlog else 1.0)  # idle: let it start and go to sleep
        with _admin(url) as conn:
            for _ in range(messages):
                (msg_id,) = conn.execute(
                    "select internal.enqueue('notifications', '{\"type\": \"bench.noop\"}'::jsonb)"
                ).fetchone()  # type: ignore[misc]
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    row = conn.execute(
                        "select extract(epoch from archived_at - enqueued_at) * 1000 "
                        "from pgmq.a_notifications where msg_id = %s",
                        (msg_id,),
                    ).fetchone()
                    if row:
                        latencies.append(float(row[0]))
                        break
                    time.sleep(0.002)
                time.sleep(0.05)
                if backlog:
                    # the next probe behind a fresh backlog of the same size
                    _send(url, "notifications", ['{"type": "bench.noop"}'] * backlog)
    finally:
        proc.terminate()
        proc.wait(30)
    latencies.sort()
    n = len(latencies)
    return Sample(
        requests=n,
        seconds=0.0,
        throughput=0.0,
        mean_ms=statistics.fmean(latencies) if latencies else None,
        p50_ms=latencies[n // 2] if latencies else None,
        p99_ms=latencies[min(n - 1, int(n * 0.99))] if latencies else None,
        max_ms=latencies[-1] if latencies else None,
        errors=messages - n,
        extra={"backlog": float(backlog)},
    )


class QueueScenario:
    name = "queue"
    title = "pgmq read+archive vs the worker (no-op, failing, Stripe), after 500k consumed, latency"

    def plan(self, ctx: Context) -> Plan:
        env = ctx.env
        url = env.db_url
        s = env.settings
        variants: list[Variant] = []
        for batch in (1, 10, 50):

            def raw(d: float, b: int = batch) -> Sample:
                return _raw(url, b, 4, d)

            variants.append(
                Variant(
                    f"{RAW} (batch {batch})",
                    4,
                    raw,
                    unit="msg/s",
                    series=RAW,
                    label=f"batch {batch}",
                )
            )
        n_worker = 5_000 if ctx.options.quick else 10_000
        variants.append(Variant(WORKER, 4, lambda d: _worker(s, url, n_worker), unit="msg/s"))
        variants.append(
            Variant(
                SINGLE,
                4,
                lambda d: _worker(s, url, n_worker // 5, "bench.noop_single"),
                unit="msg/s",
            )
        )
        variants.append(
            Variant(f"{AFTER} (batch 50)", 4, lambda d: _after(url, 50, 4, d), unit="msg/s")
        )
        n_side = 2_000 if ctx.options.quick else 3_000
        variants.append(Variant(FLAKY, 4, lambda d: _flaky(s, url, n_side), unit="msg/s"))
        n_stripe = 200 if ctx.options.quick else 500
        variants.append(Variant(STRIPE, 4, lambda d: _stripe(s, url, n_stripe), unit="msg/s"))
        variants.append(
            Variant(WAKE, 1, lambda d: _wake(s, url, 10 if ctx.options.quick else 30), unit="msg")
        )
        backlog = 1_000 if ctx.options.quick else 5_000
        variants.append(
            Variant(
                BACKLOG,
                1,
                lambda d: _wake(s, url, 3 if ctx.options.quick else 5, backlog),
                unit="msg",
            )
        )
        return Plan(
            variants,
            # every sample is a whole workload from a reset queue (the 500k
            # consumed alone take ~20 s): one of each keeps `make bench` in 10 min
            max_repeat=1,
            warm_up=False,
            ratios=[
                Ratio("worker ÷ raw read+archive", (WORKER, 4), (f"{RAW} (batch 50)", 4), 0.80),
                Ratio("worker, not batched ÷ batched", (SINGLE, 4), (WORKER, 4), None),
                Ratio("worker, 10% failing ÷ no-op", (FLAKY, 4), (WORKER, 4), None),
                Ratio("worker against localstripe ÷ no-op", (STRIPE, 4), (WORKER, 4), None),
                Ratio(
                    "after 500k consumed ÷ fresh",
                    (f"{AFTER} (batch 50)", 4),
                    (f"{RAW} (batch 50)", 4),
                    0.80,
                ),
            ],
        )
