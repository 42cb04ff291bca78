"""Message types and their handlers: one registry, filled by the task modules.

A handler is a function ``(ctx, body) -> None`` registered for one message
``type``::

    @registry.handler("payment.create_intent")
    def create_intent(ctx: registry.Context, body: dict[str, Any]) -> None:
        msg = PaymentMessage.parse(body)  # worker/messages.py
        ...

A handler parses its body into its message class first (a malformed body
raises ``PermanentError``: dead-lettered at once), then asks SQL what to do
(an explicit action in the answer) and carries that out; it decides nothing
from the row's fields itself.

It runs in ``ctx.conn``'s transaction, which commits when it returns and rolls
back when it raises. Returning means done (the message is archived). Raising
``RetryableError`` (or a transient error: network, lock timeout, serialization
failure, deadlock, or what the task family's classifier calls retryable) means
try again later with backoff; raising ``PermanentError`` or anything else means
dead-letter now (see worker/retry.py). Delivery is at least once, so a handler must be idempotent:
Stripe calls pass an idempotency key derived from the effect, SQL callbacks
check their state transition.

A handler that must commit part of its work before a side effect (record
"sending" before handing a message to a mail server, so that a crash in
between is never followed by a second send) registers with
``transaction=False``: ``ctx.conn`` is then in autocommit mode, and the handler
opens its own short transactions with ``ctx.conn.transaction()``. What it
committed stays committed when it raises; the verdict rules are the same.

A handler that is idempotent, cheap and pure SQL (no call out of the database:
bookkeeping, a no-op) may register with ``batch=True``: the runner then runs the
messages of that type it reads together, up to ``--batch-size`` of them in one
transaction on one connection (one handler slot; a read may fill several), and
archives them in that same transaction, so their effects and their archive commit together. If one of them
raises, the group's transaction rolls back and each message of the group runs
again alone, in its own transaction, within the same attempt (nothing of the
group was committed); only the ones that fail alone are retried or
dead-lettered. A crash charges one attempt to each message of a running group:
they were all being handled.

A task family whose vendor raises its own exceptions (Stripe, SMTP, Twilio)
registers a classifier for them: ``(exc) -> "retry" | "permanent" | None``,
None for an exception it does not know. worker/retry.py asks each in turn, so
the runtime itself imports no vendor SDK.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import psycopg

from worker.messages import Message

Handler = Callable[["Context", dict[str, Any]], None]
Verdict = Literal["retry", "permanent"]
Classifier = Callable[[BaseException], Verdict | None]


@dataclass(frozen=True)
class Context:
    """What a handler gets besides its message body."""

    conn: psycopg.Connection[Any]
    """A pooled connection of the worker's role, inside a transaction for this handler
    (in autocommit mode for a handler registered with ``transaction=False``)."""
    message: Message
    max_attempts: int

    @property
    def queue(self) -> str:
        return self.message.queue

    @property
    def msg_id(self) -> int:
        return self.message.msg_id

    @property
    def attempt(self) -> int:
        """1 on the first attempt (pgmq's read count)."""
        return self.message.read_ct

    @property
    def last_attempt(self) -> bool:
        """True when a retryable failure now would send the message to the dead-letter queue."""
        return self.message.read_ct >= self.max_attempts


_HANDLERS: dict[str, Handler] = {}
_OWN_TRANSACTIONS: set[str] = set()
_BATCHED: set[str] = set()
_CLASSIFIERS: list[Classifier] = []


def register(kind: str, fn: Handler, *, transaction: bool = True, batch: bool = False) -> Handler:
    """Register ``fn`` as the handler of messages whose ``type`` is ``kind``.

    With ``transaction=False`` the runner does not wrap the handler in a
    transaction: ``ctx.conn`` is in autocommit mode and the handler opens its own.
    With ``batch=True`` (idempotent, cheap, pure SQL) messages of ``kind`` read
    together run in one transaction that also archives them.
    """
    if not kind:
        raise ValueError("a message type must not be empty")
    if batch and not transaction:
        raise ValueError("a batched handler runs in the runner's transaction (transaction=True)")
    if _HANDLERS.get(kind, fn) is not fn:
        raise ValueError(f"a handler for {kind!r} is already registered")
    _HANDLERS[kind] = fn
    if transaction:
        _OWN_TRANSACTIONS.discard(kind)
    else:
        _OWN_TRANSACTIONS.add(kind)
    if batch:
        _BATCHED.add(kind)
    else:
        _BATCHED.discard(kind)
    return fn


def handler(
    kind: str, *, transaction: bool = True, batch: bool = False
) -> Callable[[Handler], Handler]:
    """Decorator: register the function as the handler of messages of type ``kind``."""

    def decorate(fn: Handler) -> Handler:
        return register(kind, fn, transaction=transaction, batch=batch)

    return decorate


def lookup(kind: str) -> Handler | None:
    return _HANDLERS.get(kind)


def wants_transaction(kind: str) -> bool:
    """False when the handler of ``kind`` manages its own transactions (``transaction=False``)."""
    return kind not in _OWN_TRANSACTIONS


def batched(kind: str) -> bool:
    """True when messages of ``kind`` may share one transaction (``batch=True``)."""
    return kind in _BATCHED


def batched_kinds() -> list[str]:
    return sorted(_BATCHED)


def kinds() -> list[str]:
    return sorted(_HANDLERS)


def classifier(fn: Classifier) -> Classifier:
    """Decorator: register a task family's verdict on its vendor's exceptions."""
    if fn not in _CLASSIFIERS:
        _CLASSIFIERS.append(fn)
    return fn


def classifiers() -> tuple[Classifier, ...]:
    return tuple(_CLASSIFIERS)
