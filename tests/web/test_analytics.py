"""The analytics page (/analytics) in the browser: ops see every provider's figures and the
table cells equal what the API answers for the same range; a provider sees only its own,
with its rank; a customer gets a clear not-allowed page; each table downloads as CSV; a
count lists the bookings behind it; axe-core finds no serious or critical violation; the
French page shows no English string; the analytics chunk loads on no other page."""

from __future__ import annotations

import math
import re
import time
import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest
from playwright.sync_api import Page, expect
from psycopg.types.json import Jsonb

from tests.helpers import booking as bk
from tests.helpers.auth import bearer, session_token
from tests.helpers.browser import (
    PASSWORD,
    WebStack,
    axe_violations,
    catalogue,
    describe,
    fresh_email,
    pay_when_ready,
    shoot,
)
from tests.helpers.factories import DEFAULT_PASSWORD, create_user

TORONTO = ZoneInfo("America/Toronto")
STATUSES = ["pending_payment", "confirmed", "completed", "no_show", "cancelled", "expired"]
MONEY = ["captured_cents", "refunded_cents", "fees_kept_cents", "net_cents"]


def sign_in(page: Page, web: WebStack, email: str, password: str) -> None:
    page.goto(web.app + "signin")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def show_range(page: Page, first: date, last: date) -> None:
    page.get_by_label("From", exact=True).fill(first.isoformat())
    page.get_by_label("To (included)").fill(last.isoformat())
    page.get_by_label("Time zone").select_option("America/Toronto")
    page.get_by_label("Group by").select_option("day")
    page.get_by_role("button", name="Show the figures").click()


def rpc(web: WebStack, token: str, name: str, **query: str) -> list[dict[str, Any]]:
    resp = httpx.get(f"{web.url}/rpc/{name}", params=query, headers=bearer(token), timeout=30)
    assert resp.status_code == 200, resp.text
    return list(resp.json())


def status_lines(rows: list[dict[str, Any]]) -> list[list[str]]:
    """The API's rows summed per bucket (over categories and currencies), as the table shows
    them: the count per status, then the total."""
    sums: dict[str, list[int]] = defaultdict(lambda: [0] * 7)
    for r in rows:
        line = sums[r["bucket_start"]]
        for i, s in enumerate(STATUSES):
            line[i] += r[s] or 0
        line[6] += r["bookings"] or 0
    return [[str(n) for n in sums[k]] for k in sorted(sums)]


def money_lines(rows: list[dict[str, Any]]) -> list[list[str]]:
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * 4)
    for r in rows:
        line = sums[(r["bucket_start"], r["currency"])]
        for i, m in enumerate(MONEY):
            line[i] += r[m] or 0
    return [[f"${c / 100:,.2f}" for c in sums[k]] for k in sorted(sums)]


def customer_lines(rows: list[dict[str, Any]]) -> list[list[str]]:
    """The periods with counted bookings as the table shows them: bookings, new customers,
    returning customers' bookings, the returning share (a percentage, one decimal at most)."""
    return [
        [
            str(r["bookings"]),
            str(r["new_customers"]),
            str(r["returning_bookings"]),
            f"{float(r['returning_share']) * 100:.1f}".removesuffix(".0") + "%",
        ]
        for r in rows
        if r["bookings"]
    ]


def table(page: Page, selector: str) -> list[list[str]]:
    """The body cells of a table (the row header left out)."""
    rows = page.locator(f"{selector} tbody tr")
    return [
        [c.strip() for c in rows.nth(i).locator("td").all_inner_texts()]
        for i in range(rows.count())
    ]


def table_shows(
    page: Page, selector: str, expected: list[list[str]], column: int | None = None
) -> None:
    """The table's body cells (or one column of them) become ``expected`` within 10 s: the
    table of the range shown before may still be on the page when the new one is asked."""
    deadline = time.monotonic() + 10
    while True:
        rows = table(page, selector)
        got = [[r[column]] for r in rows] if column is not None else rows
        if got == expected or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert got == expected


