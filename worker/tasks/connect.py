"""Stripe Connect onboarding: a provider's Express account and its onboarding link.

``connect.onboard`` (queued by ``api.start_payout_onboarding``) asks SQL what to do
(``internal.payout_onboarding_action``): create the account (once per provider, key
``provider:<id>:create_account``), then the link of this request (key
``payout_link:<link request id>``), each recorded through an ``internal`` entry point that
checks the state. A link request superseded by a newer one is skipped. The link's
return and refresh pages are the web app's (APP_URL): Stripe sends the provider back
there when onboarding is done, or when the link has expired (the page asks for a new
one). What the account can do arrives later, by ``account.updated`` webhooks.

``connect.pay_owed`` (queued by SQL once a provider the platform owes can take transfers:
db/functions/65_owed_payouts.sql) makes the Stripe Transfer of what the platform owes for one
booking (``source_transaction`` = the charge, key ``owed:<booking id>``; for a balance the
platform charged to the card, the balance's charge and ``owed_balance:<booking id>``) and
records it, or records Stripe's refusal. ``connect.reverse_owed`` takes a later refund's share back from
that transfer (a TransferReversal, key ``owed_reversal:<refund id>``).

``connect.reverse_transfer`` (queued by SQL when a late cancellation's refund of a destination
charge succeeded: db/functions/55_connect.sql) reverses the refund's amount from the charge's
transfer (a TransferReversal, key ``refund_reversal:<refund id>``): the platform keeps its whole
fee and the provider bears the refund, which Stripe's proportional ``reverse_transfer`` cannot do.
"""

from __future__ import annotations

import logging
from typing import Any

import stripe

from worker import registry, stripe_client
from worker import settings as settings_mod
from worker.errors import PermanentError
from worker.messages import (
    OnboardMessage,
    OnboardStep,
    OwedReversalMessage,
    OwedReversalStep,
    OwedTransferMessage,
    OwedTransferStep,
    TransferReversalMessage,
    TransferReversalStep,
)
from worker.tasks.payments import _replayed_late, _value

log = logging.getLogger("bookiji.tasks.connect")
RETURN_PATH = "/provider/payouts?onboarding=return"
REFRESH_PATH = "/provider/payouts?onboarding=refresh"


def _step(ctx: registry.Context, msg: OnboardMessage) -> OnboardStep:
    row = _value(
        ctx,
        "payout_onboarding_action",
        {"provider_id": msg.provider_id, "link_request_id": msg.link_request_id},
    )
    if row is None:
        raise PermanentError(f"no such provider: {msg.provider_id}")
    return OnboardStep.from_row(dict(row))


@registry.handler("connect.onboard")
def onboard(ctx: registry.Context, body: dict[str, Any]) -> None:
    msg = OnboardMessage.parse(body)
    step = _step(ctx, msg)
    if step.action == "skip":
        log.info("provider %s: %s", step.provider_id, step.reason)
        return
    sc = stripe_client.client()
    account_id = step.stripe_account_id
    if step.action == "create_account":
        account = stripe_client.create_account(
            sc,
            provider_id=step.provider_id,
            email=step.email,
            business_name=step.business_name,
            find_existing=_replayed_late(ctx),
        )
        _value(
            ctx,
            "record_payout_account",
            {"provider_id": step.provider_id, "account_id": account.id},
        )
        account_id = account.id
    assert account_id is not None  # create_link: SQL saw the account
    app_url = settings_mod.env("APP_URL").rstrip("/")
    link = stripe_client.create_account_link(
        sc,
        account=account_id,
        link_request_id=step.link_request_id,
        return_url=app_url + RETURN_PATH,
        refresh_url=app_url + REFRESH_PATH,
    )
    outcome = _value(
        ctx,
        "record_payout_link",
        {
            "provider_id": step.provider_id,
            "link_request_id": step.link_request_id,
            "url": link.url,
            "expires_at": int(link.expires_at),
        },
    )
    log.info("provider %s: onboarding link %s", step.provider_id, outcome)


