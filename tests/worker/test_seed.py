"""The Montreal demo data generator: deterministic, idempotent, plausible, and the
demo accounts it promises."""

from __future__ import annotations

import dataclasses
from typing import Any

import jwt
import psycopg
import pytest

import bookiji_seed as seed
from bookiji import cli, config, demo


def test_the_same_seed_generates_the_same_rows_and_another_seed_does_not() -> None:
    def rows(providers: int, rng_seed: int) -> list[Any]:
        return [
            (c.users, c.providers, c.services, c.hours)
            for c in seed._generate(providers, rng_seed, seed.tag_for(providers, rng_seed), None)
        ]

    assert rows(50, 7) == rows(50, 7)
    assert rows(50, 7) != rows(50, 8)


def test_the_demo_set_loads_once_with_its_accounts(db: psycopg.Connection[Any]) -> None:
    first = seed.load_demo(db)
    assert (first.providers, first.skipped) == (seed.DEMO_PROVIDERS, False)
    again = seed.load_demo(db)
    assert again.skipped
    assert db.execute("select count(*) from app.providers").fetchone() == (seed.DEMO_PROVIDERS,)
    roles = dict(
        db.execute(
            "select email::text, role from app.users where email like 'demo.%%@bookiji.test'"
        ).fetchall()
    )
    assert roles == {
        "demo.customer@bookiji.test": "customer",
        "demo.provider@bookiji.test": "provider",
        "demo.ops@bookiji.test": "ops",
    }


def test_one_demo_provider_in_three_is_registered_for_gst_and_qst_with_valid_numbers(
    db: psycopg.Connection[Any],
) -> None:
    seed.load_demo(db)
    rows = db.execute(
        "select t.gst_number, t.qst_number, internal.gst_number_valid(t.gst_number),"
        " internal.qst_number_valid(t.qst_number) from app.provider_tax_registrations as t"
    ).fetchall()
    expected = len(range(0, seed.DEMO_PROVIDERS, seed.DEMO_TAX_EVERY))
    assert len(rows) == expected and 0 < expected < seed.DEMO_PROVIDERS
    assert all(gst_ok and qst_ok for _, _, gst_ok, qst_ok in rows)
    # the demo provider's own shop is among them: its quotes show taxes
    owned = db.execute(
        "select count(*) from app.provider_tax_registrations as t"
        " join app.providers as p on p.id = t.provider_id"
        " join app.users as u on u.id = p.owner_id where u.email = %s",
        (seed.DEMO_PROVIDER,),
    ).fetchone()
    assert owned == (1,)
    # a quote of a registered provider shows its taxes
    taxes = db.execute(
        "select (internal.provider_taxes(t.provider_id, 4500)).* from app.provider_tax_registrations"
        " as t limit 1"
    ).fetchone()
    assert taxes is not None and taxes[0] > 0


def test_the_demo_provider_account_owns_a_demo_provider(db: psycopg.Connection[Any]) -> None:
    seed.load_demo(db)
    row = db.execute(
        "select count(*) from app.providers as p join app.users as u on u.id = p.owner_id "
        "where u.email = %s",
        (seed.DEMO_PROVIDER,),
    ).fetchone()
    assert row == (1,)


def test_every_seeded_account_has_the_documented_password(db: psycopg.Connection[Any]) -> None:
    seed.load_demo(db)
    row = db.execute(
        "select count(*), count(*) filter (where c.password_hash = extensions.crypt(%s, c.password_hash)) "
        "from auth.credentials as c",
        (seed.DEMO_PASSWORD,),
    ).fetchone()
    assert row is not None
    total, matching = row
    assert total == matching == seed.DEMO_PROVIDERS + 2  # 199 generated + 3 demo accounts


