"""Pricing suggestions over HTTP with real tokens: seeded quotes, wins, peers and hours whose
expected direction is known (raise, lower, keep); a provider sees only its own services."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from tests.helpers import booking as bk
from tests.helpers import catalog, stack
from tests.helpers.auth import bearer, mint
from tests.helpers.factories import create_user


@pytest.fixture
def admin(api: stack.PostgREST) -> Any:
    with psycopg.connect(api.db_url, autocommit=True) as conn:
        yield conn


def _suggestions(url: str, owner: Any, days: int | None = None) -> httpx.Response:
    params = {} if days is None else {"days": days}
    return httpx.get(
        f"{url}/rpc/my_price_suggestions",
        params=params,
        headers=bearer(mint("provider", owner)),
        timeout=30,
    )


def _quotes(
    admin: psycopg.Connection[Any], at: tuple[float, float], shops: list[bk.Shop], n: int
) -> list[uuid.UUID]:
    """n quotes for haircuts asked at ``at``, each listing every shop's service."""
    customer = create_user(admin)
    ids = []
    for _ in range(n):
        row = admin.execute(
            "insert into app.quotes (customer_id, category_id, location, starts_at, radius_km)"
            " select %s, c.id, extensions.st_makepoint(%s, %s)::extensions.geography,"
            " now() + interval '1 day', 10 from app.service_categories as c where c.slug = 'haircut'"
            " returning id",
            (customer, at[1], at[0]),
        ).fetchone()
        assert row is not None
        for rank, shop in enumerate(shops, start=1):
            admin.execute(
                "insert into app.quote_items (quote_id, provider_id, service_id, rank, price_cents,"
                " deposit_cents, currency, duration_minutes, buffer_before_minutes,"
                " buffer_after_minutes, distance_m, score, cancel_notice_hours, cancel_fee_cents)"
                " select %s, s.provider_id, s.id, %s, s.price_cents, s.deposit_cents, s.currency,"
                " s.duration_minutes, 0, 0, 100, 1, 24, 0 from app.services as s where s.id = %s",
                (row[0], rank, shop.service_id),
            )
        ids.append(row[0])
    return ids


def _win(admin: psycopg.Connection[Any], shop: bk.Shop, quotes: list[uuid.UUID]) -> None:
    """Each quote ends in a booking of the shop's service (past slots, one a day)."""
    base = (datetime.now(UTC) - timedelta(days=1)).replace(
        hour=15, minute=0, second=0, microsecond=0
    )
    for i, quote in enumerate(quotes):
        booking = catalog.add_booking(admin, shop.service_id, base - timedelta(days=i))
        admin.execute("update app.bookings set quote_id = %s where id = %s", (quote, booking))


def _market(
    admin: psycopg.Connection[Any], at: tuple[float, float], price: int
) -> tuple[bk.Shop, list[bk.Shop]]:
    """A shop at ``at`` priced ``price`` and two peers 1 km away at 60 and 70 dollars."""
    me = bk.open_shop(admin, lat=at[0], lng=at[1], price_cents=price, deposit_cents=0)
    peers = [
        bk.open_shop(admin, lat=at[0] + 0.01, lng=at[1], price_cents=p, deposit_cents=0)
        for p in (6000, 7000)
    ]
    return me, peers


def _only(resp: httpx.Response) -> dict[str, Any]:
    assert resp.status_code == 200, resp.text
    (row,) = resp.json()
    return dict(row)


