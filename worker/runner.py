"""The worker loop: read pgmq batches, run handlers concurrently, archive, retry or dead-letter.

It talks to pgmq through psycopg calling pgmq's SQL functions (``pgmq.read``,
``pgmq.archive``, ``pgmq.set_vt``, ``pgmq.send``), each a named query in
worker/sql/, rather than through the ``pgmq`` Python client: the SQL is the
same one the database's own functions use (internal.enqueue, the DLQ tools),
it stays reviewable next to them, it runs on psycopg connections the worker
already pools (one per handler, so a handler's own SQL and its transaction are
plain psycopg), and the worker needs no second database driver stack.

One main thread owns the queue bookkeeping on its own connection: it reads a
batch (at most ``--batch-size``, and no more than the free handler slots, with
visibility timeout ``--vt``) when fewer than ``--concurrency`` handler slots are busy, hands the messages to that many handler
threads (each handler on its own pooled connection, in one transaction),
archives the successes of each round in one ``pgmq.archive`` call per queue,
schedules retries with ``pgmq.set_vt`` (worker/retry.py), and dead-letters
(``<queue>_dlq`` plus archive of the original, in one transaction). While
messages are in hand it extends their visibility every third of the vt (the
heartbeat), so a long handler is never picked up by a second worker.

Messages of a batched type (``registry.register(..., batch=True)``: idempotent,
cheap, pure SQL) go together: when a read brings one, the same statement reads
more of that type (pgmq.read's condition on the body), up to ``--batch-size``
for each slot the read left free (worker/sql/read_batched.sql), and the loop
hands each batch to one handler slot, which runs it in one transaction that also
archives it. Every message read is still started at once, so a crash charges an
attempt only to messages being handled.

Idle, it probes every ``--poll-ms`` with one statement for all its queues
(worker/sql/visible.sql: whether each holds a visible message, an index probe
that sees only committed messages) and reads the queues that do; it also wakes
when one of its own retries falls due, and reads anyway every ``--poll``
seconds. There is no NOTIFY to wait for: internal.enqueue sends none, because a
transaction that notifies takes a database-wide lock at commit held through its
WAL flush, which serialised every confirm's commit (docs/worker.md, "Waking up").
Between probes it sleeps in ``select`` on its stop pipe.
SIGTERM/SIGINT: stop reading, hand back the messages not started
(visible again at once), finish the running ones (within ``--shutdown-timeout``,
the vt by default), archive, exit. A crash (kill -9) leaves the messages in
hand to reappear after their vt. If the database goes away the loop reconnects
with backoff; messages in hand then reappear after their vt.

Delivery is at least once: a handler's transaction commits before the archive,
so a crash in between runs it again. Handlers are idempotent (registry.py).
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import importlib
import json
import logging
import os
import queue as queue_mod
import select
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from worker import metrics, registry, settings
from worker.errors import ConfigError, PermanentError
from worker.messages import Message
from worker.queries import query, visible_probe
from worker.retry import RetryPolicy, classify

log = logging.getLogger("bookiji.worker")

BATCH_RANGE = (10, 50)
CONCURRENCY_RANGE = (1, 32)
APPLICATION_NAME = "bookiji-worker"
TRACEBACK_LIMIT = 16_000


@dataclass(frozen=True)
class Options:
    queues: tuple[str, ...] = ("payments", "notifications")
    batch_size: int = 20
    vt: int = 60
    concurrency: int = 4
    poll_seconds: float = 5.0  # a full read at least this often when idle
    poll_ms: float = 50.0  # the idle probe's interval; 0: no probe (a read every poll_seconds)
    once: bool = False
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    purge_interval_seconds: float = 3600.0
    archive_retention_days: int = 7
    shutdown_timeout: float | None = None  # default: the vt
    stats_interval_seconds: float = 15.0
    sweep_seconds: float = 15.0  # 0: no sweep (holds expire, bookings complete)
    reconcile_seconds: float = 0.0  # 0: no reconciliation with Stripe (worker/reconcile.py)
    train_seconds: float = 0.0  # 0: no training of the ranking and quality model (worker/learn/)

    def __post_init__(self) -> None:
        if not self.queues:
            raise ValueError("at least one queue is needed")
        lo, hi = BATCH_RANGE
        if not lo <= self.batch_size <= hi:
            raise ValueError(f"batch size must be between {lo} and {hi}")
        lo, hi = CONCURRENCY_RANGE
        if not lo <= self.concurrency <= hi:
            raise ValueError(f"concurrency must be between {lo} and {hi}")
        if self.vt < 1:
            raise ValueError("the visibility timeout must be at least 1 second")
        if self.poll_seconds <= 0 or self.purge_interval_seconds <= 0:
            raise ValueError("intervals must be positive")
        if self.poll_ms < 0:
            raise ValueError("the probe interval must be zero (no probe) or more")
        if self.archive_retention_days < 1:
            raise ValueError("archive retention must be at least 1 day")

    @property
    def heartbeat_seconds(self) -> float:
        return max(0.2, self.vt / 3)

    @property
    def stop_timeout(self) -> float:
        return float(self.vt) if self.shutdown_timeout is None else self.shutdown_timeout


Verdict = Literal["done", "retry", "permanent"]


@dataclass(frozen=True)
class Outcome:
    """What one handler attempt came to (made by a handler thread, applied by the main thread)."""

    message: Message
    generation: int
    verdict: Verdict
    duration: float
    error: BaseException | None = None
    traceback: str = ""


@dataclass(frozen=True)
class Done:
    """What one handler slot came to: one outcome, or one per message of a batched group;
    ``archived`` when the group's transaction archived its messages itself."""

    generation: int
    outcomes: list[Outcome]
    archived: bool = False


