"""Who sees whose account: by persona (owner, stranger, anonymous), through every route."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import pytest

from tests.helpers import factories
from tests.helpers.api import signup
from tests.helpers.db import acting_as

# --- over HTTP -------------------------------------------------------------------


def test_a_customer_sees_only_their_own_profile(api_url: str) -> None:
    alice, bob = signup(api_url), signup(api_url)
    me = httpx.get(f"{api_url}/rpc/me", headers=alice.headers).json()
    assert me["id"] == alice.id
    assert bob.email not in httpx.get(f"{api_url}/rpc/me", headers=alice.headers).text


@pytest.mark.parametrize(
    "path", ["/users", "/app.users", "/sessions", "/credentials", "/refresh_tokens"]
)
def test_private_tables_are_not_routes(api_url: str, path: str) -> None:
    alice = signup(api_url)
    resp = httpx.get(f"{api_url}{path}", headers=alice.headers)
    assert resp.status_code == 404


@pytest.mark.parametrize("schema", ["app", "auth", "audit", "internal", "pgmq"])
def test_switching_to_a_private_schema_is_refused(api_url: str, schema: str) -> None:
    alice = signup(api_url)
    for method in ("GET", "PATCH"):
        resp = httpx.request(
            method,
            f"{api_url}/users",
            headers={**alice.headers, "Accept-Profile": schema, "Content-Profile": schema},
            json={"role": "ops"},
        )
        assert resp.status_code == 406, resp.text


def test_anon_cannot_read_or_edit_a_profile(api_url: str) -> None:
    assert httpx.get(f"{api_url}/rpc/me").status_code == 401
    resp = httpx.post(f"{api_url}/rpc/update_me", json={"full_name": "x"})
    assert resp.status_code == 401


def test_a_customer_cannot_call_the_ops_tooling(api_url: str) -> None:
    alice = signup(api_url)
    resp = httpx.post(
        f"{api_url}/rpc/create_ops_user",
        json={"p_email": "x@y.z", "p_password": "x" * 12, "p_full_name": "x"},
        headers=alice.headers,
    )
    assert resp.status_code == 404


# --- in SQL, as each persona -------------------------------------------------------


def test_a_customer_cannot_read_another_customers_account_row(db: psycopg.Connection[Any]) -> None:
    alice = factories.create_user(db, "customer")
    bob = factories.create_user(db, "customer")
    with acting_as(db, "customer", alice):
        ids = [r[0] for r in db.execute("select id from app.users")]
    assert ids == [alice]
    assert bob not in ids


def test_a_customer_cannot_change_another_customers_profile(db: psycopg.Connection[Any]) -> None:
    alice = factories.create_user(db, "customer")
    bob = factories.create_user(db, "customer", full_name="Bob")
    with acting_as(db, "customer", alice):
        cur = db.execute("update app.users set full_name = 'hacked' where id = %s", (bob,))
        assert cur.rowcount == 0
    assert db.execute("select full_name from app.users where id = %s", (bob,)).fetchone() == (
        "Bob",
    )


def test_a_user_cannot_change_their_own_role_or_email(db: psycopg.Connection[Any]) -> None:
    alice = factories.create_user(db, "customer")
    for column in ("role", "email"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege), acting_as(db, "customer", alice):
            db.execute(f"update app.users set {column} = 'ops' where id = %s", (alice,))


@pytest.mark.parametrize(
    "table", ["auth.sessions", "auth.refresh_tokens", "auth.credentials", "auth.one_time_tokens"]
)
def test_nobody_reads_sessions_or_credentials_directly(
    db: psycopg.Connection[Any], table: str
) -> None:
    alice = factories.create_user(db, "customer")
    for role in ("customer", "provider", "ops"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege), acting_as(db, role, alice):
            db.execute(f"select * from {table}")


def test_ops_read_every_account(db: psycopg.Connection[Any]) -> None:
    ops = factories.create_user(db, "ops")
    alice = factories.create_user(db, "customer")
    with acting_as(db, "ops", ops):
        ids = {r[0] for r in db.execute("select id from app.users")}
    assert {ops, alice} <= ids


def test_the_audit_log_is_append_only_for_every_api_role(db: psycopg.Connection[Any]) -> None:
    ops = factories.create_user(db, "ops")
    db.execute("select internal.audit('probe', 'app.users', '1')")
    for role in ("anon", "customer", "provider", "ops"):
        for stmt in (
            "update audit.action_log set reason = 'x'",
            "delete from audit.action_log",
            "insert into audit.action_log (actor_role, action, table_name) values ('x', 'x', 'x')",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege), acting_as(db, role, ops):
                db.execute(stmt)
