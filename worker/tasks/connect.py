"""Stripe Connect onboarding: a provider's Express account and its onboarding link.

``connect.onboard`` (queued by ``api.start_payout_onboarding``) asks SQL what to do
(``internal.payout_onboarding_action``): create the account (once per provider, key
``provider:<id>:create_account``), then the link of this request (key
``payout_link:<link request id>``), each recorded through an ``internal`` entry point that
checks the state. A link request superseded by a newer one is skipped. The link's
return and refresh pages are the web app's (APP_URL): Stripe sends the provider back
there when onboarding is done, or when the link has expired (the page asks for a new
one). What the account can do arrives later, by ``account.updated`` webhooks.
"""

from __future__ import annotations

import logging
from typing import Any

from worker import registry, stripe_client
from worker import settings as settings_mod
from worker.errors import PermanentError
from worker.messages import OnboardMessage, OnboardStep
from worker.tasks.payments import _replayed_late, _value

log = logging.getLogger("bookiji.tasks.connect")
RETURN_PATH = "/provider/payouts?onboarding=return"
REFRESH_PATH = "/provider/payouts?onboarding=refresh"


def _step(ctx: registry.Context, msg: OnboardMessage) -> OnboardStep:
    row = _value(
        ctx,
        "payout_onboarding_action",
        {"provider_id": msg.provider_id, "link_request_id": msg.link_request_id},
    )
    if row is None:
        raise PermanentError(f"no such provider: {msg.provider_id}")
    return OnboardStep.from_row(dict(row))


@registry.handler("connect.onboard")
def onboard(ctx: registry.Context, body: dict[str, Any]) -> None:
    msg = OnboardMessage.parse(body)
    step = _step(ctx, msg)
    if step.action == "skip":
        log.info("provider %s: %s", step.provider_id, step.reason)
        return
    sc = stripe_client.client()
    account_id = step.stripe_account_id
    if step.action == "create_account":
        account = stripe_client.create_account(
            sc,
            provider_id=step.provider_id,
            email=step.email,
            business_name=step.business_name,
            find_existing=_replayed_late(ctx),
        )
        _value(
            ctx,
            "record_payout_account",
            {"provider_id": step.provider_id, "account_id": account.id},
        )
        account_id = account.id
    assert account_id is not None  # create_link: SQL saw the account
    app_url = settings_mod.env("APP_URL").rstrip("/")
    link = stripe_client.create_account_link(
        sc,
        account=account_id,
        link_request_id=step.link_request_id,
        return_url=app_url + RETURN_PATH,
        refresh_url=app_url + REFRESH_PATH,
    )
    outcome = _value(
        ctx,
        "record_payout_link",
        {
            "provider_id": step.provider_id,
            "link_request_id": step.link_request_id,
            "url": link.url,
            "expires_at": int(link.expires_at),
        },
    )
    log.info("provider %s: onboarding link %s", step.provider_id, outcome)
