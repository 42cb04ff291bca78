"""The quality prediction as a term of the quote's score (docs/quality.md): with
w_quality > 0 a provider predicted to cancel or not show ranks below an otherwise identical
reliable one and its explanation says so; with w_quality = 0 (every version so far) the quote
is what it was; the inlined prediction is the model's; find_offers stays one exact sort."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from tests.db.test_quote_search import _reference
from tests.db.test_quote_search import busy_demo as _busy_demo
from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.db import as_user, one
from tests.helpers.factories import create_user

MONTREAL = ZoneInfo("America/Toronto")
# a model in which the provider-cancellation logit weighs (and the rest a little)
COEFFICIENTS = [2.0, 1.5, 0.1, -0.1, 0.3, 0.2, 0.25, -0.05, 0.2]


def _quote(db: psycopg.Connection[Any], customer: uuid.UUID) -> dict[Any, dict[str, Any]]:
    starts = catalog.next_weekday(2, at="14:00")
    with as_user(db, "customer", customer):
        cur = db.execute(
            "select provider_id, rank, score, ranking_version, explanation "
            "from internal.quote('haircut', %s, %s, %s, 5, 10)",
            (*catalog.PLATEAU, starts),
        )
        names = [c.name for c in cur.description or []]
        return {r[0]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def _use_model(db: psycopg.Connection[Any], w_quality: float) -> int:
    """A quality version with COEFFICIENTS, and a ranking version with version 2's weights
    and w_quality, both made active (fixed versions: ops-made, no offline evaluation)."""
    db.execute(
        "insert into app.quality_versions (version, features, coefficients, source) "
        "values (2, internal.quality_feature_names(), %s, 'fixed')",
        (COEFFICIENTS,),
    )
    db.execute("select internal.activate_quality_version(2, 'test model')")
    version = int(one(db, "select max(version) + 1 from app.ranking_versions"))
    db.execute(
        "insert into app.ranking_versions (version, w_distance, w_rating, w_price, w_reliability, "
        "w_personal, w_quality, source, note) "
        "select %s, w_distance, w_rating, w_price, w_reliability, w_personal, %s, 'fixed', 'test' "
        "from app.ranking_versions where version = 2",
        (version, w_quality),
    )
    db.execute("select internal.activate_ranking_version(%s, 'test')", (version,))
    return version


@pytest.fixture
def risky_and_reliable(db: psycopg.Connection[Any]) -> tuple[bk.Shop, bk.Shop]:
    """Two identical haircut shops 110 m apart; the nearer has a record of provider
    cancellations that only the quality model reads (its shrunk rates, Q, are left as the
    other's: the reliability term cannot tell them apart)."""
    risky = bk.open_shop(db)
    reliable = bk.open_shop(db, lat=catalog.PLATEAU[0] + 0.001, lng=catalog.PLATEAU[1])
    db.execute(
        "update app.providers set ended_bookings = 40, provider_cancellations = 20 where id = %s",
        (risky.provider_id,),
    )
    db.execute(
        "update app.providers set ended_bookings = 40, provider_cancellations = 0 where id = %s",
        (reliable.provider_id,),
    )
    return risky, reliable


def test_a_provider_predicted_to_cancel_ranks_below_an_identical_reliable_one(
    db: psycopg.Connection[Any], risky_and_reliable: tuple[bk.Shop, bk.Shop]
) -> None:
    risky, reliable = risky_and_reliable
    customer = create_user(db, "customer")
    before = _quote(db, customer)
    # w_quality = 0 (version 2): distance decides, and no quality term is shown
    assert before[risky.provider_id]["rank"] < before[reliable.provider_id]["rank"]
    assert all("quality" not in o["explanation"]["terms"] for o in before.values())

    version = _use_model(db, 0.5)
    after = _quote(db, customer)
    assert after[reliable.provider_id]["rank"] < after[risky.provider_id]["rank"]
    starts = catalog.next_weekday(2, at="14:00")
    for shop, o in ((risky, after[risky.provider_id]), (reliable, after[reliable.provider_id])):
        e = o["explanation"]
        assert e["version"] == o["ranking_version"] == version
        q = e["terms"]["quality"]
        # the probability is the model's (internal.quality_prediction, the ops view of it)
        model = one(
            db,
            "select (internal.quality_prediction(s.provider_id, %s, s.duration_minutes / 60.0, now())"
            " ->> 'probability')::float8 from app.services as s where s.id = %s",
            starts,
            shop.service_id,
        )
        assert float(q["probability"]) == pytest.approx(model, abs=2e-4)
        assert q["weight"] == 0.5 and q["quality_version"] == 2
        assert float(q["feature"]) == -float(q["probability"])
        assert float(q["contribution"]) == pytest.approx(-0.5 * float(q["probability"]), abs=1e-4)
        # the terms still add up to the score, and the score is the one before minus w * K
        total = sum(float(t["contribution"]) for t in e["terms"].values())
        assert total == pytest.approx(o["score"], abs=4e-4)
        assert o["score"] == pytest.approx(
            before[shop.provider_id]["score"] + float(q["contribution"]), abs=2e-4
        )
    risky_q = after[risky.provider_id]["explanation"]["terms"]["quality"]
    reliable_q = after[reliable.provider_id]["explanation"]["terms"]["quality"]
    assert float(risky_q["probability"]) > 0.3 > 0.05 >= float(reliable_q["probability"])
    assert reliable_q["text"]["en"].startswith("reliable at this time: ")
    assert reliable_q["text"]["fr"].startswith("fiable à cette heure : ")
    assert risky_q["text"]["en"].endswith("% risk of a cancellation or no-show at this time")
    assert risky_q["text"]["fr"].endswith("% de risque d'annulation ou d'absence à cette heure")


def test_with_w_quality_zero_the_quote_is_what_it_was(
    db: psycopg.Connection[Any], risky_and_reliable: tuple[bk.Shop, bk.Shop]
) -> None:
    customer = create_user(db, "customer")
    before = _quote(db, customer)
    version = _use_model(db, 0)  # a model is active, but the ranking does not weigh it
    after = _quote(db, customer)
    assert {p: (o["rank"], o["score"]) for p, o in after.items()} == {
        p: (o["rank"], o["score"]) for p, o in before.items()
    }
    for p, o in after.items():
        assert o["explanation"] == {**before[p]["explanation"], "version": version}


def test_quality_risk_agrees_with_the_model_function(db: psycopg.Connection[Any]) -> None:
    rng = random.Random(5)
    rows = [
        (
            rng.randint(0, 30),
            rng.randint(0, 30),
            rng.randint(0, 200),
            datetime(2026, 12, rng.randint(1, 28), rng.randint(0, 23), tzinfo=UTC),
            rng.choice(("America/Toronto", "Europe/Paris", "Asia/Tokyo", "UTC")),
            rng.uniform(0, 500),
            rng.uniform(0.25, 4),
        )
        for _ in range(200)
    ]
    worst = db.execute(
        """
        select max(abs(
            internal.quality_risk(%(c)s, r.k, r.n, greatest(r.t, r.k, r.n), r.s, r.z, r.l, r.d)
            - internal.quality_probability(
                %(c)s, internal.quality_features(r.k, r.n, greatest(r.t, r.k, r.n), r.s, r.z, r.l, r.d)
            )
        ))
        from jsonb_to_recordset(%(rows)s) as r (
            k integer, n integer, t integer, s timestamptz, z text, l float8, d float8
        )
        """,
        {
            "c": COEFFICIENTS,
            "rows": json.dumps(
                [
                    {"k": k, "n": n, "t": t, "s": s.isoformat(), "z": z, "l": lead, "d": d}
                    for k, n, t, s, z, lead, d in rows
                ]
            ),
        },
    ).fetchone()[0]  # type: ignore[index]
    assert worst < 1e-12


busy_demo = _busy_demo  # the Montreal demo with bookings and time off (test_quote_search)


@pytest.mark.usefixtures("busy_demo")
def test_find_offers_with_the_quality_term_is_one_exact_sort(db: psycopg.Connection[Any]) -> None:
    # every provider gets a record the model reads (its rates, and so its search key, stay)
    db.execute("select setseed(0.3)")
    db.execute(
        "update app.providers set ended_bookings = 10 + floor(random() * 60)::int, "
        "no_shows = floor(random() * 5)::int"
    )
    db.execute(
        "update app.providers set provider_cancellations = floor(random() * ended_bookings / 2)"
    )
    _use_model(db, 0.3)
    rng = random.Random(13)
    categories = [r[0] for r in db.execute("select id from app.service_categories order by id")]
    now = one(db, "select now()")
    # the week from next Monday: the same weekdays, and so about the same offers, whatever today is
    monday = datetime.now(MONTREAL).date()
    monday += timedelta(days=7 - monday.weekday())
    offers = lowered = 0
    for _ in range(60):
        day = monday + timedelta(days=rng.randint(0, 6))
        starts_at = datetime(
            day.year, day.month, day.day, rng.randint(7, 19), rng.choice((0, 30)), tzinfo=MONTREAL
        ).astimezone(UTC)
        args = (
            rng.choice(categories),
            45.52 + rng.gauss(0, 0.03),
            -73.58 + rng.gauss(0, 0.04),
            starts_at,
            rng.choice((0.5, 2, 5, 10, 25)),
            rng.choice((1, 5, 10, 50)),
        )
        got = db.execute(
            "select provider_id, service_id, rank, distance_m, score, explanation "
            "from internal.find_offers(%s, internal.make_point(%s, %s), %s, %s, %s, %s)",
            (*args, now),
        ).fetchall()
        assert [r[:5] for r in got] == _reference(db, *args, now), args
        offers += len(got)
        lowered += sum(1 for r in got if float(r[5]["terms"]["quality"]["contribution"]) < 0)
    assert offers > 50  # not vacuous (about 100 offers; the demo's free times move with the date)
    assert lowered == offers  # every offer lost something
