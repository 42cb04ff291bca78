"""What the API shows that it should not (issue 25, finding 8): errors that name
tables, constraints or relations; versions in the anonymous health check; the
OpenAPI's private host; ops functions in a customer's OpenAPI.

Every error here is provoked for real, through nginx and PostgREST, with real tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

import bookiji_seed as seed
from tests.helpers import booking as bk
from tests.helpers import stack
from tests.helpers.auth import bearer, mint
from tests.helpers.catalog import PLATEAU, next_weekday
from tests.helpers.factories import create_user
from tests.helpers.leaks import names_private

REPRESENTATION = {"Prefer": "return=representation"}
NIL = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def api_db(api: stack.PostgREST) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(api.db_url, autocommit=True) as conn:
        seed.load_demo(conn)
        yield conn


@pytest.fixture
def provider(api_url: str, api_db: psycopg.Connection[Any]) -> dict[str, Any]:
    """A provider with a profile, a service, Wednesday's hours and a day off, made over HTTP."""
    user = create_user(api_db, "provider")
    headers = bearer(mint("provider", user))
    profile = httpx.post(
        f"{api_url}/my_provider",
        json={"business_name": "Salon", "lat": PLATEAU[0], "lng": PLATEAU[1],
              "time_zone": "America/Toronto"},
        headers={**headers, **REPRESENTATION},
    )  # fmt: skip
    assert profile.status_code == 201, profile.text
    pid = profile.json()[0]["id"]
    service = httpx.post(
        f"{api_url}/my_services",
        json={"provider_id": pid, "category_id": 1, "name": "Coupe", "duration_minutes": 30,
              "price_cents": 5000},
        headers={**headers, **REPRESENTATION},
    )  # fmt: skip
    assert service.status_code == 201, service.text
    for path, body in (
        ("my_weekly_hours", {"day_of_week": 3, "start_time": "09:00", "end_time": "17:00"}),
        ("my_time_off", {"during": '["2027-01-01 00:00-05","2027-01-02 00:00-05")'}),
    ):
        resp = httpx.post(f"{api_url}/{path}", json={"provider_id": pid, **body}, headers=headers)
        assert resp.status_code == 201, resp.text
    return {"user": user, "headers": headers, "provider_id": pid,
            "service_id": service.json()[0]["id"]}  # fmt: skip


def assert_shows_nothing_private(resp: httpx.Response) -> dict[str, Any]:
    assert resp.status_code >= 400, resp.text
    assert not names_private(resp), resp.text
    body: dict[str, Any] = resp.json()
    return body


# --- Constraint errors: each kind, through a view write -------------------------------


@pytest.mark.parametrize(
    ("path", "body", "status", "hint", "field"),
    [
        # unique: a second profile for the same owner (providers_owner_id_key)
        ("my_provider", {"business_name": "Again", "lat": 45, "lng": -73}, 409, "conflict", "my_provider"),
        # check (providers_lat_check)
        ("my_provider", {"business_name": "x", "lat": 95, "lng": -73}, 400, "invalid_input", "lat"),
        # foreign key (services_category_id_fkey)
        ("my_services", {"category_id": 9999, "name": "X", "duration_minutes": 30, "price_cents": 1},
         400, "invalid_input", "category_id"),
        # check (services_duration_minutes_check)
        ("my_services", {"category_id": 1, "name": "X", "duration_minutes": 1, "price_cents": 1},
         400, "invalid_input", "duration_minutes"),
        # exclusion (weekly_hours_provider_id_day_of_week_excl)
        ("my_weekly_hours", {"day_of_week": 3, "start_time": "16:00", "end_time": "18:00"},
         409, "conflict", "day_of_week"),
        # exclusion (time_off_provider_id_during_excl)
        ("my_time_off", {"during": '["2027-01-01 12:00-05","2027-01-03 00:00-05")'},
         409, "conflict", "during"),
        # not null (null value in column "name" of relation "services")
        ("my_services", {"category_id": 1, "duration_minutes": 30, "price_cents": 1},
         400, "invalid_input", "name"),
    ],
    ids=["unique", "check", "foreign-key", "check-service", "exclusion-hours",
         "exclusion-time-off", "not-null"],
)  # fmt: skip
def test_a_broken_constraint_answers_its_registered_code_and_names_no_table_or_constraint(
    api_url: str,
    provider: dict[str, Any],
    path: str,
    body: dict[str, Any],
    status: int,
    hint: str,
    field: str,
) -> None:
    if path != "my_provider":
        body = {"provider_id": provider["provider_id"], **body}
    resp = httpx.post(f"{api_url}/{path}", json=body, headers=provider["headers"])
    assert resp.status_code == status, resp.text
    err = assert_shows_nothing_private(resp)
    assert (err["code"], err["hint"]) == (f"PT{status}", hint)
    assert field in err["message"]
    assert err["details"] is None


