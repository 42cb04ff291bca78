"""A call of an RPC with argument keys none of its signatures takes is a 400 naming the unknown
keys (PostgREST's PGRST202 404, rewritten by the gateway from gateway/rpc_arguments.js); a
function that does not exist stays a 404."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers.auth import bearer, mint


@pytest.mark.parametrize(
    ("role", "method", "path", "args", "unknown"),
    [
        ("customer", "POST", "/rpc/quote", {"category": "haircut", "radius": 5}, ['"radius"']),
        ("anon", "POST", "/rpc/ping", {"bogus": 1}, ['"bogus"']),
        ("anon", "GET", "/rpc/ping", {"zz": "1"}, ['"zz"']),
        (
            "ops",
            "POST",
            "/rpc/dlq_list",
            {"queue": "payments", "kind": "x", "max": 2},
            ['"kind"', '"max"'],
        ),
        # an ops function called by a customer: the same answer (its arguments are not listed)
        ("customer", "POST", "/rpc/dlq_list", {"queue": "payments", "bogus": 1}, ['"bogus"']),
    ],
)
def test_unknown_argument_keys_are_a_400_naming_them(
    api_url: str, role: str, method: str, path: str, args: dict[str, object], unknown: list[str]
) -> None:
    headers = {} if role == "anon" else bearer(mint(role))
    kw: dict[str, object] = {"params": args} if method == "GET" else {"json": args}
    resp = httpx.request(method, f"{api_url}{path}", headers=headers, **kw)  # type: ignore[arg-type]
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert body["hint"] == "invalid_input"
    name = path.removeprefix("/rpc/")
    wanted = ("unknown arguments " if len(unknown) > 1 else "unknown argument ") + ", ".join(
        unknown
    )
    assert body["message"] == f"{wanted} for {name}; GET /openapi.json lists its arguments", body
    # the known ones are not named, nor the other arguments the function takes
    for known in set(args) - {u.strip('"') for u in unknown}:
        assert f'"{known}"' not in body["message"]
    assert f"api.{name}" not in resp.text  # the schema-qualified name PostgREST gave


def test_many_unknown_keys_are_named_up_to_five(api_url: str) -> None:
    args = {f"k{i}": i for i in range(8)}
    resp = httpx.post(f"{api_url}/rpc/ping", json=args)
    assert resp.status_code == 400
    assert resp.json()["message"] == (
        'unknown arguments "k0", "k1", "k2", "k3", "k4" and 3 more for ping;'
        " GET /openapi.json lists its arguments"
    )


@pytest.mark.parametrize(
    ("method", "path", "kw"),
    [
        ("POST", "/rpc/no_such_function", {"json": {"a": 1}}),
        ("POST", "/rpc/quot", {"json": {}}),
        ("GET", "/rpc/no_such_function", {"params": {"a": "1"}}),
        # the raw-body webhook cannot be called with keys at all: still no such endpoint
        ("GET", "/rpc/stripe_webhook", {"params": {"a": "1"}}),
    ],
)
def test_an_unknown_function_stays_a_404(
    api_url: str, method: str, path: str, kw: dict[str, object]
) -> None:
    resp = httpx.request(method, f"{api_url}{path}", **kw)  # type: ignore[arg-type]
    assert resp.status_code == 404, resp.text
    assert resp.json()["hint"] == "not_found"
    assert resp.json()["message"] == "no such endpoint; GET / lists the API"


def test_known_arguments_still_reach_the_function(api_url: str) -> None:
    assert httpx.post(f"{api_url}/rpc/ping", json={}).json() == 1
    missing = httpx.post(f"{api_url}/rpc/dlq_list", json={}, headers=bearer(mint("ops")))
    assert missing.status_code == 400 and "queue" in missing.json()["message"]
