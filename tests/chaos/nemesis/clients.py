"""The nemesis's clients: 20 customers and an ops user doing random confirm, pay, reschedule,
cancel, refund and force-cancel through the real API, and the ledger of what they were
promised.

Only 2xx answers are promises. A request that got no answer (a connection error) or a 503
during a restart has an unknown outcome (it may have committed): the client asks again where
the API makes that safe (confirm with the same Idempotency-Key, the same reschedule), and
otherwise promises nothing. Every 503 and lost connection is noted with its time, to be held
against the database faults (checks.py); any other answer outside the 2xx and the business
refusals each call may give is noted as unexpected."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from random import Random
from typing import Any

import httpx
import psycopg
import stripe
from psycopg.types.json import Jsonb

from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.auth import bearer, mint
from tests.helpers.factories import create_user

CLIENTS = 20
# of the 3 shops, how many finished Stripe's onboarding: their charges are destination
# charges (Stripe Connect), the others' are collected by the platform
ONBOARDED_SHOPS = int(os.environ.get("NEMESIS_ONBOARDED_SHOPS", "2"))
RESOLVE_SECONDS = 20.0  # how long a client keeps asking again after an unknown outcome
EMPTY_400 = '{"code":"","details":null,"hint":null,"message":""}'
# what each call may answer besides 2xx (business refusals); anything else is a violation
EXPECTED_4XX: dict[str, set[int]] = {
    "quote": set(),
    "confirm": {404, 409, 410, 429},
    "booking_payment": set(),
    "reschedule": {409},
    "cancel": {409},
    "ops refund": {409},
    "force cancel": {409},
}


@dataclass
class Ledger:
    """What the clients did and were promised (guarded by ``lock``)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    ops: Counter[str] = field(default_factory=Counter)
    empty_400: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)  # answers no fault explains
    # (what, sent, answered): a 503 or lost connection, to hold against the fault windows
    outages_seen: list[tuple[str, float, float]] = field(default_factory=list)
    confirmed: dict[str, uuid.UUID] = field(default_factory=dict)  # booking -> customer (2xx)
    cancelled: set[str] = field(default_factory=set)  # 2xx cancel or force cancel
    refunds: dict[str, int] = field(default_factory=dict)  # refund_id -> amount (2xx)
    # booking -> the start its last reschedule attempt promised (None: outcome unknown)
    moved: dict[str, datetime | None] = field(default_factory=dict)
    mine: dict[uuid.UUID, list[str]] = field(default_factory=dict)
    paid: set[str] = field(default_factory=set)  # bookings whose payment Stripe accepted

    def count(self, what: str) -> None:
        with self.lock:
            self.ops[what] += 1


def onboard(admin: psycopg.Connection[Any], sc: stripe.StripeClient, shop: bk.Shop) -> str:
    """A provider whose Express account finished Stripe's onboarding before the run (test
    setup, owner-level): the account made and its onboarding link opened in the Stripe fake,
    recorded as account.updated would. Its bookings' charges are then destination charges,
    and their refunds reverse transfers and refund fees under the nemesis's faults."""
    account = sc.v1.accounts.create(
        params={
            "type": "express",
            "country": "CA",
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
            "metadata": {"provider_id": str(shop.provider_id)},
        }
    )
    link = sc.v1.account_links.create(
        params={
            "account": account.id,
            "type": "account_onboarding",
            "return_url": "http://127.0.0.1:9/return",
            "refresh_url": "http://127.0.0.1:9/refresh",
        }
    )
    assert httpx.get(link.url).status_code == 302  # the provider's browser, at Stripe
    done = sc.v1.accounts.retrieve(account.id)
    assert done.charges_enabled and done.capabilities.to_dict()["transfers"] == "active"
    admin.execute(
        "insert into app.payout_accounts (provider_id, stripe_account_id, details_submitted,"
        " charges_enabled, payouts_enabled, capabilities) values (%s, %s, true, true, true, %s)"
        " on conflict (provider_id) do update set stripe_account_id = excluded.stripe_account_id,"
        " charges_enabled = true, capabilities = excluded.capabilities",
        (shop.provider_id, account.id, Jsonb(done.capabilities.to_dict())),
    )
    return str(account.id)


