"""The API describes itself: api.openapi() serves an OpenAPI 3.1 document per role,
generated from the catalogue, valid, and true to what each role may call."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import pytest
from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from openapi_spec_validator import validate

from tests.helpers import api as api_helper
from tests.helpers import lint, stack
from tests.helpers.auth import bearer, mint
from tests.helpers.factories import create_user

ROLES = ("anon", "customer", "provider", "ops")


def _headers(role: str) -> dict[str, str]:
    return {} if role == "anon" else bearer(mint(role))


def _doc(api_url: str, role: str) -> dict[str, Any]:
    resp = httpx.get(f"{api_url}/rpc/openapi", headers=_headers(role), timeout=30)
    assert resp.status_code == 200, resp.text
    doc: dict[str, Any] = resp.json()
    return doc


def _expected_paths(role: str) -> dict[str, set[str]]:
    """What the privilege lists say the role may do, as OpenAPI paths and methods."""
    want: dict[str, set[str]] = {}
    for signature, roles in lint.API_EXECUTE.items():
        if role in roles:
            want[f"/rpc/{signature.split('(')[0].removeprefix('api.')}"] = set()
    for view, privileges in lint.API_VIEW_PRIVILEGES.items():
        methods = {
            {"select": "get", "insert": "post", "update": "patch", "delete": "delete"}[p]
            for p in privileges.get(role, frozenset())
        }
        if methods:
            want[f"/{view.removeprefix('api.')}"] = methods
    return want


@pytest.mark.parametrize("role", ROLES)
def test_each_roles_document_is_valid_openapi_3_1(api_url: str, role: str) -> None:
    doc = _doc(api_url, role)
    assert doc["openapi"] == "3.1.0"
    validate(doc)  # openapi-spec-validator: raises on any violation of the 3.1 schema


@pytest.mark.parametrize("role", ROLES)
def test_each_roles_document_lists_exactly_what_the_role_may_call(api_url: str, role: str) -> None:
    doc = _doc(api_url, role)
    want = _expected_paths(role)
    assert set(doc["paths"]) == set(want)
    for path, methods in want.items():
        if path.startswith("/"):
            got = set(doc["paths"][path])
            if not path.startswith("/rpc/"):
                assert got == methods, path
            else:
                assert "post" in got, path


def test_anonymous_callers_see_only_the_open_endpoints(api_url: str) -> None:
    paths = set(_doc(api_url, "anon")["paths"])
    assert "/rpc/quote" not in paths
    assert "/rpc/dlq_list" not in paths
    assert "/my_bookings" not in paths
    open_ = {f"/rpc/{n.split('(')[0][4:]}" for n in lint.ANON_ALLOWED if "(" in n}
    open_ |= {f"/{n[4:]}" for n in lint.ANON_ALLOWED if "(" not in n}
    assert paths == open_


def test_a_customers_document_lists_no_ops_tool(api_url: str) -> None:
    paths = set(_doc(api_url, "customer")["paths"])
    assert "/rpc/quote" in paths
    for ops_only in (
        "/rpc/dlq_list",
        "/rpc/ops_refund",
        "/rpc/ops_audit_trail",
        "/payment_mismatches",
    ):
        assert ops_only not in paths
    assert "/rpc/ops_audit_trail" in _doc(api_url, "ops")["paths"]


def test_the_texts_are_the_comments_on_each_object(api_url: str) -> None:
    op = _doc(api_url, "customer")["paths"]["/rpc/confirm_booking"]["post"]
    assert op["summary"] == (
        "Book one provider from a quote: the slot is held for you (15 minutes) while you pay."
    )
    assert "Idempotency-Key" in op["description"]
    view = _doc(api_url, "provider")["components"]["schemas"]["my_services"]
    assert view["type"] == "object"
    assert "price_cents" in view["properties"]


def test_arguments_with_a_null_default_are_required_unless_registered_optional(
    api_url: str,
) -> None:
    paths = _doc(api_url, "ops")["paths"]
    body = paths["/rpc/dlq_list"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["queue"]
    assert body["properties"]["limit"]["default"] == 50
    assert body["additionalProperties"] is False
    get = {p["name"]: p for p in paths["/rpc/dlq_list"]["get"]["parameters"]}
    assert get["queue"]["required"] is True
    assert get["error_class"]["required"] is False
    assert "limit" not in get  # in a query string limit is PostgREST's own
    audit = paths["/rpc/ops_audit_trail"]["post"]["requestBody"]["content"]["application/json"]
    assert audit["schema"]["required"] == []
    quote = _doc(api_url, "customer")["paths"]["/rpc/quote"]["post"]["requestBody"]
    schema = quote["content"]["application/json"]["schema"]
    assert sorted(schema["required"]) == ["category", "lat", "lng", "starts_at"]
    assert schema["properties"]["radius_km"]["default"] == 10
    assert schema["properties"]["starts_at"] == {"type": "string", "format": "date-time"}


def test_results_are_typed_from_the_return_type(api_url: str) -> None:
    paths = _doc(api_url, "customer")["paths"]
    ping = paths["/rpc/ping"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ping["type"] == ["integer", "null"]
    quote = paths["/rpc/quote"]["post"]["responses"]["200"]["content"]["application/json"]
    assert quote["schema"]["type"] == "array"
    assert quote["schema"]["items"]["properties"]["quote_id"]["format"] == "uuid"
    rows = paths["/my_bookings"]["get"]["responses"]["200"]["content"]["application/json"]
    assert rows["schema"]["items"] == {"$ref": "#/components/schemas/my_bookings"}


def test_each_operation_lists_the_registered_codes_its_comment_names(api_url: str) -> None:
    responses = _doc(api_url, "customer")["paths"]["/rpc/confirm_booking"]["post"]["responses"]
    assert responses["410"]["x-error-codes"] == ["quote_expired"]
    assert "too_many_holds" in responses["429"]["x-error-codes"]
    assert "slot_unavailable" in responses["409"]["x-error-codes"]
    assert "invalid_input" in responses["400"]["x-error-codes"]
    assert "not_authenticated" in responses["401"]["x-error-codes"]
    assert responses["410"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    # an operation anonymous callers may use does not answer not_authenticated
    login = _doc(api_url, "anon")["paths"]["/rpc/login"]["post"]["responses"]
    assert login["401"]["x-error-codes"] == ["invalid_credentials", "invalid_token"]


def test_a_bearer_jwt_scheme_secures_what_anonymous_callers_cannot_use(api_url: str) -> None:
    doc = _doc(api_url, "customer")
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from POST /rpc/login or /rpc/signup",
    }
    assert doc["paths"]["/rpc/quote"]["post"]["security"] == [{"bearerAuth": []}]
    assert doc["paths"]["/rpc/login"]["post"]["security"] == [{}, {"bearerAuth": []}]


def test_the_server_is_the_public_url_deploy_recorded(api: stack.PostgREST) -> None:
    with psycopg.connect(api.db_url, autocommit=True) as db:
        row = db.execute(
            "select value from internal.settings where key = 'public_api_url'"
        ).fetchone()
    assert row is not None
    assert _doc(api.url, "anon")["servers"] == [{"url": row[0]}]


def test_without_a_recorded_public_url_the_server_is_relative(db: psycopg.Connection[Any]) -> None:
    db.execute("delete from internal.settings where key = 'public_api_url'")
    with db.transaction():
        db.execute("set local role anon")
        doc = db.execute("select api.openapi()").fetchone()[0]  # type: ignore[index]
    assert doc["servers"] == [{"url": "/"}]


def test_the_gateway_serves_the_same_document_at_openapi_json(api_url: str) -> None:
    for role in ("anon", "ops"):
        resp = httpx.get(f"{api_url}/openapi.json", headers=_headers(role), timeout=30)
        assert resp.status_code == 200
        assert resp.json() == _doc(api_url, role)


def test_postgrests_own_document_stays_at_the_root(api_url: str) -> None:
    assert httpx.get(f"{api_url}/").json()["swagger"] == "2.0"


def test_a_call_missing_a_required_argument_is_a_400_naming_it_for_every_rpc(
    api: stack.PostgREST,
) -> None:
    customer = api_helper.signup(api.url, "customer")
    provider = api_helper.signup(api.url, "provider")
    with psycopg.connect(api.db_url, autocommit=True) as db:
        ops = create_user(db, "ops")
    headers = {
        "anon": {},
        "customer": customer.headers,
        "provider": provider.headers,
        "ops": bearer(mint("ops", ops)),
    }
    checked = set()
    for role in ROLES:
        doc = _doc(api.url, role)
        for path, item in doc["paths"].items():
            if not path.startswith("/rpc/") or path in checked:
                continue
            schema = item["post"]["requestBody"]["content"]["application/json"]["schema"]
            if not schema.get("required"):
                continue
            checked.add(path)
            resp = httpx.post(f"{api.url}{path}", json={}, headers=headers[role], timeout=30)
            body = resp.json()
            assert resp.status_code == 400, (path, body)
            assert body["hint"] in ("invalid_input", "invalid_one_time_token"), (path, body)
            if body["hint"] == "invalid_input":
                assert any(name in body["message"] for name in schema["required"]), (path, body)
    assert "/rpc/dlq_list" in checked
    assert "/rpc/quote" in checked
    assert "/rpc/available_slots" in checked


def _result_validator(doc: dict[str, Any], path: str) -> Draft202012Validator:
    op = doc["paths"][path].get("post") or doc["paths"][path]["get"]
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    return Draft202012Validator(
        {**schema, "components": doc["components"]}, format_checker=FormatChecker()
    )


def test_session_and_profile_answers_match_their_documented_schemas(api_url: str) -> None:
    anon = _doc(api_url, "anon")
    assert anon["paths"]["/rpc/login"]["post"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/Session"}
    email = api_helper.unique_email("oas")
    signup = httpx.post(
        f"{api_url}/rpc/signup",
        json={"email": email, "password": api_helper.PASSWORD, "full_name": "Oa S"},
        timeout=30,
    ).json()
    _result_validator(anon, "/rpc/signup").validate(signup)
    login = httpx.post(
        f"{api_url}/rpc/login", json={"email": email, "password": api_helper.PASSWORD}, timeout=30
    ).json()
    _result_validator(anon, "/rpc/login").validate(login)
    refreshed = httpx.post(
        f"{api_url}/rpc/refresh", json={"refresh_token": login["refresh_token"]}, timeout=30
    ).json()
    _result_validator(anon, "/rpc/refresh").validate(refreshed)
    customer = _doc(api_url, "customer")
    me = httpx.get(
        f"{api_url}/rpc/me", headers=bearer(refreshed["access_token"]), timeout=30
    ).json()
    _result_validator(customer, "/rpc/me").validate(me)
    _result_validator(customer, "/rpc/me").validate(None)
    with pytest.raises(ValidationError):
        _result_validator(customer, "/rpc/me").validate({**me, "role": "admin"})
