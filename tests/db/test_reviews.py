"""Verified reviews: who may review, edit, reply and hide; the time-decayed rating the
quote ranks with; the provider's reliability figures. Organised by persona."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.db import as_user, call_as, one
from tests.helpers.factories import create_user

REVIEW = "select internal.review_booking(%s, %s, %s)"
EDIT = "select internal.edit_review(%s, %s, %s)"
REPLY = "select internal.reply_to_review(%s, %s)"
HIDE = "select internal.hide_review(%s, %s)"
HALF_LIFE_DAYS = 730
REFERENCE = datetime(2026, 1, 1, tzinfo=UTC)


def _refused(
    db: psycopg.Connection[Any], role: str, sub: Any, sql: str, *params: Any
) -> tuple[str | None, str | None]:
    with pytest.raises(psycopg.Error) as err:
        call_as(db, role, sub, sql, *params)
    return err.value.sqlstate, err.value.diag.message_hint


def _past(days: int = 2) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(days=days)


@pytest.fixture
def shop(db: psycopg.Connection[Any]) -> bk.Shop:
    return bk.open_shop(db)


@pytest.fixture
def customer(db: psycopg.Connection[Any]) -> uuid.UUID:
    return create_user(db, "customer", full_name="Marie-Ève Tremblay")


def completed(
    db: psycopg.Connection[Any], shop: bk.Shop, customer: uuid.UUID, days_ago: int = 2
) -> uuid.UUID:
    """A booking of ``customer`` at ``shop`` that took place and was completed."""
    b = catalog.add_booking(db, shop.service_id, _past(days_ago), customer_id=customer)
    db.execute("select internal.transition_booking(%s, 'completed', 'provider')", (b,))
    return b


def _provider_rating(db: psycopg.Connection[Any], provider: uuid.UUID) -> tuple[int, float | None]:
    row = db.execute(
        "select rating_count, rating_avg from app.providers where id = %s", (provider,)
    ).fetchone()
    assert row is not None
    return int(row[0]), None if row[1] is None else float(row[1])


def _weight(at: datetime) -> float:
    return float(2 ** ((at - REFERENCE).total_seconds() / (HALF_LIFE_DAYS * 86400)))


# --- the customer ----------------------------------------------------------------------------


def test_a_customer_reviews_a_completed_booking_and_the_provider_is_notified(
    db: psycopg.Connection[Any], shop: bk.Shop, customer: uuid.UUID
) -> None:
    b = completed(db, shop, customer)
    review = call_as(db, "customer", customer, REVIEW, b, 5, "  Great cut, on time.  ")
    assert (review["stars"], review["body"], review["author_name"]) == (
        5,
        "Great cut, on time.",
        "Marie-Ève T.",
    )
    assert _provider_rating(db, shop.provider_id) == (1, pytest.approx(5))
    row = db.execute(
        "select event, recipient_id, data ->> 'stars' from app.notifications where event = 'review_received'"
    ).fetchall()
    assert row == [("review_received", shop.owner_id, "5")], "the provider's owner hears of it"


def test_a_booking_that_is_not_completed_cannot_be_reviewed(
    db: psycopg.Connection[Any], shop: bk.Shop, customer: uuid.UUID
) -> None:
    confirmed = catalog.add_booking(db, shop.service_id, _past(), customer_id=customer)
    assert _refused(db, "customer", customer, REVIEW, confirmed, 5, None) == (
        "PT409",
        "booking_not_completed",
    )
    assert one(db, "select count(*) from app.reviews") == 0


def test_a_booking_is_reviewed_once(
    db: psycopg.Connection[Any], shop: bk.Shop, customer: uuid.UUID
) -> None:
    b = completed(db, shop, customer)
    call_as(db, "customer", customer, REVIEW, b, 4, None)
    assert _refused(db, "customer", customer, REVIEW, b, 1, "again") == (
        "PT409",
        "already_reviewed",
    )
    assert _provider_rating(db, shop.provider_id) == (1, pytest.approx(4))


def test_a_customer_cannot_review_another_customers_booking(
    db: psycopg.Connection[Any], shop: bk.Shop, customer: uuid.UUID
) -> None:
    b = completed(db, shop, customer)
    stranger = create_user(db, "customer")
    assert _refused(db, "customer", stranger, REVIEW, b, 1, None) == ("PT404", "not_found")


@pytest.mark.parametrize(
    ("stars", "body", "named"),
    [(0, None, "stars"), (6, None, "stars"), (None, None, "stars"), (3, "x" * 2001, "body")],
)
def test_bad_stars_or_a_text_over_the_limit_are_refused_naming_the_field(
    db: psycopg.Connection[Any],
    shop: bk.Shop,
    customer: uuid.UUID,
    stars: Any,
    body: Any,
    named: str,
) -> None:
    b = completed(db, shop, customer)
    with pytest.raises(psycopg.Error) as err:
        call_as(db, "customer", customer, REVIEW, b, stars, body)
    assert (err.value.sqlstate, err.value.diag.message_hint) == ("PT400", "invalid_input")
    assert named in str(err.value.diag.message_primary)


def test_a_customer_edits_within_14_days_and_not_after(
    db: psycopg.Connection[Any], shop: bk.Shop, customer: uuid.UUID
) -> None:
    b = completed(db, shop, customer)
    review = call_as(db, "customer", customer, REVIEW, b, 2, "slow")
    edited = call_as(db, "customer", customer, EDIT, review["id"], 4, None)
    assert (edited["stars"], edited["body"]) == (4, "slow"), "body null keeps the text"
    assert edited["edited_at"] is not None
    assert _provider_rating(db, shop.provider_id) == (1, pytest.approx(4))
    # owner-level: the review was written 15 days ago
    db.execute(
        "update app.reviews set created_at = now() - interval '15 days' where id = %s",
        (review["id"],),
    )
    assert _refused(db, "customer", customer, EDIT, review["id"], 5, None) == (
        "PT409",
        "edit_window_closed",
    )
    assert _provider_rating(db, shop.provider_id)[1] == pytest.approx(4)


def test_a_customer_cannot_edit_another_customers_review(
    db: psycopg.Connection[Any], shop: bk.Shop, customer: uuid.UUID
) -> None:
    review = call_as(db, "customer", customer, REVIEW, completed(db, shop, customer), 5, None)
    stranger = create_user(db, "customer")
    assert _refused(db, "customer", stranger, EDIT, review["id"], 1, None) == (
        "PT404",
        "not_found",
    )


def test_more_than_ten_reviews_a_day_from_one_customer_are_refused(
    db: psycopg.Connection[Any], shop: bk.Shop, customer: uuid.UUID
) -> None:
    bookings = [completed(db, shop, customer, days_ago=2 + i) for i in range(11)]
    for b in bookings[:10]:
        call_as(db, "customer", customer, REVIEW, b, 5, None)
    assert _refused(db, "customer", customer, REVIEW, bookings[10], 5, None) == (
        "PT429",
        "too_many_reviews",
    )
    # another customer is not held back by it
    other = create_user(db, "customer")
    call_as(db, "customer", other, REVIEW, completed(db, shop, other, days_ago=30), 3, None)


# --- the provider ----------------------------------------------------------------------------


def test_the_provider_replies_once(
    db: psycopg.Connection[Any], shop: bk.Shop, customer: uuid.UUID
) -> None:
    review = call_as(db, "customer", customer, REVIEW, completed(db, shop, customer), 3, None)
    replied = call_as(db, "provider", shop.owner_id, REPLY, review["id"], "Thank you!")
    assert (replied["reply"], replied["replied_at"] is not None) == ("Thank you!", True)
    assert _refused(db, "provider", shop.owner_id, REPLY, review["id"], "Again") == (
        "PT409",
        "already_replied",
    )


def test_a_provider_cannot_reply_to_another_providers_review_nor_review_a_booking(
    db: psycopg.Connection[Any], shop: bk.Shop, customer: uuid.UUID
) -> None:
    b = completed(db, shop, customer)
    review = call_as(db, "customer", customer, REVIEW, b, 3, None)
    other = bk.open_shop(db)
    assert _refused(db, "provider", other.owner_id, REPLY, review["id"], "Not mine") == (
        "PT403",
        "forbidden",
    )
    assert _refused(db, "provider", shop.owner_id, REVIEW, b, 5, None) == ("PT403", "forbidden")
    assert one(db, "select reply from app.reviews where id = %s", review["id"]) is None


# --- ops ---------------------------------------------------------------------------------------


def test_ops_hide_an_abusive_review_with_a_reason_audited_with_the_request_id(
    db: psycopg.Connection[Any], shop: bk.Shop, customer: uuid.UUID
) -> None:
    call_as(db, "customer", customer, REVIEW, completed(db, shop, customer, 3), 5, None)
    abusive = call_as(db, "customer", customer, REVIEW, completed(db, shop, customer), 1, "!!!")
    assert _provider_rating(db, shop.provider_id)[0] == 2
    ops = create_user(db, "customer")  # an ops token's subject; any uuid will do
    with pytest.raises(psycopg.Error) as err:
        call_as(db, "ops", ops, HIDE, abusive["id"], " ")
    assert err.value.diag.message_hint == "invalid_input"
    assert _refused(db, "customer", customer, HIDE, abusive["id"], "mine") == ("PT403", "forbidden")

    with as_user(db, "ops", ops):
        db.execute(
            "select set_config('request.headers', %s, true)", ('{"x-request-id": "req-hide-1"}',)
        )
        hidden = one(db, HIDE, abusive["id"], "insults the staff")
    assert (hidden["hidden"], hidden["hidden_reason"]) == (True, "insults the staff")
    assert _provider_rating(db, shop.provider_id) == (1, pytest.approx(5)), "the rating drops it"
    log = db.execute(
        """
        select actor_role, action, reason, request_id, before ->> 'hidden', after ->> 'hidden'
        from audit.action_log where table_name = 'app.reviews' and row_id = %s
        """,
        (str(abusive["id"]),),
    ).fetchall()
    assert log == [("ops", "review.hidden", "insults the staff", "req-hide-1", "false", "true")]
    assert _refused(db, "ops", ops, HIDE, abusive["id"], "twice") == ("PT409", "conflict")
    # the public list leaves it out; its author still sees it, marked hidden
    public = call_as(db, "anon", None, "select array_agg(id) from api.reviews")
    assert abusive["id"] not in [str(i) for i in public]
    mine = call_as(
        db, "customer", customer, "select hidden from api.my_reviews where id = %s", abusive["id"]
    )
    assert mine is True


# --- the public ----------------------------------------------------------------------------


def test_the_public_list_shows_a_first_name_and_initial_and_nothing_identifying(
    db: psycopg.Connection[Any], shop: bk.Shop, customer: uuid.UUID
) -> None:
    call_as(db, "customer", customer, REVIEW, completed(db, shop, customer), 5, "Lovely")
    row = call_as(db, "anon", None, "select to_jsonb(r) from api.reviews as r")
    assert row["author_name"] == "Marie-Ève T."
    assert not {"customer_id", "booking_id", "hidden_reason"} & set(row)
    assert "Tremblay" not in str(row)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        call_as(db, "anon", None, "select customer_id from app.reviews")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        call_as(db, "provider", shop.owner_id, "select customer_id from app.reviews")


@pytest.mark.parametrize(
    ("full_name", "public"),
    [
        ("Jean Dupont", "Jean D."),
        ("Cher", "Cher"),
        ("anne marie de la tour", "anne T."),
        ("  ", "A customer"),
    ],
)
def test_the_public_name_is_the_first_name_and_the_last_initial(
    db: psycopg.Connection[Any], full_name: str, public: str
) -> None:
    assert one(db, "select internal.public_name(%s)", full_name) == public


# --- the rating ------------------------------------------------------------------------------


def test_an_old_review_weighs_less_with_a_half_life_of_two_years(
    db: psycopg.Connection[Any], shop: bk.Shop, customer: uuid.UUID
) -> None:
    old = call_as(db, "customer", customer, REVIEW, completed(db, shop, customer, 4), 5, None)
    call_as(db, "customer", customer, REVIEW, completed(db, shop, customer), 1, None)
    assert _provider_rating(db, shop.provider_id)[1] == pytest.approx(3), "equal ages: the mean"
    # owner-level: the 5-star review was written three years ago
    written = one(
        db,
        "update app.reviews set created_at = now() - interval '1095 days' where id = %s returning created_at",
        old["id"],
    )
    new_at = one(db, "select created_at from app.reviews where id <> %s", old["id"])
    w_old, w_new = _weight(written), _weight(new_at)
    assert w_old / w_new == pytest.approx(2**-1.5, rel=1e-3)
    expected = (5 * w_old + 1 * w_new) / (w_old + w_new)
    count, avg = _provider_rating(db, shop.provider_id)
    assert (count, avg) == (2, pytest.approx(expected, abs=0.005))
    assert avg is not None and avg < 2.1


def test_the_rating_equals_a_recount_after_writes_edits_and_hides(
    db: psycopg.Connection[Any], shop: bk.Shop
) -> None:
    ops = create_user(db, "customer")
    ids, authors = [], []
    for i, stars in enumerate([5, 4, 2, 5, 3, 1]):
        c = create_user(db, "customer")
        authors.append(c)
        ids.append(call_as(db, "customer", c, REVIEW, completed(db, shop, c, 2 + i), stars, None))
    call_as(db, "customer", authors[2], EDIT, ids[2]["id"], 5, None)
    call_as(db, "ops", ops, HIDE, ids[5]["id"], "spam")
    db.execute(
        "update app.reviews set created_at = created_at - interval '800 days' where id = %s",
        (ids[0]["id"],),
    )
    recount = db.execute(
        """
        select count(*), round(sum(weight * stars) / sum(weight), 2), sum(weight)
        from app.reviews where provider_id = %s and hidden_at is null
        """,
        (shop.provider_id,),
    ).fetchone()
    stored = db.execute(
        "select rating_count, rating_avg, rating_weight from app.providers where id = %s",
        (shop.provider_id,),
    ).fetchone()
    assert stored == recount


def test_a_provider_created_with_ratings_keeps_them_and_reviews_add_to_them(
    db: psycopg.Connection[Any], customer: uuid.UUID
) -> None:
    # the demo seed writes ratings with the provider: they count as ratings given at its creation
    owner = create_user(db, "provider")
    provider = catalog.create_provider(db, owner_id=owner, rating_count=9, rating_avg=4.0)
    catalog.add_hours(db, provider, range(7), "09:00", "17:00")
    shop = bk.Shop(provider, owner, catalog.create_service(db, provider), *catalog.PLATEAU)
    call_as(db, "customer", customer, REVIEW, completed(db, shop, customer), 1, None)
    assert _provider_rating(db, provider) == (10, pytest.approx(3.7, abs=0.005))


def test_a_new_review_moves_a_provider_in_a_customers_quote(
    db: psycopg.Connection[Any], customer: uuid.UUID
) -> None:
    # two identical shops, one a little nearer: it ranks first until reviews tell them apart
    lat, lng = catalog.PLATEAU
    near = bk.open_shop(db, lat=lat + 0.0010, lng=lng)
    far = bk.open_shop(db, lat=lat + 0.0011, lng=lng)
    start = catalog.next_weekday(3, at="11:00")

    def order() -> list[uuid.UUID]:
        with as_user(db, "customer", customer):
            rows = db.execute(
                "select provider_id from internal.quote('haircut', %s, %s, %s, 1, 10) order by rank",
                (lat, lng, start),
            ).fetchall()
        return [r[0] for r in rows if r[0] in (near.provider_id, far.provider_id)]

    assert order() == [near.provider_id, far.provider_id]
    reviewer = create_user(db, "customer")
    call_as(db, "customer", reviewer, REVIEW, completed(db, far, reviewer), 5, None)
    assert order() == [far.provider_id, near.provider_id], "a 5-star review lifts the farther one"
    critic = create_user(db, "customer")
    call_as(db, "customer", critic, REVIEW, completed(db, far, critic), 1, None)
    call_as(db, "customer", critic, REVIEW, completed(db, far, critic, 3), 1, None)
    assert order() == [near.provider_id, far.provider_id], "1-star reviews drop it again"


# --- reliability -----------------------------------------------------------------------------


def test_reliability_figures_equal_a_recount_of_the_bookings(
    db: psycopg.Connection[Any], shop: bk.Shop
) -> None:
    start = catalog.next_weekday(1, at="09:00", min_days=5)
    for i in range(3):
        completed(db, shop, create_user(db, "customer"), days_ago=2 + i)
    gone = catalog.add_booking(db, shop.service_id, _past(6))
    db.execute("select internal.transition_booking(%s, 'no_show', 'provider')", (gone,))
    live = [catalog.add_booking(db, shop.service_id, start + timedelta(hours=i)) for i in range(4)]
    db.execute(
        "select internal.transition_booking(%s, 'cancelled', 'provider', 'sick')", (live[0],)
    )
    db.execute(
        "select internal.transition_booking(%s, 'cancelled', 'provider', 'sick')", (live[1],)
    )
    db.execute("select internal.transition_booking(%s, 'cancelled', 'customer')", (live[2],))
    stored = db.execute(
        """
        select ended_bookings, provider_cancellations, no_shows, provider_cancellation_rate, no_show_rate
        from app.providers where id = %s
        """,
        (shop.provider_id,),
    ).fetchone()
    recount = db.execute(
        """
        select n, c, s, round((c + 0.4) / (n + 20), 4), round((s + 0.4) / (n + 20), 4)
        from (
            select count(*) filter (where status in ('completed', 'no_show', 'cancelled')) as n,
                   count(*) filter (where status = 'cancelled' and cancelled_by_role = 'provider') as c,
                   count(*) filter (where status = 'no_show') as s
            from app.bookings where provider_id = %s
        ) as t
        """,
        (shop.provider_id,),
    ).fetchone()
    assert stored == recount
    assert stored is not None and stored[:3] == (7, 2, 1)
    # a deleted booking stops counting
    db.execute("delete from app.bookings where id = %s", (live[2],))
    assert one(db, "select ended_bookings from app.providers where id = %s", shop.provider_id) == 6


def test_customers_and_anonymous_callers_see_the_reliability_facts(
    db: psycopg.Connection[Any], shop: bk.Shop, customer: uuid.UUID
) -> None:
    fresh = call_as(
        db,
        "anon",
        None,
        "select to_jsonb(p) from api.providers as p where id = %s",
        shop.provider_id,
    )
    assert (fresh["ended_bookings"], fresh["provider_cancellation_rate"]) == (0, 0.02)
    b = catalog.add_booking(db, shop.service_id, catalog.next_weekday(2, at="10:00"))
    db.execute("select internal.transition_booking(%s, 'cancelled', 'provider', 'sick')", (b,))
    seen = call_as(
        db,
        "customer",
        customer,
        "select to_jsonb(p) from api.providers as p where id = %s",
        shop.provider_id,
    )
    assert (seen["ended_bookings"], seen["provider_cancellations"]) == (1, 1)
    assert seen["provider_cancellation_rate"] == pytest.approx(round(1.4 / 21, 4))
