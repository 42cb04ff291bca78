"""Measure pgmq-py against the worker's own SQL calls: send, read and archive N messages.

    .venv/bin/python scripts/measure_pgmq_py.py postgresql://postgres:...@127.0.0.1:54340/db [N]

The database needs pgmq (bookiji deploy installs it). Each run creates a queue of
its own and drops it afterwards. Three ways, each sending N messages one by one,
then reading them 10 at a time and archiving each batch in one call, as the
worker's main loop does (worker/runner.py):

- sql: one psycopg connection (autocommit) running worker/sql/read.sql and
  archive.sql and `select pgmq.send(...)`, as the worker does;
- pgmq-py: PGMQueue's send/read/archive_batch, which take a pooled
  connection and a transaction of their own for each call;
- pgmq-py conn=: the same methods given our connection (its transaction
  support: the call joins the caller's transaction), each batch's read and
  archive in one transaction.

Prints the seconds and messages a second of each. The figures are in
docs/decisions.md.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
from pgmq import PGMQueue
from psycopg.types.json import Jsonb

from worker.queries import query

BATCH = 10
VT = 30


def _payload(i: int) -> dict[str, Any]:
    return {"type": "bench.record", "n": i, "booking_id": str(uuid.uuid4())}


def with_sql(url: str, queue: str, n: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for i in range(n):
            conn.execute("select pgmq.send(%s, %s::jsonb)", (queue, Jsonb(_payload(i))))
        done = 0
        while done < n:
            rows = conn.execute(query("read"), {"queue": queue, "vt": VT, "qty": BATCH}).fetchall()
            ids = [r[0] for r in rows]
            conn.execute(query("archive"), {"queue": queue, "ids": ids})
            done += len(ids)


def with_pgmq_py(url: str, queue: str, n: int) -> None:
    q = PGMQueue(conn_string=url, init_extension=False, pool_size=1)
    try:
        for i in range(n):
            q.send(queue, _payload(i))
        done = 0
        while done < n:
            msgs = q.read_batch(queue, vt=VT, batch_size=BATCH)
            q.archive_batch(queue, [m.msg_id for m in msgs])
            done += len(msgs)
    finally:
        q.close()


def with_pgmq_py_conn(url: str, queue: str, n: int) -> None:
    q = PGMQueue(conn_string=url, init_extension=False, pool_size=1)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            for i in range(n):
                q.send(queue, _payload(i), conn=conn)
            done = 0
            while done < n:
                with conn.transaction():
                    msgs = q.read_batch(queue, vt=VT, batch_size=BATCH, conn=conn)
                    q.archive_batch(queue, [m.msg_id for m in msgs], conn=conn)
                done += len(msgs)
    finally:
        q.close()


def measure(url: str, n: int, name: str, run: Callable[[str, str, int], None]) -> float:
    queue = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("select pgmq.create(%s)", (queue,))
    try:
        start = time.perf_counter()
        run(url, queue, n)
        seconds = time.perf_counter() - start
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("select pgmq.drop_queue(%s)", (queue,))
    print(f"{name:<14} {n} messages: {seconds:6.2f} s, {n / seconds:7.0f} messages/s", flush=True)
    return seconds


def main(argv: list[str]) -> int:
    url = argv[0]
    n = int(argv[1]) if len(argv) > 1 else 10_000
    rounds = int(argv[2]) if len(argv) > 2 else 3
    ways = {"sql": with_sql, "pgmq-py": with_pgmq_py, "pgmq-py conn=": with_pgmq_py_conn}
    measure(url, 500, "warm-up", with_sql)
    times: dict[str, list[float]] = {name: [] for name in ways}
    for round_ in range(rounds):  # interleaved, so that a busy moment hits every way
        print(f"round {round_ + 1}")
        for name, run in ways.items():
            times[name].append(measure(url, n, name, run))
    print(f"median of {rounds} rounds, {n} messages each (load average {os.getloadavg()[0]:.1f})")
    base = statistics.median(times["sql"])
    for name, seconds in times.items():
        median = statistics.median(seconds)
        print(
            f"{name:<14} {median:6.2f} s, {n / median:7.0f} messages/s, {median / base:4.2f}x sql"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
