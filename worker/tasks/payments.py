"""Payment effects: create and cancel PaymentIntents, perform ledger refunds.

The database decides; these handlers only perform the Stripe call it asked
for and report back through the ``internal`` entry points, which check the
state and are idempotent. Every Stripe call carries a key derived from the
effect, so a redelivered message cannot charge or refund twice; a message
older than Stripe's 24-hour key lifetime first looks for the object an earlier
attempt made.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import stripe

from worker import registry, stripe_client
from worker.errors import PermanentError, RetryableError
from worker.queries import query

log = logging.getLogger("bookiji.tasks.payments")
KEY_LIFETIME = timedelta(hours=23)  # Stripe keeps keys 24 h; leave a margin


@registry.classifier
def stripe_verdict(exc: BaseException) -> registry.Verdict | None:
    """Stripe's connection errors, 429 and 5xx are retryable; its refusals are permanent
    (a ``CardError`` a handler let escape is a bug: declines are recorded outcomes)."""
    if isinstance(exc, httpx.TransportError):
        return "retry"
    if not isinstance(exc, stripe.StripeError):
        return None
    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError):
        return "retry"
    if isinstance(
        exc,
        stripe.CardError
        | stripe.InvalidRequestError
        | stripe.IdempotencyError
        | stripe.AuthenticationError
        | stripe.PermissionError
        | stripe.SignatureVerificationError,
    ):
        return "permanent"
    status = exc.http_status or 0
    return (
        "retry"
        if status == 429 or status >= 500 or isinstance(exc, stripe.APIError)
        else "permanent"
    )


def _replayed_late(ctx: registry.Context) -> bool:
    return datetime.now(UTC) - ctx.message.enqueued_at > KEY_LIFETIME


def _row(ctx: registry.Context, name: str, params: dict[str, Any]) -> dict[str, Any] | None:
    row = ctx.conn.execute(query(name), params).fetchone()
    if row is None:
        return None
    value = row[0] if isinstance(row, tuple) else next(iter(row.values()))
    return dict(value) if value is not None else None


def _scalar(ctx: registry.Context, name: str, params: dict[str, Any]) -> Any:
    row = ctx.conn.execute(query(name), params).fetchone()
    if row is None:
        return None
    return row[0] if isinstance(row, tuple) else next(iter(row.values()))


def _maybe_made_before(ctx: registry.Context, req: dict[str, Any]) -> bool:
    """Whether an earlier attempt at this message may have created an intent that the
    database never recorded: a redelivery, no intent recorded, and no failure recorded."""
    return (
        ctx.attempt > 1
        and req["stripe_payment_intent_id"] is None
        and req["payment_status"] in ("pending", "cancelled")
    )


@registry.handler("payment.create_intent")
def create_intent(ctx: registry.Context, body: dict[str, Any]) -> None:
    req = _row(ctx, "payment_intent_request", {"payment_id": body.get("payment_id")})
    if req is None:
        raise PermanentError(f"no such payment: {body.get('payment_id')!r}")
    if not req["wanted"]:
        if not _maybe_made_before(ctx, req):
            log.info("booking %s no longer awaits payment: no intent created", req["booking_id"])
            return
        # An earlier attempt may have made the intent in Stripe and then died before its
        # transaction committed (worker killed, database restarted): ask again with the same
        # key - Stripe answers with that intent if it exists - and record it, which requests
        # its cancellation, the booking having ended. Left alone it would stay live in Stripe,
        # unknown here. (Had no earlier attempt reached Stripe, this makes the booking's one
        # intent, cancelled at once.)
        log.info(
            "booking %s no longer awaits payment; attempt %s: recording (and so cancelling) "
            "any intent an earlier attempt made",
            req["booking_id"],
            ctx.attempt,
        )
    try:
        pi = stripe_client.create_payment_intent(
            stripe_client.client(),
            booking_id=req["booking_id"],
            amount=int(req["amount_cents"]),
            currency=str(req["currency"]),
            metadata={"payment_id": str(req["payment_id"]), "customer_id": str(req["customer_id"])},
            find_existing=_replayed_late(ctx),
        )
    except stripe.InvalidRequestError as exc:
        # Stripe will never accept this request: a business outcome, recorded
        _scalar(
            ctx,
            "record_payment_failure",
            {"payment_id": req["payment_id"], "reason": str(exc.user_message or exc)},
        )
        return
    _scalar(
        ctx,
        "record_payment_intent",
        {"payment_id": req["payment_id"], "intent_id": pi.id, "client_secret": pi.client_secret},
    )


@registry.handler("payment.cancel_intent")
def cancel_intent(ctx: registry.Context, body: dict[str, Any]) -> None:
    req = _row(ctx, "payment_intent_request", {"payment_id": body.get("payment_id")})
    if req is None:
        raise PermanentError(f"no such payment: {body.get('payment_id')!r}")
    intent_id = req["stripe_payment_intent_id"]
    if intent_id is None:
        # never created (the create handler skips ended bookings): nothing to cancel in Stripe
        _scalar(ctx, "record_payment_intent_cancelled", {"payment_id": req["payment_id"]})
        return
    sc = stripe_client.client()
    pi = sc.v1.payment_intents.retrieve(intent_id)
    if _settled(ctx, req, str(pi.status)):
        return
    try:
        sc.v1.payment_intents.cancel(
            intent_id,
            options={
                "idempotency_key": stripe_client.effect_key("payment", req["payment_id"], "cancel")
            },
        )
    except stripe.InvalidRequestError:
        # the customer paid (or something cancelled it) between the look and the cancel:
        # Stripe refuses to cancel an intent in that state (payment_intent_unexpected_state)
        status = str(sc.v1.payment_intents.retrieve(intent_id).status)
        if _settled(ctx, req, status):
            return
        if status == "processing":
            raise RetryableError(f"{intent_id} is processing: cancel once it settles") from None
        raise
    _scalar(ctx, "record_payment_intent_cancelled", {"payment_id": req["payment_id"]})


def _settled(ctx: registry.Context, req: dict[str, Any], status: str) -> bool:
    """Nothing to cancel: the intent succeeded (the webhook refunds a payment that arrived
    after the booking ended) or is cancelled already (recorded here)."""
    if status == "canceled":
        _scalar(ctx, "record_payment_intent_cancelled", {"payment_id": req["payment_id"]})
    return status in ("succeeded", "canceled")


@registry.handler("payment.refund")
def refund(ctx: registry.Context, body: dict[str, Any]) -> None:
    req = _row(ctx, "refund_request", {"refund_id": body.get("refund_id")})
    if req is None:
        raise PermanentError(f"no such refund: {body.get('refund_id')!r}")
    if not req["wanted"]:
        return
    if not req["stripe_payment_intent_id"]:
        raise PermanentError(f"refund {req['refund_id']} has no PaymentIntent to refund")
    r = stripe_client.create_refund(
        stripe_client.client(),
        ledger_id=req["refund_id"],
        payment_intent=str(req["stripe_payment_intent_id"]),
        amount=int(req["amount_cents"]),
        metadata={"booking_id": str(req["booking_id"])},
        find_existing=_replayed_late(ctx),
    )
    status = {"succeeded": "succeeded", "failed": "failed", "canceled": "failed"}.get(
        str(r.status), "pending"
    )
    _scalar(
        ctx,
        "record_refund",
        {
            "refund_id": req["refund_id"],
            "stripe_refund_id": r.id,
            "status": status,
            # absent unless the refund failed (and from some Stripe doubles): .get, not the attribute
            "failure": r.to_dict().get("failure_reason"),
        },
    )
