"""The quality model (worker/learn/quality.py) on simulated outcomes whose probabilities are
planted (bench/quality_sim.py): fitted on the older bookings, its predictions on the newest
match what happened decile by decile, and it beats a constant model on held-out log-loss."""

from __future__ import annotations

import math

import numpy as np

from bench import quality_sim
from worker.learn import quality

# each decile's mean prediction within 0.02 of its observed rate, or three standard errors
# of that rate when wider (a decile of 1,000 bookings at 20% has a standard error of 1.3%)
TOLERANCE = 0.02


def test_the_fit_is_calibrated_by_decile_and_beats_a_constant_model() -> None:
    sim = quality_sim.simulate(providers=300, bookings=40000, seed=7)
    nothing = np.zeros(len(quality.FEATURES) + 1)
    nothing[0] = -30.0
    result = quality.train(sim.data, nothing, holdout=0.25)
    m = result["metrics"]
    deciles = m["candidate"]["calibration"]
    assert len(deciles) == 10
    for d in deciles:
        error = math.sqrt(d["observed"] * (1 - d["observed"]) / d["n"])
        assert abs(d["predicted"] - d["observed"]) <= max(TOLERANCE, 3 * error), (d, deciles)
    # the deciles spread: the model tells reliable bookings from risky ones
    assert deciles[-1]["observed"] > 5 * deciles[0]["observed"]
    assert m["candidate"]["log_loss"] < m["constant"]["log_loss"] - 0.02
    assert m["candidate"]["brier"] < m["constant"]["brier"]
    assert quality.better(m)  # against a baseline that predicts nothing
    coefficients = dict(zip(("intercept", *quality.FEATURES), result["coefficients"], strict=True))
    # the planted evening and weekend effects (+0.5, +0.3) are found with their sign
    assert coefficients["evening"] > 0.2 and coefficients["weekend"] > 0.1
    assert coefficients["provider_cancel_logit"] > 0 and coefficients["no_show_logit"] > 0


def test_the_fitted_probabilities_follow_the_planted_ones() -> None:
    sim = quality_sim.simulate(providers=300, bookings=40000, seed=11)
    theta = quality.fit(sim.data)
    predicted = quality.predict(theta, sim.data.x)
    # ranked alike, and no further from the truth on average than the truth's spread
    assert np.corrcoef(predicted, sim.truth)[0, 1] > 0.8
    assert abs(float(predicted.mean()) - float(sim.data.y.mean())) < 0.005


def test_a_model_no_better_than_the_active_one_is_not_better() -> None:
    sim = quality_sim.simulate(providers=100, bookings=8000, seed=3)
    theta = quality.fit(sim.data.take(slice(0, 6000)))
    result = quality.train(sim.data, theta, holdout=0.25)
    # the baseline was fitted on the same older rows without a ridge difference: the
    # candidate cannot beat it on both scores by more than rounding
    c, b = result["metrics"]["candidate"], result["metrics"]["baseline"]
    assert abs(c["log_loss"] - b["log_loss"]) < 1e-4
