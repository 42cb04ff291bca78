"""What the real-time service reads from the environment (docs/configuration.md).

It logs in with REALTIME_DATABASE_URL, as authenticator (PostgREST's login: it may
only switch to the API roles); `bookiji up` sets it for the embedded cluster.
Behind PgBouncer (transaction mode) REALTIME_DATABASE_URL names the pooler, which
carries the deliveries. REALTIME_LISTEN_DATABASE_URL, when set, names the one connection
that polls the event log for new ids (every REALTIME_POLL_MS); it may be PostgreSQL
itself or the pooler (each poll is one statement, nothing prepared).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULTS: dict[str, str] = {
    "REALTIME_HOST": "127.0.0.1",
    "REALTIME_PORT": "3003",
    "REALTIME_MAX_CONNECTIONS_PER_TOKEN": "5",
    "REALTIME_MAX_CONNECTIONS_PER_ADDRESS": "500",
    "REALTIME_MAX_SUBSCRIPTIONS": "10",
    "REALTIME_MAX_MESSAGE_BYTES": "8192",
    "REALTIME_QUEUE_SIZE": "1000",
    "REALTIME_PING_SECONDS": "10",
    "REALTIME_GAP_SECONDS": "2",
    "REALTIME_POLL_MS": "10",
    "REALTIME_REPLAY_MAX": "10000",
    "REALTIME_RECHECK_SECONDS": "30",
}


class ConfigError(Exception):
    """A setting is missing or malformed."""


def env(name: str) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        return DEFAULTS[name]
    return value


def _int(name: str, minimum: int = 1) -> int:
    try:
        value = int(env(name))
    except ValueError:
        raise ConfigError(f"{name} must be an integer, not {env(name)!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}")
    return value


@dataclass(frozen=True)
class Settings:
    database_url: str
    host: str
    port: int
    max_connections_per_token: int
    max_connections_per_address: int
    max_subscriptions: int
    max_message_bytes: int
    queue_size: int
    ping_seconds: int
    gap_seconds: float
    replay_max: int
    poll_seconds: float = 0.01  # how often the event log is polled for new ids
    bad_frames_in_a_row: int = 1000  # then the client is closed (1008)
    auth_seconds: float = 10  # a connection must authenticate within this time
    recheck_seconds: float = 30  # each token is checked again (revoked sessions) this often
    listen_database_url: str = ""  # the polling connection's; default: database_url

    @property
    def listen_url(self) -> str:
        """The polling connection's URL (REALTIME_LISTEN_DATABASE_URL: its name from when the
        service LISTENed, kept so that deployments keep working)."""
        return self.listen_database_url or self.database_url


def load() -> Settings:
    url = os.environ.get("REALTIME_DATABASE_URL")
    if not url:
        raise ConfigError(
            "REALTIME_DATABASE_URL is not set: the service logs in as authenticator "
            "(bookiji up sets it for the embedded cluster)"
        )
    return Settings(
        database_url=url,
        listen_database_url=os.environ.get("REALTIME_LISTEN_DATABASE_URL") or "",
        host=env("REALTIME_HOST"),
        port=_int("REALTIME_PORT"),
        max_connections_per_token=_int("REALTIME_MAX_CONNECTIONS_PER_TOKEN"),
        max_connections_per_address=_int("REALTIME_MAX_CONNECTIONS_PER_ADDRESS"),
        max_subscriptions=_int("REALTIME_MAX_SUBSCRIPTIONS"),
        max_message_bytes=_int("REALTIME_MAX_MESSAGE_BYTES", 1024),
        queue_size=_int("REALTIME_QUEUE_SIZE"),
        ping_seconds=_int("REALTIME_PING_SECONDS"),
        gap_seconds=float(_int("REALTIME_GAP_SECONDS", 0)),
        poll_seconds=_int("REALTIME_POLL_MS") / 1000,
        replay_max=_int("REALTIME_REPLAY_MAX"),
        recheck_seconds=float(_int("REALTIME_RECHECK_SECONDS")),
    )
