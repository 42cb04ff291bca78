"""Abuse of the account endpoints: GET/HEAD on functions that write, locking someone else's
account with wrong passwords, and reset emails sent over and over to one inbox."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import pytest

from tests.helpers import stack
from tests.helpers.api import PASSWORD, client, signup, unique_email

WRONG = "wrong password!"


def _volatile_api_functions(api: stack.PostgREST) -> list[tuple[str, list[str], bool]]:
    """Every volatile function in schema api: its name, the names of its input arguments,
    and whether one input is unnamed (a raw-body function such as stripe_webhook(json))."""
    with stack.admin_connection(api) as conn:
        rows = conn.execute(
            "select p.proname, p.proargnames, p.proargmodes, p.pronargs from pg_proc as p "
            "where p.pronamespace = 'api'::regnamespace and p.provolatile = 'v' order by p.proname"
        ).fetchall()
    functions = []
    for name, arg_names, arg_modes, nargs in rows:
        names = list(arg_names or [""] * nargs)
        modes = list(arg_modes or ["i"] * len(names))
        inputs = [n for n, m in zip(names, modes, strict=True) if m in ("i", "b", "v")]
        functions.append((str(name), [n for n in inputs if n], "" in inputs))
    return functions


def _dummy_query(args: list[str]) -> dict[str, str]:
    # every argument named, so that PostgREST finds the function; the values are
    # never read, because the request must be refused before the function runs
    return {name: "1" for name in args}


def test_the_sweep_finds_the_account_functions(api: stack.PostgREST) -> None:
    names = {name for name, _, _ in _volatile_api_functions(api)}
    assert {"login", "signup", "request_password_reset", "reset_password", "confirm_email"} <= names


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("encoded", [False, True], ids=["plain", "percent-encoded"])
def test_every_volatile_api_function_is_refused_on_get_and_head_before_it_runs(
    api: stack.PostgREST, method: str, encoded: bool
) -> None:
    functions = _volatile_api_functions(api)
    assert len(functions) > 10
    wrong: dict[str, str] = {}
    with client(api.url, source="127.0.1.10") as http:
        for name, args, raw_body in functions:
            # PostgREST decodes the name: /rpc/%6Cogin is login
            path = f"/rpc/%{ord(name[0]):02X}{name[1:]}" if encoded else f"/rpc/{name}"
            resp = http.request(method, path, params=_dummy_query(args))
            if (
                raw_body
                and resp.status_code == 404
                and (method == "HEAD" or resp.json().get("hint") == "not_found")
            ):
                # a raw-body function cannot be called by GET at all: nothing ran
                # (PostgREST's PGRST202, which the gateway answers as not_found)
                continue
            hint = resp.json().get("hint") if method == "GET" else None
            if resp.status_code != 405 or resp.headers.get("Allow") != "POST":
                wrong[name] = f"{resp.status_code} {resp.headers.get('Allow')} {resp.text[:120]}"
            elif method == "GET" and hint != "method_not_allowed":
                wrong[name] = f"{resp.status_code} {resp.text[:120]}"
    assert wrong == {}


def test_get_login_is_refused_before_the_password_is_checked(api: stack.PostgREST) -> None:
    victim = signup(api.url)
    with client(api.url, source="127.0.1.11") as http:
        resp = http.get("/rpc/login", params={"email": victim.email, "password": PASSWORD})
    assert resp.status_code == 405
    assert resp.json()["hint"] == "method_not_allowed"
    assert "use POST" in resp.json()["message"] or "with POST" in resp.json()["message"]
    assert "access_token" not in resp.text


@pytest.mark.parametrize("path", ["/rpc/me", "/rpc/health", "/rpc/my_notifications"])
def test_stable_functions_still_answer_get(api: stack.PostgREST, path: str) -> None:
    acct = signup(api.url)
    resp = httpx.get(f"{api.url}{path}", headers=acct.headers)
    assert resp.status_code == 200, resp.text
    assert httpx.head(f"{api.url}{path}", headers=acct.headers).status_code == 200


def test_a_stranger_is_throttled_for_an_email_while_its_owner_logs_in_from_another_address(
    api_url: str,
) -> None:
    owner = signup(api_url)
    spellings = [
        owner.email,
        owner.email.upper(),
        f"  {owner.email} ",
        owner.email.title(),
        owner.email,
    ]
    with client(api_url, source="127.0.1.21") as stranger:
        statuses = [
            stranger.post("/rpc/login", json={"email": e, "password": WRONG}).status_code
            for e in spellings
        ]
        assert statuses == [401] * 5
        throttled = stranger.post("/rpc/login", json={"email": owner.email, "password": PASSWORD})
        assert throttled.status_code == 429, "the stranger waits, even with the right password"
        assert throttled.json()["hint"] == "rate_limited"
        assert 1 <= int(throttled.headers["Retry-After"]) <= 30
        spelled = stranger.post(
            "/rpc/login", json={"email": f" {owner.email.upper()}", "password": WRONG}
        )
        assert spelled.status_code == 429, "another spelling of the email is the same email"
    with client(api_url, source="127.0.1.22") as usual_address:
        resp = usual_address.post("/rpc/login", json={"email": owner.email, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    assert resp.json()["user"]["id"] == owner.id


def _age_failures(api: stack.PostgREST, email: str, addr: str, seconds: int) -> None:
    """Move the pair's attempts into the past, as if the caller had waited (no sleeping)."""
    with stack.admin_connection(api) as conn:
        conn.execute(
            "update auth.login_attempts set attempted_at = attempted_at - make_interval(secs => %s) "
            "where email = %s and client_addr = %s",
            (seconds, email, addr),
        )


