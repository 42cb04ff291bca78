"""Sign-up, login, refresh, logout, email confirmation and password reset over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import pytest

from bookiji import config
from tests.helpers import stack
from tests.helpers.api import PASSWORD, signup, unique_email


def _count_users(api: stack.PostgREST, email: str) -> int:
    with stack.admin_connection(api) as conn:
        row = conn.execute("select count(*) from app.users where email = %s", (email,)).fetchone()
        return int(row[0]) if row else 0


# --- sign-up -----------------------------------------------------------------


def test_signup_returns_the_user_and_a_working_session(api_url: str) -> None:
    acct = signup(api_url, "customer", locale="fr")
    me = httpx.get(f"{api_url}/rpc/me", headers=acct.headers).json()
    assert me["email"] == acct.email
    assert me["role"] == "customer"
    assert me["locale"] == "fr"
    assert me["email_confirmed"] is False


def test_the_access_token_carries_the_claims_postgrest_checks(api_url: str) -> None:
    acct = signup(api_url, "provider")
    s = config.load()
    claims = jwt.decode(acct.access_token, s.jwt_secret, algorithms=["HS256"], audience=s.jwt_aud)
    assert claims["sub"] == acct.id
    assert claims["role"] == "provider"
    assert claims["email"] == acct.email
    assert claims["exp"] - claims["iat"] == s.jwt_ttl_seconds
    assert "sid" in claims


def test_signup_normalises_the_email(api_url: str) -> None:
    email = unique_email("Mixed").upper()
    resp = httpx.post(
        f"{api_url}/rpc/signup",
        json={"email": f"  {email} ", "password": PASSWORD, "full_name": "Ann"},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["user"]["email"] == email.lower()


@pytest.mark.parametrize(
    ("fields", "status", "needle"),
    [
        ({"email": "not-an-email"}, 400, "email is not a valid address"),
        ({"email": ""}, 400, "email is required"),
        ({"email": "a" * 250 + "@x.io"}, 400, "email must be at most 254"),
        ({"password": "short"}, 400, "password must be at least 10"),
        ({"password": "é" * 40}, 400, "at most 72 bytes"),
        ({"full_name": ""}, 400, "full_name is required"),
        ({"full_name": "x" * 201}, 400, "full_name must be at most 200"),
        ({"role": "ops"}, 400, "role must be 'customer' or 'provider'"),
        ({"role": "admin"}, 400, "role must be"),
        ({"locale": "de"}, 400, "locale must be"),
        ({"password": None}, 400, "password is required"),
    ],
)
def test_bad_signup_input_is_a_4xx_naming_the_field_and_leaves_nothing(
    api: stack.PostgREST, fields: dict[str, Any], status: int, needle: str
) -> None:
    body = {"email": unique_email(), "password": PASSWORD, "full_name": "Someone", **fields}
    resp = httpx.post(f"{api.url}/rpc/signup", json=body)
    assert resp.status_code == status, resp.text
    assert needle in resp.json()["message"]
    assert resp.json()["hint"] == "invalid_input"
    if isinstance(body.get("email"), str) and body["email"]:
        assert _count_users(api, body["email"].strip().lower()) == 0


def test_a_password_equal_to_the_email_is_refused(api_url: str) -> None:
    email = unique_email()
    resp = httpx.post(
        f"{api_url}/rpc/signup", json={"email": email, "password": email, "full_name": "X"}
    )
    assert resp.status_code == 400
    assert "must not be the email" in resp.json()["message"]


def test_a_missing_field_is_named(api_url: str) -> None:
    resp = httpx.post(f"{api_url}/rpc/signup", json={"email": unique_email(), "password": PASSWORD})
    assert resp.status_code == 400
    assert resp.json()["message"] == "full_name is required"


def test_a_duplicate_email_is_a_409_that_does_not_echo_the_address(api: stack.PostgREST) -> None:
    acct = signup(api.url)
    resp = httpx.post(
        f"{api.url}/rpc/signup",
        json={"email": acct.email.upper(), "password": PASSWORD, "full_name": "Dup"},
    )
    assert resp.status_code == 409
    assert resp.json()["hint"] == "email_taken"
    assert acct.email not in resp.text
    assert "users" not in resp.text
    assert _count_users(api, acct.email) == 1


def test_signup_queues_a_confirmation_email(api: stack.PostgREST) -> None:
    acct = signup(api.url)
    with stack.admin_connection(api) as conn:
        rows = conn.execute(
            "select n.event, n.channel, n.status, q.message->>'type' from app.notifications n "
            "join pgmq.q_notifications q on q.message->>'notification_id' = n.id::text "
            "where n.recipient_id = %s",
            (acct.id,),
        ).fetchall()
    assert rows == [("email_confirmation", "email", "queued", "notify")]


# --- login ---------------------------------------------------------------------


def test_login_with_the_right_password_starts_a_new_session(api_url: str) -> None:
    acct = signup(api_url)
    resp = httpx.post(f"{api_url}/rpc/login", json={"email": acct.email, "password": PASSWORD})
    assert resp.status_code == 200
    token = resp.json()["access_token"]
    me = httpx.get(f"{api_url}/rpc/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["id"] == acct.id


def test_a_wrong_password_and_an_unknown_email_get_the_same_401(api: stack.PostgREST) -> None:
    acct = signup(api.url)
    wrong = httpx.post(
        f"{api.url}/rpc/login", json={"email": acct.email, "password": "wrong password!"}
    )
    unknown = httpx.post(
        f"{api.url}/rpc/login", json={"email": unique_email(), "password": "wrong password!"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["hint"] == "invalid_credentials"
    with stack.admin_connection(api) as conn:
        failures = conn.execute(
            "select count(*) from auth.login_attempts where email = %s and not succeeded",
            (acct.email,),
        ).fetchone()
    assert failures == (1,), "the failed attempt is recorded although the answer is a 401"


def test_login_without_a_password_is_a_400(api_url: str) -> None:
    resp = httpx.post(f"{api_url}/rpc/login", json={"email": unique_email()})
    assert resp.status_code == 400


# --- refresh and logout ----------------------------------------------------------


def test_refresh_rotates_the_refresh_token(api_url: str) -> None:
    acct = signup(api_url)
    first = httpx.post(f"{api_url}/rpc/refresh", json={"refresh_token": acct.refresh_token})
    assert first.status_code == 200
    new = first.json()
    assert new["refresh_token"] != acct.refresh_token
    assert (
        httpx.get(
            f"{api_url}/rpc/me", headers={"Authorization": f"Bearer {new['access_token']}"}
        ).status_code
        == 200
    )
    second = httpx.post(f"{api_url}/rpc/refresh", json={"refresh_token": new["refresh_token"]})
    assert second.status_code == 200


def test_reusing_a_rotated_refresh_token_revokes_the_whole_session(api_url: str) -> None:
    acct = signup(api_url)
    rotated = httpx.post(
        f"{api_url}/rpc/refresh", json={"refresh_token": acct.refresh_token}
    ).json()
    replay = httpx.post(f"{api_url}/rpc/refresh", json={"refresh_token": acct.refresh_token})
    assert replay.status_code == 401
    assert "revoked" in replay.json()["message"]
    # the thief's replay ended the legitimate chain too
    after = httpx.post(f"{api_url}/rpc/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert after.status_code == 401
    me = httpx.get(
        f"{api_url}/rpc/me", headers={"Authorization": f"Bearer {rotated['access_token']}"}
    )
    assert me.status_code == 401


@pytest.mark.parametrize("token", ["", "forged-token-that-was-never-issued", "x" * 500])
def test_a_forged_or_malformed_refresh_token_is_refused(api_url: str, token: str) -> None:
    resp = httpx.post(f"{api_url}/rpc/refresh", json={"refresh_token": token})
    assert resp.status_code in (400, 401)


def test_an_expired_refresh_token_is_refused(api: stack.PostgREST) -> None:
    acct = signup(api.url)
    with stack.admin_connection(api) as conn:
        conn.execute(
            "update auth.refresh_tokens set expires_at = now() - interval '1 second' where user_id = %s",
            (acct.id,),
        )
    resp = httpx.post(f"{api.url}/rpc/refresh", json={"refresh_token": acct.refresh_token})
    assert resp.status_code == 401


def test_logout_ends_the_session_and_its_tokens_at_once(api_url: str) -> None:
    acct = signup(api_url)
    assert httpx.post(f"{api_url}/rpc/logout", headers=acct.headers).status_code == 200
    assert httpx.get(f"{api_url}/rpc/me", headers=acct.headers).status_code == 401
    assert (
        httpx.post(f"{api_url}/rpc/refresh", json={"refresh_token": acct.refresh_token}).status_code
        == 401
    )


def test_logout_without_a_token_is_refused(api_url: str) -> None:
    assert httpx.post(f"{api_url}/rpc/logout").status_code in (401, 403)


# --- confirmation and reset ---------------------------------------------------------


def _latest_token(api: stack.PostgREST, user_id: str, kind: str) -> str:
    with stack.admin_connection(api) as conn:
        row = conn.execute(
            "select data->>'token' from app.notifications "
            "where recipient_id = %s and event = %s order by created_at desc limit 1",
            (user_id, kind),
        ).fetchone()
    assert row is not None
    return str(row[0])


def test_confirm_email_works_once(api: stack.PostgREST) -> None:
    acct = signup(api.url)
    token = _latest_token(api, acct.id, "email_confirmation")
    assert httpx.post(f"{api.url}/rpc/confirm_email", json={"token": token}).status_code == 200
    assert httpx.get(f"{api.url}/rpc/me", headers=acct.headers).json()["email_confirmed"] is True
    again = httpx.post(f"{api.url}/rpc/confirm_email", json={"token": token})
    assert again.status_code == 400
    assert again.json()["hint"] == "invalid_one_time_token"


def test_a_forged_or_expired_confirmation_token_is_refused(api: stack.PostgREST) -> None:
    assert httpx.post(f"{api.url}/rpc/confirm_email", json={"token": "nope"}).status_code == 400
    acct = signup(api.url)
    token = _latest_token(api, acct.id, "email_confirmation")
    with stack.admin_connection(api) as conn:
        conn.execute(
            "update auth.one_time_tokens set expires_at = now() - interval '1 second' where user_id = %s",
            (acct.id,),
        )
    assert httpx.post(f"{api.url}/rpc/confirm_email", json={"token": token}).status_code == 400


def test_password_reset_sets_a_new_password_and_signs_out_everywhere(api: stack.PostgREST) -> None:
    acct = signup(api.url)
    assert (
        httpx.post(f"{api.url}/rpc/request_password_reset", json={"email": acct.email}).status_code
        == 200
    )
    token = _latest_token(api, acct.id, "password_reset")
    weak = httpx.post(
        f"{api.url}/rpc/reset_password", json={"token": token, "new_password": "short"}
    )
    assert weak.status_code == 400
    resp = httpx.post(
        f"{api.url}/rpc/reset_password",
        json={"token": token, "new_password": "a brand new password"},
    )
    assert resp.status_code == 200, resp.text
    assert httpx.get(f"{api.url}/rpc/me", headers=acct.headers).status_code == 401
    old = httpx.post(f"{api.url}/rpc/login", json={"email": acct.email, "password": PASSWORD})
    assert old.status_code == 401
    new = httpx.post(
        f"{api.url}/rpc/login", json={"email": acct.email, "password": "a brand new password"}
    )
    assert new.status_code == 200
    reused = httpx.post(
        f"{api.url}/rpc/reset_password",
        json={"token": token, "new_password": "another new password"},
    )
    assert reused.status_code == 400


def test_a_reset_request_for_an_unknown_email_looks_the_same(api_url: str) -> None:
    resp = httpx.post(f"{api_url}/rpc/request_password_reset", json={"email": unique_email()})
    assert resp.status_code == 200
    assert resp.json() == {"requested": True}


# --- profile ---------------------------------------------------------------------------


def test_update_me_edits_only_the_editable_fields(api_url: str) -> None:
    acct = signup(api_url)
    resp = httpx.post(
        f"{api_url}/rpc/update_me",
        json={"full_name": "New Name", "locale": "fr", "phone": "+15145550123"},
        headers=acct.headers,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["full_name"] == "New Name"
    assert resp.json()["phone"] == "+15145550123"
    role = httpx.post(f"{api_url}/rpc/update_me", json={"role": "ops"}, headers=acct.headers)
    assert role.status_code >= 400
    assert httpx.get(f"{api_url}/rpc/me", headers=acct.headers).json()["role"] == "customer"


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"phone": "514-555"}, "phone must be in E.164"),
        ({"locale": "xx"}, "locale"),
        ({"full_name": " "}, "full_name"),
    ],
)
def test_bad_profile_edits_are_400s_naming_the_field(
    api_url: str, fields: dict[str, str], needle: str
) -> None:
    acct = signup(api_url)
    resp = httpx.post(f"{api_url}/rpc/update_me", json=fields, headers=acct.headers)
    assert resp.status_code == 400
    assert needle in resp.json()["message"]
