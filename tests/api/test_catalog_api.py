"""The catalog, availability and quote over HTTP: a real PostgREST, real JWTs.

The API database is shared by the session, so every test makes its own users."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

import bookiji_seed as seed
from tests.helpers import stack
from tests.helpers.api import pgrst
from tests.helpers.auth import bearer, mint
from tests.helpers.catalog import PLATEAU, next_weekday
from tests.helpers.factories import create_user

REPRESENTATION = {"Prefer": "return=representation"}


@pytest.fixture(scope="module")
def api_db(api: stack.PostgREST) -> Iterator[psycopg.Connection[Any]]:
    """An owner-level connection to the API's database, with the demo data loaded."""
    with psycopg.connect(api.db_url, autocommit=True) as conn:
        seed.load_demo(conn)
        yield conn


def _provider_token(db: psycopg.Connection[Any]) -> tuple[uuid.UUID, dict[str, str]]:
    user = create_user(db, "provider")
    return user, bearer(mint("provider", user))


@pytest.fixture
def owner(api_url: str, api_db: psycopg.Connection[Any]) -> dict[str, Any]:
    """A provider that set itself up through the API: profile, service, hours, time off."""
    user, headers = _provider_token(api_db)
    profile = httpx.post(
        f"{api_url}/my_provider",
        json={
            "business_name": "Salon du Plateau",
            "lat": PLATEAU[0],
            "lng": PLATEAU[1],
            "time_zone": "America/Toronto",
            "contact_email": "owner@example.test",
            "contact_phone": "+15145550123",
        },
        headers={**headers, **REPRESENTATION},
    )
    assert profile.status_code == 201, profile.text
    provider_id = profile.json()[0]["id"]
    service = httpx.post(
        f"{api_url}/my_services",
        json={
            "provider_id": provider_id,
            "category_id": 1,
            "name": "Coupe",
            "duration_minutes": 45,
            "price_cents": 5500,
            "deposit_cents": 1000,
            "cancel_fee_cents": 2000,
            "min_notice_minutes": 0,
        },
        headers={**headers, **REPRESENTATION},
    )
    assert service.status_code == 201, service.text
    hours = httpx.post(
        f"{api_url}/my_weekly_hours",
        json=[
            {
                "provider_id": provider_id,
                "day_of_week": d,
                "start_time": "09:00",
                "end_time": "17:00",
            }
            for d in range(7)
        ],
        headers={**headers, **REPRESENTATION},
    )
    assert hours.status_code == 201, hours.text
    off = httpx.post(
        f"{api_url}/my_time_off",
        json={
            "provider_id": provider_id,
            "during": '["2027-01-01 00:00-05","2027-01-02 00:00-05")',
            "reason": "New Year",
        },
        headers={**headers, **REPRESENTATION},
    )
    assert off.status_code == 201, off.text
    return {
        "user": user,
        "headers": headers,
        "provider_id": provider_id,
        "service_id": service.json()[0]["id"],
        "hours_id": hours.json()[0]["id"],
        "time_off_id": off.json()[0]["id"],
    }


def test_the_openapi_document_describes_the_catalog(
    api_url: str, api_db: psycopg.Connection[Any]
) -> None:
    # PostgREST lists what the caller's role may use
    public = httpx.get(f"{api_url}/").json()["paths"]
    for path in (
        "/providers",
        "/services",
        "/service_categories",
        "/rpc/available_slots",
    ):
        assert path in public, path
    assert "/rpc/quote" not in public  # customers only
    customer = httpx.get(f"{api_url}/", headers=bearer(mint("customer"))).json()["paths"]
    assert "Ranked providers" in str(customer["/rpc/quote"])
    assert "Bookable start times" in str(public["/rpc/available_slots"])
    _, headers = _provider_token(api_db)
    own = httpx.get(f"{api_url}/", headers=headers).json()["paths"]
    for path in ("/my_provider", "/my_services", "/my_weekly_hours", "/my_time_off"):
        assert path in own, path
    assert "/my_provider" not in public


# --- Provider self-service ------------------------------------------------------------


def test_a_provider_sets_itself_up_and_sees_only_its_own_rows(
    api_url: str, owner: dict[str, Any]
) -> None:
    client = pgrst(api_url, mint("provider", owner["user"]))
    assert client.from_("my_provider").select("id").execute().data == [{"id": owner["provider_id"]}]
    services = client.from_("my_services").select("id").execute().data
    assert services == [{"id": owner["service_id"]}]
    assert len(client.from_("my_weekly_hours").select("day_of_week").execute().data) == 7
    off = client.from_("my_time_off").select("reason").execute().data
    assert off == [{"reason": "New Year"}]


