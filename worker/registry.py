"""Message kinds and their handlers: one registry, filled by the task modules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

Handler = Callable[["Context", dict[str, Any]], None]


@dataclass(frozen=True)
class Context:
    """What a handler gets besides its message: a database connection and the message's place."""

    conn: psycopg.Connection[Any]
    queue: str
    msg_id: int
    attempt: int


_HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of messages whose ``type`` is ``kind``."""

    def register(fn: Handler) -> Handler:
        if kind in _HANDLERS:
            raise ValueError(f"a handler for {kind!r} is already registered")
        _HANDLERS[kind] = fn
        return fn

    return register


def lookup(kind: str) -> Handler | None:
    return _HANDLERS.get(kind)


def kinds() -> list[str]:
    return sorted(_HANDLERS)
