"""The ops command line: ops accounts exist only through it; it signs users out everywhere."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import psycopg

from tests.helpers import stack
from tests.helpers.api import PASSWORD, signup


def _bookiji(api: stack.PostgREST, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=api.db_url)
    return subprocess.run(
        [sys.executable, "-m", "bookiji.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_an_ops_account_is_created_from_the_command_line_and_can_log_in(
    api: stack.PostgREST,
) -> None:
    email = "ops-cli@example.test"
    res = _bookiji(
        api, "ops", "create-user", "--email", email, "--name", "Olive Ops", "--password", PASSWORD
    )
    assert res.returncode == 0, res.stderr
    login = httpx.post(f"{api.url}/rpc/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200
    assert login.json()["user"]["role"] == "ops"
    with psycopg.connect(api.db_url) as conn:
        row = conn.execute(
            "select actor_role from audit.action_log where action = 'create_ops_user' and row_id = %s",
            (login.json()["user"]["id"],),
        ).fetchone()
    assert row == ("cli",)


def test_a_weak_ops_password_is_refused_with_a_message_not_a_traceback(
    api: stack.PostgREST,
) -> None:
    res = _bookiji(
        api,
        "ops",
        "create-user",
        "--email",
        "weak@example.test",
        "--name",
        "W",
        "--password",
        "short",
    )
    assert res.returncode == 2
    assert "password must be at least 10 characters" in res.stderr
    assert "Traceback" not in res.stderr


def test_revoking_a_users_sessions_ends_their_tokens_at_once(api: stack.PostgREST) -> None:
    acct = signup(api.url)
    assert httpx.get(f"{api.url}/rpc/me", headers=acct.headers).status_code == 200
    res = _bookiji(
        api, "ops", "revoke-sessions", "--email", acct.email, "--reason", "stolen laptop"
    )
    assert res.returncode == 0, res.stderr
    assert "revoked 1 session" in res.stdout
    assert httpx.get(f"{api.url}/rpc/me", headers=acct.headers).status_code == 401
    assert (
        httpx.post(f"{api.url}/rpc/refresh", json={"refresh_token": acct.refresh_token}).status_code
        == 401
    )