def test_after_five_failures_the_delay_from_one_address_doubles_with_each_failure(
    api: stack.PostgREST,
) -> None:
    owner = signup(api.url)
    addr = "127.0.1.31"
    waits: list[int] = []
    with client(api.url, source=addr) as stranger:
        for _ in range(5):
            assert (
                stranger.post(
                    "/rpc/login", json={"email": owner.email, "password": WRONG}
                ).status_code
                == 401
            )
        for _ in range(3):
            refused = stranger.post("/rpc/login", json={"email": owner.email, "password": WRONG})
            assert refused.status_code == 429
            wait = int(refused.headers["Retry-After"])
            waits.append(wait)
            _age_failures(api, owner.email, addr, wait + 1)
            assert (
                stranger.post(
                    "/rpc/login", json={"email": owner.email, "password": WRONG}
                ).status_code
                == 401
            ), "once the delay has passed, one more attempt is let through"
    assert 25 <= waits[0] <= 30
    assert 55 <= waits[1] <= 60
    assert 115 <= waits[2] <= 120


def test_a_success_from_an_address_clears_its_delays(api: stack.PostgREST) -> None:
    owner = signup(api.url)
    addr = "127.0.1.32"
    with client(api.url, source=addr) as http:
        for _ in range(5):
            http.post("/rpc/login", json={"email": owner.email, "password": WRONG})
        _age_failures(api, owner.email, addr, 31)
        assert (
            http.post("/rpc/login", json={"email": owner.email, "password": PASSWORD}).status_code
            == 200
        )
        typo = http.post("/rpc/login", json={"email": owner.email, "password": WRONG})
        assert typo.status_code == 401, "a typo after signing in is not punished for older failures"


def test_fifty_failures_for_one_email_across_addresses_lock_it_for_everyone(
    api_url: str,
) -> None:
    owner = signup(api_url)
    for i in range(9):
        with client(api_url, source=f"127.0.2.{i + 1}") as stranger:
            for _ in range(5):
                assert (
                    stranger.post(
                        "/rpc/login", json={"email": owner.email, "password": WRONG}
                    ).status_code
                    == 401
                )
    with client(api_url, source="127.0.2.100") as usual_address:
        ok = usual_address.post("/rpc/login", json={"email": owner.email, "password": PASSWORD})
        assert ok.status_code == 200, "45 failures from strangers do not lock the owner out"
    with client(api_url, source="127.0.2.10") as stranger:
        for _ in range(5):
            assert (
                stranger.post(
                    "/rpc/login", json={"email": owner.email, "password": WRONG}
                ).status_code
                == 401
            )
    with client(api_url, source="127.0.2.100") as usual_address:
        capped = usual_address.post("/rpc/login", json={"email": owner.email, "password": PASSWORD})
    assert capped.status_code == 429, "the 50th failure in 15 minutes locks the email everywhere"
    assert capped.json()["hint"] == "rate_limited"
    assert 800 <= int(capped.headers["Retry-After"]) <= 900


def _scans(db: psycopg.Connection[Any]) -> dict[str, int]:
    db.execute("select pg_stat_clear_snapshot()")
    rows = db.execute(
        "select schemaname || '.' || relname, seq_scan from pg_stat_user_tables "
        "where (schemaname, relname) in (('app', 'users'), ('auth', 'login_attempts'))"
    ).fetchall()
    return {str(name): int(n) for name, n in rows}


def test_login_and_reset_find_the_email_by_index_not_by_scanning(
    db: psycopg.Connection[Any],
) -> None:
    db.execute(
        "insert into app.users (email, role, full_name) "
        "select 'user' || i || '@example.test', 'customer', 'U' from generate_series(1, 20000) as i"
    )
    db.execute(
        "insert into auth.login_attempts (email, client_addr, succeeded) "
        "select 'user' || i || '@example.test', '10.0.' || (i % 250) || '.1', false "
        "from generate_series(1, 20000) as i"
    )
    db.execute("analyze app.users, auth.login_attempts")
    db.execute("select pg_stat_force_next_flush()")
    before = _scans(db)
    db.execute("select auth.login('  USER77@example.test', 'wrong password!')")
    db.execute("select auth.request_password_reset('user78@example.test')")
    db.execute("select pg_stat_force_next_flush()")
    db.execute("select 1")
    assert _scans(db) == before, "an account lookup read a whole table"


def test_sign_up_answers_email_taken_five_times_a_minute_per_address_then_waits_for_any_email(
    api_url: str,
) -> None:
    taken = [signup(api_url).email for _ in range(6)]
    with client(api_url, source="127.0.1.41") as prober:
        answers = [
            prober.post(
                "/rpc/signup", json={"email": e.upper(), "password": PASSWORD, "full_name": "P"}
            )
            for e in taken
        ]
        assert [a.status_code for a in answers] == [409] * 5 + [429]
        assert answers[0].json()["hint"] == "email_taken"
        assert taken[0] not in answers[0].text
        assert answers[5].json()["hint"] == "rate_limited"
        assert 1 <= int(answers[5].headers["Retry-After"]) <= 60
        fresh = prober.post(
            "/rpc/signup",
            json={"email": unique_email(), "password": PASSWORD, "full_name": "P"},
        )
        assert fresh.status_code == 429, "a new email gets the same answer: the 429 tells nothing"
    with client(api_url, source="127.0.1.42") as elsewhere:
        ok = elsewhere.post(
            "/rpc/signup", json={"email": unique_email(), "password": PASSWORD, "full_name": "Q"}
        )
    assert ok.status_code == 200, ok.text
