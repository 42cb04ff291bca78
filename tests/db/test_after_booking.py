"""After booking: cancelling under the booking's own policy, rescheduling, ops refunds and
force-cancels, completion, and the money balance; who may do each, and the audit trail."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.db import call_as
from tests.helpers.factories import create_user


@pytest.fixture
def shop(db: psycopg.Connection[Any]) -> bk.Shop:
    # deposit 1000 is what is charged; a late cancellation keeps 300 of it
    return bk.open_shop(db, cancel_notice_hours=24, cancel_fee_cents=300, buffer_after_minutes=15)


@pytest.fixture
def start() -> Any:
    return catalog.next_weekday(2, at="10:00")


@pytest.fixture
def paid(db: psycopg.Connection[Any], shop: bk.Shop, start: Any) -> dict[str, Any]:
    """A confirmed booking whose deposit of 1000 cents was captured."""
    b = bk.book(db, shop, start)
    bk.pay(db, b)
    return b


def _refused(
    db: psycopg.Connection[Any], role: str, sub: Any, sql: str, *params: Any
) -> tuple[str | None, str | None]:
    with pytest.raises(psycopg.Error) as err:
        call_as(db, role, sub, sql, *params)
    return err.value.sqlstate, err.value.diag.message_hint


def _refunds(db: psycopg.Connection[Any], booking_id: Any) -> list[int]:
    rows = db.execute(
        "select amount_cents from app.refunds where booking_id = %s order by created_at",
        (booking_id,),
    )
    return [r[0] for r in rows]


CANCEL = "select internal.cancel_booking(%s, %s)"
PREVIEW = "select internal.cancellation_preview(%s)"
RESCHEDULE = "select internal.reschedule_booking(%s, %s)"
OPS_REFUND = "select internal.ops_refund(%s, %s, %s)"
FORCE_CANCEL = "select internal.ops_force_cancel(%s, %s, %s)"
MARK = "select internal.mark_booking(%s, %s)"
BALANCE = "select internal.booking_balance(%s)"


# --- cancellation policy --------------------------------------------------------------------


def test_a_customer_cancelling_just_before_the_notice_limit_gets_everything_back(
    db: psycopg.Connection[Any], paid: dict[str, Any]
) -> None:
    bk.starts_in(db, paid["id"], "24 hours 1 minute")
    customer = paid["customer_id"]
    preview = call_as(db, "customer", customer, PREVIEW, paid["id"])
    assert (preview["refund_cents"], preview["fee_cents"]) == (1000, 0)
    assert preview["refund_after_change_cents"] == 700, "the preview says what waiting would cost"
    assert preview["changes_at"] is not None
    done = call_as(db, "customer", customer, CANCEL, paid["id"], "plans changed")
    assert (done["status"], done["refund_cents"], done["fee_cents"]) == ("cancelled", 1000, 0)
    assert _refunds(db, paid["id"]) == [1000]
    assert [m["booking_id"] for m in bk.payment_messages(db, "payment.refund")] == [paid["id"]]
    row = db.execute(
        "select cancelled_by, cancelled_by_role, cancel_reason, cancelled_at is not null "
        "from app.bookings where id = %s",
        (paid["id"],),
    ).fetchone()
    assert row == (uuid.UUID(customer), "customer", "plans changed", True)


def test_a_customer_cancelling_just_after_the_notice_limit_pays_the_fee(
    db: psycopg.Connection[Any], paid: dict[str, Any]
) -> None:
    bk.starts_in(db, paid["id"], "23 hours 59 minutes")
    customer = paid["customer_id"]
    preview = call_as(db, "customer", customer, PREVIEW, paid["id"])
    assert (preview["refund_cents"], preview["fee_cents"], preview["changes_at"]) == (
        700,
        300,
        None,
    )
    done = call_as(db, "customer", customer, CANCEL, paid["id"], "plans changed")
    assert (done["refund_cents"], done["fee_cents"]) == (
        preview["refund_cents"],
        preview["fee_cents"],
    )
    assert _refunds(db, paid["id"]) == [700]
    balance = call_as(db, "customer", customer, BALANCE, paid["id"])
    assert (balance["charged_cents"], balance["refunded_cents"], balance["fee_cents"]) == (
        1000,
        700,
        300,
    )
    assert balance["net_cents"] == 300


def test_a_fee_above_the_charge_refunds_nothing_and_keeps_only_the_charge(
    db: psycopg.Connection[Any], start: Any
) -> None:
    shop = bk.open_shop(db, cancel_notice_hours=24, cancel_fee_cents=1500)  # deposit 1000
    b = bk.book(db, shop, start)
    bk.pay(db, b)
    bk.starts_in(db, b["id"], "1 hour")
    done = call_as(db, "customer", b["customer_id"], CANCEL, b["id"], "sick")
    assert (done["refund_cents"], done["fee_cents"]) == (0, 1000)
    assert _refunds(db, b["id"]) == []


def test_changing_the_services_policy_after_booking_does_not_change_the_bookings_terms(
    db: psycopg.Connection[Any], shop: bk.Shop, paid: dict[str, Any]
) -> None:
    bk.starts_in(db, paid["id"], "30 hours")
    db.execute(
        "update app.services set cancel_notice_hours = 72, cancel_fee_cents = 1000 where id = %s",
        (shop.service_id,),
    )
    preview = call_as(db, "customer", paid["customer_id"], PREVIEW, paid["id"])
    assert (preview["cancel_notice_hours"], preview["cancel_fee_cents"]) == (24, 300)
    assert (preview["refund_cents"], preview["refund_after_change_cents"]) == (1000, 700)


def test_a_provider_cancelling_late_refunds_in_full_and_both_parties_hear_of_it(
    db: psycopg.Connection[Any], shop: bk.Shop, paid: dict[str, Any]
) -> None:
    bk.starts_in(db, paid["id"], "2 hours")
    done = call_as(db, "provider", shop.owner_id, CANCEL, paid["id"], "the barber is ill")
    assert (done["refund_cents"], done["cancelled_by"]) == (1000, "provider")
    rows = db.execute(
        "select recipient_id, data->>'refund_cents', data->>'cancelled_by', data->>'ics_sequence' "
        "from app.notifications where event = 'booking_cancelled' and channel = 'email'",
    ).fetchall()
    assert {r[0] for r in rows} == {uuid.UUID(paid["customer_id"]), shop.owner_id}
    assert {r[1:] for r in rows} == {("1000", "provider", "1")}


def test_cancelling_an_unpaid_booking_cancels_its_payment_intent_and_refunds_nothing(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    b = bk.book(db, shop, start)
    done = call_as(db, "customer", b["customer_id"], CANCEL, b["id"], "found another slot")
    assert (done["status"], done["refund_cents"]) == ("cancelled", 0)
    assert [m["payment_id"] for m in bk.payment_messages(db, "payment.cancel_intent")] == [
        b["payment"]["id"]
    ]
    assert _refunds(db, b["id"]) == []
    # the slot is free again
    other = create_user(db, "customer")
    assert bk.book(db, shop, start, other)["status"] == "pending_payment"


def test_a_missing_or_empty_reason_is_a_400(
    db: psycopg.Connection[Any], paid: dict[str, Any]
) -> None:
    for reason in (None, "", "   "):
        assert _refused(db, "customer", paid["customer_id"], CANCEL, paid["id"], reason) == (
            "PT400",
            "invalid_input",
        )
    assert bk.status(db, paid["id"]) == "confirmed"


# --- who may do what ---------------------------------------------------------------------------


def test_only_the_bookings_customer_or_provider_may_cancel_reschedule_or_see_it(
    db: psycopg.Connection[Any], paid: dict[str, Any], start: Any
) -> None:
    stranger = create_user(db, "customer")
    other_shop = bk.open_shop(db)
    later = start + timedelta(hours=4)
    for role, sub in (("customer", stranger), ("provider", other_shop.owner_id)):
        assert _refused(db, role, sub, CANCEL, paid["id"], "x") == ("PT404", "not_found")
        assert _refused(db, role, sub, RESCHEDULE, paid["id"], later) == ("PT404", "not_found")
        assert _refused(db, role, sub, PREVIEW, paid["id"]) == ("PT404", "not_found")
        assert _refused(db, role, sub, BALANCE, paid["id"]) == ("PT404", "not_found")
    ops = create_user(db, "ops")
    assert _refused(db, "ops", ops, CANCEL, paid["id"], "x") == ("PT403", "forbidden")
    assert call_as(db, "ops", ops, BALANCE, paid["id"])["charged_cents"] == 1000
    assert bk.status(db, paid["id"]) == "confirmed"


def test_only_ops_may_refund_or_force_cancel(
    db: psycopg.Connection[Any], shop: bk.Shop, paid: dict[str, Any]
) -> None:
    for role, sub in (("customer", paid["customer_id"]), ("provider", shop.owner_id)):
        assert _refused(db, role, sub, OPS_REFUND, paid["id"], 100, "goodwill") == (
            "PT403",
            "forbidden",
        )
        assert _refused(db, role, sub, FORCE_CANCEL, paid["id"], "fraud", True) == (
            "PT403",
            "forbidden",
        )
    ops = create_user(db, "ops")
    assert _refused(db, "ops", ops, OPS_REFUND, paid["id"], 100, " ") == ("PT400", "invalid_input")
    assert _refused(db, "ops", ops, FORCE_CANCEL, paid["id"], None, True) == (
        "PT400",
        "invalid_input",
    )
    assert _refused(db, "ops", ops, OPS_REFUND, str(uuid.uuid4()), 100, "x") == (
        "PT404",
        "not_found",
    )
    assert _refunds(db, paid["id"]) == []


# --- illegal transitions ------------------------------------------------------------------------


def test_ended_bookings_refuse_every_change_by_any_route(
    db: psycopg.Connection[Any], shop: bk.Shop, paid: dict[str, Any], start: Any
) -> None:
    customer = paid["customer_id"]
    call_as(db, "customer", customer, CANCEL, paid["id"], "plans changed")
    ops = create_user(db, "ops")
    refusals = [
        _refused(db, "customer", customer, CANCEL, paid["id"], "again"),
        _refused(db, "customer", customer, RESCHEDULE, paid["id"], start + timedelta(hours=4)),
        _refused(db, "provider", shop.owner_id, MARK, paid["id"], "completed"),
        _refused(db, "ops", ops, FORCE_CANCEL, paid["id"], "again", True),
    ]
    assert set(refusals) == {("PT409", "invalid_transition")}
    # the owner-level route, as the worker's entry points would write it
    with pytest.raises(psycopg.Error) as err:
        db.execute("update app.bookings set status = 'confirmed' where id = %s", (paid["id"],))
    assert err.value.diag.message_hint == "invalid_transition"
    # a failure reported by the worker leaves the cancelled booking as it is
    db.execute("select internal.record_payment_failure(%s, 'card lost')", (paid["payment"]["id"],))
    assert bk.status(db, paid["id"]) == "cancelled"

    done = catalog.add_booking(db, shop.service_id, start + timedelta(days=1), status="completed")
    owner_refusals = [
        _refused(db, "provider", shop.owner_id, CANCEL, done, "late"),
        _refused(db, "provider", shop.owner_id, MARK, done, "no_show"),
        _refused(
            db, "provider", shop.owner_id, RESCHEDULE, done, start + timedelta(days=1, hours=3)
        ),
    ]
    assert set(owner_refusals) == {("PT409", "invalid_transition")}


# --- after the start: no cancellation, no move (docs/security.md) -------------------------------


@pytest.fixture
def free_to_cancel(db: psycopg.Connection[Any], start: Any) -> tuple[bk.Shop, dict[str, Any]]:
    """The attacker's terms: no notice, no fee, so a cancellation refunds everything."""
    lenient = bk.open_shop(db, cancel_notice_hours=0, cancel_fee_cents=0)
    b = bk.book(db, lenient, start + timedelta(days=1))
    bk.pay(db, b)
    return lenient, b


