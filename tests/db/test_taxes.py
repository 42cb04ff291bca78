"""Quebec's sales taxes: GST 5% and QST 9.975% on the price, each rounded half up to the
cent, charged only by a registered provider; snapshotted into the booking when it is
made, shown on the quote's offers, and included in what the PaymentIntent asks for."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.db import acting_as, call_as, one
from tests.helpers.factories import create_user

GST = "123456782RT0001"  # 123456782 is a Luhn-valid business number
QST = "1234567890TQ0001"
REGISTER = "select internal.set_tax_registration(%s, %s)"


def register(db: psycopg.Connection[Any], shop: bk.Shop, gst: str | None, qst: str | None) -> Any:
    return call_as(db, "provider", shop.owner_id, REGISTER, gst, qst)


def refused(db: psycopg.Connection[Any], shop: bk.Shop, gst: Any, qst: Any) -> tuple[Any, str]:
    with pytest.raises(psycopg.Error) as err:
        register(db, shop, gst, qst)
    return (err.value.sqlstate, err.value.diag.message_hint), str(err.value.diag.message_primary)


@pytest.mark.parametrize(
    ("price", "gst", "qst"),
    [
        (0, 0, 0),
        (1, 0, 0),  # 0.05 and 0.09975: both round down
        (10, 1, 1),  # 0.5 rounds up (half up); 0.9975 up
        (30, 2, 3),  # 1.5 half up; 2.9925
        (1000, 50, 100),  # 99.75
        (2000, 100, 200),  # 199.5: QST's half rounds up
        (4010, 201, 400),  # 200.5: GST's half rounds up; 399.9975
        (4500, 225, 449),  # 448.875
        (12345, 617, 1231),  # 617.25; 1231.41375
        (100000000, 5000000, 9975000),
    ],
)
def test_each_tax_is_rounded_half_up_to_the_cent_on_its_own(
    db: psycopg.Connection[Any], price: int, gst: int, qst: int
) -> None:
    row = db.execute(
        "select internal.tax_cents(%s, r.gst_rate), internal.tax_cents(%s, r.qst_rate)"
        " from internal.tax_rates() as r",
        (price, price),
    ).fetchone()
    assert row == (gst, qst)


def test_a_registered_providers_quote_shows_the_taxes_and_the_booking_charges_them(
    db: psycopg.Connection[Any],
) -> None:
    shop = bk.open_shop(db, price_cents=4500, deposit_cents=0)
    assert register(db, shop, "123 456 782 RT 0001", "1234567890-TQ-0001") == {
        "provider_id": str(shop.provider_id),
        "gst_number": GST,
        "qst_number": QST,
        "gst_rate": 0.05,
        "qst_rate": 0.09975,
        "charges_taxes": True,
        "rates": {"gst": 0.05, "qst": 0.09975},
    }
    customer = create_user(db, "customer")
    start = catalog.next_weekday(2, at="10:00")
    quote_id = bk.quote(db, customer, shop, start)
    with acting_as(db, "customer", customer):
        offer = (
            db.cursor(row_factory=dict_row)
            .execute(
                "select price_cents, gst_cents, qst_cents, total_cents, gst_number, qst_number"
                " from api.my_quote_offers where quote_id = %s",
                (quote_id,),
            )
            .fetchone()
        )
    assert offer == {
        "price_cents": 4500,
        "gst_cents": 225,
        "qst_cents": 449,
        "total_cents": 5174,
        "gst_number": GST,
        "qst_number": QST,
    }
    b = bk.confirm(db, customer, quote_id, shop.provider_id)
    assert b["payment"]["amount_cents"] == 5174
    snapshot = db.execute(
        "select gst_rate::text, qst_rate::text, gst_number, qst_number, gst_cents, qst_cents"
        " from app.bookings where id = %s",
        (b["id"],),
    ).fetchone()
    assert snapshot == ("0.05000", "0.09975", GST, QST, 225, 449)
    assert bk.pay(db, b) == "booking confirmed"


def test_an_unregistered_provider_charges_no_tax(db: psycopg.Connection[Any]) -> None:
    shop = bk.open_shop(db, price_cents=4500, deposit_cents=0)
    b = bk.book(db, shop, catalog.next_weekday(2, at="10:00"))
    assert b["payment"]["amount_cents"] == 4500
    row = db.execute(
        "select gst_cents, qst_cents, gst_number, qst_number, gst_rate::text from app.bookings"
        " where id = %s",
        (b["id"],),
    ).fetchone()
    assert row == (0, 0, None, None, "0.00000")
    reg = call_as(db, "provider", shop.owner_id, "select internal.my_tax_registration()")
    assert reg["charges_taxes"] is False and reg["gst_rate"] == 0
    # the rates in force all the same: what registering would make it charge
    assert reg["rates"] == {"gst": 0.05, "qst": 0.09975}


def test_a_provider_registered_for_gst_only_charges_gst_only(db: psycopg.Connection[Any]) -> None:
    shop = bk.open_shop(db, price_cents=2000, deposit_cents=0)
    register(db, shop, GST, "")
    b = bk.book(db, shop, catalog.next_weekday(2, at="10:00"))
    assert b["payment"]["amount_cents"] == 2100


def test_a_deposit_carries_the_taxes_of_its_own_amount(db: psycopg.Connection[Any]) -> None:
    shop = bk.open_shop(db, price_cents=4500, deposit_cents=1010)
    register(db, shop, GST, QST)
    b = bk.book(db, shop, catalog.next_weekday(2, at="10:00"))
    # 1010 + 50.5 -> 51 + 100.7475 -> 101
    assert b["payment"]["amount_cents"] == 1162
    row = db.execute(
        "select c.* from app.bookings as b cross join internal.booking_first_charge(b) as c"
        " where b.id = %s",
        (b["id"],),
    ).fetchone()
    assert row == (1010, 51, 101, 1162)


def test_a_booking_keeps_its_taxes_when_the_registration_changes(
    db: psycopg.Connection[Any],
) -> None:
    shop = bk.open_shop(db, price_cents=1000, deposit_cents=0)
    register(db, shop, GST, QST)
    b = bk.book(db, shop, catalog.next_weekday(2, at="10:00"))
    assert register(db, shop, None, None)["charges_taxes"] is False
    assert one(db, "select gst_cents + qst_cents from app.bookings where id = %s", b["id"]) == 150
    later = bk.book(db, shop, catalog.next_weekday(3, at="10:00"))
    assert later["payment"]["amount_cents"] == 1000
    with pytest.raises(psycopg.Error) as err:
        db.execute("update app.bookings set gst_cents = 0 where id = %s", (b["id"],))
    assert err.value.diag.message_hint == "invalid_input"


@pytest.mark.parametrize(
    ("gst", "qst", "field"),
    [
        ("123456789RT0001", None, "gst_number"),  # the business number's check digit is wrong
        ("12345678RT0001", None, "gst_number"),
        ("123456782RC0001", None, "gst_number"),  # RC is corporate income tax, not GST
        ("123456782RT001", None, "gst_number"),
        (None, "123456789TQ0001", "qst_number"),
        (None, "1234567890RT0001", "qst_number"),
        (None, "1234567890TQ00011", "qst_number"),
        ("x" * 5000, None, "gst_number"),
    ],
)
def test_a_malformed_registration_number_is_refused_naming_the_field(
    db: psycopg.Connection[Any], gst: Any, qst: Any, field: str
) -> None:
    shop = bk.open_shop(db)
    (state, message) = refused(db, shop, gst, qst)
    assert state == ("PT400", "invalid_input")
    assert message.startswith(field)
    assert one(db, "select count(*) from app.provider_tax_registrations") == 0


def test_only_a_provider_with_a_profile_registers(db: psycopg.Connection[Any]) -> None:
    shop = bk.open_shop(db)
    customer = create_user(db, "customer")
    for role, sub in (("customer", customer), ("anon", None)):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            call_as(db, role, sub, "select api.set_tax_registration(%s, %s)", GST, QST)
    with pytest.raises(psycopg.Error) as err:
        call_as(db, "provider", create_user(db, "provider"), REGISTER, GST, QST)
    assert err.value.diag.message_hint == "not_found"
    assert register(db, shop, GST, None)["gst_number"] == GST
    # another provider reads only its own (none)
    other = bk.open_shop(db)
    mine = call_as(db, "provider", other.owner_id, "select internal.my_tax_registration()")
    assert mine["gst_number"] is None and mine["provider_id"] == str(other.provider_id)


def test_nobody_but_ops_reads_the_registrations_table(db: psycopg.Connection[Any]) -> None:
    shop = bk.open_shop(db)
    register(db, shop, GST, QST)
    for role, sub in (("customer", create_user(db, "customer")), ("provider", shop.owner_id)):
        with acting_as(db, role, sub), pytest.raises(psycopg.errors.InsufficientPrivilege):
            db.execute("select * from app.provider_tax_registrations")
    with acting_as(db, "ops", uuid.uuid4()):
        assert one(db, "select count(*) from app.provider_tax_registrations") == 1


@pytest.mark.parametrize(
    ("tax", "refunded", "charged", "share"),
    [
        (51, 500, 1162, 22),  # 21.94 rounds down
        (101, 500, 1162, 43),  # 43.46 rounds down
        (10, 5, 20, 3),  # 2.5: the half rounds up
        (10, 1, 20, 1),  # 0.5 rounds up
        (100, 1162, 1162, 100),  # a full refund gives all the tax back
        (100, 0, 1162, 0),
        (0, 500, 1162, 0),  # a small supplier charged none
    ],
)
def test_a_refunds_tax_share_is_proportional_and_rounded_half_up(
    db: psycopg.Connection[Any], tax: int, refunded: int, charged: int, share: int
) -> None:
    row = db.execute(
        "select internal.refund_tax_cents(%s, %s, %s)", (tax, refunded, charged)
    ).fetchone()
    assert row == (share,)


def test_refund_tax_shares_on_the_running_total_add_up_to_the_tax(
    db: psycopg.Connection[Any],
) -> None:
    """Three refunds of 1/3 each: each share is the difference the refund makes to the
    rounded share of the running total, so they add up to the tax exactly."""
    shares = []
    before = 0
    for total in (333, 666, 1000):
        row = db.execute("select internal.refund_tax_cents(50, %s, 1000)", (total,)).fetchone()
        assert row is not None
        shares.append(row[0] - before)
        before = row[0]
    assert shares == [17, 16, 17] and sum(shares) == 50


@pytest.mark.parametrize(
    ("price", "deposit", "gst", "qst", "balance"),
    [
        # 3000 + (201 - 51) + (400 - 101): the deposit's taxes are rounded on its own amount
        (4010, 1010, GST, QST, 3449),
        (4500, 1010, GST, QST, 3490 + (225 - 51) + (449 - 101)),
        (2000, 999, GST, "", 1001 + (100 - 50)),  # GST only: 49.95 -> 50
        (4500, 1010, "", "", 3490),  # not registered: no taxes on either part
        (4500, 0, GST, QST, 0),  # no deposit: the first charge is everything
        (4500, 4500, GST, QST, 0),  # the deposit is the price: nothing left
    ],
)
def test_the_offers_balance_after_the_deposit_is_what_the_booking_charges_after(
    db: psycopg.Connection[Any], price: int, deposit: int, gst: str, qst: str, balance: int
) -> None:
    shop = bk.open_shop(db, price_cents=price, deposit_cents=deposit)
    if gst or qst:
        register(db, shop, gst, qst)
    customer = create_user(db, "customer")
    quote_id = bk.quote(db, customer, shop, catalog.next_weekday(2, at="10:00"))
    with acting_as(db, "customer", customer):
        offered = db.execute(
            "select balance_cents, total_cents from api.my_quote_offers where quote_id = %s",
            (quote_id,),
        ).fetchone()
    assert offered is not None
    b = bk.confirm(db, customer, quote_id, shop.provider_id)
    assert offered == (balance, b["payment"]["amount_cents"] + balance)
    # the booking's own figures: the same split, the two parts adding up to its total
    charged = db.execute(
        "select coalesce(r.total_cents, 0), (internal.balance_due_json(b.id) ->> 'balance_cents')::int,"
        " b.price_cents + b.gst_cents + b.qst_cents"
        " from app.bookings as b left join internal.booking_remainder(b) as r on true"
        " where b.id = %s",
        (b["id"],),
    ).fetchone()
    assert charged == (balance, balance, offered[1])