def ops_on_analytics(page: Page, web: WebStack, admin: psycopg.Connection[Any]) -> str:
    """A new ops account signed in and on the analytics page; its API token."""
    email = fresh_email("ops")
    ops_id = create_user(admin, "ops", email=email, password=PASSWORD, full_name="Olive Ops")
    sign_in(page, web, email, PASSWORD)
    page.get_by_role("link", name="Analytics").click()
    return session_token(admin, ops_id)


def email_of(db: psycopg.Connection[Any], user_id: uuid.UUID) -> str:
    row = db.execute("select email from app.users where id = %s", (user_id,)).fetchone()
    assert row is not None
    return str(row[0])


@pytest.fixture
def scene(admin: psycopg.Connection[Any], plateau_shop: bk.Shop) -> dict[str, Any]:
    """Tomorrow in Montreal: two bookings at the Plateau shop (one paid), one at another shop."""
    tomorrow = (datetime.now(TORONTO) + timedelta(days=1)).date()

    def at(hour: int) -> datetime:
        return datetime(tomorrow.year, tomorrow.month, tomorrow.day, hour, tzinfo=TORONTO)

    other = bk.open_shop(admin)
    paid = bk.book(admin, plateau_shop, at(10))
    pay_when_ready(admin, paid)  # the stack's worker records the intent: bk.pay would race it
    bk.book(admin, plateau_shop, at(12))
    bk.book(admin, other, at(14))
    today = datetime.now(TORONTO).date()
    return {"shop": plateau_shop, "other": other, "first": today, "last": today + timedelta(days=2)}


def test_ops_see_the_figures_the_api_answers(
    page: Page, web: WebStack, admin: psycopg.Connection[Any], scene: dict[str, Any]
) -> None:
    email = fresh_email("ops")
    ops_id = create_user(admin, "ops", email=email, password=PASSWORD, full_name="Olive Ops")
    token = session_token(admin, ops_id)
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    sign_in(page, web, email, PASSWORD)
    assert not any("/assets/analytics-" in u for u in requested), "analytics loaded before use"

    page.get_by_role("link", name="Analytics").click()
    expect(page.get_by_role("heading", name="Analytics", level=1)).to_be_visible()
    assert any("/assets/analytics-" in u for u in requested)  # its own chunk
    first, last = scene["first"], scene["last"]
    show_range(page, first, last)
    expect(page.locator("#status-table")).to_be_visible()
    expect(page.locator("#funnel-table")).to_be_visible()
    expect(page.locator("#cohort-table")).to_be_visible()

    q = {"from": first.isoformat(), "to": last.isoformat(), "tz": "America/Toronto"}
    overview = rpc(web, token, "analytics_overview", **q, group_by="day")
    assert sum(r["bookings"] for r in overview) >= 3  # the check can fail: there are figures
    table_shows(page, "#status-table", status_lines(overview))
    revenue = rpc(web, token, "analytics_revenue", **q, group_by="day")
    assert sum(r["captured_cents"] for r in revenue) > 0
    table_shows(page, "#money-table", money_lines(revenue))
    funnel = rpc(web, token, "analytics_funnel", **q)
    table_shows(page, "#funnel-table", [[str(r["quotes"])] for r in funnel], column=0)
    cohorts = rpc(web, token, "analytics_cohorts", **q)
    weeks = {r["cohort_week"] for r in cohorts}
    assert page.locator("#cohort-table tbody tr").count() == len(weeks) >= 1
    customers = rpc(web, token, "analytics_customers", **q, group_by="day")
    assert sum(r["new_customers"] for r in customers) >= 1  # the paid booking's customer
    table_shows(page, "#customers-table", customer_lines(customers))
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    shoot(page, "analytics-ops")

    # drill-down: the pending bookings of tomorrow, listed from api.ops_bookings
    pending = sum(r["pending_payment"] for r in overview)
    page.get_by_role("button", name=f"List the {pending} bookings: awaiting payment").first.click()
    expect(page.locator("#drill-table tbody tr")).to_have_count(pending)
    expect(page.locator("#drill-table")).to_contain_text("Test business")
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    shoot(page, "analytics-ops-drill")

    # CSV: the same RPC with Accept: text/csv
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download CSV: Revenue").click()
    path = dl.value.path()
    lines = Path(path).read_text().splitlines()
    assert lines[0].startswith("bucket_start,bucket_end,bucket_local,category,currency,bookings")
    assert len(lines) == len(revenue) + 1

    # new customers: the first bookings of the first day that has some
    day = next(r for r in customers if r["new_customers"])
    n = day["new_customers"]
    firsts = rpc(
        web,
        token,
        "analytics_bookings",
        **q,
        group_by="day",
        bucket_start=day["bucket_start"],
        figure="new_customers",
    )
    assert len(firsts) == n
    page.get_by_role(
        "button", name=re.compile(rf"^List the first bookings of the {n} new customers, ")
    ).first.click()
    expect(
        page.get_by_role("heading", name=re.compile(r"^New customers' first bookings: "))
    ).to_be_visible()
    expect(page.locator("#drill-table tbody tr")).to_have_count(n)
    expect(page.locator(".drill")).to_contain_text(f"{n} of {n} bookings shown.")
    shoot(page, "analytics-ops-new-customers-drill")

    # one category: its bookings, and the customers whose first booking was in it
    massage = rpc(web, token, "analytics_customers", **q, group_by="day", category="massage")
    assert sum(r["bookings"] for r in massage) == 0  # every booking of the scene is a haircut
    page.get_by_label("Category", exact=True).select_option("massage")
    expect(page.locator("#customers-table")).to_have_count(0)
    haircut = rpc(web, token, "analytics_customers", **q, group_by="day", category="haircut")
    assert customer_lines(haircut) == customer_lines(customers)
    page.get_by_label("Category", exact=True).select_option("haircut")
    table_shows(page, "#customers-table", customer_lines(haircut))
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    shoot(page, "analytics-ops-customers-category")
    page.get_by_role(
        "button", name=re.compile(rf"^List the first bookings of the {n} new customers, ")
    ).first.click()
    expect(
        page.get_by_role("heading", name=re.compile(r"^New customers' first bookings in Haircut: "))
    ).to_be_visible()
    expect(page.locator("#drill-table tbody tr")).to_have_count(n)


