"""The ranking over HTTP: each quoted offer carries its ranking version and explanation;
ops list the versions and roll back; other roles are refused."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
import pytest

from tests.helpers import booking as bk
from tests.helpers import catalog, stack
from tests.helpers.auth import bearer, mint
from tests.helpers.factories import create_user


@pytest.fixture
def admin(api: stack.PostgREST) -> Any:
    with psycopg.connect(api.db_url, autocommit=True) as conn:
        yield conn


def _rpc(api_url: str, name: str, token: str | None, body: dict[str, Any]) -> httpx.Response:
    headers = bearer(token) if token else {}
    return httpx.post(f"{api_url}/rpc/{name}", json=body, headers=headers, timeout=30)


def test_quoted_offers_carry_their_version_and_explanation(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    # somewhere no other test's provider is
    lat, lng = 46.0 + (uuid.uuid4().int % 1000) / 1000, -75.0 + (uuid.uuid4().int % 1000) / 1000
    bk.open_shop(admin, lat=lat, lng=lng)
    customer = create_user(admin, "customer")
    resp = _rpc(
        api.url,
        "quote",
        mint("customer", customer),
        {
            "category": "haircut",
            "lat": lat,
            "lng": lng,
            "starts_at": catalog.next_weekday(2, at="14:00").isoformat(),
            "radius_km": 2,
        },
    )
    assert resp.status_code == 200, resp.text
    offers = resp.json()
    assert offers
    active = admin.execute("select version from app.ranking_versions where is_active").fetchone()
    assert active is not None
    for o in offers:
        assert o["ranking_version"] == active[0] == o["explanation"]["version"]
        total = sum(float(t["contribution"]) for t in o["explanation"]["terms"].values())
        assert total == pytest.approx(o["score"], abs=3e-4)


def test_ops_list_the_versions_and_roll_back_others_are_refused(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    ops = mint("ops", create_user(admin, "ops"))
    resp = httpx.get(f"{api.url}/rpc/ops_ranking_versions", headers=bearer(ops), timeout=30)
    assert resp.status_code == 200, resp.text
    versions = resp.json()
    assert {1, 2} <= {v["version"] for v in versions}
    active = [v["version"] for v in versions if v["is_active"]]
    assert len(active) == 1
    current = active[0]
    try:
        resp = _rpc(api.url, "ops_activate_ranking_version", ops, {"version": 1, "reason": "test"})
        assert resp.status_code == 200, resp.text
        assert resp.json()["is_active"] and resp.json()["version"] == 1
    finally:
        resp = _rpc(
            api.url, "ops_activate_ranking_version", ops, {"version": current, "reason": "back"}
        )
        assert resp.status_code == 200, resp.text
    missing = _rpc(api.url, "ops_activate_ranking_version", ops, {"version": 99999, "reason": "x"})
    assert missing.status_code == 404 and missing.json()["hint"] == "not_found"

    customer = mint("customer", create_user(admin, "customer"))
    for token, status in ((None, 401), (customer, 403)):
        resp = httpx.get(
            f"{api.url}/rpc/ops_ranking_versions",
            headers=bearer(token) if token else {},
            timeout=30,
        )
        assert resp.status_code == status, resp.text
        resp = _rpc(api.url, "ops_activate_ranking_version", token, {"version": 1})
        assert resp.status_code == status, resp.text
