"""The worker loop: read pgmq batches, dispatch by message type, archive or retry or dead-letter.

It talks to pgmq through psycopg calling pgmq's SQL functions (``pgmq.read``,
``pgmq.archive``, ``pgmq.set_vt``, ``pgmq.send``): every call is one named
query in worker/sql/, which keeps the worker's SQL reviewable and lets it run
a handler's database work and the archive in the connection it already holds.
It wakes at once on ``NOTIFY bookiji_queue`` (sent by internal.enqueue in the
same transaction as the message) and polls as a fallback.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import select
import signal
import time
import traceback
from dataclasses import dataclass
from importlib import resources
from typing import Any

import psycopg
from psycopg.rows import dict_row

from worker import config, registry
from worker.errors import PermanentError, RetryableError

log = logging.getLogger("bookiji.worker")
CHANNEL = "bookiji_queue"


def query(name: str) -> str:
    return resources.files("worker").joinpath("sql", f"{name}.sql").read_text()


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, capped; dead-letter after max_attempts reads."""

    max_attempts: int = 8
    base_seconds: float = 2.0
    cap_seconds: float = 300.0

    def delay(self, attempt: int) -> int:
        ceiling = min(self.cap_seconds, self.base_seconds * (2 ** max(0, attempt - 1)))
        return max(1, round(random.uniform(ceiling / 2, ceiling)))


@dataclass
class Options:
    queues: list[str]
    batch_size: int = 20
    vt: int = 60
    poll_seconds: float = 5.0
    once: bool = False
    retry: RetryPolicy = RetryPolicy()


class Runner:
    def __init__(self, url: str, opts: Options) -> None:
        self.url = url
        self.opts = opts
        self.stopping = False

    def stop(self, *_: object) -> None:
        log.info("stop requested: finishing the messages in hand")
        self.stopping = True

    def _dead_letter(
        self, conn: psycopg.Connection[Any], queue: str, msg: dict[str, Any], exc: BaseException
    ) -> None:
        payload = {
            "original": msg["message"],
            "queue": queue,
            "msg_id": msg["msg_id"],
            "attempts": msg["read_ct"],
            "error": str(exc),
            "error_class": type(exc).__name__,
            "traceback": "".join(traceback.format_exception(exc))[-8000:],
            "failed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        with conn.transaction():
            conn.execute(
                query("dead_letter"), {"dlq": f"{queue}_dlq", "message": json.dumps(payload)}
            )
            conn.execute(query("archive"), {"queue": queue, "ids": [msg["msg_id"]]})

    def handle(self, conn: psycopg.Connection[Any], queue: str, msg: dict[str, Any]) -> str:
        body = msg["message"] or {}
        kind = body.get("type", "")
        fn = registry.lookup(kind)
        started = time.monotonic()
        outcome = "done"
        try:
            if fn is None:
                raise PermanentError(f"no handler for message type {kind!r}")
            with conn.transaction():
                fn(registry.Context(conn, queue, msg["msg_id"], msg["read_ct"]), body)
                conn.execute(query("archive"), {"queue": queue, "ids": [msg["msg_id"]]})
        except PermanentError as exc:
            outcome = "dead-lettered"
            self._dead_letter(conn, queue, msg, exc)
        except (
            RetryableError,
            psycopg.OperationalError,
            psycopg.errors.SerializationFailure,
            psycopg.errors.LockNotAvailable,
            psycopg.errors.DeadlockDetected,
        ) as exc:
            if conn.closed:
                raise
            if msg["read_ct"] >= self.opts.retry.max_attempts:
                outcome = "dead-lettered"
                self._dead_letter(conn, queue, msg, exc)
            else:
                outcome = "retry"
                conn.execute(
                    query("set_vt"),
                    {
                        "queue": queue,
                        "id": msg["msg_id"],
                        "seconds": self.opts.retry.delay(msg["read_ct"]),
                    },
                )
        except Exception as exc:  # an unexpected bug: dead-letter with the traceback
            outcome = "dead-lettered"
            self._dead_letter(conn, queue, msg, exc)
        log.info(
            "queue=%s id=%s type=%s attempt=%s outcome=%s duration_ms=%.1f",
            queue,
            msg["msg_id"],
            kind,
            msg["read_ct"],
            outcome,
            (time.monotonic() - started) * 1000,
        )
        return outcome

    def run_batch(self, conn: psycopg.Connection[Any]) -> int:
        handled = 0
        for queue in self.opts.queues:
            if self.stopping:
                break
            rows = conn.execute(
                query("read"), {"queue": queue, "vt": self.opts.vt, "qty": self.opts.batch_size}
            ).fetchall()
            for msg in rows:
                if self.stopping:
                    # not handled: make it visible again at once for the next worker
                    conn.execute(
                        query("set_vt"), {"queue": queue, "id": msg["msg_id"], "seconds": 0}
                    )
                    continue
                self.handle(conn, queue, msg)
                handled += 1
        return handled

    def run(self) -> int:
        from worker import tasks  # noqa: F401 - registers the handlers

        delay = 0.5
        while not self.stopping:
            try:
                self._serve()
                return 0
            except psycopg.OperationalError as exc:
                if self.opts.once:
                    raise
                # the database restarted or is unreachable: reconnect with backoff
                log.warning(
                    "database unavailable (%s); reconnecting in %.1fs", str(exc).strip(), delay
                )
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
        return 0

    def _serve(self) -> None:
        with (
            psycopg.connect(self.url, autocommit=True) as listen,
            psycopg.connect(self.url, autocommit=True, row_factory=dict_row) as conn,
        ):
            listen.execute(f"listen {CHANNEL}")
            log.info(
                "worker ready: queues=%s batch=%s vt=%ss",
                ",".join(self.opts.queues),
                self.opts.batch_size,
                self.opts.vt,
            )
            while not self.stopping:
                handled = self.run_batch(conn)
                if handled:
                    continue
                if self.opts.once:
                    break
                # idle: wait for a NOTIFY or the poll interval, then drain notifications
                select.select([listen.fileno()], [], [], self.opts.poll_seconds)
                for _ in listen.notifies(timeout=0):
                    pass


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bookiji worker", description="Run the pgmq worker.")
    p.add_argument("--queues", default="payments,notifications")
    p.add_argument("--batch-size", type=int, default=20)
    p.add_argument("--vt", type=int, default=60, help="visibility timeout, seconds")
    p.add_argument("--poll", type=float, default=5.0, help="poll interval when idle, seconds")
    p.add_argument("--max-attempts", type=int, default=8)
    p.add_argument(
        "--once", action="store_true", help="process until the queues are empty, then exit"
    )
    return p


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    args = build_parser().parse_args(argv)
    opts = Options(
        queues=[q.strip() for q in args.queues.split(",") if q.strip()],
        batch_size=args.batch_size,
        vt=args.vt,
        poll_seconds=args.poll,
        once=args.once,
        retry=RetryPolicy(max_attempts=args.max_attempts),
    )
    settings = config.load()
    runner = Runner(settings.worker_url, opts)
    signal.signal(signal.SIGTERM, runner.stop)
    signal.signal(signal.SIGINT, runner.stop)
    return runner.run()
