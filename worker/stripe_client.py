"""Stripe through the official SDK: configured from the environment, every write idempotent.

The client takes its key from STRIPE_SECRET_KEY and its base address from
STRIPE_API_BASE (localstripe in development and tests), and never retries on
its own (``max_network_retries=0``): the worker's retry policy does, with
backoff, across processes and restarts.

Every POST carries an idempotency key derived from the *effect* it performs
(``booking:<id>:create_intent``, ``refund:<ledger id>``), never a random one
(the SDK would otherwise invent one per call, which protects nothing across a
retry). Stripe keeps a key for 24 hours; a replay from the dead-letter queue
can come later than that, so each create first looks for the object an
earlier attempt made (by the metadata it was given) and returns it.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, cast

import stripe

from worker import settings as settings_mod
from worker.errors import PermanentError

TIMEOUT_SECONDS = 30
_SAFE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


def make_client(settings: settings_mod.StripeSettings | None = None) -> stripe.StripeClient:
    s = settings or settings_mod.stripe_account()
    return stripe.StripeClient(
        s.stripe_secret_key,
        base_addresses={"api": s.stripe_api_base.rstrip("/")},
        max_network_retries=0,
        http_client=stripe.HTTPXClient(timeout=TIMEOUT_SECONDS, allow_sync_methods=True),
    )


@cache
def client() -> stripe.StripeClient:
    """The process's client, configured once from the environment."""
    return make_client()


def _checked_id(name: str, value: object) -> str:
    text = str(value)
    if not _SAFE_ID.match(text):
        raise PermanentError(f"{name} {text!r} is not a valid identifier")
    return text


def effect_key(*parts: object) -> str:
    """An idempotency key naming one effect, e.g. ``effect_key('refund', 42)`` -> ``refund:42``."""
    if not parts:
        raise ValueError("an effect key needs at least one part")
    key = ":".join(_checked_id("key part", p) for p in parts)
    if len(key) > 255:  # Stripe's limit
        raise ValueError("an idempotency key is at most 255 characters")
    return key


def intent_key(booking_id: object) -> str:
    return effect_key("booking", booking_id, "create_intent")


def refund_key(ledger_id: object) -> str:
    return effect_key("refund", ledger_id)


def customer_key(user_id: object) -> str:
    return effect_key("customer", user_id)


def balance_key(booking_id: object) -> str:
    return effect_key("balance", booking_id)


def account_key(provider_id: object) -> str:
    return effect_key("provider", provider_id, "create_account")


def account_link_key(link_request_id: object) -> str:
    return effect_key("payout_link", link_request_id)


def find_account(sc: stripe.StripeClient, provider_id: object) -> stripe.Account | None:
    """The Express account an earlier attempt created for this provider, if any."""
    pid = _checked_id("provider_id", provider_id)
    for account in sc.v1.accounts.list(params={"limit": 100}).auto_paging_iter():
        if metadata(account).get("provider_id") == pid:
            return account
    return None


def create_account(
    sc: stripe.StripeClient,
    *,
    provider_id: object,
    email: str | None,
    business_name: str | None,
    find_existing: bool = True,
) -> stripe.Account:
    """Create the provider's Express account once (card payments and transfers requested)."""
    pid = _checked_id("provider_id", provider_id)
    key = account_key(pid)
    if find_existing:
        existing = find_account(sc, pid)
        if existing is not None:
            return existing
    params: dict[str, Any] = {
        "type": "express",
        "country": "CA",
        "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
        "metadata": {"provider_id": pid, "effect": key},
    }
    if email:
        params["email"] = email
    if business_name:
        params["business_profile"] = {"name": business_name}
    return sc.v1.accounts.create(params=cast(Any, params), options={"idempotency_key": key})


def create_account_link(
    sc: stripe.StripeClient,
    *,
    account: str,
    link_request_id: object,
    return_url: str,
    refresh_url: str,
) -> stripe.AccountLink:
    """The onboarding link of one link request (a retry gets the same link back)."""
    return sc.v1.account_links.create(
        params={
            "account": _checked_id("account", account),
            "type": "account_onboarding",
            "return_url": return_url,
            "refresh_url": refresh_url,
        },
        options={"idempotency_key": account_link_key(link_request_id)},
    )


