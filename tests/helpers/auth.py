"""Access tokens for tests: real HS256 JWTs signed with the secret PostgREST verifies.

``mint`` is the test-only signing path: it signs in Python, for any ``sub`` and role,
with a made-up session id (``sid``) that names no row of auth.sessions. The hook
requires a well-formed ``sid`` and refuses a revoked session; it does not look the
session up further, so a test may act as a user it created in SQL. Code outside
tests/ gets its tokens from the database (``auth.issue_session``, as api.login):
``session_token`` does the same here when a test needs a real, revocable session."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
import psycopg

from bookiji import config


def mint(
    role: str = "customer",
    sub: uuid.UUID | str | None = None,
    *,
    secret: str | None = None,
    omit: tuple[str, ...] = (),
    algorithm: str = "HS256",
    **claims: Any,
) -> str:
    """A token as Bookiji's login would issue it; ``omit`` drops claims, ``claims`` overrides."""
    s = config.load()
    now = int(time.time())
    body: dict[str, Any] = {
        "sub": str(sub or uuid.uuid4()),
        "role": role,
        "aud": s.jwt_aud,
        "iat": now,
        "exp": now + 900,
        "email": f"{role}@example.test",
        "sid": str(uuid.uuid4()),
    }
    body.update(claims)
    for name in omit:
        body.pop(name, None)
    return jwt.encode(body, secret or s.jwt_secret, algorithm=algorithm)


def session_token(db: psycopg.Connection[Any], user_id: uuid.UUID | str) -> str:
    """An access token issued by the database for a new session of ``user_id``, as
    api.login issues it (signed in SQL, its ``sid`` a row of auth.sessions)."""
    row = db.execute("select auth.issue_session(%s) ->> 'access_token'", (str(user_id),)).fetchone()
    assert row is not None and row[0]
    return str(row[0])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
