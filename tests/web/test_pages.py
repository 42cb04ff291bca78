"""Every page: no serious or critical axe-core violation, the French pages show no English
string of the catalogue, a customer who opens another customer's booking by URL gets a
clear page (the API refuses), a 429 shows the wait, and an unknown path a not-found page."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
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
    catalogue,
    describe,
    fresh_email,
    pay_when_ready,
    shoot,
)
from tests.helpers.factories import create_user

LIVE = 30_000


def sign_up(page: Page, web: WebStack, email: str) -> None:
    page.goto(web.app + "signup")
    page.locator("#signup-name").fill("Page Walker")
    page.locator("#signup-email").fill(email)
    page.locator("#signup-password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.locator("#search-category")).to_be_visible()


def walk(page: Page, web: WebStack, visit: Callable[[str, Page], None]) -> None:
    """Every main page in turn, calling ``visit(name, page)`` on each once it is shown."""
    for path, name in (
        ("signin", "signin"),
        ("forgot-password", "forgot"),
        ("reset-password", "reset"),
        ("confirm-email", "confirm-email"),
    ):
        page.goto(web.app + path)
        expect(page.locator("main h1")).to_be_visible()
        visit(name, page)
    page.goto(web.app + "signup")
    expect(page.locator("main h1")).to_be_visible()
    visit("signup", page)
    sign_up(page, web, fresh_email("walker"))
    expect(page.locator("#search-category")).to_have_value("haircut")
    visit("search", page)
    page.locator("form.search button[type=submit]").click()
    expect(page.locator(".offer").first).to_be_visible()
    visit("offers", page)
    page.locator(".offer button").first.click()
    expect(page.locator(".card-element input").first).to_be_visible(timeout=LIVE)
    visit("booking", page)
    page.locator(".panel button.secondary").click()
    expect(page.locator("#cancel-reason")).to_be_visible()
    visit("cancel", page)
    page.goto(web.app + "bookings")
    expect(page.locator("table")).to_be_visible()
    visit("history", page)
    page.goto(web.app + "account")
    expect(page.locator("#delete-password")).to_be_visible()
    expect(page.locator("#pref-reminders-email")).to_be_visible()
    visit("account", page)
    page.goto(web.app + "ops")
    expect(page.locator("main h1")).to_be_visible()
    visit("ops-not-allowed", page)
    page.goto(web.app + "no/such/page")
    expect(page.locator("main h1")).to_be_visible()
    visit("not-found", page)


def sign_in_as(page: Page, web: WebStack, email: str) -> None:
    page.goto(web.app + "signin")
    page.locator("#signin-email").fill(email)
    page.locator("#signin-password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.locator("header .who")).to_be_visible()


def walk_staff(
    page: Page,
    web: WebStack,
    admin: psycopg.Connection[Any],
    shop: bk.Shop,
    locale: str,
    visit: Callable[[str, Page], None],
) -> None:
    """The ops console's pages as ops, then the provider's calendar as the shop's owner."""
    owner = fresh_email("owner-walker")
    admin.execute(
        "update app.users set email = %s, locale = %s, full_name = 'Gérard Salon' where id = %s",
        (owner, locale, shop.owner_id),
    )
    admin.execute(
        "update auth.credentials set password_hash = extensions.crypt(%s, extensions.gen_salt('bf', 4)) "
        "where user_id = %s",
        (PASSWORD, shop.owner_id),
    )
    customer_email = fresh_email("walked")
    customer = create_user(
        admin,
        "customer",
        email=customer_email,
        full_name="Cléo Parcourue",
        locale=locale,
        password=PASSWORD,
    )
    booking = bk.book(admin, shop, catalog.next_weekday(1, at="10:00"), customer)
    pay_when_ready(admin, booking)
    ops = fresh_email("ops-walker")
    create_user(admin, "ops", email=ops, password=PASSWORD, locale=locale)
    page.locator("header button.secondary").click()
    expect(page.locator("#signin-email")).to_be_visible()
    sign_in_as(page, web, ops)
    page.locator("#ops-email").fill(customer_email)
    page.locator("#ops-email").press("Enter")
    expect(page.locator("main table tbody tr")).to_have_count(1)
    visit("ops-search", page)
    page.goto(web.app + f"ops/bookings/{booking['id']}")
    expect(page.locator("#refund-amount")).to_be_visible()
    visit("ops-story", page)
    page.locator("#refund-amount").fill("1")
    page.locator("#refund-reason").fill("x")
    page.locator("#refund-amount").press("Enter")
    expect(page.locator("#refund-confirm")).to_be_visible()
    visit("ops-refund-confirm", page)
    page.goto(web.app + "ops/providers")
    expect(page.locator("main table tbody tr").first).to_be_visible()
    business = admin.execute(
        "select business_name from app.providers where id = %s", (shop.provider_id,)
    ).fetchone()
    assert business is not None
    page.locator("#providers-search").fill(business[0])
    page.locator("#providers-search").press("Enter")
    expect(page.locator("main table tbody tr")).to_have_count(1)
    page.locator("main table tbody tr button").first.click()
    expect(page.locator("#suspend-reason")).to_be_visible()
    visit("ops-providers", page)
    page.goto(web.app + "ops/queues")
    expect(page.locator("#dlq-queue")).to_be_visible()
    visit("ops-queues", page)
    page.goto(web.app + "ops/money")
    expect(page.locator("table.commissions tbody tr").first).to_be_visible()
    page.locator("table.commissions tbody button").first.click()
    expect(page.locator("#commission-reason")).to_be_visible()
    visit("ops-money", page)
    page.locator("header button.secondary").click()
    expect(page.locator("#signin-email")).to_be_visible()
    sign_in_as(page, web, owner)
    page.goto(web.app + "provider")
    expect(page.locator("#bookings-view")).to_be_visible()
    page.locator("#bookings-date").fill(booking["starts_at"][:10])
    expect(page.locator("tr.provider-booking").first).to_be_visible()
    visit("provider-calendar", page)
    page.locator("section[aria-labelledby=services-title] tbody button").first.click()
    expect(page.locator("#edit-name")).to_be_focused()
    visit("provider-service-editor", page)
    page.goto(web.app + "provider/payouts")
    expect(page.locator("table.statement-totals")).to_be_visible()
    expect(page.locator(".payout-status")).to_be_visible()
    visit("provider-payouts", page)
    # the paid booking's receipt, as its customer
    page.locator("header button.secondary").click()
    expect(page.locator("#signin-email")).to_be_visible()
    sign_in_as(page, web, customer_email)
    page.goto(web.app + f"bookings/{booking['id']}")
    expect(page.locator("section.receipt table")).to_be_visible()
    visit("booking-receipt", page)


