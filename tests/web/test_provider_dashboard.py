"""A provider in the browser: signs up, creates its business in the Plateau, a haircut
service and the hours of tomorrow, and appears in a customer's quote; sees the paid booking
in its list and marks it completed once it has started. Sign-in, reload and sign-out."""

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
from tests.helpers.browser import PASSWORD, WebStack, axe_violations, describe, fresh_email, shoot
from tests.helpers.mailbox import text_of
from tests.helpers.waiting import until

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
    expect(page.get_by_role("cell", name="Coupe du Plateau")).to_be_visible()

    tomorrow = (datetime.now(TORONTO) + timedelta(days=1)).date()
    dow = tomorrow.isoweekday() % 7  # PostgreSQL's dow: 0 = Sunday
    page.get_by_label("Day").select_option(str(dow))
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
    bk.pay(admin, booking)
    bk.starts_in(admin, booking["id"], "-1 hour")

    page.reload()
    expect(page.get_by_role("heading", name="Bookings")).to_be_visible()
    page.get_by_role("button", name="Mark completed").click()
    expect(page.get_by_role("cell", name="completed", exact=True)).to_be_visible()
    assert bk.status(admin, booking["id"]) == "completed"
    shoot(page, "provider-bookings")


def test_signing_in_survives_a_reload_and_signing_out_ends_it(page: Page, web: WebStack) -> None:
    email = fresh_email("session")
    page.goto(web.app + "signup")
    page.get_by_label("Full name").fill("Session Keeper")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Signed in as Session Keeper")).to_be_visible()

    page.reload()  # the refresh token (this tab's sessionStorage) resumes the session
    expect(page.get_by_text("Signed in as Session Keeper")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto(web.app + "bookings")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # back where the sign-in was asked for
    expect(page.get_by_role("heading", name="My bookings")).to_be_visible()


def test_a_forgotten_password_is_reset_from_the_emailed_link(page: Page, web: WebStack) -> None:
    account = signup(web.url)
    page.goto(web.app + "signin")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email address").fill(account.email)
    page.get_by_role("button", name="Send the reset link").click()
    expect(page.get_by_role("status")).to_contain_text("a reset link is on its way")

    mail = until(
        lambda: [m for m in web.mailbox.to(account.email) if "Reset" in str(m["Subject"])],
        30,
        "the reset email",
    )
    link = re.search(r"(http://\S+/app/reset-password\?token=\S+)", text_of(mail[0]))
    assert link is not None, text_of(mail[0])
    page.goto(link.group(1))
    expect(page.get_by_label("Reset code (from the email)")).not_to_have_value("")
    page.get_by_label("New password").fill("a-brand-new-password")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is changed")

    page.get_by_role("link", name="Sign in").last.click()
    page.get_by_label("Email address").fill(account.email)
    page.get_by_label("Password").fill("a-brand-new-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Book a service", level=1)).to_be_visible()


def test_the_tokens_are_rotated_silently_before_the_access_token_expires(
    page: Page, web: WebStack
) -> None:
    page.clock.install()  # the page's timers, fast-forwarded below
    page.goto(web.app + "signup")
    page.get_by_label("Full name").fill("Rotation Watcher")
    page.get_by_label("Email address").fill(fresh_email("rotation"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Signed in as Rotation Watcher")).to_be_visible()
    before = page.evaluate("sessionStorage.getItem('bookiji.refresh')")
    assert before

    # the access token lives 15 minutes; the app rotates at 80 % of that, unasked
    with page.expect_response("**/rpc/refresh") as answer:
        page.clock.fast_forward("13:00")
    assert answer.value.status == 200
    after = page.evaluate("sessionStorage.getItem('bookiji.refresh')")
    assert after and after != before

    # the new session works, and the old refresh token is spent
    page.get_by_role("link", name="My bookings").click()
    expect(page.get_by_role("heading", name="My bookings")).to_be_visible()
    expect(page.get_by_text("No bookings yet.")).to_be_visible()
    spent = httpx.post(f"{web.url}/rpc/refresh", json={"refresh_token": before})
    assert spent.status_code == 401, spent.text
