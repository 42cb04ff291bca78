"""Ops read the audit trail over HTTP: api.ops_audit_trail, filtered and paginated."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from tests.helpers import stack
from tests.helpers.auth import bearer, mint


@pytest.fixture
def trail(api: stack.PostgREST) -> dict[str, Any]:
    """Five entries about one booking by one actor, and one by another actor, written
    by internal.audit as the definers write them."""
    booking, actor, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(api.db_url, autocommit=True) as db:
        for i in range(5):
            db.execute(
                "select internal.audit(%s, 'app.bookings', %s, null, %s::jsonb, %s, %s, 'ops')",
                (f"test.step{i}", str(booking), f'{{"step": {i}}}', f"reason {i}", actor),
            )
        db.execute(
            "select internal.audit('test.other', 'app.bookings', %s, null, null, null, %s, 'customer')",
            (str(booking), other),
        )
        ids = [
            r[0]
            for r in db.execute(
                "select id from audit.action_log where row_id = %s order by id desc",
                (str(booking),),
            )
        ]
    return {"booking": str(booking), "actor": str(actor), "other": str(other), "ids": ids}


def _call(api_url: str, role: str, **args: Any) -> httpx.Response:
    headers = {} if role == "anon" else bearer(mint(role))
    return httpx.post(f"{api_url}/rpc/ops_audit_trail", json=args, headers=headers, timeout=30)


def test_ops_read_a_bookings_trail_newest_first(api_url: str, trail: dict[str, Any]) -> None:
    resp = _call(api_url, "ops", booking_id=trail["booking"])
    assert resp.status_code == 200, resp.text
    rows = resp.json()
    assert [r["id"] for r in rows] == trail["ids"]
    assert rows[-1]["action"] == "test.step0"
    assert rows[-1]["reason"] == "reason 0"
    assert rows[-1]["after"] == {"step": 0}
    assert rows[-1]["actor_role"] == "ops"


def test_ops_filter_the_trail_by_actor(api_url: str, trail: dict[str, Any]) -> None:
    rows = _call(api_url, "ops", actor_id=trail["other"]).json()
    assert [r["action"] for r in rows] == ["test.other"]
    rows = _call(api_url, "ops", booking_id=trail["booking"], actor_id=trail["actor"]).json()
    assert len(rows) == 5


def test_ops_filter_the_trail_by_time_range(api_url: str, trail: dict[str, Any]) -> None:
    now = datetime.now(UTC)
    recent = _call(
        api_url,
        "ops",
        booking_id=trail["booking"],
        **{
            "from": (now - timedelta(minutes=5)).isoformat(),
            "to": (now + timedelta(minutes=5)).isoformat(),
        },
    ).json()
    assert len(recent) == 6
    past = _call(
        api_url,
        "ops",
        booking_id=trail["booking"],
        **{"to": (now - timedelta(days=1)).isoformat()},
    ).json()
    assert past == []


def test_ops_page_through_the_trail_with_before_id(api_url: str, trail: dict[str, Any]) -> None:
    seen: list[int] = []
    before = None
    while True:
        args: dict[str, Any] = {"booking_id": trail["booking"], "limit": 4}
        if before is not None:
            args["before_id"] = before
        page = _call(api_url, "ops", **args).json()
        if not page:
            break
        assert len(page) <= 4
        seen += [r["id"] for r in page]
        before = page[-1]["id"]
    assert seen == trail["ids"]


@pytest.mark.parametrize(
    ("role", "status", "hint"),
    [
        ("customer", 403, "forbidden"),
        ("provider", 403, "forbidden"),
        ("anon", 401, "not_authenticated"),
    ],
)
def test_only_ops_may_read_the_trail(
    api_url: str, trail: dict[str, Any], role: str, status: int, hint: str
) -> None:
    resp = _call(api_url, role, booking_id=trail["booking"])
    assert resp.status_code == status
    assert resp.json()["hint"] == hint


def test_the_role_claim_is_checked_too(api: stack.PostgREST) -> None:
    with psycopg.connect(api.db_url, autocommit=True) as db, db.transaction():
        db.execute("set local role ops")
        db.execute("""select set_config('request.jwt.claims', '{"role": "customer"}', true)""")
        with pytest.raises(psycopg.Error, match="only ops staff may read the audit trail"):
            db.execute("select * from api.ops_audit_trail()")


def test_a_limit_out_of_range_is_a_400_naming_it(api_url: str) -> None:
    resp = _call(api_url, "ops", limit=0)
    assert resp.status_code == 400
    assert resp.json()["hint"] == "invalid_input"
    assert "limit" in resp.json()["message"]
    resp = _call(api_url, "ops", **{"from": "2026-12-02T00:00:00Z", "to": "2026-12-01T00:00:00Z"})
    assert resp.status_code == 400
    assert "to must be after from" in resp.json()["message"]


def test_a_bookings_trail_holds_its_payments_entries_and_no_other_bookings(
    api: stack.PostgREST,
) -> None:
    """booking_id gives the booking's own entries and those of its payment (as the payment's
    definers write them), not another booking's or another payment's."""
    from tests.helpers import booking as bk
    from tests.helpers import catalog

    with psycopg.connect(api.db_url, autocommit=True) as db:
        shop = bk.open_shop(db)
        mine = bk.book(db, shop, catalog.next_weekday(1, at="10:00"))
        theirs = bk.book(db, shop, catalog.next_weekday(1, at="14:00"))
        payments = dict(
            db.execute(
                "select booking_id::text, id::text from app.payments where booking_id = any(%s)",
                ([mine["id"], theirs["id"]],),
            ).fetchall()
        )
        assert len(payments) == 2  # the check can fail: each confirm made its payment
        for b in (mine, theirs):
            db.execute(
                "select internal.audit('payment.intent_created', 'app.payments', %s)",
                (payments[str(b["id"])],),
            )
        expected = db.execute(
            "select id from audit.action_log where (table_name, row_id) in "
            "(('app.bookings', %s), ('app.payments', %s)) order by id desc",
            (str(mine["id"]), payments[str(mine["id"])]),
        ).fetchall()
    rows = _call(api.url, "ops", booking_id=str(mine["id"])).json()
    assert [r["id"] for r in rows] == [e[0] for e in expected]
    assert {r["table_name"] for r in rows} == {"app.bookings", "app.payments"}
    assert {r["row_id"] for r in rows} == {str(mine["id"]), payments[str(mine["id"])]}