def metadata(obj: Any) -> dict[str, str]:
    """An object's metadata as a plain dict (the SDK's StripeObject is not one)."""
    meta = getattr(obj, "metadata", None)
    if meta is None:
        return {}
    if hasattr(meta, "to_dict"):
        return {str(k): str(v) for k, v in meta.to_dict().items()}
    return {str(k): str(v) for k, v in dict(meta).items()}


def find_payment_intent(sc: stripe.StripeClient, booking_id: object) -> stripe.PaymentIntent | None:
    """The PaymentIntent an earlier attempt created for this booking, if any."""
    bid = _checked_id("booking_id", booking_id)
    key = intent_key(bid)
    try:
        found = sc.v1.payment_intents.search(
            params={"query": f"metadata['booking_id']:'{bid}'", "limit": 10}
        )
        candidates: Any = found.data
    except stripe.InvalidRequestError as exc:
        if exc.http_status != 404:
            raise
        # no search on this server (localstripe; some Stripe regions): list and match
        candidates = sc.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
    for pi in candidates:
        meta = metadata(pi)
        if meta.get("booking_id") == bid and meta.get("effect", key) == key:
            return cast(stripe.PaymentIntent, pi)
    return None


def create_payment_intent(
    sc: stripe.StripeClient,
    *,
    booking_id: object,
    amount: int,
    currency: str,
    customer: str | None = None,
    metadata: dict[str, str] | None = None,
    find_existing: bool = True,
    destination: str | None = None,
    application_fee: int = 0,
    save_card: bool = False,
) -> stripe.PaymentIntent:
    """Create the booking's PaymentIntent once, whatever the number of attempts or replays.

    With ``destination`` it is a destination charge: ``transfer_data[destination]`` is the
    provider's connected account and ``application_fee_amount`` the platform's commission
    (sent only when positive: Stripe takes no fee of 0 on a charge without one). With
    ``save_card`` (the customer's consent, and a ``customer``), Stripe attaches the card
    to the Customer when the payment succeeds (``setup_future_usage=off_session``)."""
    bid = _checked_id("booking_id", booking_id)
    key = intent_key(bid)
    if find_existing:
        existing = find_payment_intent(sc, bid)
        if existing is not None:
            return existing
    params: dict[str, Any] = {
        "amount": amount,
        "currency": currency,
        "metadata": {**(metadata or {}), "booking_id": bid, "effect": key},
    }
    if customer is not None:
        params["customer"] = _checked_id("customer", customer)
        if save_card:
            params["setup_future_usage"] = "off_session"
    if destination is not None:
        params["transfer_data"] = {"destination": _checked_id("destination", destination)}
        if application_fee > 0:
            params["application_fee_amount"] = application_fee
    return sc.v1.payment_intents.create(params=cast(Any, params), options={"idempotency_key": key})


def find_customer(sc: stripe.StripeClient, user_id: object) -> stripe.Customer | None:
    """The Customer an earlier attempt created for this user, if any."""
    uid = _checked_id("user_id", user_id)
    for customer in sc.v1.customers.list(params={"limit": 100}).auto_paging_iter():
        if metadata(customer).get("user_id") == uid:
            return customer
    return None


def create_customer(
    sc: stripe.StripeClient, *, user_id: object, find_existing: bool = False
) -> stripe.Customer:
    """The user's Stripe Customer, created once (key ``customer:<user id>``); it holds the
    cards the user saved for off-session charges. No personal data is sent but the id."""
    uid = _checked_id("user_id", user_id)
    key = customer_key(uid)
    if find_existing:
        existing = find_customer(sc, uid)
        if existing is not None:
            return existing
    return sc.v1.customers.create(
        params={"metadata": {"user_id": uid, "effect": key}}, options={"idempotency_key": key}
    )