def test_ops_list_the_bookings_behind_a_neighbourhood_and_a_sum(
    page: Page, web: WebStack, admin: psycopg.Connection[Any], scene: dict[str, Any]
) -> None:
    """The areas table names neighbourhoods; a count there, and a sum of money, list exactly
    the bookings api.analytics_bookings returns for them; the French page says it in French."""
    other: bk.Shop = scene["other"]
    admin.execute(
        "update app.providers set lat = 45.4590, lng = -73.5710 where id = %s",
        (other.provider_id,),
    )  # Verdun
    email = fresh_email("ops")
    ops_id = create_user(admin, "ops", email=email, password=PASSWORD, full_name="Olive Ops")
    token = session_token(admin, ops_id)
    first, last = scene["first"], scene["last"]
    q = {"from": first.isoformat(), "to": last.isoformat(), "tz": "America/Toronto"}
    areas = rpc(web, token, "analytics_areas", **q, area_kind="neighbourhood")
    per_area: dict[str, int] = defaultdict(int)
    for r in areas:
        per_area[r["area_name_en"]] += r["bookings"]
    assert per_area["Plateau-Mont-Royal"] >= 2 and per_area["Verdun"] >= 1

    sign_in(page, web, email, PASSWORD)
    page.goto(web.app + "analytics")
    show_range(page, first, last)
    # waited for, not read once: the table of the range shown before may still be on the page
    for name in ("Plateau-Mont-Royal", "Verdun"):
        expect(page.locator("#areas-table tbody th", has_text=name)).to_have_count(1)
    n = per_area["Plateau-Mont-Royal"]
    page.get_by_role("button", name=f"List the {n} bookings: total, Plateau-Mont-Royal").click()
    expect(page.locator("#drill-table tbody tr")).to_have_count(n)
    expect(page.locator("#drill-table")).to_contain_text("Plateau-Mont-Royal")
    expect(page.locator(".drill")).to_contain_text(f"{n} of {n} bookings shown.")
    listed = rpc(web, token, "analytics_bookings", **q, area="plateau-mont-royal")
    assert len(listed) == n and {b["booking_area"] for b in listed} == {"plateau-mont-royal"}
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    shoot(page, "analytics-ops-areas-drill")

    # a sum: the bookings whose payments captured money in the first day that has some
    captured = rpc(web, token, "analytics_bookings", **q, group_by="day", figure="captured_cents")
    assert captured  # the check can fail: the paid booking is there
    day = min(b["starts_local"][:10] for b in captured)
    on_day = [b for b in captured if b["starts_local"].startswith(day)]
    page.get_by_role(
        "button", name=re.compile(r"^List the bookings behind Captured ")
    ).first.click()
    expect(page.locator("#drill-table tbody tr")).to_have_count(len(on_day))
    expect(page.locator("#drill-table")).to_contain_text(f"${on_day[0]['net_cents'] / 100:,.2f}")

    page.get_by_label("Language").select_option("fr")
    expect(page.locator("#areas-table")).to_contain_text("Plateau-Mont-Royal")
    expect(page.get_by_role("heading", name="Par quartier")).to_be_visible()
    verdun = per_area["Verdun"]
    page.get_by_role("button", name=f"Voir les {verdun} réservations : total, Verdun").click()
    expect(page.locator("#drill-table tbody tr")).to_have_count(verdun)
    en, fr = catalogue("analytics-en"), catalogue("analytics-fr")
    english = {
        part.strip()
        for k, v in en.items()
        if v != fr[k] and k.startswith(("areas.", "drill."))
        for part in re.split(r"\{\w+\}", v)
        if len(part.strip()) > 4
    }
    assert "By neighbourhood" in english  # the check can fail
    # the page's words, not the bookings' data (the demo customers are "Test Customer")
    text = page.evaluate(
        "() => { const m = document.querySelector('main').cloneNode(true);"
        " m.querySelectorAll('#drill-table tbody').forEach((t) => t.remove());"
        " document.body.append(m); const t = m.innerText; m.remove(); return t; }"
    )
    assert sorted(s for s in english if s in text) == []
    shoot(page, "analytics-ops-areas-fr")


