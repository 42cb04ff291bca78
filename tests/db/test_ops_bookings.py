"""Ops search bookings (api.ops_bookings: customer email, provider, status, start; keyset
pages) and read one booking's full story (api.ops_booking_story) as one JSON document."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.db import acting_as, call_as
from tests.helpers.factories import create_user


@pytest.fixture
def ops(db: psycopg.Connection[Any]) -> uuid.UUID:
    return create_user(db, "ops")


@pytest.fixture
def start() -> Any:
    return catalog.next_weekday(0, at="10:00")


def _search(db: psycopg.Connection[Any], ops: uuid.UUID, **args: Any) -> list[dict[str, Any]]:
    names = ", ".join(f'"{k}" => %({k})s' for k in args)
    with acting_as(db, "ops", ops), db.cursor(row_factory=dict_row) as cur:
        return cur.execute(f"select * from api.ops_bookings({names})", args).fetchall()


def _email(db: psycopg.Connection[Any], user_id: Any) -> str:
    row = db.execute("select email from app.users where id = %s", (user_id,)).fetchone()
    assert row is not None
    return str(row[0])


def _pay_through_the_webhook_store(db: psycopg.Connection[Any], b: dict[str, Any]) -> str:
    """bk.pay, with the Stripe event stored as the webhook stores it."""
    intent = f"pi_{uuid.uuid4().hex[:24]}"
    db.execute(
        "select internal.record_payment_intent(%s, %s, %s)",
        (b["payment"]["id"], intent, intent + "_secret_x"),
    )
    event = bk.stripe_event(
        "payment_intent.succeeded",
        {
            "id": intent,
            "object": "payment_intent",
            "amount": b["payment"]["amount_cents"],
            "amount_received": b["payment"]["amount_cents"],
            "currency": "cad",
            "metadata": {"booking_id": b["id"]},
        },
    )
    db.execute(
        "insert into app.stripe_events (id, type, payload, processed_at, outcome) "
        "values (%s, %s, %s, now(), 'test')",
        (event["id"], event["type"], json.dumps(event)),
    )
    db.execute("select internal.process_stripe_event(%s::jsonb)", (json.dumps(event),))
    return intent


@pytest.fixture
def world(db: psycopg.Connection[Any], start: Any) -> dict[str, Any]:
    """Two shops, two customers: Ann has a paid booking at s1 and a hold at s2; Ben a paid
    booking at s2."""
    s1 = bk.open_shop(db)
    s2 = bk.open_shop(db, lat=catalog.PLATEAU[0] + 0.5)
    ann, ben = create_user(db, "customer"), create_user(db, "customer")
    a1 = bk.book(db, s1, start, ann)
    bk.pay(db, a1)
    a2 = bk.book(db, s2, start + timedelta(days=1), ann)
    b1 = bk.book(db, s2, start, ben)
    bk.pay(db, b1)
    return {"s1": s1, "s2": s2, "ann": ann, "ben": ben, "a1": a1, "a2": a2, "b1": b1}


def test_ops_find_a_customers_bookings_by_email_in_any_case(
    db: psycopg.Connection[Any], ops: uuid.UUID, world: dict[str, Any]
) -> None:
    email = _email(db, world["ann"])
    rows = _search(db, ops, customer_email=f"  {email.upper()} ")
    assert [str(r["id"]) for r in rows] == [world["a2"]["id"], world["a1"]["id"]], "latest first"
    assert {r["customer_email"] for r in rows} == {email}
    paid = rows[1]
    assert (paid["status"], paid["payment_status"], paid["charged_cents"]) == (
        "confirmed",
        "succeeded",
        1000,
    )
    assert paid["stripe_payment_intent_id"].startswith("pi_")
    assert paid["provider_id"] == world["s1"].provider_id
    assert _search(db, ops, customer_email="nobody@example.test") == []


def test_ops_filter_by_provider_status_and_start(
    db: psycopg.Connection[Any], ops: uuid.UUID, world: dict[str, Any], start: Any
) -> None:
    s2 = world["s2"].provider_id
    at_s2 = {str(r["id"]) for r in _search(db, ops, provider_id=s2)}
    assert at_s2 == {world["a2"]["id"], world["b1"]["id"]}
    holds = _search(db, ops, provider_id=s2, status="pending_payment")
    assert [str(r["id"]) for r in holds] == [world["a2"]["id"]]
    day_one = _search(db, ops, **{"from": start, "to": start + timedelta(hours=1)})
    assert {str(r["id"]) for r in day_one} >= {world["a1"]["id"], world["b1"]["id"]}
    assert world["a2"]["id"] not in {str(r["id"]) for r in day_one}
    both = _search(
        db, ops, customer_email=_email(db, world["ben"]), provider_id=world["s1"].provider_id
    )
    assert both == []


def test_before_id_pages_through_every_booking_once(
    db: psycopg.Connection[Any], ops: uuid.UUID, world: dict[str, Any]
) -> None:
    everything = [r["id"] for r in _search(db, ops, limit=500)]
    assert len(everything) == 3
    seen: list[Any] = []
    before = None
    while True:
        page = _search(db, ops, limit=2, **({"before_id": before} if before else {}))
        if not page:
            break
        seen += [r["id"] for r in page]
        before = page[-1]["id"]
    assert seen == everything


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ({"limit": 0}, "limit must be between 1 and 500"),
        ({"status": "done"}, "status must be pending_payment"),
        ({"from": "2030-01-02T00:00:00Z", "to": "2030-01-01T00:00:00Z"}, "to must be after from"),
        ({"customer_email": "x" * 255}, "customer_email must be at most 254 characters"),
    ],
)
def test_bad_search_inputs_are_400_naming_the_field(
    db: psycopg.Connection[Any], ops: uuid.UUID, args: dict[str, Any], named: str
) -> None:
    with pytest.raises(psycopg.Error) as err:
        _search(db, ops, **args)
    assert (err.value.sqlstate, err.value.diag.message_hint) == ("PT400", "invalid_input")
    assert named in str(err.value.diag.message_primary)


def test_an_unknown_cursor_is_a_404(db: psycopg.Connection[Any], ops: uuid.UUID) -> None:
    with pytest.raises(psycopg.Error) as err:
        _search(db, ops, before_id=uuid.uuid4())
    assert (err.value.sqlstate, err.value.diag.message_hint) == ("PT404", "not_found")


def test_only_ops_search_bookings_or_read_a_story(
    db: psycopg.Connection[Any], world: dict[str, Any]
) -> None:
    for role, sub in (
        ("customer", world["ann"]),
        ("provider", world["s1"].owner_id),
        ("anon", None),
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege), acting_as(db, role, sub):
            db.execute("select * from api.ops_bookings()")
        with pytest.raises(psycopg.errors.InsufficientPrivilege), acting_as(db, role, sub):
            db.execute("select api.ops_booking_story(%s)", (world["a1"]["id"],))
    with pytest.raises(psycopg.Error, match="only ops staff"), db.transaction():
        db.execute("set local role ops")
        db.execute("""select set_config('request.jwt.claims', '{"role": "customer"}', true)""")
        db.execute("select api.ops_booking_story(%s)", (world["a1"]["id"],))


# --- the story --------------------------------------------------------------------------------


def test_a_bookings_story_tells_everything_that_happened_to_it(
    db: psycopg.Connection[Any], ops: uuid.UUID, start: Any
) -> None:
    shop = bk.open_shop(db, lat=46.3, lng=-72.5)
    customer = create_user(db, "customer", full_name="Chloé Roy")
    b = bk.book(db, shop, start, customer)
    intent = _pay_through_the_webhook_store(db, b)
    call_as(db, "ops", ops, "select api.ops_refund(%s, 400, 'goodwill')", b["id"])
    call_as(db, "ops", ops, "select api.ops_force_cancel(%s, 'provider sick', true)", b["id"])
    story = call_as(db, "ops", ops, "select api.ops_booking_story(%s)", b["id"])

    assert story["booking"]["id"] == b["id"]
    assert story["booking"]["status"] == "cancelled"
    assert story["booking"]["cancel_reason"] == "provider sick"
    assert story["booking"]["cancelled_by_role"] == "ops"
    assert story["customer"]["full_name"] == "Chloé Roy"
    assert story["customer"]["email"] == _email(db, customer)
    assert story["provider"]["id"] == str(shop.provider_id)
    assert story["provider"]["owner_id"] == str(shop.owner_id)
    assert story["service"]["category"] == "haircut"
    assert [(h["from"], h["to"]) for h in story["status_history"]] == [
        (None, "pending_payment"),
        ("pending_payment", "confirmed"),
        ("confirmed", "cancelled"),
    ]
    assert story["status_history"][-1]["reason"] == "provider sick"
    assert story["status_history"][-1]["actor_role"] == "ops"
    actions = [a["action"] for a in story["audit_trail"]]
    assert "booking.ops_refund" in actions
    assert "payment.intent_created" in actions
    assert story["payment"]["stripe_payment_intent_id"] == intent
    assert story["payment"]["captured_cents"] == 1000
    assert [(r["amount_cents"], r["reason"]) for r in story["refunds"]] == [
        (400, "goodwill"),
        (600, "cancelled by ops: provider sick"),
    ]
    assert story["balance"]["refunded_cents"] == 1000
    assert story["fees"] == []
    assert story["stripe"]["payment_intent_id"] == intent
    assert [e["type"] for e in story["stripe"]["events"]] == ["payment_intent.succeeded"]
    kinds = [e["kind"] for e in story["events"]]
    assert kinds[0] == "booking_created"
    assert "booking_status_changed" in kinds
    sent = {(n["event"], n["recipient"], n["channel"]) for n in story["notifications"]}
    assert ("booking_confirmed", "customer", "email") in sent
    assert ("booking_new", "provider", "email") in sent
    assert ("booking_cancelled", "customer", "email") in sent
    # the client secret lets its holder pay: never part of the story
    assert "_secret_" not in json.dumps(story)
    assert "client_secret" not in json.dumps(story)


def test_a_story_holds_nothing_of_another_booking(
    db: psycopg.Connection[Any], ops: uuid.UUID, world: dict[str, Any]
) -> None:
    story = call_as(db, "ops", ops, "select api.ops_booking_story(%s)", world["a1"]["id"])
    text = json.dumps(story)
    for other in ("a2", "b1"):
        assert world[other]["id"] not in text
        assert world[other]["payment"]["id"] not in text
    assert {n["recipient_id"] for n in story["notifications"]} <= {
        str(world["ann"]),
        str(world["s1"].owner_id),
    }


def test_a_story_refuses_a_missing_or_unknown_booking(
    db: psycopg.Connection[Any], ops: uuid.UUID
) -> None:
    for arg, want in ((None, ("PT400", "invalid_input")), (uuid.uuid4(), ("PT404", "not_found"))):
        with pytest.raises(psycopg.Error) as err:
            call_as(db, "ops", ops, "select api.ops_booking_story(%s)", arg)
        assert (err.value.sqlstate, err.value.diag.message_hint) == want
    with pytest.raises(psycopg.Error, match="booking_id is required"):
        call_as(db, "ops", ops, "select api.ops_booking_story()")