def charge_balance(
    sc: stripe.StripeClient,
    *,
    booking_id: object,
    amount: int,
    currency: str,
    customer: str,
    payment_method: str,
    destination: str | None = None,
    application_fee: int = 0,
) -> stripe.PaymentIntent:
    """Charge a booking's balance to the saved card, off-session, once (key
    ``balance:<booking id>``; Stripe answers a retry with the first answer, a card error
    included). A decline or a card that asks for authentication raises ``stripe.CardError``
    whose ``payment_intent`` is the intent left to confirm on session. The balance's
    intent carries ``metadata[balance_of]`` (not ``booking_id``: it is not the deposit's)."""
    bid = _checked_id("booking_id", booking_id)
    key = balance_key(bid)
    params: dict[str, Any] = {
        "amount": amount,
        "currency": currency,
        "customer": _checked_id("customer", customer),
        "payment_method": _checked_id("payment_method", payment_method),
        "off_session": True,
        "confirm": True,
        "metadata": {"balance_of": bid, "effect": key},
    }
    if destination is not None:
        params["transfer_data"] = {"destination": _checked_id("destination", destination)}
        if application_fee > 0:
            params["application_fee_amount"] = application_fee
    return sc.v1.payment_intents.create(params=cast(Any, params), options={"idempotency_key": key})


def find_refund(
    sc: stripe.StripeClient, payment_intent: str, ledger_id: object
) -> stripe.Refund | None:
    """The refund an earlier attempt made for this ledger entry, if any."""
    lid = _checked_id("ledger_id", ledger_id)
    refunds = sc.v1.refunds.list(params={"payment_intent": payment_intent, "limit": 100})
    for r in refunds.auto_paging_iter():
        if metadata(r).get("refund_ledger_id") == lid:
            return r
    return None


def create_refund(
    sc: stripe.StripeClient,
    *,
    ledger_id: object,
    payment_intent: str,
    amount: int | None = None,
    metadata: dict[str, str] | None = None,
    find_existing: bool = True,
    reverse_transfer: bool = False,
    refund_application_fee: bool = False,
) -> stripe.Refund:
    """Refund once per ledger entry, whatever the number of attempts or replays.

    A destination charge's refund says how it unwinds: ``reverse_transfer`` takes the
    provider's share back, ``refund_application_fee`` gives the platform's fee back
    (each proportionally, at Stripe)."""
    lid = _checked_id("ledger_id", ledger_id)
    key = refund_key(lid)
    if find_existing:
        existing = find_refund(sc, payment_intent, lid)
        if existing is not None:
            return existing
    params: dict[str, Any] = {
        "payment_intent": payment_intent,
        "metadata": {**(metadata or {}), "refund_ledger_id": lid, "effect": key},
    }
    if amount is not None:
        params["amount"] = amount
    if reverse_transfer:
        params["reverse_transfer"] = True
    if refund_application_fee:
        params["refund_application_fee"] = True
    return sc.v1.refunds.create(params=cast(Any, params), options={"idempotency_key": key})


def owed_transfer_key(booking_id: object, attempt: int = 1, balance: bool = False) -> str:
    """``owed:<booking id>``, then ``owed:<booking id>:<attempt>`` for a later attempt after
    Stripe refused one (a refusal is answered again under the same key); ``owed_balance:...``
    for the share of a balance the platform charged to the card."""
    kind = "owed_balance" if balance else "owed"
    if attempt <= 1:
        return effect_key(kind, booking_id)
    return effect_key(kind, booking_id, attempt)


def owed_reversal_key(refund_id: object) -> str:
    return effect_key("owed_reversal", refund_id)


def find_transfer(sc: stripe.StripeClient, destination: str, key: str) -> stripe.Transfer | None:
    """The transfer an earlier attempt made under this effect key, if any."""
    params: dict[str, Any] = {"destination": _checked_id("destination", destination), "limit": 100}
    for t in sc.v1.transfers.list(params=cast(Any, params)).auto_paging_iter():
        if metadata(t).get("effect") == key:
            return t
    return None


def charge_of(sc: stripe.StripeClient, payment_intent: str | None) -> str | None:
    """The charge of a succeeded PaymentIntent (a transfer's ``source_transaction``)."""
    if payment_intent is None:
        return None
    latest: Any = sc.v1.payment_intents.retrieve(
        _checked_id("payment_intent", payment_intent)
    ).latest_charge
    if latest is None:
        return None
    return str(latest if isinstance(latest, str) else latest.id)


