"""Typed records at the worker's boundary: a queue message, each message kind's body, and the
rows the database answers with (what to do, and what it concerns)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from worker.errors import PermanentError


@dataclass(frozen=True)
class Message:
    """One message read from a queue. ``read_ct`` is pgmq's read count: 1 on the first attempt."""

    queue: str
    msg_id: int
    read_ct: int
    enqueued_at: datetime
    vt: datetime
    body: dict[str, Any]

    @property
    def type(self) -> str:
        kind = self.body.get("type")
        return kind if isinstance(kind, str) else ""

    @property
    def key(self) -> tuple[str, int]:
        return (self.queue, self.msg_id)

    @classmethod
    def from_row(cls, queue: str, row: dict[str, Any]) -> Message:
        body = row["message"]
        return cls(
            queue=queue,
            msg_id=int(row["msg_id"]),
            read_ct=int(row["read_ct"]),
            enqueued_at=row["enqueued_at"],
            vt=row["vt"],
            body=body if isinstance(body, dict) else {"type": "", "payload": body},
        )


# --- message bodies and the rows the worker reads, parsed at the boundary ---------------------
# A malformed body raises PermanentError: retrying cannot fix it, so it is dead-lettered.


def _uuid(data: dict[str, Any], key: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(data[key]))
    except (KeyError, ValueError):
        raise PermanentError(f"{what} needs a {key} (uuid), got {data.get(key)!r}") from None


def _choice(data: dict[str, Any], key: str, allowed: tuple[str, ...], what: str) -> str:
    value = data.get(key)
    if value not in allowed:
        raise PermanentError(f"{what}: {key} {value!r} is not one of {', '.join(allowed)}")
    return str(value)


@dataclass(frozen=True)
class PaymentMessage:
    """``payment.create_intent`` and ``payment.cancel_intent``: which payment."""

    payment_id: uuid.UUID

    @classmethod
    def parse(cls, body: dict[str, Any]) -> PaymentMessage:
        return cls(_uuid(body, "payment_id", f"a {body.get('type')} message"))


@dataclass(frozen=True)
class RefundMessage:
    """``payment.refund``: which ledger refund."""

    refund_id: uuid.UUID

    @classmethod
    def parse(cls, body: dict[str, Any]) -> RefundMessage:
        return cls(_uuid(body, "refund_id", "a payment.refund message"))


@dataclass(frozen=True)
class BalanceMessage:
    """``payment.charge_balance``: which booking's balance."""

    booking_id: uuid.UUID

    @classmethod
    def parse(cls, body: dict[str, Any]) -> BalanceMessage:
        return cls(_uuid(body, "booking_id", "a payment.charge_balance message"))


@dataclass(frozen=True)
class OnboardMessage:
    """``connect.onboard``: which provider, and which onboarding link request."""

    provider_id: uuid.UUID
    link_request_id: uuid.UUID

    @classmethod
    def parse(cls, body: dict[str, Any]) -> OnboardMessage:
        what = "a connect.onboard message"
        return cls(_uuid(body, "provider_id", what), _uuid(body, "link_request_id", what))


@dataclass(frozen=True)
class OwedTransferMessage:
    """``connect.pay_owed``: which owed transfer (app.owed_transfers)."""

    owed_transfer_id: uuid.UUID

    @classmethod
    def parse(cls, body: dict[str, Any]) -> OwedTransferMessage:
        return cls(_uuid(body, "owed_transfer_id", "a connect.pay_owed message"))


@dataclass(frozen=True)
class OwedReversalMessage:
    """``connect.reverse_owed``: which refund takes its share back from an owed transfer."""

    refund_id: uuid.UUID

    @classmethod
    def parse(cls, body: dict[str, Any]) -> OwedReversalMessage:
        return cls(_uuid(body, "refund_id", "a connect.reverse_owed message"))


@dataclass(frozen=True)
class TransferReversalMessage:
    """``connect.reverse_transfer``: which late cancellation's refund the provider's transfer bears."""

    refund_id: uuid.UUID

    @classmethod
    def parse(cls, body: dict[str, Any]) -> TransferReversalMessage:
        return cls(_uuid(body, "refund_id", "a connect.reverse_transfer message"))


