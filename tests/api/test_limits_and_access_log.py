"""Throttles (login, writes per identity, reads per address), the body size cap,
and the access log of every request, reads included."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from bookiji import access_log, config
from tests.helpers import stack
from tests.helpers.api import PASSWORD, client, signup, unique_email
from tests.helpers.auth import bearer, mint
from tests.helpers.waiting import until


def test_repeated_failures_for_one_email_are_throttled_with_retry_after(api_url: str) -> None:
    victim = signup(api_url)
    with client(api_url, source="127.0.0.21") as http:
        statuses = [
            http.post(
                "/rpc/login", json={"email": victim.email, "password": "wrong password!"}
            ).status_code
            for _ in range(5)
        ]
        assert statuses == [401] * 5
        locked = http.post("/rpc/login", json={"email": victim.email, "password": PASSWORD})
    assert locked.status_code == 429, "even the right password waits out the lock"
    assert int(locked.headers["Retry-After"]) > 0
    assert locked.json()["hint"] == "rate_limited"
    # another account is not locked out
    other = signup(api_url)
    ok = httpx.post(f"{api_url}/rpc/login", json={"email": other.email, "password": PASSWORD})
    assert ok.status_code == 200


def test_a_burst_of_bad_logins_from_one_address_is_throttled_without_locking_out_others(
    api_url: str,
) -> None:
    bystander = signup(api_url)
    with client(api_url, source="127.0.0.31") as attacker:
        statuses = [
            attacker.post(
                "/rpc/login", json={"email": unique_email(), "password": "guess guess!"}
            ).status_code
            for _ in range(40)
        ]
        assert statuses[:30] == [401] * 30
        assert set(statuses[30:]) == {429}
        blocked = attacker.post("/rpc/login", json={"email": bystander.email, "password": PASSWORD})
        assert blocked.status_code == 429
    with client(api_url, source="127.0.0.32") as elsewhere:
        assert (
            elsewhere.post(
                "/rpc/login", json={"email": bystander.email, "password": PASSWORD}
            ).status_code
            == 200
        )


@pytest.fixture
def low_write_limit(api: stack.PostgREST) -> Iterator[None]:
    with stack.admin_connection(api) as conn:
        conn.execute(
            "update internal.settings set value = '3' where key = 'rate_limit_writes_per_minute'"
        )
    try:
        yield
    finally:
        with stack.admin_connection(api) as conn:
            conn.execute(
                "update internal.settings set value = %s where key = 'rate_limit_writes_per_minute'",
                (str(config.load().rate_limit_writes_per_minute),),
            )


def test_writes_are_limited_per_identity_with_retry_after(
    api: stack.PostgREST, low_write_limit: None
) -> None:
    alice, bob = signup(api.url), signup(api.url)
    statuses = [
        httpx.post(
            f"{api.url}/rpc/update_me", json={"locale": "fr"}, headers=alice.headers
        ).status_code
        for _ in range(5)
    ]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]
    resp = httpx.post(f"{api.url}/rpc/update_me", json={"locale": "fr"}, headers=alice.headers)
    assert 1 <= int(resp.headers["Retry-After"]) <= 60
    assert resp.json()["hint"] == "rate_limited"
    # reads are not counted by the database, and Bob has his own budget
    assert httpx.get(f"{api.url}/rpc/me", headers=alice.headers).status_code == 200
    assert (
        httpx.post(
            f"{api.url}/rpc/update_me", json={"locale": "fr"}, headers=bob.headers
        ).status_code
        == 200
    )


def test_an_identitys_write_limit_is_one_row_however_many_writes_it_counts(
    api: stack.PostgREST, low_write_limit: None
) -> None:
    carol = signup(api.url)
    statuses = [
        httpx.post(
            f"{api.url}/rpc/update_me", json={"locale": "en"}, headers=carol.headers
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    with stack.admin_connection(api) as conn:
        rows = conn.execute(
            "select count(*), min(extract(epoch from tat - now())) from auth.rate_limits "
            "where bucket = %s",
            (f"sub:{carol.id}",),
        ).fetchone()
        logged = conn.execute(
            "select count(*) from auth.rate_events where bucket = %s", (f"sub:{carol.id}",)
        ).fetchone()
    assert rows is not None and rows[0] == 1, "one row, not one per write"
    assert 0 < rows[1] <= 60, "three writes at a limit of 3 a minute fill the next minute"
    assert logged == (0,)


@pytest.fixture(scope="module")
def strict_api(template_db: str) -> Iterator[stack.PostgREST]:
    with stack.api_over_scratch(
        "bookiji_strict", template_db, rate_per_address=5, rate_per_token=5
    ) as server:
        yield server


def test_reads_are_limited_per_address_by_nginx(strict_api: stack.PostgREST) -> None:
    with client(strict_api.url, source="127.0.0.41") as http:
        statuses = [http.get("/rpc/health").status_code for _ in range(40)]
        limited = http.get("/rpc/health")
    assert 429 in statuses
    assert statuses.count(200) >= 5
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1"
    assert limited.json()["hint"] == "rate_limited"
    with client(strict_api.url, source="127.0.0.42") as other:
        assert other.get("/rpc/health").status_code == 200


def test_a_body_over_the_cap_is_a_413_not_a_timeout(api_url: str) -> None:
    resp = httpx.post(
        f"{api_url}/rpc/login",
        content=b'{"email": "' + b"a" * (2 * 1024 * 1024) + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert resp.status_code == 413
    assert resp.json()["hint"] == "payload_too_large"


def test_every_request_reads_included_lands_in_the_access_log(api: stack.PostgREST) -> None:
    acct = signup(api.url)
    with client(api.url, source="127.0.0.51") as http:
        read = http.get("/rpc/me", headers=acct.headers)
        refused = http.get("/rpc/me", headers=bearer(mint("customer", omit=("exp",))))
    assert read.status_code == 200 and refused.status_code == 401
    worker_url = stack.worker_url(psycopg.conninfo.conninfo_to_dict(api.db_url)["dbname"])
    shipper = access_log.Shipper(worker_url, api.gateway.access_log)

    def shipped() -> list[tuple[Any, ...]]:
        """Both lines, once shipped (nginx flushes its buffer within a second)."""
        with psycopg.connect(worker_url, autocommit=True) as wconn:
            shipper.ship_once(wconn)
        with psycopg.connect(api.db_url, autocommit=True) as conn:
            rows = conn.execute(
                "select request_id, method, path, status, role, sub, client_addr from audit.access_log "
                "where request_id = any(%s) order by status",
                ([read.headers["X-Request-Id"], refused.headers["X-Request-Id"]],),
            ).fetchall()
        return rows if len(rows) == 2 else []

    rows = until(shipped, 10, "the access log lines to be shipped")
    assert [(r[1], r[2], r[3], r[4], r[6]) for r in rows] == [
        ("GET", "/rpc/me", 200, "customer", "127.0.0.51"),
        ("GET", "/rpc/me", 401, "customer", "127.0.0.51"),
    ]
    assert rows[0][5] == acct.id


def test_the_request_id_reaches_the_audit_trail(api: stack.PostgREST) -> None:
    acct = signup(api.url)
    with stack.admin_connection(api) as conn:
        row = conn.execute(
            "select request_id from audit.action_log where action = 'signup' and row_id = %s",
            (acct.id,),
        ).fetchone()
    assert row is not None and row[0] and len(row[0]) == 32
