"""The balance after a deposit in the browser (docs/money.md "Charged to the saved card",
docs/web.md): the customer consents on the offer to the balance being charged to the card
that pays the deposit; the real worker charges it off-session once the provider marks the
booking completed; a card that asks for authentication leaves it due, the customer is
emailed a link, the link opens the pay-the-balance panel on "My bookings", Stripe.js pays
it with the card's authentication and the page says "paid" once the webhook settles it.
Unchecked (the default), nothing is charged. In English and French; each screen is
checked with axe-core and shot to test-artifacts/web/."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import psycopg
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.helpers import booking as bk
from tests.helpers.auth import bearer, mint
from tests.helpers.browser import (
    PASSWORD,
    WebStack,
    axe_violations,
    catalogue,
    describe,
    fresh_email,
    shoot,
)
from tests.helpers.factories import create_user
from tests.helpers.mailbox import text_of
from tests.helpers.waiting import until

LIVE = 30_000  # ms: the worker, the Stripe fake's webhook and the real-time service in turn
AUTH_CARD = "4000002500003155"  # asks for authentication on every charge, off-session too
# price 4010 + GST 201 + QST 400 = 4611; deposit 1010 (+ 51 + 101 = 1162); balance 3449
BALANCE = {"en": "$34.49", "fr": "34,49\u00a0$"}
DEPOSIT = {"en": "$10.10", "fr": "10,10\u00a0$"}
PAID = {"en": "$46.11", "fr": "46,11\u00a0$"}  # the deposit 11.62 and the balance 34.49


def sign_in(page: Page, web: WebStack, email: str) -> None:
    page.goto(web.app + "signin")
    page.locator("#signin-email").fill(email)
    page.locator("#signin-password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.locator("header .who")).to_be_visible()


def accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def shop_with_deposit(admin: psycopg.Connection[Any]) -> tuple[bk.Shop, str]:
    shop = bk.open_shop(admin, price_cents=4010, deposit_cents=1010)
    admin.execute(
        "insert into app.provider_tax_registrations (provider_id, gst_number, qst_number) "
        "values (%s, '123456782RT0001', '1234567890TQ0001')",
        (shop.provider_id,),
    )
    row = admin.execute(
        "select business_name from app.providers where id = %s", (shop.provider_id,)
    ).fetchone()
    assert row is not None
    return shop, str(row[0])


def the_offer(page: Page, name: str) -> Locator:
    page.locator("form.search button[type=submit]").click()
    offer = page.locator(".offer").filter(has_text=name)
    expect(offer).to_be_visible(timeout=LIVE)
    return offer


def fill_card(page: Page, number: str) -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry month (MM)").fill("12")
    page.get_by_label("Expiry year (YY)").fill("34")
    page.get_by_label("CVC").fill("123")
    page.get_by_label("Postal code").fill("H2T1S6")


def pay_deposit(page: Page, number: str, words: dict[str, str]) -> str:
    """On the booking page: the deposit paid through Stripe.js; the booking's id."""
    expect(page.get_by_label("Card number")).to_be_visible(timeout=LIVE)
    booking_id = page.url.rstrip("/").split("/")[-1]
    fill_card(page, number)
    page.locator("form button[type=submit]").filter(has_text=re.compile(r"\d")).click()
    if number == AUTH_CARD:
        page.get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_test_id("booking-status")).to_have_text(
        words["booking.status.confirmed"], timeout=LIVE
    )
    return booking_id


def complete(web: WebStack, admin: psycopg.Connection[Any], shop: bk.Shop, booking_id: str) -> None:
    """The appointment took place: the provider marks it completed (over HTTP)."""
    bk.starts_in(admin, booking_id, "-70 minutes")
    done = httpx.post(
        f"{web.url}/rpc/mark_booking",
        json={"booking_id": booking_id, "outcome": "completed"},
        headers=bearer(mint("provider", shop.owner_id)),
    )
    assert done.status_code == 200, done.text


