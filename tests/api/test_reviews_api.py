"""Reviews over HTTP: writing, editing, replying and hiding through PostgREST with real
tokens; the public list without the customer's identity; refusals with their codes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
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


def _shop(admin: psycopg.Connection[Any]) -> bk.Shop:
    # somewhere no other test's provider is
    lat, lng = 44.0 + (uuid.uuid4().int % 1000) / 1000, -76.5 + (uuid.uuid4().int % 1000) / 1000
    return bk.open_shop(admin, lat=lat, lng=lng)


def _booking(
    admin: psycopg.Connection[Any], shop: bk.Shop, customer: Any, days_ago: int = 2
) -> Any:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=days_ago)
    return catalog.add_booking(admin, shop.service_id, start, customer_id=customer)


def _complete(admin: psycopg.Connection[Any], booking_id: Any) -> None:
    admin.execute("select internal.transition_booking(%s, 'completed', 'provider')", (booking_id,))


def _rpc(api_url: str, name: str, role: str, sub: Any, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        f"{api_url}/rpc/{name}", json=body, headers=bearer(mint(role, sub)), timeout=30
    )


def _public(api_url: str, provider: Any) -> list[dict[str, Any]]:
    resp = httpx.get(
        f"{api_url}/reviews",
        params={"provider_id": f"eq.{provider}", "order": "created_at.desc"},
        timeout=30,
    )
    assert resp.status_code == 200, resp.text
    return list(resp.json())


def test_a_review_is_verified_written_once_replied_to_once_and_shown_without_identity(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    shop = _shop(admin)
    customer = create_user(admin, "customer", full_name="Jean-Luc Picard")
    b = _booking(admin, shop, customer)
    body = {"booking_id": str(b), "stars": 5, "body": "Quick and friendly."}

    early = _rpc(api.url, "review_booking", "customer", customer, body)
    assert (early.status_code, early.json()["hint"]) == (409, "booking_not_completed")
    _complete(admin, b)
    stranger = create_user(admin, "customer")
    theirs = _rpc(api.url, "review_booking", "customer", stranger, body)
    assert (theirs.status_code, theirs.json()["hint"]) == (404, "not_found")
    as_provider = _rpc(api.url, "review_booking", "provider", shop.owner_id, body)
    assert as_provider.status_code in (401, 403), as_provider.text

    done = _rpc(api.url, "review_booking", "customer", customer, body)
    assert done.status_code == 200, done.text
    review = done.json()
    again = _rpc(api.url, "review_booking", "customer", customer, {**body, "stars": 1})
    assert (again.status_code, again.json()["hint"]) == (409, "already_reviewed")
    too_long = _rpc(
        api.url,
        "edit_review",
        "customer",
        customer,
        {"review_id": review["id"], "body": "x" * 2001},
    )
    assert (too_long.status_code, too_long.json()["hint"]) == (400, "invalid_input")
    assert "body" in too_long.json()["message"]

    (shown,) = _public(api.url, shop.provider_id)
    assert shown["author_name"] == "Jean-Luc P."
    assert not {"customer_id", "booking_id", "hidden_reason"} & set(shown)
    assert "Picard" not in str(shown)
    rated = httpx.get(
        f"{api.url}/providers", params={"id": f"eq.{shop.provider_id}"}, timeout=30
    ).json()[0]
    assert (rated["rating_count"], rated["rating_avg"]) == (1, 5)

    other = _shop(admin)
    not_mine = _rpc(
        api.url,
        "reply_to_review",
        "provider",
        other.owner_id,
        {"review_id": review["id"], "reply": "?"},
    )
    assert (not_mine.status_code, not_mine.json()["hint"]) == (403, "forbidden")
    reply = {"review_id": review["id"], "reply": "Thank you, Jean-Luc!"}
    replied = _rpc(api.url, "reply_to_review", "provider", shop.owner_id, reply)
    assert replied.status_code == 200, replied.text
    twice = _rpc(api.url, "reply_to_review", "provider", shop.owner_id, reply)
    assert (twice.status_code, twice.json()["hint"]) == (409, "already_replied")
    assert _public(api.url, shop.provider_id)[0]["reply"] == "Thank you, Jean-Luc!"


def test_a_review_can_be_edited_for_14_days_only(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    shop = _shop(admin)
    customer = create_user(admin, "customer")
    b = _booking(admin, shop, customer)
    _complete(admin, b)
    review = _rpc(
        api.url, "review_booking", "customer", customer, {"booking_id": str(b), "stars": 2}
    ).json()
    edit = {"review_id": review["id"], "stars": 4, "body": "Better than I said."}
    edited = _rpc(api.url, "edit_review", "customer", customer, edit)
    assert edited.status_code == 200, edited.text
    assert (edited.json()["stars"], edited.json()["body"]) == (4, "Better than I said.")
    stranger = _rpc(api.url, "edit_review", "customer", create_user(admin, "customer"), edit)
    assert (stranger.status_code, stranger.json()["hint"]) == (404, "not_found")
    # owner-level: written 15 days ago
    admin.execute(
        "update app.reviews set created_at = now() - interval '15 days' where id = %s",
        (review["id"],),
    )
    late = _rpc(api.url, "edit_review", "customer", customer, {**edit, "stars": 5})
    assert (late.status_code, late.json()["hint"]) == (409, "edit_window_closed")


def test_ops_hide_a_review_with_a_reason_and_the_request_id_is_audited(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    shop = _shop(admin)
    customer = create_user(admin, "customer")
    b = _booking(admin, shop, customer)
    _complete(admin, b)
    review = _rpc(
        api.url,
        "review_booking",
        "customer",
        customer,
        {"booking_id": str(b), "stars": 1, "body": "abuse"},
    ).json()
    ops = create_user(admin, "ops")
    body = {"review_id": review["id"], "reason": "insults the staff"}
    refused = _rpc(api.url, "hide_review", "customer", customer, body)
    assert refused.status_code in (401, 403), refused.text
    no_reason = _rpc(api.url, "hide_review", "ops", ops, {"review_id": review["id"]})
    assert (no_reason.status_code, no_reason.json()["hint"]) == (400, "invalid_input")
    assert "reason" in no_reason.json()["message"]

    hidden = _rpc(api.url, "hide_review", "ops", ops, body)
    assert hidden.status_code == 200, hidden.text
    assert _public(api.url, shop.provider_id) == []
    row = admin.execute(
        "select actor_id, actor_role, reason, request_id from audit.action_log "
        "where action = 'review.hidden' and row_id = %s",
        (review["id"],),
    ).fetchone()
    assert row == (ops, "ops", "insults the staff", hidden.headers["X-Request-Id"])
    mine = httpx.get(
        f"{api.url}/my_reviews", headers=bearer(mint("customer", customer)), timeout=30
    ).json()
    assert [(r["id"], r["hidden"], r["hidden_reason"]) for r in mine] == [
        (review["id"], True, "insults the staff")
    ]
    rated = httpx.get(
        f"{api.url}/providers", params={"id": f"eq.{shop.provider_id}"}, timeout=30
    ).json()[0]
    assert (rated["rating_count"], rated["rating_avg"]) == (0, None)


def test_the_eleventh_review_in_a_day_is_refused_with_429(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    shop = _shop(admin)
    customer = create_user(admin, "customer")
    bookings = [_booking(admin, shop, customer, days_ago=2 + i) for i in range(11)]
    for b in bookings:
        _complete(admin, b)
    for b in bookings[:10]:
        ok = _rpc(
            api.url, "review_booking", "customer", customer, {"booking_id": str(b), "stars": 4}
        )
        assert ok.status_code == 200, ok.text
    over = _rpc(
        api.url,
        "review_booking",
        "customer",
        customer,
        {"booking_id": str(bookings[10]), "stars": 4},
    )
    assert (over.status_code, over.json()["hint"]) == (429, "too_many_reviews")


def test_the_public_provider_view_shows_the_reliability_facts(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    shop = _shop(admin)
    for i in range(3):
        _complete(admin, _booking(admin, shop, create_user(admin, "customer"), days_ago=2 + i))
    cancelled = catalog.add_booking(admin, shop.service_id, catalog.next_weekday(3, at="10:00"))
    admin.execute(
        "select internal.transition_booking(%s, 'cancelled', 'provider', 'sick')", (cancelled,)
    )
    seen = httpx.get(
        f"{api.url}/providers",
        params={
            "id": f"eq.{shop.provider_id}",
            "select": "ended_bookings,provider_cancellations,no_shows,provider_cancellation_rate,no_show_rate",
        },
        timeout=30,
    ).json()[0]
    assert seen == {
        "ended_bookings": 4,
        "provider_cancellations": 1,
        "no_shows": 0,
        "provider_cancellation_rate": round(1.4 / 24, 4),
        "no_show_rate": round(0.4 / 24, 4),
    }
