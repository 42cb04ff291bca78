"""Typed records read from ``internal.notification_context``: the notification, its recipient, the booking."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from worker.errors import PermanentError

LOCALES = ("en", "fr")
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def is_e164(phone: str) -> bool:
    """True for a phone number in E.164 form (+, country code, at most 15 digits)."""
    return bool(E164.match(phone))


def _text(data: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise PermanentError(f"notification data: {key} must be a non-empty string")
    return value


def _int(data: dict[str, Any], key: str, *, required: bool = True) -> int | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise PermanentError(f"notification data: {key} must be a whole number")
    return int(value)


def _instant(data: dict[str, Any], key: str) -> datetime:
    text = _text(data, key)
    assert text is not None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PermanentError(f"notification data: {key} is not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        raise PermanentError(f"notification data: {key} has no UTC offset")
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Recipient:
    id: uuid.UUID
    email: str
    full_name: str
    locale: str
    phone: str | None
    role: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Recipient:
        locale = data.get("locale")
        return cls(
            id=uuid.UUID(str(data["id"])),
            email=str(data["email"]),
            full_name=str(data["full_name"]),
            locale=locale if locale in LOCALES else "en",
            phone=str(data["phone"]) if data.get("phone") else None,
            role=str(data.get("role") or "customer"),
        )


@dataclass(frozen=True)
class Booking:
    """The booking details of a booking event (the producer's data contract)."""

    id: uuid.UUID
    service_name: str
    provider_name: str
    time_zone: ZoneInfo
    starts_at: datetime
    """In the provider's time zone."""
    ends_at: datetime
    price_cents: int
    currency: str
    refund_cents: int | None
    cancelled_by: str | None
    ics_sequence: int
    customer_name: str | None

    @property
    def uid(self) -> str:
        """The iCalendar UID: the same for every message about this booking."""
        return f"booking-{self.id}@bookiji"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Booking:
        zone_name = _text(data, "provider_time_zone")
        assert zone_name is not None
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise PermanentError(
                f"notification data: provider_time_zone {zone_name!r} is not a known time zone"
            ) from None
        try:
            booking_id = uuid.UUID(str(data.get("booking_id")))
        except ValueError:
            raise PermanentError("notification data: booking_id must be a uuid") from None
        currency = _text(data, "currency")
        assert currency is not None
        return cls(
            id=booking_id,
            service_name=str(_text(data, "service_name")),
            provider_name=str(_text(data, "provider_name")),
            time_zone=zone,
            starts_at=_instant(data, "starts_at").astimezone(zone),
            ends_at=_instant(data, "ends_at").astimezone(zone),
            price_cents=int(_int(data, "price_cents") or 0),
            currency=currency.upper(),
            refund_cents=_int(data, "refund_cents", required=False),
            cancelled_by=_text(data, "cancelled_by", required=False),
            ics_sequence=int(_int(data, "ics_sequence", required=False) or 0),
            customer_name=_text(data, "customer_name", required=False),
        )


@dataclass(frozen=True)
class Notification:
    """One notification row with what it is rendered from."""

    id: uuid.UUID
    event: str
    category: str
    channel: str
    status: str
    attempts: int
    delivery_unknown: bool
    data: dict[str, Any]
    recipient: Recipient
    booking: Booking | None

    @property
    def final(self) -> bool:
        """Sent, skipped, or failed with its delivery unknown: nothing more will be sent."""
        return self.status in ("sent", "skipped") or (
            self.status == "failed" and self.delivery_unknown
        )

    @classmethod
    def from_context(cls, ctx: dict[str, Any]) -> Notification:
        booking = ctx.get("booking")
        data = ctx.get("data")
        return cls(
            id=uuid.UUID(str(ctx["id"])),
            event=str(ctx["event"]),
            category=str(ctx["category"]),
            channel=str(ctx["channel"]),
            status=str(ctx["status"]),
            attempts=int(ctx["attempts"]),
            delivery_unknown=bool(ctx["delivery_unknown"]),
            data=data if isinstance(data, dict) else {},
            recipient=Recipient.from_json(ctx["recipient"]),
            booking=Booking.from_json(booking) if isinstance(booking, dict) else None,
        )
