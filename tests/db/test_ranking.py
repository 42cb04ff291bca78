"""The quote's ranking (db/functions/36_ranking.sql): reliability and the customer's own
history in the score, one customer's history never in another's quote, the explanation
of each offer, the log a ranking is learnt from, and which version may rank."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.db import as_user, call_as, one
from tests.helpers.factories import create_user


def _quote(
    db: psycopg.Connection[Any], customer: uuid.UUID, lat: float, lng: float
) -> list[dict[str, Any]]:
    starts = catalog.next_weekday(2, at="14:00")
    with as_user(db, "customer", customer):
        cur = db.execute(
            "select provider_id, rank, score, ranking_version, explanation, quote_id "
            "from internal.quote('haircut', %s, %s, %s, 5, 10)",
            (lat, lng, starts),
        )
        names = [c.name for c in cur.description or []]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _ranks(offers: list[dict[str, Any]]) -> dict[Any, int]:
    return {o["provider_id"]: o["rank"] for o in offers}


@pytest.fixture
def two_shops(db: psycopg.Connection[Any]) -> tuple[bk.Shop, bk.Shop]:
    """Two haircut shops, the first nearer the Plateau point than the second."""
    near = bk.open_shop(db)
    far = bk.open_shop(db, lat=catalog.PLATEAU[0] + 0.01, lng=catalog.PLATEAU[1])
    return near, far


def _completed(db: psycopg.Connection[Any], shop: bk.Shop, customer: uuid.UUID) -> uuid.UUID:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    b = catalog.add_booking(db, shop.service_id, start, customer_id=customer)
    db.execute("select internal.transition_booking(%s, 'completed', 'provider')", (b,))
    return b


def test_a_customers_own_five_stars_move_the_provider_up_their_quote_and_no_one_elses(
    db: psycopg.Connection[Any], two_shops: tuple[bk.Shop, bk.Shop]
) -> None:
    near, far = two_shops
    fan = create_user(db, "customer", full_name="Fan Of Far")
    other = create_user(db, "customer", full_name="Someone Else")
    lat, lng = catalog.PLATEAU
    assert (
        _ranks(_quote(db, fan, lat, lng))[near.provider_id]
        < _ranks(_quote(db, fan, lat, lng))[far.provider_id]
    )

    b = _completed(db, far, fan)
    call_as(db, "customer", fan, "select internal.review_booking(%s, 5, 'great')", b)
    # the review moves the far shop's public rating too; equalise it so only U differs
    db.execute(
        "update app.providers set rating_count = 0, rating_avg = null where id = any(%s)",
        ([near.provider_id, far.provider_id],),
    )

    mine = {o["provider_id"]: o for o in _quote(db, fan, lat, lng)}
    theirs = {o["provider_id"]: o for o in _quote(db, other, lat, lng)}
    assert mine[far.provider_id]["rank"] < mine[near.provider_id]["rank"]
    assert theirs[near.provider_id]["rank"] < theirs[far.provider_id]["rank"]
    personal = mine[far.provider_id]["explanation"]["terms"]["personal"]
    assert personal["completed"] == 1 and personal["stars"] == 5
    assert float(personal["feature"]) == 1 and float(personal["contribution"]) == pytest.approx(
        0.15
    )
    seen = theirs[far.provider_id]["explanation"]["terms"]["personal"]
    assert float(seen["feature"]) == 0 and seen["completed"] is None and seen["stars"] is None


def test_a_one_star_review_sinks_the_provider_in_that_customers_quote(
    db: psycopg.Connection[Any], two_shops: tuple[bk.Shop, bk.Shop]
) -> None:
    near, far = two_shops
    critic = create_user(db, "customer", full_name="A Critic")
    b = _completed(db, near, critic)
    call_as(db, "customer", critic, "select internal.review_booking(%s, 1, 'late')", b)
    db.execute(
        "update app.providers set rating_count = 0, rating_avg = null where id = %s",
        (near.provider_id,),
    )
    offers = {o["provider_id"]: o for o in _quote(db, critic, *catalog.PLATEAU)}
    assert offers[far.provider_id]["rank"] < offers[near.provider_id]["rank"]
    assert float(offers[near.provider_id]["explanation"]["terms"]["personal"]["feature"]) == -1


def test_a_provider_that_cancels_falls_below_one_that_does_not(
    db: psycopg.Connection[Any],
) -> None:
    near = bk.open_shop(db)
    far = bk.open_shop(db, lat=catalog.PLATEAU[0] + 0.002, lng=catalog.PLATEAU[1])  # 220 m
    customer = create_user(db, "customer")
    before = _ranks(_quote(db, customer, *catalog.PLATEAU))
    assert before[near.provider_id] < before[far.provider_id]
    # the near shop cancels 30 of its 40 bookings (through the real path)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=20)
    for i in range(40):
        b = catalog.add_booking(db, near.service_id, start + timedelta(hours=i))
        if i < 30:
            db.execute(
                "select internal.transition_booking(%s, 'cancelled', 'provider', 'closed')", (b,)
            )
        else:
            db.execute("select internal.transition_booking(%s, 'completed', 'provider')", (b,))
    offers = {o["provider_id"]: o for o in _quote(db, customer, *catalog.PLATEAU)}
    assert offers[far.provider_id]["rank"] < offers[near.provider_id]["rank"]
    reliability = offers[near.provider_id]["explanation"]["terms"]["reliability"]
    assert float(reliability["cancellation_rate"]) == pytest.approx((30 + 0.4) / 60, abs=1e-4)


def test_every_offer_explains_itself_and_the_terms_add_up_to_its_score(
    db: psycopg.Connection[Any], two_shops: tuple[bk.Shop, bk.Shop]
) -> None:
    customer = create_user(db, "customer")
    offers = _quote(db, customer, *catalog.PLATEAU)
    assert len(offers) >= 2
    for o in offers:
        e = o["explanation"]
        assert e["version"] == o["ranking_version"] == 2
        assert set(e["terms"]) == {"distance", "rating", "reliability", "price", "personal"}
        total = sum(float(t["contribution"]) for t in e["terms"].values())
        assert total == pytest.approx(o["score"], abs=3e-4)
        for t in e["terms"].values():
            assert float(t["contribution"]) == pytest.approx(
                float(t["weight"]) * float(t["feature"]), abs=1e-4
            )


def test_find_offers_matches_the_reference_for_a_customer_with_a_history(
    db: psycopg.Connection[Any], two_shops: tuple[bk.Shop, bk.Shop]
) -> None:
    near, far = two_shops
    for _ in range(6):
        bk.open_shop(db, lat=catalog.PLATEAU[0] + 0.005, lng=catalog.PLATEAU[1] + 0.005)
    fan = create_user(db, "customer")
    b = _completed(db, far, fan)
    call_as(db, "customer", fan, "select internal.review_booking(%s, 4, 'good')", b)
    starts = catalog.next_weekday(2, at="14:00")
    args = (catalog.PLATEAU[0], catalog.PLATEAU[1], starts)
    got = db.execute(
        "select provider_id, score from internal.find_offers(1, internal.make_point(%s, %s), %s, 5, 50, now(), %s)",
        (*args, fan),
    ).fetchall()
    ref = db.execute(
        "select c.provider_id, max(c.score) from internal.quote_candidates("
        "1, internal.make_point(%s, %s), %s, 5, now(), %s) as c group by c.provider_id "
        "order by 2 desc, 1",
        (*args, fan),
    ).fetchall()
    assert sorted(got, key=lambda r: (-r[1], str(r[0]))) == sorted(
        ref, key=lambda r: (-r[1], str(r[0]))
    )
    assert {r[0] for r in got} >= {far.provider_id, near.provider_id}


def test_the_log_holds_the_offers_as_shown_and_the_one_chosen(
    db: psycopg.Connection[Any], two_shops: tuple[bk.Shop, bk.Shop]
) -> None:
    _near, far = two_shops
    customer = create_user(db, "customer")
    offers = _quote(db, customer, *catalog.PLATEAU)
    quote_id = offers[0]["quote_id"]
    bk.confirm(db, customer, quote_id, far.provider_id)
    rows = db.execute(
        "select rank, terms, chosen from internal.ranking_choice_sets(now() - interval '1 hour', now() + interval '1 hour') "
        "where quote_id = %s order by rank",
        (quote_id,),
    ).fetchall()
    assert [r[0] for r in rows] == [o["rank"] for o in offers]
    assert [r[2] for r in rows] == [o["provider_id"] == far.provider_id for o in offers]
    assert all(
        set(r[1]) == {"distance", "rating", "reliability", "price", "personal"} for r in rows
    )


def _trained(db: psycopg.Connection[Any], better: bool, baseline: int = 2) -> int:
    metrics = {
        "baseline_version": baseline,
        "baseline": {"log_likelihood": -1.5, "ndcg_at_5": 0.6},
        "candidate": {
            "log_likelihood": -1.2 if better else -1.7,
            "ndcg_at_5": 0.7 if better else 0.5,
        },
    }
    weights = {"distance": 0.4, "rating": 0.3, "price": 0.2, "reliability": 0.1, "personal": 0.1}
    return int(
        one(
            db,
            "select internal.add_ranking_version(%s, array[0, -0.3, -0.5], %s, 'test')",
            json.dumps(weights),
            json.dumps(metrics),
        )
    )


def test_a_trained_version_is_activated_only_when_it_beat_the_active_one(
    db: psycopg.Connection[Any], two_shops: tuple[bk.Shop, bk.Shop]
) -> None:
    ops = create_user(db, "ops")
    worse = _trained(db, better=False)
    with pytest.raises(psycopg.Error) as err:
        call_as(db, "ops", ops, "select api.ops_activate_ranking_version(%s, 'try')", worse)
    assert err.value.sqlstate == "PT409"
    stale = _trained(db, better=True, baseline=1)  # evaluated against another version
    with pytest.raises(psycopg.Error):
        call_as(db, "ops", ops, "select api.ops_activate_ranking_version(%s, 'try')", stale)
    better = _trained(db, better=True)
    answer = call_as(
        db, "ops", ops, "select api.ops_activate_ranking_version(%s, 'ship it')", better
    )
    assert answer["is_active"] and answer["weights"]["distance"] == 0.4
    offers = _quote(db, create_user(db, "customer"), *catalog.PLATEAU)
    assert {o["ranking_version"] for o in offers} == {better}
    stale_keys = one(
        db,
        """
        select count(*) from app.services as s join app.providers as p on p.id = s.provider_id
        where s.search_key is not null and abs(extensions.st_z(s.search_key) - internal.quality_term(
            p.rating_count, p.rating_avg, p.provider_cancellation_rate, p.no_show_rate, 0.3, 0.1)) > 1e-9
        """,
    )
    assert stale_keys == 0
    # a rollback to the version active before is always allowed, and audited
    back = call_as(db, "ops", ops, "select api.ops_activate_ranking_version(2, 'roll back')")
    assert back["version"] == 2 and back["is_active"]
    assert (
        one(
            db,
            "select count(*) from audit.action_log where action = 'ranking.activated' and reason = 'roll back'",
        )
        == 1
    )
    with as_user(db, "ops", ops):
        versions = [r[0] for r in db.execute("select * from api.ops_ranking_versions()")]
    assert versions[0]["version"] == better  # newest first
    assert [v["version"] for v in versions if v["is_active"]] == [2]


def test_only_ops_see_or_activate_ranking_versions(
    db: psycopg.Connection[Any], two_shops: tuple[bk.Shop, bk.Shop]
) -> None:
    customer = create_user(db, "customer")
    provider = two_shops[0].owner_id
    for role, sub in (("customer", customer), ("provider", provider)):
        for sql in (
            "select count(*) from api.ops_ranking_versions()",
            "select api.ops_activate_ranking_version(1, 'x')",
        ):
            with pytest.raises(psycopg.Error) as err:
                call_as(db, role, sub, sql)
            assert err.value.sqlstate in ("42501", "PT403")
    ops = create_user(db, "ops")
    with pytest.raises(psycopg.Error) as err:
        call_as(db, "ops", ops, "select api.ops_activate_ranking_version(999, 'x')")
    assert err.value.sqlstate == "PT404"
    with pytest.raises(psycopg.Error) as err:
        call_as(db, "ops", ops, "select api.ops_activate_ranking_version(null, 'x')")
    assert err.value.sqlstate == "PT400"