def test_no_page_has_a_serious_or_critical_accessibility_violation(
    page: Page, web: WebStack, admin: psycopg.Connection[Any], plateau_shop: bk.Shop
) -> None:
    found: dict[str, str] = {}

    def check(name: str, p: Page) -> None:
        violations = axe_violations(p)
        if violations:
            found[name] = describe(violations)

    walk(page, web, check)
    walk_staff(page, web, admin, plateau_shop, "en", check)
    assert found == {}


def english_fragments() -> set[str]:
    """Every English string (its parts between placeholders) that French does not share."""
    en, fr = catalogue("en"), catalogue("fr")
    french_text = " ".join(fr.values())
    out = set()
    for key, text in en.items():
        if text == fr[key]:
            continue
        for part in re.split(r"\{\w+\}", text):
            part = part.strip(" .,:;()#/")
            if len(part) >= 4 and part not in french_text:
                out.add(part)
    return out


# the API's machine codes a booking's story shows in words (statuses, kinds, actions, roles)
CODES = re.compile(
    r"\b[a-z]+(?:[._][a-z]+)+\b|^(succeeded|pending|queued|sending|sent|email|customer|provider|ops|stripe|worker)$"
)


def story_codes(page: Page) -> list[str]:
    """The cells of a booking's story (audit, notifications, events, payment) that show a
    machine code instead of words; the audit and the events must not be empty (the check
    can fail) and the audit says who acted in French."""
    cells = page.locator(
        "table.audit tbody td:nth-child(2), table.audit tbody td:nth-child(3), "
        "section[aria-labelledby=notif-title] tbody td, table.events tbody td, "
        "section[aria-labelledby=money-title] dd:nth-of-type(4), "
        "section[aria-labelledby=money-title] tbody td:nth-child(3)"
    ).all_inner_texts()
    assert page.locator("table.audit tbody tr").count() >= 2
    assert page.locator("table.events tbody tr").count() >= 1
    expect(page.locator("table.audit tbody tr").filter(has_text="réservation créée")).to_have_count(
        1
    )
    return [f"code: {c}" for c in cells if CODES.search(c.strip())]


