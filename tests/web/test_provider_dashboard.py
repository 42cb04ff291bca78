"""A provider in the browser: signs up, creates its business in the Plateau, a haircut
service and the hours of tomorrow, and appears in a customer's quote; sees the paid booking
in its list and marks it completed once it has started."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
from playwright.sync_api import Page, expect

from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.api import signup
from tests.helpers.browser import (
    PASSWORD,
    WebStack,
    axe_violations,
    describe,
    fresh_email,
    pay_when_ready,
    shoot,
    show_week_of,
)

TORONTO = ZoneInfo("America/Toronto")


def test_a_provider_sets_up_its_business_and_marks_a_booking_completed(
    page: Page, web: WebStack, admin: psycopg.Connection[Any]
) -> None:
    email = fresh_email("provider")
    page.goto(web.app + "signup")
    page.get_by_label("Full name").fill("Browser Provider")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Offer services (provider)").check()
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="My business", level=1)).to_be_visible()

    name = f"Salon {uuid.uuid4().hex[:6]}"
    page.get_by_label("Business name").fill(name)
    page.get_by_label("Where you work").select_option("Plateau-Mont-Royal")
    page.get_by_role("button", name="Create my business").click()
    expect(page.get_by_role("heading", name="Services")).to_be_visible()

    page.get_by_label("Service name").fill("Coupe du Plateau")
    page.get_by_label("Category").select_option(label="Haircut")
    page.get_by_label("Duration (minutes)").fill("45")
    page.get_by_label("Price ($)").fill("55")
    page.get_by_label("Deposit ($, paid when booking)").fill("10")
    page.get_by_role("button", name="Add the service").click()
    expect(page.get_by_role("cell", name="Coupe du Plateau", exact=True)).to_be_visible()

    tomorrow = (datetime.now(TORONTO) + timedelta(days=1)).date()
    dow = tomorrow.isoweekday() % 7  # PostgreSQL's dow: 0 = Sunday
    page.get_by_label("Day", exact=True).select_option(str(dow))
    page.get_by_label("From", exact=True).fill("09:00")
    page.get_by_label("To", exact=True).fill("17:00")
    page.get_by_role("button", name="Add these hours").click()
    expect(
        page.get_by_role("button", name=re.compile(r"^Remove .* 09:00\u201317:00$"))
    ).to_be_visible()
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    shoot(page, "provider")

    # a customer's quote for tomorrow at 10:00 in the Plateau offers it
    customer = signup(web.url)
    starts = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 10, 0, tzinfo=TORONTO)
    offers = httpx.post(
        f"{web.url}/rpc/quote",
        json={
            "category": "haircut",
            "lat": catalog.PLATEAU[0],
            "lng": catalog.PLATEAU[1],
            "starts_at": starts.isoformat(),
            "radius_km": 5,
            "max_results": 50,
        },
        headers={"Authorization": f"Bearer {customer.access_token}"},
    )
    assert offers.status_code == 200, offers.text
    mine = [o for o in offers.json() if o["provider_name"] == name]
    assert len(mine) == 1, offers.json()

    # the customer books and pays; the booking has started (owner-level: moved into the past)
    row = admin.execute(
        "select p.id, p.owner_id, s.id from app.providers p join app.services s on s.provider_id = p.id "
        "where p.business_name = %s",
        (name,),
    ).fetchone()
    assert row is not None
    shop = bk.Shop(row[0], row[1], row[2], catalog.PLATEAU[0], catalog.PLATEAU[1])
    booking = bk.book(admin, shop, starts, uuid.UUID(customer.id))
    pay_when_ready(admin, booking)
    bk.starts_in(admin, booking["id"], "-1 hour")

    page.reload()
    expect(page.get_by_role("heading", name="Bookings")).to_be_visible()
    show_week_of(page, admin, booking["id"])
    page.get_by_role("button", name="Mark completed").click()
    expect(page.get_by_role("cell", name="completed", exact=True)).to_be_visible()
    assert bk.status(admin, booking["id"]) == "completed"
    shoot(page, "provider-bookings")