@pytest.mark.parametrize("offset", ["-1 minute", "-2 hours"], ids=["started", "ended"])
def test_a_customer_cannot_cancel_a_started_or_ended_booking_and_the_preview_says_so(
    db: psycopg.Connection[Any], free_to_cancel: tuple[bk.Shop, dict[str, Any]], offset: str
) -> None:
    _, b = free_to_cancel
    bk.starts_in(db, b["id"], offset)
    customer = b["customer_id"]
    preview = call_as(db, "customer", customer, PREVIEW, b["id"])
    assert (preview["can_cancel"], preview["refusal"]) == (False, "booking_started")
    assert (preview["refund_cents"], preview["fee_cents"]) == (0, 0)
    assert _refused(db, "customer", customer, CANCEL, b["id"], "changed my mind") == (
        "PT409",
        "booking_started",
    )
    assert bk.status(db, b["id"]) == "confirmed"
    assert _refunds(db, b["id"]) == []
    assert bk.payment_messages(db, "payment.refund") == []


def test_a_customer_may_still_cancel_a_minute_before_the_start(
    db: psycopg.Connection[Any], free_to_cancel: tuple[bk.Shop, dict[str, Any]]
) -> None:
    _, b = free_to_cancel
    bk.starts_in(db, b["id"], "1 minute")
    preview = call_as(db, "customer", b["customer_id"], PREVIEW, b["id"])
    assert (preview["can_cancel"], preview["refusal"], preview["refund_cents"]) == (
        True,
        None,
        1000,
    )
    done = call_as(db, "customer", b["customer_id"], CANCEL, b["id"], "running late")
    assert (done["status"], done["refund_cents"]) == ("cancelled", 1000)


