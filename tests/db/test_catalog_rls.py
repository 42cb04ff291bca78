"""Who sees and edits what in the catalog, by persona: the owner (provider A), another
provider (B), a customer, an anonymous caller and ops. Every route is the api schema
(the only one PostgREST exposes); no API role can even name the app schema."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from tests.helpers.catalog import (
    add_booking,
    add_hours,
    add_time_off,
    create_provider,
    create_service,
)
from tests.helpers.db import acting_as
from tests.helpers.factories import create_user

PRIVATE_PROVIDER_COLUMNS = ("owner_id", "contact_email", "contact_phone")


@dataclass
class World:
    owner: uuid.UUID
    provider: uuid.UUID
    service: uuid.UUID
    hours: uuid.UUID
    time_off: uuid.UUID
    other_owner: uuid.UUID
    other_provider: uuid.UUID
    customer: uuid.UUID
    ops: uuid.UUID


@pytest.fixture
def world(db: psycopg.Connection[Any]) -> World:
    owner, other_owner = create_user(db, "provider"), create_user(db, "provider")
    provider = create_provider(db, owner_id=owner)
    other_provider = create_provider(db, owner_id=other_owner)
    service = create_service(db, provider)
    create_service(db, other_provider)
    add_hours(db, provider, [3], "09:00", "17:00")
    add_hours(db, other_provider, [3], "09:00", "17:00")
    start = datetime(2026, 12, 24, 5, tzinfo=UTC)
    time_off = add_time_off(db, provider, start, start.replace(day=27))
    add_time_off(db, other_provider, start, start.replace(day=27))
    hours = db.execute("select id from app.weekly_hours where provider_id = %s", (provider,))
    row = hours.fetchone()
    assert row is not None
    return World(
        owner=owner,
        provider=provider,
        service=service,
        hours=row[0],
        time_off=time_off,
        other_owner=other_owner,
        other_provider=other_provider,
        customer=create_user(db, "customer"),
        ops=create_user(db, "ops"),
    )


def _ids(db: psycopg.Connection[Any], view: str) -> set[uuid.UUID]:
    return {r[0] for r in db.execute(f"select id from api.{view}")}


def _unchanged(db: psycopg.Connection[Any], table: str, row_id: uuid.UUID) -> dict[str, Any]:
    row = db.execute(
        f"select to_jsonb(t) from app.{table} as t where id = %s", (row_id,)
    ).fetchone()
    assert row is not None
    return dict(row[0])


# --- The owner ---------------------------------------------------------------------


def test_the_owner_sees_its_own_profile_services_hours_and_time_off(
    db: psycopg.Connection[Any], world: World
) -> None:
    with acting_as(db, "provider", world.owner):
        assert _ids(db, "my_provider") == {world.provider}
        assert _ids(db, "my_services") == {world.service}
        assert _ids(db, "my_weekly_hours") == {world.hours}
        assert _ids(db, "my_time_off") == {world.time_off}
        row = db.execute("select contact_email, contact_phone from api.my_provider").fetchone()
        assert row is not None and row[1] == "+15145550100"


def test_the_owner_edits_its_profile_services_hours_and_time_off(
    db: psycopg.Connection[Any], world: World
) -> None:
    with acting_as(db, "provider", world.owner):
        db.execute("update api.my_provider set business_name = 'New name', lat = 45.5, lng = -73.6")
        db.execute("update api.my_services set price_cents = 7000, deposit_cents = 2000")
        db.execute("update api.my_weekly_hours set start_time = '10:00'")
        db.execute("update api.my_time_off set reason = 'holidays'")
        db.execute(
            "insert into api.my_weekly_hours (provider_id, day_of_week, start_time, end_time) "
            "values (%s, 4, '09:00', '12:00')",
            (world.provider,),
        )
        db.execute("delete from api.my_time_off")
        db.execute(
            "insert into api.my_services (provider_id, category_id, name, duration_minutes, price_cents) "
            "values (%s, 2, 'Beard trim', 20, 2000)",
            (world.provider,),
        )
        assert len(_ids(db, "my_services")) == 2
        assert len(_ids(db, "my_weekly_hours")) == 2
        assert _ids(db, "my_time_off") == set()
        row = db.execute("select business_name, lat, lng from api.my_provider").fetchone()
        assert row == ("New name", 45.5, -73.6)


def test_a_provider_creates_exactly_one_profile_owned_by_itself(
    db: psycopg.Connection[Any],
) -> None:
    me = create_user(db, "provider")
    with acting_as(db, "provider", me):
        row = db.execute(
            "insert into api.my_provider (business_name, lat, lng, time_zone) "
            "values ('Chez moi', 45.52, -73.58, 'America/Toronto') returning id, rating_count"
        ).fetchone()
        assert row is not None and row[1] == 0
        owner = db.execute("select count(*) from api.my_provider").fetchone()
        assert owner == (1,)
        with pytest.raises(psycopg.errors.UniqueViolation), db.transaction():
            db.execute(
                "insert into api.my_provider (business_name, lat, lng) values ('Twice', 45.5, -73.5)"
            )


@pytest.mark.parametrize(
    "statement",
    [
        "update api.my_provider set rating_count = 999",
        "update api.my_provider set rating_avg = 5",
        "update api.my_provider set id = gen_random_uuid()",
        "update api.my_services set provider_id = %(other)s",
        "update api.my_services set currency = 'USD'",
        "update api.my_weekly_hours set provider_id = %(other)s",
        "update api.my_time_off set provider_id = %(other)s",
        "insert into api.my_provider (business_name, lat, lng, rating_count) values ('x', 1, 1, 9)",
    ],
)
def test_a_provider_cannot_write_ratings_owner_ids_or_currency(
    db: psycopg.Connection[Any], world: World, statement: str
) -> None:
    with (
        pytest.raises(psycopg.errors.InsufficientPrivilege),
        acting_as(db, "provider", world.owner),
    ):
        db.execute(statement, {"other": world.other_provider})


def test_the_owner_cannot_be_named_through_the_view(
    db: psycopg.Connection[Any], world: World
) -> None:
    with pytest.raises(psycopg.errors.UndefinedColumn), acting_as(db, "provider", world.owner):
        db.execute("update api.my_provider set owner_id = %s", (world.other_owner,))


# --- Another provider -------------------------------------------------------------


def test_another_provider_cannot_read_the_owners_services_hours_or_time_off(
    db: psycopg.Connection[Any], world: World
) -> None:
    with acting_as(db, "provider", world.other_owner):
        assert world.provider not in _ids(db, "my_provider")
        assert world.service not in _ids(db, "my_services")
        assert world.hours not in _ids(db, "my_weekly_hours")
        assert world.time_off not in _ids(db, "my_time_off")
        assert world.service not in _ids(db, "services")
        assert world.provider not in _ids(db, "providers")


@pytest.mark.parametrize(
    ("statement", "table", "attr"),
    [
        ("update api.my_services set price_cents = 1 where id = %(id)s", "services", "service"),
        ("delete from api.my_services where id = %(id)s", "services", "service"),
        (
            "update api.my_weekly_hours set end_time = '23:00' where id = %(id)s",
            "weekly_hours",
            "hours",
        ),
        ("delete from api.my_weekly_hours where id = %(id)s", "weekly_hours", "hours"),
        ("update api.my_time_off set reason = 'hacked' where id = %(id)s", "time_off", "time_off"),
        ("delete from api.my_time_off where id = %(id)s", "time_off", "time_off"),
        (
            "update api.my_provider set business_name = 'hacked' where id = %(id)s",
            "providers",
            "provider",
        ),
    ],
)
def test_another_provider_cannot_edit_or_delete_the_owners_rows(
    db: psycopg.Connection[Any], world: World, statement: str, table: str, attr: str
) -> None:
    row_id = getattr(world, attr)
    before = _unchanged(db, table, row_id)
    with acting_as(db, "provider", world.other_owner):
        cur = db.execute(statement, {"id": row_id})
        assert cur.rowcount == 0
    assert _unchanged(db, table, row_id) == before


@pytest.mark.parametrize(
    "statement",
    [
        "insert into api.my_services (provider_id, category_id, name, duration_minutes, price_cents) "
        "values (%(id)s, 1, 'Intruder', 30, 100)",
        "insert into api.my_weekly_hours (provider_id, day_of_week, start_time, end_time) "
        "values (%(id)s, 5, '00:00', '01:00')",
        "insert into api.my_time_off (provider_id, during) "
        "values (%(id)s, '[2027-01-01 00:00Z,2027-01-02 00:00Z)')",
    ],
)
def test_another_provider_cannot_add_rows_to_the_owners_provider(
    db: psycopg.Connection[Any], world: World, statement: str
) -> None:
    with pytest.raises(psycopg.Error) as err, acting_as(db, "provider", world.other_owner):
        db.execute(statement, {"id": world.provider})
    # the view's check option or the table's policy refuses it
    assert err.value.sqlstate in ("44000", "42501")


def test_customers_and_anon_cannot_read_private_provider_columns_directly(
    db: psycopg.Connection[Any], world: World
) -> None:
    # (providers and ops hold column grants; row-level security limits providers to their own row)
    for role, sub in [("anon", None), ("customer", world.customer)]:
        with pytest.raises(psycopg.errors.InsufficientPrivilege), acting_as(db, role, sub):
            db.execute("select contact_email from app.providers")


def test_a_provider_reading_the_table_directly_sees_only_its_own_contact_details(
    db: psycopg.Connection[Any], world: World
) -> None:
    with acting_as(db, "provider", world.other_owner):
        rows = db.execute("select id from app.providers where contact_email is not null").fetchall()
    assert [r[0] for r in rows] == [world.other_provider]


# --- Customers and anonymous callers ---------------------------------------------


@pytest.mark.parametrize("role", ["anon", "customer"])
def test_public_views_show_active_providers_without_private_fields(
    db: psycopg.Connection[Any], world: World, role: str
) -> None:
    db.execute("update app.providers set is_active = false where id = %s", (world.other_provider,))
    sub = world.customer if role == "customer" else None
    with acting_as(db, role, sub):
        cur = db.execute("select * from api.providers")
        columns = {c.name for c in cur.description or []}
        ids = {r[0] for r in cur.fetchall()}
        assert ids == {world.provider}
        assert not columns & set(PRIVATE_PROVIDER_COLUMNS)
        assert {"business_name", "lat", "lng", "rating_avg", "time_zone"} <= columns
        assert _ids(db, "services") == {world.service}
        for view in ("my_provider", "my_services", "my_weekly_hours", "my_time_off"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege), db.transaction():
                db.execute(f"select * from api.{view}")


@pytest.mark.parametrize("role", ["anon", "customer"])
def test_customers_and_anonymous_callers_hold_no_privilege_on_private_columns(
    db: psycopg.Connection[Any], role: str
) -> None:
    for column in PRIVATE_PROVIDER_COLUMNS:
        row = db.execute(
            "select has_column_privilege(%s, 'app.providers', %s, 'select')", (role, column)
        ).fetchone()
        assert row == (False,), f"{role} can read providers.{column}"
    for table in ("weekly_hours", "time_off"):
        row = db.execute(
            "select has_any_column_privilege(%s, %s, 'select')", (role, f"app.{table}")
        ).fetchone()
        assert row == (False,), f"{role} can read {table}"


def test_an_inactive_service_is_not_public(db: psycopg.Connection[Any], world: World) -> None:
    db.execute("update app.services set is_active = false where id = %s", (world.service,))
    with acting_as(db, "anon"):
        assert world.service not in _ids(db, "services")


# --- Ops ---------------------------------------------------------------------------


def test_ops_read_every_provider_but_edit_nothing_through_provider_views(
    db: psycopg.Connection[Any], world: World
) -> None:
    with acting_as(db, "ops", world.ops):
        assert {world.provider, world.other_provider} <= _ids(db, "providers")
        with pytest.raises(psycopg.errors.InsufficientPrivilege), db.transaction():
            db.execute("update api.my_services set price_cents = 1")


# --- Bookings ----------------------------------------------------------------------


def test_bookings_are_visible_to_their_customer_their_provider_and_ops_only(
    db: psycopg.Connection[Any], world: World
) -> None:
    booking = add_booking(
        db, world.service, datetime(2026, 12, 2, 15, tzinfo=UTC), customer_id=world.customer
    )
    stranger = create_user(db, "customer")
    sees = {}
    for name, role, sub in [
        ("customer", "customer", world.customer),
        ("stranger", "customer", stranger),
        ("owner", "provider", world.owner),
        ("other provider", "provider", world.other_owner),
        ("ops", "ops", world.ops),
    ]:
        sees[name] = _booking_visible(db, role, sub, booking)
    assert sees == {
        "customer": True,
        "stranger": False,
        "owner": True,
        "other provider": False,
        "ops": True,
    }


def _booking_visible(
    db: psycopg.Connection[Any], role: str, sub: uuid.UUID, booking: uuid.UUID
) -> bool:
    """Read app.bookings as ``role`` the way an api view (security_invoker) will."""
    with db.transaction(force_rollback=True):
        db.execute(
            "select set_config('request.jwt.claims', %s, true)",
            (f'{{"role": "{role}", "sub": "{sub}"}}',),
        )
        # the api views of the booking flow are invoker views over app.bookings:
        # grant this role schema usage inside the rolled-back transaction only
        db.execute(
            psycopg.sql.SQL("grant usage on schema app to {}").format(psycopg.sql.Identifier(role))
        )
        db.execute(psycopg.sql.SQL("set local role {}").format(psycopg.sql.Identifier(role)))
        row = db.execute("select count(*) from app.bookings where id = %s", (booking,)).fetchone()
        return row == (1,)


@pytest.mark.parametrize("role", ["anon", "customer", "provider", "ops"])
def test_no_api_role_may_write_bookings_directly(db: psycopg.Connection[Any], role: str) -> None:
    for privilege in ("insert", "update", "delete"):
        row = db.execute(
            "select has_table_privilege(%s, 'app.bookings', %s)", (role, privilege)
        ).fetchone()
        assert row == (False,), f"{role} may {privilege} bookings"
    for privilege in ("insert", "update"):
        row = db.execute(
            "select has_any_column_privilege(%s, 'app.bookings', %s)", (role, privilege)
        ).fetchone()
        assert row == (False,), f"{role} may {privilege} bookings"
