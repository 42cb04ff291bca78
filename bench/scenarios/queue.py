"""The outbox: raw pgmq against the worker, and what consumed messages do to a queue.

* raw read+archive: pgbench calling ``pgmq.read`` then ``pgmq.archive`` of what it
  read, at batch 1, 10 and 50 — the limit the worker can approach;
* the worker with a no-op handler (a real ``python -m worker`` process, batch 50):
  messages per second from its first archive to its last, ÷ raw read+archive at
  batch 50 (target ≥ 0.80);
* the same raw read+archive after 500,000 consumed messages left dead rows behind
  (target ≥ 0.80 of the fresh figure; autovacuum is tuned on the queue tables);
* wake-up latency: single messages enqueued (``internal.enqueue`` sends NOTIFY)
  while the worker idles with a 30-second poll; enqueue-to-archive p50/p99.

Throughput is counted from the archive (rows that really moved), never from
pgbench's transaction count, which would also count reads of an empty queue.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from typing import Any

import psycopg

from bench.model import Context, Plan, Ratio, Sample, Variant
from bench.tools import pgbench
from worker import config
from worker.config import ROOT

QUEUE = "bench_q"
RAW = "raw read+archive"
WORKER = "worker, no-op handler"
AFTER = "raw read+archive after 500k consumed"
WAKE = "enqueue -> archived, idle worker"


def _admin(url: str) -> psycopg.Connection[tuple[Any, ...]]:
    return psycopg.connect(url, autocommit=True)


def _reset(url: str) -> None:
    with _admin(url) as conn:
        if not conn.execute("select 1 from pgmq.meta where queue_name = %s", (QUEUE,)).fetchone():
            conn.execute("select pgmq.create(%s)", (QUEUE,))
            # the same autovacuum settings as the real queues (migration 20261124000002)
            conn.execute(
                "alter table pgmq.q_bench_q set (autovacuum_vacuum_scale_factor = 0.0, "
                "autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_cost_limit = 2000, "
                "autovacuum_vacuum_cost_delay = 1)"
            )
            conn.execute(
                "grant select, insert, update, delete on pgmq.q_bench_q, pgmq.a_bench_q to bookiji_worker"
            )
        conn.execute("select pgmq.purge_queue(%s)", (QUEUE,))
        conn.execute("truncate pgmq.a_bench_q")
        conn.execute("vacuum analyze pgmq.q_bench_q")


def _fill(url: str, n: int) -> None:
    with _admin(url) as conn:
        left = n
        while left > 0:
            k = min(left, 50_000)
            conn.execute(
                'select pgmq.send_batch(%s, array(select \'{"type": "bench.noop"}\'::jsonb '
                "from generate_series(1, %s)))",
                (QUEUE, k),
            )
            left -= k


def _archived(url: str) -> tuple[int, float | None]:
    with _admin(url) as conn:
        row = conn.execute(
            "select count(*), extract(epoch from max(archived_at) - min(archived_at)) from pgmq.a_bench_q"
        ).fetchone()
    assert row is not None
    return int(row[0]), (float(row[1]) if row[1] is not None else None)


def _raw(url: str, batch: int, clients: int, duration: float) -> Sample:
    _reset(url)
    _fill(url, int(60_000 * max(1.0, duration)))  # more than can be read in the time
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


def _worker(settings: config.Settings, url: str, n: int) -> Sample:
    _reset(url)
    _fill(url, n)
    dbname = config.dbname_of(url)
    env = dict(
        os.environ,
        WORKER_DATABASE_URL=settings.url_for("bookiji_worker", settings.worker_db_password, dbname),
        PYTHONUNBUFFERED="1",
    )
    cmd = [
        sys.executable,
        "-m",
        "worker",
        "--queues",
        QUEUE,
        "--import",
        "bench.noop",
        "--batch-size",
        "50",
        "--concurrency",
        "4",
        "--once",
        "--metrics-port",
        "0",
        "--sweep-interval",
        "0",
        "--log-level",
        "WARNING",
    ]
    started = time.monotonic()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    elapsed = time.monotonic() - started
    moved, span = _archived(url)
    seconds = span if span and span > 0 else elapsed
    return Sample(
        requests=moved,
        seconds=seconds,
        throughput=moved / seconds,
        errors=n - moved,
        command=" ".join(cmd),
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
    _fill(url, int(60_000 * max(1.0, duration)))
    script = f"select pgmq.archive('{QUEUE}', array(select msg_id from pgmq.read('{QUEUE}', 30, {batch})));\n"
    s = pgbench(url, clients=clients, duration=duration, script=script)
    moved, _ = _archived(url)
    return Sample(
        requests=moved, seconds=s.seconds, throughput=moved / s.seconds, command=s.command
    )


def _wake(settings: config.Settings, url: str, messages: int) -> Sample:
    """enqueue-to-archive latency of single messages sent to an idle worker."""
    dbname = config.dbname_of(url)
    env = dict(
        os.environ,
        WORKER_DATABASE_URL=settings.url_for("bookiji_worker", settings.worker_db_password, dbname),
        PYTHONUNBUFFERED="1",
    )
    cmd = [
        sys.executable,
        "-m",
        "worker",
        "--queues",
        "notifications",
        "--import",
        "bench.noop",
        "--poll",
        "30",
        "--metrics-port",
        "0",
        "--sweep-interval",
        "0",
        "--log-level",
        "WARNING",
    ]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    latencies: list[float] = []
    try:
        time.sleep(1.0)  # let it start and go idle
        with _admin(url) as conn:
            for _ in range(messages):
                (msg_id,) = conn.execute(
                    "select internal.enqueue('notifications', '{\"type\": \"bench.noop\"}'::jsonb)"
                ).fetchone()  # type: ignore[misc]
                deadline = time.monotonic() + 10
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
    )


class QueueScenario:
    name = "queue"
    title = "pgmq read+archive vs the worker (no-op), after 500k consumed, and wake-up latency"

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
        n_worker = 5_000 if ctx.options.quick else 30_000
        variants.append(Variant(WORKER, 4, lambda d: _worker(s, url, n_worker), unit="msg/s"))
        variants.append(
            Variant(f"{AFTER} (batch 50)", 4, lambda d: _after(url, 50, 4, d), unit="msg/s")
        )
        variants.append(
            Variant(WAKE, 1, lambda d: _wake(s, url, 10 if ctx.options.quick else 30), unit="msg")
        )
        return Plan(
            variants,
            [
                Ratio("worker ÷ raw read+archive", (WORKER, 4), (f"{RAW} (batch 50)", 4), 0.80),
                Ratio(
                    "after 500k consumed ÷ fresh",
                    (f"{AFTER} (batch 50)", 4),
                    (f"{RAW} (batch 50)", 4),
                    0.80,
                ),
            ],
        )
