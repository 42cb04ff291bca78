"""OWASP API1/API3/API5: every api view and function, enumerated from the catalogue,
called over HTTP by each party with another party's ids. Nobody learns what they
did not send, nobody changes another party's rows, and what a role may not execute
answers 401/403/404."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
import pytest

from tests.helpers.leaks import names_private
from tests.security.conftest import World

SNAPSHOT_TABLES = [
    "app.users",
    "app.providers",
    "app.services",
    "app.weekly_hours",
    "app.time_off",
    "app.quotes",
    "app.quote_items",
    "app.bookings",
    "app.payments",
    "app.refunds",
    "app.notifications",
    "app.notification_preferences",
    "app.events",
    "app.reviews",
]


@dataclass
class Function:
    name: str
    volatile: bool
    args: list[tuple[str, str]]  # (name, type) of the input arguments
    oid: int


def api_functions(db: psycopg.Connection[Any]) -> list[Function]:
    rows = db.execute(
        """
        select p.proname, p.provolatile = 'v', p.oid::int,
               coalesce(p.proargnames[1:p.pronargs], '{}'),
               array(select pg_catalog.format_type(t, null) from unnest(p.proargtypes) as t)
        from pg_catalog.pg_proc as p
        where p.pronamespace = 'api'::regnamespace
        order by p.proname
        """
    ).fetchall()
    return [
        Function(name, vol, list(zip(names or [""] * len(types), types, strict=True)), oid)
        for name, vol, oid, names, types in rows
    ]


def api_views(db: psycopg.Connection[Any]) -> dict[str, list[str]]:
    rows = db.execute(
        """
        select c.relname, array_agg(a.attname::text order by a.attnum)
        from pg_catalog.pg_class as c
        join pg_catalog.pg_attribute as a on a.attrelid = c.oid and a.attnum > 0
        where c.relnamespace = 'api'::regnamespace and c.relkind = 'v'
        group by c.relname order by 1
        """
    ).fetchall()
    return {name: list(cols) for name, cols in rows}


def snapshot(db: psycopg.Connection[Any]) -> dict[str, str]:
    out = {}
    for table in SNAPSHOT_TABLES:
        row = db.execute(
            f"select md5(coalesce(string_agg(t::text, ',' order by t::text), '')) from {table} as t"
        ).fetchone()
        assert row is not None
        out[table] = str(row[0])
    return out


def value_for(w: World, name: str, type_: str) -> Any:
    """An argument aimed at the other parties: B's and P2's ids wherever an id is asked."""
    by_name: dict[str, Any] = {
        "booking_id": w.b.private["booking"],
        "review_id": w.b.private["review"],
        "quote_id": w.b.private["quote"],
        "provider_id": str(w.p2.provider_id),
        "service_id": str(w.p2.service_id),
        "queue": "payments",
        "category": "haircut",
        "email": w.b.email,
        "lat": 45.5,
        "lng": -73.58,
        "radius_km": 1,
        "from": "2030-01-01T00:00:00Z",
        "to": "2030-01-02T00:00:00Z",
        "starts_at": "2030-01-01T15:00:00Z",
        # analytics: a valid range, so that the call reaches the figures
        "tz": "America/Toronto",
        "group_by": "day",
    }
    if name in by_name:
        return by_name[name]
    return {
        "uuid": w.b.private["booking"],
        "integer": 10,
        "bigint": 1,
        "double precision": 1.0,
        "boolean": True,
        "timestamp with time zone": "2030-01-01T15:00:00Z",
        "json": {},
        "jsonb": {},
    }.get(type_, "x")


def call(w: World, fn: Function, headers: dict[str, str]) -> tuple[httpx.Response, str]:
    params = {name: value_for(w, name, type_) for name, type_ in fn.args}
    url = f"{w.url}/rpc/{fn.name}"
    if fn.args and not fn.args[0][0]:  # one unnamed json argument (the webhook)
        resp = httpx.post(url, json={}, headers=headers, timeout=30)
        return resp, "{}"
    if not fn.volatile:
        resp = httpx.get(
            url, params={k: str(v) for k, v in params.items()}, headers=headers, timeout=30
        )
    else:
        resp = httpx.post(url, json=params, headers=headers, timeout=30)
    return resp, json.dumps(params)


def leaks(body: str, sent: str, secrets: dict[str, str]) -> list[str]:
    """Secrets in a response that the request did not carry itself."""
    return [k for k, v in secrets.items() if v in body and v not in sent]


def personas(w: World) -> list[tuple[str, dict[str, str], dict[str, str]]]:
    """(name, headers, what this persona must never learn)."""
    others = {
        **{f"b.{k}": v for k, v in w.b.private.items()},
        **{f"p2.{k}": v for k, v in w.p2.private.items()},
    }
    everyone = {
        **others,
        **{f"a.{k}": v for k, v in w.a.private.items()},
        **{f"p1.{k}": v for k, v in w.p1.private.items()},
    }
    return [
        ("customer A", w.a.headers, others),
        ("provider P1", w.p1.headers, others),
        ("anonymous", {}, everyone),
    ]


def role_of(persona: str) -> str:
    return {"customer A": "customer", "provider P1": "provider", "anonymous": "anon"}[persona]


def can_execute(db: psycopg.Connection[Any], role: str, oid: int) -> bool:
    row = db.execute(
        "select has_function_privilege(%s, %s::oid, 'execute')", (role, oid)
    ).fetchone()
    return bool(row and row[0])


def test_the_sweep_knows_the_api_it_sweeps(world: World) -> None:
    fns = {f.name for f in api_functions(world.db)}
    assert {"booking_payment", "confirm_booking", "dlq_list", "me", "quote"} <= fns
    assert "my_bookings" in api_views(world.db)


def test_customer_a_sees_her_own_booking_so_the_sweep_is_not_vacuous(world: World) -> None:
    resp = httpx.get(f"{world.url}/my_bookings", headers=world.a.headers)
    assert resp.status_code == 200
    assert world.a.private["booking"] in resp.text
    resp = httpx.get(f"{world.url}/my_bookings", headers=world.p2.headers)
    assert world.b.private["booking"] in resp.text


@pytest.mark.parametrize("persona", ["customer A", "provider P1", "anonymous"])
def test_no_api_function_gives_another_partys_data_to(world: World, persona: str) -> None:
    name, headers, secrets = next(p for p in personas(world) if p[0] == persona)
    problems = []
    fns = api_functions(world.db)
    # logout last: it ends nothing here (minted tokens carry no session), but stay safe
    for fn in sorted(fns, key=lambda f: f.name == "logout"):
        resp, sent = call(world, fn, headers)
        if resp.status_code >= 500:
            problems.append(f"{fn.name}: {resp.status_code} {resp.text[:200]}")
        if found := leaks(resp.text, sent, secrets):
            problems.append(f"{fn.name}: {resp.status_code} leaks {found}")
        if names_private(resp):
            problems.append(f"{fn.name}: {resp.status_code} names the schema: {resp.text[:200]}")
        if not can_execute(world.db, role_of(name), fn.oid) and resp.status_code not in (
            401,
            403,
            404,
        ):
            problems.append(f"{fn.name}: not executable by {role_of(name)} yet {resp.status_code}")
    assert not problems, f"{name} across {len(fns)} functions:\n" + "\n".join(problems)


@pytest.mark.parametrize("persona", ["customer A", "provider P1", "anonymous"])
def test_no_api_view_shows_another_partys_rows_to(world: World, persona: str) -> None:
    _name, headers, secrets = next(p for p in personas(world) if p[0] == persona)
    problems = []
    for view in api_views(world.db):
        resp = httpx.get(f"{world.url}/{view}", params={"select": "*"}, headers=headers, timeout=30)
        if resp.status_code >= 500:
            problems.append(f"{view}: {resp.status_code}")
        elif resp.status_code == 200 and (found := leaks(resp.text, "", secrets)):
            problems.append(f"{view}: leaks {found}")
        elif resp.status_code not in (200, 401, 403, 404):
            problems.append(f"{view}: unexpected {resp.status_code} {resp.text[:200]}")
    assert not problems, "\n".join(problems)


# A body per view that would change a row if the filter reached one.
PATCHES = {
    "events": {"payload": {"pwned": True}},
    "my_bookings": {"status": "cancelled"},
    "my_provider": {"business_name": "pwned"},
    "my_services": {"name": "pwned"},
    "my_time_off": {"reason": "pwned"},
    "my_weekly_hours": {"end_time": "18:00"},
    "my_quote_offers": {"price_cents": 1},
    "payment_mismatches": {"received_cents": 1000},
    "providers": {"business_name": "pwned"},
    "services": {"name": "pwned"},
    "service_categories": {"name_en": "pwned"},
    "reviews": {"stars": 1},
    "my_reviews": {"stars": 1},
}


def foreign_filters(w: World, columns: list[str]) -> list[dict[str, str]]:
    uuids = [v for v in {**w.b.private, **w.p2.private}.values() if _is_uuid(v)]
    uuids += [str(w.p2.provider_id), str(w.p2.service_id)]
    by_column = {
        "id": f"in.({','.join(uuids)})",
        "quote_id": f"eq.{w.b.private['quote']}",
        "provider_id": f"eq.{w.p2.provider_id}",
        "service_id": f"eq.{w.p2.service_id}",
        "customer_id": f"eq.{w.b.user_id}",
    }
    return [{c: f} for c, f in by_column.items() if c in columns]


def _is_uuid(v: str) -> bool:
    try:
        uuid.UUID(v)
    except ValueError:
        return False
    return True


def test_no_party_can_patch_or_delete_another_partys_rows_through_any_view(world: World) -> None:
    views = api_views(world.db)
    assert set(views) <= set(PATCHES), f"add a body for {set(views) - set(PATCHES)}"
    before = snapshot(world.db)
    problems, calls = [], 0
    for name, headers, _ in personas(world):
        for view, columns in views.items():
            for filt in foreign_filters(world, columns):
                for method in ("PATCH", "DELETE"):
                    body = PATCHES[view] if method == "PATCH" else None
                    resp = httpx.request(
                        method,
                        f"{world.url}/{view}",
                        params=filt,
                        json=body,
                        headers=headers,
                        timeout=30,
                    )
                    calls += 1
                    if names_private(resp):
                        problems.append(f"{name} {method} {view}: names the schema: {resp.text}")
                    if resp.status_code >= 500:
                        problems.append(
                            f"{name} {method} {view} {filt}: {resp.status_code} {resp.text[:200]}"
                        )
    assert not problems, "\n".join(problems)
    assert calls > 30
    assert snapshot(world.db) == before


def test_posting_to_any_view_never_fails_with_a_server_error(world: World) -> None:
    """Views joining tables are not updatable: writing to one is a 401/403, not a 500."""
    problems = []
    for name, headers, _ in personas(world):
        for view in api_views(world.db):
            resp = httpx.post(f"{world.url}/{view}", json={}, headers=headers, timeout=30)
            if names_private(resp):
                problems.append(f"{name} POST {view}: names the schema: {resp.text[:200]}")
            if resp.status_code >= 500:
                problems.append(f"{name} POST {view}: {resp.status_code} {resp.text[:200]}")
    assert not problems, "\n".join(problems)


def test_customer_a_cannot_confirm_or_pay_for_customer_bs_quote_or_booking(world: World) -> None:
    resp = httpx.post(
        f"{world.url}/rpc/confirm_booking",
        json={"quote_id": world.b.private["quote"], "provider_id": str(world.p2.provider_id)},
        headers=world.a.headers,
    )
    assert resp.status_code == 404, resp.text
    resp = httpx.get(
        f"{world.url}/rpc/booking_payment",
        params={"booking_id": world.b.private["booking"]},
        headers=world.a.headers,
    )
    assert resp.status_code == 404, resp.text


def test_ops_only_functions_refuse_every_other_role(world: World) -> None:
    # ops-only: what its comment says (some wrappers are granted to every signed-in role,
    # only to refuse all but ops with 403 forbidden)
    ops_only_names = {
        r[0]
        for r in world.db.execute(
            "select p.proname from pg_catalog.pg_proc as p where p.pronamespace = 'api'::regnamespace "
            "and pg_catalog.obj_description(p.oid, 'pg_proc') ilike '%%(ops only)%%'"
        ).fetchall()
    }
    ops_only = [f for f in api_functions(world.db) if f.name in ops_only_names]
    assert {f.name for f in ops_only} >= {
        "dlq_list",
        "dlq_show",
        "dlq_replay",
        "dlq_discard",
        "queue_stats",
        "analytics_overview",
        "analytics_funnel",
        "analytics_cohorts",
        "analytics_customers",
    }
    for name, headers, _ in personas(world):
        for fn in ops_only:
            resp, _ = call(world, fn, headers)
            assert resp.status_code in (401, 403, 404), f"{name} {fn.name}: {resp.status_code}"


def test_no_analytics_rpc_shows_provider_p2s_figures_to_provider_p1(world: World) -> None:
    """Every provider-level analytics RPC, with P2's id or none: P1 gets a refusal or its own."""
    fns = [f for f in api_functions(world.db) if f.name.startswith("analytics_")]
    assert {f.name for f in fns} >= {
        "analytics_provider",
        "analytics_revenue",
        "analytics_bookings",
    }
    own = {"from": "2020-01-01", "to": "2020-12-31", "tz": "America/Toronto", "group_by": "month"}
    for fn in fns:
        # only the arguments the function takes (an unknown key is a 400 naming it);
        # P2's id wherever the function takes a provider, none elsewhere (ops-only ones)
        takes = {name for name, _ in fn.args}
        mine = {k: v for k, v in own.items() if k in takes}
        named_params = (
            {**mine, "provider_id": str(world.p2.provider_id)} if "provider_id" in takes else mine
        )
        named = httpx.get(
            f"{world.url}/rpc/{fn.name}", params=named_params, headers=world.p1.headers, timeout=30
        )
        assert named.status_code in (403, 404), f"{fn.name}: {named.status_code} {named.text}"
        for persona, headers in (("customer A", world.a.headers), ("anonymous", {})):
            resp = httpx.get(f"{world.url}/rpc/{fn.name}", params=mine, headers=headers, timeout=30)
            assert resp.status_code in (401, 403, 404), f"{persona} {fn.name}: {resp.status_code}"
