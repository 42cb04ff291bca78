"""The public catalog's cache (docs/operations.md, "Caching"): nginx keeps anonymous
catalog GETs for CACHE_TTL seconds under a key holding the read router's version of the
scope, which a change to a catalog table bumps (NOTIFY bookiji_cache; a booking through
the event log, which the router polls): the next read misses and shows the change. Nothing personal is ever cached: a request with an
Authorization header neither reads nor fills the cache.

The TTL here is long (300 s): every fresh answer below comes from a purge, not from
expiry."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from bookiji import procs
from tests.helpers import catalog, stack
from tests.helpers.auth import bearer, mint
from tests.helpers.factories import create_user
from tests.helpers.waiting import until

TTL = 300


@pytest.fixture(scope="module")
def cached(template_db: str) -> Iterator[stack.PostgREST]:
    s = stack.settings()
    with stack.scratch_database("bookiji_cache", template_db) as db:
        read_path = procs.ReadPath(
            primary_url=stack.role_url(db.name, "authenticator", s.authenticator_password),
            cache_ttl=TTL,
        )
        with stack.run_postgrest(db.name, read_path=read_path) as server:
            until(lambda: _get(server.url, "/service_categories").status_code == 200, 20, "the API")
            until(
                lambda: "X-Cache-Status" in _get(server.url, "/service_categories").headers,
                20,
                "the read router's first state",
            )
            yield server


@pytest.fixture
def admin(cached: stack.PostgREST) -> Iterator[psycopg.Connection[Any]]:
    with stack.admin_connection(cached) as conn:
        yield conn


def _versions(server: stack.PostgREST) -> tuple[int, int]:
    """The cache's versions nginx reads now (the read router's state file)."""
    assert server.gateway is not None and server.gateway.read_state is not None
    state = json.loads(server.gateway.read_state.read_text())
    return int(state["catalog"]), int(state["slots"])


def _settled(server: stack.PostgREST, before: tuple[int, int], scope: int) -> None:
    """Until the router has bumped the scope (0 catalog, 1 slots) since ``before``."""
    until(lambda: _versions(server)[scope] > before[scope], 10, "the read router's bump")


def _until_hit(server: stack.PostgREST, path: str) -> None:
    """Until an anonymous read of ``path`` is a hit (a bump of the setup's own writes may
    still come after the first miss stored its answer)."""
    until(lambda: _get(server.url, path).headers["X-Cache-Status"] == "HIT", 10, "a cache hit")


def _get(url: str, path: str, **headers: str) -> httpx.Response:
    return httpx.get(url + path, headers=headers, timeout=30)


def test_an_anonymous_catalog_read_is_served_from_the_cache_the_second_time(
    cached: stack.PostgREST,
) -> None:
    path = f"/service_categories?select=slug&order=slug&limit={uuid.uuid4().int % 1000 + 1}"
    first, second = _get(cached.url, path), _get(cached.url, path)
    assert first.status_code == second.status_code == 200
    assert first.headers["X-Cache-Status"] == "MISS"
    assert second.headers["X-Cache-Status"] == "HIT"
    assert second.json() == first.json()
    assert second.headers["Cache-Control"] == f"public, max-age={TTL}"
    assert "Authorization" in second.headers["Vary"]


def test_a_catalog_change_purges_the_cached_answers(
    cached: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    before = _versions(cached)
    provider = catalog.create_provider(admin, business_name="Before the change")
    _settled(cached, before, 0)
    path = f"/providers?id=eq.{provider}&select=business_name"
    assert _get(cached.url, path).json() == [{"business_name": "Before the change"}]
    _until_hit(cached, path)
    admin.execute(
        "update app.providers set business_name = 'After the change' where id = %s", (provider,)
    )
    until(
        lambda: _get(cached.url, path).json() == [{"business_name": "After the change"}],
        10,
        "the renamed provider in the anonymous read",
    )


def test_a_booking_purges_the_cached_slots(
    cached: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    before = _versions(cached)
    provider = catalog.create_provider(admin)
    service = catalog.create_service(admin, provider, duration_minutes=60)
    catalog.add_hours(admin, provider, range(7), "09:00", "17:00")
    _settled(cached, before, 1)
    day = catalog.next_weekday(2, at="09:00")
    path = (
        f"/rpc/available_slots?service_id={service}&from={day.isoformat()}"
        f"&to={day.replace(hour=17).isoformat()}&step_minutes=60"
    ).replace("+", "%2B")
    slots = _get(cached.url, path)
    assert slots.status_code == 200, slots.text
    _until_hit(cached, path)
    first = slots.json()[0]
    catalog.add_booking(admin, service, datetime.fromisoformat(first["starts_at"]))
    until(
        lambda: first not in _get(cached.url, path).json(),
        10,
        "the booked slot to leave the anonymous read",
    )
    # time off takes the next one the same way
    second = _get(cached.url, path).json()[0]
    start = datetime.fromisoformat(second["starts_at"])
    catalog.add_time_off(admin, provider, start, start + timedelta(hours=1))
    until(
        lambda: second not in _get(cached.url, path).json(),
        10,
        "the slot taken by time off to leave the anonymous read",
    )


def test_an_unchanged_answer_is_a_304_for_its_etag(cached: stack.PostgREST) -> None:
    path = "/service_categories?select=slug,name_en&order=slug"
    first = _get(cached.url, path)
    etag = first.headers["ETag"]
    again = _get(cached.url, path, **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag
    other = _get(cached.url, path, **{"If-None-Match": '"not-this-one"'})
    assert other.status_code == 200
    assert other.json() == first.json()


def test_a_request_with_a_token_is_never_served_from_the_cache_nor_fills_it(
    cached: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    """/providers varies by token: a provider sees only its own profile there."""
    before = _versions(cached)
    owner = create_user(admin, "provider")
    mine = catalog.create_provider(admin, owner_id=owner)
    catalog.create_provider(admin)
    _settled(cached, before, 0)
    token = bearer(mint("provider", owner))
    path = "/providers?select=id&order=id"
    # the token's answer first, twice: neither read nor stored
    for _ in range(2):
        own = _get(cached.url, path, **token)
        assert own.status_code == 200
        assert own.json() == [{"id": str(mine)}]
        assert "X-Cache-Status" not in own.headers
        assert own.headers["Cache-Control"] == "private, no-store"
        assert "ETag" not in own.headers
    # the anonymous answer is everyone's, cached, and never the token's
    anon = _get(cached.url, path)
    assert len(anon.json()) >= 2
    _until_hit(cached, path)
    again = _get(cached.url, path, **token)
    assert again.json() == [{"id": str(mine)}]
    assert "X-Cache-Status" not in again.headers


def test_only_the_public_catalog_is_cached(cached: stack.PostgREST) -> None:
    for path in ("/rpc/health", "/rpc/ping", "/reviews?limit=1"):
        first, second = _get(cached.url, path), _get(cached.url, path)
        assert "X-Cache-Status" not in second.headers, path
        assert "public" not in second.headers.get("Cache-Control", ""), path
    assert first.status_code in (200, 404)


def test_a_refused_anonymous_read_is_not_cached(cached: stack.PostgREST) -> None:
    path = f"/rpc/available_slots?service_id={uuid.uuid4()}&from=2030-01-01T00:00:00Z&to=2030-01-02T00:00:00Z"
    first, second = _get(cached.url, path), _get(cached.url, path)
    assert first.status_code == second.status_code == 404
    assert second.headers["X-Cache-Status"] != "HIT"
    assert "Cache-Control" not in second.headers


def test_without_the_read_router_reads_go_to_the_primary_uncached(template_db: str) -> None:
    """Its state file ages past 3 s: nginx no longer trusts its versions (a change could
    go unpurged) nor its replica verdict."""
    s = stack.settings()
    with stack.scratch_database("bookiji_cache", template_db) as db:
        read_path = procs.ReadPath(
            primary_url=stack.role_url(db.name, "authenticator", s.authenticator_password),
            cache_ttl=TTL,
        )
        with stack.run_postgrest(db.name, read_path=read_path) as server:
            path = "/service_categories?select=slug"
            until(lambda: "X-Cache-Status" in _get(server.url, path).headers, 20, "the router")
            assert server.router_stop is not None
            server.router_stop.set()
            until(
                lambda: "X-Cache-Status" not in _get(server.url, path).headers,
                20,
                "reads to bypass the cache once the router's state is stale",
            )
            plain = _get(server.url, path)
            assert plain.status_code == 200 and plain.json()
            assert "X-Read-From" not in plain.headers
            assert "public" not in plain.headers.get("Cache-Control", "")
