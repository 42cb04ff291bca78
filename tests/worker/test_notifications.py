"""Notifications: internal.notify in SQL, the `notify` handler run by the real worker loop
(in-process, --once), against a real SMTP server (aiosmtpd) started by each test.

Booking events are driven by calling internal.notify with the producer's data
contract, as the booking functions will. SMS: Twilio cannot be reached from the
tests (no network), so only the `skipped` path is exercised here.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import icalendar
import psycopg
import pytest

from tests.helpers import catalog
from tests.helpers.factories import create_user
from tests.helpers.mailbox import Mailbox, calendar_of, html_of, text_of
from tests.worker.conftest import dlq_messages, enqueue
from worker.retry import RetryPolicy
from worker.runner import Runner
from worker.tasks import notifications as notify_task

TORONTO = "America/Toronto"


def booking_data(**overrides: Any) -> dict[str, Any]:
    """The producer's data contract for booking events."""
    data: dict[str, Any] = {
        "booking_id": str(uuid.uuid4()),
        "service_name": "Haircut",
        "provider_name": "Salon Plateau",
        "provider_time_zone": TORONTO,
        "starts_at": "2026-11-02T15:00:00Z",
        "ends_at": "2026-11-02T16:00:00Z",
        "price_cents": 4500,
        "currency": "CAD",
        "ics_sequence": 0,
    }
    data.update(overrides)
    return data


def real_booking(db: psycopg.Connection[Any], starts_at: str) -> uuid.UUID:
    """A confirmed booking in the database, for reminders (which check it before sending).

    The fixed dates (around the end of daylight time) are in the past, and the worker's
    sweep completes confirmed bookings once they have ended: push that margin out of reach."""
    db.execute(
        "insert into internal.settings (key, value) values ('complete_after_minutes', '5256000') "
        "on conflict (key) do update set value = excluded.value"
    )
    provider = catalog.create_provider(db)
    catalog.add_hours(db, provider, range(7), "00:00", "23:59")
    service = catalog.create_service(db, provider)
    return catalog.add_booking(
        db, service, datetime.fromisoformat(starts_at.replace("Z", "+00:00"))
    )


def notify(
    db: psycopg.Connection[Any],
    event: str,
    recipient: uuid.UUID,
    event_key: str,
    data: dict[str, Any],
    delay: int = 0,
) -> int:
    row = db.execute(
        "select internal.notify(%s, %s, %s, %s::jsonb, %s)",
        (event, recipient, event_key, json.dumps(data), delay),
    ).fetchone()
    assert row is not None
    return int(row[0])


def rows(db: psycopg.Connection[Any], recipient: uuid.UUID) -> list[dict[str, Any]]:
    cur = db.cursor(row_factory=psycopg.rows.dict_row)
    return cur.execute(
        "select * from app.notifications where recipient_id = %s order by created_at, channel",
        (recipient,),
    ).fetchall()


def email_of(db: psycopg.Connection[Any], user: uuid.UUID) -> str:
    row = db.execute("select email::text from app.users where id = %s", (user,)).fetchone()
    assert row is not None
    return str(row[0])


def set_preference(
    db: psycopg.Connection[Any],
    user: uuid.UUID,
    category: str,
    email: bool | None = None,
    sms: bool | None = None,
) -> None:
    """As the user, through api.set_notification_preference (committed)."""
    with db.transaction():
        db.execute(
            "select set_config('request.jwt.claims', %s, true)",
            (json.dumps({"role": "customer", "sub": str(user)}),),
        )
        db.execute("set local role customer")
        db.execute("select api.set_notification_preference(%s, %s, %s)", (category, email, sms))


