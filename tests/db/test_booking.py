"""Confirming a quote into a hold, paying it, and the rules the database keeps:
no double booking, holds that expire, a state machine, events that never go backwards."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.db import acting_as
from tests.helpers.factories import create_user


@pytest.fixture
def shop(db: psycopg.Connection[Any]) -> bk.Shop:
    return bk.open_shop(db, buffer_after_minutes=15)


@pytest.fixture
def start() -> Any:
    return catalog.next_weekday(2, at="10:00")


def _sqlstate(exc: pytest.ExceptionInfo[psycopg.Error]) -> tuple[str | None, str | None]:
    return exc.value.sqlstate, exc.value.diag.message_hint


# --- confirm -----------------------------------------------------------------------------


def test_confirming_holds_the_slot_and_asks_the_worker_for_a_payment_intent(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    customer = create_user(db, "customer")
    b = bk.confirm(db, customer, bk.quote(db, customer, shop, start), shop.provider_id)
    assert b["status"] == "pending_payment"
    assert b["hold_expires_at"] is not None
    assert b["payment"]["status"] == "pending"
    assert b["payment"]["amount_cents"] == 1000, "the deposit is charged"
    assert [m["booking_id"] for m in bk.payment_messages(db, "payment.create_intent")] == [b["id"]]
    actor = db.execute(
        "select actor_id, actor_role from audit.action_log where action = 'booking.created' and row_id = %s",
        (b["id"],),
    ).fetchone()
    assert actor == (customer, "customer")


def _made_at_ms(value: Any) -> int:
    """The Unix time in milliseconds a version-7 id carries in its first 48 bits."""
    return uuid.UUID(str(value)).int >> 80


def test_ids_are_version_7_and_one_made_later_sorts_after(db: psycopg.Connection[Any]) -> None:
    ids = [r[0] for r in db.execute("select internal.uuid_v7() from generate_series(1, 2000)")]
    assert len(set(ids)) == 2000
    assert {uuid.UUID(str(i)).version for i in ids} == {7}
    assert {uuid.UUID(str(i)).variant for i in ids} == {uuid.RFC_4122}
    db.execute("select pg_sleep(0.003)")
    (later,) = db.execute("select internal.uuid_v7()").fetchone() or (None,)
    assert later is not None and all(later > i for i in ids), "an id made 3 ms later sorts after"


def test_a_quote_its_booking_and_the_payment_get_time_ordered_ids(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    customer = create_user(db, "customer")
    made = []
    for day in (0, 1):
        q = bk.quote(db, customer, shop, start + timedelta(days=7 * day))
        made.append(bk.confirm(db, customer, q, shop.provider_id))
        db.execute("select pg_sleep(0.003)")
    rows = db.execute(
        """
        select q.id, b.id, p.id, (extract(epoch from b.created_at) * 1000)::bigint
        from app.bookings as b join app.quotes as q on q.id = b.quote_id
        join app.payments as p on p.booking_id = b.id
        where b.id = any(%s) order by b.created_at
        """,
        ([m["id"] for m in made],),
    ).fetchall()
    assert len(rows) == 2
    for quote_id, booking_id, payment_id, created_ms in rows:
        for value in (quote_id, booking_id, payment_id):
            assert uuid.UUID(str(value)).version == 7, value
            # made in the confirm's (or the quote's) transaction, which began at created_at
            assert 0 <= _made_at_ms(value) - created_ms + 1000 < 60_000
    assert rows[0][1] < rows[1][1] and rows[0][2] < rows[1][2] and rows[0][0] < rows[1][0]


def test_the_quoted_price_and_policy_are_honoured_after_the_service_changes(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    customer = create_user(db, "customer")
    q = bk.quote(db, customer, shop, start)
    db.execute(
        "update app.services set price_cents = 9900, deposit_cents = 2000, cancel_fee_cents = 500 where id = %s",
        (shop.service_id,),
    )
    b = bk.confirm(db, customer, q, shop.provider_id)
    assert (b["price_cents"], b["deposit_cents"], b["cancel_fee_cents"]) == (5000, 1000, 0)


def test_confirming_again_while_holding_the_slot_returns_the_same_booking(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    customer = create_user(db, "customer")
    q = bk.quote(db, customer, shop, start)
    first = bk.confirm(db, customer, q, shop.provider_id)
    second = bk.confirm(db, customer, q, shop.provider_id)
    assert second["id"] == first["id"]
    assert db.execute(
        "select count(*) from app.bookings where provider_id = %s", (shop.provider_id,)
    ).fetchone() == (1,)


def test_a_second_customer_cannot_take_a_held_slot(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    alice, bob = create_user(db, "customer"), create_user(db, "customer")
    qa, qb = bk.quote(db, alice, shop, start), bk.quote(db, bob, shop, start)
    bk.confirm(db, alice, qa, shop.provider_id)
    with pytest.raises(psycopg.Error) as err:
        bk.confirm(db, bob, qb, shop.provider_id)
    assert _sqlstate(err) == ("PT409", "slot_unavailable")


def test_an_expired_hold_frees_the_slot_at_once_even_before_the_sweep(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    alice, bob = create_user(db, "customer"), create_user(db, "customer")
    qa, qb = bk.quote(db, alice, shop, start), bk.quote(db, bob, shop, start)
    held = bk.confirm(db, alice, qa, shop.provider_id)
    db.execute(
        "update app.bookings set hold_expires_at = now() - interval '1 second' where id = %s",
        (held["id"],),
    )
    won = bk.confirm(db, bob, qb, shop.provider_id)
    assert won["status"] == "pending_payment"
    assert bk.status(db, held["id"]) == "expired"
    assert [m["booking_id"] for m in bk.payment_messages(db, "payment.cancel_intent")] == [
        held["id"]
    ]


def test_a_booking_the_confirm_cannot_see_yet_wins_by_the_exclusion_constraint(
    db: psycopg.Connection[Any], db_url: str, shop: bk.Shop, start: Any
) -> None:
    """A write that claims the slot outside the confirm's locks, not committed yet: the confirm
    finds the slot free, then its insert waits on that write under the exclusion constraint and,
    once it commits, answers 409 slot_unavailable and leaves nothing behind."""
    customer = create_user(db, "customer")
    q = bk.quote(db, customer, shop, start)
    outcome: list[Any] = []
    with psycopg.connect(db_url) as other, psycopg.connect(db_url, autocommit=True) as two:
        catalog.add_booking(other, shop.service_id, start)  # not committed

        def confirm() -> None:
            try:
                outcome.append(bk.confirm(two, customer, q, shop.provider_id))
            except psycopg.Error as exc:
                outcome.append(exc)

        t = threading.Thread(target=confirm)
        t.start()

        def waiting() -> bool:
            row = db.execute(
                "select wait_event_type = 'Lock' and wait_event = 'transactionid' "
                "from pg_stat_activity where pid = %s",
                (two.info.backend_pid,),
            ).fetchone()
            return bool(row and row[0])

        deadline = time.monotonic() + 30
        while not waiting():
            assert time.monotonic() < deadline, "the confirm waits on the other write"
            time.sleep(0.02)
        other.commit()
        t.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], psycopg.Error), outcome
    assert (outcome[0].sqlstate, outcome[0].diag.message_hint) == ("PT409", "slot_unavailable")
    left = db.execute(
        "select count(*) from app.bookings where customer_id = %s", (customer,)
    ).fetchone()
    assert left == (0,)


def test_overlap_through_the_buffers_is_refused_too(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    bk.book(db, shop, start)  # 10:00-11:00, blocked until 11:15
    later = start.replace(hour=11)
    customer = create_user(db, "customer")
    with acting_as(db, "customer", customer):
        offered = db.execute(
            "select provider_id from internal.quote('haircut', %s, %s, %s, 1, 50)",
            (shop.lat, shop.lng, later),
        ).fetchall()
    assert (shop.provider_id,) not in offered, (
        "11:00 touches the 15-minute buffer after 10:00-11:00"
    )
    bk.book(db, shop, start.replace(hour=11, minute=15))


@pytest.mark.parametrize(
    "case", ["another customer's quote", "a provider not in the quote", "no quote"]
)
def test_confirming_what_the_quote_did_not_offer_is_a_404(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any, case: str
) -> None:
    alice, bob = create_user(db, "customer"), create_user(db, "customer")
    q = bk.quote(db, alice, shop, start)
    args = {
        "another customer's quote": (bob, q, shop.provider_id),
        "a provider not in the quote": (alice, q, uuid.uuid4()),
        "no quote": (alice, uuid.uuid4(), shop.provider_id),
    }[case]
    with pytest.raises(psycopg.Error) as err:
        bk.confirm(db, *args)
    assert _sqlstate(err) == ("PT404", "not_found")


def test_an_expired_quote_is_a_410(db: psycopg.Connection[Any], shop: bk.Shop, start: Any) -> None:
    customer = create_user(db, "customer")
    q = bk.quote(db, customer, shop, start)
    db.execute(
        "update app.quotes set expires_at = created_at + interval '1 microsecond' where id = %s",
        (q,),
    )
    with pytest.raises(psycopg.Error) as err:
        bk.confirm(db, customer, q, shop.provider_id)
    assert _sqlstate(err) == ("PT410", "quote_expired")


def test_a_customer_cannot_hold_more_than_five_slots_at_once(
    db: psycopg.Connection[Any], start: Any
) -> None:
    shop = bk.open_shop(db)  # no buffers: back-to-back hours
    customer = create_user(db, "customer")
    for hour in (9, 10, 11, 12, 13):
        bk.book(db, shop, start.replace(hour=hour, minute=0), customer)
    with pytest.raises(psycopg.Error) as err:
        bk.book(db, shop, start.replace(hour=14, minute=0), customer)
    assert _sqlstate(err) == ("PT429", "too_many_holds")


# --- slot hoarding (docs/security.md) ----------------------------------------------------


def _unconfirmed(db: psycopg.Connection[Any]) -> uuid.UUID:
    """A customer who signed up and has not confirmed the email address yet."""
    customer = create_user(db, "customer")
    db.execute("update app.users set email_confirmed_at = null where id = %s", (customer,))
    return customer


def test_an_unconfirmed_account_holds_one_slot_for_five_minutes(
    db: psycopg.Connection[Any], start: Any
) -> None:
    shop = bk.open_shop(db)
    customer = _unconfirmed(db)
    first = bk.book(db, shop, start.replace(hour=9, minute=0), customer)
    lasts = db.execute(
        "select hold_expires_at - created_at from app.bookings where id = %s", (first["id"],)
    ).fetchone()
    assert lasts is not None and lasts[0].total_seconds() == 300
    with pytest.raises(psycopg.Error) as err:
        bk.book(db, shop, start.replace(hour=10, minute=0), customer)
    assert _sqlstate(err) == ("PT429", "too_many_holds")
    assert "confirm your email" in str(err.value)
    # confirmed, the account has the usual five, held fifteen minutes
    db.execute("update app.users set email_confirmed_at = now() where id = %s", (customer,))
    second = bk.book(db, shop, start.replace(hour=10, minute=0), customer)
    lasts = db.execute(
        "select hold_expires_at - created_at from app.bookings where id = %s", (second["id"],)
    ).fetchone()
    assert lasts is not None and lasts[0].total_seconds() == 900


def test_one_address_holds_at_most_ten_slots_whatever_the_number_of_accounts(
    db: psycopg.Connection[Any], start: Any
) -> None:
    shop = bk.open_shop(db)  # no buffers: back-to-back hours, 09:00-17:00 over two days
    slots = [start.replace(hour=h, minute=0) for h in range(9, 17)]
    slots += [s + timedelta(days=7) for s in slots]
    held = []
    for n, slot in enumerate(slots[:10]):
        customer = create_user(db, "customer")  # a fresh, confirmed account each time
        q = bk.quote(db, customer, shop, slot)
        held.append(bk.confirm(db, customer, q, shop.provider_id, client_addr="203.0.113.7"))
        assert held[-1]["status"] == "pending_payment", n
    hoarder = create_user(db, "customer")
    q = bk.quote(db, hoarder, shop, slots[10])
    with pytest.raises(psycopg.Error) as err:
        bk.confirm(db, hoarder, q, shop.provider_id, client_addr="203.0.113.7")
    assert _sqlstate(err) == ("PT429", "too_many_holds")
    assert "your network" in str(err.value)
    # another address is not affected; a paid hold frees its place
    neighbour = create_user(db, "customer")
    q2 = bk.quote(db, neighbour, shop, slots[11])
    assert bk.confirm(db, neighbour, q2, shop.provider_id, client_addr="198.51.100.9")["id"]
    bk.pay(db, held[0])
    assert bk.confirm(db, hoarder, q, shop.provider_id, client_addr="203.0.113.7")["id"]


def test_ipv6_addresses_of_one_64_count_as_one_address(
    db: psycopg.Connection[Any], start: Any
) -> None:
    db.execute(
        "insert into internal.settings (key, value) values ('max_live_holds_per_address', '2') "
        "on conflict (key) do update set value = excluded.value"
    )
    shop = bk.open_shop(db)
    for n, hour in enumerate((9, 10)):
        customer = create_user(db, "customer")
        q = bk.quote(db, customer, shop, start.replace(hour=hour, minute=0))
        bk.confirm(db, customer, q, shop.provider_id, client_addr=f"2001:db8:1:2::{n + 1}")
    hoarder = create_user(db, "customer")
    q = bk.quote(db, hoarder, shop, start.replace(hour=11, minute=0))
    with pytest.raises(psycopg.Error) as err:
        bk.confirm(db, hoarder, q, shop.provider_id, client_addr="2001:db8:1:2:ffff::9")
    assert _sqlstate(err) == ("PT429", "too_many_holds")
    assert bk.confirm(db, hoarder, q, shop.provider_id, client_addr="2001:db8:1:3::1")["id"]
    # 'off' lifts it (benchmarks, whose clients all share one address)
    db.execute(
        "update internal.settings set value = 'off' where key = 'max_live_holds_per_address'"
    )
    third = create_user(db, "customer")
    q = bk.quote(db, third, shop, start.replace(hour=12, minute=0))
    assert bk.confirm(db, third, q, shop.provider_id, client_addr="2001:db8:1:2::7")["id"]


def test_only_customers_confirm(db: psycopg.Connection[Any], shop: bk.Shop, start: Any) -> None:
    customer = create_user(db, "customer")
    q = bk.quote(db, customer, shop, start)
    with pytest.raises(psycopg.Error) as err, acting_as(db, "provider", shop.owner_id):
        db.execute("select internal.confirm_booking(%s, %s)", (q, shop.provider_id))
    assert _sqlstate(err) == ("PT403", "forbidden")


# --- the state machine -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start_status", "new_status"),
    [
        ("pending_payment", "completed"),
        ("pending_payment", "no_show"),
        ("confirmed", "pending_payment"),
        ("confirmed", "expired"),
        ("cancelled", "confirmed"),
        ("expired", "pending_payment"),
        ("completed", "cancelled"),
    ],
)
def test_illegal_transitions_are_refused_by_any_route(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any, start_status: str, new_status: str
) -> None:
    booking = catalog.add_booking(db, shop.service_id, start, status=start_status)
    with pytest.raises(psycopg.Error) as err:
        db.execute("update app.bookings set status = %s where id = %s", (new_status, booking))
    assert _sqlstate(err) == ("PT409", "invalid_transition")


def test_a_bookings_price_and_parties_never_change(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    booking = catalog.add_booking(db, shop.service_id, start)
    with pytest.raises(psycopg.Error) as err:
        db.execute("update app.bookings set price_cents = 1 where id = %s", (booking,))
    assert _sqlstate(err) == ("PT400", "invalid_input")


def test_api_roles_cannot_write_bookings_or_payments_directly(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    b = bk.book(db, shop, start)
    for role, sub in (
        ("customer", b["customer_id"]),
        ("provider", shop.owner_id),
        ("ops", create_user(db, "ops")),
    ):
        for stmt in (
            "update app.bookings set status = 'confirmed'",
            "update app.payments set status = 'succeeded'",
            "insert into app.refunds (booking_id, payment_id, amount_cents, reason, requested_role) "
            "select booking_id, id, 1, 'x', 'x' from app.payments",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege), acting_as(db, role, sub):
                db.execute(stmt)


# --- payment events ----------------------------------------------------------------------


def test_a_successful_payment_confirms_the_booking_once(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    b = bk.book(db, shop, start)
    assert bk.pay(db, b, "pi_success1") == "booking confirmed"
    assert bk.status(db, b["id"]) == "confirmed"
    again = bk.apply_event(db, "payment_intent.succeeded", {"id": "pi_success1", "amount": 1000})
    assert again == "already succeeded"
    actor = db.execute(
        "select actor_role from audit.action_log where action = 'booking.confirmed' and row_id = %s",
        (b["id"],),
    ).fetchone()
    assert actor == ("stripe",)


def test_events_out_of_order_never_move_a_booking_backwards(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    b = bk.book(db, shop, start)
    bk.pay(db, b, "pi_order1")
    late_failure = bk.apply_event(
        db,
        "payment_intent.payment_failed",
        {"id": "pi_order1", "last_payment_error": {"message": "declined"}},
    )
    assert late_failure.startswith("ignored")
    assert bk.status(db, b["id"]) == "confirmed"
    assert db.execute(
        "select status from app.payments where booking_id = %s", (b["id"],)
    ).fetchone() == ("succeeded",)


def test_a_declined_payment_keeps_the_hold_and_never_confirms(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    b = bk.book(db, shop, start)
    db.execute(
        "select internal.record_payment_intent(%s, 'pi_declined1', 's')", (b["payment"]["id"],)
    )
    bk.apply_event(
        db,
        "payment_intent.payment_failed",
        {"id": "pi_declined1", "last_payment_error": {"message": "Your card was declined."}},
    )
    row = db.execute(
        "select status, failure_reason from app.payments where booking_id = %s", (b["id"],)
    ).fetchone()
    assert row == ("requires_payment", "Your card was declined.")
    assert bk.status(db, b["id"]) == "pending_payment"
    db.execute(
        "update app.bookings set hold_expires_at = now() - interval '1 second' where id = %s",
        (b["id"],),
    )
    assert db.execute("select internal.sweep()").fetchone() == (
        {
            "expired": 1,
            "completed": 0,
            "events_purged": 0,
            "waitlist_expired": 0,
            "waitlist_purged": 0,
            "owed_transfers": 0,
        },
    )
    assert bk.status(db, b["id"]) == "expired"


def test_a_payment_that_arrives_after_the_hold_expired_is_refunded(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    b = bk.book(db, shop, start)
    db.execute("select internal.record_payment_intent(%s, 'pi_late1', 's')", (b["payment"]["id"],))
    db.execute(
        "update app.bookings set hold_expires_at = now() - interval '1 second' where id = %s",
        (b["id"],),
    )
    db.execute("select internal.sweep()")
    outcome = bk.apply_event(
        db,
        "payment_intent.succeeded",
        {"id": "pi_late1", "amount": 1000, "amount_received": 1000, "currency": "cad"},
    )
    assert outcome == "late payment refunded"
    assert bk.status(db, b["id"]) == "expired"
    refunds = db.execute(
        "select amount_cents, status from app.refunds where booking_id = %s", (b["id"],)
    ).fetchall()
    assert refunds == [(1000, "pending")]
    assert [m["refund_id"] for m in bk.payment_messages(db, "payment.refund")]


@pytest.mark.parametrize(
    ("amount_received", "currency"),
    [(1, "cad"), (999, "cad"), (1001, "cad"), (1000, "usd"), (1000, None), (None, "cad")],
    ids=[
        "lowered to 1 cent",
        "one cent short",
        "over-paid",
        "wrong currency",
        "no currency",
        "no amount",
    ],
)
def test_a_payment_that_does_not_match_the_booking_never_confirms_it_and_is_refunded(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any, amount_received: Any, currency: Any
) -> None:
    b = bk.book(db, shop, start)
    db.execute("select internal.record_payment_intent(%s, 'pi_odd1', 's')", (b["payment"]["id"],))
    intent: dict[str, Any] = {"id": "pi_odd1", "object": "payment_intent"}
    if amount_received is not None:
        intent |= {"amount": amount_received, "amount_received": amount_received}
    if currency is not None:
        intent["currency"] = currency
    assert bk.apply_event(db, "payment_intent.succeeded", intent) == "mismatched payment refunded"
    assert bk.status(db, b["id"]) == "cancelled", "never confirmed; the slot is freed"
    received = amount_received or 0
    payment = db.execute(
        "select status, captured_cents from app.payments where booking_id = %s", (b["id"],)
    ).fetchone()
    assert payment == ("succeeded", received), "the ledger holds what Stripe really captured"
    refunds = db.execute(
        "select amount_cents, requested_role from app.refunds where booking_id = %s", (b["id"],)
    ).fetchall()
    assert refunds == ([(received, "system")] if received else [])
    assert len(bk.payment_messages(db, "payment.refund")) == (1 if received else 0)
    flag = db.execute(
        "select expected_cents, expected_currency, received_cents, received_currency, "
        "stripe_payment_intent_id from app.payment_mismatches where booking_id = %s",
        (b["id"],),
    ).fetchall()
    assert flag == [(1000, "cad", amount_received, currency, "pi_odd1")]
    audited = db.execute(
        "select actor_role from audit.action_log where action = 'payment.mismatch' and row_id = %s",
        (b["payment"]["id"],),
    ).fetchall()
    assert audited == [("stripe",)]
    ops = create_user(db, "ops")
    with acting_as(db, "ops", ops):
        listed = db.execute(
            "select booking_id::text from api.payment_mismatches where booking_id = %s", (b["id"],)
        ).fetchall()
    assert listed == [(b["id"],)]
    with acting_as(db, "customer", b["customer_id"]), pytest.raises(psycopg.Error) as err:
        db.execute("select * from api.payment_mismatches")
    assert err.value.sqlstate == "42501", "ops only"
    assert db.execute(
        "select count(*) from internal.check_invariants() where violations > 0"
    ).fetchone() == (0,)


def test_a_mismatched_payment_after_the_hold_ended_is_refunded_in_full_too(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    b = bk.book(db, shop, start)
    db.execute("select internal.record_payment_intent(%s, 'pi_odd2', 's')", (b["payment"]["id"],))
    db.execute(
        "update app.bookings set hold_expires_at = now() - interval '1 second' where id = %s",
        (b["id"],),
    )
    db.execute("select internal.sweep()")
    intent = {"id": "pi_odd2", "amount": 5000, "amount_received": 5000, "currency": "cad"}
    assert bk.apply_event(db, "payment_intent.succeeded", intent) == "mismatched payment refunded"
    assert bk.status(db, b["id"]) == "expired"
    refunds = db.execute("select amount_cents from app.refunds where booking_id = %s", (b["id"],))
    assert refunds.fetchall() == [(5000,)]


def test_the_webhook_can_outrun_the_workers_record_of_the_intent(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    b = bk.book(db, shop, start)
    outcome = bk.apply_event(
        db,
        "payment_intent.succeeded",
        {
            "id": "pi_fast1",
            "amount": 1000,
            "amount_received": 1000,
            "currency": "cad",
            "metadata": {"booking_id": b["id"]},
        },
    )
    assert outcome == "booking confirmed"
    assert db.execute(
        "select internal.record_payment_intent(%s, 'pi_fast1', 's')", (b["payment"]["id"],)
    ).fetchone() == ("already recorded",)


def test_the_workers_entry_points_are_idempotent(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    b = bk.book(db, shop, start)
    pid = b["payment"]["id"]
    first = db.execute(
        "select internal.record_payment_intent(%s, 'pi_idem1', 's')", (pid,)
    ).fetchone()
    second = db.execute(
        "select internal.record_payment_intent(%s, 'pi_idem1', 's')", (pid,)
    ).fetchone()
    assert (first, second) == (("recorded",), ("already recorded",))
    with pytest.raises(psycopg.Error) as err:
        db.execute("select internal.record_payment_intent(%s, 'pi_other', 's')", (pid,))
    assert _sqlstate(err) == ("PT409", "conflict")


def test_refunds_never_exceed_what_was_captured(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    b = bk.book(db, shop, start)
    bk.pay(db, b)
    ops = create_user(db, "ops")
    db.execute("select internal.request_refund(%s, 600, 'goodwill', %s, 'ops')", (b["id"], ops))
    with pytest.raises(psycopg.Error) as err:
        db.execute("select internal.request_refund(%s, 401, 'too much', %s, 'ops')", (b["id"], ops))
    assert "at most 400 cents" in str(err.value)
    db.execute("select internal.request_refund(%s, 400, 'the rest', %s, 'ops')", (b["id"], ops))
    # even bypassing the function, the ledger's constraint trigger refuses the excess
    with pytest.raises(psycopg.Error) as err:
        db.execute(
            "insert into app.refunds (booking_id, payment_id, amount_cents, reason, requested_role) "
            "select booking_id, id, 1, 'sneaky', 'ops' from app.payments where booking_id = %s",
            (b["id"],),
        )
    assert _sqlstate(err) == ("PT409", "conflict")


def test_the_sweep_is_safe_to_run_concurrently(
    db: psycopg.Connection[Any], db_url: str, shop: bk.Shop, start: Any
) -> None:
    ids = [bk.book(db, shop, start.replace(hour=h))["id"] for h in (9, 11, 13)]
    db.execute("update app.bookings set hold_expires_at = now() - interval '1 second'")
    with psycopg.connect(db_url) as other:
        other.execute("begin")
        first = other.execute("select internal.sweep()").fetchone()
        second = db.execute("select internal.sweep()").fetchone()  # skips the rows the first holds
        other.execute("commit")
    assert first is not None and second is not None
    assert first[0]["expired"] + second[0]["expired"] == 3
    assert {bk.status(db, i) for i in ids} == {"expired"}
    assert len(bk.payment_messages(db, "payment.cancel_intent")) == 3


# --- who sees what ------------------------------------------------------------------------


def test_a_customer_sees_only_their_own_bookings_and_payments(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    a = bk.book(db, shop, start)
    b = bk.book(db, shop, start.replace(hour=14))
    with acting_as(db, "customer", a["customer_id"]):
        assert [r[0] for r in db.execute("select id::text from api.my_bookings")] == [a["id"]]
        assert [r[0] for r in db.execute("select booking_id::text from app.payments")] == [a["id"]]
        with pytest.raises(psycopg.Error) as err, db.transaction():
            db.execute("select internal.booking_payment(%s)", (b["id"],))
        assert _sqlstate(err) == ("PT404", "not_found")
        with pytest.raises(psycopg.errors.InsufficientPrivilege), db.transaction():
            db.execute("select client_secret from app.payments")


def test_a_provider_sees_only_its_own_providers_bookings(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    mine = bk.book(db, shop, start)
    other = bk.open_shop(db, lat=45.50, lng=-73.57)
    bk.book(db, other, start)
    with acting_as(db, "provider", shop.owner_id):
        assert [r[0] for r in db.execute("select id::text from api.my_bookings")] == [mine["id"]]


def test_ops_see_every_booking(db: psycopg.Connection[Any], shop: bk.Shop, start: Any) -> None:
    ids = {bk.book(db, shop, start)["id"], bk.book(db, shop, start.replace(hour=14))["id"]}
    with acting_as(db, "ops", create_user(db, "ops")):
        assert {r[0] for r in db.execute("select id::text from api.my_bookings")} >= ids
