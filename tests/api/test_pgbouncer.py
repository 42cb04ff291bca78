"""Through PgBouncer in transaction mode (bookiji/pgbouncer.py): PostgREST, the worker's
queue loop and the real-time service's deliveries share pooled server connections.

What these tests pin: the whole booking flow (quote, confirm, the worker's PaymentIntent,
Stripe's signed webhook) works through the pooler; request-scoped settings (the role,
request.jwt.claims) never outlive their request even when two users alternate on ONE
server connection; PostgREST is configured for the pooler (no prepared statements, no
LISTEN through it); and what needs a session of its own (LISTEN) connects directly."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import psycopg
import pytest
import stripe

from bookiji import access_log, config
from tests.helpers import booking as bk
from tests.helpers import catalog, stack
from tests.helpers.api import Account, signup
from tests.helpers.auth import mint
from tests.helpers.factories import create_user
from tests.helpers.realtime import Client
from tests.helpers.stripe_fake import LocalStripe, run_localstripe
from tests.helpers.waiting import until
from tests.helpers.worker_proc import WorkerProcess


@pytest.fixture(scope="module")
def one_connection(template_db: str) -> Iterator[stack.PostgREST]:
    """PostgREST behind PgBouncer with ONE server connection per role: every request of
    every user runs on the same PostgreSQL backend, one after the other."""
    with stack.api_over_scratch("bookiji_pgb1", template_db, pooled=True, pool_size=1) as api:
        yield api


@pytest.fixture(scope="module")
def pooled(template_db: str) -> Iterator[stack.PostgREST]:
    """PostgREST and the real-time service behind PgBouncer (the default pool size)."""
    with stack.api_over_scratch("bookiji_pgb", template_db, pooled=True, realtime_env={}) as api:
        yield api


def _backends(api: stack.PostgREST) -> set[int]:
    """The PostgreSQL backends serving the authenticator on this API's database."""
    with stack.admin_connection(api) as conn:
        rows = conn.execute(
            "select pid from pg_stat_activity where usename = 'authenticator' "
            "and datname = current_database()"
        ).fetchall()
    return {r[0] for r in rows}


def test_postgrest_behind_the_pooler_prepares_nothing_and_does_not_listen_through_it(
    pooled: stack.PostgREST,
) -> None:
    conf = (pooled.log.parent / "postgrest.conf").read_text()
    assert "db-prepared-statements = false" in conf
    assert "db-channel-enabled = false" in conf
    assert pooled.pooler is not None
    assert f":{pooled.pooler.listen_port}/" in conf
    ini = pooled.pooler.ini.read_text()
    assert "pool_mode = transaction" in ini
    # no LISTEN reaches PostgreSQL through the pooler, nor from the real-time service,
    # which polls the event log instead (no NOTIFY on the booking path)
    with stack.admin_connection(pooled) as conn:
        listening = conn.execute(
            "select count(*) from pg_stat_activity where datname = current_database() "
            "and query ilike 'listen%'"
        ).fetchone()
        until(
            lambda: (
                conn.execute(
                    "select count(*) from pg_stat_activity where datname = current_database() "
                    "and query like '%auth.event_ids_after%' and pid <> pg_backend_pid()"
                ).fetchone()
                == (1,)
            ),
            10,
            "the real-time service's one polling connection",
        )
    assert listening == (0,)


def test_two_users_alternating_on_one_server_connection_each_see_only_their_own_rows(
    one_connection: stack.PostgREST,
) -> None:
    api = one_connection
    users = [signup(api.url, "customer"), signup(api.url, "provider")]
    with stack.admin_connection(api) as admin:
        shop = bk.open_shop(admin, lat=45.61, lng=-73.71)
        mine = bk.book(
            admin, shop, catalog.next_weekday(3, at="10:00"), customer=uuid.UUID(users[0].id)
        )
    with httpx.Client(base_url=api.url, timeout=30) as http:
        for round_ in range(30):
            for who in users:
                me = http.get("/rpc/me", headers=who.headers)
                assert me.status_code == 200, me.text
                assert me.json()["id"] == who.id, f"round {round_}: saw another user's profile"
                assert me.json()["role"] == who.role
                rows = http.get("/my_bookings", params={"select": "id"}, headers=who.headers)
                assert rows.status_code == 200, rows.text
                expected = [{"id": mine["id"]}] if who is users[0] else []
                assert rows.json() == expected, f"round {round_}: {who.role} saw {rows.json()}"
            # and an anonymous request right after theirs is anonymous
            anon = http.get("/rpc/me")
            assert anon.status_code == 401, anon.text
            assert anon.json()["hint"] == "not_authenticated"
    assert len(_backends(api)) == 1, "the requests did not share one server connection"


