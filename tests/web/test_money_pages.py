"""This morning's money API in the browser (docs/connect.md, docs/money.md): a provider's
GST/QST numbers (the API's 400 in English and French), its payouts page (Stripe onboarding
through the worker and the Stripe fake, the account's status, the statement of a period);
a customer's offers with their taxes and the booking's receipt; ops' commission rates and
disputes. Each screen is checked with axe-core and shot to test-artifacts/web/."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

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
)
from tests.helpers.factories import create_user

LIVE = 30_000  # ms: the worker and the Stripe fake in turn
GST = "123456782RT0001"
QST = "1234567890TQ0001"


def sign_in(page: Page, web: WebStack, email: str) -> None:
    page.goto(web.app + "signin")
    page.locator("#signin-email").fill(email)
    page.locator("#signin-password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.locator("header .who")).to_be_visible()


def owner_of(admin: psycopg.Connection[Any], shop: bk.Shop) -> str:
    email = fresh_email("money-owner")
    admin.execute("update app.users set email = %s where id = %s", (email, shop.owner_id))
    admin.execute(
        "update auth.credentials set password_hash = extensions.crypt(%s, "
        "extensions.gen_salt('bf', 4)) where user_id = %s",
        (PASSWORD, shop.owner_id),
    )
    return email


def accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def fits_its_panel(page: Page, name: str) -> None:
    """The statement's per-booking table at 1280 px: whole inside its panel, no sideways
    scroll; at 390 px: its region scrolls sideways inside the panel, which stays on the
    page. In English and French (longer headings); each width shot."""
    region = page.get_by_role("region", name=re.compile("^(Bookings in the period|Réservations)"))
    panel = page.locator("section[aria-labelledby=statement-title]")
    for lang in ("en", "fr"):
        page.get_by_role("combobox", name=re.compile("^(Language|Langue)$")).select_option(lang)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        for width, scrolls in ((1280, False), (390, True)):
            page.set_viewport_size({"width": width, "height": 900})
            expect(region).to_be_visible()
            box, outer = region.bounding_box(), panel.bounding_box()
            assert box is not None and outer is not None
            assert outer["x"] <= box["x"] and box["x"] + box["width"] <= outer["x"] + outer["width"]
            assert outer["x"] + outer["width"] <= width
            # nothing else on the page is wider than the screen either
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            wide = region.evaluate("e => e.scrollWidth > e.clientWidth")
            assert wide is scrolls, f"{lang} at {width} px: the table scrolls: {wide}"
            region.scroll_into_view_if_needed()
            shoot(page, f"{name}-{width}-{lang}")
    page.set_viewport_size({"width": 1280, "height": 720})
    page.get_by_role("combobox", name="Langue").select_option("en")


def test_a_provider_registers_tax_numbers_and_a_bad_one_is_the_apis_400_in_both_languages(
    page: Page, web: WebStack, admin: psycopg.Connection[Any], plateau_shop: bk.Shop
) -> None:
    sign_in(page, web, owner_of(admin, plateau_shop))
    page.goto(web.app + "provider")
    form = page.get_by_role("form", name="Sales taxes")
    # the rates come from SQL (api.my_tax_registration's rates), formatted per language
    intro = page.locator("section[aria-labelledby=taxes-title] p.hint").first
    expect(intro).to_contain_text("charge GST 5% and QST 9.975% on the price")
    expect(form.get_by_label("GST number")).to_have_value("")
    form.get_by_label("GST number").fill("123456789RT0001")  # the Luhn digit is wrong
    form.get_by_label("QST number").fill(QST)
    form.get_by_label("QST number").press("Enter")
    alert = page.locator("section[aria-labelledby=taxes-title] [role=alert]")
    expect(alert).to_contain_text("gst_number must be a GST registration number")
    accessible(page)
    shoot(page, "provider-taxes-400")
    assert admin.execute(
        "select count(*) from app.provider_tax_registrations where provider_id = %s",
        (plateau_shop.provider_id,),
    ).fetchone() == (0,)

    page.get_by_label("Language").select_option("fr")
    form = page.get_by_role("form", name="Taxes de vente")
    expect(intro).to_contain_text(re.compile(r"la TPS de 5\s%\set la TVQ de 9,975\s%"))
    form.get_by_role("button", name="Enregistrer les numéros de taxes").click()
    expect(alert).to_have_text(re.compile("numéro de TPS"))
    expect(alert).not_to_contain_text("must be")
    shoot(page, "fr-provider-taxes-400")

    form.get_by_label("Numéro de TPS").fill("123 456 782 RT 0001")
    form.get_by_role("button", name="Enregistrer les numéros de taxes").click()
    expect(page.get_by_role("status").filter(has_text="Enregistré")).to_be_visible()
    expect(form.get_by_label("Numéro de TPS")).to_have_value(GST)
    assert admin.execute(
        "select gst_number, qst_number from app.provider_tax_registrations where provider_id = %s",
        (plateau_shop.provider_id,),
    ).fetchone() == (GST, QST)
    page.reload()
    expect(page.get_by_label("Numéro de TVQ")).to_have_value(QST)
    page.get_by_label("Langue").select_option("en")
    expect(page.get_by_role("heading", name="Sales taxes")).to_be_visible()
    shoot(page, "provider-taxes")


def test_the_payouts_page_onboards_with_stripe_and_shows_the_statement(
    page: Page, web: WebStack, admin: psycopg.Connection[Any], plateau_shop: bk.Shop
) -> None:
    admin.execute(
        "insert into app.provider_tax_registrations (provider_id, gst_number, qst_number) "
        "values (%s, %s, %s)",
        (plateau_shop.provider_id, GST, QST),
    )
    booking = bk.book(admin, plateau_shop, catalog.next_weekday(1, at="10:00"))
    pay_when_ready(admin, booking)
    sign_in(page, web, owner_of(admin, plateau_shop))

    page.get_by_role("link", name="Payouts").click()
    expect(page.get_by_role("heading", name="Payouts", level=1)).to_be_visible()
    expect(page.get_by_test_id("payouts-enabled")).to_have_text("No")
    start = page.get_by_role("button", name="Set up payouts with Stripe")
    start.focus()
    page.keyboard.press("Enter")
    link = page.get_by_role("link", name="Continue on Stripe")
    expect(link).to_be_visible(timeout=LIVE)
    url = link.get_attribute("href")
    assert url and url.startswith("http")
    account = admin.execute(
        "select stripe_account_id, onboarding_url from app.payout_accounts where provider_id = %s",
        (plateau_shop.provider_id,),
    ).fetchone()
    assert account is not None and account[1] == url
    expect(page.locator(".payout-status code")).to_have_text(str(account[0]))

    # the statement of the booking's day: one paid booking, its taxes collected
    day = str(booking["starts_at"])[:10]
    page.get_by_label("From").fill(day)
    page.get_by_label("To", exact=True).fill(str(date.fromisoformat(day) + timedelta(days=1)))
    page.get_by_role("button", name="Show the statement").click()
    totals = page.locator("table.statement-totals")
    expect(totals.locator("caption")).to_contain_text("Paid bookings: 1;")
    charged = booking["payment"]["amount_cents"]
    expect(totals.get_by_role("row", name=re.compile("^Gross"))).to_contain_text(
        f"${charged // 100}.{charged % 100:02d}"
    )
    expect(page.locator("table.statement-lines tbody tr")).to_have_count(1)
    gst = page.locator("table.statement-totals").get_by_role("row", name="GST collected")
    expect(gst).not_to_contain_text("$0.00")
    accessible(page)
    shoot(page, "provider-payouts")
    fits_its_panel(page, "provider-payouts")

    # Stripe's return and refresh URLs
    page.goto(web.app + "provider/payouts?onboarding=return")
    expect(page.get_by_role("status").filter(has_text="Welcome back from Stripe")).to_be_visible()
    page.goto(web.app + "provider/payouts?onboarding=refresh")
    expect(page.get_by_role("link", name="Continue on Stripe")).to_be_visible(timeout=LIVE)
    assert page.get_by_role("link", name="Continue on Stripe").get_attribute("href") != url
    accessible(page)

    # a period the API refuses is its 400, not a blank table
    page.get_by_label("From").fill("2026-01-01")
    page.get_by_label("To", exact=True).fill("2025-01-01")
    page.get_by_role("button", name="Show the statement").click()
    expect(page.locator("section[aria-labelledby=statement-title] [role=alert]")).to_contain_text(
        "period_to must be after period_from"
    )


def test_a_customer_sees_the_taxes_on_offers_and_the_receipt_of_a_paid_booking(
    page: Page, web: WebStack, admin: psycopg.Connection[Any], plateau_shop: bk.Shop
) -> None:
    admin.execute(
        "insert into app.provider_tax_registrations (provider_id, gst_number, qst_number) "
        "values (%s, %s, %s)",
        (plateau_shop.provider_id, GST, QST),
    )
    email = fresh_email("receipt")
    customer = create_user(admin, "customer", email=email, password=PASSWORD)
    sign_in(page, web, email)
    page.get_by_role("button", name="Find offers").click()
    name = admin.execute(
        "select business_name from app.providers where id = %s", (plateau_shop.provider_id,)
    ).fetchone()
    assert name is not None
    offer = page.locator(".offer").filter(has_text=name[0])
    expect(offer).to_contain_text("Total with taxes")
    price = admin.execute(
        "select price_cents from app.services where id = %s", (plateau_shop.service_id,)
    ).fetchone()
    assert price is not None
    total = price[0] + round(price[0] * 0.05) + round(price[0] * 0.09975)
    expect(offer.locator("dd.total")).to_have_text(f"${total // 100}.{total % 100:02d}")
    accessible(page)
    shoot(page, "offers-taxes")

    booking = bk.book(admin, plateau_shop, catalog.next_weekday(2, at="11:00"), customer)
    pay_when_ready(admin, booking)
    page.goto(web.app + f"bookings/{booking['id']}")
    receipt = page.get_by_role("table", name="Price, taxes and payments of this booking")
    expect(receipt.get_by_role("row", name=f"GST (no. {GST})")).to_be_visible(timeout=LIVE)
    expect(receipt.get_by_role("row", name="Total")).to_contain_text(
        f"${total // 100}.{total % 100:02d}"
    )
    accessible(page)
    shoot(page, "booking-receipt")

    # another customer: the API's 404, the receipt is not shown
    other = fresh_email("not-mine")
    create_user(admin, "customer", email=other, password=PASSWORD)
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, web, other)
    page.goto(web.app + f"bookings/{booking['id']}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_text(GST)).to_have_count(0)


def test_ops_change_a_commission_rate_and_list_disputes(
    page: Page, web: WebStack, admin: psycopg.Connection[Any], plateau_shop: bk.Shop
) -> None:
    booking = bk.book(admin, plateau_shop, catalog.next_weekday(3, at="10:00"))
    pay_when_ready(admin, booking)
    payment = admin.execute(
        "select id, amount_cents from app.payments where booking_id = %s", (booking["id"],)
    ).fetchone()
    assert payment is not None
    dispute = f"dp_{uuid.uuid4().hex[:16]}"
    admin.execute(
        "insert into app.disputes (id, booking_id, payment_id, amount_cents, currency, reason, "
        "status) values (%s, %s, %s, %s, 'cad', 'fraudulent', 'needs_response')",
        (dispute, booking["id"], payment[0], payment[1]),
    )
    ops = fresh_email("money-ops")
    create_user(admin, "ops", email=ops, password=PASSWORD)
    sign_in(page, web, ops)
    page.get_by_role("link", name="Commissions and disputes").click()
    rates = page.get_by_role("table", name="Commission rates")
    expect(rates.get_by_role("row", name=re.compile("^Haircut"))).to_contain_text("10 %")

    page.get_by_role("button", name="Change the commission of Haircut").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Rate (%)")).to_be_focused()
    page.get_by_label("Rate (%)").fill("150")
    page.get_by_label("Reason").fill("test")
    page.get_by_role("button", name="Save the commission").click()
    expect(page.locator("section[aria-labelledby=commission-title] [role=alert]")).to_be_visible()
    page.get_by_label("Rate (%)").fill("12.5")
    page.get_by_label("Minimum ($)").fill("2")
    page.get_by_role("button", name="Save the commission").click()
    expect(
        page.get_by_role("status").filter(has_text="Commission of Haircut saved")
    ).to_be_visible()
    expect(rates.get_by_role("row", name=re.compile("^Haircut"))).to_contain_text("12.5 %")
    assert admin.execute(
        "select r.rate_bp, r.minimum_cents from app.commission_rates as r "
        "join app.service_categories as c on c.id = r.category_id where c.slug = 'haircut'"
    ).fetchone() == (1250, 200)

    disputes = page.get_by_role("table", name="Disputes, newest first")
    row = disputes.get_by_role("row").filter(has_text="fraud claimed")
    expect(row).to_contain_text("needs a response")
    page.get_by_label("Open disputes only").check()
    expect(row).to_be_visible()
    accessible(page)
    shoot(page, "ops-money")
    row.get_by_role("link", name="Open the booking").click()
    expect(page).to_have_url(re.compile(f"ops/bookings/{booking['id']}"))