def test_a_provider_sees_only_its_own_figures_and_its_rank(
    page: Page, web: WebStack, admin: psycopg.Connection[Any], scene: dict[str, Any]
) -> None:
    shop: bk.Shop = scene["shop"]
    token = session_token(admin, shop.owner_id)
    sign_in(page, web, email_of(admin, shop.owner_id), DEFAULT_PASSWORD)
    page.get_by_role("link", name="Analytics").click()
    expect(page.get_by_role("heading", name="My figures", level=1)).to_be_visible()
    first, last = scene["first"], scene["last"]
    show_range(page, first, last)
    expect(page.locator("#status-table")).to_be_visible()
    mine = rpc(
        web,
        token,
        "analytics_provider",
        **{"from": first.isoformat(), "to": last.isoformat(), "tz": "America/Toronto"},
        group_by="day",
    )
    assert sum(r["bookings"] for r in mine) == 2  # its two, not the other shop's
    table_shows(page, "#status-table", status_lines(mine))
    table_shows(page, "#money-table", money_lines(mine))
    expect(page.get_by_role("heading", name="Compared with providers nearby")).to_be_visible()
    peers = mine[0]["peer_providers"]
    if mine[0]["bookings_percentile"] is None:
        expect(page.get_by_text("Fewer than 3 haircut providers work near you")).to_be_visible()
    else:
        km = mine[0]["peer_area"].removesuffix(" km")
        expect(
            page.get_by_text(f"Compared with {peers} haircut providers near you, you included")
        ).to_be_visible()
        expect(page.get_by_text(f"(the farthest {km} km away)")).to_be_visible()
        expect(page.get_by_text("haircut providers nearby for bookings")).to_be_visible()
    page.get_by_role("button", name="List the 2 bookings: total").first.click()
    expect(page.locator("#drill-table tbody tr")).to_have_count(2)
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    shoot(page, "analytics-provider")


