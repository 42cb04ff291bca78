"""Accounts in the browser: a session survives a reload and ends at sign-out, tokens are
rotated silently, the emailed links (password reset, email confirmation) open the app."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from tests.helpers.api import signup
from tests.helpers.browser import PASSWORD, WebStack, fresh_email, shoot
from tests.helpers.mailbox import text_of
from tests.helpers.waiting import until


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
    # the response event fires before the app has read the body and stored the new pair:
    # wait for the store (a loaded machine showed the old token when read at once)
    page.wait_for_function("old => sessionStorage.getItem('bookiji.refresh') !== old", arg=before)
    after = page.evaluate("sessionStorage.getItem('bookiji.refresh')")
    assert after and after != before

    # the new session works, and the old refresh token is spent
    page.get_by_role("link", name="My bookings").click()
    expect(page.get_by_role("heading", name="My bookings")).to_be_visible()
    expect(page.get_by_text("No bookings yet.")).to_be_visible()
    spent = httpx.post(f"{web.url}/rpc/refresh", json={"refresh_token": before})
    assert spent.status_code == 401, spent.text


def test_the_confirmation_email_links_to_a_page_that_confirms_the_address(
    page: Page, web: WebStack
) -> None:
    email = fresh_email("confirm")
    page.goto(web.app + "signup")
    page.get_by_label("Full name").fill("Confirming Customer")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Signed in as Confirming Customer")).to_be_visible()

    mail = until(
        lambda: [m for m in web.mailbox.to(email) if "Confirm" in str(m["Subject"])],
        30,
        "the confirmation email",
    )
    link = re.search(r"(http://\S+/app/confirm-email\?token=\S+)", text_of(mail[0]))
    assert link is not None, text_of(mail[0])
    page.goto(link.group(1))
    page.get_by_role("button", name="Confirm my email address").click()
    expect(page.get_by_role("status")).to_have_text("Your email address is confirmed. Thank you.")
    shoot(page, "email-confirmed")
    token = httpx.post(f"{web.url}/rpc/login", json={"email": email, "password": PASSWORD}).json()
    me = httpx.get(
        f"{web.url}/rpc/me", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert me.json()["email_confirmed"] is True

    # the same link twice: the code is spent, said in a sentence
    page.goto(link.group(1))
    page.get_by_role("button", name="Confirm my email address").click()
    expect(page.get_by_role("alert")).to_have_text(
        "This code is unknown, already used or expired. Ask for a new one."
    )