def test_after_the_start_the_provider_cannot_cancel_or_move_but_marks_it_and_ops_can_cancel(
    db: psycopg.Connection[Any], free_to_cancel: tuple[bk.Shop, dict[str, Any]], start: Any
) -> None:
    lenient, b = free_to_cancel
    bk.starts_in(db, b["id"], "-10 minutes")
    owner, customer = lenient.owner_id, b["customer_id"]
    later = start + timedelta(days=2)
    assert call_as(db, "provider", owner, PREVIEW, b["id"])["refusal"] == "booking_started"
    refusals = [
        _refused(db, "provider", owner, CANCEL, b["id"], "customer did not come"),
        _refused(db, "provider", owner, RESCHEDULE, b["id"], later),
        _refused(db, "customer", customer, RESCHEDULE, b["id"], later),
    ]
    assert set(refusals) == {("PT409", "booking_started")}
    assert bk.status(db, b["id"]) == "confirmed"
    # ops still can (a dispute settled by a person), and the preview says so to ops
    ops = create_user(db, "ops")
    ops_preview = call_as(db, "ops", ops, PREVIEW, b["id"])
    assert (ops_preview["can_cancel"], ops_preview["refund_cents"]) == (True, 1000)
    done = call_as(db, "ops", ops, FORCE_CANCEL, b["id"], "service not delivered", True)
    assert (done["status"], done["refund_cents"]) == ("cancelled", 1000)


