"""`bookiji quality train` and the worker's schedule: learn the probability that a booking
ends with the provider cancelling or as a no-show (docs/quality.md).

The rows are the bookings that ended and put the provider to the test
(internal.quality_training_rows: completed, no_show, or cancelled by the provider), with
the features the database computes (internal.quality_features: the provider's shrunk
provider-cancellation and no-show rates as logits and its volume, without the booking's
own outcome; the start's part of the day and weekday in the provider's zone; the lead
time; the duration). The model is a logistic regression

    P(bad) = 1 / (1 + exp(-(c0 + c . x)))

fitted by Newton's method (the log-likelihood is concave; a light ridge, not on the
intercept, keeps a feature that never varies at 0) on the older bookings, and evaluated
on the newest ones (``holdout``) against the active version's coefficients on the very
same rows: log-loss, Brier score and calibration by decile of the prediction (mean
predicted against observed in each tenth). A constant model (the training rate) is
reported beside them. The coefficients are stored as a new, inactive version; it becomes
active only through internal.activate_quality_version, which refuses one that did not
beat the active version on both the log-loss and the Brier score.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FEATURES = (
    "provider_cancel_logit",
    "no_show_logit",
    "log_volume",
    "morning",
    "evening",
    "weekend",
    "log_lead_hours",
    "duration_hours",
)
Array = npt.NDArray[np.float64]
EPS = 1e-12


@dataclass
class Outcomes:
    """x[n, f] the features, y[n] 1 when the booking went wrong, oldest first."""

    x: Array
    y: Array

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def take(self, rows: slice) -> Outcomes:
        return Outcomes(self.x[rows], self.y[rows])


def _design(x: Array) -> Array:
    return np.concatenate([np.ones((x.shape[0], 1)), x], axis=1)


def predict(coefficients: Array, x: Array) -> Array:
    """P(bad) for each row: the logistic of the intercept plus coefficients . x, the
    predictor clamped to [-30, 30] as SQL does (internal.quality_probability)."""
    z = np.clip(_design(x) @ coefficients, -30.0, 30.0)
    return np.asarray(1.0 / (1.0 + np.exp(-z)))


def fit(data: Outcomes, ridge: float = 1e-2, steps: int = 100) -> Array:
    """Maximum (lightly ridge-penalised) likelihood, by Newton's method; intercept first."""
    z = _design(data.x)
    d = z.shape[1]
    penalty = ridge * np.eye(d)
    penalty[0, 0] = 0.0
    rate = float(np.clip(data.y.mean(), 1e-4, 1 - 1e-4))
    theta = np.zeros(d)
    theta[0] = math.log(rate / (1 - rate))
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ theta, -30.0, 30.0)))
        grad = z.T @ (data.y - p) - penalty @ theta
        hessian = (z * (p * (1 - p))[:, None]).T @ z + penalty
        step = np.linalg.solve(hessian, grad)
        theta = theta + step
        if float(np.abs(step).max()) < 1e-9:
            break
    return theta


def log_loss(p: Array, y: Array) -> float:
    q = np.clip(p, EPS, 1 - EPS)
    return float(-(y * np.log(q) + (1 - y) * np.log(1 - q)).mean())


def brier(p: Array, y: Array) -> float:
    return float(((p - y) ** 2).mean())


def calibration(p: Array, y: Array, bins: int = 10) -> list[dict[str, float]]:
    """By decile of the prediction: the rows, the mean predicted and the observed rate."""
    order = np.argsort(p, kind="stable")
    out = []
    for part in np.array_split(order, bins):
        if len(part) == 0:
            continue
        out.append(
            {
                "n": len(part),
                "predicted": round(float(p[part].mean()), 6),
                "observed": round(float(y[part].mean()), 6),
            }
        )
    return out


def evaluate(p: Array, y: Array) -> dict[str, Any]:
    return {
        "log_loss": round(log_loss(p, y), 6),
        "brier": round(brier(p, y), 6),
        "calibration": calibration(p, y),
    }


