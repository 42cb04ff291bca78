"""Simulated booking outcomes with planted provider-cancellation and no-show probabilities,
for the quality model (worker/learn/quality.py, docs/quality.md): `bookiji quality
simulate` and tests/test_quality.py.

Each provider has a planted probability of cancelling a booking and of its customer not
coming (most are reliable, a fifth are not); each booking's chance is the provider's,
raised in the evening and at weekends, lowered for bookings made long in advance. The
features are those SQL computes (internal.quality_features), from the same counts: the
provider's outcomes without the booking's own, its volume, the local part of the day,
the weekday, the lead time and the duration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from worker.learn import quality


@dataclass
class Simulated:
    data: quality.Outcomes
    truth: np.ndarray  # the planted probability of each booking going wrong
    provider: np.ndarray


def _logit(p: np.ndarray) -> np.ndarray:
    return np.asarray(np.log(p / (1 - p)))


def simulate(providers: int = 300, bookings: int = 40000, seed: int = 7) -> Simulated:
    rng = np.random.default_rng(seed)
    bad = rng.random(providers) < 0.2
    cancel = np.where(bad, rng.uniform(0.06, 0.25, providers), rng.uniform(0.002, 0.03, providers))
    no_show = np.where(bad, rng.uniform(0.04, 0.15, providers), rng.uniform(0.002, 0.03, providers))
    # how many bookings each provider gets: a few busy ones, many quiet ones
    weight = rng.pareto(1.5, providers) + 0.2
    who = rng.choice(providers, size=bookings, p=weight / weight.sum())
    hour = rng.integers(8, 21, bookings)
    weekday = rng.integers(0, 7, bookings)  # 0 Sunday, as extract(dow)
    lead = rng.exponential(72.0, bookings)
    duration = rng.choice([0.5, 0.75, 1.0, 1.5, 2.0], bookings)
    base = cancel[who] + no_show[who]
    z = (
        _logit(np.clip(base, 1e-4, 0.9))
        + 0.5 * (hour >= 17)
        + 0.3 * ((weekday == 0) | (weekday == 6))
        - 0.25 * np.log1p(lead) / math.log(73.0)
    )
    truth = 1 / (1 + np.exp(-z))
    went_wrong = rng.random(bookings) < truth
    # a wrong booking is a provider cancellation or a no-show, in the planted proportion
    is_cancel = went_wrong & (rng.random(bookings) < cancel[who] / base)
    is_no_show = went_wrong & ~is_cancel
    k_c = np.bincount(who, weights=is_cancel, minlength=providers)
    k_n = np.bincount(who, weights=is_no_show, minlength=providers)
    n = np.bincount(who, minlength=providers).astype(float)
    # the provider's counts without the booking's own outcome (internal.quality_training_rows)
    own_c, own_n, own_t = k_c[who] - is_cancel, k_n[who] - is_no_show, n[who] - 1
    rate_c = (own_c + 0.4) / (own_t + 20)
    rate_n = (own_n + 0.4) / (own_t + 20)
    x = np.column_stack(
        [
            _logit(rate_c),
            _logit(rate_n),
            np.log1p(own_t),
            hour < 12,
            hour >= 17,
            (weekday == 0) | (weekday == 6),
            np.log1p(lead),
            duration,
        ]
    ).astype(float)
    return Simulated(quality.Outcomes(x, went_wrong.astype(float)), truth, who)


def main(providers: int, bookings: int, seed: int) -> int:
    """Fit on the simulated outcomes, print the held-out figures (docs/quality.md)."""
    sim = simulate(providers, bookings, seed)
    constant = np.zeros(len(quality.FEATURES) + 1)
    constant[0] = -30.0  # a baseline that predicts nothing; the constant model is printed too
    result = quality.train(sim.data, constant, holdout=0.25)
    m = result["metrics"]
    c, k = m["candidate"], m["constant"]
    print(
        f"quality simulate: {providers} providers, {bookings} bookings ({m['train_bookings']} to fit, "
        f"{m['heldout_bookings']} held out; {m['heldout_rate']:.4f} went wrong)"
    )
    print(f"  held-out log-loss {c['log_loss']:.4f} (constant {k['log_loss']:.4f})")
    print(f"  held-out Brier {c['brier']:.5f} (constant {k['brier']:.5f})")
    print("  decile  predicted  observed  bookings")
    for i, d in enumerate(c["calibration"], 1):
        print(f"  {i:>6}  {d['predicted']:9.4f}  {d['observed']:8.4f}  {d['n']:8d}")
    print(
        "  coefficients: "
        + ", ".join(
            f"{f} {v:.3f}"
            for f, v in zip(("intercept", *quality.FEATURES), result["coefficients"], strict=True)
        )
    )
    return 0