def test_role_and_claims_are_reset_after_each_transaction_on_the_shared_connection(
    one_connection: stack.PostgREST,
) -> None:
    """What PostgREST sets per request (set local role, request.jwt.claims) is gone when
    the next client gets the same server connection: seen by a third client of the pool."""
    api = one_connection
    who = signup(api.url, "customer")
    assert httpx.get(f"{api.url}/rpc/me", headers=who.headers).json()["id"] == who.id
    assert api.pooler is not None
    url = api.pooler_url("authenticator", config.load().authenticator_password)
    with psycopg.connect(url, autocommit=True, prepare_threshold=None) as conn:
        row = conn.execute(
            "select current_user, coalesce(current_setting('request.jwt.claims', true), ''), "
            "pg_backend_pid()"
        ).fetchone()
    assert row is not None
    assert row[0] == "authenticator"
    assert row[1] == ""
    assert _backends(api) == {row[2]}, "PostgREST's requests ran on another server connection"


def test_the_access_log_shipper_prepares_nothing_through_the_pooler(
    one_connection: stack.PostgREST,
) -> None:
    """`make up` ships nginx's access log through PgBouncer: two shippers in turn, each
    inserting more rows than psycopg's prepare threshold, on the one server connection
    (a statement one prepared would clash with the other's or be missing)."""
    api = one_connection
    assert api.gateway is not None
    url = api.pooler_url("bookiji_worker", config.load().worker_db_password)
    for _ in range(3):
        with httpx.Client(base_url=api.url, timeout=30) as http:
            ids = [http.get("/rpc/health").headers["X-Request-Id"] for _ in range(8)]

        def shipped(ids: list[str] = ids) -> bool:
            access_log.Shipper(url, api.gateway.access_log).run(once=True)  # type: ignore[union-attr]
            with stack.admin_connection(api) as conn:
                row = conn.execute(
                    "select count(*) from audit.access_log where request_id = any(%s)", (ids,)
                ).fetchone()
            return row == (len(ids),)

        until(shipped, 10, "the access log lines to be shipped through PgBouncer")


def test_real_time_deliveries_through_the_pooler_reach_only_their_subscriber(
    pooled: stack.PostgREST,
) -> None:
    """The real-time service reads each event as its subscriber (set local role, local
    claims) on PgBouncer's connections, and hears NOTIFY on its direct one."""
    rt_url = pooled.url.replace("http://", "ws://") + "/realtime"
    with stack.admin_connection(pooled) as admin:
        customers = [create_user(admin, "customer") for _ in range(2)]
        shops = [bk.open_shop(admin, lat=45.2 + i / 10, lng=-74.2) for i in range(2)]

        async def run() -> list[list[str]]:
            clients = [await Client.open(rt_url, mint("customer", c)) for c in customers]
            for client in clients:
                await client.subscribe("bookings")
            booked = []
            for _ in range(3):  # alternating, so that the pool's connections are shared
                for c, shop in zip(customers, shops, strict=True):
                    start = catalog.next_weekday(2, at="10:00") + timedelta(hours=len(booked))
                    booked.append(bk.book(admin, shop, start, c)["id"])
            seen = []
            for client in clients:
                events = await client.collect(
                    lambda ev: len({e["data"]["booking_id"] for e in ev}) >= 3, timeout=30
                )
                seen.append(sorted({str(e["data"]["booking_id"]) for e in events}))
                await client.ws.close()
            return [sorted(booked[0::2]), sorted(booked[1::2]), *seen]

        mine0, mine1, seen0, seen1 = asyncio.run(run())
    assert seen0 == mine0
    assert seen1 == mine1


@pytest.fixture(scope="module")
def localstripe(pooled: stack.PostgREST) -> Iterator[LocalStripe]:
    with run_localstripe() as fake:
        fake.register_webhook(
            f"{pooled.url}/rpc/stripe_webhook", config.load().stripe_webhook_secret
        )
        yield fake


