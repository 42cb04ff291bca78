"""`bookiji rank train` and the worker's schedule: learn the quote's weights from what
customers chose.

The log is the quotes themselves (docs/ranking.md): each quote's offers as shown (their
position and the features their explanation recorded) and the one offer booked from it.
The model is a conditional logit over each quote's offers with position effects:

    P(offer i chosen) = exp(w . x_i + b[pos_i]) / sum_j exp(w . x_j + b[pos_j])

x the features (distance, rating, price, reliability, personal, and quality, -K, the
quality model's predicted risk, where the offer's explanation logged it), b one effect per
position (b[1] = 0; positions past ``POSITIONS`` share the last): the position effects
absorb how much more a customer looks at the first offers than at the later ones, so w
measures what customers prefer, not where the current ranking put things (the position
bias). It is fitted by Newton's method (the log-likelihood is concave) on the older
choices and evaluated on the newest ones (``holdout``) against the active version:

- held-out log-likelihood per choice, the active version's model being its score times a
  fitted scale plus its own fitted position effects;
- NDCG@5 of the position-free ranking each set of weights gives, each held-out choice
  weighted by the inverse of its position's examination propensity (exp(b[pos]), from
  the fit): the inverse-propensity estimate of how the ranking would do if shown.

The quality term is logged only under a version that weighs it (docs/quality.md); the
logs made before carry 0 for every offer of a quote, and a feature equal across a quote's
offers does not move a conditional logit, so those quotes say nothing of its weight and
bias nothing. When no quote of the window logged it, it is not fitted and the version
keeps the active one's weight.

The weights are stored as a new, inactive version (distance, rating, price and
reliability scaled to sum 1; personal and quality on the same scale), with the metrics; the version
becomes active only through ``internal.activate_ranking_version``, which refuses one that
did not beat the active version on both.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FEATURES = ("distance", "rating", "price", "reliability", "personal")
# the optional sixth: present in an explanation only when the ranking weighed it
QUALITY = "quality"
ALL = (*FEATURES, QUALITY)
POSITIONS = 10
Array = npt.NDArray[np.float64]


@dataclass
class ChoiceSets:
    """Padded choice sets: x[n, m, f] (f over ALL), position[n, m] (1-based), mask[n, m],
    chosen[n]."""

    x: Array
    position: npt.NDArray[np.int64]
    mask: npt.NDArray[np.bool_]
    chosen: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.chosen.shape[0])

    def take(self, rows: slice) -> ChoiceSets:
        return ChoiceSets(self.x[rows], self.position[rows], self.mask[rows], self.chosen[rows])

    def core(self) -> ChoiceSets:
        """The five features without quality (a window in which no quote logged it)."""
        return ChoiceSets(self.x[..., : len(FEATURES)], self.position, self.mask, self.chosen)

    @property
    def has_quality(self) -> bool:
        return self.x.shape[2] > len(FEATURES) and bool(np.any(self.x[..., len(FEATURES)] != 0))


def build(sets: list[tuple[list[list[float]], list[int], int]]) -> ChoiceSets:
    """From (features per offer, positions, index of the chosen offer) per quote; an offer's
    features are the five of FEATURES, optionally followed by quality (0 when absent)."""
    width = max(len(f) for f, _, _ in sets)
    n = len(sets)
    x = np.zeros((n, width, len(ALL)))
    position = np.ones((n, width), dtype=np.int64)
    mask = np.zeros((n, width), dtype=bool)
    chosen = np.zeros(n, dtype=np.int64)
    for i, (features, positions, c) in enumerate(sets):
        k = len(features)
        for j, row in enumerate(features):
            x[i, j, : len(row)] = row
        position[i, :k] = positions
        mask[i, :k] = True
        chosen[i] = c
    return ChoiceSets(x, position, mask, chosen)


def _design(data: ChoiceSets, features: bool = True) -> Array:
    """Per offer: the features (or none), then one-hot positions 2..POSITIONS."""
    pos = np.minimum(data.position, POSITIONS)
    onehot = np.zeros((*pos.shape, POSITIONS - 1))
    for p in range(2, POSITIONS + 1):
        onehot[..., p - 2] = pos == p
    return np.concatenate([data.x, onehot], axis=2) if features else onehot


def _probabilities(z: Array, mask: npt.NDArray[np.bool_], theta: Array) -> Array:
    u = np.where(mask, z @ theta, -np.inf)
    u = u - u.max(axis=1, keepdims=True)
    e = np.where(mask, np.exp(u), 0.0)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def fit_logit(z: Array, data: ChoiceSets, ridge: float = 1e-3, steps: int = 100) -> Array:
    """Maximum (lightly ridge-penalised) conditional-logit likelihood, by Newton's method."""
    n, _, d = z.shape
    theta = np.zeros(d)
    rows = np.arange(n)
    for _ in range(steps):
        p = _probabilities(z, data.mask, theta)
        mean = np.einsum("nm,nmd->nd", p, z)
        grad = (z[rows, data.chosen] - mean).sum(axis=0) - ridge * theta
        second = np.einsum("nm,nmd,nme->de", p, z, z) - mean.T @ mean
        step = np.linalg.solve(second + ridge * np.eye(d), grad)
        theta = theta + step
        if float(np.abs(step).max()) < 1e-9:
            break
    return theta