def event(cal_bytes: bytes) -> tuple[icalendar.Calendar, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(cal_bytes)
    (ev,) = cal.walk("VEVENT")
    return cal, ev


# --- booking events ----------------------------------------------------------------


def test_booking_confirmed_reaches_the_customer_and_the_provider_with_an_invitation(
    db: psycopg.Connection[Any], drain: Callable[..., Runner], mailbox: Mailbox
) -> None:
    customer = create_user(db, "customer")
    provider = create_user(db, "provider", locale="fr")
    data = booking_data(customer_name="Alex Martin")
    key = f"booking_confirmed:{data['booking_id']}"
    assert notify(db, "booking_confirmed", customer, key, data) == 1
    assert notify(db, "booking_new", provider, key, data) == 1
    drain()

    (to_customer,) = mailbox.to(email_of(db, customer))
    (to_provider,) = mailbox.to(email_of(db, provider))
    assert to_customer["Subject"] == "Booking confirmed: Haircut on Monday, November 2, 2026"
    assert "Your booking with Salon Plateau is confirmed." in text_of(to_customer)
    assert to_provider["Subject"].startswith("Nouvelle réservation : Haircut le lundi 2 novembre")
    assert "Vous avez une nouvelle réservation de Alex Martin." in text_of(to_provider)
    assert "Salon Plateau" in html_of(to_customer)
    for msg in (to_customer, to_provider):
        cal = calendar_of(msg)
        assert cal is not None
        method, ics = cal
        assert method == "REQUEST"
        parsed, ev = event(ics)
        assert parsed["METHOD"] == "REQUEST"
        assert ev["UID"] == f"booking-{data['booking_id']}@bookiji"
        assert ev.decoded("SEQUENCE") == 0
        attachments = [p.get_filename() for p in msg.iter_attachments()]
        assert "invite.ics" in attachments
    for row in rows(db, customer) + rows(db, provider):
        assert (row["status"], row["channel"], row["attempts"]) == ("sent", "email", 1)
        assert row["sent_at"] is not None
    (row,) = rows(db, customer)
    assert row["provider_message_id"] == to_customer["Message-ID"]


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "utc_hour", "abbreviation"),
    [
        ("2026-10-30T14:00:00Z", "2026-10-30T15:00:00Z", 14, "EDT"),  # daylight time
        ("2026-11-02T15:00:00Z", "2026-11-02T16:00:00Z", 15, "EST"),  # after it ends on Nov 1
    ],
)
def test_a_10_00_toronto_booking_stays_at_10_00_on_both_sides_of_the_daylight_saving_change(
    db: psycopg.Connection[Any],
    drain: Callable[..., Runner],
    mailbox: Mailbox,
    starts_at: str,
    ends_at: str,
    utc_hour: int,
    abbreviation: str,
) -> None:
    customer = create_user(db, "customer")
    data = booking_data(starts_at=starts_at, ends_at=ends_at)
    notify(db, "booking_confirmed", customer, f"c:{data['booking_id']}", data)
    drain()
    (msg,) = mailbox.messages()
    assert f"10:00 AM \u2013 11:00 AM ({abbreviation}, America/Toronto)" in text_of(msg)
    cal = calendar_of(msg)
    assert cal is not None
    _, ev = event(cal[1])
    assert ev["DTSTART"].params["TZID"] == TORONTO
    start = ev.decoded("DTSTART")
    assert (start.hour, start.minute) == (10, 0)
    assert start.astimezone(UTC) == datetime.fromisoformat(starts_at)
    assert start.astimezone(UTC).hour == utc_hour
    assert ev.decoded("DTEND").astimezone(UTC) == datetime.fromisoformat(ends_at)


def test_a_cancellation_sends_method_cancel_with_the_same_uid_who_cancelled_and_the_refund(
    db: psycopg.Connection[Any], drain: Callable[..., Runner], mailbox: Mailbox
) -> None:
    customer = create_user(db, "customer")
    data = booking_data()
    notify(db, "booking_confirmed", customer, f"booking_confirmed:{data['booking_id']}", data)
    cancelled = {**data, "refund_cents": 4500, "cancelled_by": "provider", "ics_sequence": 1}
    notify(db, "booking_cancelled", customer, f"booking_cancelled:{data['booking_id']}", cancelled)
    drain()
    confirmed, cancel = sorted(mailbox.messages(), key=lambda m: "cancelled" in m["Subject"])
    assert cancel["Subject"] == "Booking cancelled: Haircut on Monday, November 2, 2026"
    body = text_of(cancel)
    assert "Salon Plateau cancelled this booking." in body
    assert "You are refunded $45.00 CAD" in body
    first, second = calendar_of(confirmed), calendar_of(cancel)
    assert first is not None and second is not None
    assert second[0] == "CANCEL"
    cal, ev = event(second[1])
    assert cal["METHOD"] == "CANCEL"
    assert ev["STATUS"] == "CANCELLED"
    assert ev.decoded("SEQUENCE") == 1
    assert ev["UID"] == event(first[1])[1]["UID"] == f"booking-{data['booking_id']}@bookiji"