def _worker_urls(api: stack.PostgREST) -> tuple[str, str]:
    """The worker's queue loop through the pooler, its LISTEN and handlers directly."""
    password = config.load().worker_db_password
    dbname = str(psycopg.conninfo.conninfo_to_dict(api.db_url)["dbname"])
    return api.pooler_url("bookiji_worker", password), stack.worker_url(dbname)


def _book(api: stack.PostgREST, customer: Account) -> dict[str, Any]:
    lat, lng = 46.5 + (uuid.uuid4().int % 500) / 1000, -75.5 + (uuid.uuid4().int % 500) / 1000
    with stack.admin_connection(api) as admin:
        shop = bk.open_shop(admin, lat=lat, lng=lng)
    start = catalog.next_weekday(4, at="13:00")
    offers = httpx.post(
        f"{api.url}/rpc/quote",
        json={"category": "haircut", "lat": lat, "lng": lng, "starts_at": start.isoformat()},
        headers=customer.headers,
        timeout=30,
    )
    assert offers.status_code == 200, offers.text
    offer = next(o for o in offers.json() if o["provider_id"] == str(shop.provider_id))
    confirmed = httpx.post(
        f"{api.url}/rpc/confirm_booking",
        json={"quote_id": offer["quote_id"], "provider_id": offer["provider_id"]},
        headers={**customer.headers, "Idempotency-Key": str(uuid.uuid4())},
        timeout=30,
    )
    assert confirmed.status_code == 200, confirmed.text
    return dict(confirmed.json())


def _payment(api: stack.PostgREST, customer: Account, booking_id: str) -> dict[str, Any]:
    resp = httpx.get(
        f"{api.url}/rpc/booking_payment",
        params={"booking_id": booking_id},
        headers=customer.headers,
        timeout=30,
    )
    assert resp.status_code == 200, resp.text
    return dict(resp.json()["payment"])


def _status(api: stack.PostgREST, customer: Account, booking_id: str) -> str:
    rows = httpx.get(
        f"{api.url}/my_bookings",
        params={"id": f"eq.{booking_id}"},
        headers=customer.headers,
        timeout=30,
    ).json()
    return str(rows[0]["status"])


def _secret(api: stack.PostgREST, customer: Account, booking_id: str) -> Callable[[], Any]:
    return lambda: _payment(api, customer, booking_id)["client_secret"]


def _confirmed(api: stack.PostgREST, customer: Account, booking_id: str) -> Callable[[], bool]:
    return lambda: _status(api, customer, booking_id) == "confirmed"


def test_the_booking_flow_runs_through_the_pooler_quote_confirm_worker_webhook(
    pooled: stack.PostgREST, localstripe: LocalStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIPE_API_BASE", localstripe.url)
    loop_url, direct_url = _worker_urls(pooled)
    monkeypatch.setenv("WORKER_DIRECT_DATABASE_URL", direct_url)
    # more bookings than psycopg's prepare threshold (5 executions of one query): a
    # prepared statement through transaction pooling would fail on another backend
    customers = [signup(pooled.url, "customer") for _ in range(8)]
    bookings = [(c, _book(pooled, c)) for c in customers]
    assert all(b["status"] == "pending_payment" for _, b in bookings)
    with WorkerProcess(
        loop_url, "--import", "worker.tasks", "--queues", "payments", "--poll", "0.5"
    ) as worker:
        worker.wait_for("worker ready")
        try:
            intents = {
                b["id"]: str(until(_secret(pooled, c, b["id"]), what="the PaymentIntent")).split(
                    "_secret_"
                )[0]
                for c, b in bookings
            }
        finally:
            print(worker.output()[-4000:])
        assert "prepared statement" not in worker.output()
    sc = stripe.StripeClient(
        "sk_test_pgb", base_addresses={"api": localstripe.url}, max_network_retries=0
    )
    for customer, b in bookings:
        intent = intents[b["id"]]
        sc.v1.payment_intents.update(intent, params={"payment_method": "pm_card_visa"})
        assert sc.v1.payment_intents.confirm(intent).status == "succeeded"
        until(_confirmed(pooled, customer, b["id"]), what="the webhook to confirm the booking")
    # each customer sees their own bookings only, all confirmed
    for customer in customers:
        rows = httpx.get(
            f"{pooled.url}/my_bookings", params={"select": "id,status"}, headers=customer.headers
        ).json()
        assert sorted(r["id"] for r in rows) == sorted(
            b["id"] for c, b in bookings if c is customer
        )
        assert {r["status"] for r in rows} == {"confirmed"}
