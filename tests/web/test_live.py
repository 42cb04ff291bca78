"""Live updates without a reload (/realtime): a customer books through the API and pays,
and the provider's calendar, the ops console's search, the booking's story and the queue
depth change on pages opened before, in other browsers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx
import psycopg
from playwright.sync_api import Page, expect

from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.api import Account, signup
from tests.helpers.browser import (
    PASSWORD,
    WebStack,
    axe_violations,
    describe,
    fresh_email,
    pay_when_ready,
    shoot,
)
from tests.helpers.factories import create_user

LIVE = 30_000  # ms: the longest a change may take to show (never asserted as a duration)


def sign_in(page: Page, web: WebStack, email: str) -> None:
    page.goto(web.app + "signin")
    page.locator("#signin-email").fill(email)
    page.locator("#signin-password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def expect_live(page: Page) -> None:
    expect(page.locator(".live-state[data-live=on]").first).to_be_visible(timeout=LIVE)


def shop(admin: psycopg.Connection[Any], owner_email: str) -> bk.Shop:
    owner = create_user(admin, "provider", email=owner_email, password=PASSWORD)
    name = f"Salon Direct {uuid.uuid4().hex[:6]}"
    provider = catalog.create_provider(admin, owner_id=owner, business_name=name)
    catalog.add_hours(admin, provider, range(7), "09:00", "17:00")
    service = catalog.create_service(admin, provider)
    return bk.Shop(provider, owner, service, catalog.PLATEAU[0], catalog.PLATEAU[1])


def book_over_http(
    web: WebStack, customer: Account, at: bk.Shop, starts: datetime
) -> dict[str, Any]:
    """The customer quotes and confirms through the gateway, as any client would."""
    offers = httpx.post(
        f"{web.url}/rpc/quote",
        json={
            "category": "haircut",
            "lat": at.lat,
            "lng": at.lng,
            "starts_at": starts.isoformat(),
            "radius_km": 1,
            "max_results": 50,
        },
        headers=customer.headers,
        timeout=30,
    )
    assert offers.status_code == 200, offers.text
    offer = next(o for o in offers.json() if o["provider_id"] == str(at.provider_id))
    confirmed = httpx.post(
        f"{web.url}/rpc/confirm_booking",
        json={"quote_id": offer["quote_id"], "provider_id": offer["provider_id"]},
        headers=customer.headers,
        timeout=30,
    )
    assert confirmed.status_code == 200, confirmed.text
    booking: dict[str, Any] = confirmed.json()
    return booking


def test_the_provider_calendar_shows_a_new_booking_and_its_payment_without_a_reload(
    page: Page, web: WebStack, admin: psycopg.Connection[Any]
) -> None:
    owner_email = fresh_email("live-owner")
    at = shop(admin, owner_email)
    starts = catalog.next_weekday(2, at="11:00")
    sign_in(page, web, owner_email)
    page.goto(web.app + "provider")
    page.locator("#bookings-date").fill(starts.date().isoformat())
    expect(page.get_by_text("No bookings in this period.")).to_be_visible()
    expect_live(page)

    customer = signup(web.url, full_name="Lina Directe")
    booking = book_over_http(web, customer, at, starts)
    row = page.locator("tr.provider-booking").filter(has_text="Lina Directe")
    expect(row).to_have_count(1, timeout=LIVE)
    expect(row.get_by_role("cell", name="awaiting payment", exact=True)).to_be_visible()
    # a screen reader hears it: the page's live status (a polite region) says so
    live = page.get_by_role("status").filter(has_text="change(s) shown as they happened")
    expect(live).to_have_count(1)

    pay_when_ready(admin, booking)
    expect(row.get_by_role("cell", name="confirmed", exact=True)).to_be_visible(timeout=LIVE)
    shoot(page, "live-provider-calendar")
    assert axe_violations(page) == [], describe(axe_violations(page))


def test_the_ops_console_follows_a_booking_live(
    page: Page, web: WebStack, admin: psycopg.Connection[Any]
) -> None:
    at = shop(admin, fresh_email("live-shop"))
    starts = catalog.next_weekday(3, at="10:00")
    customer = signup(web.url, full_name="Olivier Suivi")
    ops_email = fresh_email("live-ops")
    create_user(admin, "ops", email=ops_email, full_name="Olga Live", password=PASSWORD)
    sign_in(page, web, ops_email)

    # the search, run before the customer books: the booking appears in it
    page.get_by_label("Customer's email address").fill(customer.email)
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_text("No booking matches.")).to_be_visible()
    expect_live(page)
    booking = book_over_http(web, customer, at, starts)
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(1, timeout=LIVE)
    expect(rows.first).to_contain_text("Olivier Suivi")
    expect(rows.first.get_by_role("cell", name="awaiting payment", exact=True)).to_be_visible()

    # its story, opened while payment is awaited: the payment shows up live
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Booking story")).to_be_visible()
    status = page.locator("dl").first
    expect(status).to_contain_text("awaiting payment")
    expect_live(page)
    pay_when_ready(admin, booking)
    expect(status).to_contain_text("confirmed", timeout=LIVE)
    expect(page.get_by_text("At most $10.00 (what is still refundable).")).to_be_visible()
    shoot(page, "live-ops-story")

    # the queues page: the next booking's payment message counts in the payments queue
    page.get_by_role("link", name="Queues").click()
    payments = page.locator("section[aria-labelledby=depth-title] tbody tr").filter(
        has=page.get_by_role("cell", name="payments", exact=True)
    )
    expect(payments).to_have_count(1)
    expect_live(page)
    before = int(payments.locator("td").nth(4).inner_text())
    book_over_http(web, signup(web.url), at, catalog.next_weekday(3, at="14:00"))
    expect(payments.locator("td").nth(4)).not_to_have_text(str(before), timeout=LIVE)
    assert int(payments.locator("td").nth(4).inner_text()) > before
    assert axe_violations(page) == [], describe(axe_violations(page))


def test_a_customers_history_shows_the_providers_cancellation_without_a_reload(
    page: Page, web: WebStack, admin: psycopg.Connection[Any]
) -> None:
    owner_email = fresh_email("live-canceller")
    at = shop(admin, owner_email)
    email = fresh_email("live-customer")
    customer = create_user(
        admin, "customer", email=email, full_name="Carla Suivie", password=PASSWORD
    )
    booking = bk.book(admin, at, catalog.next_weekday(4, at="15:00"), customer)
    pay_when_ready(admin, booking)
    sign_in(page, web, email)
    page.get_by_role("link", name="My bookings").click()
    row = page.locator("main table tbody tr")
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell", name="confirmed", exact=True)).to_be_visible()
    expect_live(page)

    # the provider cancels through the API, as its own app would
    login = httpx.post(
        f"{web.url}/rpc/login", json={"email": owner_email, "password": PASSWORD}, timeout=30
    )
    assert login.status_code == 200, login.text
    cancelled = httpx.post(
        f"{web.url}/rpc/cancel_booking",
        json={"booking_id": booking["id"], "reason": "burst pipe"},
        headers={"Authorization": f"Bearer {login.json()['access_token']}"},
        timeout=30,
    )
    assert cancelled.status_code == 200, cancelled.text
    expect(row.get_by_role("cell", name="cancelled", exact=True)).to_be_visible(timeout=LIVE)
    shoot(page, "live-history")