def test_the_provider_marks_a_no_show_after_the_start_and_nothing_is_refunded(
    db: psycopg.Connection[Any], free_to_cancel: tuple[bk.Shop, dict[str, Any]]
) -> None:
    lenient, b = free_to_cancel
    bk.starts_in(db, b["id"], "-10 minutes")
    assert (
        call_as(db, "provider", lenient.owner_id, MARK, b["id"], "no_show")["status"] == "no_show"
    )
    assert _refunds(db, b["id"]) == []


# --- reschedule -----------------------------------------------------------------------------------


def test_rescheduling_to_a_free_slot_moves_the_booking_and_keeps_its_payment(
    db: psycopg.Connection[Any], shop: bk.Shop, paid: dict[str, Any], start: Any
) -> None:
    new_start = start + timedelta(hours=4)
    moved = call_as(db, "customer", paid["customer_id"], RESCHEDULE, paid["id"], new_start)
    assert moved["id"] == paid["id"] and moved["status"] == "confirmed"
    assert moved["payment"]["id"] == paid["payment"]["id"], "the same payment"
    assert len(bk.payment_messages(db, "payment.create_intent")) == 1, "no second charge"
    row = db.execute(
        "select lower(during), upper(during) - lower(during), upper(blocked) - upper(during) "
        "from app.bookings where id = %s",
        (paid["id"],),
    ).fetchone()
    assert row == (new_start, timedelta(hours=1), timedelta(minutes=15))
    # the old slot is free for someone else, the new one is not
    assert bk.book(db, shop, start)["status"] == "pending_payment"
    reminders = db.execute(
        "select event_key from app.notifications where event = 'booking_reminder' and event_key like %s",
        (f"%{paid['id']}%",),
    ).fetchall()
    assert len({r[0] for r in reminders}) == 2, "a new reminder for the new start"
    moved_audit = db.execute(
        "select actor_role, before->'during' <> after->'during' from audit.action_log "
        "where action = 'booking.moved' and row_id = %s",
        (paid["id"],),
    ).fetchall()
    assert moved_audit == [("customer", True)]


