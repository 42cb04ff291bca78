"""Several PostgREST behind nginx's upstream (`bookiji up --scale api=N`): one of two is
killed (SIGKILL) under traffic. Reads never fail: nginx passes an idempotent request
that met a dead upstream to the live one and marks the dead one down (max_fails,
fail_timeout). A POST is not replayed once sent: a client whose POST was in flight to
the dead process gets the gateway's documented 503 `unavailable` (docs/errors.md) and
nothing else; no other 5xx reaches a client."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.helpers import booking as bk
from tests.helpers import catalog, stack
from tests.helpers.api import Account, signup


@pytest.fixture(scope="module")
def two(template_db: str) -> Iterator[stack.PostgREST]:
    with stack.api_over_scratch(
        "bookiji_two",
        template_db,
        replicas=2,
        pooled=True,  # as `make up` runs them
        costly_per_address=1000,
        costly_anonymous=1000,
    ) as api:
        yield api


def test_the_gateway_spreads_requests_over_every_postgrest(two: stack.PostgREST) -> None:
    assert len(two.processes) == 2
    assert two.gateway is not None
    conf = two.gateway.conf_file.read_text()
    for url in two.postgrest_urls:
        assert f"server {url.removeprefix('http://')} max_fails=1 fail_timeout=5s;" in conf
    # nginx's default retry conditions, which leave out non_idempotent
    assert "proxy_next_upstream error timeout;" in conf
    assert "non_idempotent" not in conf
    for url in two.postgrest_urls:
        assert httpx.get(f"{url}/rpc/health").status_code == 200


def _traffic(
    api: stack.PostgREST,
    customer: Account,
    where: tuple[float, float],
    stop: threading.Event,
    out: list[tuple[str, int, str]],
) -> None:
    start = catalog.next_weekday(4, at="11:00").isoformat()
    with httpx.Client(base_url=api.url, timeout=30, headers=customer.headers) as http:
        n = 0
        while not stop.is_set():
            if n % 2:
                r = http.get("/rpc/me")
                out.append(("GET", r.status_code, r.text))
            else:
                r = http.post(
                    "/rpc/quote",
                    json={
                        "category": "haircut",
                        "lat": where[0],
                        "lng": where[1],
                        "starts_at": start,
                    },
                )
                out.append(("POST", r.status_code, r.text))
            n += 1


def test_killing_one_of_two_postgrest_under_traffic_fails_no_read_and_no_post_beyond_503(
    two: stack.PostgREST,
) -> None:
    with stack.admin_connection(two) as admin:
        shop = bk.open_shop(admin, lat=45.71, lng=-73.61)
    customers = [signup(two.url, "customer") for _ in range(4)]
    results: list[list[tuple[str, int, str]]] = [[] for _ in customers]
    stop = threading.Event()
    threads = [
        threading.Thread(target=_traffic, args=(two, c, (shop.lat, shop.lng), stop, out))
        for c, out in zip(customers, results, strict=True)
    ]
    for t in threads:
        t.start()
    try:
        # traffic on both, then one dies without a word
        while sum(len(r) for r in results) < 200:
            threads[0].join(0.05)
        before = sum(len(r) for r in results)
        victim = two.processes[1]
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        while sum(len(r) for r in results) < before + 400:
            threads[0].join(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    answers = [a for r in results for a in r]
    gets = [a for a in answers if a[0] == "GET"]
    posts = [a for a in answers if a[0] == "POST"]
    assert gets and posts
    assert [a for a in gets if a[1] != 200] == [], "a read failed"
    failed = [a for a in posts if a[1] != 200]
    for _, status, body in failed:
        assert status == 503 and '"hint":"unavailable"' in body.replace(" ", ""), body
    # at most the POSTs in flight to the dead process (one per client) or sent on a
    # kept-alive connection to it before nginx saw it die
    assert len(failed) <= len(customers) * 2, failed
    # the survivor answers everything
    for _ in range(20):
        r = httpx.get(f"{two.url}/rpc/me", headers=customers[0].headers)
        assert r.status_code == 200, r.text
    print(f"kill under traffic: {len(answers)} answers, {len(failed)} POSTs answered 503")
