"""PostgREST in front of the api schema: OpenAPI, health, and the tokens it must refuse."""

from __future__ import annotations

import base64
import json
import time

import httpx
import psycopg
import pytest

from tests.helpers import stack
from tests.helpers.auth import bearer, mint, session_token
from tests.helpers.factories import create_user


def test_the_root_serves_the_openapi_document(api_url: str) -> None:
    doc = httpx.get(f"{api_url}/").json()
    assert doc["swagger"] == "2.0"
    assert "/rpc/health" in doc["paths"]
    assert "Health check" in json.dumps(doc["paths"]["/rpc/health"])


def test_health_reports_every_version_and_the_latest_migration_to_ops(api_url: str) -> None:
    resp = httpx.get(f"{api_url}/rpc/health", headers=bearer(mint("ops")))
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "ok"
    assert body["postgres"].startswith("15.")
    assert body["postgis"].startswith("3.")
    assert body["pgmq"]
    assert body["postgrest"]["version"] == "12.0.2"
    assert body["postgrest"]["schema_cache"] == "loaded"
    assert len(body["migration"]) == 14


def test_ping_answers_1_to_anonymous_and_signed_in_callers(api_url: str) -> None:
    assert httpx.get(f"{api_url}/rpc/ping").json() == 1
    assert httpx.get(f"{api_url}/rpc/ping", headers=bearer(mint("customer"))).json() == 1


def test_a_valid_token_is_accepted(api_url: str) -> None:
    assert httpx.get(f"{api_url}/rpc/health", headers=bearer(mint("customer"))).status_code == 200


def _none_alg_token() -> str:
    def enc(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    now = int(time.time())
    header = enc({"alg": "none", "typ": "JWT"})
    payload = enc({"sub": "x", "role": "ops", "aud": "bookiji", "iat": now, "exp": now + 600})
    return f"{header}.{payload}."


@pytest.mark.parametrize(
    ("case", "token"),
    [
        (
            "signed with another secret",
            lambda: mint("customer", secret="another-secret-" + "x" * 32),
        ),
        (
            "expired",
            lambda: mint("customer", iat=int(time.time()) - 3600, exp=int(time.time()) - 60),
        ),
        ("alg none", _none_alg_token),
        ("without exp", lambda: mint("customer", omit=("exp",))),
        ("without iat", lambda: mint("customer", omit=("iat",))),
        ("without aud", lambda: mint("customer", omit=("aud",))),
        ("without sid", lambda: mint("customer", omit=("sid",))),
        ("sid not a session id", lambda: mint("customer", sid="1; drop table x")),
        ("sid not a string", lambda: mint("customer", sid=42)),
        ("for another audience", lambda: mint("customer", aud="someone-else")),
        ("tampered role claim", lambda: _tamper(mint("customer"))),
    ],
)
def test_a_bad_token_is_refused_with_401(api_url: str, case: str, token: object) -> None:
    resp = httpx.get(f"{api_url}/rpc/health", headers=bearer(token()))  # type: ignore[operator]
    assert resp.status_code == 401, f"{case}: {resp.status_code} {resp.text}"


def test_a_token_without_a_session_is_refused_naming_the_sid_claim(api_url: str) -> None:
    """Signed with the right secret, every other claim right, no ``sid``: logout could
    never end it, so the hook refuses it, on every kind of request."""
    token = mint("customer", omit=("sid",))
    for method, path in (("GET", "/rpc/health"), ("GET", "/services"), ("POST", "/rpc/me")):
        resp = httpx.request(method, f"{api_url}{path}", headers=bearer(token), json={})
        assert resp.status_code == 401, (method, path, resp.text)
        body = resp.json()
        assert body["hint"] == "invalid_token", body
        assert "session (sid claim)" in body["message"], body


def test_a_database_issued_token_works_until_its_session_is_revoked(api: stack.PostgREST) -> None:
    with psycopg.connect(api.db_url, autocommit=True) as db:
        user = create_user(db, "customer")
        token = session_token(db, user)
        me = httpx.post(f"{api.url}/rpc/me", headers=bearer(token))
        assert me.status_code == 200, me.text
        assert me.json()["id"] == str(user)
        db.execute("update auth.sessions set revoked_at = now() where user_id = %s", (user,))
    refused = httpx.post(f"{api.url}/rpc/me", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.json()["message"] == "the session has ended; sign in again"


def _tamper(token: str) -> str:
    header, payload, sig = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["role"] = "ops"
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{sig}"


def test_a_validly_signed_token_for_a_role_outside_the_api_is_refused(api_url: str) -> None:
    # Only a holder of the secret can sign one; PostgREST cannot switch to it (403).
    resp = httpx.get(f"{api_url}/rpc/health", headers=bearer(mint("postgres")))
    assert resp.status_code == 403