def test_rescheduling_into_a_taken_slot_is_a_409_and_the_booking_stays(
    db: psycopg.Connection[Any], shop: bk.Shop, paid: dict[str, Any], start: Any
) -> None:
    bk.book(db, shop, start + timedelta(hours=3))
    before = db.execute("select during from app.bookings where id = %s", (paid["id"],)).fetchone()
    # at 11:50 it would end 12:50, and its 15-minute buffer would reach into 13:00
    for target in (start + timedelta(hours=3), start + timedelta(hours=1, minutes=50)):
        assert _refused(db, "customer", paid["customer_id"], RESCHEDULE, paid["id"], target) == (
            "PT409",
            "slot_unavailable",
        )
    after = db.execute("select during from app.bookings where id = %s", (paid["id"],)).fetchone()
    assert before == after


def test_moving_a_booking_by_less_than_its_length_does_not_collide_with_itself(
    db: psycopg.Connection[Any], shop: bk.Shop, paid: dict[str, Any], start: Any
) -> None:
    moved = call_as(
        db, "provider", shop.owner_id, RESCHEDULE, paid["id"], start + timedelta(minutes=30)
    )
    assert moved["starts_at"] is not None
    row = db.execute(
        "select lower(during) from app.bookings where id = %s", (paid["id"],)
    ).fetchone()
    assert row == (start + timedelta(minutes=30),)


def test_a_customer_cannot_reschedule_inside_the_notice_window_but_the_provider_can(
    db: psycopg.Connection[Any], shop: bk.Shop, paid: dict[str, Any], start: Any
) -> None:
    bk.starts_in(db, paid["id"], "23 hours")
    target = start + timedelta(hours=2)
    assert _refused(db, "customer", paid["customer_id"], RESCHEDULE, paid["id"], target) == (
        "PT409",
        "too_late",
    )
    moved = call_as(db, "provider", shop.owner_id, RESCHEDULE, paid["id"], target)
    assert moved["status"] == "confirmed"


def test_concurrent_reschedules_of_two_bookings_into_one_slot_leave_exactly_one_winner(
    db: psycopg.Connection[Any], db_url: str, shop: bk.Shop, start: Any
) -> None:
    a = bk.book(db, shop, start)
    b = bk.book(db, shop, start + timedelta(hours=2))
    target = start + timedelta(hours=5)
    barrier = threading.Barrier(2)

    def move(booking: dict[str, Any]) -> str:
        with psycopg.connect(db_url, autocommit=True) as conn:
            barrier.wait()
            try:
                call_as(conn, "customer", booking["customer_id"], RESCHEDULE, booking["id"], target)
                return "moved"
            except psycopg.Error as exc:
                return str(exc.diag.message_hint)

    for round_ in range(3):
        park = start + timedelta(hours=7 + 2 * round_)
        with ThreadPoolExecutor(2) as pool:
            outcomes = sorted(pool.map(move, (a, b)))
        assert outcomes == ["moved", "slot_unavailable"]
        count = db.execute(
            "select count(*) from app.bookings where provider_id = %s and lower(during) = %s",
            (shop.provider_id, target),
        ).fetchone()
        assert count == (1,)
        # put the winner back for the next round
        db.execute(
            "update app.bookings set during = tstzrange(%s, %s), blocked = tstzrange(%s, %s) "
            "where lower(during) = %s and provider_id = %s",
            (
                park,
                park + timedelta(hours=1),
                park,
                park + timedelta(hours=1, minutes=15),
                target,
                shop.provider_id,
            ),
        )
        a, b = b, a
        barrier.reset()


