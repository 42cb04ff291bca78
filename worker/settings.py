"""What the consumer reads from the environment, typed (nothing else: no data directory,
no secrets file, no ports of the development stack; those are bookiji/config.py's).

The worker logs in with WORKER_DATABASE_URL (or DATABASE_URL as bookiji_worker with
WORKER_DB_PASSWORD); on a developer's machine `bookiji worker` and `make up` set it for
the embedded cluster. Behind PgBouncer (transaction mode) WORKER_DATABASE_URL names the
pooler, which carries the queue loop, and WORKER_DIRECT_DATABASE_URL names PostgreSQL
itself for what needs a session of its own: the handlers (the notification handler's
session-level advisory lock, payment handlers' transactions held around a Stripe call),
the reconciliation and the training. Stripe: STRIPE_SECRET_KEY and STRIPE_API_BASE. Notifications:
SMTP_URL and MAIL_FROM, and Twilio when TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and
TWILIO_FROM are all set. The WORKER_* tunables are the defaults of `bookiji worker`'s
options.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Literal, Protocol
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from worker.errors import ConfigError

# The consumer's defaults: localstripe and the SMTP sink of the development stack.
DEFAULTS: dict[str, str] = {
    "STRIPE_SECRET_KEY": "sk_test_bookiji_local",
    "STRIPE_API_BASE": "http://127.0.0.1:12111",
    "SMTP_URL": "smtp://127.0.0.1:1025",
    "MAIL_FROM": "Bookiji <no-reply@bookiji.test>",
    "WORKER_METRICS_PORT": "9464",
    "WORKER_QUEUES": "payments,notifications",
    "WORKER_BATCH_SIZE": "20",
    "WORKER_VT_SECONDS": "60",
    "WORKER_CONCURRENCY": "4",
    "WORKER_POLL_SECONDS": "5",
    # the idle worker's probe of its queues (one statement); 0: none, a read every POLL_SECONDS
    "WORKER_POLL_MS": "50",
    "WORKER_MAX_ATTEMPTS": "8",
    "WORKER_PURGE_INTERVAL_SECONDS": "3600",
    "WORKER_ARCHIVE_RETENTION_DAYS": "7",
    "WORKER_SWEEP_SECONDS": "15",
    "WORKER_RECONCILE_SECONDS": "600",
    "RECONCILE_WINDOW_DAYS": "7",
    # the training schedule of the ranking and the quality model (worker/learn/); 0: never
    "WORKER_TRAIN_SECONDS": "86400",
    # the web app's address, for links in emails (the password reset page)
    "APP_URL": "http://127.0.0.1:3000/app",
}

# Optional settings with no default: SMS goes out through Twilio only when all
# three are set; otherwise SMS notifications are recorded `skipped`.
OPTIONAL_NAMES = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM")


def env(name: str) -> str:
    """A variable of DEFAULTS: its value, or its default when unset or empty."""
    value = os.environ.get(name)
    if value is None or value == "":
        return DEFAULTS[name]
    return value


def optional(name: str) -> str | None:
    return os.environ.get(name) or None


def with_credentials(url: str, user: str, password: str, dbname: str | None = None) -> str:
    """The same server as ``url``, logged in as another role (and optionally another database)."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    path = f"/{dbname}" if dbname is not None else parts.path
    return urlunsplit((parts.scheme, netloc, path, parts.query, parts.fragment))


def database_url() -> str:
    """Where the worker logs in: WORKER_DATABASE_URL, or DATABASE_URL as bookiji_worker."""
    url = os.environ.get("WORKER_DATABASE_URL")
    if url:
        return url
    server, password = os.environ.get("DATABASE_URL"), os.environ.get("WORKER_DB_PASSWORD")
    if server and password:
        return with_credentials(server, "bookiji_worker", password)
    raise ConfigError(
        "set WORKER_DATABASE_URL (or DATABASE_URL and WORKER_DB_PASSWORD); "
        "on a developer's machine `bookiji worker` sets it for the embedded cluster"
    )


def direct_database_url() -> str:
    """Where the worker's handlers (and reconciliation, training) log in: WORKER_DIRECT_DATABASE_URL, or the
    same place as the queue loop (``database_url()``) when no pooler is in between."""
    return os.environ.get("WORKER_DIRECT_DATABASE_URL") or database_url()