def dead_letter_payload(
    message: Message, attempts: int, error: BaseException | None, tb: str, reason: str = ""
) -> dict[str, Any]:
    """The JSON sent to ``<queue>_dlq``: the original message and why it failed."""
    return {
        "original": message.body,
        "queue": message.queue,
        "msg_id": message.msg_id,
        "type": message.type,
        "error": reason or (str(error) if error is not None else ""),
        "error_class": type(error).__name__ if error is not None else "AttemptsExhausted",
        "error_module": type(error).__module__ if error is not None else "worker.runner",
        "attempts": attempts,
        "traceback": tb[-TRACEBACK_LIMIT:],
        "enqueued_at": message.enqueued_at.isoformat(),
        "failed_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "worker": f"{socket.gethostname()}:{os.getpid()}",
    }


class Runner:
    def __init__(self, url: str, opts: Options, direct_url: str | None = None) -> None:
        """``url``: the queue loop's connection (PgBouncer's, when there is one: it runs
        one statement or one transaction at a time and prepares nothing);
        ``direct_url``: PostgreSQL itself, for the handlers (and the reconciliation and
        training threads), which keep session state (advisory locks) or long
        transactions; default ``url``."""
        self.url = url
        self.direct_url = direct_url or url
        self.opts = opts
        self._stopping = threading.Event()
        self._force = False
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        # one item per handler slot: a message, or a group of batched messages
        self._todo: queue_mod.SimpleQueue[tuple[int, list[Message]] | None] = (
            queue_mod.SimpleQueue()
        )
        self._done: queue_mod.SimpleQueue[Done] = queue_mod.SimpleQueue()
        self._generation = 0
        self._in_hand: dict[tuple[str, int], Message] = {}
        self._busy = 0  # handler slots taken: items in self._todo or running
        self._retry_due: list[float] = []
        self._rotation = 0
        self._pool: ConnectionPool | None = None
        self._threads: list[threading.Thread] = []
        self.abandoned = 0  # handlers still running when a forced stop gave up on them

    # --- control -------------------------------------------------------------------------

    def stop(self, *_: object) -> None:
        """Ask the loop to stop (signal-safe: sets flags and writes one byte). Twice: at once."""
        if self._stopping.is_set():
            self._force = True
        self._stopping.set()
        self._wake()

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._wake_w, b"!")

    def _drain_wake(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            while os.read(self._wake_r, 512):
                pass

    def _wait(self, timeout: float) -> None:
        select.select([self._wake_r], [], [], max(0.0, timeout))

    # --- handler threads -----------------------------------------------------------------

    def _start_workers(self) -> None:
        self._pool = ConnectionPool(
            self.direct_url,
            min_size=1,
            max_size=self.opts.concurrency,
            kwargs={"autocommit": True, "application_name": APPLICATION_NAME},
            check=ConnectionPool.check_connection,
            name="bookiji-worker",
            timeout=30,
            open=False,
        )
        self._pool.open(wait=False)
        for n in range(self.opts.concurrency):
            t = threading.Thread(target=self._work, name=f"handler-{n}", daemon=True)
            t.start()
            self._threads.append(t)

    def _stop_workers(self) -> None:
        for _ in self._threads:
            self._todo.put(None)
        if not self.abandoned:
            for t in self._threads:
                t.join(timeout=5)
            if self._pool is not None:
                self._pool.close(timeout=5)

    def _work(self) -> None:
        while True:
            item = self._todo.get()
            if item is None:
                return
            generation, messages = item
            if generation != self._generation:
                continue  # the connection was lost since: the message reappears after its vt
            if len(messages) == 1 and not registry.batched(messages[0].type):
                done = Done(generation, [self._execute(generation, messages[0])])
            else:
                done = self._execute_group(generation, messages)
            self._done.put(done)
            self._wake()

    def _execute_group(self, generation: int, messages: list[Message]) -> Done:
        """Batched messages of one queue: every handler and the archive in one transaction.
        If anything raises, that transaction is rolled back and each message runs alone."""
        started = time.monotonic()
        assert self._pool is not None
        try:
            with self._pool.connection() as conn, conn.transaction():
                for m in messages:
                    fn = registry.lookup(m.type)
                    assert fn is not None
                    fn(registry.Context(conn, m, self.opts.retry.max_attempts), m.body)
                conn.execute(
                    query("archive"),
                    {"queue": messages[0].queue, "ids": [m.msg_id for m in messages]},
                )
        except Exception:
            return Done(generation, [self._execute(generation, m) for m in messages])
        each = (time.monotonic() - started) / len(messages)
        return Done(generation, [Outcome(m, generation, "done", each) for m in messages], True)

    def _execute(self, generation: int, message: Message) -> Outcome:
        started = time.monotonic()
        fn = registry.lookup(message.type)
        try:
            if fn is None:
                raise PermanentError(f"no handler is registered for message type {message.type!r}")
            assert self._pool is not None
            with self._pool.connection() as conn:
                ctx = registry.Context(conn, message, self.opts.retry.max_attempts)
                if registry.wants_transaction(message.type):
                    with conn.transaction():
                        fn(ctx, message.body)
                else:
                    fn(ctx, message.body)
        except Exception as exc:
            return Outcome(
                message,
                generation,
                "retry" if classify(exc) == "retry" else "permanent",
                time.monotonic() - started,
                exc,
                traceback.format_exc(),
            )
        return Outcome(message, generation, "done", time.monotonic() - started)

    # --- queue bookkeeping (main thread) ---------------------------------------------------

    def _queues_in_turn(self) -> list[str]:
        qs = list(self.opts.queues)
        self._rotation = (self._rotation + 1) % len(qs)
        return qs[self._rotation :] + qs[: self._rotation]

    def _visible(self, conn: psycopg.Connection[Any], probe: str) -> tuple[str, ...]:
        """The idle probe: which of the worker's queues hold a message visible now. Prepared
        when the loop talks to PostgreSQL itself (its planning was 60% of its cost); not
        through a pooler, whose server sessions change under it."""
        rows = conn.execute(probe, prepare=self.url == self.direct_url).fetchall()
        return tuple(row["queue"] for row in rows)

    def _read(self, conn: psycopg.Connection[Any], only: tuple[str, ...] = ()) -> int:
        """Read what the free slots may take from each queue (from ``only``, if given)."""
        total = 0
        for q in self._queues_in_turn():
            if only and q not in only:
                continue
            # read no more than the free handler slots: every message in hand is running, so
            # a crash (kill -9, OOM) charges an attempt (pgmq's read_ct) only to messages that
            # were being handled, never to ones waiting in hand - those used to reach
            # --max-attempts and be dead-lettered after a few crashes without ever running
            free = self.opts.concurrency - self._busy
            if free <= 0:
                break
            qty = min(self.opts.batch_size, free)
            batched = registry.batched_kinds()
            if batched:
                # one statement: the read, then up to a batch of each batched type it brought
                rows = conn.execute(
                    query("read_batched"),
                    {
                        "queue": q,
                        "vt": self.opts.vt,
                        "qty": qty,
                        "batched": batched,
                        "batch": self.opts.batch_size,
                    },
                ).fetchall()
            else:
                rows = conn.execute(
                    query("read"), {"queue": q, "vt": self.opts.vt, "qty": qty}
                ).fetchall()
            groups: dict[str, list[Message]] = {}
            for message in self._usable(conn, q, rows):
                if registry.batched(message.type):
                    groups.setdefault(message.type, []).append(message)
                else:
                    self._dispatch([message])
            for group in groups.values():
                # a slot each batch: one transaction for each (read_batched.sql sized them)
                for start in range(0, len(group), self.opts.batch_size):
                    self._dispatch(group[start : start + self.opts.batch_size])
            total += len(rows)
        return total

    def _dispatch(self, messages: list[Message]) -> None:
        for m in messages:
            self._in_hand[m.key] = m
        self._busy += 1
        self._todo.put((self._generation, messages))

    def _usable(
        self, conn: psycopg.Connection[Any], q: str, rows: list[dict[str, Any]]
    ) -> list[Message]:
        """The messages of ``rows``, less the poison ones (dead-lettered here)."""
        usable: list[Message] = []
        for row in rows:
            message = Message.from_row(q, row)
            if message.read_ct > self.opts.retry.max_attempts:
                # read that often without an outcome: the worker crashed or was stopped
                # while handling it each time (a poison message) - do not run it again
                self._dead_letter(
                    conn,
                    message,
                    None,
                    "",
                    f"read {message.read_ct} times without an outcome (the worker crashed "
                    "or was stopped while handling it)",
                )
                self._log(message, "dead-lettered", 0.0, error_class="AttemptsExhausted")
                metrics.DEAD_LETTERED.labels(q, metrics.type_label(message.type)).inc()
                continue
            usable.append(message)
        return usable

    def _by_queue(self, messages: Iterator[Message] | list[Message]) -> dict[str, list[int]]:
        grouped: dict[str, list[int]] = {}
        for m in messages:
            grouped.setdefault(m.queue, []).append(m.msg_id)
        return grouped

    def _heartbeat(self, conn: psycopg.Connection[Any]) -> None:
        for q, ids in self._by_queue(list(self._in_hand.values())).items():
            conn.execute(query("extend_vt"), {"queue": q, "ids": ids, "vt": self.opts.vt})

    def _release_unstarted(self, conn: psycopg.Connection[Any]) -> int:
        unstarted: list[Message] = []
        while True:
            try:
                item = self._todo.get_nowait()
            except queue_mod.Empty:
                break
            if item is None:
                continue
            generation, messages = item
            if generation == self._generation:
                unstarted.extend(messages)
                self._busy -= 1
        for q, ids in self._by_queue(unstarted).items():
            conn.execute(query("release"), {"queue": q, "ids": ids})
        for m in unstarted:
            self._in_hand.pop(m.key, None)
            self._log(m, "released", 0.0)
        return len(unstarted)

    def _dead_letter(
        self,
        conn: psycopg.Connection[Any],
        message: Message,
        error: BaseException | None,
        tb: str,
        reason: str = "",
    ) -> None:
        payload = dead_letter_payload(message, message.read_ct, error, tb, reason)
        with conn.transaction():
            conn.execute(
                query("dead_letter"),
                {"dlq": f"{message.queue}_dlq", "message": json.dumps(payload, default=str)},
            )
            conn.execute(query("archive"), {"queue": message.queue, "ids": [message.msg_id]})

    def _collect(self, conn: psycopg.Connection[Any]) -> int:
        """Apply the outcomes handler threads produced; archive this round's successes at once."""
        successes: list[Message] = []
        applied = 0
        while True:
            try:
                done = self._done.get_nowait()
            except queue_mod.Empty:
                break
            if done.generation != self._generation:
                continue
            self._busy -= 1
            for out in done.outcomes:
                applied += 1
                self._apply(conn, out, None if done.archived else successes)
        for q, ids in self._by_queue(successes).items():
            conn.execute(query("archive"), {"queue": q, "ids": ids})
        return applied

    def _apply(
        self, conn: psycopg.Connection[Any], out: Outcome, successes: list[Message] | None
    ) -> None:
        """One message's outcome: count and log it; a success goes to ``successes`` to be
        archived (None: archived already); a failure is retried or dead-lettered now."""
        m = out.message
        self._in_hand.pop(m.key, None)
        label = metrics.type_label(m.type)
        metrics.LATENCY.labels(m.queue, label).observe(out.duration)
        if out.verdict == "done":
            if successes is not None:
                successes.append(m)
            metrics.PROCESSED.labels(m.queue, label).inc()
            self._log(m, "done", out.duration)
            return
        metrics.FAILED.labels(m.queue, label).inc()
        error_class = type(out.error).__name__
        if out.verdict == "retry" and not self.opts.retry.exhausted(m.read_ct):
            delay = self.opts.retry.delay(m.read_ct)
            conn.execute(query("set_vt"), {"queue": m.queue, "id": m.msg_id, "seconds": delay})
            heapq.heappush(self._retry_due, time.monotonic() + delay)
            metrics.RETRIED.labels(m.queue, label).inc()
            self._log(
                m,
                "retry",
                out.duration,
                retry_in=delay,
                error_class=error_class,
                error=out.error,
            )
        else:
            self._dead_letter(conn, m, out.error, out.traceback)
            metrics.DEAD_LETTERED.labels(m.queue, label).inc()
            self._log(m, "dead-lettered", out.duration, error_class=error_class, error=out.error)

    def _log(
        self,
        m: Message,
        outcome: str,
        duration: float,
        *,
        retry_in: float | None = None,
        error_class: str | None = None,
        error: BaseException | None = None,
    ) -> None:
        extra_text = ""
        if retry_in is not None:
            extra_text += f" retry_in={retry_in:.3f}s"
        if error_class is not None:
            extra_text += f" error_class={error_class}"
        if error is not None:
            extra_text += f" error={str(error)[:200]!r}"
        log.info(
            "queue=%s id=%s type=%s attempt=%s outcome=%s duration_ms=%.1f%s",
            m.queue,
            m.msg_id,
            m.type or "-",
            m.read_ct,
            outcome,
            duration * 1000,
            extra_text,
            extra={
                "queue": m.queue,
                "msg_id": m.msg_id,
                "msg_type": m.type,
                "attempt": m.read_ct,
                "outcome": outcome,
                "duration_ms": duration * 1000,
                "retry_in": retry_in,
                "error_class": error_class,
            },
        )

    def _purge(self, conn: psycopg.Connection[Any]) -> None:
        row = conn.execute(
            query("purge_archives"), {"days": self.opts.archive_retention_days}
        ).fetchone()
        deleted = row["deleted"] if row else 0
        if deleted:
            log.info(
                "purged %s archived messages older than %s days",
                deleted,
                self.opts.archive_retention_days,
            )

    def _sweep(self, conn: psycopg.Connection[Any]) -> None:
        """The database's periodic housekeeping (expire holds, complete past bookings, fold the
        analytics deltas)."""
        try:
            row = conn.execute(query("sweep")).fetchone()
        except psycopg.errors.UndefinedFunction:
            return  # a database without the booking schema
        if row and any(row["result"].values()):
            log.info("sweep: %s", row["result"])
        # fold the analytics deltas into the rollups across providers (docs/analytics.md)
        with contextlib.suppress(psycopg.errors.UndefinedFunction):  # a schema without analytics
            conn.execute(query("analytics_compact"))

    def _stats(self, conn: psycopg.Connection[Any]) -> None:
        metrics.observe_queue_stats(conn.execute(query("queue_stats")).fetchall())

    # --- the loop --------------------------------------------------------------------------

    def _reconcile_loop(self) -> None:
        """Every ``reconcile_seconds``: compare with Stripe and repair (worker/reconcile.py)."""
        from worker import reconcile

        while not self._stopping.wait(self.opts.reconcile_seconds):
            try:
                reconcile.run(self.direct_url)  # Stripe calls: not through a pooler
            except Exception as exc:  # the next round tries again
                log.warning("reconcile failed: %s: %s", type(exc).__name__, exc)

    def _train_loop(self) -> None:
        """Every ``train_seconds``: train the ranking and the quality model, each activated
        only if it beat the active version offline (worker/learn/schedule.py)."""
        from worker.learn import schedule

        while not self._stopping.wait(self.opts.train_seconds):
            try:
                schedule.run(self.direct_url)  # a session advisory lock: not through a pooler
            except Exception as exc:  # the next round tries again
                log.warning("training failed: %s: %s", type(exc).__name__, exc)

    def run(self) -> int:
        """Serve until stopped (or, with ``once``, until the queues are drained)."""
        self._start_workers()
        if (
            self.opts.reconcile_seconds > 0
            and "payments" in self.opts.queues
            and not self.opts.once
        ):
            threading.Thread(target=self._reconcile_loop, name="reconcile", daemon=True).start()
        if self.opts.train_seconds > 0 and not self.opts.once:
            threading.Thread(target=self._train_loop, name="train", daemon=True).start()
        backoff = 0.5
        try:
            while True:
                connected = threading.Event()
                try:
                    return self._serve(connected)
                except psycopg.OperationalError as exc:
                    if self.opts.once or self._stopping.is_set():
                        raise
                    self._abandon()
                    if connected.is_set():
                        backoff = 0.5
                    log.warning(
                        "database unavailable (%s); reconnecting in %.1fs",
                        str(exc).strip().splitlines()[0] if str(exc).strip() else exc,
                        backoff,
                    )
                    self._drain_wake()
                    self._wait(backoff)
                    backoff = min(backoff * 2, 5.0)
                    if self._stopping.is_set():
                        return 0
        finally:
            self._stop_workers()

    def _abandon(self) -> None:
        """The main connection is gone: forget what is in hand (it reappears after its vt)."""
        self._generation += 1
        while True:
            try:
                self._todo.get_nowait()
            except queue_mod.Empty:
                break
        self._in_hand.clear()
        self._busy = 0
        self._retry_due.clear()

    def _serve(self, connected: threading.Event) -> int:
        with contextlib.ExitStack() as stack:
            conn = stack.enter_context(
                psycopg.connect(
                    self.url,
                    autocommit=True,
                    row_factory=dict_row,
                    application_name=APPLICATION_NAME,
                    prepare_threshold=None,  # it may be PgBouncer's (transaction mode)
                )
            )
            connected.set()
            log.info(
                "worker ready: queues=%s batch=%s vt=%ss concurrency=%s max_attempts=%s%s",
                ",".join(self.opts.queues),
                self.opts.batch_size,
                self.opts.vt,
                self.opts.concurrency,
                self.opts.retry.max_attempts,
                " (once)" if self.opts.once else "",
            )
            return self._loop(conn)
        raise AssertionError("unreachable")  # pragma: no cover

    def _loop(self, conn: psycopg.Connection[Any]) -> int:
        opts = self.opts
        start = time.monotonic()
        read_now = True
        idle_announced = False
        next_poll = start
        next_probe = start
        probe = opts.poll_ms / 1000
        probe_sql = visible_probe(opts.queues).as_string(conn)
        ready: tuple[str, ...] = ()  # the queues the last probe found ready (empty: all)
        next_heartbeat = start + opts.heartbeat_seconds
        next_purge = start
        next_stats = start
        next_sweep = start
        stop_deadline: float | None = None
        while True:
            self._drain_wake()
            if self._collect(conn) and opts.once:
                read_now = True
            now = time.monotonic()
            if (
                probe > 0
                and not read_now
                and not opts.once
                and now >= next_probe
                and self._busy < opts.concurrency
                and not self._stopping.is_set()
            ):
                ready = self._visible(conn, probe_sql)
                next_probe = now + probe
                if ready:
                    read_now = True
            while self._retry_due and self._retry_due[0] <= now:
                heapq.heappop(self._retry_due)
                read_now = True
            if now >= next_poll:
                read_now = True
            if self._in_hand and now >= next_heartbeat:
                self._heartbeat(conn)
                next_heartbeat = now + opts.heartbeat_seconds
            if now >= next_purge:
                self._purge(conn)
                next_purge = now + opts.purge_interval_seconds
            if now >= next_stats:
                self._stats(conn)
                next_stats = now + opts.stats_interval_seconds
            if opts.sweep_seconds > 0 and now >= next_sweep and not self._stopping.is_set():
                self._sweep(conn)
                next_sweep = now + opts.sweep_seconds

            if self._stopping.is_set():
                if stop_deadline is None:
                    stop_deadline = now + opts.stop_timeout
                    log.info("stop requested: no more reads; finishing the messages in hand")
                    released = self._release_unstarted(conn)
                    log.info(
                        "released %s messages not started; waiting for %s running",
                        released,
                        len(self._in_hand),
                    )
                if not self._in_hand:
                    log.info("worker stopped: nothing in hand")
                    return 0
                if self._force or now >= stop_deadline:
                    self.abandoned = len(self._in_hand)
                    log.warning(
                        "gave up waiting for %s running handlers; their messages reappear "
                        "after their visibility timeout",
                        self.abandoned,
                    )
                    return 1
                self._wait(min(stop_deadline - now, max(0.0, next_heartbeat - now), opts.vt))
                continue

            if read_now and self._busy < opts.concurrency:
                got = self._read(conn, ready)
                ready = ()
                if got:
                    idle_announced = False
                    continue
                read_now = False
                next_probe = now + probe
                next_poll = now + opts.poll_seconds
                if opts.once and not self._in_hand and not self._retry_due:
                    log.info("queues drained (once): exiting")
                    return 0
                if not self._in_hand and not self._retry_due and not idle_announced:
                    idle_announced = True
                    log.info(
                        "idle: probing every %sms, reading every %ss",
                        opts.poll_ms,
                        opts.poll_seconds,
                    )
            deadlines = [next_purge, next_stats]
            if opts.sweep_seconds > 0:
                deadlines.append(next_sweep)
            if not read_now:
                deadlines.append(next_poll)
                if probe > 0 and not opts.once and self._busy < opts.concurrency:
                    deadlines.append(next_probe)
            if self._in_hand:
                deadlines.append(next_heartbeat)
            if self._retry_due:
                deadlines.append(self._retry_due[0])
            self._wait(min(deadlines) - time.monotonic())


def _positive_int(lo: int, hi: int) -> Any:
    def parse(text: str) -> int:
        value = int(text)
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be between {lo} and {hi}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    d = settings.worker_defaults()
    p = argparse.ArgumentParser(
        prog="bookiji worker",
        description="Run the pgmq worker (payments and notifications).",
    )
    p.add_argument("--queues", default=",".join(d.queues), help="comma-separated queues")
    p.add_argument(
        "--batch-size", type=_positive_int(*BATCH_RANGE), default=d.batch_size, help="10-50"
    )
    p.add_argument(
        "--vt", type=_positive_int(1, 3600), default=d.vt_seconds, help="visibility timeout, s"
    )
    p.add_argument(
        "--concurrency",
        type=_positive_int(*CONCURRENCY_RANGE),
        default=d.concurrency,
        help="handlers running at once (each on its own connection)",
    )
    p.add_argument(
        "--poll",
        type=float,
        default=d.poll_seconds,
        help="when idle, read every queue at least this often, s",
    )
    p.add_argument(
        "--poll-ms",
        type=float,
        default=d.poll_ms,
        help="when idle, probe the queues for a visible message this often, ms; 0: no probe",
    )
    p.add_argument("--max-attempts", type=_positive_int(1, 100), default=d.max_attempts)
    p.add_argument("--retry-base", type=float, default=2.0, help="first retry delay, s")
    p.add_argument("--retry-cap", type=float, default=300.0, help="longest retry delay, s")
    p.add_argument(
        "--once", action="store_true", help="process until the queues are empty, then exit"
    )
    p.add_argument(
        "--shutdown-timeout",
        type=float,
        default=None,
        help="on SIGTERM, wait this long for running handlers (default: the vt)",
    )
    p.add_argument("--purge-interval", type=float, default=d.purge_interval_seconds, help="seconds")
    p.add_argument(
        "--sweep-interval",
        type=float,
        default=d.sweep_seconds,
        help="seconds between sweeps; 0: none",
    )
    p.add_argument(
        "--reconcile-interval",
        type=float,
        default=d.reconcile_seconds,
        help="seconds between reconciliations with Stripe; 0: none",
    )
    p.add_argument(
        "--train-interval",
        type=float,
        default=d.train_seconds,
        help="seconds between trainings of the ranking and the quality model; 0: none",
    )
    p.add_argument(
        "--archive-retention-days", type=_positive_int(1, 3650), default=d.archive_retention_days
    )
    p.add_argument("--metrics-port", type=int, default=d.metrics_port, help="0 disables /metrics")
    p.add_argument(
        "--import",
        dest="imports",
        action="append",
        default=None,
        metavar="MODULE",
        help="a module registering handlers (repeatable; default worker.tasks)",
    )
    p.add_argument("--log-level", default="INFO")
    return p


def options_from(args: argparse.Namespace) -> Options:
    return Options(
        queues=tuple(q.strip() for q in args.queues.split(",") if q.strip()),
        batch_size=args.batch_size,
        vt=args.vt,
        concurrency=args.concurrency,
        poll_seconds=args.poll,
        poll_ms=args.poll_ms,
        once=args.once,
        retry=RetryPolicy(
            max_attempts=args.max_attempts, base_seconds=args.retry_base, cap_seconds=args.retry_cap
        ),
        purge_interval_seconds=args.purge_interval,
        sweep_seconds=args.sweep_interval,
        reconcile_seconds=args.reconcile_interval,
        train_seconds=args.train_interval,
        archive_retention_days=args.archive_retention_days,
        shutdown_timeout=args.shutdown_timeout,
    )


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stdout,
    )
    try:
        opts = options_from(args)
    except ValueError as exc:
        parser.error(str(exc))
    if "notifications" in opts.queues:
        try:
            settings.delivery()  # a bad SMTP_URL or MAIL_FROM stops the worker here, not per message
        except ConfigError as exc:
            print(f"bookiji worker: {exc}", file=sys.stderr)
            return 2
    try:
        url, direct_url = settings.database_url(), settings.direct_database_url()
    except ConfigError as exc:
        print(f"bookiji worker: {exc}", file=sys.stderr)
        return 2
    for module in args.imports or ["worker.tasks"]:
        importlib.import_module(module)
    if args.metrics_port:
        metrics.serve(args.metrics_port)
    runner = Runner(url, opts, direct_url)
    signal.signal(signal.SIGTERM, runner.stop)
    signal.signal(signal.SIGINT, runner.stop)
    rc = runner.run()
    if runner.abandoned:
        # handler threads are still blocked: leave without waiting for them
        logging.shutdown()
        os._exit(rc)
    return rc
