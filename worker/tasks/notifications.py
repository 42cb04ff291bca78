"""The ``notify`` handler: deliver one notification row (email or SMS), at most once.

A message is ``{"type": "notify", "notification_id": "<uuid>"}``, queued by
``internal.notify`` in the transaction of the event. The row, not the message,
is the truth, so a message delivered twice, re-enqueued or replayed from the
dead-letter queue sends nothing twice:

1. Take a session advisory lock on the notification (another worker holding it
   is sending it now: retry later).
2. In one short transaction: read the row and what it renders from
   (``internal.notification_context``); stop if it is already final (sent,
   skipped, or failed with its delivery unknown); record ``skipped`` with the
   reason if it must not go (an SMS with Twilio unconfigured, a reminder whose
   booking is no longer due); else ``internal.notification_begin`` marks it
   ``sending`` (attempts + 1). COMMIT.
3. Render and send, outside any transaction.
4. Record ``sent`` with the SMTP Message-ID or the Twilio SID; or, on failure,
   ``retry`` (back to queued: a 4xx reply, a lost connection) or ``failed``
   (a 5xx reply, a bad template or data, or the last attempt) with the error,
   and raise so that the runner retries or dead-letters the message.

A row found in ``sending`` while we hold the lock was being sent by a worker
that died mid-send (between 2 and 4): it may have been delivered, so it is
marked ``failed`` ("delivery state unknown after an interrupted send") and the
message is dead-lettered for ops to look at; it is never sent again. Delivery
is therefore at most once in that window, and exactly once otherwise. (The one
gap SMTP itself leaves: a connection lost after the server took the message
but before it answered is retried, so that message may arrive twice.)
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import uuid
from typing import Any

import psycopg
from psycopg.rows import dict_row
from twilio.base.exceptions import TwilioRestException

from worker import registry, settings
from worker.errors import PermanentError, RetryableError
from worker.messages import NotifyMessage
from worker.notifications import mail, render, sms
from worker.notifications.records import Notification
from worker.queries import query
from worker.retry import classify

log = logging.getLogger("bookiji.worker.notifications")

INTERRUPTED = "delivery state unknown after an interrupted send"
REMINDER_NOT_DUE = "reminder no longer due: the booking is not confirmed at that time any more"


@registry.classifier
def delivery_verdict(exc: BaseException) -> registry.Verdict | None:
    """An SMTP 4xx reply (or every recipient refused with one) or a lost connection is
    retryable, a 5xx reply permanent; Twilio's 429 and 5xx are retryable, its other 4xx not."""
    if isinstance(exc, TwilioRestException):
        return "retry" if exc.status == 429 or exc.status >= 500 else "permanent"
    if isinstance(exc, smtplib.SMTPResponseException):
        return "retry" if 400 <= exc.smtp_code < 500 else "permanent"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return "retry" if codes and all(400 <= c < 500 for c in codes) else "permanent"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "retry"
    return None


def _one(conn: psycopg.Connection[Any], name: str, params: dict[str, Any]) -> dict[str, Any]:
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(query(name), params).fetchone()
    assert row is not None
    return row


def _record(conn: psycopg.Connection[Any], nid: uuid.UUID, outcome: str, detail: str) -> None:
    conn.execute(query("notification_record"), {"id": nid, "outcome": outcome, "detail": detail})


def _skip_reason(
    conn: psycopg.Connection[Any], n: Notification, delivery: settings.Delivery
) -> str | None:
    """Why this notification must not be sent now, or None."""
    if n.channel == "sms" and delivery.twilio is None:
        return sms.NOT_CONFIGURED
    if n.event == "booking_reminder" and n.booking is not None:
        args = {"booking_id": n.booking.id, "starts_at": n.booking.starts_at}
        if not _one(conn, "reminder_still_due", args)["due"]:
            return REMINDER_NOT_DUE
    return None


def _send(n: Notification, delivery: settings.Delivery) -> str:
    """Render and send; return the provider's message id."""
    if n.channel == "email":
        msg = mail.build(n, render.email(n), delivery.mail_from)
        mail.send(delivery.smtp, msg, n.recipient.email)
        return str(msg["Message-ID"])
    if n.channel == "sms":
        assert delivery.twilio is not None
        if n.recipient.phone is None:
            raise PermanentError("the recipient has no phone number")
        return sms.send(delivery.twilio, n.recipient.phone, render.sms(n))
    raise PermanentError(f"unknown channel {n.channel!r}")


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _deliver(ctx: registry.Context, nid: uuid.UUID) -> None:
    conn = ctx.conn
    delivery = settings.delivery()
    with conn.transaction():
        context = _one(conn, "notification_context", {"id": nid})["context"]
        if context is None:
            log.info("notification %s is gone (its recipient was deleted): nothing to send", nid)
            return
        n = Notification.from_context(context)
        if n.final:
            log.info("notification %s is already %s: nothing to send", nid, n.status)
            return
        reason = None if n.status == "sending" else _skip_reason(conn, n, delivery)
        if reason is not None:
            _record(conn, nid, "skipped", reason)
            log.info("notification %s (%s, %s) skipped: %s", nid, n.event, n.channel, reason)
            return
        action = _one(conn, "notification_begin", {"id": nid})["action"]
    if action == "interrupted":
        raise PermanentError(f"notification {nid}: {INTERRUPTED}; not sent again")
    if action != "send":
        log.info("notification %s: %s", nid, action)
        return

    try:
        provider_id = _send(n, delivery)
    except Exception as exc:
        verdict = classify(exc)
        final = verdict == "permanent" or ctx.last_attempt
        with conn.transaction():
            _record(conn, nid, "failed" if final else "retry", _describe(exc))
        if verdict == "retry":
            raise RetryableError(f"notification {nid}: {_describe(exc)}") from exc
        raise PermanentError(f"notification {nid}: {_describe(exc)}") from exc
    with conn.transaction():
        _record(conn, nid, "sent", provider_id)
    log.info("notification %s (%s, %s) sent: %s", nid, n.event, n.channel, provider_id)


@registry.handler("notify", transaction=False)
def notify(ctx: registry.Context, body: dict[str, Any]) -> None:
    """Deliver the notification row named by the message (see the module's docstring)."""
    nid = NotifyMessage.parse(body).notification_id
    conn = ctx.conn
    if not _one(conn, "notification_lock", {"id": nid})["locked"]:
        raise RetryableError(f"notification {nid} is being handled by another worker")
    try:
        _deliver(ctx, nid)
    finally:
        # a lost connection has released it already
        with contextlib.suppress(psycopg.Error):
            conn.execute(query("notification_unlock"), {"id": nid})
