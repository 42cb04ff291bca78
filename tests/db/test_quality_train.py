"""The quality model end to end on the database: ended bookings with planted outcomes, the
training rows SQL computes, `bookiji quality train` recording and activating a version only
because it beat the active one, SQL predicting what numpy predicts, ops listing, rolling
back and reading a booking's prediction, and nobody else seeing any of it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import psycopg
import pytest

from tests.helpers.db import as_user, one
from tests.helpers.factories import create_user
from tests.helpers.quality import seed
from worker.learn import quality


def test_training_learns_the_providers_apart_and_ships_only_a_better_version(
    db: psycopg.Connection[Any],
) -> None:
    shops = seed(db, shops=10, per_shop=70, seed_value=5)
    # the reliability trigger kept the customers' cancellations apart
    tested, others = db.execute(
        "select sum(ended_bookings - other_cancellations), sum(other_cancellations) from app.providers"
    ).fetchone()  # type: ignore[misc]
    assert tested + others == 700 and others > 30
    rows = db.execute(
        "select count(*), count(*) filter (where outcome) from internal.quality_training_rows("
        "now() - interval '1 year', now())"
    ).fetchone()
    assert rows is not None and rows[0] == tested and 0 < rows[1] < rows[0]

    assert (
        quality.run(db, days=365, holdout=0.25, min_bookings=300, activate=True, note="test") == 0
    )
    version, metrics, active, coefficients = db.execute(
        "select version, metrics, is_active, coefficients from app.quality_versions order by version desc limit 1"
    ).fetchone()  # type: ignore[misc]
    assert version == 2 and metrics["baseline_version"] == 1 and active
    assert quality.better(metrics)
    assert metrics["candidate"]["log_loss"] < metrics["constant"]["log_loss"]
    assert one(db, "select count(*) from app.quality_versions where is_active") == 1
    assert one(db, "select count(*) from audit.action_log where action = 'quality.activated'") == 1

    # SQL predicts what numpy predicts, and the riskiest provider above the safest
    start = datetime.now(UTC) + timedelta(days=3)
    predictions = []
    for shop in (shops[0], shops[-1]):
        p = db.execute(
            "select internal.quality_prediction(%s, %s, 1, now())", (shop.provider_id, start)
        ).fetchone()[0]  # type: ignore[index]
        x = np.array([[p["features"][f] for f in quality.FEATURES]])
        assert abs(float(quality.predict(np.array(coefficients), x)[0]) - p["probability"]) < 1e-3
        assert p["version"] == 2
        predictions.append(p["probability"])
    assert predictions[1] > 2 * predictions[0]

    # a second training on the same data is no better than the version it produced
    assert (
        quality.run(db, days=365, holdout=0.25, min_bookings=300, activate=True, note="again") == 0
    )
    assert one(db, "select version from app.quality_versions where is_active") == 2


def test_ops_list_activate_roll_back_and_read_a_bookings_prediction(
    db: psycopg.Connection[Any],
) -> None:
    seed(db, shops=6, per_shop=70, seed_value=9)
    assert quality.run(db, days=365, holdout=0.25, min_bookings=200, activate=False, note="t") == 0
    ops = create_user(db, "ops")
    # a version that never beat the active one cannot be activated: record a worse one
    db.execute(
        "select internal.add_quality_version(internal.quality_feature_names(), %s, %s, 'worse')",
        (
            [0.0] * 9,
            json.dumps(
                {
                    "baseline_version": 1,
                    "candidate": {"log_loss": 0.9, "brier": 0.3},
                    "baseline": {"log_loss": 0.5, "brier": 0.1},
                }
            ),
        ),
    )
    with as_user(db, "ops", ops):
        listed = [r[0] for r in db.execute("select * from api.ops_quality_versions()").fetchall()]
        assert [v["version"] for v in listed] == [3, 2, 1]
        assert listed[2]["is_active"] and "provider_cancel_logit" in listed[1]["coefficients"]
    with pytest.raises(psycopg.Error) as refused, as_user(db, "ops", ops):
        db.execute("select api.ops_activate_quality_version(3, 'try')")
    assert refused.value.diag.message_hint == "conflict"
    with as_user(db, "ops", ops):
        shipped = db.execute("select api.ops_activate_quality_version(2, 'better')").fetchone()[0]  # type: ignore[index]
        assert shipped["is_active"] and shipped["version"] == 2
        back = db.execute("select api.ops_activate_quality_version(1, 'roll back')").fetchone()[0]  # type: ignore[index]
        assert back["version"] == 1
        # version 2 was active before: it may come back without a new evaluation
        db.execute("select api.ops_activate_quality_version(2, 'forward again')")
        booking_id = db.execute("select id from app.bookings limit 1").fetchone()
    assert one(db, "select version from app.quality_versions where is_active") == 2
    assert one(db, "select count(*) from audit.action_log where action = 'quality.activated'") == 3
    assert booking_id is not None
    with as_user(db, "ops", ops):
        p = db.execute("select api.ops_booking_quality(%s)", (booking_id[0],)).fetchone()[0]  # type: ignore[index]
    assert 0 < p["probability"] < 1 and p["version"] == 2 and p["booking_id"] == str(booking_id[0])
    with pytest.raises(psycopg.Error) as missing, as_user(db, "ops", ops):
        db.execute("select api.ops_booking_quality(%s)", (uuid.uuid4(),))
    assert missing.value.diag.message_hint == "not_found"
    with pytest.raises(psycopg.Error) as absent, as_user(db, "ops", ops):
        db.execute("select api.ops_booking_quality(null)")
    assert absent.value.diag.message_hint == "invalid_input"


@pytest.mark.parametrize(
    "call",
    [
        "select api.ops_quality_versions()",
        "select api.ops_activate_quality_version(1, 'x')",
        "select api.ops_booking_quality(gen_random_uuid())",
    ],
)
def test_customers_and_providers_cannot_reach_the_quality_model(
    db: psycopg.Connection[Any], call: str
) -> None:
    for role in ("customer", "provider"):
        user = create_user(db, role)
        # no execute grant: the database refuses before the function runs
        with pytest.raises(psycopg.errors.InsufficientPrivilege), as_user(db, role, user):
            db.execute(call)


def test_a_version_over_other_features_or_with_a_nan_is_refused(
    db: psycopg.Connection[Any],
) -> None:
    for features, coefficients in (
        (["a", "b"], [0.0, 1.0, 2.0]),
        (list(quality.FEATURES), [0.0] * 8),
        (list(quality.FEATURES), [float("nan")] + [0.0] * 8),
    ):
        with pytest.raises(psycopg.Error) as refused, db.transaction():
            db.execute(
                "select internal.add_quality_version(%s, %s, '{}', null)", (features, coefficients)
            )
        assert refused.value.diag.message_hint == "invalid_input"
