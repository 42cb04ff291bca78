"""The quality model over HTTP with real tokens: ops list its versions and read a booking's
prediction; a missing or unknown booking is a 4xx; other roles are refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from tests.helpers import stack
from tests.helpers.auth import bearer, mint
from tests.helpers.factories import create_user
from tests.helpers.quality import seed


@pytest.fixture
def admin(api: stack.PostgREST) -> Any:
    with psycopg.connect(api.db_url, autocommit=True) as conn:
        yield conn


def _get(
    api_url: str, name: str, token: str, params: dict[str, Any] | None = None
) -> httpx.Response:
    return httpx.get(f"{api_url}/rpc/{name}", params=params, headers=bearer(token), timeout=30)


def test_ops_read_versions_and_a_bookings_prediction(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    shops = seed(admin, shops=1, per_shop=3, seed_value=1)
    booking = admin.execute(
        "select id from app.bookings where provider_id = %s limit 1", (shops[0].provider_id,)
    ).fetchone()
    assert booking is not None
    ops = mint("ops", create_user(admin, "ops"))
    versions = _get(api.url, "ops_quality_versions", ops)
    assert versions.status_code == 200, versions.text
    active = [v for v in versions.json() if v["is_active"]]
    assert len(active) == 1 and set(active[0]["coefficients"]) >= {
        "provider_cancel_logit",
        "weekend",
    }
    resp = _get(api.url, "ops_booking_quality", ops, {"booking_id": str(booking[0])})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert 0 < body["probability"] < 1 and body["version"] == active[0]["version"]
    assert body["booking_id"] == str(booking[0]) and "log_lead_hours" in body["features"]
    # bad inputs: a 4xx naming the problem, never a 500
    assert _get(api.url, "ops_booking_quality", ops).status_code == 400
    assert _get(api.url, "ops_booking_quality", ops, {"booking_id": "nope"}).status_code == 400
    missing = _get(api.url, "ops_booking_quality", ops, {"booking_id": str(uuid.uuid4())})
    assert missing.status_code == 404 and missing.json()["hint"] == "not_found"
    bad = httpx.post(
        f"{api.url}/rpc/ops_activate_quality_version",
        json={"version": 999, "reason": "x"},
        headers=bearer(ops),
        timeout=30,
    )
    assert bad.status_code == 404
    # a far-future slot of the provider predicts through the same model
    assert admin.execute(
        "select internal.quality_prediction(%s, %s, 1, now()) ->> 'version'",
        (shops[0].provider_id, datetime.now(UTC) + timedelta(days=30)),
    ).fetchone() == (str(active[0]["version"]),)


@pytest.mark.parametrize("role", ["customer", "provider"])
def test_other_roles_cannot_see_the_quality_model(
    api: stack.PostgREST, admin: psycopg.Connection[Any], role: str
) -> None:
    token = mint(role, create_user(admin, role))
    assert _get(api.url, "ops_quality_versions", token).status_code in (401, 403)
    resp = _get(api.url, "ops_booking_quality", token, {"booking_id": str(uuid.uuid4())})
    assert resp.status_code in (401, 403)