@dataclass(frozen=True)
class NotifyMessage:
    """``notify``: which notification row."""

    notification_id: uuid.UUID

    @classmethod
    def parse(cls, body: dict[str, Any]) -> NotifyMessage:
        return cls(_uuid(body, "notification_id", "a notify message"))


INTENT_ACTIONS = ("create_intent", "skip")
CANCEL_ACTIONS = ("retrieve", "cancel_intent", "record_cancelled", "skip", "retry", "fail")
REFUND_ACTIONS = ("create_refund", "skip", "fail")
ONBOARD_ACTIONS = ("create_account", "create_link", "skip")
OWED_TRANSFER_ACTIONS = ("create_transfer", "skip")
OWED_REVERSAL_ACTIONS = ("reverse", "skip")
TRANSFER_REVERSAL_ACTIONS = ("reverse", "skip")
BALANCE_ACTIONS = ("charge", "skip")


@dataclass(frozen=True)
class BalanceStep:
    """What the database asks of a ``payment.charge_balance`` message
    (internal.balance_charge_action): the off-session charge of a booking's balance."""

    action: str
    reason: str
    booking_id: uuid.UUID
    customer_id: uuid.UUID
    amount_cents: int
    currency: str
    stripe_customer_id: str | None
    stripe_payment_method_id: str | None
    transfer_destination: str | None
    application_fee_cents: int

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> BalanceStep:
        what = "a balance step"
        return cls(
            action=_choice(row, "action", BALANCE_ACTIONS, what),
            reason=str(row.get("reason") or ""),
            booking_id=_uuid(row, "booking_id", what),
            customer_id=_uuid(row, "customer_id", what),
            amount_cents=int(row["amount_cents"]),
            currency=str(row["currency"]),
            stripe_customer_id=_optional_text(row, "stripe_customer_id"),
            stripe_payment_method_id=_optional_text(row, "stripe_payment_method_id"),
            transfer_destination=_optional_text(row, "transfer_destination"),
            application_fee_cents=int(row.get("application_fee_cents") or 0),
        )


@dataclass(frozen=True)
class PaymentStep:
    """What the database asks of a payment message (internal.payment_intent_action,
    internal.payment_cancel_action): the action, why, and the payment it concerns."""

    action: str
    reason: str
    payment_id: uuid.UUID
    booking_id: uuid.UUID
    customer_id: uuid.UUID
    amount_cents: int
    currency: str
    stripe_payment_intent_id: str | None
    transfer_destination: str | None = None
    application_fee_cents: int = 0
    save_card: bool = False
    stripe_customer_id: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any], actions: tuple[str, ...]) -> PaymentStep:
        what = "a payment step"
        intent = row.get("stripe_payment_intent_id")
        return cls(
            action=_choice(row, "action", actions, what),
            reason=str(row.get("reason") or ""),
            payment_id=_uuid(row, "payment_id", what),
            booking_id=_uuid(row, "booking_id", what),
            customer_id=_uuid(row, "customer_id", what),
            amount_cents=int(row["amount_cents"]),
            currency=str(row["currency"]),
            stripe_payment_intent_id=None if intent is None else str(intent),
            transfer_destination=_optional_text(row, "transfer_destination"),
            application_fee_cents=int(row.get("application_fee_cents") or 0),
            save_card=bool(row.get("save_card")),
            stripe_customer_id=_optional_text(row, "stripe_customer_id"),
        )


def _optional_text(row: dict[str, Any], key: str) -> str | None:
    value = row.get(key)
    return None if value is None else str(value)


