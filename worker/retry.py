"""Retry policy as data, and the one place that decides retry versus dead letter.

A failed attempt is *retryable* when waiting can fix it: ``RetryableError``,
network errors, and PostgreSQL's transient failures (lock timeout,
serialization failure, deadlock, a lost connection: psycopg's
``OperationalError`` family). Anything else is *permanent* and goes to the
dead-letter queue at once: ``PermanentError``, SQL refusals (``PT4xx``), and
any other exception (a bug: retrying will not fix it).

Vendors' exceptions are judged by the task family that calls the vendor: it
registers a classifier (``registry.classifier``), asked before the rules
above. Payments (worker/tasks/payments.py): Stripe's connection errors, 5xx
and 429 are retryable; ``InvalidRequestError``, ``IdempotencyError``,
authentication errors and a ``CardError`` a handler let escape are permanent.
Notifications (worker/tasks/notifications.py): an SMTP 4xx reply or a lost
connection is retryable, a 5xx reply permanent; Twilio's 429 and 5xx are
retryable, its other 4xx permanent. This module imports no vendor SDK.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

from worker import registry
from worker.errors import PermanentError, RetryableError
from worker.registry import Verdict

__all__ = ["RetryPolicy", "Verdict", "classify"]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, capped; dead-letter after ``max_attempts`` reads.

    The delay after attempt n is drawn from ``[c * (1 - jitter), c]`` where
    ``c = min(cap_seconds, base_seconds * factor ** (n - 1))``. With
    ``factor * (1 - jitter) >= 1`` (the defaults: 2 and 0.5) a later delay is
    never shorter than an earlier one.
    """

    max_attempts: int = 8
    base_seconds: float = 2.0
    factor: float = 2.0
    cap_seconds: float = 300.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("jitter must be between 0 and 1")
        if self.base_seconds <= 0 or self.factor < 1 or self.cap_seconds < self.base_seconds:
            raise ValueError("need base_seconds > 0, factor >= 1 and cap_seconds >= base_seconds")

    def ceiling(self, attempt: int) -> float:
        """The longest delay after failed attempt ``attempt`` (1-based)."""
        exponent = max(0, attempt - 1)
        # avoid float overflow for absurd attempt numbers: the cap is reached long before
        if exponent > 64:
            return self.cap_seconds
        return min(self.cap_seconds, self.base_seconds * self.factor**exponent)

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait before the next attempt, after failed attempt ``attempt``."""
        return self.ceiling(attempt) * (1.0 - self.jitter * rand())

    def exhausted(self, attempt: int) -> bool:
        return attempt >= self.max_attempts


def classify(exc: BaseException) -> Verdict:
    """Retry or dead-letter: the verdict for an exception a handler raised."""
    if isinstance(exc, PermanentError):
        return "permanent"
    if isinstance(exc, RetryableError):
        return "retry"
    for family in registry.classifiers():
        verdict = family(exc)
        if verdict is not None:
            return verdict
    if isinstance(exc, psycopg.errors.ProgramLimitExceeded):
        return "permanent"
    if isinstance(exc, psycopg.OperationalError):
        # connection lost, lock_not_available (lock timeout), serialization
        # failure, deadlock, admin shutdown, query cancelled, out of resources
        return "retry"
    if isinstance(exc, psycopg.Error):
        return "permanent"  # refusals (PT4xx), constraint violations, bugs in SQL
    if isinstance(exc, ConnectionError | TimeoutError | OSError):
        return "retry"
    return "permanent"