def test_in_french_no_english_string_shows(
    page: Page, web: WebStack, admin: psycopg.Connection[Any], plateau_shop: bk.Shop
) -> None:
    english = english_fragments() | {"Old Montreal", "Downtown", "Little Burgundy"}
    assert "Book a service" in english and "Find offers" in english  # the check can fail
    page.goto(web.app + "signin")
    page.get_by_label("Language").select_option("fr")
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    seen: dict[str, list[str]] = {}

    def check(name: str, p: Page) -> None:
        # machine codes (statuses, actions, ids in <code>) are the API's, not sentences
        text = p.evaluate(
            """() => {
              const hidden = [...document.querySelectorAll("main code, main pre")];
              hidden.forEach((e) => (e.style.display = "none"));
              const text = document.body.innerText;
              hidden.forEach((e) => (e.style.display = ""));
              return text;
            }"""
        )
        shown = sorted(s for s in english if s in text)
        if name == "ops-story":
            shown += story_codes(p)
        if shown:
            seen[name] = shown
        shoot(p, f"fr-{name}")

    walk(page, web, check)
    walk_staff(page, web, admin, plateau_shop, "fr", check)
    assert seen == {}
    assert page.evaluate("document.documentElement.lang") == "fr"


def test_a_customer_cannot_open_another_customers_booking(
    page: Page, web: WebStack, admin: psycopg.Connection[Any], plateau_shop: bk.Shop
) -> None:
    owner = create_user(admin, "customer")
    theirs = bk.book(admin, plateau_shop, catalog.next_weekday(2, at="11:00"), owner)
    email = fresh_email("stranger")
    sign_up(page, web, email)

    token = httpx.post(f"{web.url}/rpc/login", json={"email": email, "password": PASSWORD}).json()[
        "access_token"
    ]
    refused = httpx.get(
        f"{web.url}/rpc/booking_payment",
        params={"booking_id": theirs["id"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 404, refused.text

    page.goto(web.app + f"bookings/{theirs['id']}")
    expect(page.get_by_role("heading", name="Booking not found")).to_be_visible()
    body = page.locator("body").inner_text()
    assert theirs["id"] not in body and "{" not in body
    shoot(page, "not-yours")
    # a made-up id and a malformed one: the same clear page
    for other in (str(uuid.uuid4()), "not-a-uuid"):
        page.goto(web.app + f"bookings/{other}")
        expect(page.get_by_role("heading", name="Booking not found")).to_be_visible()


def test_a_wrong_password_is_a_sentence_and_a_429_shows_the_wait(page: Page, web: WebStack) -> None:
    page.goto(web.app + "signin")
    page.get_by_label("Email address").fill(fresh_email("nobody"))
    page.get_by_label("Password").fill("not-the-password-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email address or password.")

    # the gateway's answer to too many requests, as the browser would get it
    page.route(
        "**/rpc/login",
        lambda route: route.fulfill(
            status=429,
            headers={"Retry-After": "30", "Content-Type": "application/json"},
            body='{"code": "PT429", "message": "too many requests", "details": null, "hint": "rate_limited"}',
        ),
    )
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Too many attempts. Try again in 30 s.")
    assert "PT429" not in page.locator("body").inner_text()
