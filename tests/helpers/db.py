"""Acting as a user inside one transaction, the way PostgREST does it; one value of a query."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg


@contextmanager
def acting_as(
    conn: psycopg.Connection[Any], role: str, sub: uuid.UUID | str | None = None, **claims: Any
) -> Iterator[psycopg.Connection[Any]]:
    """Run the block as ``role`` with JWT claims set for this transaction only; roll back after."""
    body: dict[str, Any] = {"role": role, **claims}
    if sub is not None:
        body["sub"] = str(sub)
    with conn.transaction(force_rollback=True):
        conn.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps(body),))
        conn.execute(psycopg.sql.SQL("set local role {}").format(psycopg.sql.Identifier(role)))
        yield conn


@contextmanager
def as_user(
    conn: psycopg.Connection[Any], role: str, sub: uuid.UUID | str | None = None, **claims: Any
) -> Iterator[psycopg.Connection[Any]]:
    """Like ``acting_as``, but the transaction commits (for multi-step scenarios)."""
    body: dict[str, Any] = {"role": role, **claims}
    if sub is not None:
        body["sub"] = str(sub)
    with conn.transaction():
        conn.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps(body),))
        conn.execute(psycopg.sql.SQL("set local role {}").format(psycopg.sql.Identifier(role)))
        yield conn


def one(conn: psycopg.Connection[Any], sql: str, *args: Any) -> Any:
    """The first column of the first row ``sql`` returns (there must be one)."""
    row = conn.execute(sql, args).fetchone()
    assert row is not None
    return row[0]


def call_as(
    conn: psycopg.Connection[Any], role: str, sub: uuid.UUID | str | None, sql: str, *args: Any
) -> Any:
    """``one`` as ``role`` (``as_user``: the transaction commits)."""
    with as_user(conn, role, sub):
        return one(conn, sql, *args)
