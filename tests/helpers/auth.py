"""Access tokens for tests: real HS256 JWTs signed with the secret PostgREST verifies."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt

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
    }
    body.update(claims)
    for name in omit:
        body.pop(name, None)
    return jwt.encode(body, secret or s.jwt_secret, algorithm=algorithm)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
