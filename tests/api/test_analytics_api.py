"""Analytics over HTTP: the RPCs answer JSON and CSV through PostgREST, refuse bad ranges
with 400 naming the argument, and answer each role what it may read."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest

from tests.helpers import booking as bk
from tests.helpers import catalog, stack
from tests.helpers.auth import bearer, mint

TORONTO = ZoneInfo("America/Toronto")
RANGE = {"from": "2027-06-01", "to": "2027-06-30"}


@pytest.fixture(scope="module")
def shops(api: stack.PostgREST) -> tuple[bk.Shop, bk.Shop]:
    """Two providers with bookings in June 2027: three for the first, one for the second."""
    with psycopg.connect(api.db_url, autocommit=True) as db:
        a, b = bk.open_shop(db), bk.open_shop(db)
        for day in (3, 4, 5):
            catalog.add_booking(db, a.service_id, datetime(2027, 6, day, 23, 30, tzinfo=TORONTO))
        catalog.add_booking(db, b.service_id, datetime(2027, 6, 3, 12, tzinfo=TORONTO))
    return a, b


def _get(
    api_url: str, fn: str, token: str | None, accept: str = "application/json", **params: Any
) -> httpx.Response:
    headers = {"accept": accept, **(bearer(token) if token else {})}
    return httpx.get(f"{api_url}/rpc/{fn}", params=params, headers=headers, timeout=30)


def test_ops_read_the_overview_as_csv(api_url: str, shops: tuple[bk.Shop, bk.Shop]) -> None:
    resp = _get(
        api_url, "analytics_overview", mint("ops"), "text/csv", tz="America/Toronto", **RANGE
    )
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    by_day = {
        r["bucket_local"][:10]: int(r["bookings"]) for r in rows if r["category"] == "haircut"
    }
    assert by_day == {"2027-06-03": 2, "2027-06-04": 1, "2027-06-05": 1}


def test_every_set_returning_analytics_rpc_answers_csv(
    api_url: str, shops: tuple[bk.Shop, bk.Shop]
) -> None:
    # the fixture's customers signed up today
    today = date.today()
    recent = {"from": str(today - timedelta(days=7)), "to": str(today + timedelta(days=1))}
    for fn, params in (
        ("analytics_overview", RANGE),
        ("analytics_revenue", RANGE),
        ("analytics_funnel", RANGE),
        ("analytics_cohorts", recent),
        ("analytics_customers", RANGE),
    ):
        resp = _get(api_url, fn, mint("ops"), "text/csv", **params)
        assert resp.status_code == 200, f"{fn}: {resp.text}"
        assert resp.headers["content-type"].startswith("text/csv"), fn
        header, first, *_ = resp.text.splitlines()
        assert header.count(",") >= 3 and first.count(",") == header.count(","), fn


def test_a_provider_reads_its_own_figures_as_csv(
    api_url: str, shops: tuple[bk.Shop, bk.Shop]
) -> None:
    a, _ = shops
    resp = _get(
        api_url, "analytics_provider", mint("provider", sub=a.owner_id), "text/csv", **RANGE
    )
    assert resp.status_code == 200, resp.text
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    assert [(r["bucket_local"][:10], r["bookings"]) for r in rows] == [
        ("2027-06-03", "1"),
        ("2027-06-04", "1"),
        ("2027-06-05", "1"),
    ]


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"from": "2027-06-30", "to": "2027-06-01"}, "from must be on or before to"),
        ({**RANGE, "group_by": "fortnight"}, "group_by"),
        ({**RANGE, "tz": "Not/AZone"}, "tz must be"),
        ({**RANGE, "tz": "America/St_Johns"}, "tz: America/St_Johns"),
        ({"from": "2025-01-01", "to": "2027-06-30"}, "to: the range"),
        ({"to": "2027-06-30"}, "from is required"),
    ],
)
def test_a_bad_range_is_a_400_naming_the_argument(
    api_url: str, params: dict[str, str], names: str
) -> None:
    resp = _get(api_url, "analytics_overview", mint("ops"), **params)
    assert resp.status_code == 400, resp.text
    assert names in resp.json()["message"]
    assert resp.json()["hint"] == "invalid_input"


@pytest.mark.parametrize(
    "fn", ["analytics_overview", "analytics_funnel", "analytics_cohorts", "analytics_customers"]
)
def test_customers_and_providers_are_refused_ops_analytics(
    api_url: str, fn: str, shops: tuple[bk.Shop, bk.Shop]
) -> None:
    for token in (mint("customer", sub=uuid.uuid4()), mint("provider", sub=shops[0].owner_id)):
        assert _get(api_url, fn, token, **RANGE).status_code in (401, 403)
    assert _get(api_url, fn, None, **RANGE).status_code in (401, 403, 404)


def test_a_provider_cannot_read_another_providers_figures(
    api_url: str, shops: tuple[bk.Shop, bk.Shop]
) -> None:
    a, b = shops
    for fn in ("analytics_provider", "analytics_revenue"):
        resp = _get(
            api_url, fn, mint("provider", sub=a.owner_id), provider_id=str(b.provider_id), **RANGE
        )
        assert resp.status_code == 403, resp.text
        assert "provider_id" in resp.json()["message"]
    resp = _get(api_url, "analytics_revenue", mint("customer", sub=uuid.uuid4()), **RANGE)
    assert resp.status_code == 403


def test_ops_read_one_providers_revenue(api_url: str, shops: tuple[bk.Shop, bk.Shop]) -> None:
    _, b = shops
    resp = _get(
        api_url,
        "analytics_revenue",
        mint("ops"),
        provider_id=str(b.provider_id),
        group_by="month",
        **RANGE,
    )
    assert resp.status_code == 200, resp.text
    assert [(r["bookings"], r["booked_cents"]) for r in resp.json()] == [(1, 5000)]


def test_performance_areas_and_today_answer_json_and_csv_over_http(
    api_url: str, shops: tuple[bk.Shop, bk.Shop]
) -> None:
    a, _b = shops
    ops = mint("ops")
    for fn, params in (
        ("analytics_areas", RANGE),
        ("analytics_performance", RANGE),
        ("analytics_today", {"tz": "America/Toronto"}),
    ):
        resp = _get(api_url, fn, ops, "text/csv", **params)
        assert resp.status_code == 200, f"{fn}: {resp.text}"
        assert resp.headers["content-type"].startswith("text/csv"), fn
        # an area's name holds a comma: read the CSV as CSV
        header, first, *_ = csv.reader(io.StringIO(resp.text))
        assert len(header) >= 4 and len(first) == len(header), fn
    every = _get(api_url, "analytics_performance", ops, **RANGE).json()
    mine = next(r for r in every if r["provider_id"] == str(a.provider_id))
    # open every day 09:00-17:00 in June: 30 days of 8 hours; three bookings of an hour
    # at 23:30 fall outside the hours, so none of them is booked time
    assert (mine["offered_minutes"], mine["booked_minutes"], mine["bookings"]) == (14400, 0, 3)
    areas = _get(api_url, "analytics_areas", ops, **RANGE).json()
    assert sum(r["bookings"] for r in areas) >= 4
    bad = _get(api_url, "analytics_areas", ops, **RANGE, cell_deg="0")
    assert bad.status_code == 400 and "cell_deg" in bad.json()["message"]
    wide = _get(api_url, "analytics_performance", ops, **{"from": "2027-01-01", "to": "2027-06-30"})
    assert wide.status_code == 400 and "at most 31" in wide.json()["message"]


def test_the_bookings_behind_a_figure_over_http_as_json_pages_and_csv(
    api_url: str, shops: tuple[bk.Shop, bk.Shop]
) -> None:
    a, b = shops
    ops = mint("ops")
    q = {**RANGE, "tz": "America/Toronto"}
    overview = _get(api_url, "analytics_overview", ops, **q).json()
    day = next(r for r in overview if r["bucket_local"].startswith("2027-06-03"))
    listed = _get(api_url, "analytics_bookings", ops, **q, bucket_start=day["bucket_start"])
    assert listed.status_code == 200, listed.text
    assert len(listed.json()) == day["bookings"] == 2
    # pages of one, each after the last row of the previous
    first = _get(api_url, "analytics_bookings", ops, **q, page_size="1").json()
    second = _get(
        api_url,
        "analytics_bookings",
        ops,
        **q,
        page_size="1",
        after_start=first[0]["starts_at"],
        after_id=first[0]["booking_id"],
    ).json()
    assert first[0]["total"] == second[0]["total"] == 4
    assert first[0]["booking_id"] != second[0]["booking_id"]
    csv_resp = _get(api_url, "analytics_bookings", ops, "text/csv", **q, area="plateau-mont-royal")
    assert csv_resp.status_code == 200 and csv_resp.headers["content-type"].startswith("text/csv")
    header, *rows = csv.reader(io.StringIO(csv_resp.text))
    assert header[:3] == ["booking_id", "starts_at", "starts_local"] and len(rows) == 4
    # a provider: its own three, another's id 403, a customer and anonymous refused
    own = _get(api_url, "analytics_bookings", mint("provider", sub=a.owner_id), **RANGE).json()
    assert {r["booking_provider_id"] for r in own} == {str(a.provider_id)} and len(own) == 3
    other = _get(
        api_url,
        "analytics_bookings",
        mint("provider", sub=a.owner_id),
        **RANGE,
        provider_id=str(b.provider_id),
    )
    assert other.status_code == 403
    assert _get(api_url, "analytics_bookings", mint("customer"), **RANGE).status_code in (401, 403)
    assert _get(api_url, "analytics_bookings", None, **RANGE).status_code in (401, 403)
    bad = _get(api_url, "analytics_bookings", ops, **q, bucket_start="2027-06-03T15:00:00Z")
    assert bad.status_code == 400 and "bucket_start" in bad.json()["message"]
