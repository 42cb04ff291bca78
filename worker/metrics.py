"""Prometheus metrics of the worker, served on 127.0.0.1:WORKER_METRICS_PORT.

Counters per queue and message type (processed, failed attempts, retried,
dead-lettered), a handler latency histogram, and per-queue depth and oldest
message age refreshed from ``internal.queue_stats()`` (pgmq.metrics).
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Gauge, Histogram, start_http_server

from worker import registry

PROCESSED = Counter(
    "bookiji_worker_messages_processed",
    "Messages handled successfully and archived.",
    ["queue", "type"],
)
FAILED = Counter(
    "bookiji_worker_messages_failed",
    "Failed handler attempts (retried or dead-lettered).",
    ["queue", "type"],
)
RETRIED = Counter(
    "bookiji_worker_messages_retried",
    "Failed attempts scheduled for another try with backoff.",
    ["queue", "type"],
)
DEAD_LETTERED = Counter(
    "bookiji_worker_messages_dead_lettered",
    "Messages sent to their queue's dead-letter queue.",
    ["queue", "type"],
)
LATENCY = Histogram(
    "bookiji_worker_handler_duration_seconds",
    "Time a handler ran, whatever its outcome.",
    ["queue", "type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
DEPTH = Gauge("bookiji_queue_depth", "Messages in the queue (visible or not).", ["queue"])
VISIBLE = Gauge("bookiji_queue_visible_depth", "Messages ready to be read now.", ["queue"])
OLDEST_AGE = Gauge(
    "bookiji_queue_oldest_message_age_seconds",
    "Age of the oldest message in the queue (0 when empty).",
    ["queue"],
)


def type_label(kind: str) -> str:
    """The message type as a label: registered types only, so garbage cannot explode the series."""
    return kind if registry.lookup(kind) is not None else "unknown"


def observe_queue_stats(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        queue = str(row["queue_name"])
        DEPTH.labels(queue).set(row["queue_length"] or 0)
        VISIBLE.labels(queue).set(row["queue_visible_length"] or 0)
        OLDEST_AGE.labels(queue).set(row["oldest_msg_age_sec"] or 0)


def serve(port: int) -> None:
    """Serve /metrics on 127.0.0.1 only (a daemon thread)."""
    start_http_server(port, addr="127.0.0.1")
