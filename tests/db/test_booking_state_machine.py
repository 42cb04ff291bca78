"""The booking state machine: every transition of the diagram, made by the route that makes
it in production, emits exactly one status event, its notifications and its payment
effects; every other transition is refused; and no status changes by any other path."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import product
from typing import Any

import psycopg
import pytest

from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.db import acting_as, call_as
from tests.helpers.factories import create_user

STATUSES = ["pending_payment", "confirmed", "completed", "no_show", "cancelled", "expired"]


@pytest.fixture
def shop(db: psycopg.Connection[Any]) -> bk.Shop:
    return bk.open_shop(db, buffer_after_minutes=15)


@pytest.fixture
def start() -> Any:
    return catalog.next_weekday(2, at="10:00")


# --- the routes: how each booking reaches a state, and how each transition is made ---------


def _hold(db: psycopg.Connection[Any], shop: bk.Shop, start: Any) -> dict[str, Any]:
    return bk.book(db, shop, start)


def _confirmed(db: psycopg.Connection[Any], shop: bk.Shop, start: Any) -> dict[str, Any]:
    b = bk.book(db, shop, start)
    bk.pay(db, b)
    return b


def _started(db: psycopg.Connection[Any], shop: bk.Shop, start: Any) -> dict[str, Any]:
    b = _confirmed(db, shop, start)
    bk.starts_in(db, b["id"], "-10 minutes")
    return b


def _ended_long_ago(db: psycopg.Connection[Any], shop: bk.Shop, start: Any) -> dict[str, Any]:
    b = _confirmed(db, shop, start)
    bk.starts_in(db, b["id"], "-4 hours")
    return b


def _quoted_free(db: psycopg.Connection[Any], shop: bk.Shop, start: Any) -> dict[str, Any]:
    """Not a booking yet: the quote of a free service, which the act confirms."""
    free = bk.open_shop(db, price_cents=0, deposit_cents=0)
    customer = create_user(db, "customer")
    return {
        "shop": free,
        "customer_id": str(customer),
        "quote_id": bk.quote(db, customer, free, start),
    }


def _pay(db: psycopg.Connection[Any], shop: bk.Shop, b: dict[str, Any]) -> None:
    bk.pay(db, b)


def _confirm_free(db: psycopg.Connection[Any], shop: bk.Shop, b: dict[str, Any]) -> None:
    done = bk.confirm(db, uuid.UUID(b["customer_id"]), b["quote_id"], b["shop"].provider_id)
    assert done["status"] == "confirmed" and done["payment"] is None
    b.update(id=done["id"], shop=b["shop"])


def _expire(db: psycopg.Connection[Any], shop: bk.Shop, b: dict[str, Any]) -> None:
    db.execute(
        "update app.bookings set hold_expires_at = now() - interval '1 second' where id = %s",
        (b["id"],),
    )
    assert db.execute("select internal.sweep()").fetchone()[0]["expired"] == 1  # type: ignore[index]


def _customer_cancels(db: psycopg.Connection[Any], shop: bk.Shop, b: dict[str, Any]) -> None:
    call_as(
        db, "customer", b["customer_id"], "select internal.cancel_booking(%s, %s)", b["id"], "no"
    )


def _provider_cancels(db: psycopg.Connection[Any], shop: bk.Shop, b: dict[str, Any]) -> None:
    call_as(db, "provider", shop.owner_id, "select internal.cancel_booking(%s, %s)", b["id"], "ill")


def _ops_cancel(db: psycopg.Connection[Any], shop: bk.Shop, b: dict[str, Any]) -> None:
    ops = create_user(db, "ops")
    call_as(
        db, "ops", ops, "select internal.ops_force_cancel(%s, %s, %s)", b["id"], "dispute", True
    )


def _payment_fails(db: psycopg.Connection[Any], shop: bk.Shop, b: dict[str, Any]) -> None:
    db.execute(
        "select internal.record_payment_failure(%s, 'card_not_supported')", (b["payment"]["id"],)
    )


def _payment_mismatches(db: psycopg.Connection[Any], shop: bk.Shop, b: dict[str, Any]) -> None:
    intent = f"pi_{uuid.uuid4().hex[:24]}"
    db.execute(
        "select internal.record_payment_intent(%s, %s, 'secret')", (b["payment"]["id"], intent)
    )
    outcome = bk.apply_event(
        db,
        "payment_intent.succeeded",
        {
            "id": intent,
            "amount": 1,
            "amount_received": 1,
            "currency": "cad",
            "metadata": {"booking_id": b["id"]},
        },
    )
    assert outcome == "mismatched payment refunded"


def _mark(outcome: str) -> Callable[[psycopg.Connection[Any], bk.Shop, dict[str, Any]], None]:
    def act(db: psycopg.Connection[Any], shop: bk.Shop, b: dict[str, Any]) -> None:
        call_as(
            db, "provider", shop.owner_id, "select internal.mark_booking(%s, %s)", b["id"], outcome
        )

    return act


def _sweep_completes(db: psycopg.Connection[Any], shop: bk.Shop, b: dict[str, Any]) -> None:
    assert db.execute("select internal.sweep()").fetchone()[0]["completed"] == 1  # type: ignore[index]


@dataclass
class Case:
    name: str
    before: str
    after: str
    arrange: Callable[[psycopg.Connection[Any], bk.Shop, Any], dict[str, Any]]
    act: Callable[[psycopg.Connection[Any], bk.Shop, dict[str, Any]], None]
    # (notification event, recipient party) created by the transition
    notified: set[tuple[str, str]]
    # payment messages queued by the transition
    payments: list[str] = field(default_factory=list)
    cancelled_by: str | None = None


CASES = [
    Case(
        "a payment confirms a hold",
        "pending_payment",
        "confirmed",
        _hold,
        _pay,
        {
            ("booking_confirmed", "customer"),
            ("booking_new", "provider"),
            ("booking_reminder", "customer"),
            # the payment that confirmed it: its receipt (87_receipts.sql)
            ("payment_receipt", "customer"),
        },
    ),
    Case(
        "a free service is confirmed at once",
        "pending_payment",
        "confirmed",
        _quoted_free,
        _confirm_free,
        {
            ("booking_confirmed", "customer"),
            ("booking_new", "provider"),
            ("booking_reminder", "customer"),
        },
    ),
    Case(
        "the sweep expires a lapsed hold",
        "pending_payment",
        "expired",
        _hold,
        _expire,
        {("hold_expired", "customer")},
        ["payment.cancel_intent"],
    ),
    Case(
        "the customer cancels a hold",
        "pending_payment",
        "cancelled",
        _hold,
        _customer_cancels,
        {("booking_cancelled", "customer"), ("booking_cancelled", "provider")},
        ["payment.cancel_intent"],
        "customer",
    ),
    Case(
        "a payment that cannot be set up cancels the hold",
        "pending_payment",
        "cancelled",
        _hold,
        _payment_fails,
        {("booking_cancelled", "customer"), ("booking_cancelled", "provider")},
        [],
        "system",
    ),
    Case(
        "a payment that does not match cancels the hold",
        "pending_payment",
        "cancelled",
        _hold,
        _payment_mismatches,
        {("booking_cancelled", "customer"), ("booking_cancelled", "provider")},
        ["payment.refund"],
        "system",
    ),
    Case(
        "the provider cancels a confirmed booking",
        "confirmed",
        "cancelled",
        _confirmed,
        _provider_cancels,
        {("booking_cancelled", "customer"), ("booking_cancelled", "provider")},
        ["payment.refund"],
        "provider",
    ),
    Case(
        "ops force-cancel a confirmed booking",
        "confirmed",
        "cancelled",
        _confirmed,
        _ops_cancel,
        {("booking_cancelled", "customer"), ("booking_cancelled", "provider")},
        ["payment.refund"],
        "ops",
    ),
    Case(
        "the provider marks it completed",
        "confirmed",
        "completed",
        _started,
        _mark("completed"),
        set(),
    ),
    Case("the provider marks a no-show", "confirmed", "no_show", _started, _mark("no_show"), set()),
    Case(
        "the sweep completes an ended booking",
        "confirmed",
        "completed",
        _ended_long_ago,
        _sweep_completes,
        set(),
    ),
]


def test_the_cases_cover_every_transition_of_the_diagram(db: psycopg.Connection[Any]) -> None:
    allowed = {
        (a, b)
        for a, b in product(STATUSES, STATUSES)
        if db.execute("select internal.booking_transition_allowed(%s, %s)", (a, b)).fetchone()
        == (True,)
    }
    assert {(c.before, c.after) for c in CASES} == allowed


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_transition_emits_exactly_one_event_and_its_notifications(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any, case: Case
) -> None:
    b = case.arrange(db, shop, start)
    if "id" in b:
        assert bk.status(db, b["id"]) == case.before
    mark = bk.last_event(db)
    queued = db.execute("select coalesce(max(msg_id), 0) from pgmq.q_payments").fetchone()
    assert queued is not None

    case.act(db, shop, b)

    booking_shop: bk.Shop = b.get("shop", shop)
    assert bk.status(db, b["id"]) == case.after
    changes = db.execute(
        "select payload from app.events where id > %s and kind = 'booking_status_changed' and booking_id = %s",
        (mark, b["id"]),
    ).fetchall()
    assert len(changes) == 1, "exactly one status event"
    assert (changes[0][0]["from"], changes[0][0]["to"]) == (case.before, case.after)
    assert changes[0][0].get("cancelled_by") == case.cancelled_by

    parties = {uuid.UUID(str(b["customer_id"])): "customer", booking_shop.owner_id: "provider"}
    rows = db.execute(
        "select n.event, n.recipient_id, n.data->>'cancelled_by' from app.notifications as n "
        "join app.events as e on e.kind = 'notification_created' and (e.payload->>'notification_id')::uuid = n.id "
        "where e.id > %s and e.recipient_id = n.recipient_id",
        (mark,),
    ).fetchall()
    assert {(r[0], parties[r[1]]) for r in rows} == case.notified
    assert len(rows) == len(case.notified), (
        "one email each (SMS is off by default), each with its event"
    )
    if case.cancelled_by:
        assert {r[2] for r in rows} == {case.cancelled_by}
    # the time a free booking takes, or an ending one frees (unless it is all past)
    moved = db.execute(
        "select e.during = b.blocked from app.events as e, app.bookings as b "
        "where e.id > %s and e.kind = 'availability_changed' and b.id = %s",
        (mark, b["id"]),
    ).fetchall()
    quiet = {"a payment confirms a hold", "the sweep completes an ended booking"}
    assert moved == ([] if case.name in quiet else [(True,)])
    messages = db.execute(
        "select message->>'type' from pgmq.q_payments where msg_id > %s order by msg_id",
        (queued[0],),
    ).fetchall()
    assert [m[0] for m in messages] == case.payments


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (a, b)
        for a, b in product(STATUSES, STATUSES)
        if (a, b)
        not in {
            ("pending_payment", "confirmed"),
            ("pending_payment", "expired"),
            ("pending_payment", "cancelled"),
            ("confirmed", "completed"),
            ("confirmed", "no_show"),
            ("confirmed", "cancelled"),
        }
    ],
)
def test_every_other_transition_is_refused_and_emits_nothing(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any, before: str, after: str
) -> None:
    booking = catalog.add_booking(db, shop.service_id, start, status=before)
    mark = bk.last_event(db)
    with pytest.raises(psycopg.Error) as err:
        db.execute("select internal.transition_booking(%s, %s, 'ops')", (booking, after))
    assert (err.value.sqlstate, err.value.diag.message_hint) == ("PT409", "invalid_transition")
    assert bk.status(db, booking) == before
    assert bk.last_event(db) == mark


# --- no other path -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("pending_payment", "confirmed"),
        ("pending_payment", "expired"),
        ("pending_payment", "cancelled"),
        ("confirmed", "completed"),
        ("confirmed", "no_show"),
        ("confirmed", "cancelled"),
    ],
)
def test_a_legal_status_change_made_directly_is_refused_even_for_the_owner(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any, before: str, after: str
) -> None:
    booking = catalog.add_booking(db, shop.service_id, start, status=before)
    mark = bk.last_event(db)
    # the superuser (owner) connection, then a definer-like block without the function
    for stmt in (
        "update app.bookings set status = %(after)s where id = %(id)s",
        "do $$ begin update app.bookings set status = '{after}' where id = '{id}'; end $$",
    ):
        with pytest.raises(psycopg.Error) as err:
            if stmt.startswith("do"):
                db.execute(stmt.format(after=after, id=booking))
            else:
                db.execute(stmt, {"after": after, "id": booking})
        assert (err.value.sqlstate, err.value.diag.message_hint) == ("PT409", "invalid_transition")
        assert "only through internal.transition_booking" in err.value.diag.message_primary
    assert bk.status(db, booking) == before
    assert bk.last_event(db) == mark


def test_the_api_roles_cannot_update_a_bookings_status_at_all(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    b = bk.book(db, shop, start)
    for role, sub in (
        ("customer", b["customer_id"]),
        ("provider", shop.owner_id),
        ("ops", create_user(db, "ops")),
        ("anon", None),
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege), acting_as(db, role, sub):
            db.execute("update app.bookings set status = 'cancelled'")
    with pytest.raises(psycopg.errors.InsufficientPrivilege), db.transaction(force_rollback=True):
        db.execute("set local role bookiji_worker")
        db.execute("update app.bookings set status = 'cancelled'")


def test_the_transition_flag_opens_one_update_of_one_booking_only(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    first = catalog.add_booking(db, shop.service_id, start)
    second = catalog.add_booking(db, shop.service_id, start.replace(hour=13))
    with db.transaction(force_rollback=True):
        db.execute("select internal.transition_booking(%s, 'completed', 'system')", (first,))
        # the flag is cleared once the function has written its row...
        with pytest.raises(psycopg.Error) as err:
            db.execute("update app.bookings set status = 'no_show' where id = %s", (second,))
        assert err.value.diag.message_hint == "invalid_transition"
    with db.transaction(force_rollback=True):
        # ...and naming one booking never lets another one change
        db.execute("select set_config('bookiji.booking_transition', %s, true)", (str(first),))
        with pytest.raises(psycopg.Error) as err:
            db.execute("update app.bookings set status = 'no_show' where id = %s", (second,))
        assert err.value.diag.message_hint == "invalid_transition"


def test_only_the_state_machine_sets_the_transition_flag(db: psycopg.Connection[Any]) -> None:
    rows = db.execute(
        """
        select p.oid::regprocedure::text from pg_proc as p
        where p.pronamespace::regnamespace::text in ('app', 'api', 'auth', 'audit', 'internal')
          and p.prosrc like '%bookiji.booking_transition%'
        order by 1
        """
    ).fetchall()
    assert [r[0] for r in rows] == [
        "internal.bookings_check_update()",
        "internal.transition_booking(uuid,text,text,text,jsonb)",
    ]
    setters = db.execute(
        """
        select p.oid::regprocedure::text from pg_proc as p
        where p.pronamespace::regnamespace::text in ('app', 'api', 'auth', 'audit', 'internal')
          and p.prosrc ~ 'set_config\\(\\s*''bookiji\\.booking_transition'''
        """
    ).fetchall()
    assert [r[0] for r in setters] == ["internal.transition_booking(uuid,text,text,text,jsonb)"]


def test_a_transition_writes_its_audit_row_with_the_cancel_reason(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    b = bk.book(db, shop, start)
    _payment_fails(db, shop, b)
    row = db.execute(
        "select a.actor_role, a.reason, b.cancelled_by_role from audit.action_log as a "
        "join app.bookings as b on b.id::text = a.row_id "
        "where a.action = 'booking.cancelled' and a.row_id = %s",
        (b["id"],),
    ).fetchone()
    assert row == ("worker", "the payment could not be set up: card_not_supported", "system")
