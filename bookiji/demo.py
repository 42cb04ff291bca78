"""Demo data and demo tokens for the development stack."""

from __future__ import annotations

import time
import uuid

import jwt
import psycopg

from bookiji.config import Settings
from worker.errors import ConfigError

DEMO_CUSTOMER = "demo.customer@bookiji.test"


def mint_token(
    settings: Settings,
    sub: uuid.UUID | str,
    role: str,
    email: str,
    ttl: int | None = None,
    *,
    sid: uuid.UUID | str | None = None,
) -> str:
    """An access token as api.login issues it; ``sid`` names the session (auth.sessions)."""
    now = int(time.time())
    claims: dict[str, str | int] = {
        "sub": str(sub),
        "role": role,
        "email": email,
        "aud": settings.jwt_aud,
        "iat": now,
        "exp": now + (ttl or settings.jwt_ttl_seconds),
    }
    if sid is not None:
        claims["sid"] = str(sid)
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


def token_for_email(settings: Settings, email: str) -> str:
    with psycopg.connect(settings.database_url) as conn:
        if conn.execute("select to_regclass('app.users')").fetchone() == (None,):
            raise ConfigError("there are no accounts yet (app.users is missing)")
        row = conn.execute("select id, role from app.users where email = %s", (email,)).fetchone()
    if row is None:
        raise ConfigError(f"no account with email {email}")
    return mint_token(settings, row[0], str(row[1]), email)


def ensure_demo(settings: Settings) -> str | None:
    """Load the Montreal demo data once; return a demo customer token if accounts exist."""
    import bookiji_seed as seed

    seed.ensure_demo(settings)
    try:
        return token_for_email(settings, DEMO_CUSTOMER)
    except ConfigError:
        return None