def test_a_provider_edits_its_service_with_patch(api_url: str, owner: dict[str, Any]) -> None:
    client = pgrst(api_url, mint("provider", owner["user"]))
    edited = (
        client.from_("my_services")
        .update({"price_cents": 6000})
        .eq("id", owner["service_id"])
        .execute()
        .data
    )
    assert [s["price_cents"] for s in edited] == [6000]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "my_services?id=eq.{service_id}", None),
        ("PATCH", "my_services?id=eq.{service_id}", {"price_cents": 1}),
        ("DELETE", "my_services?id=eq.{service_id}", None),
        ("PATCH", "my_weekly_hours?id=eq.{hours_id}", {"end_time": "23:00"}),
        ("DELETE", "my_weekly_hours?id=eq.{hours_id}", None),
        ("PATCH", "my_time_off?id=eq.{time_off_id}", {"reason": "hacked"}),
        ("DELETE", "my_time_off?id=eq.{time_off_id}", None),
        ("PATCH", "my_provider?id=eq.{provider_id}", {"business_name": "hacked"}),
    ],
)
def test_another_provider_cannot_read_or_change_the_owners_rows(
    api_url: str,
    api_db: psycopg.Connection[Any],
    owner: dict[str, Any],
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    _, intruder = _provider_token(api_db)
    resp = httpx.request(
        method,
        f"{api_url}/{path.format(**owner)}",
        json=body,
        headers={**intruder, **REPRESENTATION},
    )
    assert resp.status_code in (200, 204, 403, 404), resp.text
    if resp.status_code == 200:
        assert resp.json() == []
    h = owner["headers"]
    assert httpx.get(f"{api_url}/my_services", headers=h).json()[0]["price_cents"] == 5500
    assert len(httpx.get(f"{api_url}/my_weekly_hours", headers=h).json()) == 7
    assert httpx.get(f"{api_url}/my_weekly_hours?end_time=eq.23:00", headers=h).json() == []
    assert [o["reason"] for o in httpx.get(f"{api_url}/my_time_off", headers=h).json()] == [
        "New Year"
    ]
    assert httpx.get(f"{api_url}/my_provider", headers=h).json()[0]["business_name"] == (
        "Salon du Plateau"
    )


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "my_services",
            {"category_id": 1, "name": "Intruder", "duration_minutes": 30, "price_cents": 1},
        ),
        ("my_weekly_hours", {"day_of_week": 1, "start_time": "00:00", "end_time": "01:00"}),
        ("my_time_off", {"during": '["2027-02-01 00:00Z","2027-02-02 00:00Z")'}),
    ],
)
def test_another_provider_cannot_add_rows_to_the_owners_provider(
    api_url: str,
    api_db: psycopg.Connection[Any],
    owner: dict[str, Any],
    path: str,
    body: dict[str, Any],
) -> None:
    _, intruder = _provider_token(api_db)
    resp = httpx.post(
        f"{api_url}/{path}", json={**body, "provider_id": owner["provider_id"]}, headers=intruder
    )
    assert resp.status_code in (400, 403), resp.text
    rows = httpx.get(f"{api_url}/{path}", headers=owner["headers"]).json()
    assert len(rows) == {"my_services": 1, "my_weekly_hours": 7, "my_time_off": 1}[path]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"rating_count": 999}, 403),
        ({"rating_avg": 5}, 403),
        ({"owner_id": str(uuid.uuid4())}, 400),
        ({"id": str(uuid.uuid4())}, 403),
    ],
)
def test_mass_assignment_of_ratings_owner_or_id_is_refused(
    api_url: str, owner: dict[str, Any], body: dict[str, Any], status: int
) -> None:
    resp = httpx.patch(f"{api_url}/my_provider", json=body, headers=owner["headers"])
    assert resp.status_code == status, resp.text
    profile = httpx.get(f"{api_url}/my_provider", headers=owner["headers"]).json()[0]
    assert (profile["id"], profile["rating_count"], profile["rating_avg"]) == (
        owner["provider_id"],
        0,
        None,
    )


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("my_provider", {"business_name": "x", "lat": 95, "lng": -73.5}, "lat"),
        ("my_provider", {"business_name": "x", "lat": 45, "lng": -190}, "lng"),
        ("my_provider", {"business_name": "x", "lat": 45, "lng": -73, "time_zone": "Mars/Base"}, "time_zone"),
        ("my_provider", {"business_name": "x", "lat": 45, "lng": -73, "service_radius_km": 0}, "service_radius_km"),
        ("my_provider", {"business_name": "", "lat": 45, "lng": -73}, "business_name"),
        ("my_provider", {"business_name": "x", "lat": "north", "lng": -73}, "double precision"),
    ],
)  # fmt: skip
def test_a_bad_profile_is_a_400_naming_the_field_and_nothing_is_written(
    api_url: str, api_db: psycopg.Connection[Any], path: str, body: dict[str, Any], field: str
) -> None:
    _, headers = _provider_token(api_db)
    resp = httpx.post(f"{api_url}/{path}", json=body, headers=headers)
    assert resp.status_code == 400, resp.text
    assert field in resp.text
    assert httpx.get(f"{api_url}/my_provider", headers=headers).json() == []


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("my_services", {"duration_minutes": 0}, "duration_minutes"),
        ("my_services", {"price_cents": -100}, "price_cents"),
        ("my_services", {"deposit_cents": 9999}, "deposit_cents"),
        ("my_services", {"cancel_fee_cents": 9999}, "cancel_fee_cents"),
        ("my_services", {"buffer_after_minutes": -5}, "buffer_after_minutes"),
        ("my_services", {"duration_minutes": "long"}, "integer"),
        ("my_weekly_hours", {"day_of_week": 2, "start_time": "17:00", "end_time": "09:00"}, "end_time"),
        ("my_weekly_hours", {"day_of_week": 9, "start_time": "09:00", "end_time": "10:00"}, "day_of_week"),
        ("my_weekly_hours", {"day_of_week": 3, "start_time": "16:00", "end_time": "18:00"}, "overlap"),
        ("my_weekly_hours", {"day_of_week": 3, "start_time": "25:00", "end_time": "26:00"}, "out of range"),
        ("my_time_off", {"during": '["2027-01-01 12:00-05","2027-01-03 00:00-05")'}, "overlap"),
        ("my_time_off", {"during": "empty"}, "during"),
        ("my_time_off", {"during": "tomorrow"}, "range literal"),
    ],
)  # fmt: skip
def test_bad_services_hours_and_time_off_are_4xx_naming_the_field_and_nothing_is_written(
    api_url: str, owner: dict[str, Any], path: str, body: dict[str, Any], field: str
) -> None:
    base = {"provider_id": owner["provider_id"]}
    if path == "my_services":
        base |= {"category_id": 1, "name": "Bad", "duration_minutes": 30, "price_cents": 5000}
    resp = httpx.post(f"{api_url}/{path}", json=base | body, headers=owner["headers"])
    assert resp.status_code in (400, 409), resp.text
    assert field in resp.text
    rows = httpx.get(f"{api_url}/{path}", headers=owner["headers"]).json()
    assert len(rows) == {"my_services": 1, "my_weekly_hours": 7, "my_time_off": 1}[path]


