"""Render a notification: email (subject, plain text, HTML) and SMS text, in the recipient's locale.

Templates live in worker/templates/, one pair per event and locale:
``<event>.<locale>.txt`` holds the blocks ``subject``, ``text`` and (for events
that may go by SMS) ``sms``; ``<event>.<locale>.html`` extends ``_layout.html``
and is autoescaped. Booking details are formatted here, in the provider's time
zone, and shared by the templates through ``_details.<locale>.txt|html``.
Jinja's StrictUndefined turns a missing variable into an error, not a blank.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2

from worker import settings
from worker.errors import PermanentError
from worker.notifications import receipt_pdf
from worker.notifications.records import Booking, Notification

# Stripe's zero-decimal currencies: amounts in them are whole units.
ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND"}
    | {"VUV", "XAF", "XOF", "XPF"}
)
SYMBOLS = {"CAD": "$", "USD": "$", "AUD": "$", "EUR": "€", "GBP": "£"}

EN_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FR_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
# month names, January first
EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
FR_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
FR_SHORT_MONTHS = (
    "janv.", "févr.", "mars", "avr.", "mai", "juin",
    "juil.", "août", "sept.", "oct.", "nov.", "déc.",
)  # fmt: skip
NNBSP = "\u202f"  # French thousands separator and space before some punctuation


def money(cents: int, currency: str, locale: str) -> str:
    """An amount in minor units, written for the locale: ``$45.00 CAD`` / ``45,00 $ CAD``."""
    code = currency.upper()
    exponent = 0 if code in ZERO_DECIMAL else 2
    amount = Decimal(cents).scaleb(-exponent)
    digits = f"{amount:,.{exponent}f}"
    symbol = SYMBOLS.get(code)
    if locale == "fr":
        digits = digits.replace(",", NNBSP).replace(".", ",")
        if symbol == "$":
            return f"{digits}\u00a0$\u00a0{code}"
        return f"{digits}\u00a0{symbol or code}"
    if symbol == "$":
        return f"${digits} {code}"
    return f"{symbol}{digits}" if symbol else f"{digits} {code}"


def day(moment: datetime, locale: str) -> str:
    """``Monday, November 2, 2026`` / ``lundi 2 novembre 2026``."""
    if locale == "fr":
        first = "1er" if moment.day == 1 else str(moment.day)
        return f"{FR_DAYS[moment.weekday()]} {first} {FR_MONTHS[moment.month - 1]} {moment.year}"
    return f"{EN_DAYS[moment.weekday()]}, {EN_MONTHS[moment.month - 1]} {moment.day}, {moment.year}"


def short_day(moment: datetime, locale: str) -> str:
    """``Mon Nov 2`` / ``lun. 2 nov.`` (SMS)."""
    if locale == "fr":
        return f"{FR_DAYS[moment.weekday()][:3]}. {moment.day} {FR_SHORT_MONTHS[moment.month - 1]}"
    return f"{EN_DAYS[moment.weekday()][:3]} {EN_MONTHS[moment.month - 1][:3]} {moment.day}"


def clock(moment: datetime, locale: str) -> str:
    """``10:00 AM`` / ``10 h 00``."""
    if locale == "fr":
        return f"{moment.hour} h {moment.minute:02d}"
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def booking_view(b: Booking, locale: str) -> dict[str, Any]:
    """What the templates show of a booking, formatted for the locale, times in the provider's zone."""
    return {
        "id": str(b.id),
        "service": b.service_name,
        "provider": b.provider_name,
        "customer": b.customer_name,
        "date": day(b.starts_at, locale),
        "short_date": short_day(b.starts_at, locale),
        "start": clock(b.starts_at, locale),
        "end": clock(b.ends_at, locale),
        "zone": b.time_zone.key,
        "zone_abbreviation": b.starts_at.tzname() or "",
        "price": money(b.price_cents, b.currency, locale),
        "refund": money(b.refund_cents, b.currency, locale) if b.refund_cents is not None else None,
        "refund_cents": b.refund_cents,
        "cancelled_by": b.cancelled_by,
    }


