"""The notification worker's parts without a database: SMTP_URL and Twilio settings, E.164,
locale formatting, and how mail and SMS failures are classified.

Twilio cannot be reached from the tests (no network): its SDK is exercised only
up to the checks made before any request.
"""

from __future__ import annotations

import smtplib
import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from twilio.base.exceptions import TwilioRestException

from bookiji import config
from worker.errors import ConfigError, PermanentError
from worker.notifications import render, sms
from worker.notifications.records import is_e164
from worker.retry import classify
from worker.tasks import notifications  # noqa: F401  (its classifier)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:1025", config.SmtpServer("plain", "127.0.0.1", 1025)),
        ("smtp://mail.example", config.SmtpServer("plain", "mail.example", 25)),
        (
            "smtp+starttls://me%40example.com:p%3Ass@mail.example:587",
            config.SmtpServer("starttls", "mail.example", 587, "me@example.com", "p:ss"),
        ),
        ("smtps://u:p@mail.example", config.SmtpServer("tls", "mail.example", 465, "u", "p")),
    ],
)
def test_smtp_urls_parse_to_plain_starttls_or_tls_with_default_ports(
    url: str, expected: config.SmtpServer
) -> None:
    assert config.parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mail.example", "SMTP_URL must start with smtp://, smtp+starttls://, smtps://"),
        ("mail.example:25", "SMTP_URL must start with"),
        ("smtp://", "SMTP_URL names no host"),
        ("smtp://u@mail.example", "both a user and a password"),
        ("smtp://mail.example/x", "SMTP_URL takes no path"),
        ("smtp://mail.example:99999", "SMTP_URL is not a valid URL"),
    ],
)
def test_a_bad_smtp_url_is_a_configuration_error_naming_the_variable(
    url: str, message: str
) -> None:
    with pytest.raises(ConfigError) as err:
        config.parse_smtp_url(url)
    assert message in str(err.value)


def test_the_smtp_password_is_not_shown_in_the_settings() -> None:
    server = config.parse_smtp_url("smtps://user:hunter2secret@mail.example")
    assert "hunter2secret" not in repr(server)


def test_twilio_is_configured_only_when_all_three_variables_are_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in config.OPTIONAL_NAMES:
        monkeypatch.delenv(name, raising=False)
    assert config.delivery().twilio is None
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC123")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "secret-token")
    assert config.delivery().twilio is None
    monkeypatch.setenv("TWILIO_FROM", "+15145550000")
    account = config.delivery().twilio
    assert account == config.TwilioAccount("AC123", "secret-token", "+15145550000")
    assert "secret-token" not in repr(account)
    assert config.load().twilio_account_sid == "AC123"


def test_a_mail_from_without_an_address_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MAIL_FROM", "Bookiji")
    with pytest.raises(ConfigError, match="MAIL_FROM"):
        config.delivery()


def test_the_worker_refuses_to_start_with_a_bad_smtp_url() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "worker", "--once", "--metrics-port", "0"],
        env={"SMTP_URL": "http://mail.example", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "SMTP_URL must start with smtp://" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("phone", "valid"),
    [
        ("+15145550123", True),
        ("+33612345678", True),
        ("5145550123", False),
        ("+1 514 555 0123", False),
        ("+0123456789", False),
        ("+1234567890123456", False),
    ],
)
def test_phone_numbers_are_e164(phone: str, valid: bool) -> None:
    assert is_e164(phone) is valid


def test_an_sms_to_a_number_not_in_e164_form_is_refused_before_calling_twilio() -> None:
    account = config.TwilioAccount("AC123", "token", "+15145550000")
    with pytest.raises(PermanentError, match=r"E\.164"):
        sms.send(account, "514-555-0123", "hello")


@pytest.mark.parametrize(
    ("status", "verdict"), [(429, "retry"), (500, "retry"), (503, "retry"), (400, "permanent")]
)
def test_twilio_errors_are_retried_only_when_waiting_can_help(status: int, verdict: str) -> None:
    assert classify(TwilioRestException(status, "https://api.twilio.example", "x")) == verdict


@pytest.mark.parametrize(
    ("error", "verdict"),
    [
        (smtplib.SMTPDataError(451, b"try again later"), "retry"),
        (smtplib.SMTPDataError(554, b"rejected"), "permanent"),
        (smtplib.SMTPRecipientsRefused({"a@b.c": (450, b"busy")}), "retry"),
        (smtplib.SMTPRecipientsRefused({"a@b.c": (550, b"no such user")}), "permanent"),
        (smtplib.SMTPServerDisconnected("lost"), "retry"),
        (ConnectionRefusedError(111, "refused"), "retry"),
    ],
)
def test_smtp_errors_are_retried_on_4xx_and_lost_connections_only(
    error: Exception, verdict: str
) -> None:
    assert classify(error) == verdict


def test_amounts_are_written_for_each_locale() -> None:
    assert render.money(4500, "CAD", "en") == "$45.00 CAD"
    assert render.money(123456, "CAD", "fr") == "1\u202f234,56\u00a0$\u00a0CAD"
    assert render.money(1999, "EUR", "en") == "€19.99"
    assert render.money(1999, "EUR", "fr") == "19,99\u00a0€"
    assert render.money(5000, "JPY", "en") == "5,000 JPY"


def test_dates_and_times_are_written_for_each_locale() -> None:
    moment = datetime(2026, 11, 1, 14, 5, tzinfo=ZoneInfo("America/Toronto"))
    assert render.day(moment, "en") == "Sunday, November 1, 2026"
    assert render.day(moment, "fr") == "dimanche 1er novembre 2026"
    assert render.clock(moment, "en") == "2:05 PM"
    assert render.clock(moment, "fr") == "14 h 05"
    assert render.short_day(moment, "fr") == "dim. 1 nov."