@registry.handler("connect.pay_owed")
def pay_owed(ctx: registry.Context, body: dict[str, Any]) -> None:
    msg = OwedTransferMessage.parse(body)
    row = _value(ctx, "owed_transfer_action", {"owed_transfer_id": msg.owed_transfer_id})
    if row is None:
        raise PermanentError(f"no such owed transfer: {msg.owed_transfer_id}")
    step = OwedTransferStep.from_row(dict(row))
    if step.action == "skip":
        log.info("owed transfer %s: %s", step.owed_transfer_id, step.reason)
        return
    sc = stripe_client.client()
    source = stripe_client.charge_of(sc, step.stripe_payment_intent_id)
    try:
        transfer = stripe_client.create_owed_transfer(
            sc,
            booking_id=step.booking_id,
            attempt=step.attempt,
            destination=step.destination,
            amount=step.amount_cents,
            currency=step.currency,
            source_transaction=source,
            metadata={"owed_transfer_id": str(step.owed_transfer_id)},
            find_existing=_replayed_late(ctx),
            balance=step.balance_charge,
        )
    except stripe.InvalidRequestError as exc:
        # Stripe will not make this transfer (the account lost its capability, ...): a
        # business outcome, recorded; the sweep asks again later with what is owed then
        reason = str(exc.user_message or exc)
        _value(
            ctx,
            "record_owed_transfer_failure",
            {"owed_transfer_id": step.owed_transfer_id, "reason": reason},
        )
        return
    outcome = _value(
        ctx,
        "record_owed_transfer",
        {
            "owed_transfer_id": step.owed_transfer_id,
            "transfer_id": transfer.id,
            "source_transaction": source,
        },
    )
    log.info("booking %s: owed transfer %s %s", step.booking_id, transfer.id, outcome)


@registry.handler("connect.reverse_owed")
def reverse_owed(ctx: registry.Context, body: dict[str, Any]) -> None:
    msg = OwedReversalMessage.parse(body)
    row = _value(ctx, "owed_reversal_action", {"refund_id": msg.refund_id})
    if row is None:
        raise PermanentError(f"no such refund: {msg.refund_id}")
    step = OwedReversalStep.from_row(dict(row))
    if step.action == "skip":
        log.info("refund %s: %s", step.refund_id, step.reason)
        return
    assert step.stripe_transfer_id is not None  # reverse: SQL saw the transfer made
    reversal = stripe_client.reverse_owed_transfer(
        stripe_client.client(),
        transfer=step.stripe_transfer_id,
        refund_id=step.refund_id,
        amount=step.amount_cents,
        find_existing=_replayed_late(ctx),
    )
    _value(ctx, "record_owed_reversal", {"refund_id": step.refund_id, "reversal_id": reversal.id})


@registry.handler("connect.reverse_transfer")
def reverse_transfer(ctx: registry.Context, body: dict[str, Any]) -> None:
    msg = TransferReversalMessage.parse(body)
    row = _value(ctx, "transfer_reversal_action", {"refund_id": msg.refund_id})
    if row is None:
        raise PermanentError(f"no such refund: {msg.refund_id}")
    step = TransferReversalStep.from_row(dict(row))
    if step.action == "skip":
        log.info("refund %s: %s", step.refund_id, step.reason)
        return
    sc = stripe_client.client()
    transfer = stripe_client.transfer_of(sc, step.stripe_payment_intent_id)
    if transfer is None:
        raise PermanentError(f"refund {step.refund_id}: the charge has no transfer to reverse")
    reversal = stripe_client.reverse_transfer_apart(
        sc,
        transfer=transfer,
        refund_id=step.refund_id,
        amount=step.amount_cents,
        find_existing=_replayed_late(ctx),
    )
    outcome = _value(
        ctx, "record_transfer_reversal", {"refund_id": step.refund_id, "reversal_id": reversal.id}
    )
    log.info(
        "refund %s: transfer %s reversed %s (%s)",
        step.refund_id,
        transfer,
        step.amount_cents,
        outcome,
    )
