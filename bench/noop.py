"""Message handlers for the queue benchmark (``--import bench.noop``)."""

from __future__ import annotations

from typing import Any

from worker import registry, stripe_client
from worker.errors import RetryableError


@registry.handler("bench.noop", batch=True)
def noop(ctx: registry.Context, body: dict[str, Any]) -> None:
    """Do nothing: what is left is the worker's own cost per message. Batched (idempotent,
    cheap, pure SQL): the messages of one read run and are archived in one transaction."""


@registry.handler("bench.noop_single")
def noop_single(ctx: registry.Context, body: dict[str, Any]) -> None:
    """Do nothing, one message per transaction: the cost of a handler that is not batched."""


@registry.handler("bench.flaky")
def flaky(ctx: registry.Context, body: dict[str, Any]) -> None:
    """Fail as the message says: ``once`` (then succeed on the retry) or ``always``
    (until the attempts run out and the message is dead-lettered)."""
    fail = body.get("fail")
    if fail == "always" or (fail == "once" and ctx.attempt == 1):
        raise RetryableError(f"bench: failing {fail} (attempt {ctx.attempt})")


@registry.handler("bench.stripe", transaction=False)
def stripe_intent(ctx: registry.Context, body: dict[str, Any]) -> None:
    """One PaymentIntent at Stripe (localstripe in the benchmark) per message, with an
    idempotency key derived from the message, as the payment handlers do."""
    stripe_client.client().v1.payment_intents.create(
        params={"amount": 1000, "currency": "cad", "metadata": {"bench_msg": str(ctx.msg_id)}},
        options={"idempotency_key": f"bench-{ctx.queue}-{ctx.msg_id}"},
    )
