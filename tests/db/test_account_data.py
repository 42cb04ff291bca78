"""A person's own data: the export holds theirs and nobody else's; deleting the account
(with its password) ends sign-in and erases or replaces personal data while the
financial records stay, and is refused while bookings or money are still open."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.db import acting_as, as_user, call_as, one
from tests.helpers.factories import DEFAULT_PASSWORD, create_user

EXPORT = "select api.export_my_data()"
DELETE = "select api.delete_my_account(%s)"


@pytest.fixture
def start() -> Any:
    return catalog.next_weekday(4, at="13:00")


@pytest.fixture
def shop(db: psycopg.Connection[Any]) -> bk.Shop:
    return bk.open_shop(db)


def _export(db: psycopg.Connection[Any], role: str, sub: Any) -> dict[str, Any]:
    with acting_as(db, role, sub):
        return dict(one(db, EXPORT))


def _session(db: psycopg.Connection[Any], user: uuid.UUID) -> dict[str, Any]:
    """A session as login starts one (access token with sid, refresh token)."""
    return dict(one(db, "select auth.issue_session(%s)", user))


def _finished(db: psycopg.Connection[Any], shop: bk.Shop, start: Any, customer: Any) -> Any:
    """A paid booking that took place (completed): a financial record, nothing open."""
    b = bk.book(db, shop, start, customer)
    bk.pay(db, b)
    bk.starts_in(db, b["id"], "-3 hours")
    db.execute("select internal.transition_booking(%s, 'completed', 'system')", (b["id"],))
    return b


def _delete(db: psycopg.Connection[Any], role: str, sub: Any, password: str | None) -> Any:
    """delete_my_account as the user (committed), with the response status it set."""
    with as_user(db, role, sub):
        answer = one(db, DELETE, password)
        status = one(db, "select current_setting('response.status', true)")
    return answer, status


# --- export -----------------------------------------------------------------------------------


def test_a_customer_exports_her_profile_bookings_payments_and_notifications(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    ann = create_user(db, "customer", full_name="Ann Export")
    b = bk.book(db, shop, start, ann)
    bk.pay(db, b)
    call_as(db, "customer", ann, "select api.set_notification_preference('reminders', true, false)")
    _session(db, ann)
    other = bk.book(db, shop, start + timedelta(hours=2))

    data = _export(db, "customer", ann)
    assert data["format"] == "bookiji-export-1"
    assert (data["account"]["id"], data["account"]["full_name"]) == (str(ann), "Ann Export")
    assert [x["id"] for x in data["bookings"]] == [b["id"]]
    assert data["bookings"][0]["provider_id"] == str(shop.provider_id)
    assert [p["booking_id"] for p in data["payments"]] == [b["id"]]
    assert data["payments"][0]["captured_cents"] == 1000
    assert {n["event"] for n in data["notifications"]} >= {"booking_confirmed"}
    assert [p["category"] for p in data["notification_preferences"]] == ["reminders"]
    assert len(data["sessions"]) == 1
    assert len(data["quotes"]) == 1
    assert data["provider"] is None
    text = json.dumps(data)
    assert other["id"] not in text
    assert other["payment"]["id"] not in text
    assert str(other["customer_id"]) not in text


def test_an_export_never_holds_a_one_time_token(db: psycopg.Connection[Any]) -> None:
    user = create_user(db, "customer")
    db.execute(
        "select internal.notify('password_reset', %s, 'password_reset:t1', '{\"token\": \"sekrit-token-1\"}')",
        (user,),
    )
    data = _export(db, "customer", user)
    assert [n["event"] for n in data["notifications"]] == ["password_reset"]
    assert "sekrit-token-1" not in json.dumps(data)


def test_a_provider_exports_its_profile_services_hours_and_bookings(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    b = bk.book(db, shop, start)
    data = _export(db, "provider", shop.owner_id)
    provider = data["provider"]
    assert provider["id"] == str(shop.provider_id)
    assert [s["id"] for s in provider["services"]] == [str(shop.service_id)]
    assert len(provider["weekly_hours"]) == 7
    assert [x["id"] for x in provider["bookings"]] == [b["id"]]
    assert provider["bookings"][0]["customer_name"] == "Test Customer"
    assert "email" not in provider["bookings"][0]
    assert data["bookings"] == []  # it booked nothing as a customer


def test_anonymous_callers_cannot_export(db: psycopg.Connection[Any]) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege), acting_as(db, "anon"):
        db.execute(EXPORT)
    db.execute("grant execute on function api.export_my_data(), internal.export_my_data() to anon")
    with pytest.raises(psycopg.Error) as err, acting_as(db, "anon"):
        db.execute(EXPORT)
    assert err.value.diag.message_hint == "not_authenticated"


# --- deletion ---------------------------------------------------------------------------------


def test_deleting_an_account_ends_sign_in_and_keeps_the_financial_records(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    ann = create_user(db, "customer", full_name="Ann Delete")
    db.execute("update app.users set phone = '+15145550199' where id = %s", (ann,))
    email = one(db, "select email::text from app.users where id = %s", ann)
    session = _session(db, ann)
    done = _finished(db, shop, start, ann)
    call_as(db, "customer", ann, "select api.set_notification_preference('reminders', true, false)")
    bystander = create_user(db, "customer", full_name="Bea Bystander")
    theirs = bk.book(db, shop, start + timedelta(hours=3), bystander)
    before_them = db.execute(
        "select u::text, (select count(*) from app.notifications where recipient_id = u.id) "
        "from app.users as u where u.id = %s",
        (bystander,),
    ).fetchone()

    answer, status = _delete(db, "customer", ann, DEFAULT_PASSWORD)
    assert status in (None, "")
    assert answer["deleted"] is True

    user = db.execute(
        "select email::text, full_name, phone, deleted_at is not null from app.users where id = %s",
        (ann,),
    ).fetchone()
    assert user == (f"deleted-{ann}@deleted.invalid", "Deleted user", None, True)
    assert one(db, "select count(*) from auth.credentials where user_id = %s", ann) == 0
    assert (
        one(db, "select count(*) from auth.sessions where user_id = %s and revoked_at is null", ann)
        == 0
    )
    for table in ("app.notifications", "app.notification_preferences"):
        column = "recipient_id" if table == "app.notifications" else "user_id"
        assert one(db, f"select count(*) from {table} where {column} = %s", ann) == 0
    assert one(db, "select count(*) from app.quotes where customer_id = %s", ann) == 0
    # the financial records stay, pointing at the anonymised account
    row = db.execute(
        "select b.customer_id, b.status, p.captured_cents from app.bookings as b "
        "join app.payments as p on p.booking_id = b.id where b.id = %s",
        (done["id"],),
    ).fetchone()
    assert row == (ann, "completed", 1000)
    # the provider's own messages about that booking no longer carry her name
    names = {
        r[0]
        for r in db.execute(
            "select data ->> 'customer_name' from app.notifications "
            "where recipient_id = %s and data ->> 'booking_id' = %s",
            (shop.owner_id, done["id"]),
        )
    }
    assert names == {"Deleted user"}
    # the audit log keeps what happened, not who she was
    audit = json.dumps([r[0] for r in db.execute("select to_jsonb(a) from audit.action_log as a")])
    assert email not in audit
    assert "Ann Delete" not in audit
    assert (
        one(
            db,
            "select count(*) from audit.action_log where action = 'account.deleted' and row_id = %s",
            str(ann),
        )
        == 1
    )

    # sign-in is over: login, the refresh token, the session of the old access token
    login = one(db, "select auth.login(%s, %s)", email, DEFAULT_PASSWORD)
    assert login["hint"] == "invalid_credentials"
    with pytest.raises(psycopg.Error) as err:
        db.execute("select auth.refresh(%s)", (session["refresh_token"],))
    assert err.value.diag.message_hint == "invalid_token"
    sid = one(db, "select id from auth.sessions where user_id = %s", ann)
    aud = one(db, "select internal.setting('jwt_aud')")
    claims = {"sid": str(sid), "exp": 2**40, "iat": 1, "aud": aud}
    with pytest.raises(psycopg.Error) as err, acting_as(db, "customer", ann, **claims):
        db.execute("select auth.check_request()")
    assert err.value.diag.message_hint == "invalid_token"
    assert err.value.diag.message_primary == "the session has ended; sign in again"
    # and nobody else was touched
    after_them = db.execute(
        "select u::text, (select count(*) from app.notifications where recipient_id = u.id) "
        "from app.users as u where u.id = %s",
        (bystander,),
    ).fetchone()
    assert after_them == before_them
    assert bk.status(db, theirs["id"]) == "pending_payment"


def test_a_new_account_may_take_the_email_of_a_deleted_one(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    ann = create_user(db, "customer")
    email = one(db, "select email::text from app.users where id = %s", ann)
    _delete(db, "customer", ann, DEFAULT_PASSWORD)
    again = create_user(db, "customer", email=email)
    assert again != ann


def test_a_wrong_password_deletes_nothing_and_is_counted(db: psycopg.Connection[Any]) -> None:
    ann = create_user(db, "customer")
    email = one(db, "select email::text from app.users where id = %s", ann)
    answer, status = _delete(db, "customer", ann, "not my password")
    assert (status, answer["hint"]) == ("403", "wrong_password")
    assert "password" in answer["message"]
    assert one(db, "select deleted_at from app.users where id = %s", ann) is None
    assert (
        one(
            db, "select count(*) from auth.login_attempts where email = %s and not succeeded", email
        )
        == 1
    )


def test_five_wrong_passwords_make_the_sixth_attempt_wait(db: psycopg.Connection[Any]) -> None:
    ann = create_user(db, "customer")
    for _ in range(5):
        assert _delete(db, "customer", ann, "guess guess guess")[1] == "403"
    answer, status = _delete(db, "customer", ann, DEFAULT_PASSWORD)
    assert (status, answer["hint"]) == ("429", "rate_limited")
    assert one(db, "select deleted_at from app.users where id = %s", ann) is None


def test_a_missing_password_is_a_400_naming_it(db: psycopg.Connection[Any]) -> None:
    ann = create_user(db, "customer")
    for password in (None, "  "):
        with pytest.raises(psycopg.Error) as err:
            _delete(db, "customer", ann, password)
        assert (err.value.sqlstate, err.value.diag.message_hint) == ("PT400", "invalid_input")
        assert "password is required" in str(err.value.diag.message_primary)


def test_open_bookings_and_refunds_block_deletion_and_are_named(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    ann = create_user(db, "customer")
    upcoming = bk.book(db, shop, start, ann)
    bk.pay(db, upcoming)
    hold = bk.book(db, shop, start + timedelta(hours=2), ann)
    with pytest.raises(psycopg.Error) as err:
        _delete(db, "customer", ann, DEFAULT_PASSWORD)
    assert (err.value.sqlstate, err.value.diag.message_hint) == ("PT409", "account_not_deletable")
    message = str(err.value.diag.message_primary)
    assert upcoming["id"] in message
    assert hold["id"] in message
    details = json.loads(str(err.value.diag.message_detail))
    assert {b["id"] for b in details["bookings"]} == {upcoming["id"], hold["id"]}
    assert one(db, "select deleted_at from app.users where id = %s", ann) is None

    # cancelled with a refund still on its way to her card: still blocked, by the refund
    call_as(db, "customer", ann, "select internal.cancel_booking(%s, 'moving')", upcoming["id"])
    db.execute("select internal.transition_booking(%s, 'expired', 'system')", (hold["id"],))
    with pytest.raises(psycopg.Error) as err:
        _delete(db, "customer", ann, DEFAULT_PASSWORD)
    assert err.value.diag.message_hint == "account_not_deletable"
    assert "refunds in progress" in str(err.value.diag.message_primary)
    db.execute(
        "update app.refunds set status = 'succeeded' where booking_id = %s", (upcoming["id"],)
    )
    assert _delete(db, "customer", ann, DEFAULT_PASSWORD)[0]["deleted"] is True


def test_a_provider_with_upcoming_bookings_cannot_delete_its_account(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    b = bk.book(db, shop, start)
    bk.pay(db, b)
    with pytest.raises(psycopg.Error) as err:
        _delete(db, "provider", shop.owner_id, DEFAULT_PASSWORD)
    assert err.value.diag.message_hint == "account_not_deletable"
    assert b["id"] in str(err.value.diag.message_primary)


def test_a_deleted_provider_leaves_the_catalogue_with_its_private_data_erased(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    customer = create_user(db, "customer")
    done = _finished(db, shop, start, customer)
    assert _delete(db, "provider", shop.owner_id, DEFAULT_PASSWORD)[0]["deleted"] is True
    row = db.execute(
        "select business_name, description, contact_email, contact_phone, is_active, "
        "lat = round(lat::numeric, 2)::float8 from app.providers where id = %s",
        (shop.provider_id,),
    ).fetchone()
    assert row == ("Deleted provider", "", None, None, False, True)
    assert (
        one(db, "select count(*) from app.weekly_hours where provider_id = %s", shop.provider_id)
        == 0
    )
    assert (
        one(
            db,
            "select bool_or(is_active) from app.services where provider_id = %s",
            shop.provider_id,
        )
        is False
    )
    with acting_as(db, "anon"):
        assert one(db, "select count(*) from api.providers where id = %s", shop.provider_id) == 0
    assert bk.status(db, done["id"]) == "completed"
    # the customer's own history still shows the booking, at the renamed provider
    history = _export(db, "customer", customer)["bookings"]
    assert [(x["id"], x["provider_name"]) for x in history] == [(done["id"], "Deleted provider")]


def test_a_deleted_customers_contact_is_never_shown_to_the_provider(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    ann = create_user(db, "customer")
    done = _finished(db, shop, start, ann)
    _delete(db, "customer", ann, DEFAULT_PASSWORD)
    with acting_as(db, "provider", shop.owner_id):
        row = db.execute(
            "select customer_name, customer_email, customer_phone "
            "from api.my_provider_bookings(booking_id => %s)",
            (done["id"],),
        ).fetchone()
    assert row == ("Deleted user", None, None)


def test_ops_accounts_are_not_deleted_here(db: psycopg.Connection[Any]) -> None:
    ops = create_user(db, "ops")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _delete(db, "ops", ops, DEFAULT_PASSWORD)
    db.execute(
        "grant execute on function api.delete_my_account(text), internal.delete_my_account(text) to ops"
    )
    with pytest.raises(psycopg.Error) as err:
        _delete(db, "ops", ops, DEFAULT_PASSWORD)
    assert (err.value.sqlstate, err.value.diag.message_hint) == ("PT403", "forbidden")


def test_a_password_reset_for_a_deleted_account_sends_nothing(db: psycopg.Connection[Any]) -> None:
    ann = create_user(db, "customer")
    _delete(db, "customer", ann, DEFAULT_PASSWORD)
    db.execute("select auth.request_password_reset(%s)", (f"deleted-{ann}@deleted.invalid",))
    assert one(db, "select count(*) from auth.one_time_tokens where user_id = %s", ann) == 0


def test_the_refusal_names_the_first_ten_bookings_and_counts_the_rest(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any
) -> None:
    ann = create_user(db, "customer")
    day = start.replace(hour=9)
    booked = []
    for i in range(12):
        b = bk.book(db, shop, day + timedelta(days=i // 6, hours=i % 6), ann)
        bk.pay(db, b)
        booked.append(b["id"])
    with pytest.raises(psycopg.Error) as err:
        _delete(db, "customer", ann, DEFAULT_PASSWORD)
    message = str(err.value.diag.message_primary)
    assert message.endswith("and 2 more; cancel them or wait until they end, then try again")
    assert sum(b in message for b in booked) == 10
    details = json.loads(str(err.value.diag.message_detail))
    assert {b["id"] for b in details["bookings"]} == set(booked)