class Crowd:
    """The customers, their shops and an ops user, acting over one HTTP client; the
    customers' browsers confirm PaymentIntents through the Stripe proxy (so a Stripe outage
    reaches them too)."""

    def __init__(self, admin_url: str, api_url: str, stripe_url: str, rng: Random) -> None:
        self.rng = rng  # the clients' choices (threads interleave them anyway)
        with psycopg.connect(admin_url, autocommit=True) as admin:
            self.shops = [
                bk.open_shop(
                    admin,
                    lat=47.0 + i * 0.2 + rng.random() / 100,
                    lng=-76.0,
                    buffer_after_minutes=15,
                )
                for i in range(3)
            ]
            self.customers = [create_user(admin, "customer") for _ in range(CLIENTS)]
            ops_user = create_user(admin, "ops")
            self.stripe = stripe.StripeClient(
                "sk_test_nemesis", base_addresses={"api": stripe_url}, max_network_retries=0
            )
            for shop in self.shops[:ONBOARDED_SHOPS]:
                onboard(admin, self.stripe, shop)
        self.tokens = {c: bearer(mint("customer", c)) for c in self.customers}
        self.ops_headers = bearer(mint("ops", ops_user))
        self.base = catalog.next_weekday(2, at="09:00", min_days=4)
        self.http = httpx.Client(
            base_url=api_url, timeout=30, limits=httpx.Limits(max_connections=CLIENTS + 2)
        )
        self.ledger = Ledger(mine={c: [] for c in self.customers})

    def close(self) -> None:
        self.http.close()

    @contextmanager
    def running(self) -> Iterator[None]:
        """Every customer acting in a loop of its own until the block ends."""
        stop = threading.Event()

        def loop(c: uuid.UUID) -> None:
            while not stop.is_set():
                act(self, c)

        threads = [threading.Thread(target=loop, args=(c,)) for c in self.customers]
        for t in threads:
            t.start()
        try:
            yield
        finally:
            stop.set()
            for t in threads:
                t.join(RESOLVE_SECONDS + 35)

    def slot(self) -> datetime:
        return self.base + timedelta(
            days=self.rng.randint(0, 2),
            hours=self.rng.randint(0, 6),
            minutes=self.rng.choice([0, 30]),
        )

    def call(
        self, name: str, method: str, path: str, headers: dict[str, str], **kw: Any
    ) -> httpx.Response | None:
        """One request; the answer if its outcome is known, None if it is not."""
        led = self.ledger
        sent = time.monotonic()
        try:
            r = self.http.request(method, path, headers=headers, **kw)
        except httpx.TransportError as exc:
            with led.lock:
                led.ops[f"{name} {type(exc).__name__}"] += 1
                led.outages_seen.append((f"{name} {type(exc).__name__}", sent, time.monotonic()))
            return None
        answered = time.monotonic()
        with led.lock:
            led.ops[f"{name} {r.status_code}"] += 1
            if r.status_code == 503:
                led.outages_seen.append((f"{name} 503", sent, answered))
                if "application/json" not in r.headers.get("content-type", ""):
                    led.unexpected.append(f"{name} 503 not JSON: {r.text[:200]}")
                return None
            if r.status_code == 400 and r.text.strip() == EMPTY_400:
                # PostgREST 12's answer when its pooled connection died in a restart: the
                # gateway turns it into a 503 (gateway/upstream.js); none may get out
                led.empty_400[name] += 1
                led.unexpected.append(f"{name}: PostgREST's empty 400 reached the client")
                return None
            if r.status_code >= 500 or (
                r.status_code >= 300 and r.status_code not in EXPECTED_4XX[name]
            ):
                led.unexpected.append(f"{name} {r.status_code}: {r.text[:300]}")
                return None
        return r

    def resolve(
        self, name: str, method: str, path: str, headers: dict[str, str], **kw: Any
    ) -> tuple[httpx.Response | None, bool]:
        """A request that is safe to repeat, asked again until its outcome is known: the last
        answer (None: still unknown), and whether an earlier attempt's outcome was unknown."""
        r = self.call(name, method, path, headers, **kw)
        was_unknown = r is None
        give_up = time.monotonic() + RESOLVE_SECONDS
        while r is None and time.monotonic() < give_up:
            time.sleep(0.5)  # a pause between attempts, not a wait for an event
            self.ledger.count(f"{name} asked again")
            r = self.call(name, method, path, headers, **kw)
        if r is None:
            self.ledger.count(f"{name} outcome unknown")
        return r, was_unknown


# --- the actions: each one call (or a few) by customer ``c``, whose bookings are ``own`` ---


def quote_and_confirm(crowd: Crowd, c: uuid.UUID, own: list[str]) -> None:
    shop = crowd.rng.choice(crowd.shops)
    q = crowd.call(
        "quote",
        "POST",
        "/rpc/quote",
        crowd.tokens[c],
        json={
            "category": "haircut",
            "lat": shop.lat,
            "lng": shop.lng,
            "starts_at": crowd.slot().isoformat(),
            "radius_km": 1,
        },
    )
    offers = (
        [o for o in q.json() if o["provider_id"] == str(shop.provider_id)]
        if q is not None and q.status_code == 200
        else []
    )
    if not offers:
        return
    r, _ = crowd.resolve(
        "confirm",
        "POST",
        "/rpc/confirm_booking",
        {**crowd.tokens[c], "Idempotency-Key": str(uuid.uuid4())},
        json={"quote_id": offers[0]["quote_id"], "provider_id": offers[0]["provider_id"]},
    )
    if r is not None and r.status_code == 200:
        bid = r.json()["id"]
        with crowd.ledger.lock:
            crowd.ledger.confirmed[bid] = c
            crowd.ledger.mine[c].append(bid)


