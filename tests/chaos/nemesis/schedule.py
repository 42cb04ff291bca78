"""The fault schedule: which faults, when and for how long. A pure function of the seed and
the run's length, so that NEMESIS_SEED repeats a run's faults."""

from __future__ import annotations

import random
from dataclasses import dataclass

WORKER_KILL = "worker kill"  # kill -9, started again
PG_RESTART = "pg restart"  # pg_ctl restart -m fast
POSTMASTER_KILL = "postmaster kill"  # SIGKILL, started again after a moment
STRIPE_OUTAGE = "stripe outage"  # the Stripe proxy refuses every connection
KINDS = (WORKER_KILL, PG_RESTART, POSTMASTER_KILL, STRIPE_OUTAGE)
DATABASE_FAULTS = (PG_RESTART, POSTMASTER_KILL)
STRIPE_OUTAGE_SECONDS = (2.0, 5.0)


@dataclass(frozen=True)
class Fault:
    kind: str
    at: float  # seconds after the start of the run
    length: float  # Stripe down this long; a killed postmaster down a quarter of it


def build(seed: int, seconds: float) -> list[Fault]:
    """For every 20 s of run (at least once): two worker kills, a restart, a postmaster kill
    and two Stripe outages, at random times in the first 80% of the run (the rest shows the
    recovery), in the order they happen."""
    rng = random.Random(seed)
    k = max(1, round(seconds / 20))
    kinds = (
        [WORKER_KILL] * 2 * k + [PG_RESTART] * k + [POSTMASTER_KILL] * k + [STRIPE_OUTAGE] * 2 * k
    )
    rng.shuffle(kinds)
    times = sorted(rng.uniform(0.05 * seconds, 0.8 * seconds) for _ in kinds)
    lengths = [rng.uniform(*STRIPE_OUTAGE_SECONDS) for _ in kinds]
    return [Fault(*f) for f in zip(kinds, times, lengths, strict=True)]
