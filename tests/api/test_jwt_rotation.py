"""Rotating the JWT secret with two keys valid during the change (docs/operations.md,
"Rotating the JWT secret"): with JWT_SECRET_PREVIOUS set, PostgREST (given a JWKS of both
keys) and auth.verify_token (the real-time service's check, in SQL, and over its WebSocket)
accept a token signed with either; tokens are issued with the current key only; once the
previous key is removed, its tokens are refused; a token signed with a key never
configured is refused throughout."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
from dataclasses import replace
from typing import Any

import httpx
import jwt
import psycopg
import pytest

from bookiji import postgrest
from tests.helpers import stack
from tests.helpers.auth import bearer, mint, session_token
from tests.helpers.factories import create_user
from tests.helpers.realtime import Client


def _me(api: stack.PostgREST, token: str) -> httpx.Response:
    return httpx.get(f"{api.url}/rpc/me", headers=bearer(token), timeout=10)


def _verify(dbname: str, token: str) -> dict[str, Any] | str:
    """auth.verify_token as the real-time service calls it (logged in as authenticator):
    the claims, or the error's message."""
    url = stack.role_url(dbname, "authenticator", stack.settings().authenticator_password)
    with psycopg.connect(url, autocommit=True) as conn:
        try:
            row = conn.execute("select auth.verify_token(%s)", (token,)).fetchone()
        except psycopg.Error as exc:
            return str(exc)
    assert row is not None
    return dict(row[0])


def _realtime(api: stack.PostgREST, token: str) -> dict[str, Any]:
    """The real-time service's first answer to ``token`` (through nginx, as clients reach
    it): ``ready``, or an ``error`` before it closes the connection."""

    async def run() -> dict[str, Any]:
        url = api.url.replace("http://", "ws://") + "/realtime"
        c = await Client.open(url, auth=False)
        try:
            await c.send({"type": "auth", "token": token})
            return await c.next_frame()
        finally:
            await c.close()

    return asyncio.run(run())


def _set_previous(dbname: str, value: str) -> None:
    """What `bookiji deploy` writes from JWT_SECRET_PREVIOUS (bookiji/deploy.py)."""
    with psycopg.connect(stack.admin_url(dbname), autocommit=True) as conn:
        conn.execute(
            "insert into internal.settings (key, value) values ('jwt_secret_previous', %s) "
            "on conflict (key) do update set value = excluded.value",
            (value,),
        )


def test_postgrest_gets_a_jwks_of_both_keys_only_during_a_rotation() -> None:
    s = stack.settings()
    assert postgrest.jwt_secret(replace(s, jwt_secret_previous="")) == s.jwt_secret
    old = secrets.token_urlsafe(32)
    during = postgrest.jwt_secret(replace(s, jwt_secret_previous=old))
    keys = jwt.PyJWKSet.from_json(during).keys
    assert [k.key for k in keys] == [s.jwt_secret.encode(), old.encode()]


def test_a_token_of_the_previous_key_passes_during_the_rotation_and_fails_after(
    template_db: str,
) -> None:
    s = stack.settings()
    old, unknown = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with stack.scratch_database("bookiji_rot", template_db) as db:
        with psycopg.connect(stack.admin_url(db.name), autocommit=True) as conn:
            user = create_user(conn)
            issued = session_token(conn, user)
        current_token = mint(sub=user)
        old_token = mint(sub=user, secret=old)
        old_token_with_kid = jwt.encode(
            jwt.decode(old_token, options={"verify_signature": False}),
            old,
            algorithm="HS256",
            headers={"kid": "previous"},
        )
        unknown_token = mint(sub=user, secret=unknown)

        # tokens are issued with the current key alone, during the rotation as before
        _set_previous(db.name, old)
        during_issue = jwt.decode(issued, s.jwt_secret, algorithms=["HS256"], audience=s.jwt_aud)
        assert during_issue["sub"] == str(user)
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(issued, old, algorithms=["HS256"], audience=s.jwt_aud)

        with stack.run_postgrest(db.name, jwt_secret_previous=old, realtime_env={}) as api:
            for token in (current_token, old_token, old_token_with_kid, issued):
                resp = _me(api, token)
                assert resp.status_code == 200, resp.text
                assert resp.json()["id"] == str(user)
            refused = _me(api, unknown_token)
            assert refused.status_code == 401, refused.text
            assert refused.json()["code"] == "PGRST301"
            assert _realtime(api, old_token)["type"] == "ready"
            assert _realtime(api, unknown_token)["code"] == "invalid_token"
        for token in (current_token, old_token, issued):
            claims = _verify(db.name, token)
            assert isinstance(claims, dict) and claims["sub"] == str(user), claims
        assert "signature is not valid" in str(_verify(db.name, unknown_token))

        # the rotation ends: the previous key leaves the configuration and the database
        _set_previous(db.name, "")
        with stack.run_postgrest(db.name, realtime_env={}) as api:
            assert _me(api, current_token).status_code == 200
            for token in (old_token, old_token_with_kid, unknown_token):
                resp = _me(api, token)
                assert resp.status_code == 401, resp.text
            assert _realtime(api, current_token)["type"] == "ready"
            assert _realtime(api, old_token)["code"] == "invalid_token"
        assert isinstance(_verify(db.name, current_token), dict)
        for token in (old_token, unknown_token):
            assert "signature is not valid" in str(_verify(db.name, token))


def test_a_forged_token_is_refused_even_when_the_previous_key_is_unset(template_db: str) -> None:
    """jwt_secret_previous absent (a database deployed before it existed) or empty: only
    the current key verifies; an empty key never verifies a token signed with ''."""
    with stack.scratch_database("bookiji_rot0", template_db) as db:
        with psycopg.connect(stack.admin_url(db.name), autocommit=True) as conn:
            conn.execute("delete from internal.settings where key = 'jwt_secret_previous'")
            user = create_user(conn)
        signing_input = mint(sub=user).rsplit(".", 1)[0]
        signature = hmac.new(b"", signing_input.encode(), hashlib.sha256).digest()
        forged = signing_input + "." + base64.urlsafe_b64encode(signature).decode().rstrip("=")
        assert "signature is not valid" in str(_verify(db.name, forged))
        assert isinstance(_verify(db.name, mint(sub=user)), dict)
