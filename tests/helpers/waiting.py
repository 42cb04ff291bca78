"""Waiting for a condition with a deadline (never a bare sleep standing in for an event)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def until(
    check: Callable[[], T],
    timeout: float = 30.0,
    what: str = "condition",
    *,
    ignoring: tuple[type[Exception], ...] = (),
    every: float = 0.05,
) -> T:
    """Poll ``check`` every ``every`` seconds until it returns something truthy; fail after
    ``timeout`` seconds. An exception in ``ignoring`` counts as not yet, and is raised if
    the last attempt before the deadline raised it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except ignoring:
            if time.monotonic() > deadline:
                raise
        else:
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)