def test_the_demo_providers_are_plausible_montreal_businesses(db: psycopg.Connection[Any]) -> None:
    seed.load_demo(db)
    row = db.execute(
        """
        select
            bool_and(lat between 45.40 and 45.62 and lng between -73.75 and -73.48),
            bool_and(time_zone = 'America/Toronto'),
            count(distinct round(lat::numeric, 2) || ',' || round(lng::numeric, 2)) > 50,
            bool_and(rating_count = 0 or rating_avg between 1 and 5)
        from app.providers
        """
    ).fetchone()
    assert row == (True, True, True, True)
    services = db.execute(
        """
        select count(distinct s.category_id), min(s.price_cents), max(s.price_cents),
            bool_and(s.currency = 'CAD'), bool_and(s.price_cents % 100 = 0)
        from app.services as s
        """
    ).fetchone()
    assert services is not None
    categories, cheapest, dearest, cad, whole_dollars = services
    assert categories >= 10
    assert cheapest >= 0 and dearest <= 400_00
    assert cad and whole_dollars
    hours = db.execute(
        "select count(distinct provider_id) from app.weekly_hours where day_of_week = 3"
    ).fetchone()
    assert hours == (seed.DEMO_PROVIDERS,)


def test_ensure_demo_uses_the_database_url_and_demo_returns_a_customer_token(
    db: psycopg.Connection[Any], db_url: str
) -> None:
    settings = dataclasses.replace(config.load(), database_url=db_url)
    assert not seed.ensure_demo(settings).skipped
    assert seed.ensure_demo(settings).skipped
    token = demo.ensure_demo(settings)
    assert token is not None
    row = db.execute("select id from app.users where email = %s", (seed.DEMO_CUSTOMER,)).fetchone()
    assert row is not None
    claims = jwt.decode(token, settings.jwt_secret, algorithms=["HS256"], audience=settings.jwt_aud)
    assert (claims["sub"], claims["role"]) == (str(row[0]), "customer")


def test_the_seed_command_loads_n_providers_once(
    db: psycopg.Connection[Any], db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["seed", "--providers", "120", "--seed", "3", "--database-url", db_url]) == 0
    assert "120 providers" in capsys.readouterr().out
    assert cli.main(["seed", "--providers", "120", "--seed", "3", "--database-url", db_url]) == 0
    assert "already loaded" in capsys.readouterr().out
    assert db.execute("select count(*) from app.providers").fetchone() == (120,)
    assert cli.main(["seed", "--providers", "0", "--database-url", db_url]) == 2


def _heap_order_breaks(db: psycopg.Connection[Any]) -> int:
    """How often the next row in the heap has a lower category than the one before."""
    row = db.execute(
        "select count(*) from (select category_id < lag(category_id) over (order by ctid) as back "
        "from app.services) as s where back"
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_the_seed_command_puts_services_in_category_and_location_order(
    db: psycopg.Connection[Any], db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    quote = (
        "select array_agg(provider_id order by rank) from internal.find_offers("
        "(select id from app.service_categories where slug = %s), internal.make_point(45.52, -73.58), "
        "date_trunc('day', now()) + interval '3 days 15 hours', 10, 10, now())"
    )
    seed.load(db, 150, seed=4)
    assert _heap_order_breaks(db) > 0  # as generated: provider by provider
    before = [db.execute(quote, (c,)).fetchone() for c in ("haircut", "massage", "tattoo")]

    out = seed.cluster_services(db)
    assert "order in" in out
    assert _heap_order_breaks(db) == 0
    assert db.execute(
        "select 1 from internal.settings where key = %s", (seed.LAYOUT_KEY,)
    ).fetchone()
    assert db.execute(
        "select count(*) from pg_indexes where indexname = 'services_layout_tmp'"
    ).fetchone() == (0,)
    assert [db.execute(quote, (c,)).fetchone() for c in ("haircut", "massage", "tattoo")] == before
    assert any(b is not None and b[0] for b in before)
    assert "nothing to do" in seed.cluster_services(db)

    assert cli.main(["seed", "--providers", "40", "--seed", "5", "--database-url", db_url]) == 0
    assert "category and location order" in capsys.readouterr().out
    assert _heap_order_breaks(db) == 0