def test_a_cancellation_the_payment_forced_says_so_in_english_and_french(
    db: psycopg.Connection[Any], drain: Callable[..., Runner], mailbox: Mailbox
) -> None:
    # record_payment_failure and a mismatched payment cancel with cancelled_by system
    english, french = create_user(db, "customer"), create_user(db, "customer", locale="fr")
    data = booking_data(refund_cents=0, cancelled_by="system", ics_sequence=1)
    for who in (english, french):
        notify(db, "booking_cancelled", who, f"booking_cancelled:{data['booking_id']}", data)
    drain()
    bodies = {m["Content-Language"]: text_of(m) for m in mailbox.messages()}
    assert "This booking was cancelled because its payment could not be completed." in bodies["en"]
    assert "Nothing was charged." in bodies["en"]
    assert "No refund applies" not in bodies["en"]
    assert "annulée parce que son paiement n'a pas pu aboutir" in bodies["fr"]
    assert "Rien n'a été débité." in bodies["fr"]


def test_a_french_speaking_customer_gets_french_text_and_amounts(
    db: psycopg.Connection[Any], drain: Callable[..., Runner], mailbox: Mailbox
) -> None:
    customer = create_user(db, "customer", locale="fr")
    data = booking_data(
        price_cents=123456, booking_id=str(real_booking(db, "2026-11-02T15:00:00Z"))
    )
    notify(db, "booking_reminder", customer, f"reminder:{data['booking_id']}", data)
    drain()
    (msg,) = mailbox.messages()
    assert msg["Subject"] == "Rappel : Haircut le lundi 2 novembre 2026 à 10 h 00"
    assert msg["Content-Language"] == "fr"
    body = text_of(msg)
    assert "Un rappel de votre prochaine réservation" in body
    assert "de 10 h 00 à 11 h 00 (heure de America/Toronto)" in body
    assert "1\u202f234,56\u00a0$\u00a0CAD" in body
    assert 'lang="fr"' in html_of(msg)


def test_names_are_escaped_in_html_and_left_alone_in_plain_text(
    db: psycopg.Connection[Any], drain: Callable[..., Runner], mailbox: Mailbox
) -> None:
    customer = create_user(db, "customer", full_name="Jo <b>O'Brien</b>")
    data = booking_data(provider_name="Barber & Co <script>")
    notify(db, "booking_confirmed", customer, f"c:{data['booking_id']}", data)
    drain()
    (msg,) = mailbox.messages()
    assert "Barber &amp; Co &lt;script&gt;" in html_of(msg)
    assert "<script>" not in html_of(msg)
    assert "Hello Jo <b>O'Brien</b>," in text_of(msg)


def test_a_new_review_reaches_the_provider_in_english_and_french(
    db: psycopg.Connection[Any], drain: Callable[..., Runner], mailbox: Mailbox
) -> None:
    data = booking_data(customer_name="Marie Tremblay", stars=4)
    del data["ics_sequence"]
    for locale in ("en", "fr"):
        provider = create_user(db, "provider", locale=locale)
        notify(db, "review_received", provider, f"review_received:{locale}", data)
    drain()
    by_language = {m["Content-Language"]: m for m in mailbox.messages()}
    assert by_language["en"]["Subject"] == (
        "New review: 4 of 5 stars for Haircut on Monday, November 2, 2026"
    )
    assert "Marie Tremblay reviewed the booking below: 4 of 5 stars." in text_of(by_language["en"])
    assert by_language["fr"]["Subject"] == (
        "Nouvel avis : 4 étoiles sur 5 pour Haircut le lundi 2 novembre 2026"
    )
    assert "a donné son avis sur la réservation ci-dessous : 4 étoiles sur 5" in text_of(
        by_language["fr"]
    )
    assert all(calendar_of(m) is None for m in by_language.values()), "no invitation"


