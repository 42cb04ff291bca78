"""Email: build the MIME message and hand it to the SMTP server of SMTP_URL.

The message is multipart/alternative (plain text, then HTML); a booking email
with an invitation adds ``text/calendar; method=...`` as a third alternative and
the same file as an ``invite.ics`` attachment (what calendar clients expect;
the message becomes multipart/mixed). The rendered attachments follow (a receipt's
PDF, worker/notifications/receipt_pdf.py). Its Message-ID is derived from the
notification's id, so every attempt carries the same one, and is what the
notification row records as the provider's message id.

Failures are left to worker/retry.py's rules: connection errors and 4xx replies
are retryable, 5xx replies permanent. A server that lacks STARTTLS or AUTH when
SMTP_URL asks for them is a configuration error: permanent.
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from worker.errors import ConfigError, PermanentError
from worker.notifications import invitation
from worker.notifications.records import Notification
from worker.notifications.render import RenderedEmail
from worker.settings import SmtpServer

TIMEOUT_SECONDS = 30.0


def sender(mail_from: str) -> Address:
    """MAIL_FROM (``Name <address>`` or an address) as an Address."""
    name, addr = parseaddr(mail_from)
    if "@" not in addr:
        raise ConfigError(f"MAIL_FROM is not an email address: {mail_from!r}")
    local, _, domain = addr.rpartition("@")
    return Address(display_name=name, username=local, domain=domain)


def message_id(n: Notification, origin: Address) -> str:
    return f"<notification-{n.id}@{origin.domain}>"


def build(n: Notification, rendered: RenderedEmail, mail_from: str) -> EmailMessage:
    origin = sender(mail_from)
    msg = EmailMessage()
    msg["From"] = origin
    msg["To"] = Address(display_name=n.recipient.full_name, addr_spec=n.recipient.email)
    msg["Subject"] = rendered.subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = message_id(n, origin)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Bookiji-Notification"] = str(n.id)
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    method = invitation.METHODS.get(n.event)
    if method is not None and n.booking is not None:
        ics = invitation.build(n.booking, method, origin, n.recipient)
        msg.add_alternative(
            ics.decode(), subtype="calendar", params={"method": method}, cte="quoted-printable"
        )
        msg.add_attachment(ics, maintype="application", subtype="ics", filename="invite.ics")
    for part in rendered.attachments:
        msg.add_attachment(
            part.content, maintype=part.maintype, subtype=part.subtype, filename=part.filename
        )
    # after the parts: building them moves every Content-* header into the first part
    msg["Content-Language"] = n.recipient.locale
    return msg


def send(server: SmtpServer, msg: EmailMessage, recipient: str) -> None:
    """Deliver ``msg`` to ``recipient`` through ``server`` (one SMTP session)."""
    envelope_from = parseaddr(str(msg["From"]))[1]
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if server.security == "tls":
        client = smtplib.SMTP_SSL(
            server.host, server.port, timeout=TIMEOUT_SECONDS, context=context
        )
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS)
    with client:
        try:
            client.ehlo()
            if server.security == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if server.username is not None and server.password is not None:
                client.login(server.username, server.password)
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentError(
                f"the SMTP server {server.host}:{server.port} does not support what SMTP_URL "
                f"asks for ({exc})"
            ) from exc
        client.send_message(msg, from_addr=envelope_from, to_addrs=[recipient])