# --- ops ----------------------------------------------------------------------------------------


def test_partial_ops_refunds_add_up_and_never_exceed_the_charge(
    db: psycopg.Connection[Any], paid: dict[str, Any]
) -> None:
    ops = create_user(db, "ops")
    first = call_as(db, "ops", ops, OPS_REFUND, paid["id"], 400, "late start")
    assert (first["refunded_cents"], first["net_cents"]) == (400, 600)
    second = call_as(db, "ops", ops, OPS_REFUND, paid["id"], 600, "goodwill")
    assert second["refundable_cents"] == 0
    assert _refused(db, "ops", ops, OPS_REFUND, paid["id"], 1, "more") == ("PT409", "conflict")
    assert _refunds(db, paid["id"]) == [400, 600]
    audit = db.execute(
        "select actor_id, actor_role, reason, (before->>'refunded_cents')::int, "
        "(after->>'refunded_cents')::int from audit.action_log "
        "where action = 'booking.ops_refund' and row_id = %s order by id",
        (paid["id"],),
    ).fetchall()
    assert audit == [(ops, "ops", "late start", 0, 400), (ops, "ops", "goodwill", 400, 1000)]


def test_twenty_concurrent_ops_refunds_cannot_over_refund(
    db: psycopg.Connection[Any], db_url: str, paid: dict[str, Any]
) -> None:
    ops = create_user(db, "ops")
    barrier = threading.Barrier(20)

    def ask(_: int) -> str:
        with psycopg.connect(db_url, autocommit=True) as conn:
            barrier.wait()
            try:
                call_as(conn, "ops", ops, OPS_REFUND, paid["id"], 300, "goodwill")
                return "refunded"
            except psycopg.Error as exc:
                return f"{exc.sqlstate} {exc.diag.message_hint}"

    with ThreadPoolExecutor(20) as pool:
        outcomes = list(pool.map(ask, range(20)))
    assert outcomes.count("refunded") == 3
    assert outcomes.count("PT409 conflict") == 17
    assert sum(_refunds(db, paid["id"])) == 900


def test_ops_force_cancel_refunds_everything_left_and_is_audited(
    db: psycopg.Connection[Any], paid: dict[str, Any]
) -> None:
    ops = create_user(db, "ops")
    bk.starts_in(db, paid["id"], "1 hour")  # inside the notice window: ops refund in full anyway
    call_as(db, "ops", ops, OPS_REFUND, paid["id"], 250, "late start")
    done = call_as(db, "ops", ops, FORCE_CANCEL, paid["id"], "provider closed", True)
    assert (done["status"], done["refund_cents"], done["cancelled_by"]) == ("cancelled", 750, "ops")
    assert _refunds(db, paid["id"]) == [250, 750]
    row = db.execute(
        "select actor_id, actor_role, reason, before->>'status', after->>'status' "
        "from audit.action_log where action = 'booking.cancelled' and row_id = %s",
        (paid["id"],),
    ).fetchone()
    assert row == (ops, "ops", "provider closed", "confirmed", "cancelled")


def test_ops_force_cancel_without_refund_keeps_the_money(
    db: psycopg.Connection[Any], paid: dict[str, Any]
) -> None:
    ops = create_user(db, "ops")
    done = call_as(db, "ops", ops, FORCE_CANCEL, paid["id"], "fraud", False)
    assert done["refund_cents"] == 0
    assert _refunds(db, paid["id"]) == []
    balance = call_as(db, "ops", ops, BALANCE, paid["id"])
    assert (balance["charged_cents"], balance["net_cents"]) == (1000, 1000)


# --- completion ------------------------------------------------------------------------------------


