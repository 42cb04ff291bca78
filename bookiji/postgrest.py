"""PostgREST's configuration, generated from the environment."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from bookiji.config import Settings

PRE_REQUEST = "auth.check_request"


def render_config(
    settings: Settings,
    *,
    db_uri: str | None = None,
    port: int | None = None,
    admin_port: int | None = None,
    pre_request: bool = True,
    public_url: str | None = None,
    pooled: bool = False,
    read_only: bool = False,
) -> str:
    """``public_url``: the address clients use (the gateway), which the OpenAPI
    document names as its host; default ``settings.api_url``. PostgREST would
    otherwise name its own private listening address.

    ``pooled``: ``db_uri`` is PgBouncer in transaction mode (bookiji/pgbouncer.py).
    PostgREST then prepares no statements (PgBouncer 1.18 cannot route them) and does
    not LISTEN for ``NOTIFY pgrst`` (a LISTEN through transaction pooling hears
    nothing): the schema cache is reloaded by SIGUSR1 instead, which `bookiji up`
    sends when it hears that NOTIFY on a direct connection.

    ``read_only``: ``db_uri`` is the read replica, a hot standby (bookiji/readpath.py),
    where LISTEN is refused: no channel either, reloads by SIGUSR1 as above."""

    def q(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = {
        "db-uri": q(db_uri or settings.authenticator_url),
        "db-schemas": q("api"),
        "db-anon-role": q("anon"),
        "db-pool": str(settings.pgrst_db_pool),
        "db-max-rows": str(settings.pgrst_db_max_rows),
        "db-channel-enabled": "false" if pooled or read_only else "true",
        "db-prepared-statements": "false" if pooled else "true",
        "db-plan-enabled": "false",
        "jwt-secret": q(jwt_secret(settings)),
        "jwt-aud": q(settings.jwt_aud),
        "jwt-cache-max-lifetime": "300",
        "server-host": q(settings.pgrst_host),
        "server-port": str(port if port is not None else settings.pgrst_port),
        "admin-server-port": str(
            admin_port if admin_port is not None else settings.pgrst_admin_port
        ),
        "log-level": q(settings.pgrst_log_level),
        "openapi-mode": q("follow-privileges"),
        "openapi-server-proxy-uri": q(public_url or settings.api_url),
    }
    if pre_request:
        lines["db-pre-request"] = q(PRE_REQUEST)
    return "".join(f"{key} = {value}\n" for key, value in lines.items())


def jwt_secret(settings: Settings) -> str:
    """PostgREST's ``jwt-secret``: JWT_SECRET alone, or during a rotation a JWKS of two
    HS256 keys, JWT_SECRET then JWT_SECRET_PREVIOUS: PostgREST 12 accepts a token whose
    signature either key verifies (docs/operations.md, "Rotating the JWT secret")."""
    previous = settings.jwt_secret_previous
    if not previous or previous == settings.jwt_secret:
        return settings.jwt_secret
    return json.dumps({"keys": [_hs256_key(settings.jwt_secret), _hs256_key(previous)]})


def _hs256_key(secret: str) -> dict[str, str]:
    k = base64.urlsafe_b64encode(secret.encode()).decode().rstrip("=")
    return {"kty": "oct", "alg": "HS256", "k": k}


def write_config(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.chmod(0o600)
    tmp.replace(path)
    return path