def log_likelihood(z: Array, data: ChoiceSets, theta: Array) -> float:
    """Mean log-probability of the chosen offers."""
    p = _probabilities(z, data.mask, theta)
    return float(np.log(p[np.arange(len(data)), data.chosen]).mean())


def ndcg_at_5(data: ChoiceSets, weights: Array, propensity: Array) -> float:
    """Inverse-propensity NDCG@5 of ranking each set by x . weights (one relevant offer)."""
    score = np.where(data.mask, data.x @ weights, -np.inf)
    rows = np.arange(len(data))
    mine = score[rows, data.chosen][:, None]
    # rank of the chosen offer; ties count against it (no credit for a tie)
    rank = 1 + (
        (score > mine) | ((score == mine) & (np.arange(score.shape[1]) != data.chosen[:, None]))
    ).sum(axis=1)
    gain = np.where(rank <= 5, 1 / np.log2(1 + rank), 0.0)
    pos = np.minimum(data.position[rows, data.chosen], POSITIONS)
    ips = 1 / np.maximum(propensity[pos - 1], 0.05)
    return float((ips * gain).sum() / ips.sum())


def stored_weights(w: Array) -> dict[str, float]:
    """Fitted feature weights as a version stores them: the four main ones >= 0 summing to 1,
    personal (and quality, when fitted: a sixth weight) in [0, 1] on the same scale."""
    main = np.maximum(w[:4], 0.0)
    main[0] = max(main[0], 1e-3)  # the quote needs a distance weight above 0
    total = float(main.sum())
    out = {name: round(float(v) / total, 6) for name, v in zip(FEATURES[:4], main, strict=True)}
    out["distance"] = round(1 - out["rating"] - out["price"] - out["reliability"], 6)
    out["personal"] = round(min(max(float(w[4]) / total, 0.0), 1.0), 6)
    if len(w) > len(FEATURES):
        out[QUALITY] = round(min(max(float(w[5]) / total, 0.0), 1.0), 6)
    return out


def _vector(weights: dict[str, float], names: tuple[str, ...] = ALL) -> Array:
    return np.array([float(weights.get(f, 0.0)) for f in names])


def train(data: ChoiceSets, baseline: dict[str, float], holdout: float = 0.25) -> dict[str, Any]:
    """Fit on the older choices, evaluate both on the newest; the weights and the metrics."""
    cut = round(len(data) * (1 - holdout))
    if cut < 1 or cut >= len(data):
        raise ValueError(f"{len(data)} choices cannot be split into training and held-out sets")
    names = ALL if data.has_quality else FEATURES
    if not data.has_quality:
        data = data.core()
    fit_set, held = data.take(slice(0, cut)), data.take(slice(cut, None))
    # the candidate: features and positions together
    theta = fit_logit(_design(fit_set), fit_set)
    w, b = theta[: len(names)], theta[len(names) :]
    propensity = np.exp(np.concatenate([[0.0], b]))
    weights = stored_weights(w)
    # the active version: its score times a scale, with its own position effects
    base = _vector(baseline, names)

    def base_design(d: ChoiceSets) -> Array:
        return np.concatenate([(d.x @ base)[..., None], _design(d, features=False)], axis=2)

    theta_base = fit_logit(base_design(fit_set), fit_set)
    candidate = {
        "log_likelihood": round(log_likelihood(_design(held), held, theta), 6),
        "ndcg_at_5": round(ndcg_at_5(held, _vector(weights, names), propensity), 6),
    }
    baseline_metrics = {
        "log_likelihood": round(log_likelihood(base_design(held), held, theta_base), 6),
        "ndcg_at_5": round(ndcg_at_5(held, base, propensity), 6),
    }
    return {
        "weights": weights,
        "position_bias": [round(float(v), 6) for v in np.concatenate([[0.0], b])],
        "metrics": {
            "candidate": candidate,
            "baseline": baseline_metrics,
            "raw_weights": {f: round(float(v), 6) for f, v in zip(names, w, strict=True)},
            "train_choices": cut,
            "heldout_choices": len(data) - cut,
        },
    }