def train(data: Outcomes, baseline: Array, holdout: float = 0.25) -> dict[str, Any]:
    """Fit on the older bookings, evaluate it, the active version and a constant model on
    the newest; the coefficients and the metrics."""
    cut = round(len(data) * (1 - holdout))
    if cut < 1 or cut >= len(data):
        raise ValueError(f"{len(data)} bookings cannot be split into training and held-out sets")
    fit_set, held = data.take(slice(0, cut)), data.take(slice(cut, None))
    theta = fit(fit_set)
    rate = float(np.clip(fit_set.y.mean(), 1e-4, 1 - 1e-4))
    return {
        "coefficients": [round(float(v), 8) for v in theta],
        "metrics": {
            "candidate": evaluate(predict(theta, held.x), held.y),
            "baseline": evaluate(predict(baseline, held.x), held.y),
            "constant": evaluate(np.full(len(held), rate), held.y),
            "train_rate": round(rate, 6),
            "heldout_rate": round(float(held.y.mean()), 6),
            "train_bookings": cut,
            "heldout_bookings": len(data) - cut,
        },
    }


def better(metrics: dict[str, Any]) -> bool:
    c, b = metrics["candidate"], metrics["baseline"]
    return bool(c["log_loss"] < b["log_loss"] and c["brier"] < b["brier"])


def load(conn: Any, days: float) -> Outcomes | None:
    """The training rows of the bookings made in the last ``days``, oldest first."""
    rows = conn.execute(
        "select features, outcome from internal.quality_training_rows("
        "now() - make_interval(secs => %s), now() + interval '1 second')",
        (days * 86400,),
    ).fetchall()
    if not rows:
        return None
    x = np.array([[float(v) for v in features] for features, _ in rows])
    y = np.array([1.0 if outcome else 0.0 for _, outcome in rows])
    return Outcomes(x, y)


def run(
    conn: Any,
    days: float,
    holdout: float,
    min_bookings: int,
    activate: bool,
    note: str | None,
    out: Callable[[str], None] = print,
) -> int:
    """Load, train, record the version, activate it if asked and better; ``out`` says how
    it went (print for the command, the log for the worker)."""
    data = load(conn, days)
    n = 0 if data is None else len(data)
    if data is None or n < min_bookings:
        out(
            f"quality train: {n} ended bookings in the last {days:g} days, fewer than {min_bookings}; nothing trained"
        )
        return 1
    row = conn.execute("select internal.active_quality_version()").fetchone()
    if row is None or row[0] is None:
        out("quality train: no active quality version to compare with")
        return 1
    active = row[0]
    if tuple(active["features"]) != FEATURES:
        out(f"quality train: the active version's features {active['features']} are not {FEATURES}")
        return 1
    result = train(data, np.array([float(c) for c in active["coefficients"]]), holdout)
    metrics = dict(result["metrics"], baseline_version=int(active["version"]))
    version = conn.execute(
        "select internal.add_quality_version(%s, %s, %s, %s)",
        (
            list(FEATURES),
            result["coefficients"],
            json.dumps(metrics),
            note or "bookiji quality train",
        ),
    ).fetchone()[0]
    c, b, k = metrics["candidate"], metrics["baseline"], metrics["constant"]
    out(
        f"quality train: {n} bookings ({metrics['train_bookings']} to fit, {metrics['heldout_bookings']} held out; "
        f"{metrics['heldout_rate']:.3f} went wrong)"
    )
    out(
        f"  held-out log-loss: {c['log_loss']:.4f} (active version {active['version']}: {b['log_loss']:.4f}, "
        f"constant: {k['log_loss']:.4f})"
    )
    out(
        f"  held-out Brier: {c['brier']:.5f} (active version {active['version']}: {b['brier']:.5f}, "
        f"constant: {k['brier']:.5f})"
    )
    out(
        "  calibration by decile (predicted/observed): "
        + " ".join(f"{d['predicted']:.3f}/{d['observed']:.3f}" for d in c["calibration"])
    )
    verdict = "better" if better(metrics) else "not better"
    out(f"  recorded as version {version}: {verdict} than version {active['version']} offline")
    if activate and better(metrics):
        conn.execute(
            "select internal.activate_quality_version(%s, %s)",
            (version, note or "bookiji quality train --activate"),
        )
        out(f"  version {version} is now active")
    elif activate:
        out(f"  version {version} stays inactive")
    return 0 if math.isfinite(c["log_loss"]) else 1
