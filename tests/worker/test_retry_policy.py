"""Retry policy as data, and which failures are retried versus dead-lettered."""

from __future__ import annotations

import smtplib

import httpx
import psycopg
import pytest
import stripe

from worker.errors import PermanentError, RetryableError
from worker.retry import RetryPolicy, classify
from worker.tasks import notifications, payments  # noqa: F401  (their classifiers)


def test_delays_grow_exponentially_up_to_the_cap() -> None:
    policy = RetryPolicy(base_seconds=2, factor=2, cap_seconds=60, jitter=0)
    assert [policy.delay(n) for n in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]
    assert policy.ceiling(10_000) == 60


def test_jitter_spreads_a_delay_below_its_ceiling_and_never_shrinks_it_below_the_previous() -> None:
    policy = RetryPolicy(base_seconds=1, factor=2, cap_seconds=1000, jitter=0.5)
    for attempt in range(1, 10):
        lowest = policy.delay(attempt, rand=lambda: 1.0)
        highest = policy.delay(attempt, rand=lambda: 0.0)
        assert lowest == policy.ceiling(attempt) / 2
        assert highest == policy.ceiling(attempt)
        assert policy.delay(attempt + 1, rand=lambda: 1.0) >= highest


def test_attempts_run_out_at_max_attempts() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert [policy.exhausted(n) for n in (1, 2, 3, 4)] == [False, False, True, True]


def test_a_nonsensical_policy_is_refused() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(jitter=1.5)


@pytest.mark.parametrize(
    "exc",
    [
        RetryableError("later"),
        ConnectionResetError(),
        TimeoutError(),
        httpx.ConnectError("refused"),
        stripe.APIConnectionError("network"),
        stripe.RateLimitError("slow down", http_status=429),
        stripe.APIError("stripe is down", http_status=500),
        psycopg.errors.LockNotAvailable("lock timeout"),
        psycopg.errors.SerializationFailure("could not serialize"),
        psycopg.errors.DeadlockDetected("deadlock"),
        psycopg.OperationalError("server closed the connection"),
        smtplib.SMTPResponseException(451, b"try again later"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_transient_failures_are_retried(exc: BaseException) -> None:
    assert classify(exc) == "retry"


@pytest.mark.parametrize(
    "exc",
    [
        PermanentError("no"),
        stripe.InvalidRequestError("bad param", param="amount", http_status=400),
        stripe.CardError("declined", param=None, code="card_declined", http_status=402),
        stripe.IdempotencyError("other parameters", http_status=400),
        stripe.AuthenticationError("bad key", http_status=401),
        psycopg.errors.RaiseException("invalid_transition"),
        psycopg.errors.UniqueViolation("duplicate"),
        smtplib.SMTPResponseException(550, b"no such mailbox"),
        KeyError("booking_id"),
        ZeroDivisionError(),
    ],
    ids=lambda e: type(e).__name__,
)
def test_everything_else_is_dead_lettered_at_once(exc: BaseException) -> None:
    assert classify(exc) == "permanent"
