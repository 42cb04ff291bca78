"""OWASP API3/API6: writes through the views cannot set what the caller does not own:
status, prices of a booking, customer_id, provider_id, owner_id, ratings, refund
amounts. Each attempt is refused or has no effect, checked on the row after; the
audit log is append-only for every role but its owner."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql

from tests.helpers import api as api_helper
from tests.security.conftest import World

# Columns no API role may write through any api view, whatever the view.
NEVER_WRITABLE = {
    "status",
    "customer_id",
    "owner_id",
    "rating_avg",
    "rating_count",
    "amount_cents",
    "refunded_cents",
    "refund_cents",
    "hold_expires_at",
    "cancelled_at",
}


def row(db: psycopg.Connection[Any], query: str, *args: Any) -> tuple[Any, ...]:
    r = db.execute(query, args).fetchone()
    assert r is not None
    return tuple(r)


def test_no_api_role_holds_insert_or_update_on_a_sensitive_column_of_any_view(
    world: World,
) -> None:
    rows = world.db.execute(
        """
        select c.relname, a.attname, r.rolname, p.privilege
        from pg_catalog.pg_class as c
        join pg_catalog.pg_attribute as a on a.attrelid = c.oid and a.attnum > 0
        cross join (values ('anon'), ('customer'), ('provider'), ('ops')) as r (rolname)
        cross join (values ('INSERT'), ('UPDATE')) as p (privilege)
        where c.relnamespace = 'api'::regnamespace and c.relkind = 'v'
          and a.attname = any(%s)
          and pg_catalog.has_column_privilege(r.rolname, c.oid, a.attnum, p.privilege)
        """,
        (list(NEVER_WRITABLE),),
    ).fetchall()
    assert rows == []


def test_customer_cannot_rewrite_her_own_booking(world: World) -> None:
    booking_id = world.a.private["booking"]
    query = "select status, price_cents, customer_id, provider_id from app.bookings where id = %s"
    before = row(world.db, query, booking_id)
    for body in (
        {"status": "confirmed"},
        {"price_cents": 0},
        {"customer_id": str(world.b.user_id)},
        {"provider_id": str(world.p2.provider_id)},
    ):
        resp = httpx.patch(
            f"{world.url}/my_bookings",
            params={"id": f"eq.{booking_id}"},
            json=body,
            headers=world.a.headers,
        )
        assert resp.status_code in (401, 403), (body, resp.status_code, resp.text)
    resp = httpx.post(
        f"{world.url}/my_bookings",
        json={"status": "confirmed", "customer_id": str(world.a.user_id), "price_cents": 0},
        headers=world.a.headers,
    )
    assert resp.status_code in (401, 403), resp.text
    assert row(world.db, query, booking_id) == before


def test_provider_cannot_set_its_ratings_or_owner(world: World) -> None:
    query = "select owner_id, rating_avg, rating_count, is_active from app.providers where id = %s"
    before = row(world.db, query, world.p1.provider_id)
    for body in (
        {"rating_avg": 5, "rating_count": 999},
        {"owner_id": str(world.p2.user_id)},
        {"id": str(world.p2.provider_id)},
    ):
        resp = httpx.patch(f"{world.url}/my_provider", json=body, headers=world.p1.headers)
        assert resp.status_code in (400, 401, 403), (body, resp.status_code, resp.text)
    assert row(world.db, query, world.p1.provider_id) == before


def test_a_new_provider_cannot_start_with_ratings_or_another_owner(world: World) -> None:
    newcomer = api_helper.signup(world.url, "provider")
    base = {
        "business_name": "Fresh",
        "lat": 45.5,
        "lng": -73.6,
        "time_zone": "America/Toronto",
        "service_radius_km": 5,
    }
    for extra in ({"rating_avg": 5, "rating_count": 500}, {"owner_id": str(world.p2.user_id)}):
        resp = httpx.post(
            f"{world.url}/my_provider", json={**base, **extra}, headers=newcomer.headers
        )
        assert resp.status_code in (400, 401, 403), (extra, resp.status_code, resp.text)
    assert row(world.db, "select count(*) from app.providers where owner_id = %s", newcomer.id) == (
        0,
    )


@pytest.mark.parametrize(
    ("view", "body"),
    [
        (
            "my_services",
            {
                "category_id": 1,
                "name": "Squat",
                "duration_minutes": 30,
                "price_cents": 100,
                "deposit_cents": 0,
            },
        ),
        ("my_weekly_hours", {"day_of_week": 1, "start_time": "01:00", "end_time": "02:00"}),
        ("my_time_off", {"during": "[2031-01-01 00:00+00,2031-01-02 00:00+00)", "reason": "x"}),
    ],
)
def test_provider_cannot_create_rows_for_another_provider(
    world: World, view: str, body: dict[str, Any]
) -> None:
    table = {
        "my_services": "services",
        "my_weekly_hours": "weekly_hours",
        "my_time_off": "time_off",
    }[view]
    count = sql.SQL("select count(*) from {} where provider_id = %s").format(
        sql.Identifier("app", table)
    )
    before = world.db.execute(count, (world.p2.provider_id,)).fetchone()
    resp = httpx.post(
        f"{world.url}/{view}",
        json={**body, "provider_id": str(world.p2.provider_id)},
        headers=world.p1.headers,
    )
    assert resp.status_code in (400, 401, 403, 404), resp.text
    assert world.db.execute(count, (world.p2.provider_id,)).fetchone() == before


def test_provider_cannot_move_its_service_to_another_provider(world: World) -> None:
    resp = httpx.patch(
        f"{world.url}/my_services",
        params={"id": f"eq.{world.p1.service_id}"},
        json={"provider_id": str(world.p2.provider_id)},
        headers=world.p1.headers,
    )
    assert resp.status_code in (400, 401, 403), resp.text
    assert row(
        world.db, "select provider_id from app.services where id = %s", world.p1.service_id
    ) == (world.p1.provider_id,)


def test_sign_up_cannot_choose_the_ops_role_and_update_me_cannot_change_a_role(
    world: World,
) -> None:
    resp = httpx.post(
        f"{world.url}/rpc/signup",
        json={
            "email": api_helper.unique_email("ops"),
            "password": api_helper.PASSWORD,
            "full_name": "X",
            "role": "ops",
        },
    )
    assert resp.status_code == 400, resp.text
    resp = httpx.post(f"{world.url}/rpc/update_me", json={"role": "ops"}, headers=world.a.headers)
    assert 400 <= resp.status_code < 500, resp.text
    assert row(world.db, "select role from app.users where id = %s", world.a.user_id) == (
        "customer",
    )


@pytest.mark.parametrize("role", ["anon", "customer", "provider", "ops", "bookiji_worker"])
def test_the_audit_log_is_append_only_for(world: World, role: str) -> None:
    for statement in (
        "insert into audit.action_log (actor_role, action, table_name) values ('x', 'x', 'x')",
        "update audit.action_log set action = 'tampered'",
        "delete from audit.action_log",
        "truncate audit.action_log",
    ):
        with world.db.transaction(force_rollback=True):
            world.db.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                world.db.execute(statement)


def test_the_audit_log_owner_can_still_maintain_it(world: World) -> None:
    owner = row(
        world.db,
        "select pg_catalog.pg_get_userbyid(relowner) from pg_catalog.pg_class where oid = 'audit.action_log'::regclass",
    )[0]
    with world.db.transaction(force_rollback=True):
        world.db.execute(sql.SQL("set local role {}").format(sql.Identifier(owner)))
        world.db.execute("delete from audit.action_log where false")