def test_a_review_notification_without_valid_stars_is_refused_at_the_source(
    db: psycopg.Connection[Any],
) -> None:
    provider = create_user(db, "provider")
    for stars in (None, 0, 6, "5", 4.5):
        data = booking_data(stars=stars)
        with pytest.raises(psycopg.Error) as err:
            notify(db, "review_received", provider, f"r:{stars}", data)
        assert err.value.diag.message_hint == "invalid_input"
        assert "data.stars" in str(err.value.diag.message_primary)


# --- exactly once -------------------------------------------------------------------


def test_a_repeated_event_queues_nothing_more(db: psycopg.Connection[Any]) -> None:
    customer = create_user(db, "customer")
    data = booking_data()
    key = f"booking_confirmed:{data['booking_id']}"
    assert notify(db, "booking_confirmed", customer, key, data) == 1
    assert notify(db, "booking_confirmed", customer, key, data) == 0
    assert len(rows(db, customer)) == 1
    assert db.execute("select count(*) from pgmq.q_notifications").fetchone() == (1,)


def test_the_same_notify_message_processed_twice_sends_one_email(
    db: psycopg.Connection[Any], drain: Callable[..., Runner], mailbox: Mailbox
) -> None:
    customer = create_user(db, "customer")
    data = booking_data()
    notify(db, "booking_confirmed", customer, f"c:{data['booking_id']}", data)
    (row,) = rows(db, customer)
    drain()
    enqueue(db, "notifications", {"type": "notify", "notification_id": str(row["id"])})
    enqueue(db, "notifications", {"type": "notify", "notification_id": str(row["id"])})
    drain()
    assert len(mailbox.messages()) == 1
    (row,) = rows(db, customer)
    assert (row["status"], row["attempts"]) == ("sent", 1)
    assert dlq_messages(db, "notifications") == []


def test_a_row_stuck_in_sending_is_not_sent_again_even_when_replayed(
    db: psycopg.Connection[Any], drain: Callable[..., Runner], mailbox: Mailbox
) -> None:
    customer = create_user(db, "customer")
    data = booking_data()
    notify(db, "booking_confirmed", customer, f"c:{data['booking_id']}", data)
    # a worker marked it sending, then died before recording the outcome
    db.execute(
        "update app.notifications set status = 'sending', attempts = 1 where recipient_id = %s",
        (customer,),
    )
    drain()
    assert mailbox.messages() == []
    (row,) = rows(db, customer)
    assert (row["status"], row["delivery_unknown"]) == ("failed", True)
    assert row["last_error"] == "delivery state unknown after an interrupted send"
    ((dlq_id, dead),) = dlq_messages(db, "notifications")
    assert dead["error_class"] == "PermanentError"
    assert notify_task.INTERRUPTED in dead["error"]

    db.execute("select * from internal.dlq_replay('notifications', %s, null, 'test')", (dlq_id,))
    drain()
    assert mailbox.messages() == []
    assert dlq_messages(db, "notifications") == []
    (row,) = rows(db, customer)
    assert (row["status"], row["attempts"]) == ("failed", 1)


def test_a_notification_another_worker_holds_is_left_to_it(
    db: psycopg.Connection[Any], db_url: str, drain: Callable[..., Runner], mailbox: Mailbox
) -> None:
    customer = create_user(db, "customer")
    data = booking_data()
    notify(db, "booking_confirmed", customer, f"c:{data['booking_id']}", data)
    (row,) = rows(db, customer)
    with psycopg.connect(db_url, autocommit=True) as other:
        other.execute(
            "select pg_advisory_lock(hashtext('bookiji.notification'), hashtext(%s::text))",
            (row["id"],),
        )
        drain(retry=RetryPolicy(max_attempts=1))
    assert mailbox.messages() == []
    (row,) = rows(db, customer)
    assert (row["status"], row["attempts"]) == ("queued", 0)  # untouched
    ((dlq_id, dead),) = dlq_messages(db, "notifications")
    assert "being handled by another worker" in dead["error"]
    # the other worker is gone: replaying the dead letter sends it once
    db.execute("select * from internal.dlq_replay('notifications', %s, null, 'test')", (dlq_id,))
    drain()
    assert len(mailbox.messages()) == 1
    assert rows(db, customer)[0]["status"] == "sent"


