"""The gateway's cost limits (gateway/upstream.js, docs/security.md "Cost"): what
PostgREST 12 cannot be told to bound is refused before it reaches PostgREST with
400 too_costly; expensive requests in flight are capped per address and for all
anonymous callers together; the per-token rate limit keys on the token itself.

The upstream is a small HTTP server that records what reaches it and, on /hold,
keeps the request open until the test lets it go, so that requests in flight can be
counted without timing. The real nginx and the real njs code run."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.helpers import stack
from tests.helpers.api import client
from tests.helpers.waiting import until

SEEN: list[str] = []  # the paths that reached the upstream
HELD: list[str] = []  # the /hold requests waiting now
RELEASE = threading.Event()
LOCK = threading.Lock()


class _Upstream(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        with LOCK:
            SEEN.append(self.path)
        if self.path.startswith("/hold"):
            with LOCK:
                HELD.append(self.path)
            RELEASE.wait(60)
            with LOCK:
                HELD.remove(self.path)
        payload = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_POST = do_GET

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
        RELEASE.set()
        server.shutdown()


@pytest.fixture(scope="module")
def gateway_url(upstream: ThreadingHTTPServer) -> Iterator[str]:
    with stack.gateway_before(
        upstream.server_address[1],
        _answers,
        rate_per_token=5,
        burst_per_token=10,
        costly_per_address=2,
        costly_anonymous=3,
    ) as url:
        yield url


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/ping").status_code == 200
    except httpx.TransportError:
        return False


DEPTH_6 = "*," + "providers(*,services(" * 3 + "*" + "))" * 3


@pytest.mark.parametrize(
    ("query", "headers", "names"),
    [
        (f"select={DEPTH_6}", {}, "6 levels deep"),
        ("select=*,providers(*,services(*))", {}, "2 levels deep"),
        ("select=*,a:providers(*),b:providers(*),c:providers(*)", {}, "embeds 3 resources"),
        ("select=*,...providers(id),x:providers(id),y:providers(id)", {}, "embeds 3"),
        ("select=" + ",".join(f"c{i}:name" for i in range(41)), {}, "lists 41 columns"),
        ("or=(a.eq.1,and(b.eq.2,or(c.eq.3,and(d.eq.4,e.eq.5))))", {}, "4 levels deep"),
        ("services.not.and=(a.eq.1,or(b.eq.2,and(c.eq.3,or(d.eq.4))))", {}, "services.not.and="),
        ("or=(" + ",".join(f"a.eq.{i}" for i in range(21)) + ")", {}, "21 conditions"),
        ("offset=10001", {}, "offset=10001 is over the API's limit of 10000"),
        ("services.offset=50000", {}, "services.offset=50000"),
        ("", {"Range": "20000-20999"}, "Range header starts at row 20000"),
        ("", {"Prefer": "count=exact"}, "count=exact"),
        ("", {"Prefer": "return=minimal, count=exact"}, "count=planned or count=estimated"),
        ("select=*,providers(*,services(*%29%29", {}, "2 levels deep"),  # percent-encoded
    ],
)
def test_requests_costlier_than_the_api_needs_are_refused_with_400_too_costly_before_postgrest(
    gateway_url: str, query: str, headers: dict[str, str], names: str
) -> None:
    SEEN.clear()
    resp = httpx.get(f"{gateway_url}/services?{query}", headers=headers)
    assert resp.status_code == 400, resp.text
    assert resp.json()["code"] == "PT400"
    assert resp.json()["hint"] == "too_costly"
    assert names in resp.json()["message"]
    assert SEEN == []


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ("select=*,providers(*)", {}),
        ("select=*,providers(business_name,rating_avg),other:providers(id)", {}),
        ('select="weird(name",providers(*)', {}),  # a quoted identifier is not an embed
        ("select=" + ",".join(f"c{i}:name" for i in range(40)), {}),
        ("or=(a.eq.1,and(b.eq.2,or(c.eq.3,d.in.(1,2,3))))", {}),
        ("id=in.(" + ",".join(str(i) for i in range(200)) + ")", {}),
        ("or=(id.in.(" + ",".join(str(i) for i in range(100)) + "),name.eq.x)", {}),
        ("offset=10000&limit=10", {}),
        ("", {"Range": "0-999"}),
        ("", {"Prefer": "count=planned"}),
        ("", {"Prefer": "count=estimated"}),
    ],
)
def test_what_the_api_needs_passes_the_cost_limits(
    gateway_url: str, query: str, headers: dict[str, str]
) -> None:
    SEEN.clear()
    resp = httpx.get(f"{gateway_url}/services?{query}", headers=headers)
    assert resp.status_code == 200, resp.text
    assert len(SEEN) == 1


def _hold_until_seen(
    pool: ThreadPoolExecutor, url: str, paths: list[tuple[str, dict[str, str]]]
) -> list[Future[httpx.Response]]:
    """Start a request per (source address, headers) on /hold; wait until all are held."""
    futures = []
    for i, (source, headers) in enumerate(paths):

        def go(
            source: str = source, headers: dict[str, str] = headers, i: int = i
        ) -> httpx.Response:
            with client(url, source=source) as http:
                return http.get(f"/hold?select=*,providers(*)&n={i}", headers=headers)

        futures.append(pool.submit(go))
    until(lambda: len(HELD) == len(paths), 20, f"{len(paths)} requests held upstream")
    return futures


def test_expensive_requests_in_flight_are_capped_per_address_with_429(gateway_url: str) -> None:
    RELEASE.clear()
    with ThreadPoolExecutor(4) as pool:
        held = _hold_until_seen(
            pool, gateway_url, [("127.0.0.61", {"Authorization": "Bearer a"})] * 2
        )
        try:
            with client(gateway_url, source="127.0.0.61") as http:
                refused = http.get("/services?select=*,providers(*)")
                cheap = http.get("/services?select=*")
            with client(gateway_url, source="127.0.0.62") as other:
                elsewhere = other.get(
                    "/services?select=*,providers(*)", headers={"Authorization": "Bearer b"}
                )
        finally:
            RELEASE.set()
        answers = [f.result() for f in held]
    assert refused.status_code == 429, refused.text
    assert refused.json()["hint"] == "rate_limited"
    assert refused.headers["Retry-After"] == "1"
    assert cheap.status_code == 200
    assert elsewhere.status_code == 200
    assert [a.status_code for a in answers] == [200, 200]


def test_anonymous_expensive_requests_in_flight_are_capped_together_and_signed_in_ones_pass(
    gateway_url: str,
) -> None:
    RELEASE.clear()
    with ThreadPoolExecutor(4) as pool:
        held = _hold_until_seen(pool, gateway_url, [(f"127.0.0.{71 + i}", {}) for i in range(3)])
        try:
            with client(gateway_url, source="127.0.0.75") as http:
                refused = http.get("/rpc/available_slots?service_id=x")
                quote = http.post("/rpc/quote", headers={"Authorization": "Bearer c"})
                cheap = http.get("/rpc/ping")
        finally:
            RELEASE.set()
        answers = [f.result() for f in held]
    assert refused.status_code == 429, refused.text
    assert refused.json()["hint"] == "rate_limited"
    assert quote.status_code == 200
    assert cheap.status_code == 200
    assert [a.status_code for a in answers] == [200, 200, 200]


def test_the_per_token_limit_keys_on_the_token_not_on_how_the_header_spells_it(
    gateway_url: str,
) -> None:
    """Finding 7: the limit keyed on the raw header, so `bearer`, `BEARER` or extra
    spaces made a new bucket each. 8 spellings x 5 requests: 40 in one bucket of
    5/s with a burst of 10 must meet 429s; in 8 buckets none would."""
    token = f"t{uuid.uuid4().hex}"
    spellings = [
        f"Bearer {token}",
        f"bearer {token}",
        f"BEARER {token}",
        f"Bearer  {token}",
        f"bearer   {token}",
        f"BeArEr {token}",
        f"Bearer    {token}",
        f"bEARER {token}",
    ]
    statuses = []
    with client(gateway_url, source="127.0.0.81") as http:
        for _ in range(5):
            for spelling in spellings:
                statuses.append(http.get("/ping", headers={"Authorization": spelling}).status_code)
    assert 429 in statuses, statuses
    with client(gateway_url, source="127.0.0.82") as http:
        assert http.get("/ping", headers={"Authorization": "Bearer other"}).status_code == 200