def test_a_cheap_service_chosen_far_above_the_market_is_told_to_raise(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    at = (52.0, -110.0)
    me, peers = _market(admin, at, 5000)
    quotes = _quotes(admin, at, [me, peers[0]], 10)
    _win(admin, me, quotes[:8])  # 8 of 10 for me, 0 for the peer: the market's rate is 8/20
    row = _only(_suggestions(api.url, me.owner_id))
    assert row["service_id"] == str(me.service_id)
    assert (row["suggestion"], row["suggested_low_cents"], row["suggested_high_cents"]) == (
        "raise",
        5000,
        6750,  # the peers' third quartile, above 5000 + 15%
    )
    demand, supply, fill = row["reasons"]
    assert demand["kind"] == "demand"
    assert demand["figures"]["appeared"] == 10 and demand["figures"]["chosen"] == 8
    assert float(demand["figures"]["market_win_rate"]) == 0.4
    assert demand["text"].startswith(
        "chosen in 8 of the 10 quotes it appeared in (80%), against 40%"
    )
    assert supply["figures"] == {
        "peers": 2,
        "p25_cents": 6250,
        "median_cents": 6500,
        "p75_cents": 6750,
    }
    assert fill["kind"] == "fill" and fill["figures"]["booked_minutes"] == 480


def test_services_of_one_category_share_its_market_and_peers_scaled_to_their_length(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    """Read once per category: a 30-minute trim beside the hour-long cut gets the same market
    and the peers' prices per minute times its own length; a massage (no peers, no quotes) only
    its hours."""
    at = (54.0, -110.0)
    me, peers = _market(admin, at, 5000)
    trim = dataclasses.replace(
        me,
        service_id=catalog.create_service(
            admin,
            me.provider_id,
            name="Trim",
            duration_minutes=30,
            price_cents=3000,
            deposit_cents=0,
        ),
    )
    catalog.create_service(
        admin,
        me.provider_id,
        category="massage",
        name="Massage",
        price_cents=8000,
        deposit_cents=0,
    )
    _win(admin, me, _quotes(admin, at, [me, peers[0]], 10)[:8])
    _win(admin, peers[1], _quotes(admin, at, [trim, peers[1]], 5)[:2])
    resp = _suggestions(api.url, me.owner_id)
    assert resp.status_code == 200, resp.text
    rows = {r["service_name"]: r for r in resp.json()}
    assert list(rows) == ["Cut", "Massage", "Trim"]

    def figures(name: str) -> dict[str, Any]:
        return {r["kind"]: r["figures"] for r in rows[name]["reasons"]}

    cut, trim_figures, massage = figures("Cut"), figures("Trim"), figures("Massage")
    # the category's 30 appearances (15 quotes, two offers each) and 10 wins, for both
    for f, appeared, chosen in ((cut, 10, 8), (trim_figures, 5, 0)):
        assert (f["demand"]["appeared"], f["demand"]["chosen"]) == (appeared, chosen)
        assert f["demand"]["market_appearances"] == 30
        assert float(f["demand"]["market_win_rate"]) == 0.333
    assert cut["supply"] == {"peers": 2, "p25_cents": 6250, "median_cents": 6500, "p75_cents": 6750}
    assert trim_figures["supply"] == {
        "peers": 2,
        "p25_cents": 3125,
        "median_cents": 3250,
        "p75_cents": 3375,
    }
    assert list(massage) == ["fill"]


def test_a_dear_service_never_chosen_is_told_to_lower_towards_the_median(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    at = (52.5, -110.0)
    me, peers = _market(admin, at, 9000)
    quotes = _quotes(admin, at, [me, *peers], 10)
    _win(admin, peers[0], quotes[:8])
    row = _only(_suggestions(api.url, me.owner_id))
    assert (row["suggestion"], row["suggested_low_cents"], row["suggested_high_cents"]) == (
        "lower",
        7650,  # 9000 - 15%, above the peers' median (6500)
        9000,
    )
    assert row["reasons"][0]["figures"]["chosen"] == 0


def test_a_service_with_no_quotes_and_no_peers_keeps_its_price(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    me = bk.open_shop(admin, lat=53.0, lng=-110.0, price_cents=5000, deposit_cents=0)
    row = _only(_suggestions(api.url, me.owner_id, 60))
    assert (row["suggestion"], row["suggested_low_cents"], row["suggested_high_cents"]) == (
        "keep",
        4750,
        5250,
    )
    assert [r["kind"] for r in row["reasons"]] == ["fill"]
    assert row["reasons"][0]["text"] == "your hours were 0% booked over the last 60 days"


def test_a_provider_sees_only_its_own_services_and_others_are_refused(
    api: stack.PostgREST, admin: psycopg.Connection[Any]
) -> None:
    mine = bk.open_shop(admin, lat=53.5, lng=-110.0)
    theirs = bk.open_shop(admin, lat=53.5, lng=-110.01)
    row = _only(_suggestions(api.url, theirs.owner_id))
    assert row["service_id"] == str(theirs.service_id)
    assert str(mine.service_id) not in {
        r["service_id"] for r in _suggestions(api.url, theirs.owner_id).json()
    }

    as_customer = httpx.get(
        f"{api.url}/rpc/my_price_suggestions", headers=bearer(mint("customer", create_user(admin)))
    )
    assert as_customer.status_code in (401, 403), as_customer.text
    anon = httpx.get(f"{api.url}/rpc/my_price_suggestions")
    assert anon.status_code == 401, anon.text
    bad = _suggestions(api.url, mine.owner_id, 3)
    assert bad.status_code == 400, bad.text
    assert bad.json()["message"] == "days must be between 7 and 365"
    no_profile = _suggestions(api.url, create_user(admin, "provider"))
    assert no_profile.status_code == 404, no_profile.text