# --- failures -----------------------------------------------------------------------


def test_a_4xx_reply_is_retried_and_the_attempts_are_counted_on_the_row(
    db: psycopg.Connection[Any], drain: Callable[..., Runner], mailbox: Mailbox
) -> None:
    customer = create_user(db, "customer")
    data = booking_data()
    notify(db, "booking_confirmed", customer, f"c:{data['booking_id']}", data)
    mailbox.refuse_next("451 4.3.0 try again later")
    drain()
    assert len(mailbox.messages()) == 1
    (row,) = rows(db, customer)
    assert (row["status"], row["attempts"]) == ("sent", 2)
    assert "451" in row["last_error"]
    assert dlq_messages(db, "notifications") == []


def test_a_5xx_reply_dead_letters_and_marks_the_row_failed_and_a_replay_sends_it(
    db: psycopg.Connection[Any], drain: Callable[..., Runner], mailbox: Mailbox
) -> None:
    customer = create_user(db, "customer")
    data = booking_data()
    notify(db, "booking_confirmed", customer, f"c:{data['booking_id']}", data)
    mailbox.refuse_next("554 5.7.1 relay access denied")
    drain()
    assert mailbox.messages() == []
    (row,) = rows(db, customer)
    assert (row["status"], row["attempts"], row["delivery_unknown"]) == ("failed", 1, False)
    assert "554" in row["last_error"] and "relay access denied" in row["last_error"]
    ((dlq_id, dead),) = dlq_messages(db, "notifications")
    assert dead["error_class"] == "PermanentError"
    assert mailbox.handler.data_commands == 1

    # nothing was delivered, so once the server is fixed a replay sends it, once
    db.execute("select * from internal.dlq_replay('notifications', %s, null, 'test')", (dlq_id,))
    drain()
    assert len(mailbox.messages()) == 1
    (row,) = rows(db, customer)
    assert (row["status"], row["attempts"]) == ("sent", 2)


