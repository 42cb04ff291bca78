"""`bookiji simulate`: a day in Montreal at a chosen rate, against the running stack.

Customers quote, confirm and pay through localstripe (some with a card that is
declined, some walking away), some cancel or reschedule; the demo provider
adds time off; ops refund part of a paid booking. Every request goes through
nginx and PostgREST with real tokens; payments go through the worker and
Stripe's signed webhooks. Afterwards it prints what happened and asks the
database to check its promises (internal.check_invariants): there must be no
double booking, no over-refund and no booking confirmed without a payment.

Start the stack first (`make up`); the run is bounded by --duration.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import psycopg

import bookiji_seed as seed
from bookiji import config

PASSWORD = "simulated customer 2026"  # noqa: S105 - throwaway accounts of a simulation


class Simulation:
    def __init__(self, settings: config.Settings, *, customers: int, seed_value: int) -> None:
        self.s = settings
        self.rng = random.Random(seed_value)
        self.lock = threading.Lock()
        self.actions: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.http = httpx.Client(base_url=settings.api_url, timeout=30)
        self.stripe = httpx.Client(
            base_url=settings.stripe_api_base, timeout=30, auth=(settings.stripe_secret_key, "")
        )
        self.customers = [self._signup(i) for i in range(customers)]
        self.provider = self._login("demo.provider@bookiji.test", "bookiji-demo-2026")
        self.ops = self._login("demo.ops@bookiji.test", "bookiji-demo-2026")
        mine = self.http.get("/my_provider", headers=self._h(self.provider)).json()
        self.provider_id = mine[0]["id"] if mine else None
        self.bookings: dict[str, list[str]] = {c: [] for c in self.customers}

    # --- plumbing -------------------------------------------------------------------------

    def _count(self, action: str, resp: httpx.Response | None) -> None:
        with self.lock:
            self.actions[action] += 1
            self.statuses[f"{action} {resp.status_code}" if resp is not None else action] += 1

    def _login(self, email: str, password: str) -> str:
        r = self.http.post("/rpc/login", json={"email": email, "password": password})
        r.raise_for_status()
        return str(r.json()["access_token"])

    def _signup(self, i: int) -> str:
        email = f"sim-{uuid.uuid4().hex[:10]}@example.test"
        r = self.http.post(
            "/rpc/signup",
            json={
                "email": email,
                "password": PASSWORD,
                "full_name": f"Simulated Customer {i}",
                "locale": "fr" if i % 3 == 0 else "en",
            },
        )
        r.raise_for_status()
        return str(r.json()["access_token"])

    def _h(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    # --- what people do -----------------------------------------------------------------

    def book(self, token: str) -> None:
        hood = self.rng.choice(seed.NEIGHBOURHOODS)
        cat = self.rng.choices(seed.CATEGORIES, weights=[c.weight for c in seed.CATEGORIES])[0]
        day = datetime.now(UTC).date() + timedelta(days=self.rng.randint(2, 14))
        start = datetime(
            day.year,
            day.month,
            day.day,
            self.rng.choice([14, 15, 16, 17, 18, 19]),
            self.rng.choice([0, 30]),
            tzinfo=UTC,
        )
        q = self.http.post(
            "/rpc/quote",
            headers=self._h(token),
            json={
                "category": cat.slug,
                "lat": hood[1] + self.rng.uniform(-0.01, 0.01),
                "lng": hood[2] + self.rng.uniform(-0.01, 0.01),
                "starts_at": start.isoformat(),
                "radius_km": 5,
            },
        )
        self._count("quote", q)
        if q.status_code != 200 or not q.json():
            return
        offer = q.json()[0]
        c = self.http.post(
            "/rpc/confirm_booking",
            headers={**self._h(token), "Idempotency-Key": str(uuid.uuid4())},
            json={"quote_id": offer["quote_id"], "provider_id": offer["provider_id"]},
        )
        self._count("confirm", c)
        if c.status_code != 200:
            return
        booking = c.json()
        with self.lock:
            self.bookings[token].append(booking["id"])
        roll = self.rng.random()
        if roll < 0.1:
            self._count("walk away", None)
            return
        secret = None
        for _ in range(100):
            p = self.http.get(
                "/rpc/booking_payment", headers=self._h(token), params={"booking_id": booking["id"]}
            )
            secret = (
                (p.json().get("payment") or {}).get("client_secret")
                if p.status_code == 200
                else None
            )
            if secret:
                break
            time.sleep(0.05)
        if not secret:
            self._count("pay (no intent yet)", None)
            return
        pi = secret.split("_secret_")[0]
        card = "pm_card_chargeCustomerFail" if roll < 0.2 else "pm_card_visa"
        self.stripe.post(f"/v1/payment_intents/{pi}", data={"payment_method": card})
        r = self.stripe.post(f"/v1/payment_intents/{pi}/confirm")
        self._count("pay declined" if card != "pm_card_visa" else "pay", r)

    def cancel(self, token: str) -> None:
        with self.lock:
            mine = list(self.bookings[token])
        if mine:
            r = self.http.post(
                "/rpc/cancel_booking",
                headers=self._h(token),
                json={"booking_id": self.rng.choice(mine), "reason": "plans changed"},
            )
            self._count("cancel", r)

    def reschedule(self, token: str) -> None:
        with self.lock:
            mine = list(self.bookings[token])
        if mine:
            bid = self.rng.choice(mine)
            rows = self.http.get(
                "/my_bookings", headers=self._h(token), params={"id": f"eq.{bid}"}
            ).json()
            if rows:
                new = datetime.fromisoformat(rows[0]["starts_at"]) + timedelta(days=1)
                r = self.http.post(
                    "/rpc/reschedule_booking",
                    headers=self._h(token),
                    json={"booking_id": bid, "new_starts_at": new.isoformat()},
                )
                self._count("reschedule", r)

    def time_off(self) -> None:
        day = datetime.now(UTC) + timedelta(days=self.rng.randint(20, 200))
        r = self.http.post(
            "/my_time_off",
            headers=self._h(self.provider),
            json={
                "provider_id": self.provider_id,
                "during": f"[{day.isoformat()},{(day + timedelta(hours=2)).isoformat()})",
                "reason": "simulated errand",
            },
        )
        self._count("provider time off", r)

    def refund(self) -> None:
        rows = self.http.get(
            "/my_bookings",
            headers=self._h(self.ops),
            params={"status": "eq.confirmed", "limit": "50", "order": "created_at.desc"},
        ).json()
        if rows:
            r = self.http.post(
                "/rpc/ops_refund",
                headers=self._h(self.ops),
                json={
                    "booking_id": self.rng.choice(rows)["id"],
                    "amount_cents": 100,
                    "reason": "goodwill gesture",
                },
            )
            self._count("ops refund", r)

    def one(self) -> None:
        token = self.rng.choice(self.customers)
        x = self.rng.random()
        try:
            if x < 0.75:
                self.book(token)
            elif x < 0.85:
                self.cancel(token)
            elif x < 0.92:
                self.reschedule(token)
            elif x < 0.96:
                self.time_off()
            else:
                self.refund()
        except httpx.HTTPError:
            self._count("transport error", None)

    def run(self, rate: float, duration: float) -> None:
        deadline = time.monotonic() + duration
        with ThreadPoolExecutor(8) as pool:
            next_at = time.monotonic()
            while time.monotonic() < deadline:
                pool.submit(self.one)
                next_at += self.rng.expovariate(rate)
                time.sleep(max(0.0, next_at - time.monotonic()))


def report(settings: config.Settings) -> tuple[str, int]:
    lines = []
    with psycopg.connect(settings.database_url) as conn:
        for title, query in (
            ("bookings", "select status, count(*) from app.bookings group by 1 order by 1"),
            ("payments", "select status, count(*) from app.payments group by 1 order by 1"),
            ("refunds", "select status, count(*) from app.refunds group by 1 order by 1"),
            (
                "notifications",
                "select status, count(*) from app.notifications group by 1 order by 1",
            ),
            (
                "dead letters",
                "select 'payments_dlq', count(*) from pgmq.q_payments_dlq "
                "union all select 'notifications_dlq', count(*) from pgmq.q_notifications_dlq",
            ),
        ):
            rows = conn.execute(query).fetchall()
            lines.append(f"{title}: " + (", ".join(f"{r[0]} {r[1]}" for r in rows) or "none"))
        violations = 0
        lines.append("audit (internal.check_invariants):")
        for rule, n, example in conn.execute("select * from internal.check_invariants()"):
            violations += int(n)
            lines.append(
                f"  {'ok ' if n == 0 else 'BAD'} {rule}: {n}{'' if n == 0 else f' (e.g. {example})'}"
            )
    return "\n".join(lines), violations


def main(rate: float, duration: float, customers: int, seed_value: int) -> int:
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    s = config.load()
    sim = Simulation(s, customers=customers, seed_value=seed_value)
    started = time.monotonic()
    sim.run(rate, duration)
    time.sleep(5)  # let the worker and the webhooks catch up with the last payments
    print(
        f"simulated {sum(sim.actions.values())} actions in {time.monotonic() - started:.0f} s "
        f"at ~{rate:g}/s with {customers} customers"
    )
    for key, n in sorted(sim.statuses.items()):
        print(f"  {key}: {n}")
    text, violations = report(s)
    print(text)
    print(f"simulate: {sum(sim.actions.values())} actions, {violations} violations")
    return 1 if violations else 0
