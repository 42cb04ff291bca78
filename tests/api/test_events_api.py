"""The event log over HTTP (GET /events): replay after an id, filtered by row-level
security under the caller's token; anonymous callers get availability only."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
import pytest

from tests.helpers import booking as bk
from tests.helpers import catalog, stack
from tests.helpers.auth import bearer, mint
from tests.helpers.factories import create_user


@pytest.fixture
def admin(api: stack.PostgREST) -> Any:
    with psycopg.connect(api.db_url, autocommit=True) as conn:
        yield conn


def _replay(
    api_url: str, after: int, headers: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    r = httpx.get(
        f"{api_url}/events",
        params={"id": f"gt.{after}", "order": "id"},
        headers=headers or {},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return list(r.json())


def test_a_replay_shows_each_caller_what_it_may_read(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    lat, lng = 46.0 + (uuid.uuid4().int % 1000) / 1000, -74.5 + (uuid.uuid4().int % 1000) / 1000
    shop = bk.open_shop(admin, lat=lat, lng=lng)
    row = admin.execute("select coalesce(max(id), 0) from app.events").fetchone()
    assert row is not None
    mark = int(row[0])
    customer, stranger = create_user(admin, "customer"), create_user(admin, "customer")
    b = bk.book(admin, shop, catalog.next_weekday(4, at="11:00"), customer)
    bk.pay(admin, b)

    mine = [
        e for e in _replay(api.url, mark, bearer(mint("customer", customer))) if e["booking_id"]
    ]
    assert {e["booking_id"] for e in mine} == {b["id"]}
    assert [e["payload"].get("to") for e in mine if e["kind"] == "booking_status_changed"] == [
        "confirmed"
    ]
    theirs = _replay(api.url, mark, bearer(mint("customer", stranger)))
    assert b["id"] not in {e["booking_id"] for e in theirs}
    anonymous = _replay(api.url, mark)
    assert {e["kind"] for e in anonymous} == {"availability_changed"}
    assert str(shop.provider_id) in {e["provider_id"] for e in anonymous}
    assert {(e["booking_id"], e["customer_id"], e["recipient_id"]) for e in anonymous} == {
        (None, None, None)
    }


def test_nobody_writes_the_event_log_over_http(api: stack.PostgREST) -> None:
    for headers in ({}, bearer(mint("customer", uuid.uuid4()))):
        r = httpx.post(
            f"{api.url}/events",
            json={"kind": "availability_changed", "provider_id": str(uuid.uuid4())},
            headers=headers,
            timeout=30,
        )
        assert r.status_code in (401, 403), r.text
