"""What the nemesis run prints: the seed, the operations, the faults as they happened, and
every violation found."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.chaos.nemesis.checks import Outcome
from tests.chaos.nemesis.schedule import DATABASE_FAULTS, KINDS, WORKER_KILL
from tests.helpers.stripe_proxy import StripeProxy
from tests.helpers.worker_proc import WorkerProcess

PLURAL = {
    "worker kill": "worker kills",
    "pg restart": "pg restarts",
    "postmaster kill": "postmaster kills",
    "stripe outage": "stripe outages",
}


def done(o: Outcome) -> Counter[str]:
    """The faults that were injected and ended, by kind."""
    return Counter(a.kind for a in o.faults if a.ended)


def summary(
    o: Outcome,
    problems: dict[str, list[Any]],
    *,
    seed: int,
    run_seconds: float,
    drain_seconds: float,
    proxy: StripeProxy,
    workers: list[WorkerProcess],
) -> None:
    led = o.ledger
    injected = done(o)
    repaired = sum(w.count("reconcile: missed_payment_succeeded") for w in workers)
    total = sum(v for k, v in led.ops.items() if not k.endswith(("asked again", "unknown")))
    violations = sum(len(v) for v in problems.values())
    kinds = ", ".join(f"{injected[k]} {PLURAL[k] if injected[k] != 1 else k}" for k in KINDS)
    print(
        f"nemesis: {total:,} ops, {sum(injected.values())} faults injected ({kinds}), "
        f"{violations} violations"
    )
    print(
        f"nemesis: seed {seed}; ran {run_seconds:.1f}s, drained {drain_seconds:.1f}s after; "
        f"{len(led.confirmed)} confirmations, {len(led.cancelled)} cancellations, "
        f"{sum(1 for v in led.moved.values() if v)} moves, {len(led.refunds)} refunds promised; "
        f"Stripe: {dict(proxy.created)} created, {proxy.replayed} replayed, "
        f"{proxy.refused} cut while down; {repaired} payments settled by the "
        "worker's reconciliation (a webhook lost or not yet there); "
        f"PostgREST's empty 400: {sum(led.empty_400.values())} {dict(led.empty_400)}"
    )

    print(
        f"nemesis: Stripe Connect: {len(o.connect)} destination charges checked against the "
        f"fake, {sum(theirs[4] for _, _, theirs in o.connect)} transfer reversals, "
        f"{sum(theirs[5] for _, _, theirs in o.connect)} fee refunds"
    )

    def back(seconds: float | None) -> str:
        return "never (past the hang guard)" if seconds is None else f"{seconds:.1f}s after"

    for a in sorted(o.faults, key=lambda a: a.started):
        print(
            f"  {a.started - o.t0:5.1f}s {a.kind}: {a.ended - a.started:.1f}s"
            + (
                f", PostgREST back {back(a.api_back)}, worker back {back(a.worker_back)}"
                if a.kind in DATABASE_FAULTS
                else f", worker back {back(a.worker_back)}"
                if a.kind == WORKER_KILL
                else ""
            )
        )
    print(f"  {dict(sorted(led.ops.items()))}")
    for name, found in problems.items():
        if found:
            print(f"  VIOLATION {name}: {len(found)}, e.g. {found[:5]}")
