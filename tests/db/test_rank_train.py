"""`bookiji rank train` end to end on the real log: customers with a planted preference
quote and confirm through the real functions, the command fits on their choices, records
a version with its offline metrics and activates it only because it beat the active one."""

from __future__ import annotations

import math
import random
from datetime import timedelta
from typing import Any

import psycopg

from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.db import as_user, one
from tests.helpers.factories import create_user
from worker.learn import rank

# customers here care about the rating above all (version 2 ranks mostly by distance)
PLANTED = {"distance": 0.1, "rating": 0.7, "price": 0.1, "reliability": 0.1, "personal": 0.0}


def test_rank_train_learns_from_logged_choices_and_ships_only_a_better_version(
    db: psycopg.Connection[Any],
) -> None:
    rng = random.Random(3)
    lat, lng = catalog.PLATEAU
    for i in range(12):
        shop = bk.open_shop(
            db, lat=lat + rng.uniform(-0.03, 0.03), lng=lng + rng.uniform(-0.04, 0.04)
        )
        db.execute(
            "update app.providers set rating_count = 40, rating_avg = %s where id = %s",
            (3.0 + 0.17 * i, shop.provider_id),
        )
    customers = [create_user(db, "customer") for _ in range(8)]
    first = catalog.next_weekday(0, at="09:00", min_days=2)
    chosen = 0
    for i in range(320):
        customer = customers[i % len(customers)]
        starts = first + timedelta(days=rng.randrange(40), hours=rng.randrange(7))
        with as_user(db, "customer", customer):
            offers = db.execute(
                "select quote_id, provider_id, rank, explanation from internal.quote('haircut', %s, %s, %s, 5, 10)",
                # customers ask from around the Plateau: distances and orders vary
                (lat + rng.uniform(-0.02, 0.02), lng + rng.uniform(-0.03, 0.03), starts),
            ).fetchall()
        if len(offers) < 2:
            continue
        utility = [
            8 * sum(PLANTED[f] * float(e["terms"][f]["feature"]) for f in rank.FEATURES)
            - 0.8 * math.log(r)
            for _, _, r, e in offers
        ]
        top = max(utility)
        pick = rng.choices(range(len(offers)), weights=[math.exp(u - top) for u in utility])[0]
        booking = bk.confirm(db, customer, offers[pick][0], offers[pick][1])
        # the hold lapses (no payment): the customer stays under the live-hold limit
        db.execute("select internal.transition_booking(%s, 'expired', 'system')", (booking["id"],))
        chosen += 1
    assert chosen > 250

    assert rank.run(db, days=1, holdout=0.25, min_choices=200, activate=True, note="test") == 0
    version, metrics, active, weights = db.execute(
        "select version, metrics, is_active, array[w_distance, w_rating] from app.ranking_versions "
        "order by version desc limit 1"
    ).fetchone()  # type: ignore[misc]
    assert version == 3 and metrics["baseline_version"] == 2
    assert rank.better(metrics) and active
    assert weights[1] > weights[0]  # the rating now outweighs the distance
    assert one(db, "select count(*) from app.ranking_versions where is_active") == 1


def test_rank_train_trains_nothing_without_enough_choices(db: psycopg.Connection[Any]) -> None:
    assert rank.run(db, days=28, holdout=0.25, min_choices=200, activate=True, note=None) == 1
    assert one(db, "select max(version) from app.ranking_versions") == 2