def better(metrics: dict[str, Any]) -> bool:
    c, b = metrics["candidate"], metrics["baseline"]
    return bool(c["log_likelihood"] > b["log_likelihood"] and c["ndcg_at_5"] > b["ndcg_at_5"])


def load(conn: Any, days: float) -> ChoiceSets | None:
    """The logged choice sets of the last ``days`` (internal.ranking_choice_sets), oldest first."""
    rows = conn.execute(
        "select quote_id, rank, terms, chosen from internal.ranking_choice_sets("
        "now() - make_interval(secs => %s), now() + interval '1 second')",
        (days * 86400,),
    ).fetchall()
    sets: list[tuple[list[list[float]], list[int], int]] = []
    current: Any = None
    features: list[list[float]] = []
    positions: list[int] = []
    chosen = -1

    def flush() -> None:
        if features and chosen >= 0:
            sets.append((features, positions, chosen))

    for quote_id, rank, terms, was_chosen in rows:
        if quote_id != current:
            flush()
            current, features, positions, chosen = quote_id, [], [], -1
        if not all(f in terms for f in FEATURES):
            continue
        if was_chosen:
            chosen = len(features)
        quality = terms.get(QUALITY)
        features.append(
            [float(terms[f]["feature"]) for f in FEATURES]
            + [float(quality["feature"]) if quality else 0.0]
        )
        positions.append(int(rank))
    flush()
    return build(sets) if sets else None


def run(
    conn: Any,
    days: float,
    holdout: float,
    min_choices: int,
    activate: bool,
    note: str | None,
    out: Callable[[str], None] = print,
) -> int:
    """Load, train, record the version, activate it if asked and better; ``out`` says how
    it went (print for the command, the log for the worker)."""
    data = load(conn, days)
    n = 0 if data is None else len(data)
    if data is None or n < min_choices:
        out(
            f"rank train: {n} logged choices in the last {days:g} days, fewer than {min_choices}; nothing trained"
        )
        return 1
    row = conn.execute("select internal.active_ranking_version()").fetchone()
    if row is None or row[0] is None:
        out("rank train: no active ranking version to compare with")
        return 1
    active = int(row[0]["version"])
    baseline = {f: float(row[0]["weights"].get(f, 0.0)) for f in ALL}
    result = train(data, baseline, holdout)
    metrics = dict(result["metrics"], baseline_version=active)
    version = conn.execute(
        "select internal.add_ranking_version(%s, %s, %s, %s)",
        (
            json.dumps(result["weights"]),
            result["position_bias"],
            json.dumps(metrics),
            note or "bookiji rank train",
        ),
    ).fetchone()[0]
    c, b = metrics["candidate"], metrics["baseline"]
    out(
        f"rank train: {n} choices ({metrics['train_choices']} to fit, {metrics['heldout_choices']} held out)"
    )
    out("  weights: " + ", ".join(f"{k} {v:.3f}" for k, v in result["weights"].items()))
    out(
        f"  held-out log-likelihood: {c['log_likelihood']:.4f} (active version {active}: {b['log_likelihood']:.4f})"
    )
    out(
        f"  held-out NDCG@5 (IPS): {c['ndcg_at_5']:.4f} (active version {active}: {b['ndcg_at_5']:.4f})"
    )
    verdict = "better" if better(metrics) else "not better"
    out(f"  recorded as version {version}: {verdict} than version {active} offline")
    if activate and better(metrics):
        conn.execute(
            "select internal.activate_ranking_version(%s, 'bookiji rank train --activate')",
            (version,),
        )
        out(f"  version {version} is now active")
    elif activate:
        out(f"  version {version} stays inactive")
    if not math.isfinite(c["log_likelihood"]):
        return 1
    return 0
