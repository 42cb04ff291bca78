"""Factories for test data.

``create_user`` is the one explicit owner-level escape hatch: it inserts an
account directly (as the superuser), for tests whose subject is not sign-up.
Tests about accounts go through ``api.signup`` over HTTP.
"""

from __future__ import annotations

import uuid
from typing import Any

import psycopg

DEFAULT_PASSWORD = "correct horse battery"  # a test fixture, not a secret


def create_user(
    db: psycopg.Connection[Any],
    role: str = "customer",
    *,
    email: str | None = None,
    full_name: str | None = None,
    locale: str = "en",
    password: str = DEFAULT_PASSWORD,
) -> uuid.UUID:
    email = email or f"{role}-{uuid.uuid4().hex[:12]}@example.test"
    row = db.execute(
        """
        with u as (
            insert into app.users (email, role, full_name, locale, email_confirmed_at)
            values (%s, %s, %s, %s, now())
            returning id
        )
        insert into auth.credentials (user_id, password_hash)
        select u.id, extensions.crypt(%s, extensions.gen_salt('bf', 4)) from u
        returning user_id
        """,
        (email, role, full_name or f"Test {role.title()}", locale, password),
    ).fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))
