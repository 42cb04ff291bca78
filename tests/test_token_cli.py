"""`bookiji token` asks the database for the token, through the SQL login uses
(auth.issue_session): signed with the database's JWT secret, carrying a session id, so logout
ends it; when this shell's JWT_SECRET is not the one the database signs with, it says so
instead of handing out a token the API would refuse with 401 JWSInvalidSignature."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import httpx
import jwt
import psycopg

from bookiji import config
from tests.helpers import stack
from tests.helpers.auth import bearer
from tests.helpers.factories import create_user


def _token_cli(
    api: stack.PostgREST, email: str, **env_vars: str
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=api.db_url, **env_vars)
    return subprocess.run(
        [sys.executable, "-m", "bookiji.cli", "token", "--email", email],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _new_customer(api: stack.PostgREST) -> str:
    email = f"token-{uuid.uuid4().hex[:10]}@example.test"
    with psycopg.connect(api.db_url, autocommit=True) as conn:
        create_user(conn, "customer", email=email)
    return email


def test_the_token_is_a_session_of_the_database_that_logout_ends(api: stack.PostgREST) -> None:
    email = _new_customer(api)
    res = _token_cli(api, email)
    assert res.returncode == 0, res.stderr
    token = res.stdout.strip()
    s = config.load()
    claims = jwt.decode(token, s.jwt_secret, algorithms=["HS256"], audience=s.jwt_aud)
    assert claims["email"] == email and claims["role"] == "customer"
    with psycopg.connect(api.db_url, autocommit=True) as conn:
        row = conn.execute(
            "select revoked_at is null from auth.sessions where id = %s", (claims["sid"],)
        ).fetchone()
    assert row == (True,), "the sid names a live session"

    assert httpx.get(f"{api.url}/rpc/me", headers=bearer(token)).status_code == 200
    assert httpx.post(f"{api.url}/rpc/logout", headers=bearer(token)).status_code == 200
    assert httpx.get(f"{api.url}/rpc/me", headers=bearer(token)).status_code == 401


def test_another_jwt_secret_in_this_shell_is_named_not_minted_with(api: stack.PostgREST) -> None:
    res = _token_cli(api, _new_customer(api), JWT_SECRET="not-the-one-the-database-signs-with")
    assert res.returncode == 2
    assert res.stdout == ""
    assert "JWT_SECRET in the environment" in res.stderr
    assert "401 JWSInvalidSignature" in res.stderr


def test_an_unknown_email_is_refused(api: stack.PostgREST) -> None:
    res = _token_cli(api, "nobody@example.test")
    assert res.returncode == 2
    assert "no account with email nobody@example.test" in res.stderr
