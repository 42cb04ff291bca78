"""The gateway (nginx + gateway/upstream.js) reads PostgREST's whole answer and
corrects the two PostgREST 12 gets wrong for clients; everything else passes through
byte for byte, with its status, headers, method, query string and body.

The upstream here is a small HTTP server that answers exactly what PostgREST answers
in those cases: the empty 400 only happens when a pooled connection died in a Postgres
crash, which cannot be produced on demand (tests/chaos/test_pg_restart.py checks that
no client sees it under a real restart). The real nginx and the real njs code run."""

from __future__ import annotations

import json
import subprocess
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from bookiji import gateway
from bookiji.procs import free_port, stop
from tests.helpers import stack
from tests.helpers.waiting import until

EMPTY_400 = b'{"code":"","details":null,"hint":null,"message":""}'
TIMEOUT_500 = (
    b'{"code":"57014","details":null,"hint":null,'
    b'"message":"canceling statement due to statement timeout"}'
)
OTHER_500 = b'{"code":"XX000","details":null,"hint":null,"message":"internal error"}'
PARSE_400 = b'{"code":"PGRST100","details":null,"hint":null,"message":"failed to parse filter"}'


SEEN: list[dict[str, Any]] = []  # what the upstream received, in order


class _Upstream(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        SEEN.append(
            {
                "method": self.command,
                "path": self.path,
                "body": body,
                "authorization": self.headers.get("Authorization"),
                "prefer": self.headers.get("Prefer"),
                "request_id": self.headers.get("X-Request-Id"),
            }
        )
        route = self.path.split("?")[0]
        status, payload, extra = {
            "/empty400": (400, EMPTY_400, {}),
            "/timeout": (500, TIMEOUT_500, {}),
            "/other500": (500, OTHER_500, {}),
            "/parse400": (400, PARSE_400, {}),
            "/created": (
                201,
                b'[{"id":1}]',
                {"Location": "/things?id=eq.1", "Preference-Applied": "return=representation"},
            ),
            "/empty": (204, b"", {}),
        }.get(route, (200, json.dumps({"path": self.path}).encode(), {"Content-Range": "0-0/*"}))
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_DELETE = do_HEAD = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def upstream() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def gateway_url(upstream: ThreadingHTTPServer) -> Iterator[str]:
    with stack.gateway_before(upstream.server_address[1], _answers) as url:
        yield url


def _home() -> Path:
    """Under the data directory, as the stack's own (nginx's workers must reach it)."""
    return stack.settings().data_dir / "test" / f"gateway-{uuid.uuid4().hex[:8]}"


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/ping").status_code == 200
    except httpx.TransportError:
        return False


def test_postgrests_empty_400_after_a_dead_connection_is_a_503_to_retry(gateway_url: str) -> None:
    resp = httpx.post(f"{gateway_url}/empty400", json={"a": 1})
    assert resp.status_code == 503, resp.text
    assert resp.headers["Retry-After"] == "2"
    assert resp.json()["code"] == "PT503"
    assert resp.json()["hint"] == "unavailable"
    assert "restarting" in resp.json()["message"]
    assert resp.headers["X-Request-Id"]


def test_a_statement_timeout_is_a_503_that_says_so(gateway_url: str) -> None:
    resp = httpx.get(f"{gateway_url}/timeout")
    assert resp.status_code == 503, resp.text
    assert resp.json()["hint"] == "statement_timeout"
    assert "statement timeout" in resp.json()["message"]
    assert resp.headers["Retry-After"] == "5"


@pytest.mark.parametrize(
    ("path", "status", "body"), [("/other500", 500, OTHER_500), ("/parse400", 400, PARSE_400)]
)
def test_other_errors_pass_through_unchanged(
    gateway_url: str, path: str, status: int, body: bytes
) -> None:
    resp = httpx.get(f"{gateway_url}{path}")
    assert resp.status_code == status
    assert resp.content == body
    assert "Retry-After" not in resp.headers


def test_method_query_headers_and_body_reach_postgrest_and_come_back(
    gateway_url: str, upstream: ThreadingHTTPServer
) -> None:
    SEEN.clear()
    payload = json.dumps({"name": "é" * 10000}).encode()  # over nginx's 16k in-memory body
    resp = httpx.post(
        f"{gateway_url}/created?select=id,name&name=eq.a%20b",
        content=payload,
        headers={
            "Authorization": "Bearer x.y.z",
            "Prefer": "return=representation",
            "Content-Type": "application/json",
        },
    )
    assert resp.status_code == 201
    assert resp.content == b'[{"id":1}]'
    assert resp.headers["Location"] == "/things?id=eq.1"
    assert resp.headers["Preference-Applied"] == "return=representation"
    seen = SEEN[-1]
    assert seen["method"] == "POST"
    assert seen["path"] == "/created?select=id,name&name=eq.a%20b"
    assert seen["body"] == payload
    assert seen["authorization"] == "Bearer x.y.z"
    assert seen["prefer"] == "return=representation"
    assert seen["request_id"] == resp.headers["X-Request-Id"]

    for method in ("PATCH", "DELETE"):
        assert httpx.request(method, f"{gateway_url}/x?id=eq.1").status_code == 200
        assert SEEN[-1]["method"] == method
    head = httpx.head(f"{gateway_url}/rows")
    assert head.status_code == 200 and head.headers["Content-Range"] == "0-0/*"
    assert SEEN[-1]["method"] == "HEAD"
    assert httpx.delete(f"{gateway_url}/empty").status_code == 204


def test_postgrest_down_is_a_503_not_a_502() -> None:
    home = _home()
    port = free_port()
    cfg = gateway.GatewayConfig(
        listen_host="127.0.0.1",
        listen_port=port,
        upstream_port=free_port(),  # nothing listens there
        home=home,
    )
    gateway.prepare(cfg)
    nginx = subprocess.Popen(
        gateway.command(cfg), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        url = f"http://127.0.0.1:{port}"
        until(lambda: _status(url) is not None, 20, "nginx to answer")
        resp = httpx.post(f"{url}/rpc/quote", json={})
        assert resp.status_code == 503
        assert resp.json()["hint"] == "unavailable"
        assert resp.headers["Retry-After"] == "2"
    finally:
        stop(nginx)


def _status(url: str) -> int | None:
    try:
        return httpx.get(f"{url}/ping").status_code
    except httpx.TransportError:
        return None


NOT_UTF8 = b"p\xef\xc2\x8b|\xa8\xa6\xcf2M"  # what schemathesis sent; PostgREST 12 failed with 500


@pytest.mark.parametrize("header", ["Range", "Accept", "Prefer", "X-Anything"])
def test_a_header_that_is_not_utf8_is_refused_before_postgrest(
    gateway_url: str, header: str
) -> None:
    SEEN.clear()
    resp = httpx.get(f"{gateway_url}/rows", headers={header: NOT_UTF8})
    assert resp.status_code == 400, resp.text
    assert resp.json()["hint"] == "invalid_input"
    assert resp.json()["message"] == f"the {header} header is not valid UTF-8"
    assert SEEN == []


@pytest.mark.parametrize("query", ["select=%ff", "id=eq.%c3%28", "%fe=eq.1", "or=(a.eq.%ed%a0%80)"])
def test_a_query_string_that_is_not_utf8_is_refused_before_postgrest(
    gateway_url: str, query: str
) -> None:
    SEEN.clear()
    resp = httpx.get(f"{gateway_url}/rows?{query}")
    assert resp.status_code == 400, resp.text
    assert "not valid UTF-8" in resp.json()["message"]
    assert SEEN == []


def test_utf8_and_stray_percent_signs_pass_as_they_are(gateway_url: str) -> None:
    SEEN.clear()
    resp = httpx.get(
        f"{gateway_url}/rows?name=eq.%C3%A9t%C3%A9&note=eq.100%&x=%zz",
        headers={"X-Name": "Montréal 日本".encode()},
    )
    assert resp.status_code == 200
    assert SEEN[-1]["path"] == "/rows?name=eq.%C3%A9t%C3%A9&note=eq.100%&x=%zz"


def test_the_real_api_answers_bytes_it_cannot_read_with_a_400_not_a_500(api_url: str) -> None:
    """Found by the fuzz run: PostgREST 12 fails any request whose header or query string
    is not UTF-8 with a bare 500 ("Something went wrong"), or drops the connection."""
    for headers, url in [
        ({"Range": NOT_UTF8}, f"{api_url}/services"),
        ({"Accept": NOT_UTF8}, f"{api_url}/services"),
        ({}, f"{api_url}/services?select=%ff"),
    ]:
        resp = httpx.get(url, headers=headers)
        assert resp.status_code == 400, resp.text
        assert resp.json()["code"] == "PT400"
