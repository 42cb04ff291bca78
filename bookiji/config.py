"""The tooling's configuration, read from the environment, with the embedded defaults in one place.

Every setting has an environment variable. When a variable is unset the embedded
development stack is used: a PostgreSQL cluster under ``.data/pg``, PostgREST on
127.0.0.1:3000, localstripe on 127.0.0.1:12111 and an SMTP sink on 127.0.0.1:1025.
Secrets that are not given are generated once into ``.data/secrets.json``
(mode 0600, never committed). What the worker itself reads is worker/settings.py's;
its names and defaults are part of DEFAULTS here too.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from realtime import settings as realtime_settings
from worker import settings

# The consumer's settings, for the tooling and the tests that name them through here.
from worker.settings import OPTIONAL_NAMES as OPTIONAL_NAMES
from worker.settings import Delivery as Delivery
from worker.settings import SmtpServer as SmtpServer
from worker.settings import TwilioAccount as TwilioAccount
from worker.settings import WorkerDefaults as WorkerDefaults
from worker.settings import delivery as delivery
from worker.settings import parse_smtp_url as parse_smtp_url
from worker.settings import with_credentials as with_credentials
from worker.settings import worker_defaults as worker_defaults

ROOT = Path(__file__).resolve().parent.parent

# The embedded defaults, in one place: the development stack's, then the consumer's
# (worker/settings.py).
DEFAULTS: dict[str, str] = {
    "BOOKIJI_ENV": "development",
    "BOOKIJI_DATA_DIR": str(ROOT / ".data"),
    "BOOKIJI_PG_PORT": "54322",
    "BOOKIJI_DB_NAME": "bookiji",
    "API_HOST": "127.0.0.1",
    "API_PORT": "3000",
    "PGRST_HOST": "127.0.0.1",
    "PGRST_PORT": "3002",
    "PGRST_ADMIN_PORT": "3001",
    "RATE_LIMIT_PER_ADDRESS": "200",
    "RATE_LIMIT_PER_TOKEN": "50",
    "RATE_LIMIT_WRITES_PER_MINUTE": "120",
    "RATE_LIMIT_ANON_WRITES_PER_MINUTE": "60",
    "MAX_BODY": "1m",
    # about twice the database server's cores (2 on the reference machine): with 10, four
    # confirms at a time through PostgREST cost the database 2.3-2.5 ms of CPU each, with 4
    # 1.6-2.0 (the same statements: each ran on a colder backend; docs/performance.md,
    # "The pool of PostgREST")
    "PGRST_DB_POOL": "4",
    "BOOKIJI_PGBOUNCER": "1",
    "PGBOUNCER_PORT": "6432",
    "PGBOUNCER_POOL_SIZE": "20",
    "BOOKIJI_WAL_ARCHIVE": "1",
    # the read replica and the catalog cache (docs/operations.md, "Read replica", "Caching")
    "BOOKIJI_REPLICA": "0",
    "BOOKIJI_REPLICA_PG_PORT": "54324",
    "REPLICA_PGRST_PORT": "3004",
    "REPLICA_PGRST_ADMIN_PORT": "3005",
    "REPLICA_MAX_LAG_SECONDS": "2",
    "BOOKIJI_CACHE": "1",
    "CACHE_TTL_SECONDS": "5",
    "READ_ROUTER_METRICS_PORT": "9465",
    "PGRST_DB_MAX_ROWS": "1000",
    "PGRST_LOG_LEVEL": "error",
    "JWT_AUD": "bookiji",
    "JWT_TTL_SECONDS": "900",
    # the web app's Stripe.js and publishable key (docs/web.md): localstripe's stand-in in
    # development; in production Stripe's own script and your account's pk_live_ key
    "STRIPE_JS_URL": "http://127.0.0.1:12111/js.stripe.com/v3/",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_bookiji_local",
    **settings.DEFAULTS,
    **realtime_settings.DEFAULTS,
}

SECRET_NAMES = (
    "POSTGRES_PASSWORD",
    "AUTHENTICATOR_PASSWORD",
    "WORKER_DB_PASSWORD",
    "JWT_SECRET",
    "STRIPE_WEBHOOK_SECRET",
)


def _env(name: str) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        return DEFAULTS[name]
    return value


def _optional(name: str) -> str | None:
    return settings.optional(name)


def _generate(name: str) -> str:
    if name == "STRIPE_WEBHOOK_SECRET":
        return "whsec_" + secrets.token_hex(24)
    return secrets.token_urlsafe(36)


def load_secrets(data_dir: Path) -> dict[str, str]:
    """Return the secrets, from the environment or generated once into .data/secrets.json."""
    path = data_dir / "secrets.json"
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    changed = False
    for name in SECRET_NAMES:
        if name not in stored:
            stored[name] = _generate(name)
            changed = True
    if changed:
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(stored, indent=2))
        tmp.chmod(0o600)
        tmp.replace(path)
    return {name: os.environ.get(name) or stored[name] for name in SECRET_NAMES}


def trusted_proxies(value: str) -> tuple[str, ...]:
    """TRUSTED_PROXIES: addresses or networks (``10.0.0.0/8``), separated by commas or
    spaces; a bad one is refused here rather than by nginx at start."""
    out = []
    for item in value.replace(",", " ").split():
        try:
            out.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ValueError(
                f"TRUSTED_PROXIES: {item!r} is not an address or a network (CIDR)"
            ) from None
    return tuple(out)


def _stripe_js_url() -> str:
    """STRIPE_JS_URL; unset, localstripe's stand-in beside a local STRIPE_API_BASE (a fake
    moved to another port takes its Stripe.js along), else the default."""
    if os.environ.get("STRIPE_JS_URL"):
        return os.environ["STRIPE_JS_URL"]
    base = _env("STRIPE_API_BASE")
    if (urlsplit(base).hostname or "") in ("127.0.0.1", "localhost", "::1"):
        return base.rstrip("/") + "/js.stripe.com/v3/"
    return DEFAULTS["STRIPE_JS_URL"]


def dbname_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or "postgres"


@dataclass(frozen=True)
class Settings:
    env: str
    data_dir: Path
    embedded: bool
    pg_port: int
    db_name: str
    database_url: str
    authenticator_password: str
    worker_db_password: str
    jwt_secret: str
    jwt_aud: str
    jwt_ttl_seconds: int
    api_host: str
    api_port: int
    pgrst_host: str
    pgrst_port: int
    pgrst_admin_port: int
    pgrst_db_pool: int
    pgbouncer: bool  # PgBouncer (transaction mode) in front of the embedded cluster
    pgbouncer_port: int
    pgbouncer_pool_size: int
    wal_archive: bool  # the embedded cluster archives its WAL into .data/backups/wal
    replica: bool  # a streaming replica of the embedded cluster serves the public catalog
    replica_pg_port: int
    replica_pgrst_port: int
    replica_pgrst_admin_port: int
    replica_max_lag: float  # seconds behind the primary past which reads go to the primary
    cache: bool  # nginx caches anonymous catalog reads (bookiji/readpath.py)
    cache_ttl: int
    read_router_metrics_port: int
    pgrst_db_max_rows: int
    pgrst_log_level: str
    stripe_secret_key: str
    stripe_api_base: str
    stripe_webhook_secret: str
    stripe_js_url: str
    stripe_publishable_key: str
    smtp_url: str
    mail_from: str
    worker_metrics_port: int
    rate_limit_per_address: int
    rate_limit_per_token: int
    rate_limit_writes_per_minute: int
    rate_limit_anon_writes_per_minute: int
    max_body: str
    realtime_host: str
    realtime_port: int
    extra: dict[str, str] = field(default_factory=dict)
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = field(default=None, repr=False)
    twilio_from: str | None = None
    # JWT_SECRET_PREVIOUS: while a rotation lasts, the secret tokens still out were signed
    # with; verified (PostgREST, auth.verify_token), never signed with. Empty otherwise.
    jwt_secret_previous: str = field(default="", repr=False)
    # TRUSTED_PROXIES: the addresses (CIDR) of the TLS proxies in front of nginx, whose
    # X-Forwarded-For nginx believes (bookiji/gateway.py); none by default.
    trusted_proxies: tuple[str, ...] = ()

    @property
    def pg_dir(self) -> Path:
        return self.data_dir / "pg"

    @property
    def backup_dir(self) -> Path:
        """Base backups (``base/<time>/``) and the WAL archive (``wal/``) of the embedded
        cluster: bookiji/backup.py."""
        return self.data_dir / "backups"

    @property
    def run_dir(self) -> Path:
        return self.data_dir / "run"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "log"

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def api_url(self) -> str:
        """The public API: nginx in front of PostgREST."""
        return f"http://{self.api_host}:{self.api_port}"

    @property
    def postgrest_url(self) -> str:
        """PostgREST itself (loopback only; clients go through nginx)."""
        return f"http://{self.pgrst_host}:{self.pgrst_port}"

    def url_for(self, user: str, password: str, dbname: str | None = None) -> str:
        return with_credentials(self.database_url, user, password, dbname)

    @property
    def authenticator_url(self) -> str:
        return self.url_for("authenticator", self.authenticator_password)

    @property
    def worker_url(self) -> str:
        return os.environ.get("WORKER_DATABASE_URL") or self.url_for(
            "bookiji_worker", self.worker_db_password
        )

    @property
    def pooled(self) -> bool:
        """PgBouncer runs: on by default for the embedded cluster (BOOKIJI_PGBOUNCER=0:
        off); with DATABASE_URL, the server's own pooler is the operator's business."""
        return self.pgbouncer and self.embedded

    def pooled_url(self, url: str) -> str:
        """``url`` through PgBouncer when it runs, else ``url`` itself."""
        if not self.pooled:
            return url
        parts = urlsplit(url)
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@127.0.0.1:{self.pgbouncer_port}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))

    @property
    def replicated(self) -> bool:
        """The read replica runs: BOOKIJI_REPLICA=1, for the embedded cluster only."""
        return self.replica and self.embedded

    @property
    def replica_url(self) -> str:
        """The authenticator on the replica (read-only: a hot standby)."""
        parts = urlsplit(self.authenticator_url)
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@127.0.0.1:{self.replica_pg_port}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))

    @property
    def realtime_url(self) -> str:
        """The real-time service through nginx (docs/realtime.md)."""
        return f"ws://{self.api_host}:{self.api_port}/realtime"

    @property
    def realtime_database_url(self) -> str:
        """The real-time service logs in as authenticator, as PostgREST does."""
        return os.environ.get("REALTIME_DATABASE_URL") or self.authenticator_url

    def app_config(self, stripe_js_url: str | None = None) -> dict[str, str]:
        """What the web app reads at /app/config.json (the API is the page's own origin)."""
        return {
            "realtime_path": "/realtime",
            "stripe_js_url": stripe_js_url or self.stripe_js_url,
            "stripe_publishable_key": self.stripe_publishable_key,
        }

    @property
    def app_url(self) -> str:
        """The web app, served by nginx (docs/web.md)."""
        return f"{self.api_url}/app/"

    def admin_url(self, dbname: str | None = None) -> str:
        """The administrative URL, optionally pointed at another database on the same server."""
        if dbname is None:
            return self.database_url
        parts = urlsplit(self.database_url)
        return urlunsplit((parts.scheme, parts.netloc, f"/{dbname}", parts.query, parts.fragment))


def load() -> Settings:
    data_dir = Path(_env("BOOKIJI_DATA_DIR"))
    sec = load_secrets(data_dir)
    pg_port = int(_env("BOOKIJI_PG_PORT"))
    db_name = _env("BOOKIJI_DB_NAME")
    user_url = os.environ.get("DATABASE_URL")
    embedded = not user_url
    database_url = user_url or (
        f"postgresql://postgres:{quote(sec['POSTGRES_PASSWORD'], safe='')}"
        f"@127.0.0.1:{pg_port}/{db_name}"
    )
    return Settings(
        env=_env("BOOKIJI_ENV"),
        data_dir=data_dir,
        embedded=embedded,
        pg_port=pg_port,
        db_name=dbname_of(database_url),
        database_url=database_url,
        authenticator_password=sec["AUTHENTICATOR_PASSWORD"],
        worker_db_password=sec["WORKER_DB_PASSWORD"],
        jwt_secret=sec["JWT_SECRET"],
        jwt_aud=_env("JWT_AUD"),
        jwt_ttl_seconds=int(_env("JWT_TTL_SECONDS")),
        api_host=_env("API_HOST"),
        api_port=int(_env("API_PORT")),
        pgrst_host=_env("PGRST_HOST"),
        pgrst_port=int(_env("PGRST_PORT")),
        pgrst_admin_port=int(_env("PGRST_ADMIN_PORT")),
        pgrst_db_pool=int(_env("PGRST_DB_POOL")),
        pgbouncer=_env("BOOKIJI_PGBOUNCER") not in ("0", "false", "no", "off"),
        pgbouncer_port=int(_env("PGBOUNCER_PORT")),
        pgbouncer_pool_size=int(_env("PGBOUNCER_POOL_SIZE")),
        wal_archive=_env("BOOKIJI_WAL_ARCHIVE") not in ("0", "false", "no", "off"),
        replica=_env("BOOKIJI_REPLICA") not in ("0", "false", "no", "off"),
        replica_pg_port=int(_env("BOOKIJI_REPLICA_PG_PORT")),
        replica_pgrst_port=int(_env("REPLICA_PGRST_PORT")),
        replica_pgrst_admin_port=int(_env("REPLICA_PGRST_ADMIN_PORT")),
        replica_max_lag=float(_env("REPLICA_MAX_LAG_SECONDS")),
        cache=_env("BOOKIJI_CACHE") not in ("0", "false", "no", "off"),
        cache_ttl=int(_env("CACHE_TTL_SECONDS")),
        read_router_metrics_port=int(_env("READ_ROUTER_METRICS_PORT")),
        pgrst_db_max_rows=int(_env("PGRST_DB_MAX_ROWS")),
        pgrst_log_level=_env("PGRST_LOG_LEVEL"),
        stripe_secret_key=_env("STRIPE_SECRET_KEY"),
        stripe_api_base=_env("STRIPE_API_BASE"),
        stripe_webhook_secret=sec["STRIPE_WEBHOOK_SECRET"],
        stripe_js_url=_stripe_js_url(),
        stripe_publishable_key=_env("STRIPE_PUBLISHABLE_KEY"),
        smtp_url=_env("SMTP_URL"),
        mail_from=_env("MAIL_FROM"),
        worker_metrics_port=int(_env("WORKER_METRICS_PORT")),
        rate_limit_per_address=int(_env("RATE_LIMIT_PER_ADDRESS")),
        rate_limit_per_token=int(_env("RATE_LIMIT_PER_TOKEN")),
        rate_limit_writes_per_minute=int(_env("RATE_LIMIT_WRITES_PER_MINUTE")),
        rate_limit_anon_writes_per_minute=int(_env("RATE_LIMIT_ANON_WRITES_PER_MINUTE")),
        max_body=_env("MAX_BODY"),
        realtime_host=_env("REALTIME_HOST"),
        realtime_port=int(_env("REALTIME_PORT")),
        twilio_account_sid=_optional("TWILIO_ACCOUNT_SID"),
        twilio_auth_token=_optional("TWILIO_AUTH_TOKEN"),
        twilio_from=_optional("TWILIO_FROM"),
        jwt_secret_previous=os.environ.get("JWT_SECRET_PREVIOUS", ""),
        trusted_proxies=trusted_proxies(os.environ.get("TRUSTED_PROXIES", "")),
    )