def balance_status(admin: psycopg.Connection[Any], booking_id: str) -> str:
    row = admin.execute(
        "select internal.balance_due_json(%s) ->> 'balance_status'", (booking_id,)
    ).fetchone()
    assert row is not None
    return str(row[0])


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_consent_then_a_card_that_asks_for_authentication_is_paid_from_the_emailed_link(
    page: Page, web: WebStack, admin: psycopg.Connection[Any], lang: str
) -> None:
    words = catalogue(lang)
    shop, name = shop_with_deposit(admin)
    email = fresh_email(f"balance-{lang}")
    create_user(admin, "customer", email=email, password=PASSWORD, locale=lang)
    sign_in(page, web, email)
    offer = the_offer(page, name)
    consent = offer.get_by_role(
        "checkbox", name=words["offer.saveCard"].replace("{amount}", BALANCE[lang])
    )
    expect(consent).not_to_be_checked()
    expect(offer).to_contain_text(DEPOSIT[lang])
    expect(offer).to_contain_text(words["offer.saveCardHint"].replace("{amount}", BALANCE[lang]))
    consent.check()
    accessible(page)
    shoot(page, f"balance-consent-{lang}")
    offer.get_by_role("button", name=words["offer.book"].replace("{name}", name)).click()
    booking_id = pay_deposit(page, AUTH_CARD, words)
    saved = admin.execute(
        "select save_card, stripe_payment_method_id is not null from app.payments"
        " where booking_id = %s",
        (booking_id,),
    ).fetchone()
    assert saved == (True, True)
    # the consent's figure (the offer's balance_cents) is the balance the booking will charge
    owed = admin.execute(
        "select (internal.balance_due_json(%s) ->> 'balance_cents')::int", (booking_id,)
    ).fetchone()
    assert owed == (3449,)

    # after the appointment the worker charges the saved card off-session: the bank asks
    # for authentication, so the balance is due and the customer is emailed a link
    complete(web, admin, shop, booking_id)
    until(lambda: balance_status(admin, booking_id) == "due", what="the failed balance charge")
    [mail] = until(
        lambda: [m for m in web.mailbox.to(email) if "pay_balance=" in text_of(m)],
        what="the balance_due email",
    )
    link = re.search(r"https?://\S*pay_balance=[0-9a-f-]{36}", text_of(mail))
    assert link is not None and link.group(0).endswith(booking_id)

    # the list says it is due, with a Pay button
    page.get_by_role("link", name=words["nav.bookings"]).click()
    expect(page.get_by_test_id("balance-due")).to_have_text(words["balance.due"])
    expect(
        page.get_by_role(
            "button", name=re.compile(re.escape(words["balance.payButton"].split("{")[0]))
        )
    ).to_be_visible()
    shoot(page, f"balance-due-list-{lang}")

    # the booking's own page says it too, with a Pay button that opens the same panel
    page.locator("main table tbody tr").filter(has=page.get_by_test_id("balance-due")).get_by_role(
        "link"
    ).click()
    expect(page).to_have_url(re.compile(f"bookings/{booking_id}$"))
    due = page.get_by_test_id("booking-balance-due")
    expect(due).to_contain_text(words["balance.due"], timeout=LIVE)
    expect(page.get_by_test_id("receipt-balance")).to_have_text(BALANCE[lang])
    accessible(page)
    shoot(page, f"balance-due-booking-{lang}")
    due.get_by_role("button", name=words["balance.pay"].replace("{amount}", BALANCE[lang])).click()
    expect(page).to_have_url(re.compile(rf"bookings\?pay_balance={booking_id}$"))
    expect(page.get_by_test_id("pay-balance")).to_be_visible()

    page.goto(link.group(0))
    panel = page.get_by_test_id("pay-balance")
    expect(panel.get_by_role("heading", name=words["balance.title"])).to_be_visible()
    expect(panel.get_by_test_id("balance-amount")).to_have_text(BALANCE[lang], timeout=LIVE)
    expect(panel).to_contain_text(words["balance.whyAuth"])
    expect(page.get_by_label("Card number")).to_be_visible(timeout=LIVE)
    fill_card(page, AUTH_CARD)
    accessible(page)
    shoot(page, f"balance-pay-{lang}")
    panel.get_by_role(
        "button", name=words["balance.pay"].replace("{amount}", BALANCE[lang])
    ).click()
    page.get_by_role("button", name="Complete authentication").click()
    expect(panel.get_by_role("status").filter(has_text=words["balance.paid"])).to_be_visible(
        timeout=LIVE
    )
    assert balance_status(admin, booking_id) == "paid"
    expect(page.get_by_test_id("balance-due")).to_have_count(0)
    expect(page.get_by_text(words["balance.paidShort"])).to_be_visible(timeout=LIVE)
    # My bookings' "Paid": the deposit and the balance charged to the card
    row = page.locator("main table tbody tr").filter(has_text=words["balance.paidShort"])
    expect(row.get_by_role("cell", name=PAID[lang], exact=True)).to_be_visible()
    shoot(page, f"balance-paid-{lang}")

    # the booking's page: no Pay button any more, the balance paid on its receipt
    page.goto(web.app + f"bookings/{booking_id}")
    receipt = page.get_by_role("table", name=words["receipt.caption"])
    expect(receipt.get_by_role("row", name=words["receipt.balancePaid"])).to_contain_text(
        BALANCE[lang], timeout=LIVE
    )
    expect(page.get_by_test_id("booking-balance-due")).to_have_count(0)
    shoot(page, f"balance-paid-booking-{lang}")

    # paid: the link now says so, and says nothing is due on a reload
    page.goto(link.group(0))
    expect(page.get_by_test_id("pay-balance")).to_contain_text(words["balance.paid"], timeout=LIVE)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_unchecked_by_default_nothing_is_charged_and_the_link_says_so_in_words(
    page: Page, web: WebStack, admin: psycopg.Connection[Any], lang: str
) -> None:
    words = catalogue(lang)
    shop, name = shop_with_deposit(admin)
    email = fresh_email(f"nobalance-{lang}")
    create_user(admin, "customer", email=email, password=PASSWORD, locale=lang)
    sign_in(page, web, email)
    offer = the_offer(page, name)
    expect(offer.get_by_role("checkbox")).not_to_be_checked()
    offer.get_by_role("button", name=words["offer.book"].replace("{name}", name)).click()
    booking_id = pay_deposit(page, "4242424242424242", words)
    saved = admin.execute(
        "select save_card from app.payments where booking_id = %s", (booking_id,)
    ).fetchone()
    assert saved == (False,)
    complete(web, admin, shop, booking_id)
    asked = admin.execute(
        "select count(*) from (select message from pgmq.q_payments union all"
        " select message from pgmq.a_payments) as m"
        " where message ->> 'type' = 'payment.charge_balance' and message ->> 'booking_id' = %s",
        (booking_id,),
    ).fetchone()
    assert asked == (0,)
    assert balance_status(admin, booking_id) == "open"

    page.get_by_role("link", name=words["nav.bookings"]).click()
    expect(page.get_by_role("cell", name=words["booking.status.completed"])).to_be_visible()
    expect(page.get_by_test_id("balance-due")).to_have_count(0)
    # the booking's page: the balance still to pay at the venue, no Pay button
    page.goto(web.app + f"bookings/{booking_id}")
    expect(page.get_by_test_id("receipt-balance")).to_have_text(BALANCE[lang], timeout=LIVE)
    expect(
        page.get_by_role("table", name=words["receipt.caption"]).get_by_role(
            "row", name=words["receipt.balanceOpen"]
        )
    ).to_be_visible()
    expect(page.get_by_test_id("booking-balance-due")).to_have_count(0)

    # the link of a balance that is not due, and of no booking of yours: the API's words
    page.goto(web.app + f"bookings?pay_balance={booking_id}")
    expect(page.get_by_test_id("pay-balance").get_by_role("alert")).to_have_text(
        words["error.balance_not_due"], timeout=LIVE
    )
    shoot(page, f"balance-not-due-{lang}")
    page.goto(web.app + f"bookings?pay_balance={uuid.uuid4()}")
    expect(page.get_by_test_id("pay-balance").get_by_role("alert")).to_have_text(
        words["error.not_found"], timeout=LIVE
    )
    accessible(page)
