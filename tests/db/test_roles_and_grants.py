"""Roles, schemas and grants: what each role can reach, and what it cannot."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from tests.helpers import stack
from tests.helpers.db import acting_as

PRIVATE_SCHEMAS = ["app", "auth", "audit", "internal", "pgmq"]


def test_the_schemas_exist(db: psycopg.Connection[Any]) -> None:
    names = {r[0] for r in db.execute("select nspname from pg_namespace")}
    assert {"app", "api", "auth", "audit", "internal", "extensions", "pgmq"} <= names


def test_authenticator_logs_in_and_only_switches_roles(db: psycopg.Connection[Any]) -> None:
    row = db.execute(
        "select rolcanlogin, rolinherit, rolsuper, rolcreaterole, rolcreatedb from pg_roles "
        "where rolname = 'authenticator'"
    ).fetchone()
    assert row == (True, False, False, False, False)
    members = {
        r[0]
        for r in db.execute(
            "select r.rolname from pg_auth_members m join pg_roles r on r.oid = m.roleid "
            "join pg_roles u on u.oid = m.member where u.rolname = 'authenticator'"
        )
    }
    assert members == {"anon", "customer", "provider", "ops"}


@pytest.mark.parametrize("role", ["anon", "customer", "provider"])
@pytest.mark.parametrize("schema", PRIVATE_SCHEMAS)
def test_api_roles_cannot_read_private_tables(
    db: psycopg.Connection[Any], role: str, schema: str
) -> None:
    tables = [
        r[0]
        for r in db.execute(
            "select quote_ident(schemaname) || '.' || quote_ident(tablename) from pg_tables where schemaname = %s",
            (schema,),
        )
    ]
    for table in tables:
        allowed = db.execute(
            "select has_table_privilege(%s, %s, 'select')", (role, table)
        ).fetchone()
        if schema == "audit" and role == "ops":
            continue
        assert allowed == (False,), f"{role} can read {table}"


def test_anon_has_no_usage_on_pgmq_or_audit(db: psycopg.Connection[Any]) -> None:
    for schema in ("pgmq", "audit", "app"):
        assert db.execute(
            "select has_schema_privilege('anon', %s, 'usage')", (schema,)
        ).fetchone() == (False,)


def test_the_worker_role_sends_reads_and_archives(db: psycopg.Connection[Any]) -> None:
    url = stack.worker_url(db.info.dbname)
    with psycopg.connect(url, autocommit=True) as w:
        (msg_id,) = w.execute(
            "select pgmq.send('payments', '{\"type\": \"probe\"}'::jsonb)"
        ).fetchone()
        rows = w.execute("select msg_id, message from pgmq.read('payments', 30, 10)").fetchall()
        assert [r[0] for r in rows] == [msg_id]
        assert w.execute("select pgmq.archive('payments', %s::bigint)", (msg_id,)).fetchone() == (
            True,
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            w.execute("select pgmq.drop_queue('payments')")


@pytest.mark.parametrize("role", ["anon", "customer", "provider", "ops"])
def test_api_roles_cannot_touch_the_queues(db: psycopg.Connection[Any], role: str) -> None:
    for stmt in (
        "select pgmq.send('payments', '{}'::jsonb)",
        "select * from pgmq.read('payments', 30, 1)",
        "select pgmq.archive('payments', 1::bigint)",
        "select * from pgmq.q_payments",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege), acting_as(db, role):
            db.execute(stmt)


def test_nothing_in_api_auth_internal_is_executable_by_public(db: psycopg.Connection[Any]) -> None:
    rows = db.execute(
        """
        select p.oid::regprocedure::text
        from pg_proc as p,
            lateral aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) as a
        where p.pronamespace in ('api'::regnamespace, 'auth'::regnamespace, 'internal'::regnamespace)
          and a.grantee = 0 and a.privilege_type = 'EXECUTE'
        """
    ).fetchall()
    assert rows == []