def test_a_provider_in_a_crowd_reads_its_rank_in_plain_words(
    page: Page, web: WebStack, admin: psycopg.Connection[Any], plateau_shop: bk.Shop
) -> None:
    """Four haircut shops in the Plateau: the one with the most bookings is in the top."""
    tomorrow = (datetime.now(TORONTO) + timedelta(days=1)).date()
    shops = [plateau_shop] + [bk.open_shop(admin) for _ in range(3)]
    for n, shop in enumerate(shops):
        for hour in range(9, 9 + n + 1):
            start = datetime(tomorrow.year, tomorrow.month, tomorrow.day, hour, tzinfo=TORONTO)
            bk.book(admin, shop, start)
    second = shops[2]  # 3 bookings: one shop has more, at least two fewer
    token = session_token(admin, second.owner_id)
    q = {"from": tomorrow.isoformat(), "to": tomorrow.isoformat(), "tz": "America/Toronto"}
    rank = rpc(web, token, "analytics_provider", **q)[0]
    assert rank["peer_providers"] >= 4
    assert 50 <= float(rank["bookings_percentile"]) < 100
    # the page rounds as JavaScript's Math.round does (half up: 12.5 -> 13), not as round()
    top = max(1, math.floor(100 - float(rank["bookings_percentile"]) + 0.5))
    sign_in(page, web, email_of(admin, second.owner_id), DEFAULT_PASSWORD)
    page.goto(web.app + "analytics")
    show_range(page, tomorrow, tomorrow)
    expect(
        page.get_by_text(f"You are in the top {top}% of haircut providers nearby for bookings.")
    ).to_be_visible()
    # how many peers and how far the farthest is, in the page's own number format
    km = rank["peer_area"].removesuffix(" km")
    expect(
        page.get_by_text(
            f"Compared with {rank['peer_providers']} haircut providers near you, you included "
            f"(the farthest {km} km away), over the whole range."
        )
    ).to_be_visible()
    shoot(page, "analytics-provider-rank")

    page.get_by_label("Language").select_option("fr")
    expect(page.get_by_role("heading", name="Mes chiffres", level=1)).to_be_visible()
    expect(page.locator("#status-table")).to_be_visible()
    en, fr = catalogue("analytics-en"), catalogue("analytics-fr")
    # every English message, or the fixed parts of one with placeholders
    english = {
        part.strip()
        for k, v in en.items()
        if v != fr[k]
        for part in re.split(r"\{\w+\}", v)
        if len(part.strip()) > 4
    }
    assert "Bookings by status" in english and "Download CSV:" in english  # the check can fail
    text = page.locator("main").inner_text()
    assert sorted(s for s in english if s in text) == []
    assert "Vous êtes dans les" in text
    assert f"(le plus éloigné à {km.replace('.', ',')} km)" in text
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    shoot(page, "analytics-provider-fr")


def test_a_customer_is_told_the_page_is_not_for_them(page: Page, web: WebStack) -> None:
    email = fresh_email("customer")
    page.goto(web.app + "signup")
    page.get_by_label("Full name").fill("Curious Customer")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    expect(page.get_by_role("link", name="Analytics")).to_have_count(0)
    page.goto(web.app + "analytics")
    expect(page.get_by_role("heading", name="Not allowed", level=1)).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("customer account")
    assert not any("/assets/analytics-" in u for u in requested)
    assert not any("/rpc/analytics_" in u for u in requested)
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    shoot(page, "analytics-customer")


def test_todays_counters_move_live_when_a_booking_is_made(
    page: Page, web: WebStack, admin: psycopg.Connection[Any], scene: dict[str, Any]
) -> None:
    """A provider's 'Today' counters follow /realtime: a booking made while the page is open
    shows in 'Bookings made' without a reload; its performance table is on the page."""
    from tests.helpers import catalog

    shop: bk.Shop = scene["shop"]
    sign_in(page, web, email_of(admin, shop.owner_id), DEFAULT_PASSWORD)
    page.get_by_role("link", name="Analytics").click()
    expect(page.get_by_role("heading", name="Today")).to_contain_text("Live")
    made = page.locator("[data-counter=bookings_made]")
    expect(made).to_have_text(re.compile(r"^\d+$"))
    before = int(made.inner_text())
    catalog.add_booking(
        admin, shop.service_id, datetime.now(TORONTO).replace(microsecond=0) + timedelta(days=9)
    )
    expect(made).to_have_text(str(before + 1))
    expect(page.get_by_role("table", name="Performance over the range")).to_be_visible()
    violations = axe_violations(page)
    assert violations == [], describe(violations)


