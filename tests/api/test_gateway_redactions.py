"""The gateway's last line (gateway/errors.js): whatever error PostgREST
answers, the client never reads a table, constraint or relation name. The real
database cannot produce every case on demand (a constraint the gateway's copy of
the registry does not know yet, an embedding ambiguity, a stray internal name), so
the upstream here is a small HTTP server that answers what each request asks for;
the real nginx and the real njs code run."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.helpers import stack


class _Echo(BaseHTTPRequestHandler):
    """Answers with the status and body the request's JSON body names."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        asked = json.loads(self.rfile.read(length) or b"{}")
        payload = json.dumps(asked.get("body", {})).encode()
        self.send_response(int(asked.get("status", 200)))
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def gateway_url() -> Iterator[str]:
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    try:
        with stack.gateway_before(upstream.server_address[1], _answers) as url:
            yield url
    finally:
        upstream.shutdown()


def _answers(url: str) -> bool:
    try:
        return httpx.post(f"{url}/x", json={}).status_code == 200
    except httpx.TransportError:
        return False


def _through(url: str, status: int, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{url}/anything", json={"status": status, "body": body})


def _err(code: str, message: str, details: Any = None, hint: Any = None) -> dict[str, Any]:
    return {"code": code, "message": message, "details": details, "hint": hint}


@pytest.mark.parametrize(
    ("sqlstate", "status", "hint"),
    [("23505", 409, "conflict"), ("23503", 409, "conflict"), ("23514", 400, "invalid_input"),
     ("23P01", 409, "conflict")],
)  # fmt: skip
def test_a_constraint_the_registry_copy_does_not_know_gets_a_neutral_message(
    gateway_url: str, sqlstate: str, status: int, hint: str
) -> None:
    resp = _through(
        gateway_url,
        409,
        _err(sqlstate, 'new row for relation "secrets" violates constraint "secrets_new_key"',
             "Failing row contains (42, hunter2)."),
    )  # fmt: skip
    assert (resp.status_code, resp.json()["hint"]) == (status, hint)
    assert "secrets" not in resp.text and "hunter2" not in resp.text


def test_a_known_constraint_gets_its_registered_message(gateway_url: str) -> None:
    resp = _through(
        gateway_url,
        409,
        _err("23505", 'duplicate key value violates unique constraint "users_email_key"',
             "Key (email)=(a@b.test) already exists."),
    )  # fmt: skip
    assert resp.status_code == 409
    assert resp.json() == {
        "code": "PT409",
        "details": None,
        "hint": "email_taken",
        "message": "an account with this email already exists",
    }


def test_an_ambiguous_embedding_keeps_its_message_but_not_the_foreign_key_names(
    gateway_url: str,
) -> None:
    details = [
        {"cardinality": "many-to-one", "embedding": "my_bookings with services",
         "relationship": "bookings_service_id_fkey using bookings(service_id) and services(id)"},
    ]  # fmt: skip
    resp = _through(
        gateway_url,
        300,
        _err("PGRST201", "Could not embed because more than one relationship was found for "
             "'my_bookings' and 'services'", details, "Try changing 'services' to one of: "
             "'services!bookings_service_id_fkey'"),
    )  # fmt: skip
    assert resp.status_code == 300
    assert "more than one relationship" in resp.json()["message"]
    assert "fkey" not in resp.text


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (500, "permission denied for table users"),
        (500, "function internal.quote_candidates(integer) does not exist"),
        (400, 'null value in column "x" of relation "providers" violates not-null constraint'),
        (404, 'relation "api.users" does not exist'),
    ],
)
def test_any_other_error_that_names_the_private_schema_is_neutral(
    gateway_url: str, status: int, message: str
) -> None:
    resp = _through(gateway_url, status, _err("XX000", message))
    assert resp.status_code == status
    body = resp.json()
    assert body["code"] == f"PT{status}" and body["hint"]
    assert "users" not in resp.text and "internal." not in resp.text
    assert "providers" not in resp.text


def test_registry_errors_and_harmless_errors_pass_untouched(gateway_url: str) -> None:
    mine = _err("PT409", "the users_email_key of the slot is taken", "", "slot_unavailable")
    assert _through(gateway_url, 409, mine).json() == mine
    plain = _err("22P02", 'invalid input syntax for type uuid: "x"')
    assert _through(gateway_url, 400, plain).json() == plain