def _cents(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PermanentError(f"notification data: {key} must be a whole number of cents")
    return value


def _rate(value: Any, locale: str) -> str:
    """A tax rate as a percentage: ``9.975%`` / ``9,975 %``."""
    text = f"{(Decimal(str(value)) * 100).normalize():f}"
    return f"{text.replace('.', ',')}{NNBSP}%" if locale == "fr" else f"{text}%"


# the balance after a deposit is still to pay in these states (internal.balance_due_json)
BALANCE_OWED = ("open", "charging", "due")


def _balance_due_cents(data: dict[str, Any]) -> int:
    """What is left to pay: the balance while it is owed (none once paid, or on a cancelled
    booking); without the balance's state (an older receipt), the total less what was paid."""
    status = data.get("balance_status")
    if status is None:
        return max(_cents(data, "total_cents") - _cents(data, "paid_cents"), 0)
    return _cents(data, "balance_cents") if status in BALANCE_OWED else 0


def _paid_on(data: dict[str, Any], locale: str, zone: ZoneInfo | None) -> str | None:
    """The day of the payment (``paid_at``), in the provider's zone."""
    text = data.get("paid_at")
    if not isinstance(text, str) or zone is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PermanentError("notification data: receipt.paid_at is not a timestamp") from None
    if moment.tzinfo is None:
        raise PermanentError("notification data: receipt.paid_at has no UTC offset")
    return day(moment.astimezone(zone), locale)


def receipt_view(data: Any, locale: str, zone: ZoneInfo | None = None) -> dict[str, Any] | None:
    """The receipt of ``internal.booking_receipt_json``, its amounts written for the locale
    (``paid_on`` in ``zone``, the provider's)."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise PermanentError("notification data: receipt must be an object")
    currency = str(data.get("currency") or "CAD")
    found = data.get("charge")
    charge: dict[str, Any] = found if isinstance(found, dict) else {}
    balance_paid = _cents(data, "balance_paid_cents") if "balance_paid_cents" in data else 0
    due = _balance_due_cents(data)

    def m(cents: int) -> str:
        return money(cents, currency, locale)

    return {
        "price": m(_cents(data, "price_cents")),
        "gst": m(_cents(data, "gst_cents")),
        "qst": m(_cents(data, "qst_cents")),
        "gst_rate": _rate(data.get("gst_rate") or 0, locale),
        "qst_rate": _rate(data.get("qst_rate") or 0, locale),
        "gst_number": data.get("gst_number"),
        "qst_number": data.get("qst_number"),
        "total": m(_cents(data, "total_cents")),
        "deposit": m(_cents(data, "deposit_cents")) if _cents(data, "deposit_cents") else None,
        "charge_base": m(_cents(charge, "base_cents")),
        "charge_gst": m(_cents(charge, "gst_cents")),
        "charge_qst": m(_cents(charge, "qst_cents")),
        "paid": m(_cents(data, "paid_cents")),
        "refunded": m(_cents(data, "refunded_cents")),
        "refunded_cents": _cents(data, "refunded_cents"),
        "balance_paid": m(balance_paid) if balance_paid else None,
        "balance_method": data.get("balance_method"),
        "total_paid": m(_cents(data, "paid_cents") + balance_paid),
        "balance_due": m(due),
        "balance_due_cents": due,
        "paid_on": _paid_on(data, locale, zone),
    }


def dispute_view(data: Any, locale: str) -> dict[str, Any] | None:
    """A dispute of ``internal.apply_dispute_event``: id, amount, reason, status, outcome."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise PermanentError("notification data: dispute must be an object")
    return {
        "id": str(data.get("id")),
        "amount": money(_cents(data, "amount_cents"), str(data.get("currency") or "CAD"), locale),
        "reason": str(data.get("reason")),
        "status": str(data.get("status")),
        "outcome": data.get("outcome"),
        "evidence_due_by": data.get("evidence_due_by"),
    }


def opening_view(data: dict[str, Any], locale: str, app_url: str) -> dict[str, Any]:
    """A waitlist opening (``waitlist_opening``): the freed slot, in the provider's zone, and the
    link to a fresh quote for it (the booking page, with the service and the start)."""
    try:
        zone = ZoneInfo(str(data["provider_time_zone"]))
        starts = datetime.fromisoformat(str(data["starts_at"]).replace("Z", "+00:00"))
        ends = datetime.fromisoformat(str(data["ends_at"]).replace("Z", "+00:00"))
    except (KeyError, ValueError, ZoneInfoNotFoundError) as exc:
        raise PermanentError(f"notification data: bad waitlist opening ({exc})") from None
    starts, ends = starts.astimezone(zone), ends.astimezone(zone)
    query = urlencode(
        {"service_id": str(data.get("service_id")), "starts_at": str(data["starts_at"])}
    )
    return {
        "service": str(data.get("service_name")),
        "provider": str(data.get("provider_name")),
        "date": day(starts, locale),
        "short_date": short_day(starts, locale),
        "start": clock(starts, locale),
        "end": clock(ends, locale),
        "zone": zone.key,
        "price": money(_cents(data, "price_cents"), str(data.get("currency") or "CAD"), locale),
        "quote_url": f"{app_url}/?{query}",
    }


@dataclass(frozen=True)
class Attachment:
    filename: str
    maintype: str
    subtype: str
    content: bytes


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()


@cache
def environment(html: bool) -> jinja2.Environment:
    """Two environments over the same templates: HTML escapes everything it renders or
    includes (a shared ``.txt`` fragment too); plain text and SMS escape nothing."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("worker", "templates"),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=(), default_for_string=html, default=html
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def variables(n: Notification) -> dict[str, Any]:
    locale = n.recipient.locale
    app_url = settings.env("APP_URL").rstrip("/")
    return {
        "locale": locale,
        "event": n.event,
        "name": n.recipient.full_name,
        "recipient_role": n.recipient.role,
        "token": n.data.get("token"),
        "stars": n.data.get("stars"),
        "app_url": app_url,
        "b": booking_view(n.booking, locale) if n.booking is not None else None,
        "receipt": receipt_view(
            n.data.get("receipt"), locale, n.booking.time_zone if n.booking is not None else None
        ),
        "dispute": dispute_view(n.data.get("dispute"), locale),
        "opening": (
            opening_view(n.data, locale, app_url) if n.event == "waitlist_opening" else None
        ),
        "balance": (balance_view(n, locale, app_url) if n.event == "balance_due" else None),
    }


def balance_view(n: Notification, locale: str, app_url: str) -> dict[str, Any]:
    """A balance the saved card did not pay (``balance_due``): how much, why, where to pay."""
    if n.booking is None:
        raise PermanentError("notification data: balance_due needs its booking")
    code = str(n.data.get("failure_code") or "card_declined")
    return {
        "amount": money(_cents(n.data, "balance_cents"), n.booking.currency, locale),
        "authentication": code == "authentication_required",
        "pay_url": f"{app_url}/bookings?pay_balance={n.booking.id}",
    }


def _block(template: jinja2.Template, name: str, values: dict[str, Any]) -> str:
    if name not in template.blocks:
        raise PermanentError(f"template {template.name} has no {name!r} block")
    return "".join(template.blocks[name](template.new_context(values))).strip()


def _template(kind: str, n: Notification) -> jinja2.Template:
    name = f"{n.event}.{n.recipient.locale}.{kind}"
    try:
        return environment(kind == "html").get_template(name)
    except jinja2.TemplateNotFound:
        raise PermanentError(f"no template {name} for event {n.event!r}") from None


def email(n: Notification) -> RenderedEmail:
    values = variables(n)
    text = _template("txt", n)
    subject = " ".join(_block(text, "subject", values).split())
    body = _block(text, "text", values) + "\n"
    html = _template("html", n).render({**values, "subject": subject})
    return RenderedEmail(subject=subject, text=body, html=html, attachments=attachments(n, values))


def attachments(n: Notification, values: dict[str, Any]) -> tuple[Attachment, ...]:
    """The receipt as a PDF (``receipt-<the booking id's first 8 characters>.pdf``) when the
    notification carries a receipt (the customer's: the payment's, and the refund's with
    the refund in it)."""
    if values["receipt"] is None or values["b"] is None:
        return ()
    content = receipt_pdf.build(
        values["receipt"], values["b"], n.recipient.full_name, n.recipient.locale,
        receipt_pdf.system_fonts(),
    )  # fmt: skip
    name = f"receipt-{values['b']['id'][:8]}.pdf"
    return (Attachment(name, "application", "pdf", content),)


def sms(n: Notification) -> str:
    return " ".join(_block(_template("txt", n), "sms", variables(n)).split())