def test_ops_see_a_backlog_past_ten_thousand_as_a_floor(
    page: Page, web: WebStack, admin: psycopg.Connection[Any]
) -> None:
    """10,001 dead letters: ops' 'Today' shows "10,000+" (each queue is counted up to 10,000,
    queues_exact false), with what the "+" means in its title; removed again after."""
    marker = {"backlog_test": str(uuid.uuid4())}
    admin.execute(
        "select pgmq.send_batch('notifications_dlq', array_fill(%s::jsonb, array[10001]))",
        (Jsonb(marker),),
    )
    try:
        email = fresh_email("ops")
        create_user(admin, "ops", email=email, password=PASSWORD, full_name="Olive Ops")
        sign_in(page, web, email, PASSWORD)
        page.get_by_role("link", name="Analytics").click()
        dead = page.locator("[data-counter=dead_letters]")
        expect(dead).to_have_text(re.compile(r"^10,0\d\d\+$"))  # other tests' dead letters too
        expect(dead).to_have_attribute(
            "title", re.compile(r"^at least 10,0\d\d: a queue holds more")
        )
        # the work queues hold far fewer: their count stays exact, with no "+"
        expect(page.locator("[data-counter=queue_depth]")).to_have_text(re.compile(r"^[\d,]+$"))
        violations = axe_violations(page)
        assert violations == [], describe(violations)
        shoot(page, "analytics-ops-backlog")
    finally:
        admin.execute(
            "delete from pgmq.q_notifications_dlq where message = %s",
            (Jsonb(marker),),
        )


def test_the_revenue_waterfall_adds_up_and_lists_the_bookings_behind_each_amount(
    page: Page, web: WebStack, admin: psycopg.Connection[Any], scene: dict[str, Any]
) -> None:
    """Ops' waterfall over the range: captured, less refunded, is net; fees kept and
    outstanding beside it; each amount is the range's sum of analytics_revenue and lists its
    bookings (a $3.00 goodwill refund of the paid booking makes the step down)."""
    shop: bk.Shop = scene["shop"]
    [(booking_id, payment_id)] = admin.execute(
        "select b.id, y.id from app.bookings as b join app.payments as y on y.booking_id = b.id "
        "where b.provider_id = %s and y.status = 'succeeded'",
        (shop.provider_id,),
    ).fetchall()
    admin.execute(
        "insert into app.refunds (booking_id, payment_id, amount_cents, reason, requested_role, "
        "status, stripe_refund_id) values (%s, %s, 300, 'goodwill', 'ops', 'succeeded', %s)",
        (booking_id, payment_id, f"re_waterfall_{uuid.uuid4().hex[:12]}"),
    )
    token = ops_on_analytics(page, web, admin)
    first, last = scene["first"], scene["last"]
    show_range(page, first, last)
    q = {"from": first.isoformat(), "to": last.isoformat(), "tz": "America/Toronto"}
    revenue = rpc(web, token, "analytics_revenue", **q, group_by="day")
    keys = ["captured_cents", "refunded_cents", "net_cents", "fees_kept_cents", "outstanding_cents"]
    sums = {k: sum(r[k] or 0 for r in revenue if r["currency"] == "CAD") for k in keys}
    assert sums["refunded_cents"] >= 300 and sums["outstanding_cents"] > 0  # the check can fail
    assert sums["net_cents"] == sums["captured_cents"] - sums["refunded_cents"]
    shown = [f"${sums[k] / 100:,.2f}" for k in keys]
    shown[1] = "\N{MINUS SIGN}" + shown[1]  # as the page writes a step down
    waterfall = page.locator("#waterfall-table-CAD")
    expect(waterfall.locator("tbody td")).to_have_text(shown)
    expect(waterfall.locator("tbody th")).to_have_text(
        ["Captured", "Refunded", "Net", "Fees kept", "Outstanding"]
    )
    # the chart: five bars, the refund hanging from the captured bar down to the net
    steps = page.locator("[data-currency=CAD] svg g[data-step]")
    expect(steps).to_have_count(5)
    captured, refunded, net = (
        page.locator(f"[data-currency=CAD] g[data-step={k}] rect").bounding_box()
        for k in ("captured_cents", "refunded_cents", "net_cents")
    )
    assert captured and refunded and net
    assert math.isclose(refunded["y"], captured["y"], abs_tol=1.5)  # hangs from captured's top
    assert math.isclose(refunded["y"] + refunded["height"], net["y"], abs_tol=1.5)  # to net's top
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    shoot(page, "analytics-ops-waterfall")

    # each amount lists its bookings: the outstanding ones are the holds awaiting payment
    outstanding = rpc(
        web,
        token,
        "analytics_bookings",
        **q,
        group_by="day",
        figure="outstanding_cents",
        currency="CAD",
    )
    waterfall.get_by_role(
        "button", name=re.compile(r"^List the bookings behind Outstanding")
    ).click()
    expect(page.locator("#drill-table tbody tr")).to_have_count(len(outstanding))
    assert sum(r["outstanding_cents"] for r in outstanding) == sums["outstanding_cents"]
    expect(
        page.get_by_role("heading", name=re.compile(r"^Bookings behind Outstanding"))
    ).to_be_focused()