class StripeSettings(Protocol):
    """What the Stripe client needs (bookiji's Settings has both too)."""

    @property
    def stripe_secret_key(self) -> str: ...

    @property
    def stripe_api_base(self) -> str: ...


@dataclass(frozen=True)
class StripeAccount:
    stripe_secret_key: str = field(repr=False)
    stripe_api_base: str


def stripe_account() -> StripeAccount:
    return StripeAccount(env("STRIPE_SECRET_KEY"), env("STRIPE_API_BASE"))


@dataclass(frozen=True)
class WorkerDefaults:
    """The worker's tunables; each is also a command-line option of `bookiji worker`."""

    queues: tuple[str, ...]
    batch_size: int
    vt_seconds: int
    concurrency: int
    poll_seconds: float
    poll_ms: float
    max_attempts: int
    purge_interval_seconds: float
    archive_retention_days: int
    metrics_port: int
    sweep_seconds: float
    reconcile_seconds: float
    train_seconds: float


def worker_defaults() -> WorkerDefaults:
    return WorkerDefaults(
        queues=tuple(q.strip() for q in env("WORKER_QUEUES").split(",") if q.strip()),
        batch_size=int(env("WORKER_BATCH_SIZE")),
        vt_seconds=int(env("WORKER_VT_SECONDS")),
        concurrency=int(env("WORKER_CONCURRENCY")),
        poll_seconds=float(env("WORKER_POLL_SECONDS")),
        poll_ms=float(env("WORKER_POLL_MS")),
        max_attempts=int(env("WORKER_MAX_ATTEMPTS")),
        purge_interval_seconds=float(env("WORKER_PURGE_INTERVAL_SECONDS")),
        archive_retention_days=int(env("WORKER_ARCHIVE_RETENTION_DAYS")),
        metrics_port=int(env("WORKER_METRICS_PORT")),
        sweep_seconds=float(env("WORKER_SWEEP_SECONDS")),
        reconcile_seconds=float(env("WORKER_RECONCILE_SECONDS")),
        train_seconds=float(env("WORKER_TRAIN_SECONDS")),
    )


# --- delivery: where notifications go ---------------------------------------------------

SmtpSecurity = Literal["plain", "starttls", "tls"]

# scheme -> (security, default port)
SMTP_SCHEMES: dict[str, tuple[SmtpSecurity, int]] = {
    "smtp": ("plain", 25),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("tls", 465),
}


@dataclass(frozen=True)
class SmtpServer:
    """An SMTP server parsed from SMTP_URL."""

    security: SmtpSecurity
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)


def parse_smtp_url(url: str) -> SmtpServer:
    """``smtp://host:port`` (plain), ``smtp+starttls://user:pass@host:587``, ``smtps://user:pass@host:465``.

    User and password are percent-decoded; the port defaults to 25, 587 and 465.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"SMTP_URL is not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in SMTP_SCHEMES:
        raise ConfigError(
            f"SMTP_URL must start with {', '.join(s + '://' for s in SMTP_SCHEMES)} "
            f"(got {scheme + '://' if scheme else 'no scheme'})"
        )
    if not parts.hostname:
        raise ConfigError("SMTP_URL names no host (smtp://host:port)")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError("SMTP_URL takes no path or query (smtp://user:pass@host:port)")
    security, default_port = SMTP_SCHEMES[scheme]
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if (username is None) != (password is None):
        raise ConfigError("SMTP_URL needs both a user and a password, or neither")
    return SmtpServer(security, parts.hostname, port or default_port, username, password)


@dataclass(frozen=True)
class TwilioAccount:
    account_sid: str
    auth_token: str = field(repr=False)
    sender: str


@dataclass(frozen=True)
class Delivery:
    """Where the notification worker sends: SMTP always, Twilio only when configured."""

    smtp: SmtpServer
    mail_from: str
    twilio: TwilioAccount | None


def delivery() -> Delivery:
    """The delivery settings, read from the environment now (no secrets file involved)."""
    sid, token, sender = (optional(name) for name in OPTIONAL_NAMES)
    twilio = TwilioAccount(sid, token, sender) if sid is not None and token and sender else None
    mail_from = env("MAIL_FROM")
    if "@" not in parseaddr(mail_from)[1]:
        raise ConfigError(
            f"MAIL_FROM must be an address, as in 'Bookiji <no-reply@example.com>' (got {mail_from!r})"
        )
    return Delivery(smtp=parse_smtp_url(env("SMTP_URL")), mail_from=mail_from, twilio=twilio)
