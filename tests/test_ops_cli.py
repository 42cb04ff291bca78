"""The ops command line: ops accounts exist only through it; it signs users out everywhere; its
actions (refund, force-cancel, dead letters) go over HTTP through the API as an ops account."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from tests.helpers import booking as bk
from tests.helpers import catalog, stack
from tests.helpers.api import PASSWORD, signup
from tests.helpers.auth import mint
from tests.helpers.factories import create_user


def _bookiji(api: stack.PostgREST, *args: str, **env_vars: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "BOOKIJI_OPS_TOKEN"}
    env.update(DATABASE_URL=api.db_url, **env_vars)
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


# --- ops actions over HTTP ---------------------------------------------------------------


@pytest.fixture
def admin(api: stack.PostgREST) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(api.db_url, autocommit=True) as conn:
        yield conn


def _paid_booking(admin: psycopg.Connection[Any]) -> dict[str, Any]:
    # somewhere no other test's provider is, so that the quote offers only this one
    lat, lng = 43.0 + (uuid.uuid4().int % 1000) / 1000, -77.5 + (uuid.uuid4().int % 1000) / 1000
    shop = bk.open_shop(admin, lat=lat, lng=lng)
    b = bk.book(admin, shop, catalog.next_weekday(3, at="11:00"))
    bk.pay(admin, b)
    return b


def _http_ops(
    api: stack.PostgREST, *args: str, **env_vars: str
) -> subprocess.CompletedProcess[str]:
    """`bookiji ops ARGS --api-url <the test's gateway>` (the option goes after the action's
    own arguments: argparse takes it on the innermost command)."""
    return _bookiji(api, "ops", *args, "--api-url", api.url, **env_vars)


def test_ops_refund_from_the_command_line_goes_over_http_as_the_ops_account_and_is_audited(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    b = _paid_booking(admin)
    ops = create_user(admin, "ops")
    res = _http_ops(
        api,
        "refund",
        str(b["id"]),
        "--amount",
        "400",
        "--reason",
        "late start",
        BOOKIJI_OPS_TOKEN=mint("ops", ops),
    )
    assert res.returncode == 0, res.stderr
    answer = json.loads(res.stdout)
    assert (answer["refunded_cents"], answer["net_cents"]) == (400, 600)
    rows = admin.execute(
        "select actor_id, actor_role, reason, after->>'refunded_cents', request_id is not null "
        "from audit.action_log where action = 'booking.ops_refund' and row_id = %s",
        (str(b["id"]),),
    ).fetchall()
    assert rows == [(ops, "ops", "late start", "400", True)]


def test_a_customer_token_is_refused_with_the_registrys_code_and_message_and_nothing_changes(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    b = _paid_booking(admin)
    res = _http_ops(
        api,
        "refund",
        str(b["id"]),
        "--amount",
        "400",
        "--reason",
        "x",
        "--token",
        mint("customer", b["customer_id"]),
    )
    assert res.returncode == 2
    [line] = res.stderr.splitlines()  # one line: no traceback, no HTTP log
    assert line.startswith("bookiji: forbidden: ")
    assert line.endswith("(the token must be an ops account's)")
    refunds = admin.execute(
        "select count(*) from app.refunds where booking_id = %s", (b["id"],)
    ).fetchone()
    assert refunds == (0,)


def test_ops_refund_past_the_charge_prints_the_conflict_and_exits_non_zero(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    b = _paid_booking(admin)
    token = mint("ops", create_user(admin, "ops"))
    res = _http_ops(
        api, "refund", str(b["id"]), "--amount", "1001", "--reason", "too much", "--token", token
    )
    assert res.returncode == 2
    assert res.stderr.startswith("bookiji: conflict: ")
    assert res.stdout == ""


def test_ops_force_cancel_logs_in_with_email_and_password_and_keeps_the_money_with_no_refund(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    b = _paid_booking(admin)
    email = f"ops-{uuid.uuid4().hex[:8]}@example.test"
    create_user(admin, "ops", email=email, password=PASSWORD)
    res = _http_ops(
        api,
        "force-cancel",
        str(b["id"]),
        "--reason",
        "provider closed",
        "--no-refund",
        "--email",
        email,
        "--password",
        PASSWORD,
    )
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["status"] == "cancelled"
    assert bk.status(admin, b["id"]) == "cancelled"
    refunds = admin.execute(
        "select count(*) from app.refunds where booking_id = %s", (b["id"],)
    ).fetchone()
    assert refunds == (0,)


def test_an_ops_command_without_any_token_says_how_to_give_one(api: stack.PostgREST) -> None:
    res = _http_ops(api, "queue-stats")
    assert res.returncode == 2
    assert "an ops token is needed: --token, BOOKIJI_OPS_TOKEN, or --email" in res.stderr


def _dead_letter(admin: psycopg.Connection[Any], queue: str, error_class: str) -> int:
    payload = {
        "original": {"type": "test.record", "key": uuid.uuid4().hex},
        "queue": queue,
        "msg_id": 424242,
        "type": "test.record",
        "error": "it broke",
        "error_class": error_class,
        "attempts": 3,
        "traceback": "Traceback (most recent call last): ...",
    }
    row = admin.execute(
        "select pgmq.send(%s, %s::jsonb)", (f"{queue}_dlq", json.dumps(payload))
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_ops_dlq_lists_every_queue_then_replays_two_dead_letters_over_http(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    error_class = f"CliError{uuid.uuid4().hex[:8]}"
    pay = _dead_letter(admin, "payments", error_class)
    note = _dead_letter(admin, "notifications", error_class)
    later = _dead_letter(admin, "payments", error_class)
    ops = create_user(admin, "ops")
    token = {"BOOKIJI_OPS_TOKEN": mint("ops", ops)}
    listed = _http_ops(api, "dlq", "list", "--error-class", error_class, **token)
    assert listed.returncode == 0, listed.stderr
    assert [(r["queue"], r["msg_id"]) for r in json.loads(listed.stdout)] == [
        ("payments", pay),
        ("payments", later),
        ("notifications", note),
    ]
    replayed = _http_ops(api, "dlq", "replay", str(pay), str(later), "--queue", "payments", **token)
    assert replayed.returncode == 0, replayed.stderr
    answer = json.loads(replayed.stdout)
    assert [r["dlq_msg_id"] for r in answer] == [pay, later]
    left = _http_ops(
        api, "dlq", "list", "--queue", "payments", "--error-class", error_class, **token
    )
    assert json.loads(left.stdout) == []
    audited = admin.execute(
        "select actor_id, actor_role from audit.action_log "
        "where action = 'dlq_replay' and row_id in (%s, %s)",
        (str(pay), str(later)),
    ).fetchall()
    assert audited == [(ops, "ops"), (ops, "ops")]
    again = _http_ops(api, "dlq", "replay", str(pay), "--queue", "payments", **token)
    assert again.returncode == 2
    assert f"bookiji: dead letter {pay}: not_found: " in again.stderr
    admin.execute(
        "select pgmq.delete('payments', array[%s, %s]::bigint[])",
        (answer[0]["new_msg_id"], answer[1]["new_msg_id"]),
    )
    admin.execute("select pgmq.delete('notifications_dlq', %s::bigint)", (note,))
