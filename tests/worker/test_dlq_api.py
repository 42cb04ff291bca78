"""The dead-letter tools over HTTP through PostgREST: ops may, every other role may not.

PostgREST's database is shared by the session, so each test puts its own dead
letters there (with an error class of its own) and cleans up what it replays.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from tests.helpers import auth, stack

OPS_ID = uuid.uuid4()


@pytest.fixture
def admin(api: stack.PostgREST) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(api.db_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def error_class() -> str:
    return f"TestError{uuid.uuid4().hex[:10]}"


def dead_letter(
    admin: psycopg.Connection[Any], queue: str, error_class: str, key: str = "x"
) -> tuple[int, dict[str, Any]]:
    original = {"type": "test.record", "key": key}
    payload = {
        "original": original,
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
    return int(row[0]), original


def rpc(api_url: str, name: str, body: dict[str, Any], role: str | None = "ops") -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if role is not None:
        headers.update(auth.bearer(auth.mint(role, sub=OPS_ID if role == "ops" else None)))
    return httpx.post(f"{api_url}/rpc/{name}", json=body, headers=headers, timeout=10)


def audit_rows(admin: psycopg.Connection[Any], action: str, row_id: int) -> list[tuple[Any, ...]]:
    return admin.execute(
        "select actor_id, actor_role, reason, before, after from audit.action_log "
        "where action = %s and row_id = %s",
        (action, str(row_id)),
    ).fetchall()


def in_queue(admin: psycopg.Connection[Any], table: str, msg_id: int) -> dict[str, Any] | None:
    row = admin.execute(
        psycopg.sql.SQL("select message from pgmq.{} where msg_id = %s").format(
            psycopg.sql.Identifier(table)
        ),
        (msg_id,),
    ).fetchone()
    return None if row is None else dict(row[0])


# --- ops ---------------------------------------------------------------------------------


def test_ops_lists_dead_letters_of_one_error_class(
    api_url: str, admin: psycopg.Connection[Any], error_class: str
) -> None:
    first, _ = dead_letter(admin, "payments", error_class, "a")
    second, _ = dead_letter(admin, "payments", error_class, "b")
    dead_letter(admin, "payments", error_class + "other")
    resp = rpc(api_url, "dlq_list", {"queue": "payments", "error_class": error_class})
    assert resp.status_code == 200, resp.text
    rows = resp.json()
    assert [r["msg_id"] for r in rows] == [first, second]
    assert rows[0] | {"dead_lettered_at": None} == {
        "msg_id": first,
        "dead_lettered_at": None,
        "original_msg_id": 424242,
        "type": "test.record",
        "error_class": error_class,
        "error": "it broke",
        "attempts": 3,
    }
    limited = rpc(
        api_url, "dlq_list", {"queue": "payments", "error_class": error_class, "limit": 1}
    )
    assert [r["msg_id"] for r in limited.json()] == [first]


def test_ops_lists_with_get_as_well(
    api_url: str, admin: psycopg.Connection[Any], error_class: str
) -> None:
    msg_id, _ = dead_letter(admin, "notifications", error_class)
    resp = httpx.get(
        f"{api_url}/rpc/dlq_list",
        params={"queue": "notifications", "error_class": error_class},
        headers=auth.bearer(auth.mint("ops")),
    )
    assert resp.status_code == 200, resp.text
    assert [r["msg_id"] for r in resp.json()] == [msg_id]


def test_ops_shows_one_dead_letter_in_full(
    api_url: str, admin: psycopg.Connection[Any], error_class: str
) -> None:
    msg_id, original = dead_letter(admin, "payments", error_class)
    resp = rpc(api_url, "dlq_show", {"queue": "payments", "msg_id": msg_id})
    assert resp.status_code == 200, resp.text
    entry = resp.json()
    assert (entry["queue"], entry["dlq"], entry["msg_id"]) == ("payments", "payments_dlq", msg_id)
    assert entry["message"]["original"] == original
    assert entry["message"]["traceback"].startswith("Traceback")


def test_showing_a_missing_dead_letter_is_404(api_url: str) -> None:
    resp = rpc(api_url, "dlq_show", {"queue": "payments", "msg_id": 987654321})
    assert resp.status_code == 404
    assert resp.json()["hint"] == "not_found"


def test_ops_replays_one_dead_letter_as_its_original_message_audited(
    api_url: str, admin: psycopg.Connection[Any], error_class: str
) -> None:
    msg_id, original = dead_letter(admin, "payments", error_class)
    resp = rpc(api_url, "dlq_replay", {"queue": "payments", "msg_id": msg_id})
    assert resp.status_code == 200, resp.text
    ((row),) = resp.json()
    assert row["dlq_msg_id"] == msg_id
    try:
        assert in_queue(admin, "q_payments", row["new_msg_id"]) == original
        assert in_queue(admin, "q_payments_dlq", msg_id) is None
        ((actor_id, actor_role, _, before, after),) = audit_rows(admin, "dlq_replay", msg_id)
        assert (actor_id, actor_role) == (OPS_ID, "ops")
        assert before["original"] == original
        assert after == {"queue": "payments", "msg_id": row["new_msg_id"]}
        again = rpc(api_url, "dlq_replay", {"queue": "payments", "msg_id": msg_id})
        assert again.status_code == 404, "a replayed message is no longer in the DLQ"
    finally:
        admin.execute("select pgmq.delete('payments', %s::bigint)", (row["new_msg_id"],))


def test_ops_replays_every_dead_letter_of_a_queue_when_no_id_is_given(
    api_url: str, admin: psycopg.Connection[Any], error_class: str
) -> None:
    mine = {dead_letter(admin, "notifications", error_class, f"all{i}")[0] for i in range(3)}
    resp = rpc(api_url, "dlq_replay", {"queue": "notifications"})
    assert resp.status_code == 200, resp.text
    replayed = resp.json()
    try:
        assert mine <= {r["dlq_msg_id"] for r in replayed}
        left = rpc(api_url, "dlq_list", {"queue": "notifications"}).json()
        assert left == []
    finally:
        for r in replayed:
            admin.execute("select pgmq.delete('notifications', %s::bigint)", (r["new_msg_id"],))


def test_ops_discards_a_dead_letter_with_a_reason_kept_in_the_audit_trail(
    api_url: str, admin: psycopg.Connection[Any], error_class: str
) -> None:
    msg_id, original = dead_letter(admin, "payments", error_class)
    resp = rpc(
        api_url,
        "dlq_discard",
        {"queue": "payments", "msg_id": msg_id, "reason": "customer refunded by hand"},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["message"]["original"] == original
    assert in_queue(admin, "q_payments_dlq", msg_id) is None
    ((actor_id, actor_role, reason, before, after),) = audit_rows(admin, "dlq_discard", msg_id)
    assert (actor_id, actor_role, reason, after) == (
        OPS_ID,
        "ops",
        "customer refunded by hand",
        None,
    )
    assert before["original"] == original


def test_ops_reads_queue_statistics(api_url: str) -> None:
    resp = httpx.get(f"{api_url}/rpc/queue_stats", headers=auth.bearer(auth.mint("ops")))
    assert resp.status_code == 200, resp.text
    stats = resp.json()
    assert [s["queue_name"] for s in stats] == [
        "payments",
        "payments_dlq",
        "notifications",
        "notifications_dlq",
    ]
    assert {"queue_length", "queue_visible_length", "oldest_msg_age_sec"} <= set(stats[0])


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "body", "field"),
    [
        ("dlq_list", {"queue": "bookings"}, "queue"),
        ("dlq_list", {"queue": "payments", "limit": 0}, "limit"),
        ("dlq_list", {"queue": "payments", "limit": 100000}, "limit"),
        ("dlq_show", {"queue": "payments_dlq", "msg_id": 1}, "queue"),
        ("dlq_show", {"queue": "payments", "msg_id": None}, "msg_id"),
        ("dlq_replay", {"queue": None}, "queue"),
        ("dlq_discard", {"queue": "payments", "msg_id": 1, "reason": "  "}, "reason"),
        ("dlq_discard", {"queue": "payments", "msg_id": None, "reason": "x"}, "msg_id"),
        ("dlq_discard", {"queue": "payments", "msg_id": 1, "reason": "x" * 1001}, "reason"),
    ],
)
def test_bad_input_is_a_400_that_names_the_field(
    api_url: str, name: str, body: dict[str, Any], field: str
) -> None:
    resp = rpc(api_url, name, body)
    assert resp.status_code == 400, resp.text
    assert resp.json()["hint"] == "invalid_input"
    assert resp.json()["message"].startswith(field)


@pytest.mark.parametrize(
    "queue",
    [
        "payments; drop table pgmq.q_payments; --",
        'payments"; drop table pgmq.q_payments; --',
        "payments_dlq where true; --",
        "q_payments",
        "PAYMENTS",
    ],
)
def test_a_queue_name_cannot_inject_sql(
    api_url: str, admin: psycopg.Connection[Any], queue: str
) -> None:
    for name, body in (
        ("dlq_list", {"queue": queue}),
        ("dlq_replay", {"queue": queue}),
        ("dlq_discard", {"queue": queue, "msg_id": 1, "reason": "x"}),
    ):
        resp = rpc(api_url, name, body)
        assert resp.status_code == 400, resp.text
        assert resp.json()["hint"] == "invalid_input"
    assert admin.execute("select to_regclass('pgmq.q_payments') is not null").fetchone() == (True,)


def test_an_error_class_filter_is_a_value_not_sql(
    api_url: str, admin: psycopg.Connection[Any], error_class: str
) -> None:
    dead_letter(admin, "payments", error_class)
    resp = rpc(api_url, "dlq_list", {"queue": "payments", "error_class": "' or 1=1 --"})
    assert resp.status_code == 200, resp.text
    assert resp.json() == []


# --- every other role --------------------------------------------------------------------

CALLS = [
    ("dlq_list", {"queue": "payments"}),
    ("dlq_show", {"queue": "payments", "msg_id": 1}),
    ("dlq_replay", {"queue": "payments"}),
    ("dlq_discard", {"queue": "payments", "msg_id": 1, "reason": "x"}),
    ("queue_stats", {}),
]


@pytest.mark.parametrize(
    "role", ["customer", "provider", None], ids=["customer", "provider", "anon"]
)
@pytest.mark.parametrize(("name", "body"), CALLS, ids=[c[0] for c in CALLS])
def test_other_roles_are_refused(
    api_url: str, admin: psycopg.Connection[Any], role: str | None, name: str, body: dict[str, Any]
) -> None:
    before = admin.execute("select count(*) from pgmq.q_payments_dlq").fetchone()
    resp = rpc(api_url, name, body, role=role)
    if role is None:
        # anonymous callers are not even granted the wrappers (nor see them in the OpenAPI)
        assert resp.status_code == 401, resp.text
    else:
        assert resp.status_code == 403, resp.text
        assert resp.json()["hint"] == "forbidden"
    assert admin.execute("select count(*) from pgmq.q_payments_dlq").fetchone() == before