def test_an_unreachable_smtp_server_is_retried_then_the_row_fails(
    db: psycopg.Connection[Any],
    drain: Callable[..., Runner],
    mailbox: Mailbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.helpers import stack

    monkeypatch.setenv("SMTP_URL", f"smtp://127.0.0.1:{stack.free_port()}")
    customer = create_user(db, "customer")
    data = booking_data()
    notify(db, "booking_confirmed", customer, f"c:{data['booking_id']}", data)
    drain(retry=RetryPolicy(max_attempts=3, base_seconds=0.05, cap_seconds=0.2))
    (row,) = rows(db, customer)
    assert (row["status"], row["attempts"], row["delivery_unknown"]) == ("failed", 3, False)
    assert "ConnectionRefusedError" in row["last_error"]
    ((_, dead),) = dlq_messages(db, "notifications")
    assert dead["error_class"] == "RetryableError"


# --- channels and preferences -------------------------------------------------------


def test_sms_is_recorded_skipped_when_twilio_is_not_configured(
    db: psycopg.Connection[Any], drain: Callable[..., Runner], mailbox: Mailbox
) -> None:
    customer = create_user(db, "customer")
    db.execute("update app.users set phone = '+15145550123' where id = %s", (customer,))
    set_preference(db, customer, "booking_updates", sms=True)
    data = booking_data()
    assert notify(db, "booking_confirmed", customer, f"c:{data['booking_id']}", data) == 2
    drain()
    by_channel = {r["channel"]: r for r in rows(db, customer)}
    assert by_channel["email"]["status"] == "sent"
    assert by_channel["sms"]["status"] == "skipped"
    assert by_channel["sms"]["last_error"] == "SMS not configured (TWILIO_* unset)"
    assert by_channel["sms"]["provider_message_id"] is None
    assert len(mailbox.messages()) == 1


def test_sms_goes_only_to_people_with_a_phone_number(db: psycopg.Connection[Any]) -> None:
    customer = create_user(db, "customer")
    set_preference(db, customer, "booking_updates", sms=True)
    data = booking_data()
    assert notify(db, "booking_confirmed", customer, f"c:{data['booking_id']}", data) == 1
    assert [r["channel"] for r in rows(db, customer)] == ["email"]


def test_security_mail_goes_by_email_even_with_everything_turned_off(
    db: psycopg.Connection[Any],
) -> None:
    customer = create_user(db, "customer")
    db.execute("update app.users set phone = '+15145550123' where id = %s", (customer,))
    for category in ("booking_updates", "reminders"):
        set_preference(db, customer, category, email=False, sms=True)
    assert notify(db, "password_reset", customer, "reset:1", {"token": "t"}) == 1
    assert [r["channel"] for r in rows(db, customer)] == ["email"]


def test_a_user_who_turned_reminders_off_gets_no_reminder_row(
    db: psycopg.Connection[Any],
) -> None:
    customer = create_user(db, "customer")
    set_preference(db, customer, "reminders", email=False, sms=False)
    data = booking_data()
    assert notify(db, "booking_reminder", customer, f"reminder:{data['booking_id']}", data) == 0
    assert rows(db, customer) == []
    assert notify(db, "booking_confirmed", customer, f"c:{data['booking_id']}", data) == 1


def test_a_queued_reminder_is_skipped_when_reminders_are_turned_off_before_it_is_due(
    db: psycopg.Connection[Any], drain: Callable[..., Runner], mailbox: Mailbox
) -> None:
    customer = create_user(db, "customer")
    data = booking_data(booking_id=str(real_booking(db, "2026-11-02T15:00:00Z")))
    notify(db, "booking_reminder", customer, f"reminder:{data['booking_id']}", data)
    set_preference(db, customer, "reminders", email=False)
    drain()
    assert mailbox.messages() == []
    (row,) = rows(db, customer)
    assert (row["status"], row["last_error"]) == (
        "skipped",
        "turned off in the recipient's preferences",
    )


@pytest.mark.parametrize("still_due", [True, False])
def test_a_reminder_is_sent_only_while_the_booking_is_confirmed_and_unmoved(
    db: psycopg.Connection[Any], drain: Callable[..., Runner], mailbox: Mailbox, still_due: bool
) -> None:
    data = booking_data(booking_id=str(real_booking(db, "2026-11-02T15:00:00Z")))
    if not still_due:  # the booking was moved after the reminder was scheduled
        db.execute(
            "update app.bookings set during = tstzrange('2026-11-03T15:00Z', '2026-11-03T16:00Z'), "
            "blocked = tstzrange('2026-11-03T15:00Z', '2026-11-03T16:00Z') where id = %s",
            (data["booking_id"],),
        )
    customer = create_user(db, "customer")
    notify(db, "booking_reminder", customer, f"reminder:{data['booking_id']}", data)
    drain()
    (row,) = rows(db, customer)
    if still_due:
        assert row["status"] == "sent"
        assert len(mailbox.messages()) == 1
    else:
        assert (row["status"], row["last_error"]) == ("skipped", notify_task.REMINDER_NOT_DUE)
        assert mailbox.messages() == []


# --- identity mail ------------------------------------------------------------------


def test_a_password_reset_email_carries_a_token_that_resets_the_password(
    db: psycopg.Connection[Any], drain: Callable[..., Runner], mailbox: Mailbox
) -> None:
    customer = create_user(db, "customer", email="reset-me@example.test")
    db.execute("select api.request_password_reset('reset-me@example.test')")
    drain()
    (msg,) = mailbox.to("reset-me@example.test")
    assert msg["Subject"] == "Reset your Bookiji password"
    match = re.search(r"^    ([A-Za-z0-9_-]{20,})$", text_of(msg), re.M)
    assert match is not None
    db.execute("select api.reset_password(%s, 'a brand new password')", (match.group(1),))
    row = db.execute(
        "select password_hash = extensions.crypt('a brand new password', password_hash) "
        "from auth.credentials where user_id = %s",
        (customer,),
    ).fetchone()
    assert row == (True,)
    # the token left the notification row once it was delivered
    (note,) = rows(db, customer)
    assert note["status"] == "sent"
    assert "token" not in note["data"]


def test_a_notification_whose_recipient_was_deleted_is_dropped(
    db: psycopg.Connection[Any], drain: Callable[..., Runner], mailbox: Mailbox
) -> None:
    customer = create_user(db, "customer")
    data = booking_data()
    notify(db, "booking_confirmed", customer, f"c:{data['booking_id']}", data)
    db.execute("delete from app.users where id = %s", (customer,))
    drain()
    assert mailbox.messages() == []
    assert dlq_messages(db, "notifications") == []
    assert db.execute("select count(*) from pgmq.a_notifications").fetchone() == (1,)


# --- the producer's contract --------------------------------------------------------


@pytest.mark.parametrize(
    ("event_name", "data", "message"),
    [
        ("booking_exploded", booking_data(), "event must be one of: email_confirmation, "),
        ("booking_confirmed", booking_data(starts_at=None), "data.starts_at is required"),
        (
            "booking_cancelled",
            booking_data(),
            "data.refund_cents is required for booking_cancelled",
        ),
        (
            "booking_confirmed",
            booking_data(provider_time_zone="Mars/Olympus"),
            "data.provider_time_zone must be an IANA time zone name",
        ),
        (
            "booking_confirmed",
            booking_data(starts_at="2026-11-02T10:00:00"),
            "data.starts_at must be an ISO 8601 timestamp with an offset",
        ),
        (
            "booking_confirmed",
            booking_data(ends_at="2026-11-02T14:00:00Z"),
            "data.ends_at must be after data.starts_at",
        ),
        ("booking_confirmed", booking_data(price_cents=12.5), "data.price_cents must be a whole"),
        ("booking_confirmed", booking_data(booking_id="42"), "data.booking_id must be a uuid"),
        (
            "booking_cancelled",
            booking_data(refund_cents=0, cancelled_by="the cat"),
            "data.cancelled_by must be",
        ),
        ("password_reset", {}, "data.token is required for password_reset"),
    ],
)
def test_notify_refuses_an_unknown_event_or_data_that_breaks_the_contract(
    db: psycopg.Connection[Any], event_name: str, data: dict[str, Any], message: str
) -> None:
    customer = create_user(db, "customer")
    with pytest.raises(psycopg.Error) as err:
        notify(db, event_name, customer, "k", data)
    assert err.value.sqlstate == "PT400"
    assert err.value.diag.message_hint == "invalid_input"
    assert message in str(err.value.diag.message_primary)
    assert rows(db, customer) == []


@pytest.mark.parametrize(("scheme", "missing"), [("smtp+starttls", "STARTTLS"), ("smtp", "AUTH")])
def test_a_server_without_the_starttls_or_auth_smtp_url_asks_for_fails_the_row_at_once(
    db: psycopg.Connection[Any],
    drain: Callable[..., Runner],
    mailbox: Mailbox,
    monkeypatch: pytest.MonkeyPatch,
    scheme: str,
    missing: str,
) -> None:
    # aiosmtpd here offers neither STARTTLS nor AUTH
    monkeypatch.setenv("SMTP_URL", f"{scheme}://user:secret@127.0.0.1:{mailbox.port}")
    customer = create_user(db, "customer")
    data = booking_data()
    notify(db, "booking_confirmed", customer, f"c:{data['booking_id']}", data)
    drain()
    (row,) = rows(db, customer)
    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert "does not support what SMTP_URL asks for" in row["last_error"]
    assert missing in row["last_error"]
    assert "secret" not in row["last_error"]
    assert mailbox.messages() == []
    ((_, dead),) = dlq_messages(db, "notifications")
    assert dead["error_class"] == "PermanentError"