def test_ops_page_through_every_providers_performance_and_its_utilisation_bars(
    page: Page, web: WebStack, admin: psycopg.Connection[Any], scene: dict[str, Any]
) -> None:
    """The providers' performance, 25 a page in the API's order: each page's rows are the
    API's page (names, bookings, one utilisation bar a row); next and previous pages; a range
    past 31 days (the RPC's cap across providers) shows its last 31 days, and says so."""
    [(n,)] = admin.execute("select count(*) from app.providers").fetchall()
    for _ in range(max(0, 26 - n)):  # a second page exists
        bk.open_shop(admin)
    token = ops_on_analytics(page, web, admin)
    first, last = scene["first"], scene["last"]
    show_range(page, first, last)
    q = {"from": first.isoformat(), "to": last.isoformat(), "page_size": "25"}
    providers = page.locator("#providers-table")

    def shown_as(rows: list[dict[str, Any]]) -> None:
        expect(providers.locator("tbody th")).to_have_text([r["business_name"] for r in rows])
        expect(providers.locator("tbody td:nth-child(4)")).to_have_text(
            [str(r["bookings"]) for r in rows]
        )
        expect(page.locator("#providers-title ~ .chart g[data-row]")).to_have_count(len(rows))

    one = rpc(web, token, "analytics_performance", **q)
    assert len(one) == 25
    shown_as(one)
    shop: bk.Shop = scene["shop"]
    busy = [r for r in one if r["provider_id"] == str(shop.provider_id)]
    if busy:  # the Plateau shop's paid booking occupies some of its open hours
        assert busy[0]["utilisation"] is not None and busy[0]["bookings"] >= 2
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    shoot(page, "analytics-ops-providers")

    page.get_by_role("button", name="Next 25 providers").click()
    two = rpc(web, token, "analytics_performance", **q, after_id=one[-1]["provider_id"])
    assert two and {r["provider_id"] for r in two}.isdisjoint(r["provider_id"] for r in one)
    shown_as(two)
    expect(providers.locator("caption")).to_contain_text(f"Providers 26 to {25 + len(two)}")
    page.get_by_role("button", name="Previous providers").click()
    shown_as(one)

    # a range past 31 days (the RPC's cap across providers): its last 31 days, said so
    show_range(page, first, first + timedelta(days=40))
    expect(
        page.get_by_text(re.compile(r"^Every provider is compared over 31 days at most"))
    ).to_be_visible()
    late = {
        "from": (first + timedelta(days=10)).isoformat(),
        "to": (first + timedelta(days=40)).isoformat(),
    }
    shown_as(rpc(web, token, "analytics_performance", **late, page_size="25"))
    expect(providers.locator("caption")).to_contain_text("Providers 1 to 25: performance from")