@dataclass(frozen=True)
class RefundStep:
    """What the database asks of a ``payment.refund`` message (internal.refund_action)."""

    action: str
    reason: str
    refund_id: uuid.UUID
    booking_id: uuid.UUID
    amount_cents: int
    stripe_payment_intent_id: str | None
    reverse_transfer: bool = False
    refund_application_fee: bool = False

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> RefundStep:
        what = "a refund step"
        intent = row.get("stripe_payment_intent_id")
        return cls(
            action=_choice(row, "action", REFUND_ACTIONS, what),
            reason=str(row.get("reason") or ""),
            refund_id=_uuid(row, "refund_id", what),
            booking_id=_uuid(row, "booking_id", what),
            amount_cents=int(row["amount_cents"]),
            stripe_payment_intent_id=None if intent is None else str(intent),
            reverse_transfer=bool(row.get("reverse_transfer")),
            refund_application_fee=bool(row.get("refund_application_fee")),
        )


@dataclass(frozen=True)
class OnboardStep:
    """What the database asks of a ``connect.onboard`` message (internal.payout_onboarding_action)."""

    action: str
    reason: str
    provider_id: uuid.UUID
    link_request_id: uuid.UUID
    email: str | None
    business_name: str | None
    stripe_account_id: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> OnboardStep:
        what = "an onboarding step"
        return cls(
            action=_choice(row, "action", ONBOARD_ACTIONS, what),
            reason=str(row.get("reason") or ""),
            provider_id=_uuid(row, "provider_id", what),
            link_request_id=_uuid(row, "link_request_id", what),
            email=_optional_text(row, "email"),
            business_name=_optional_text(row, "business_name"),
            stripe_account_id=_optional_text(row, "stripe_account_id"),
        )


@dataclass(frozen=True)
class OwedTransferStep:
    """What the database asks of a ``connect.pay_owed`` message (internal.owed_transfer_action)."""

    action: str
    reason: str
    owed_transfer_id: uuid.UUID
    booking_id: uuid.UUID
    attempt: int
    destination: str
    amount_cents: int
    currency: str
    stripe_payment_intent_id: str | None
    balance_charge: bool = False  # the balance charged to the card's share, not the deposit's

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> OwedTransferStep:
        what = "an owed transfer step"
        return cls(
            action=_choice(row, "action", OWED_TRANSFER_ACTIONS, what),
            reason=str(row.get("reason") or ""),
            owed_transfer_id=_uuid(row, "owed_transfer_id", what),
            booking_id=_uuid(row, "booking_id", what),
            attempt=int(row["attempt"]),
            destination=str(row["destination"]),
            amount_cents=int(row["amount_cents"]),
            currency=str(row["currency"]),
            stripe_payment_intent_id=_optional_text(row, "stripe_payment_intent_id"),
            balance_charge=bool(row.get("balance_charge")),
        )


@dataclass(frozen=True)
class OwedReversalStep:
    """What the database asks of a ``connect.reverse_owed`` message (internal.owed_reversal_action)."""

    action: str
    reason: str
    refund_id: uuid.UUID
    booking_id: uuid.UUID
    amount_cents: int
    stripe_transfer_id: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> OwedReversalStep:
        what = "an owed reversal step"
        return cls(
            action=_choice(row, "action", OWED_REVERSAL_ACTIONS, what),
            reason=str(row.get("reason") or ""),
            refund_id=_uuid(row, "refund_id", what),
            booking_id=_uuid(row, "booking_id", what),
            amount_cents=int(row["amount_cents"]),
            stripe_transfer_id=_optional_text(row, "stripe_transfer_id"),
        )


@dataclass(frozen=True)
class TransferReversalStep:
    """What the database asks of a ``connect.reverse_transfer`` message
    (internal.transfer_reversal_action)."""

    action: str
    reason: str
    refund_id: uuid.UUID
    booking_id: uuid.UUID
    amount_cents: int
    stripe_payment_intent_id: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> TransferReversalStep:
        what = "a transfer reversal step"
        return cls(
            action=_choice(row, "action", TRANSFER_REVERSAL_ACTIONS, what),
            reason=str(row.get("reason") or ""),
            refund_id=_uuid(row, "refund_id", what),
            booking_id=_uuid(row, "booking_id", what),
            amount_cents=int(row["amount_cents"]),
            stripe_payment_intent_id=_optional_text(row, "stripe_payment_intent_id"),
        )
