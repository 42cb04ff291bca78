"""SMS through Twilio's official SDK (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM).

When any of the three is unset the handler records the SMS ``skipped`` with
``NOT_CONFIGURED`` as the reason and never calls this module. TWILIO_FROM is a
phone number in E.164 form or a Messaging Service SID (``MG...``).

Failures are judged by the notifications classifier (worker/tasks/notifications.py):
Twilio's 429 and 5xx answers and network errors are retryable; other 4xx answers
(a bad number, an unverified sender, wrong credentials) are permanent.
"""

from __future__ import annotations

from worker.errors import PermanentError
from worker.notifications.records import is_e164
from worker.settings import TwilioAccount

NOT_CONFIGURED = "SMS not configured (TWILIO_* unset)"
TIMEOUT_SECONDS = 30.0


def send(account: TwilioAccount, to: str, body: str) -> str:
    """Send one SMS; return Twilio's message SID."""
    if not is_e164(to):
        raise PermanentError(f"the recipient's phone number is not in E.164 form: {to!r}")
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    client = Client(
        account.account_sid,
        account.auth_token,
        http_client=TwilioHttpClient(timeout=TIMEOUT_SECONDS),
    )
    if account.sender.startswith("MG"):
        message = client.messages.create(to=to, messaging_service_sid=account.sender, body=body)
    else:
        message = client.messages.create(to=to, from_=account.sender, body=body)
    return str(message.sid)