def test_an_unknown_time_zone_carries_the_invalid_input_code(
    api_url: str, api_db: psycopg.Connection[Any]
) -> None:
    _, headers = _provider_token(api_db)
    resp = httpx.post(
        f"{api_url}/my_provider",
        json={"business_name": "x", "lat": 45, "lng": -73, "time_zone": "Europe/Atlantis"},
        headers=headers,
    )
    assert resp.status_code == 400
    assert resp.json()["hint"] == "invalid_input"


# --- What customers and anonymous callers see ----------------------------------------


@pytest.mark.parametrize("role", ["anon", "customer"])
def test_public_profiles_never_show_the_owner_or_contact_details(
    api_url: str, api_db: psycopg.Connection[Any], owner: dict[str, Any], role: str
) -> None:
    headers = {} if role == "anon" else bearer(mint("customer", create_user(api_db, "customer")))
    rows = httpx.get(f"{api_url}/providers?id=eq.{owner['provider_id']}", headers=headers).json()
    assert len(rows) == 1
    assert not {"owner_id", "contact_email", "contact_phone"} & set(rows[0])
    assert rows[0]["business_name"] == "Salon du Plateau"
    for column in ("owner_id", "contact_email", "contact_phone"):
        resp = httpx.get(f"{api_url}/providers?select={column}", headers=headers)
        assert resp.status_code == 400, column
    for view in ("my_provider", "my_services", "my_weekly_hours", "my_time_off"):
        resp = httpx.get(f"{api_url}/{view}", headers=headers)
        assert resp.status_code in (401, 403), view
    services = httpx.get(
        f"{api_url}/services?provider_id=eq.{owner['provider_id']}", headers=headers
    ).json()
    assert [s["category"] for s in services] == ["haircut"]
    assert services[0]["cancel_notice_hours"] == 24


def test_everyone_reads_the_categories(api_url: str) -> None:
    rows = httpx.get(f"{api_url}/service_categories").json()
    assert {"slug": "haircut", "name_en": "Haircut", "name_fr": "Coupe de cheveux"}.items() <= (
        next(r for r in rows if r["slug"] == "haircut").items()
    )


# --- Availability ---------------------------------------------------------------------


