"""The ops console (/ops) in a real browser: an ops user refunds part of a payment and
force-cancels another booking, each shown in the booking's story with its request id;
suspending a provider takes it out of a customer's search; customers and providers who
open /ops get the "not allowed" page (the API refuses them)."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
from playwright.sync_api import Browser, Page, expect

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
)
from tests.helpers.factories import create_user


def sign_in(page: Page, web: WebStack, email: str) -> None:
    page.goto(web.app + "signin")
    page.locator("#signin-email").fill(email)
    page.locator("#signin-password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def ops_user(admin: psycopg.Connection[Any]) -> str:
    email = fresh_email("ops")
    create_user(admin, "ops", email=email, full_name="Olga Ops", password=PASSWORD)
    return email


def paid_booking(
    admin: psycopg.Connection[Any], shop: bk.Shop, at: str, customer: uuid.UUID
) -> dict[str, Any]:
    b = bk.book(admin, shop, catalog.next_weekday(3, at=at), customer)
    pay_when_ready(admin, b)
    assert bk.status(admin, b["id"]) == "confirmed"
    return b


def test_ops_refunds_part_of_a_payment_and_force_cancels_another_booking(
    page: Page, web: WebStack, admin: psycopg.Connection[Any], plateau_shop: bk.Shop
) -> None:
    customer_email = fresh_email("refunded")
    customer = create_user(admin, "customer", email=customer_email, full_name="Rita Refunded")
    first = paid_booking(admin, plateau_shop, "10:00", customer)
    second = paid_booking(admin, plateau_shop, "13:00", customer)
    sign_in(page, web, ops_user(admin))

    # the ops user lands on the console: search by the customer's email
    expect(page.get_by_role("heading", name="Ops console: bookings")).to_be_visible()
    page.get_by_label("Customer's email address").fill(customer_email)
    page.get_by_label("Status").select_option("confirmed")
    page.get_by_role("button", name="Search", exact=True).click()
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Rita Refunded")
    shoot(page, "ops-search")
    assert axe_violations(page) == [], describe(axe_violations(page))

    # the first booking's story: refund $4.00 of the $10.00, with a confirmation step
    page.goto(web.app + f"ops/bookings/{first['id']}")
    expect(page.get_by_role("heading", name="Booking story")).to_be_visible()
    expect(page.get_by_text("At most $10.00 (what is still refundable).")).to_be_visible()
    page.get_by_label("Amount to refund ($)").fill("4")
    page.get_by_label("Reason", exact=True).first.fill("late start")
    page.get_by_role("button", name="Review the refund").click()
    expect(
        page.get_by_text('Refund $4.00 to the customer\'s card, with the reason "late start"?')
    ).to_be_visible()
    assert bk.status(admin, first["id"]) == "confirmed"  # nothing happened before confirming
    with page.expect_response("**/rpc/ops_refund") as answer:
        page.get_by_role("button", name="Yes, refund $4.00").click()
    refund_request = answer.value.headers["x-request-id"]
    assert answer.value.status == 200
    expect(page.get_by_role("status").filter(has_text="$4.00 refunded.")).to_be_visible()
    expect(page.get_by_text("At most $6.00 (what is still refundable).")).to_be_visible()
    audit = page.locator("table.audit tbody tr").filter(has_text="refund by Bookiji staff")
    expect(audit).to_have_count(1)
    expect(audit).to_contain_text(refund_request)
    expect(audit).to_contain_text("late start")
    expect(audit.get_by_role("cell", name="Bookiji staff", exact=True)).to_be_visible()
    # the story speaks words, not machine codes: statuses, actions, notifications
    expect(page.locator("dl").nth(1)).to_contain_text("paid")
    expect(
        page.locator("table.audit tbody tr").filter(has_text="booking confirmed (paid)")
    ).to_have_count(1)
    shoot(page, "ops-story")
    assert axe_violations(page) == [], describe(axe_violations(page))

    # the second one: force-cancelled with a reason, after the confirmation step
    page.goto(web.app + f"ops/bookings/{second['id']}")
    page.get_by_role("textbox", name="Reason").last.fill("provider closed for a flood")
    page.get_by_role("button", name="Review the cancellation").click()
    expect(page.get_by_text("Cancel this booking and refund the customer in full")).to_be_visible()
    with page.expect_response("**/rpc/ops_force_cancel") as answer:
        page.get_by_role("button", name="Yes, cancel the booking").click()
    cancel_request = answer.value.headers["x-request-id"]
    assert answer.value.status == 200
    expect(page.locator("dl").first).to_contain_text("cancelled")
    cancelled = page.locator("table.audit tbody tr").filter(has_text="provider closed for a flood")
    expect(cancelled.first).to_contain_text(cancel_request)
    assert bk.status(admin, second["id"]) == "cancelled"
    # the first booking's story keeps its refund, with its own request id
    page.goto(web.app + f"ops/bookings/{first['id']}")
    expect(page.locator("table.audit tbody tr").filter(has_text=refund_request)).to_have_count(1)
    assert cancel_request != refund_request


def test_ops_suspends_a_provider_and_it_leaves_a_customers_search(
    page: Page, browser: Browser, web: WebStack, admin: psycopg.Connection[Any]
) -> None:
    name = f"Salon Suspendu {uuid.uuid4().hex[:6]}"
    owner = create_user(admin, "provider")
    provider = catalog.create_provider(admin, owner_id=owner, business_name=name)
    catalog.add_hours(admin, provider, range(7), "09:00", "17:00")
    catalog.create_service(admin, provider)

    # a customer sees it among the offers
    customer = browser.new_page()
    customer_email = fresh_email("searcher")
    create_user(admin, "customer", email=customer_email, password=PASSWORD)
    sign_in(customer, web, customer_email)
    customer.locator("form.search button[type=submit]").click()
    expect(customer.locator(".offer").filter(has_text=name)).to_have_count(1)

    sign_in(page, web, ops_user(admin))
    page.get_by_role("link", name="Providers").click()
    page.get_by_label("Business name contains").fill(name)
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("button", name=f"Suspend {name}").click()
    page.get_by_label("Reason").fill("chargebacks under review")
    page.get_by_role("button", name=f"Confirm: suspend {name}").click()
    expect(page.get_by_role("cell", name="suspended (chargebacks under review)")).to_be_visible()
    shoot(page, "ops-providers")
    assert axe_violations(page) == [], describe(axe_violations(page))

    # the customer's next search no longer offers it
    customer.locator("form.search button[type=submit]").click()
    expect(customer.locator(".offer, .alert, main p").first).to_be_visible()
    customer.wait_for_load_state("networkidle")
    expect(customer.locator(".offer").filter(has_text=name)).to_have_count(0)
    customer.close()

    # and reinstating it brings it back
    page.get_by_role("button", name=f"Reinstate {name}").click()
    page.get_by_label("Reason").fill("cleared")
    page.get_by_role("button", name=f"Confirm: reinstate {name}").click()
    expect(page.get_by_role("cell", name="active", exact=True)).to_be_visible()


def test_the_queues_page_shows_the_depth_and_the_dead_letters(
    page: Page, web: WebStack, admin: psycopg.Connection[Any]
) -> None:
    # a dead letter as the worker leaves one (pgmq's dead-letter twin of the payments queue)
    msg = admin.execute(
        "select pgmq.send('payments_dlq', %s::jsonb)",
        (
            '{"msg_id": 1, "original": {"type": "refund"}, "error_class": "PermanentError", '
            '"error": "card gone", "attempts": 5}',
        ),
    ).fetchone()
    assert msg is not None
    sign_in(page, web, ops_user(admin))
    page.get_by_role("link", name="Queues").click()
    expect(page.get_by_role("heading", name="Queue depth")).to_be_visible()
    expect(page.get_by_role("cell", name="payments_dlq")).to_be_visible()
    inspect = page.get_by_role("button", name=f"Inspect message {msg[0]}")
    expect(inspect).to_be_visible()
    inspect.click()
    expect(page.locator("pre")).to_contain_text("card gone")
    shoot(page, "ops-queues")
    assert axe_violations(page) == [], describe(axe_violations(page))
    page.get_by_role("button", name=f"Discard message {msg[0]}").click()
    page.get_by_label("Reason").fill("test message")
    page.get_by_role("button", name=f"Confirm: discard message {msg[0]} for good").click()
    expect(
        page.get_by_role("status").filter(has_text=f"Message {msg[0]} is discarded.")
    ).to_be_visible()
    expect(page.get_by_role("button", name=f"Inspect message {msg[0]}")).to_have_count(0)


def test_a_customer_and_a_provider_opening_ops_see_not_allowed(
    page: Page, web: WebStack, admin: psycopg.Connection[Any]
) -> None:
    for role in ("customer", "provider"):
        email = fresh_email(role)
        create_user(admin, role, email=email, password=PASSWORD)
        sign_in(page, web, email)
        page.goto(web.app + "ops")
        expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
        page.goto(web.app + "ops/queues")
        expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
        body = page.locator("body").inner_text()
        assert "Queue depth" not in body and "{" not in body
        shoot(page, f"ops-not-allowed-{role}")
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
