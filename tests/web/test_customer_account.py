"""A provider's bookings with its customers' names (api.my_provider_bookings) and a
customer's account: history with refunds, reschedule, notification preferences, the data
export and deleting the account (refused while a booking is upcoming, in the user's words)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import psycopg
from playwright.sync_api import Page, expect

from tests.helpers import booking as bk
from tests.helpers import catalog
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
from tests.helpers.factories import create_user


def sign_in(page: Page, web: WebStack, email: str) -> None:
    page.goto(web.app + "signin")
    page.locator("#signin-email").fill(email)
    page.locator("#signin-password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_a_provider_sees_its_customers_name_and_marks_the_booking_completed(
    page: Page, web: WebStack, admin: psycopg.Connection[Any]
) -> None:
    owner_email = fresh_email("owner")
    owner = create_user(admin, "provider", email=owner_email, password=PASSWORD)
    provider = catalog.create_provider(admin, owner_id=owner, business_name="Coupe Carrée")
    catalog.add_hours(admin, provider, range(7), "09:00", "17:00")
    service = catalog.create_service(admin, provider)
    shop = bk.Shop(provider, owner, service, catalog.PLATEAU[0], catalog.PLATEAU[1])
    customer = create_user(admin, "customer", email=fresh_email("named"), full_name="Noémie Nommée")
    booking = bk.book(admin, shop, catalog.next_weekday(2, at="11:00"), customer)
    pay_when_ready(admin, booking)
    # started a few minutes ago (owner-level move): it can be marked
    bk.starts_in(admin, booking["id"], "-5 minutes")
    # time off the same local day: two hours after the booking's start, or before it
    # when the booking starts in the afternoon (the start is "now", any hour of the day)
    admin.execute(
        "insert into app.time_off (provider_id, during, reason) select %s, "
        "tstzrange(lower(during) + s.shift, lower(during) + s.shift + interval '1 hour'), "
        "'dentist' from app.bookings, lateral (select case when extract(hour from "
        "lower(during) at time zone 'America/Toronto') < 12 then interval '2 hours' "
        "else interval '-2 hours' end as shift) as s where id = %s",
        (provider, booking["id"]),
    )

    sign_in(page, web, owner_email)
    expect(page.get_by_role("heading", name="Bookings", exact=True)).to_be_visible()
    show_week_of(page, admin, booking["id"])
    expect(
        page.get_by_text("Times are in your business's time zone (America/Toronto).").last
    ).to_be_visible()
    row = page.locator("tr.provider-booking").filter(has_text="Noémie Nommée")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Contact:")  # confirmed: the contact is given
    # the week's seven days are headed, in the business's zone, each with its opening
    # hours and the time off that falls on it
    expect(page.locator("section.day h3")).to_have_count(7)
    expect(page.locator("section.day .day-hours")).to_have_count(7)
    expect(page.locator("section.day .day-hours").first).to_have_text("Open 09:00\u201317:00")
    page.get_by_label("Show").select_option("day")
    expect(row).to_have_count(1)
    booked_day = page.locator("section.day")
    expect(booked_day).to_have_count(1)
    expect(booked_day.locator(".day-away")).to_contain_text("Time off from")
    shoot(page, "provider-calendar")
    assert axe_violations(page) == [], describe(axe_violations(page))
    row.get_by_role("button", name="Mark completed").click()
    expect(row.get_by_role("cell", name="completed", exact=True)).to_be_visible()
    assert bk.status(admin, booking["id"]) == "completed"


def test_a_customer_reschedules_exports_its_data_and_deletes_its_account(
    page: Page, web: WebStack, admin: psycopg.Connection[Any], plateau_shop: bk.Shop
) -> None:
    email = fresh_email("leaver")
    customer = create_user(
        admin, "customer", email=email, full_name="Léa Leaving", password=PASSWORD
    )
    starts = catalog.next_weekday(4, at="11:00", min_days=5)
    booking = bk.book(admin, plateau_shop, starts, customer)
    pay_when_ready(admin, booking)
    sign_in(page, web, email)

    # history: the booking, what was paid; move it one day later at 14:00
    page.get_by_role("link", name="My bookings").click()
    expect(page.get_by_role("heading", name="My bookings")).to_be_visible()
    page.get_by_role("button", name="Reschedule the booking of").click()
    new_day = (starts + timedelta(days=1)).date().isoformat()
    page.get_by_label("New date").fill(new_day)
    page.get_by_label("New time").fill("14:00")
    shoot(page, "history-reschedule")
    assert axe_violations(page) == [], describe(axe_violations(page))
    page.get_by_role("button", name="Move the booking").click()
    expect(page.get_by_role("status").filter(has_text="The booking is moved to")).to_be_visible()
    row = admin.execute(
        "select lower(during) from app.bookings where id = %s", (booking["id"],)
    ).fetchone()
    moved = (starts + timedelta(days=1)).replace(hour=14)
    assert row is not None and row[0] == moved

    # the account page: preferences, export, deletion
    page.get_by_role("link", name="My account").click()
    expect(page.get_by_role("heading", name="My account", exact=True)).to_be_visible()
    reminders = page.get_by_label("Reminders before a booking by email")
    expect(reminders).to_be_checked()
    reminders.uncheck()
    expect(reminders).not_to_be_checked()
    expect(reminders).to_be_enabled()
    prefs = admin.execute(
        "select email from app.notification_preferences where user_id = %s and category = 'reminders'",
        (customer,),
    ).fetchone()
    assert prefs == (False,)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download my data").click()
    assert download.value.suggested_filename == "bookiji-data.json"
    exported = json.loads(download.value.path().read_text())
    assert email in json.dumps(exported) and str(booking["id"]) in json.dumps(exported)
    shoot(page, "account")
    assert axe_violations(page) == [], describe(axe_violations(page))

    # an upcoming booking: refused, in words
    page.get_by_label("Your password, to confirm").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account for good").click()
    expect(page.get_by_role("alert")).to_have_text(
        "The account cannot be deleted yet: it has upcoming bookings, payments awaiting "
        "or refunds in progress."
    )
    # once it is over, the account goes
    bk.starts_in(admin, booking["id"], "-3 days")
    page.get_by_role("button", name="Delete my account for good").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Your account is deleted.")
    page.locator("#signin-email").fill(email)
    page.locator("#signin-password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email address or password.")
    login = httpx.post(f"{web.url}/rpc/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 401
    kept = admin.execute(
        "select email, full_name from app.users where id = %s", (customer,)
    ).fetchone()
    assert kept is not None and email not in kept  # kept for the records, anonymised
