"""The nemesis run: 20 clients doing random confirm, pay, reschedule, cancel, refund and
force-cancel on a handful of providers through the real stack (PostgREST behind nginx, the
worker, Stripe behind an idempotency-honouring proxy), on a PostgreSQL cluster of its own,
while a nemesis injects faults at random times: the worker killed (-9) and started again,
PostgreSQL restarted (`pg_ctl restart -m fast`), its postmaster SIGKILLed and started again,
and Stripe unreachable for a few seconds.

Afterwards the database checks its promises (internal.check_invariants), every 2xx answer is
checked to still be true, PostgREST and the worker must have come back by themselves, the
queue must drain with nothing dead-lettered, and every Stripe effect must have happened
exactly once (counted by the proxy and in Stripe itself).

The parts are in tests/chaos/nemesis/: the fault schedule (schedule.py), the clients and
their ledger of promises (clients.py; only 2xx answers are promises, a 503 or a lost
connection is an unknown outcome), the nemesis applying the schedule (faults.py), and the
checks (checks.py).

CI size: 20 s (NEMESIS_SECONDS) with 2 worker kills, 1 restart, 1 postmaster kill and
2 Stripe outages; `make chaos` runs it longer with proportionally more faults. The fault
schedule comes from NEMESIS_SEED (random unless set; printed)."""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from collections.abc import Iterator

import psycopg
import pytest
import stripe

from bookiji import config
from tests.chaos.nemesis import checks, report, schedule
from tests.chaos.nemesis.clients import Crowd
from tests.chaos.nemesis.faults import Nemesis
from tests.helpers import stack
from tests.helpers.stripe_fake import LocalStripe, run_localstripe
from tests.helpers.stripe_proxy import StripeProxy
from tests.helpers.throwaway import Throwaway

SECONDS = float(os.environ.get("NEMESIS_SECONDS", "20"))


@pytest.fixture
def api(throwaway: Throwaway) -> Iterator[stack.PostgREST]:
    """PostgREST and nginx over the throwaway cluster: the nemesis restarts that cluster."""
    with throwaway.run_postgrest() as server:
        yield server


@pytest.fixture
def localstripe(api: stack.PostgREST) -> Iterator[LocalStripe]:
    with run_localstripe() as fake:
        fake.register_webhook(f"{api.url}/rpc/stripe_webhook", config.load().stripe_webhook_secret)
        yield fake


@pytest.fixture
def stripe_proxy(localstripe: LocalStripe) -> Iterator[StripeProxy]:
    """localstripe ignores Idempotency-Key; Stripe does not. The worker and the customers talk
    to Stripe through a pass-through that honours the header as Stripe documents, and that
    the nemesis takes down (go_down/come_back) for a Stripe outage."""
    with StripeProxy(localstripe.url) as proxy:
        yield proxy


@pytest.mark.slow
def test_nemesis_finds_no_broken_promise(
    throwaway: Throwaway,
    api: stack.PostgREST,
    localstripe: LocalStripe,
    stripe_proxy: StripeProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STRIPE_API_BASE", stripe_proxy.url)
    seed = int(os.environ.get("NEMESIS_SEED") or random.randrange(1_000_000))
    print(f"\nnemesis: seed {seed} (NEMESIS_SEED={seed} repeats the fault schedule)")
    faults = schedule.build(seed, SECONDS)
    # Stripe as the test sees it, past the proxy (and its outages)
    direct = stripe.StripeClient(
        "sk_test_nemesis", base_addresses={"api": localstripe.url}, max_network_retries=0
    )
    crowd = Crowd(throwaway.url(), api.url, stripe_proxy.url, random.Random(seed + 1))
    try:
        with Nemesis(throwaway, api.url, stripe_proxy) as nemesis:
            # the clients run while the nemesis applies the schedule, and on after the last
            # fault until the run's length: the recovery is under test too
            t0 = time.monotonic()
            with crowd.running():
                applied = nemesis.apply(faults, t0)
                time.sleep(max(0.0, t0 + SECONDS - time.monotonic(), 2.0))
            run_seconds = time.monotonic() - t0

            drain_from = time.monotonic()
            with psycopg.connect(throwaway.url(), autocommit=True) as admin:
                checks.wait_for_drain(admin, direct, nemesis.worker)
            drain_seconds = time.monotonic() - drain_from
    finally:
        crowd.close()

    with psycopg.connect(throwaway.url(), autocommit=True) as admin:
        outcome = checks.gather(admin, direct, stripe_proxy, crowd.ledger, applied, t0)
    problems = checks.problems(outcome)
    report.summary(
        outcome,
        problems,
        seed=seed,
        run_seconds=run_seconds,
        drain_seconds=drain_seconds,
        proxy=stripe_proxy,
        workers=nemesis.workers,
    )
    assert {k: v for k, v in problems.items() if v} == {}
    done = report.done(outcome)
    assert done == Counter(f.kind for f in faults)
    assert done[schedule.WORKER_KILL] >= 2 and done[schedule.PG_RESTART] >= 1
    assert done[schedule.POSTMASTER_KILL] >= 1 and done[schedule.STRIPE_OUTAGE] >= 1
