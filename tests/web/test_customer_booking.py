"""A customer books and pays in the browser: sign up, find a haircut in the Plateau
tomorrow at 10:00, confirm the first offer, pay with the test card through Stripe.js
(localstripe's stand-in), and see the booking turn "confirmed" live over /realtime; the
confirmation email reaches the SMTP sink. The same with the keyboard only."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.helpers import booking as bk
from tests.helpers.browser import PASSWORD, WebStack, fresh_email, shoot
from tests.helpers.waiting import until

LIVE = 30_000  # ms: the worker, localstripe's webhook and the real-time service in turn


def sign_up(page: Page, web: WebStack, email: str, name: str = "Browser Customer") -> None:
    page.goto(web.app + "signup")
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Book a service", level=1)).to_be_visible()


def fill_card(page: Page) -> None:
    page.get_by_label("Card number").fill("4242424242424242")
    page.get_by_label("Expiry month (MM)").fill("12")
    page.get_by_label("Expiry year (YY)").fill("34")
    page.get_by_label("CVC").fill("123")
    page.get_by_label("Postal code").fill("H2T1S6")


def test_a_customer_books_and_pays_and_sees_it_confirmed_live(
    page: Page, web: WebStack, plateau_shop: bk.Shop
) -> None:
    email = fresh_email("browser")
    sign_up(page, web, email)
    shoot(page, "search")

    expect(page.get_by_label("Service")).to_have_value("haircut")
    expect(page.get_by_label("Neighbourhood")).to_have_value("Plateau-Mont-Royal")
    expect(page.get_by_label("Time", exact=True)).to_have_value("10:00")
    page.get_by_role("button", name="Find offers").click()
    offers = page.get_by_role("listitem").filter(
        has=page.get_by_role("button", name=re.compile("^Book with"))
    )
    expect(offers.first).to_be_visible()
    expect(offers.first).to_contain_text("#1")
    expect(offers.first).to_contain_text("10:00")
    shoot(page, "offers")

    offers.first.get_by_role("button", name=re.compile("^Book with")).click()
    expect(page.get_by_test_id("booking-status")).to_have_text("awaiting payment")
    expect(page.get_by_label("Card number")).to_be_visible(timeout=LIVE)
    page.evaluate("window.__sameDocument = true")
    fill_card(page)
    shoot(page, "payment")
    page.get_by_role("button", name=re.compile("^Pay ")).click()

    expect(page.get_by_test_id("booking-status")).to_have_text("confirmed", timeout=LIVE)
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    shoot(page, "confirmed")

    subjects = until(
        lambda: [
            str(m["Subject"]) for m in web.mailbox.to(email) if "confirmed" in str(m["Subject"])
        ],
        30,
        "the confirmation email in the sink",
    )
    assert subjects[0].startswith("Booking confirmed")

    page.get_by_role("link", name="My bookings").click()
    expect(page.get_by_role("heading", name="My bookings")).to_be_visible()
    expect(page.get_by_role("cell", name="confirmed")).to_be_visible()
    shoot(page, "history")


def focused_name(page: Page) -> str:
    """The accessible name of the focused element: its label, aria-label or text."""
    return str(
        page.evaluate(
            """() => {
              const el = document.activeElement;
              if (!el) return "";
              if (el.getAttribute("aria-label")) return el.getAttribute("aria-label");
              if (el.labels && el.labels.length) return el.labels[0].textContent.trim();
              return (el.textContent || "").trim();
            }"""
        )
    )


def tab_to(page: Page, name: str | re.Pattern[str], most: int = 60) -> None:
    """Press Tab until the focused element's accessible name is ``name``."""
    for _ in range(most):
        page.keyboard.press("Tab")
        current = focused_name(page)
        if name.search(current) if isinstance(name, re.Pattern) else current == name:
            return
    raise AssertionError(f"Tab never reached {name!r}")


def test_the_booking_works_with_the_keyboard_only(
    page: Page, web: WebStack, plateau_shop: bk.Shop
) -> None:
    email = fresh_email("keyboard")
    page.goto(web.app + "signup")
    tab_to(page, "Full name")
    page.keyboard.type("Keyboard Customer")
    tab_to(page, "Email address")
    page.keyboard.type(email)
    tab_to(page, "Password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Book a service", level=1)).to_be_visible()

    tab_to(page, "Find offers")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Offers")).to_be_focused()
    tab_to(page, re.compile("^Book with"))
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("booking-status")).to_have_text("awaiting payment")
    expect(page.get_by_label("Card number")).to_be_visible(timeout=LIVE)

    tab_to(page, "Card number")
    # the card element moves the focus on by itself once a part is complete
    page.keyboard.type("4242424242424242")
    page.keyboard.type("12")
    page.keyboard.type("34")
    page.keyboard.type("123")
    page.keyboard.type("H2T1S6")
    tab_to(page, re.compile("^Pay "))
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("booking-status")).to_have_text("confirmed", timeout=LIVE)

    # then the cancellation, previewed first
    tab_to(page, "See what cancelling would refund")
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile("If you cancel now you get"))).to_be_visible()
    tab_to(page, "Why are you cancelling?")
    page.keyboard.type("plans changed")
    shoot(page, "cancel-preview")
    tab_to(page, "Cancel the booking")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("booking-status")).to_have_text("cancelled", timeout=LIVE)