def test_the_provider_marks_a_started_booking_completed_or_no_show(
    db: psycopg.Connection[Any], shop: bk.Shop, paid: dict[str, Any], start: Any
) -> None:
    owner = shop.owner_id
    assert _refused(db, "provider", owner, MARK, paid["id"], "completed") == (
        "PT409",
        "invalid_transition",
    ), "not before it starts"
    bk.starts_in(db, paid["id"], "-30 minutes")
    assert _refused(db, "provider", owner, MARK, paid["id"], "done") == ("PT400", "invalid_input")
    assert _refused(db, "customer", paid["customer_id"], MARK, paid["id"], "completed") == (
        "PT403",
        "forbidden",
    )
    assert call_as(db, "provider", owner, MARK, paid["id"], "no_show")["status"] == "no_show"
    assert _refused(db, "provider", owner, MARK, paid["id"], "completed") == (
        "PT409",
        "invalid_transition",
    )


def test_the_sweep_completes_bookings_past_their_end_by_the_margin(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    long_ago = catalog.add_booking(db, shop.service_id, start)
    recent = catalog.add_booking(db, shop.service_id, start + timedelta(hours=2))
    bk.starts_in(db, long_ago, "-4 hours")  # ended 3 hours ago
    bk.starts_in(db, recent, "-90 minutes")  # ended 30 minutes ago
    result = db.execute("select internal.sweep()").fetchone()
    assert result is not None and result[0]["completed"] == 1
    assert (bk.status(db, long_ago), bk.status(db, recent)) == ("completed", "confirmed")
    db.execute(
        "insert into internal.settings (key, value) values ('complete_after_minutes', '20') "
        "on conflict (key) do update set value = excluded.value"
    )
    result = db.execute("select internal.sweep()").fetchone()
    assert result is not None and result[0] == {
        "expired": 0,
        "completed": 1,
        "events_purged": 0,
        "waitlist_expired": 0,
        "waitlist_purged": 0,
        "owed_transfers": 0,
    }
    assert bk.status(db, recent) == "completed"
    actor = db.execute(
        "select actor_role from audit.action_log where action = 'booking.completed' and row_id = %s",
        (str(recent),),
    ).fetchone()
    assert actor == ("sweep",)


# --- the ledger ---------------------------------------------------------------------------------------


def test_a_fee_never_exceeds_the_charge(db: psycopg.Connection[Any], paid: dict[str, Any]) -> None:
    with pytest.raises(psycopg.Error) as err:
        db.execute(
            "insert into app.booking_fees (booking_id, payment_id, amount_cents) "
            "select booking_id, id, 1001 from app.payments where booking_id = %s",
            (paid["id"],),
        )
    assert err.value.diag.message_hint == "conflict"


def test_a_cancellation_racing_the_payment_webhook_ends_cancelled_and_fully_refunded(
    db: psycopg.Connection[Any], db_url: str, shop: bk.Shop, start: Any
) -> None:
    def cancel(b: dict[str, Any], barrier: threading.Barrier) -> str:
        with psycopg.connect(db_url, autocommit=True) as conn:
            barrier.wait()
            return str(call_as(conn, "customer", b["customer_id"], CANCEL, b["id"], "no")["status"])

    def webhook(intent: str, barrier: threading.Barrier) -> str:
        with psycopg.connect(db_url, autocommit=True) as conn:
            barrier.wait()
            return bk.apply_event(
                conn,
                "payment_intent.succeeded",
                {
                    "id": intent,
                    "amount": 1000,
                    "amount_received": 1000,
                    "currency": "cad",
                    "metadata": {},
                },
            )

    for _ in range(5):
        b = bk.book(db, shop, start)
        intent = f"pi_{uuid.uuid4().hex[:24]}"
        db.execute(
            "select internal.record_payment_intent(%s, %s, 's')", (b["payment"]["id"], intent)
        )
        barrier = threading.Barrier(2)
        with ThreadPoolExecutor(2) as pool:
            done = pool.submit(cancel, b, barrier)
            paid = pool.submit(webhook, intent, barrier)
            outcomes = [done.result(), paid.result()]
        assert outcomes[0] == "cancelled"
        assert bk.status(db, b["id"]) == "cancelled"
        assert sum(_refunds(db, b["id"])) == 1000, outcomes
