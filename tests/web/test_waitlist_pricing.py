"""The waitlist and the pricing suggestions in the browser. A customer whose search finds
nobody joins the waitlist from the booking page, sees it under "My waitlist" with each
status in words and leaves an entry; an eleventh entry is the API's 429 as a sentence; the
waitlist_opening email's link opens the booking page with the freed slot filled in and
searched. A provider reads its price suggestions (reasons in words and figures) and applies
a suggested price through the service edit; a period the API refuses is a sentence naming
the field. Each screen in English and in French, with no English string left."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from playwright.sync_api import Page, expect

from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.browser import (
    PASSWORD,
    WebStack,
    axe_violations,
    describe,
    fresh_email,
    shoot,
)
from tests.helpers.db import call_as
from tests.helpers.factories import create_user
from tests.helpers.mailbox import text_of
from tests.helpers.waiting import until
from tests.web.test_pages import english_fragments

ENGLISH = english_fragments()


def sign_in(page: Page, web: WebStack, email: str, locale: str) -> None:
    page.goto(web.app + "signin")
    if locale == "fr":
        page.get_by_label("Language").select_option("fr")
    page.locator("#signin-email").fill(email)
    page.locator("#signin-password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.locator("header .who")).to_be_visible()


def no_english(page: Page, locale: str) -> None:
    """In French, no English string of the catalogue shows (the check can fail: see
    tests/web/test_pages.py); in both, no serious accessibility violation."""
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    if locale != "fr":
        return
    text = page.evaluate("document.body.innerText")
    assert sorted(s for s in ENGLISH if s in text) == []


def _join_as(admin: psycopg.Connection[Any], customer: uuid.UUID, shop: bk.Shop) -> None:
    start = datetime.now(UTC) + timedelta(days=3)
    call_as(
        admin,
        "customer",
        customer,
        "select internal.join_waitlist(%s, null, null, null, null, null, %s, %s)",
        shop.service_id,
        start,
        start + timedelta(hours=4),
    )


WORDS = {
    "en": {
        "none": "Nobody is free then",
        "join": "Tell me when a slot opens",
        "joined": "You are on the waitlist for",
        "mine": "See my waitlist",
        "title": "My waitlist",
        "waiting": "waiting",
        "expired": "expired: the window ended",
        "left": "You left the waitlist for",
        "too_many": "You are on too many waitlists.",
        "leave": "Leave the waitlist for",
        "place": "Verdun",
    },
    "fr": {
        "none": "Personne n\u2019est libre à ce moment",
        "join": "Prévenez-moi quand une place se libère",
        "joined": "Vous êtes sur la liste d\u2019attente",
        "mine": "Voir ma liste d\u2019attente",
        "title": "Ma liste d\u2019attente",
        "waiting": "en attente",
        "expired": "expirée : la plage est passée",
        "left": "Vous avez quitté la liste d\u2019attente pour",
        "too_many": "Vous êtes sur trop de listes d\u2019attente.",
        "leave": "Quitter la liste d\u2019attente pour",
        "place": "Verdun",
    },
}


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_a_customer_who_finds_nobody_joins_the_waitlist_sees_it_and_leaves_it(
    page: Page, web: WebStack, admin: psycopg.Connection[Any], locale: str
) -> None:
    w = WORDS[locale]
    email = fresh_email(f"waiter-{locale}")
    customer = create_user(
        admin, "customer", email=email, password=PASSWORD, locale=locale, full_name="Cléo Attente"
    )
    shop = bk.open_shop(admin)  # in the Plateau: nobody within 1 km of Verdun
    sign_in(page, web, email, locale)
    page.locator("#search-place").select_option("Verdun")
    page.locator("#search-radius").fill("1")
    page.locator("form.search button[type=submit]").click()
    expect(page.get_by_role("status").filter(has_text=w["none"])).to_be_visible()
    expect(page.locator("#waitlist-from-date")).to_have_value(
        page.locator("#search-date").input_value()
    )
    expect(page.locator("#waitlist-from-time")).to_have_value("10:00")
    expect(page.locator("#waitlist-to-time")).to_have_value("14:00")
    shoot(page, f"waitlist-join-{locale}")
    no_english(page, locale)
    page.get_by_role("button", name=w["join"]).click()
    expect(page.get_by_role("status").filter(has_text=w["joined"])).to_be_visible()
    shoot(page, f"waitlist-joined-{locale}")
    (entry,) = admin.execute(
        "select status, category_id is not null, radius_km, lat, lng from app.waitlist_entries"
        " where customer_id = %s",
        (customer,),
    ).fetchall()
    assert entry == ("active", True, 1, 45.459, -73.571)

    # a second entry whose window has ended: the sweep marks it expired
    _join_as(admin, customer, shop)
    admin.execute(
        "update app.waitlist_entries set wanted = tstzrange(now() - interval '2 hours',"
        " now() - interval '1 hour') where customer_id = %s and service_id is not null",
        (customer,),
    )
    until(
        lambda: admin.execute(
            "select 1 from app.waitlist_entries where customer_id = %s and status = 'expired'",
            (customer,),
        ).fetchall(),
        30,
        "the sweep to expire the entry",
    )
    page.get_by_role("link", name=w["mine"]).click()
    expect(page.get_by_role("heading", name=w["title"], exact=True)).to_be_visible()
    rows = page.locator("table.waitlist tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("tr[data-status=active]")).to_contain_text(w["waiting"])
    expect(page.locator("tr[data-status=active]")).to_contain_text(w["place"])
    expect(page.locator("tr[data-status=expired]")).to_contain_text(w["expired"])
    # only an entry still waiting can be left
    expect(page.locator("tr[data-status=expired] button")).to_have_count(0)
    shoot(page, f"waitlist-mine-{locale}")
    no_english(page, locale)
    page.locator("tr[data-status=active] button").click()
    expect(page.get_by_role("status").filter(has_text=w["left"])).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(w["leave"]))).to_have_count(0)
    assert admin.execute(
        "select status from app.waitlist_entries where customer_id = %s and category_id is not null",
        (customer,),
    ).fetchone() == ("cancelled",)
    shoot(page, f"waitlist-left-{locale}")


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_an_eleventh_waitlist_entry_is_refused_in_words(
    page: Page, web: WebStack, admin: psycopg.Connection[Any], locale: str
) -> None:
    w = WORDS[locale]
    email = fresh_email(f"greedy-{locale}")
    customer = create_user(
        admin, "customer", email=email, password=PASSWORD, locale=locale, full_name="Cléo Attente"
    )
    shop = bk.open_shop(admin)
    for _ in range(10):
        _join_as(admin, customer, shop)
    sign_in(page, web, email, locale)
    page.locator("#search-place").select_option("Verdun")
    page.locator("#search-radius").fill("1")
    page.locator("form.search button[type=submit]").click()
    page.get_by_role("button", name=w["join"]).click()
    expect(page.get_by_role("alert")).to_contain_text(w["too_many"])
    assert admin.execute(
        "select count(*) from app.waitlist_entries where customer_id = %s", (customer,)
    ).fetchone() == (10,)
    shoot(page, f"waitlist-too-many-{locale}")
    no_english(page, locale)


def test_the_waitlist_email_link_opens_the_booking_page_with_the_freed_slot_searched(
    page: Page, web: WebStack, admin: psycopg.Connection[Any]
) -> None:
    shop = bk.open_shop(admin, name="Coupe du matin")
    email = fresh_email("told")
    alice = create_user(admin, "customer", email=email, password=PASSWORD, full_name="Alice Told")
    start = catalog.next_weekday(2, at="11:00")
    call_as(
        admin,
        "customer",
        alice,
        "select internal.join_waitlist(%s, null, null, null, null, null, %s, %s)",
        shop.service_id,
        start - timedelta(hours=1),
        start + timedelta(hours=3),
    )
    booking = bk.book(admin, shop, start)  # another customer takes the slot, then cancels
    admin.execute(
        "select internal.transition_booking(%s, 'cancelled', 'customer')", (booking["id"],)
    )
    mail = until(
        lambda: [m for m in web.mailbox.to(email) if "slot opened" in str(m["Subject"])],
        30,
        "the waitlist email",
    )
    link = re.search(r"(http://\S+/app/\?service_id=\S+)", text_of(mail[0]))
    assert link is not None, text_of(mail[0])

    # signed out: the link asks for a sign-in, then lands on the booking page
    page.goto(link.group(1))
    page.locator("#signin-email").fill(email)
    page.locator("#signin-password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(
        page.get_by_role("status").filter(has_text="A slot opened: Coupe du matin")
    ).to_be_visible()
    expect(page.locator("#search-category")).to_have_value("haircut")
    expect(page.locator("#search-place")).to_have_value("custom")
    expect(page.locator("#search-lat")).to_have_value(str(shop.lat))
    expect(page.locator("#search-date")).to_have_value(start.date().isoformat())
    expect(page.locator("#search-time")).to_have_value("11:00")
    business = admin.execute(
        "select business_name from app.providers where id = %s", (shop.provider_id,)
    ).fetchone()
    assert business is not None
    offer = page.locator(".offer").filter(has_text=business[0])
    expect(offer).to_contain_text("Coupe du matin")
    shoot(page, "waitlist-email-link")
    no_english(page, "en")


def test_an_email_link_to_a_service_no_longer_offered_is_a_sentence(
    page: Page, web: WebStack, admin: psycopg.Connection[Any]
) -> None:
    email = fresh_email("late")
    create_user(admin, "customer", email=email, password=PASSWORD)
    sign_in(page, web, email, "en")
    page.goto(web.app + f"?service_id={uuid.uuid4()}&starts_at=2030-01-01T15:00:00Z")
    expect(page.get_by_role("alert")).to_have_text("Not found, or not yours to see.")


PRICING = {
    "en": {
        "title": "Price suggestions",
        "lower": "Lower the price",
        "range": "$42.50 to $50.00",
        "supply": "2 other providers nearby charge",
        "fill": "Your opening hours were 0% booked (0 of",
        "apply": "Apply this price to Coupe signature",
        "applied": "The price of Coupe signature is now $47.50.",
        "days": "Period (days)",
        "show": "Show the suggestions",
        "bad_days": "Some information is missing or not valid. (days must be between 7 and 365)",
    },
    "fr": {
        "title": "Suggestions de prix",
        "lower": "Baisser le prix",
        "range": "de 42,50 $ à 50,00 $",
        "supply": "2 autres prestataires des environs demandent de",
        "fill": "Vos heures d\u2019ouverture étaient réservées à 0\u00a0%",
        "apply": "Appliquer ce prix à Coupe signature",
        "applied": "Le prix de Coupe signature est maintenant de 47,50",
        "days": "Période (jours)",
        "show": "Afficher les suggestions",
        "bad_days": "Valeur non valide : période (7 à 365 jours).",
    },
}


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_a_provider_reads_its_price_suggestions_and_applies_one(
    page: Page, web: WebStack, admin: psycopg.Connection[Any], locale: str
) -> None:
    w = PRICING[locale]
    email = fresh_email(f"pricer-{locale}")
    owner = create_user(
        admin, "provider", email=email, password=PASSWORD, locale=locale, full_name="Gérard Prix"
    )
    # far from every other test's provider: no peers, no market
    lat = {"en": 46.81, "fr": 48.42}[locale]
    provider = catalog.create_provider(admin, owner_id=owner, lat=lat, lng=-71.21)
    catalog.add_hours(admin, provider, range(7), "09:00", "17:00")
    service = catalog.create_service(admin, provider, name="Coupe signature", price_cents=5000)
    for price in (3000, 3400):  # two cheaper peers nearby
        peer = catalog.create_provider(admin, lat=lat + 0.01, lng=-71.21)
        catalog.create_service(admin, peer, price_cents=price)
    sign_in(page, web, email, locale)
    page.get_by_role("link", name="Prices" if locale == "en" else "Prix", exact=True).click()
    expect(page.get_by_role("heading", name=w["title"])).to_be_visible()
    card = page.locator("section.price-suggestion")
    expect(card).to_have_count(1)
    # open every day and never booked, dearer than its peers: lower, down to -15 %
    expect(card.locator(".suggestion")).to_have_text(w["lower"])
    expect(card).to_contain_text(w["range"])
    expect(card.locator("li[data-kind=supply]")).to_contain_text(w["supply"])
    expect(card.locator("li[data-kind=fill]")).to_contain_text(w["fill"])
    price = card.get_by_label("New price ($)" if locale == "en" else "Nouveau prix ($)")
    expect(price).to_have_value("42.50")
    shoot(page, f"pricing-{locale}")
    no_english(page, locale)

    price.fill("47.50")
    card.get_by_role("button", name=w["apply"]).click()
    expect(page.get_by_role("status").filter(has_text=w["applied"])).to_be_visible()
    assert admin.execute(
        "select price_cents from app.services where id = %s", (service,)
    ).fetchone() == (4750,)
    expect(page.locator("section.price-suggestion dd").first).to_contain_text("47")
    shoot(page, f"pricing-applied-{locale}")

    # a period the API refuses: its 400, naming the field
    page.get_by_label(w["days"]).fill("3")
    page.get_by_role("button", name=w["show"]).click()
    expect(page.get_by_role("alert")).to_contain_text(w["bad_days"])
    shoot(page, f"pricing-bad-days-{locale}")
    no_english(page, locale)


RANKING = {
    "en": {
        "nav": "Ranking",
        "title": "Ranking versions",
        "active": "Version {v} ranks the quotes now.",
        "activate": "Activate version {v}",
        "rollback": "Roll back to version {v}",
        "yes": "Yes, make version {v} active",
        "conflict": "Version {v} cannot be activated: it did not beat version 2 offline",
        "done": "Version {v} now ranks the quotes.",
        "reason": "Reason",
    },
    "fr": {
        "nav": "Classement",
        "title": "Versions du classement",
        "active": "La version {v} classe les devis en ce moment.",
        "activate": "Activer la version {v}",
        "rollback": "Revenir à la version {v}",
        "yes": "Oui, activer la version {v}",
        "conflict": "La version {v} ne peut pas être activée : elle n\u2019a pas battu la version 2",
        "done": "La version {v} classe maintenant les devis.",
        "reason": "Motif",
    },
}


def _trained(admin: psycopg.Connection[Any], better: bool) -> int:
    """A trained version evaluated against version 2 (the active one), better or worse."""
    candidate = {"log_likelihood": -1.5 if better else -1.9, "ndcg_at_5": 0.6 if better else 0.4}
    row = admin.execute(
        "select internal.add_ranking_version(%s::jsonb, array[0, -0.3], %s::jsonb, 'a test fit')",
        (
            json.dumps(
                {"distance": 0.3, "rating": 0.4, "price": 0.2, "reliability": 0.1, "personal": 0.2}
            ),
            json.dumps(
                {
                    "baseline_version": 2,
                    "candidate": candidate,
                    "baseline": {"log_likelihood": -1.7, "ndcg_at_5": 0.5},
                }
            ),
        ),
    ).fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_ops_see_the_ranking_versions_activate_a_better_one_and_roll_back(
    page: Page, web: WebStack, admin: psycopg.Connection[Any], locale: str
) -> None:
    w = RANKING[locale]
    worse, better = _trained(admin, better=False), _trained(admin, better=True)
    email = fresh_email(f"ops-ranking-{locale}")
    create_user(admin, "ops", email=email, password=PASSWORD, locale=locale, full_name="Odile Ops")
    sign_in(page, web, email, locale)
    page.get_by_role("link", name=w["nav"], exact=True).click()
    expect(page.get_by_role("heading", name=w["title"])).to_be_visible()
    expect(page.locator(".ranking-active")).to_have_text(w["active"].format(v=2))
    expect(page.locator(f"tr[data-version='{better}']")).to_contain_text("NDCG@5")
    expect(page.locator(f"tr[data-version='{better}']")).to_contain_text(
        "0.6" if locale == "en" else "0,6"
    )
    shoot(page, f"ops-ranking-{locale}")
    no_english(page, locale)

    # the worse fit: the database refuses it (409), in words
    page.get_by_role("button", name=w["activate"].format(v=worse)).click()
    form = page.locator("form.panel")
    form.get_by_label(w["reason"]).fill("try the worse one")
    form.get_by_role("button", name=w["activate"].format(v=worse)).click()
    form.get_by_role("button", name=w["yes"].format(v=worse)).click()
    expect(page.get_by_role("alert")).to_contain_text(w["conflict"].format(v=worse))
    expect(page.locator(".ranking-active")).to_have_text(w["active"].format(v=2))
    shoot(page, f"ops-ranking-refused-{locale}")
    no_english(page, locale)

    # the better one ships, then ops roll back to version 2
    page.get_by_role("button", name=w["activate"].format(v=better)).click()
    form.get_by_label(w["reason"]).fill("beat version 2 offline")
    form.get_by_role("button", name=w["activate"].format(v=better)).click()
    form.get_by_role("button", name=w["yes"].format(v=better)).click()
    expect(page.get_by_role("status").filter(has_text=w["done"].format(v=better))).to_be_visible()
    expect(page.locator(".ranking-active")).to_have_text(w["active"].format(v=better))
    page.get_by_role("button", name=w["rollback"].format(v=2)).click()
    form.get_by_label(w["reason"]).fill("roll back")
    form.get_by_role("button", name=w["rollback"].format(v=2)).click()
    form.get_by_role("button", name=w["yes"].format(v=2)).click()
    expect(page.locator(".ranking-active")).to_have_text(w["active"].format(v=2))
    shoot(page, f"ops-ranking-rolled-back-{locale}")
    assert admin.execute("select version from app.ranking_versions where is_active").fetchone() == (
        2,
    )
    actions = admin.execute(
        "select count(*) from audit.action_log where action = 'ranking.activated'"
    ).fetchone()
    assert actions is not None and actions[0] >= 2


WHY_RISK = {  # the fresh shop's risk under the model below is low: "reliable", with a number
    "en": re.compile(r"reliable at this time: \d+\.\d % risk of a cancellation or no-show"),
    "fr": re.compile(
        r"fiable à cette heure : \d+,\d % de risque d\u2019annulation ou d\u2019absence"
    ),
}


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_the_why_panel_shows_the_quality_term_when_the_ranking_weighs_it(
    page: Page, web: WebStack, admin: psycopg.Connection[Any], locale: str
) -> None:
    """With a quality version and a ranking version that weighs it (w_quality > 0), an
    offer's "why" lists the predicted risk, in the customer's language, as a penalty
    (negative points); the versions active before come back afterwards."""
    active = admin.execute("select version from app.ranking_versions where is_active").fetchone()
    quality = admin.execute("select version from app.quality_versions where is_active").fetchone()
    assert active is not None
    model = admin.execute(
        "insert into app.quality_versions (version, features, coefficients, source) "
        "select coalesce(max(version), 0) + 1, internal.quality_feature_names(), "
        "array[2.0, 1.5, 0.1, -0.1, 0.3, 0.2, 0.25, -0.05, 0.2], 'fixed' "
        "from app.quality_versions returning version"
    ).fetchone()
    assert model is not None
    admin.execute("select internal.activate_quality_version(%s, 'why panel test')", (model[0],))
    ranking = admin.execute(
        "insert into app.ranking_versions (version, w_distance, w_rating, w_price, "
        "w_reliability, w_personal, w_quality, source, note) "
        "select (select max(version) + 1 from app.ranking_versions), w_distance, w_rating, "
        "w_price, w_reliability, w_personal, 0.5, 'fixed', 'why panel test' "
        "from app.ranking_versions where is_active returning version"
    ).fetchone()
    assert ranking is not None
    admin.execute("select internal.activate_ranking_version(%s, 'why panel test')", (ranking[0],))
    try:
        # far from every other test's provider: this one is the only offer
        lat = {"en": 45.21, "fr": 45.23}[locale]
        bk.open_shop(admin, lat=lat, lng=-72.9, name="Coupe prudente")
        email = fresh_email(f"why-{locale}")
        create_user(
            admin, "customer", email=email, password=PASSWORD, locale=locale, full_name="Céline Lu"
        )
        sign_in(page, web, email, locale)
        start = catalog.next_weekday(2, at="11:00")
        page.locator("#search-category").select_option("haircut")
        page.locator("#search-place").select_option("custom")
        page.locator("#search-lat").fill(str(lat))
        page.locator("#search-lng").fill("-72.9")
        page.locator("#search-date").fill(start.date().isoformat())
        page.locator("#search-time").fill("11:00")
        page.locator("#search-radius").fill("1")
        find = {"en": "Find offers", "fr": "Chercher des offres"}[locale]
        page.get_by_role("button", name=find).click()
        why = page.locator(".offer").filter(has_text="Coupe prudente").locator(".why")
        expect(why).to_contain_text(WHY_RISK[locale])
        risk = why.locator("li").filter(has_text=WHY_RISK[locale])
        expect(risk).to_contain_text(re.compile(r"\(\u2212\d+ points\)"))
        shoot(page, f"why-quality-{locale}")
        no_english(page, locale)
    finally:
        admin.execute("select internal.activate_ranking_version(%s, 'test done')", (active[0],))
        if quality is not None:
            admin.execute("select internal.activate_quality_version(%s, 'test done')", quality)