def test_deleting_a_service_with_bookings_says_so_without_naming_the_foreign_key(
    api_url: str, api_db: psycopg.Connection[Any]
) -> None:
    # the issue's bookings_service_id_fkey: a DELETE the foreign key restricts
    shop = bk.open_shop(api_db)
    bk.book(api_db, shop, next_weekday(2, at="10:00"))
    resp = httpx.delete(
        f"{api_url}/my_services?id=eq.{shop.service_id}",
        headers=bearer(mint("provider", shop.owner_id)),
    )
    assert resp.status_code == 409, resp.text
    err = assert_shows_nothing_private(resp)
    assert err["hint"] == "conflict"
    assert "is_active" in err["message"]


# --- Unknown tables and functions -----------------------------------------------------


@pytest.mark.parametrize("role", ["anon", "customer"])
@pytest.mark.parametrize("path", ["/users", "/bookings", "/rpc/no_such_function", "/rpc/dlq_lis"])
def test_an_unknown_table_or_function_is_a_neutral_404(api_url: str, role: str, path: str) -> None:
    headers = {} if role == "anon" else bearer(mint("customer"))
    resp = httpx.get(f"{api_url}{path}", headers=headers)
    err = assert_shows_nothing_private(resp)
    assert (resp.status_code, err["code"], err["hint"]) == (404, "PT404", "not_found")


@pytest.mark.parametrize("role", ["anon", "customer"])
def test_an_unknown_argument_of_a_known_function_is_a_400_naming_it(
    api_url: str, role: str
) -> None:
    headers = {} if role == "anon" else bearer(mint("customer"))
    resp = httpx.get(f"{api_url}/rpc/health?x=1", headers=headers)
    err = assert_shows_nothing_private(resp)
    assert (resp.status_code, err["code"], err["hint"]) == (400, "PT400", "invalid_input")
    assert '"x"' in err["message"], err["message"]


# --- Permission denied ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "method", "path", "body", "status", "hint"),
    [
        (None, "GET", "/my_bookings", None, 401, "not_authenticated"),
        ("customer", "GET", "/my_provider", None, 403, "forbidden"),
        ("customer", "POST", "/rpc/dlq_list", {"queue": "payments"}, 403, "forbidden"),
        ("provider", "POST", "/rpc/ops_refund",
         {"booking_id": NIL, "amount_cents": 1, "reason": "x"}, 403, "forbidden"),
        (None, "POST", "/rpc/queue_stats", {}, 401, "not_authenticated"),
        ("customer", "DELETE", f"/services?id=eq.{NIL}", None, 403, "forbidden"),
    ],
)  # fmt: skip
def test_a_refusal_names_no_table_or_function_and_carries_its_code(
    api_url: str,
    role: str | None,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: int,
    hint: str,
) -> None:
    headers = bearer(mint(role)) if role else {}
    resp = httpx.request(method, f"{api_url}{path}", headers=headers, json=body)
    err = assert_shows_nothing_private(resp)
    assert (resp.status_code, err["hint"]) == (status, hint), resp.text


# --- Health ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", [None, "customer", "provider"])
def test_health_gives_everyone_but_ops_the_bare_status(api_url: str, role: str | None) -> None:
    headers = bearer(mint(role)) if role else {}
    resp = httpx.get(f"{api_url}/rpc/health", headers=headers)
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}


def test_health_gives_ops_every_version(api_url: str) -> None:
    body = httpx.get(f"{api_url}/rpc/health", headers=bearer(mint("ops"))).json()
    assert body["status"] == "ok"
    assert body["postgrest"]["version"] == "12.0.2"
    assert body["postgres"].startswith("15.")


# --- The OpenAPI ----------------------------------------------------------------------


def test_the_openapi_names_the_gateway_address_as_its_host(api: stack.PostgREST) -> None:
    doc = httpx.get(f"{api.url}/").json()
    gateway = httpx.URL(api.url)
    assert doc["host"] == f"{gateway.host}:{gateway.port}"
    assert api.postgrest_url != api.url  # the test is not vacuous
    assert httpx.URL(api.postgrest_url).port != gateway.port


@pytest.mark.parametrize("role", [None, "customer", "provider"])
def test_no_ops_function_appears_in_the_openapi_of(api_url: str, role: str | None) -> None:
    headers = bearer(mint(role)) if role else {}
    paths = set(httpx.get(f"{api_url}/", headers=headers).json()["paths"])
    assert "/rpc/health" in paths  # not vacuous
    ops = {p for p in paths if re.match(r"/rpc/(ops_|dlq_|queue_)", p)}
    assert ops == set()


def test_ops_sees_the_ops_functions_in_its_openapi(api_url: str) -> None:
    paths = set(httpx.get(f"{api_url}/", headers=bearer(mint("ops"))).json()["paths"])
    assert {"/rpc/dlq_list", "/rpc/ops_refund", "/rpc/queue_stats"} <= paths


def test_a_customers_openapi_lists_what_customers_may_call_and_nothing_for_other_roles(
    api_url: str,
) -> None:
    paths = set(httpx.get(f"{api_url}/", headers=bearer(mint("customer"))).json()["paths"])
    assert {"/rpc/quote", "/rpc/confirm_booking", "/rpc/booking_payment"} <= paths
    assert "/rpc/mark_booking" not in paths
    provider = set(httpx.get(f"{api_url}/", headers=bearer(mint("provider"))).json()["paths"])
    assert "/rpc/quote" not in provider and "/rpc/mark_booking" in provider