def test_anonymous_callers_get_available_slots(api_url: str, owner: dict[str, Any]) -> None:
    start = next_weekday(2, at="00:00")
    resp = httpx.get(
        f"{api_url}/rpc/available_slots",
        params={
            "service_id": owner["service_id"],
            "from": start.isoformat(),
            "to": (start + timedelta(days=1)).isoformat(),
            "step_minutes": 60,
        },
    )
    assert resp.status_code == 200, resp.text
    starts = [datetime.fromisoformat(r["starts_at"]).astimezone(start.tzinfo) for r in resp.json()]
    assert [t.strftime("%H:%M") for t in starts] == [f"{h:02d}:00" for h in range(9, 17)]


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"to": "2026-12-01T00:00:00Z"}, 400, "to must be after from"),
        ({"to": "2027-02-01T00:00:00Z"}, 400, "31 days"),
        ({"step_minutes": 1}, 400, "step_minutes"),
        ({"from": "yesterday-ish"}, 400, "timestamp"),
        ({"service_id": str(uuid.uuid4())}, 404, "service_id"),
    ],
)
def test_bad_availability_requests_are_4xx_naming_the_field(
    api_url: str, owner: dict[str, Any], params: dict[str, Any], status: int, field: str
) -> None:
    query = {
        "service_id": owner["service_id"],
        "from": "2026-12-02T00:00:00Z",
        "to": "2026-12-03T00:00:00Z",
        **params,
    }
    resp = httpx.get(f"{api_url}/rpc/available_slots", params=query)
    assert resp.status_code == status, resp.text
    assert field in resp.text


# --- The quote ------------------------------------------------------------------------


def _customer(api_db: psycopg.Connection[Any]) -> dict[str, str]:
    return bearer(mint("customer", create_user(api_db, "customer")))


def _quote_body(**overrides: Any) -> dict[str, Any]:
    return {
        "category": "haircut",
        "lat": PLATEAU[0],
        "lng": PLATEAU[1],
        "starts_at": next_weekday(2).isoformat(),
        **overrides,
    }


def test_a_customer_gets_a_stored_ranked_quote_with_post(
    api_url: str, api_db: psycopg.Connection[Any]
) -> None:
    headers = _customer(api_db)
    resp = httpx.post(f"{api_url}/rpc/quote", json=_quote_body(), headers=headers)
    assert resp.status_code == 200, resp.text
    offers = resp.json()
    assert len(offers) >= 5
    assert {
        "quote_id",
        "provider_id",
        "provider_name",
        "service_id",
        "service_name",
        "price_cents",
        "deposit_cents",
        "currency",
        "distance_m",
        "rating",
        "score",
        "starts_at",
        "ends_at",
        "expires_at",
    } <= set(offers[0])
    assert [o["rank"] for o in offers] == list(range(1, len(offers) + 1))
    mine = httpx.get(f"{api_url}/my_quote_offers", params={"order": "rank"}, headers=headers).json()
    assert [(o["quote_id"], o["provider_id"]) for o in mine] == [
        (o["quote_id"], o["provider_id"]) for o in offers
    ]
    assert httpx.get(f"{api_url}/my_quote_offers", headers=_customer(api_db)).json() == []


def test_a_quote_cannot_be_asked_with_get(api_url: str, api_db: psycopg.Connection[Any]) -> None:
    body = _quote_body()
    resp = httpx.get(f"{api_url}/rpc/quote", params=body, headers=_customer(api_db))
    assert resp.status_code == 405, resp.text


@pytest.mark.parametrize(("role", "status"), [("anon", 401), ("provider", 403), ("ops", 403)])
def test_only_customers_may_ask_for_a_quote(
    api_url: str, api_db: psycopg.Connection[Any], role: str, status: int
) -> None:
    headers = {} if role == "anon" else bearer(mint(role, create_user(api_db, role)))
    resp = httpx.post(f"{api_url}/rpc/quote", json=_quote_body(), headers=headers)
    assert resp.status_code == status, resp.text


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"lat": 91}, "lat"),
        ({"lng": -180.5}, "lng"),
        ({"radius_km": 0}, "radius_km"),
        ({"radius_km": 101}, "radius_km"),
        ({"max_results": 0}, "max_results"),
        ({"max_results": 51}, "max_results"),
        ({"starts_at": "2020-01-01T10:00:00Z"}, "starts_at"),
        ({"category": "astrology"}, "category"),
    ],
)
def test_a_bad_quote_is_a_400_naming_the_field_and_stores_nothing(
    api_url: str, api_db: psycopg.Connection[Any], overrides: dict[str, Any], field: str
) -> None:
    user = create_user(api_db, "customer")
    resp = httpx.post(
        f"{api_url}/rpc/quote",
        json=_quote_body(**overrides),
        headers=bearer(mint("customer", user)),
    )
    assert resp.status_code == 400, resp.text
    assert resp.json()["hint"] == "invalid_input"
    assert field in resp.json()["message"]
    stored = api_db.execute("select count(*) from app.quotes where customer_id = %s", (user,))
    assert stored.fetchone() == (0,)