def pay(crowd: Crowd, c: uuid.UUID, own: list[str]) -> None:
    """The customer's browser confirms the booking's PaymentIntent with a card."""
    bid = crowd.rng.choice(own)
    p = crowd.call(
        "booking_payment",
        "GET",
        "/rpc/booking_payment",
        crowd.tokens[c],
        params={"booking_id": bid},
    )
    secret = (p.json().get("payment") or {}).get("client_secret") if p is not None else None
    if not secret:
        return
    pi = secret.split("_secret_")[0]
    try:
        crowd.stripe.v1.payment_intents.update(pi, params={"payment_method": "pm_card_visa"})
        crowd.stripe.v1.payment_intents.confirm(pi)
        outcome = "pay"
        with crowd.ledger.lock:
            crowd.ledger.paid.add(bid)
    except stripe.APIConnectionError:
        outcome = "pay: Stripe unreachable"
    except stripe.StripeError:
        outcome = "pay refused by stripe (not payable now)"
    crowd.ledger.count(outcome)


def reschedule(crowd: Crowd, c: uuid.UUID, own: list[str]) -> None:
    bid = crowd.rng.choice(own)
    new = crowd.slot()
    r, was_unknown = crowd.resolve(
        "reschedule",
        "POST",
        "/rpc/reschedule_booking",
        crowd.tokens[c],
        json={"booking_id": bid, "new_starts_at": new.isoformat()},
    )
    with crowd.ledger.lock:
        if r is not None and r.status_code == 200:
            crowd.ledger.moved[bid] = new
        elif r is None or was_unknown:
            # it may have moved (a repeat of a move that committed is a 200, but it may have
            # become too late since)
            crowd.ledger.moved[bid] = None
        # a refusal with nothing unknown before it moved nothing: the promise stands


def cancel(crowd: Crowd, c: uuid.UUID, own: list[str]) -> None:
    bid = crowd.rng.choice(own)
    r = crowd.call(
        "cancel",
        "POST",
        "/rpc/cancel_booking",
        crowd.tokens[c],
        json={"booking_id": bid, "reason": "x"},
    )
    if r is not None and r.status_code == 200:
        with crowd.ledger.lock:
            crowd.ledger.cancelled.add(bid)


def ops_refund(crowd: Crowd, c: uuid.UUID, own: list[str]) -> None:
    """Ops refunds part of one of the customer's bookings, mostly a paid one (there is
    something to refund)."""
    with crowd.ledger.lock:
        paid = [b for b in own if b in crowd.ledger.paid]
    bid = crowd.rng.choice(paid if paid and crowd.rng.random() < 0.8 else own)
    amount = crowd.rng.choice([100, 300, 700])
    r = crowd.call(
        "ops refund",
        "POST",
        "/rpc/ops_refund",
        crowd.ops_headers,
        json={"booking_id": bid, "amount_cents": amount, "reason": "nemesis"},
    )
    if r is not None and r.status_code == 200:
        with crowd.ledger.lock:
            crowd.ledger.refunds[r.json()["refund_id"]] = amount


def ops_force_cancel(crowd: Crowd, c: uuid.UUID, own: list[str]) -> None:
    bid = crowd.rng.choice(own)
    r = crowd.call(
        "force cancel",
        "POST",
        "/rpc/ops_force_cancel",
        crowd.ops_headers,
        json={"booking_id": bid, "reason": "nemesis"},
    )
    if r is not None and r.status_code == 200:
        with crowd.ledger.lock:
            crowd.ledger.cancelled.add(bid)


Action = Callable[[Crowd, uuid.UUID, list[str]], None]
# the mix: each action below its bound of a uniform draw (a customer without a booking books)
MIX: tuple[tuple[float, Action], ...] = (
    (0.40, quote_and_confirm),
    (0.60, pay),
    (0.72, reschedule),
    (0.84, cancel),
    (0.94, ops_refund),
    (1.00, ops_force_cancel),
)


def act(crowd: Crowd, c: uuid.UUID) -> None:
    """One action of customer ``c``, drawn from the mix."""
    x = crowd.rng.random()
    with crowd.ledger.lock:
        own = list(crowd.ledger.mine[c])
    action = quote_and_confirm if not own else next(a for bound, a in MIX if x < bound)
    action(crowd, c, own)
