"""Payment effects: create and cancel PaymentIntents, perform ledger refunds.

The database decides; these handlers only perform the Stripe call it asked
for and report back through the ``internal`` entry points, which check the
state and are idempotent. Each handler first asks SQL what to do
(``internal.payment_intent_action``, ``internal.payment_cancel_action``,
``internal.refund_action``): the answer names the action (``create_intent``,
``cancel_intent``, ``skip``, ...) and the reason, and the handler carries it
out without looking at the row's fields. Every Stripe call carries a key derived from the
effect, so a redelivered message cannot charge or refund twice; a message
older than Stripe's 24-hour key lifetime first looks for the object an earlier
attempt made.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import stripe

from worker import registry, stripe_client
from worker.errors import PermanentError, RetryableError
from worker.messages import (
    CANCEL_ACTIONS,
    INTENT_ACTIONS,
    BalanceMessage,
    BalanceStep,
    PaymentMessage,
    PaymentStep,
    RefundMessage,
    RefundStep,
)
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


def _value(ctx: registry.Context, name: str, params: dict[str, Any]) -> Any:
    row = ctx.conn.execute(query(name), params).fetchone()
    if row is None:
        return None
    return row[0] if isinstance(row, tuple) else next(iter(row.values()))


def _payment_step(
    ctx: registry.Context, name: str, params: dict[str, Any], actions: tuple[str, ...]
) -> PaymentStep:
    row = _value(ctx, name, params)
    if row is None:
        raise PermanentError(f"no such payment: {params['payment_id']}")
    return PaymentStep.from_row(dict(row), actions)


def _cancel_step(
    ctx: registry.Context, payment_id: UUID, status: str | None = None, refused: bool = False
) -> PaymentStep:
    params = {"payment_id": payment_id, "status": status, "refused": refused}
    return _payment_step(ctx, "payment_cancel_action", params, CANCEL_ACTIONS)


def _record_cancelled(ctx: registry.Context, step: PaymentStep) -> None:
    _value(ctx, "record_payment_intent_cancelled", {"payment_id": step.payment_id})
    log.info("payment %s: recorded cancelled (%s)", step.payment_id, step.reason)


@registry.handler("payment.create_intent")
def create_intent(ctx: registry.Context, body: dict[str, Any]) -> None:
    msg = PaymentMessage.parse(body)
    params = {"payment_id": msg.payment_id, "attempt": ctx.attempt}
    step = _payment_step(ctx, "payment_intent_action", params, INTENT_ACTIONS)
    if step.action == "skip":
        log.info("booking %s: %s", step.booking_id, step.reason)
        return
    if ctx.attempt > 1:
        log.info("booking %s: attempt %s: %s", step.booking_id, ctx.attempt, step.reason)
    customer = step.stripe_customer_id
    if step.save_card and customer is None:
        # the customer consented to saving the card: its Stripe Customer, made once
        made = stripe_client.create_customer(
            stripe_client.client(), user_id=step.customer_id, find_existing=_replayed_late(ctx)
        )
        customer = _value(
            ctx, "record_stripe_customer", {"user_id": step.customer_id, "customer_id": made.id}
        )
    try:
        pi = stripe_client.create_payment_intent(
            stripe_client.client(),
            customer=customer if step.save_card else None,
            save_card=step.save_card,
            booking_id=step.booking_id,
            amount=step.amount_cents,
            currency=step.currency,
            metadata={"payment_id": str(step.payment_id), "customer_id": str(step.customer_id)},
            find_existing=_replayed_late(ctx),
            destination=step.transfer_destination,
            application_fee=step.application_fee_cents,
        )
    except stripe.InvalidRequestError as exc:
        # Stripe will never accept this request: a business outcome, recorded
        reason = str(exc.user_message or exc)
        _value(ctx, "record_payment_failure", {"payment_id": step.payment_id, "reason": reason})
        return
    _value(
        ctx,
        "record_payment_intent",
        {"payment_id": step.payment_id, "intent_id": pi.id, "client_secret": pi.client_secret},
    )


@registry.handler("payment.cancel_intent")
def cancel_intent(ctx: registry.Context, body: dict[str, Any]) -> None:
    msg = PaymentMessage.parse(body)
    step = _cancel_step(ctx, msg.payment_id)
    if step.action == "record_cancelled":
        _record_cancelled(ctx, step)
        return
    assert step.stripe_payment_intent_id is not None  # the database asked to look at it
    intent_id = step.stripe_payment_intent_id
    sc = stripe_client.client()
    step = _cancel_step(ctx, msg.payment_id, str(sc.v1.payment_intents.retrieve(intent_id).status))
    if step.action == "cancel_intent":
        try:
            sc.v1.payment_intents.cancel(
                intent_id,
                options={
                    "idempotency_key": stripe_client.effect_key(
                        "payment", step.payment_id, "cancel"
                    )
                },
            )
        except stripe.InvalidRequestError as exc:
            # the customer paid (or something cancelled it) between the look and the cancel:
            # Stripe refuses to cancel an intent in that state (payment_intent_unexpected_state)
            status = str(sc.v1.payment_intents.retrieve(intent_id).status)
            step = _cancel_step(ctx, msg.payment_id, status, refused=True)
            if step.action == "fail":
                raise PermanentError(f"{intent_id}: {step.reason}") from exc
        else:
            _value(ctx, "record_payment_intent_cancelled", {"payment_id": step.payment_id})
            return
    if step.action == "record_cancelled":
        _record_cancelled(ctx, step)
    elif step.action == "retry":
        raise RetryableError(f"{intent_id}: {step.reason}")
    elif step.action == "skip":
        log.info("payment %s: %s", step.payment_id, step.reason)
    else:
        raise PermanentError(f"payment {step.payment_id}: unexpected action {step.action!r}")


@registry.handler("payment.refund")
def refund(ctx: registry.Context, body: dict[str, Any]) -> None:
    msg = RefundMessage.parse(body)
    row = _value(ctx, "refund_action", {"refund_id": msg.refund_id})
    if row is None:
        raise PermanentError(f"no such refund: {msg.refund_id}")
    step = RefundStep.from_row(dict(row))
    if step.action == "skip":
        log.info("refund %s: %s", step.refund_id, step.reason)
        return
    if step.action == "fail" or step.stripe_payment_intent_id is None:
        raise PermanentError(f"refund {step.refund_id}: {step.reason}")
    r = stripe_client.create_refund(
        stripe_client.client(),
        ledger_id=step.refund_id,
        payment_intent=step.stripe_payment_intent_id,
        amount=step.amount_cents,
        metadata={"booking_id": str(step.booking_id)},
        find_existing=_replayed_late(ctx),
        reverse_transfer=step.reverse_transfer,
        refund_application_fee=step.refund_application_fee,
    )
    _value(
        ctx,
        "record_refund",
        {
            "refund_id": step.refund_id,
            "stripe_refund_id": r.id,
            "stripe_status": str(r.status),  # mapped in SQL: internal.stripe_refund_status
            # absent unless the refund failed (and from some Stripe doubles): .get, not the attribute
            "failure": r.to_dict().get("failure_reason"),
        },
    )


@registry.handler("payment.charge_balance")
def charge_balance(ctx: registry.Context, body: dict[str, Any]) -> None:
    """The balance after a deposit, charged off-session to the card the customer saved
    (with consent) once the booking is completed. A card error is an outcome, not a
    failure: the balance becomes due and the customer is asked to pay on session."""
    msg = BalanceMessage.parse(body)
    row = _value(ctx, "balance_charge_action", {"booking_id": msg.booking_id})
    if row is None:
        raise PermanentError(f"booking {msg.booking_id}: no balance to charge")
    step = BalanceStep.from_row(dict(row))
    if step.action == "skip":
        log.info("booking %s: %s", step.booking_id, step.reason)
        return
    if step.stripe_customer_id is None or step.stripe_payment_method_id is None:
        raise PermanentError(f"booking {step.booking_id}: no saved card to charge")
    try:
        pi = stripe_client.charge_balance(
            stripe_client.client(),
            booking_id=step.booking_id,
            amount=step.amount_cents,
            currency=step.currency,
            customer=step.stripe_customer_id,
            payment_method=step.stripe_payment_method_id,
            destination=step.transfer_destination,
            application_fee=step.application_fee_cents,
        )
        intent: dict[str, Any] = pi.to_dict()
    except stripe.CardError as exc:
        answer: dict[str, Any] = exc.json_body if isinstance(exc.json_body, dict) else {}
        error: dict[str, Any] = answer.get("error") or {}
        failed = error.get("payment_intent")
        if not isinstance(failed, dict) or not failed.get("id"):
            raise PermanentError(
                f"booking {step.booking_id}: card error without an intent: {exc}"
            ) from exc
        intent = {
            **failed,
            "last_payment_error": failed.get("last_payment_error")
            or {k: error.get(k) for k in ("code", "decline_code", "message")},
        }
    outcome = _value(
        ctx,
        "record_balance_intent",
        {"booking_id": step.booking_id, "intent": json.dumps(intent, default=str)},
    )
    log.info("booking %s: %s", step.booking_id, outcome)
