"""A provider edits its profile and its services after creating them, in the dashboard,
through api.my_provider and api.my_services (PATCH): the edits survive a reload, and a bad
value shows the API's message naming the field (in French, the field's name in French)."""

from __future__ import annotations

from typing import Any

import psycopg
from playwright.sync_api import Page, expect

from tests.helpers import catalog
from tests.helpers.browser import (
    PASSWORD,
    WebStack,
    axe_violations,
    describe,
    fresh_email,
    shoot,
)
from tests.helpers.factories import create_user


def sign_in(page: Page, web: WebStack, email: str) -> None:
    page.goto(web.app + "signin")
    page.locator("#signin-email").fill(email)
    page.locator("#signin-password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_a_provider_edits_its_profile_and_a_service_and_sees_them_after_a_reload(
    page: Page, web: WebStack, admin: psycopg.Connection[Any]
) -> None:
    email = fresh_email("editor")
    owner = create_user(admin, "provider", email=email, password=PASSWORD)
    provider = catalog.create_provider(admin, owner_id=owner, business_name="Salon Avant")
    catalog.create_service(admin, provider, name="Coupe simple", price_cents=4000)
    sign_in(page, web, email)
    page.goto(web.app + "provider")
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()
    expect(page.get_by_label("Business name")).to_have_value("Salon Avant")

    # the profile: name, description, phone, place, time zone
    page.get_by_label("Business name").fill("Salon Après")
    page.get_by_label("About the business (customers see it)").fill("Coupes et couleurs.")
    page.get_by_label("Contact phone").fill("+15145550199")
    page.get_by_label("Where you work").select_option("Mile End")
    page.get_by_label("Time zone").select_option("America/Vancouver")
    page.get_by_role("button", name="Save the profile").click()
    expect(page.get_by_role("status").filter(has_text="The profile is saved.")).to_be_visible()
    # the rest of the dashboard follows the new zone at once
    expect(
        page.get_by_text("Times are in your business's time zone (America/Vancouver).").first
    ).to_be_visible()
    row = admin.execute(
        "select business_name, description, contact_phone, lat, lng, time_zone "
        "from app.providers where id = %s",
        (provider,),
    ).fetchone()
    assert row == (
        "Salon Après",
        "Coupes et couleurs.",
        "+15145550199",
        45.5245,
        -73.599,
        "America/Vancouver",
    )

    # a service: price, duration, buffer, notice, paused
    # with the keyboard: the row's button opens the editor and puts the focus in it
    page.get_by_role("button", name="Edit Coupe simple").focus()
    page.keyboard.press("Enter")
    editor = page.get_by_role("form", name="Edit the service Coupe simple")
    expect(editor.get_by_label("Service name")).to_be_focused()
    editor.get_by_label("Price ($)").fill("62.50")
    editor.get_by_label("Duration (minutes)").fill("50")
    editor.get_by_label("Free time after (minutes)").fill("10")
    editor.get_by_label("Minimum notice to book (minutes)").fill("120")
    editor.get_by_label("Offered: customers can book this service").uncheck()
    shoot(page, "provider-edit")
    assert axe_violations(page) == [], describe(axe_violations(page))
    editor.get_by_label("Price ($)").press("Enter")  # Enter in a field saves
    expect(editor.get_by_role("status")).to_have_text("The service is saved.")
    service = admin.execute(
        "select price_cents, duration_minutes, buffer_after_minutes, min_notice_minutes, is_active "
        "from app.services where provider_id = %s",
        (provider,),
    ).fetchone()
    assert service == (6250, 50, 10, 120, False)

    page.reload()
    expect(page.get_by_label("Business name")).to_have_value("Salon Après")
    expect(page.get_by_label("About the business (customers see it)")).to_have_value(
        "Coupes et couleurs."
    )
    expect(page.get_by_label("Contact phone")).to_have_value("+15145550199")
    expect(page.get_by_label("Where you work")).to_have_value("Mile End")
    expect(page.get_by_label("Time zone")).to_have_value("America/Vancouver")
    services = page.locator("section[aria-labelledby=services-title] table tbody tr")
    expect(services).to_have_count(1)
    expect(services).to_contain_text("$62.50")
    expect(services).to_contain_text("50 min")
    expect(services.get_by_role("cell", name="paused", exact=True)).to_be_visible()


def test_a_bad_value_shows_the_apis_message_and_changes_nothing(
    page: Page, web: WebStack, admin: psycopg.Connection[Any]
) -> None:
    email = fresh_email("badvalue")
    owner = create_user(admin, "provider", email=email, password=PASSWORD)
    provider = catalog.create_provider(admin, owner_id=owner, business_name="Salon Strict")
    catalog.create_service(admin, provider, name="Coupe", price_cents=4000, deposit_cents=1000)
    sign_in(page, web, email)
    page.goto(web.app + "provider")
    phone = admin.execute(
        "select contact_phone from app.providers where id = %s", (provider,)
    ).fetchone()
    assert phone is not None
    expect(page.get_by_label("Contact phone")).to_have_value(phone[0])

    page.get_by_label("Contact phone").fill("514-555")
    page.get_by_role("button", name="Save the profile").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Some information is missing or not valid. "
        "(contact_phone must be in E.164 form (+15145550123))"
    )
    page.get_by_role("button", name="Edit Coupe").click()
    editor = page.get_by_role("form", name="Edit the service Coupe")
    # the editor opens with the keyboard in its name field, and holds the service, before
    # another field is typed into (the focus once moved to the name after the deposit was
    # focused, when the editor focused it after a paint: the deposit's 45 went to the name)
    expect(editor.get_by_label("Service name")).to_be_focused()
    expect(editor.get_by_label("Service name")).to_have_value("Coupe")
    expect(editor.get_by_label("Deposit ($, paid when booking)")).to_have_value("10.00")
    editor.get_by_label("Deposit ($, paid when booking)").fill("45")
    editor.get_by_role("button", name="Save the service").click()
    expect(editor.get_by_role("alert")).to_have_text(
        "Some information is missing or not valid. "
        "(deposit_cents must be between 0 and price_cents)"
    )
    shoot(page, "provider-edit-refused")
    row = admin.execute(
        "select p.contact_phone, s.deposit_cents from app.providers p "
        "join app.services s on s.provider_id = p.id where p.id = %s",
        (provider,),
    ).fetchone()
    assert row == (phone[0], 1000)

    # in French, the same refusal names the field in French, not the API's English
    page.get_by_label("Language").select_option("fr")
    expect(page.get_by_role("heading", name="Profil")).to_be_visible()
    page.get_by_label("Téléphone de contact").fill("514-555")
    page.get_by_role("button", name="Enregistrer le profil").click()
    expect(page.get_by_role("alert").first).to_have_text(
        "Une information manque ou n\u2019est pas valide. Valeur non valide : "
        "Téléphone de contact (forme internationale, p. ex. +15145550123)."
    )
