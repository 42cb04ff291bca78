"""Test-only message types, registered through the real registry.

Imported by the tests (in-process runners) and by worker subprocesses
(``python -m worker --import tests.worker.handlers``). Their effects go to
tables the ``effects`` fixture creates in the test's database.
"""

from __future__ import annotations

from typing import Any

from worker import registry
from worker.errors import PermanentError, RetryableError

TABLES = """
create table public.test_effects (
    id bigint generated always as identity primary key,
    key text not null,
    msg_id bigint not null,
    attempt integer not null,
    handler text not null,
    xact bigint not null default (pg_current_xact_id()::text::bigint)
);
create table public.test_fixes (key text primary key);
grant select, insert on public.test_effects to bookiji_worker;
grant select on public.test_fixes to bookiji_worker;
"""


def _record(ctx: registry.Context, body: dict[str, Any], handler: str) -> None:
    ctx.conn.execute(
        "insert into public.test_effects (key, msg_id, attempt, handler) values (%s, %s, %s, %s)",
        (body["key"], ctx.msg_id, ctx.attempt, handler),
    )


@registry.handler("test.record")
def record(ctx: registry.Context, body: dict[str, Any]) -> None:
    _record(ctx, body, "record")


@registry.handler("test.flaky")
def flaky(ctx: registry.Context, body: dict[str, Any]) -> None:
    """Fails (retryably) on the first ``fail_times`` attempts, then succeeds."""
    if ctx.attempt <= int(body["fail_times"]):
        raise RetryableError(f"transient failure on attempt {ctx.attempt}")
    _record(ctx, body, "flaky")


@registry.handler("test.always_retry")
def always_retry(ctx: registry.Context, body: dict[str, Any]) -> None:
    raise RetryableError(f"still failing on attempt {ctx.attempt}")


@registry.handler("test.permanent")
def permanent(ctx: registry.Context, body: dict[str, Any]) -> None:
    raise PermanentError(body.get("reason", "cannot be done"))


@registry.handler("test.bug")
def bug(ctx: registry.Context, body: dict[str, Any]) -> None:
    _ = 1 // int(body.get("divisor", 0))


@registry.handler("test.until_fixed")
def until_fixed(ctx: registry.Context, body: dict[str, Any]) -> None:
    """Refuses permanently until a row for its key exists in public.test_fixes."""
    fixed = ctx.conn.execute(
        "select 1 from public.test_fixes where key = %s", (body["key"],)
    ).fetchone()
    if fixed is None:
        raise PermanentError(f"{body['key']} is not fixed yet")
    _record(ctx, body, "until_fixed")


@registry.handler("test.blocked")
def blocked(ctx: registry.Context, body: dict[str, Any]) -> None:
    """Waits until the test releases the advisory lock it holds, then records."""
    ctx.conn.execute("select pg_advisory_xact_lock_shared(%s)", (int(body["lock"]),))
    _record(ctx, body, "blocked")


@registry.handler("test.batched", batch=True)
def batched(ctx: registry.Context, body: dict[str, Any]) -> None:
    """Records, batched: messages of one read share one transaction with their archive."""
    _record(ctx, body, "batched")


@registry.handler("test.batched_flaky", batch=True)
def batched_flaky(ctx: registry.Context, body: dict[str, Any]) -> None:
    """Batched, and failing (retryably) on the first ``fail_times`` attempts."""
    if ctx.attempt <= int(body.get("fail_times", 0)):
        raise RetryableError(f"transient failure on attempt {ctx.attempt}")
    _record(ctx, body, "batched_flaky")


@registry.handler("test.batched_blocked", batch=True)
def batched_blocked(ctx: registry.Context, body: dict[str, Any]) -> None:
    """Batched, and waiting until the test releases the advisory lock it holds."""
    ctx.conn.execute("select pg_advisory_xact_lock_shared(%s)", (int(body["lock"]),))
    _record(ctx, body, "batched_blocked")