def create_owed_transfer(
    sc: stripe.StripeClient,
    *,
    booking_id: object,
    attempt: int,
    destination: str,
    amount: int,
    currency: str,
    source_transaction: str | None,
    metadata: dict[str, str] | None = None,
    find_existing: bool = True,
    balance: bool = False,
) -> stripe.Transfer:
    """Transfer what the platform owes for a booking to the provider's account, once per
    attempt. ``source_transaction`` ties it to the charge that collected the money, so it
    can leave before that charge's funds are available (Stripe's separate charges and
    transfers). ``balance``: the share of a balance the platform charged to the card, sourced
    from the balance's charge (key ``owed_balance:<booking id>``)."""
    bid = _checked_id("booking_id", booking_id)
    key = owed_transfer_key(bid, attempt, balance)
    if find_existing:
        existing = find_transfer(sc, destination, key)
        if existing is not None:
            return existing
    params: dict[str, Any] = {
        "amount": amount,
        "currency": currency,
        "destination": _checked_id("destination", destination),
        "transfer_group": f"booking_{bid}",
        "metadata": {**(metadata or {}), "booking_id": bid, "effect": key},
    }
    if source_transaction is not None:
        params["source_transaction"] = _checked_id("source_transaction", source_transaction)
    return sc.v1.transfers.create(params=cast(Any, params), options={"idempotency_key": key})


def find_transfer_reversal(
    sc: stripe.StripeClient, transfer: str, key: str
) -> stripe.TransferReversal | None:
    for r in sc.v1.transfers.reversals.list(
        _checked_id("transfer", transfer), params={"limit": 100}
    ).auto_paging_iter():
        if metadata(r).get("effect") == key:
            return r
    return None


def reverse_owed_transfer(
    sc: stripe.StripeClient,
    *,
    transfer: str,
    refund_id: object,
    amount: int,
    find_existing: bool = True,
) -> stripe.TransferReversal:
    """Take a refund's share back from an owed transfer, once per refund."""
    rid = _checked_id("refund_id", refund_id)
    key = owed_reversal_key(rid)
    if find_existing:
        existing = find_transfer_reversal(sc, transfer, key)
        if existing is not None:
            return existing
    return sc.v1.transfers.reversals.create(
        _checked_id("transfer", transfer),
        params={"amount": amount, "metadata": {"refund_ledger_id": rid, "effect": key}},
        options={"idempotency_key": key},
    )


def refund_reversal_key(refund_id: object) -> str:
    return effect_key("refund_reversal", refund_id)


def transfer_of(sc: stripe.StripeClient, payment_intent: str | None) -> str | None:
    """The transfer a destination charge made to the provider's account (``charge.transfer``)."""
    charge = charge_of(sc, payment_intent)
    if charge is None:
        return None
    transfer: Any = sc.v1.charges.retrieve(charge).transfer
    if transfer is None:
        return None
    return str(transfer if isinstance(transfer, str) else transfer.id)


def reverse_transfer_apart(
    sc: stripe.StripeClient,
    *,
    transfer: str,
    refund_id: object,
    amount: int,
    find_existing: bool = True,
) -> stripe.TransferReversal:
    """Take a late cancellation's refund back from the destination charge's transfer, once per
    refund (key ``refund_reversal:<refund id>``). The refund was made without
    ``reverse_transfer``, which Stripe always applies in proportion: here the amount is the
    ledger's (the whole refund, up to what is left of the transfer), and no fee is refunded."""
    rid = _checked_id("refund_id", refund_id)
    key = refund_reversal_key(rid)
    if find_existing:
        existing = find_transfer_reversal(sc, transfer, key)
        if existing is not None:
            return existing
    return sc.v1.transfers.reversals.create(
        _checked_id("transfer", transfer),
        params={"amount": amount, "metadata": {"refund_ledger_id": rid, "effect": key}},
        options={"idempotency_key": key},
    )
