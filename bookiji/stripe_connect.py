"""Stripe Connect for the development Stripe fake (localstripe has none; docs/operations.md).

Installed on localstripe's aiohttp app by ``bookiji localstripe`` (bookiji/services.py)
before it starts; the installed package is not edited. Field names, parameters, events
and refusals follow Stripe's API reference, so that the product's calls are those of
the real API and pointing ``STRIPE_API_BASE`` at Stripe is the only change:

- ``Account`` (``type=express``: create, retrieve, update, list, delete) and
  ``AccountLink`` (create): the link's ``url`` is served by the fake; opening it (GET)
  completes onboarding (``details_submitted``, ``charges_enabled``, ``payouts_enabled``,
  capabilities ``active``, requirements cleared), sends a signed ``account.updated``
  and redirects to ``return_url``; an expired or used link redirects to
  ``refresh_url``, as Stripe does.
- Destination charges: PaymentIntent ``transfer_data[destination]`` and
  ``application_fee_amount`` (validated as Stripe does); when the charge succeeds, a
  ``Transfer`` of amount - fee to the destination and an ``ApplicationFee`` are
  created and linked from the charge (``charge.transfer``, ``charge.application_fee``),
  with ``transfer.created`` and ``application_fee.created``.
- Refunds with ``reverse_transfer`` / ``refund_application_fee``: a proportional
  ``TransferReversal`` (``refund.transfer_reversal``, ``transfer.reversed``) and
  ``ApplicationFeeRefund`` (``application_fee.refunded``); the refund that completes the
  charge takes what is left, so the totals match to the cent.
- ``confirm`` with ``off_session=true`` (on create or as its own call) on a saved
  payment method; a card that requires authentication (4000002760003184, 4000002500003155
  ...) is then declined with ``authentication_required`` (HTTP 402 ``card_error``; the
  PaymentIntent goes back to ``requires_payment_method`` with ``last_payment_error``,
  and ``payment_intent.payment_failed`` is sent).
- Saved cards: PaymentIntent ``setup_future_usage`` (``off_session`` or ``on_session``):
  when the payment succeeds, its payment method is attached to the intent's ``customer``,
  as Stripe does, so that it can be charged off-session later. A card declined on confirm
  (4000000000000341 once attached, 4000000000000002 ...) answers as Stripe does: HTTP 402
  ``card_error`` carrying the ``payment_intent`` (back to ``requires_payment_method``,
  its ``last_payment_error`` set), which the customer may confirm again on session.
- Transfers (``/v1/transfers``, with ``/reversals``) and application fees
  (``/v1/application_fees``, with ``/refunds``) can be listed and retrieved; a transfer
  can also be created on its own (separate charges and transfers). One with a
  ``source_transaction`` is refused (400 ``balance_insufficient``, ``param=amount``) for more
  than that charge still has: what it captured less its refunds and the transfers already
  made from it, net of their reversals.
"""

from __future__ import annotations

import secrets
import time
from typing import Any, cast

from aiohttp import web
from aiohttp.typedefs import Handler
from localstripe.errors import UserError
from localstripe.resources import (
    Charge,
    Event,
    List,
    PaymentIntent,
    PaymentMethod,
    Refund,
    StripeObject,
    random_id,
    store,
    try_convert_to_bool,
    try_convert_to_int,
)
from localstripe.server import (
    api_create,
    api_delete,
    api_list_all,
    api_retrieve,
    get_post_data,
    json_response,
)
from localstripe.webhooks import schedule_webhook

APPLICATION = "ca_bookijidevelopment"  # the platform's Connect application, as fees name it
LINK_LIFETIME = 300  # seconds, as Stripe's account links
ONBOARDING_PATH = "/connect/onboarding/"
REQUIREMENTS_DUE = ["business_type", "external_account", "tos_acceptance.date", "tos_acceptance.ip"]
AUTHENTICATION_REQUIRED = "Your card was declined. This transaction requires authentication."


class StripeError(UserError):  # type: ignore[misc]
    """An error answered like Stripe's: ``{"error": {type, code, message, param, ...}}``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        type: str = "invalid_request_error",
        **extra: Any,
    ) -> None:
        super().__init__(status, message)
        body: dict[str, Any] = {"type": type, "message": message, **extra}
        if param is not None:
            body["param"] = param
        if code is not None:
            body["code"] = code
        self.body = {"error": body}


def invalid(message: str, param: str | None = None, code: str | None = None) -> StripeError:
    return StripeError(400, message, param=param, code=code)


def missing(kind: str, id_: Any, param: str) -> StripeError:
    return StripeError(404, f"No such {kind}: '{id_}'", param=param, code="resource_missing")


def refuse_unknown(kwargs: dict[str, Any]) -> None:
    if kwargs:
        name = next(iter(kwargs))
        raise invalid(f"Received unknown parameter: {name}", param=name)


def as_int(value: Any, param: str, minimum: int = 0) -> int:
    number = try_convert_to_int(value)
    if not isinstance(number, int) or isinstance(number, bool) or number < minimum:
        raise invalid(f"Invalid integer: {value}", param=param)
    return number


def as_bool(value: Any, param: str) -> bool:
    flag = try_convert_to_bool(value)
    if not isinstance(flag, bool):
        raise invalid(f"Invalid boolean: {value}", param=param)
    return flag


def as_dict(value: Any, param: str) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise invalid(f"Invalid object: {param} must be a hash", param=param)
    return dict(value)


def respond(body: Any) -> web.StreamResponse:
    return cast(web.StreamResponse, json_response(body))


def find(cls: Any, id_: Any) -> Any:
    return store.get(f"{cls.object}:{id_}") if isinstance(id_, str) else None


def send(event_type: str, obj: Any, account: str | None = None) -> None:
    """A signed webhook, the way localstripe sends its own events (Event + schedule)."""
    event = Event(event_type, obj)
    if account is not None:
        event.account = account  # a connected account's event names it, as Stripe's do
    schedule_webhook(event)


def object_list(url: str, items: list[Any], limit: Any = None, starting_after: Any = None) -> Any:
    li = List(url, limit=limit, starting_after=starting_after)
    li._list = items
    return li


def filtered(cls: Any, url: str, limit: Any, starting_after: Any, **match: Any) -> Any:
    items = [
        value
        for key, value in store.items()
        if key.startswith(cls.object + ":")
        and all(getattr(value, k) == v for k, v in match.items() if v is not None)
    ]
    items.sort(key=lambda o: o.created, reverse=True)
    return object_list(url, items, limit, starting_after)


# --- accounts ------------------------------------------------------------------------


class Account(StripeObject):  # type: ignore[misc]
    object = "account"
    _id_prefix = "acct_"

    def __init__(
        self,
        type: Any = None,
        country: Any = None,
        email: Any = None,
        capabilities: Any = None,
        business_type: Any = None,
        business_profile: Any = None,
        default_currency: Any = None,
        metadata: Any = None,
        **kwargs: Any,
    ) -> None:
        refuse_unknown(kwargs)
        if type is None:
            raise invalid("Missing required param: type.", param="type")
        if type != "express":
            raise invalid(
                f"The development Stripe fake creates Express accounts only, not '{type}'.",
                param="type",
            )
        requested = self._requested(capabilities)
        if "transfers" not in requested:
            raise invalid(
                "Express accounts must request the transfers capability "
                "(capabilities[transfers][requested]=true).",
                param="capabilities",
            )
        profile = as_dict(business_profile, "business_profile")
        meta = as_dict(metadata, "metadata")
        super().__init__()
        self.type = "express"
        self.country = country or "CA"
        self.default_currency = default_currency or "cad"
        self.email = email
        self.business_type = business_type
        self.business_profile = {"mcc": None, "name": None, "url": None, **profile}
        self.metadata = meta
        self.capabilities = dict.fromkeys(requested, "inactive")
        self.charges_enabled = False
        self.payouts_enabled = False
        self.details_submitted = False
        self.requirements = self._requirements(list(REQUIREMENTS_DUE), "requirements.past_due")
        self.future_requirements = self._requirements([], None)
        self.tos_acceptance: dict[str, Any] = {"date": None, "ip": None, "user_agent": None}
        self.settings = {"payouts": {"schedule": {"interval": "daily", "delay_days": 2}}}
        self.controller = {"type": "application", "is_controller": True}

    @staticmethod
    def _requested(capabilities: Any) -> list[str]:
        names = []
        for name, value in as_dict(capabilities, "capabilities").items():
            wanted = as_dict(value, f"capabilities[{name}]").get("requested")
            if as_bool(wanted, f"capabilities[{name}][requested]"):
                names.append(name)
        return names

    @staticmethod
    def _requirements(due: list[str], disabled_reason: str | None) -> dict[str, Any]:
        return {
            "alternatives": [],
            "current_deadline": None,
            "currently_due": list(due),
            "disabled_reason": disabled_reason,
            "errors": [],
            "eventually_due": list(due),
            "past_due": list(due),
            "pending_verification": [],
        }

    @property
    def external_accounts(self) -> Any:
        return object_list(f"/v1/accounts/{self.id}/external_accounts", [])

    def _complete_onboarding(self) -> None:
        self.details_submitted = True
        self.charges_enabled = True
        self.payouts_enabled = True
        self.capabilities = dict.fromkeys(self.capabilities, "active")
        self.requirements = self._requirements([], None)
        self.tos_acceptance = {"date": int(time.time()), "ip": "127.0.0.1", "user_agent": None}
        self.business_type = self.business_type or "individual"
        store.dump_to_disk()
        send("account.updated", self, account=self.id)

    @classmethod
    def _api_retrieve(cls, id: str) -> Any:
        obj = find(cls, id)
        if obj is None:
            raise missing("account", id, "account")
        return obj

    @classmethod
    def _api_update(cls, id: str, **data: Any) -> Any:
        obj = cls._api_retrieve(id)
        allowed = {"email", "business_type", "business_profile", "default_currency"}
        meta = as_dict(data.pop("metadata", None), "metadata")
        capabilities = data.pop("capabilities", None)
        refuse_unknown({k: v for k, v in data.items() if k not in allowed})
        profile = as_dict(data.pop("business_profile", None), "business_profile")
        requested = cls._requested(capabilities) if capabilities is not None else []
        for key, value in data.items():
            setattr(obj, key, value)
        obj.business_profile = {**obj.business_profile, **profile}
        obj.metadata = {**obj.metadata, **meta}
        for name in requested:
            obj.capabilities.setdefault(name, "active" if obj.details_submitted else "inactive")
        send("account.updated", obj, account=obj.id)
        return obj

    @classmethod
    def _api_list_all(
        cls, url: str, limit: Any = None, starting_after: Any = None, **kwargs: Any
    ) -> Any:
        refuse_unknown(kwargs)
        return filtered(cls, url, limit, starting_after)


_links: dict[str, dict[str, Any]] = {}  # onboarding token -> the link's parameters


async def create_account_link(request: web.Request) -> web.StreamResponse:
    data = dict(await get_post_data(request) or {})
    account = data.pop("account", None)
    link_type = data.pop("type", None)
    refresh_url = data.pop("refresh_url", None)
    return_url = data.pop("return_url", None)
    data.pop("collect", None)
    data.pop("expand", None)
    refuse_unknown(data)
    if account is None:
        raise invalid("Missing required param: account.", param="account")
    if link_type is None:
        raise invalid("Missing required param: type.", param="type")
    if link_type not in ("account_onboarding", "account_update"):
        raise invalid("Invalid type: must be one of account_onboarding, account_update", "type")
    for name, url in (("refresh_url", refresh_url), ("return_url", return_url)):
        if url is None:
            raise invalid(f"Missing required param: {name}.", param=name)
        if not (isinstance(url, str) and url.startswith(("http://", "https://"))):
            raise invalid("Not a valid URL", param=name)
    acct = Account._api_retrieve(account)
    token = secrets.token_urlsafe(18)
    now = int(time.time())
    _links[token] = {
        "account": acct.id,
        "type": link_type,
        "refresh_url": refresh_url,
        "return_url": return_url,
        "expires_at": now + LINK_LIFETIME,
    }
    return respond(
        {
            "object": "account_link",
            "created": now,
            "expires_at": now + LINK_LIFETIME,
            "url": f"{request.scheme}://{request.host}{ONBOARDING_PATH}{token}",
        }
    )


def open_account_link(token: str) -> web.StreamResponse:
    """What a provider's browser gets at an account link: onboarding completed at once
    (the fake asks nothing), then Stripe's redirect to ``return_url``; a used or expired
    link goes to ``refresh_url``, where the platform makes a new one."""
    link = _links.pop(token, None)
    if link is None:
        return web.Response(status=404, text="This account link does not exist.\n")
    if link["expires_at"] < time.time():
        raise web.HTTPFound(link["refresh_url"])
    _links[token] = {**link, "expires_at": 0}  # single use: a second visit refreshes
    account = Account._api_retrieve(link["account"])
    if link["type"] == "account_onboarding" and not account.details_submitted:
        account._complete_onboarding()
    raise web.HTTPFound(link["return_url"])


# --- transfers and application fees ----------------------------------------------------


def check_destination(destination: Any, param: str) -> Any:
    account = find(Account, destination)
    if account is None:
        raise missing("destination", destination, param)
    if account.capabilities.get("transfers") != "active" or not account.charges_enabled:
        raise invalid(
            "Your destination account needs to have at least one of the following "
            "capabilities enabled: transfers, crypto_transfers, legacy_payments",
            param=param,
            code="insufficient_capabilities_for_transfer",
        )
    return account


class Transfer(StripeObject):  # type: ignore[misc]
    object = "transfer"
    _id_prefix = "tr_"

    def __init__(
        self,
        amount: Any = None,
        currency: Any = None,
        destination: Any = None,
        source_transaction: Any = None,
        transfer_group: Any = None,
        description: Any = None,
        metadata: Any = None,
        **kwargs: Any,
    ) -> None:
        refuse_unknown(kwargs)
        if amount is None:
            raise invalid("Missing required param: amount.", param="amount")
        # a destination charge whose fee takes it all transfers 0
        amount = as_int(amount, "amount", minimum=0 if source_transaction else 1)
        if not currency:
            raise invalid("Missing required param: currency.", param="currency")
        if destination is None:
            raise invalid("Missing required param: destination.", param="destination")
        check_destination(destination, "destination")
        if source_transaction is not None and find(Charge, source_transaction) is None:
            raise missing("charge", source_transaction, "source_transaction")
        meta = as_dict(metadata, "metadata")
        super().__init__()
        self.amount = amount
        self.currency = str(currency).lower()
        self.destination = destination
        self.destination_payment = "py_" + random_id(24)
        self.source_transaction = source_transaction
        self.source_type = "card"
        self.transfer_group = transfer_group
        self.description = description
        self.metadata = meta
        self.balance_transaction = None

    @property
    def _reversal_objects(self) -> list[Any]:
        return [
            v
            for k, v in store.items()
            if k.startswith("transfer_reversal:") and v.transfer == self.id
        ]

    @property
    def reversals(self) -> Any:
        return object_list(f"/v1/transfers/{self.id}/reversals", self._reversal_objects)

    @property
    def amount_reversed(self) -> int:
        return int(sum(r.amount for r in self._reversal_objects))

    @property
    def reversed(self) -> bool:
        return bool(self.amount_reversed >= self.amount)

    @classmethod
    def _api_create(cls, **data: Any) -> Any:
        charge = find(Charge, data.get("source_transaction"))
        amount = try_convert_to_int(data.get("amount"))
        if charge is not None and isinstance(amount, int):
            available = source_available(charge)
            if amount > available:
                # Stripe: a transfer tied to a charge can only take what that charge still
                # has (what it captured, less its refunds and the transfers made from it)
                raise invalid(
                    f"Insufficient funds on source transaction {charge.id}: the transfer's "
                    f"amount ({amount}) is more than the {available} it has available.",
                    param="amount",
                    code="balance_insufficient",
                )
        obj = cls(**data)
        send("transfer.created", obj)
        return obj

    @classmethod
    def _api_retrieve(cls, id: str) -> Any:
        obj = find(cls, id)
        if obj is None:
            raise missing("transfer", id, "id")
        return obj

    @classmethod
    def _api_update(cls, id: str, **data: Any) -> Any:
        obj = cls._api_retrieve(id)
        meta = as_dict(data.pop("metadata", None), "metadata")
        description = data.pop("description", obj.description)
        refuse_unknown(data)
        obj.metadata = {**obj.metadata, **meta}
        obj.description = description
        return obj

    @classmethod
    def _api_list_all(
        cls,
        url: str,
        limit: Any = None,
        starting_after: Any = None,
        destination: Any = None,
        transfer_group: Any = None,
        **kwargs: Any,
    ) -> Any:
        refuse_unknown(kwargs)
        return filtered(
            cls, url, limit, starting_after, destination=destination, transfer_group=transfer_group
        )

    def _reverse(self, amount: int, source_refund: str | None, metadata: Any = None) -> Any:
        if amount > self.amount - self.amount_reversed:
            raise invalid(
                f"You have attempted to reverse {amount} of a transfer that has "
                f"{self.amount - self.amount_reversed} left.",
                param="amount",
            )
        reversal = TransferReversal(self, amount, source_refund, as_dict(metadata, "metadata"))
        send("transfer.reversed", self)
        return reversal


def source_available(charge: Any) -> int:
    """What a charge can still fund as a transfer's ``source_transaction``: its amount once
    succeeded, less its refunds and the transfers already made from it (net of their
    reversals, which give the funds back)."""
    if charge.status != "succeeded":
        return 0
    sourced = sum(
        t.amount - t.amount_reversed
        for k, t in store.items()
        if k.startswith("transfer:") and t.source_transaction == charge.id
    )
    return int(charge.amount - charge.amount_refunded - sourced)


class TransferReversal(StripeObject):  # type: ignore[misc]
    object = "transfer_reversal"
    _id_prefix = "trr_"

    def __init__(
        self, transfer: Transfer, amount: int, source_refund: str | None, metadata: dict[str, Any]
    ) -> None:
        super().__init__()
        self.amount = amount
        self.currency = transfer.currency
        self.transfer = transfer.id
        self.source_refund = source_refund
        self.destination_payment_refund = "pyr_" + random_id(24)
        self.balance_transaction = None
        self.metadata = metadata


async def transfer_reversals(request: web.Request) -> web.StreamResponse:
    """GET lists a transfer's reversals; POST reverses (part of) it by hand."""
    transfer = Transfer._api_retrieve(request.match_info["id"])
    if request.method == "GET":
        query = dict(request.query)
        return respond(
            object_list(
                f"/v1/transfers/{transfer.id}/reversals",
                transfer._reversal_objects,
                query.get("limit"),
                query.get("starting_after"),
            )._export()
        )
    data = dict(await get_post_data(request) or {})
    left = transfer.amount - transfer.amount_reversed
    amount = as_int(data.pop("amount", left), "amount", minimum=1)
    metadata = data.pop("metadata", None)
    data.pop("expand", None)
    refuse_unknown(data)
    return respond(transfer._reverse(amount, None, metadata)._export())


class ApplicationFee(StripeObject):  # type: ignore[misc]
    object = "application_fee"
    _id_prefix = "fee_"

    def __init__(self, charge: Any, account: str, amount: int) -> None:
        super().__init__()
        self.account = account
        self.amount = amount
        self.application = APPLICATION
        self.balance_transaction = None
        self.charge = charge.id
        self.currency = charge.currency
        self.originating_transaction = None
        self.fee_source = {"charge": charge.id, "type": "charge"}

    @property
    def _refund_objects(self) -> list[Any]:
        return [v for k, v in store.items() if k.startswith("fee_refund:") and v.fee == self.id]

    @property
    def refunds(self) -> Any:
        return object_list(f"/v1/application_fees/{self.id}/refunds", self._refund_objects)

    @property
    def amount_refunded(self) -> int:
        return int(sum(r.amount for r in self._refund_objects))

    @property
    def refunded(self) -> bool:
        return bool(self.amount_refunded >= self.amount)

    @classmethod
    def _api_create(cls, **data: Any) -> Any:
        raise StripeError(405, "Application fees are created by charges, not directly.")

    @classmethod
    def _api_retrieve(cls, id: str) -> Any:
        obj = find(cls, id)
        if obj is None:
            raise missing("application fee", id, "id")
        return obj

    @classmethod
    def _api_list_all(
        cls,
        url: str,
        limit: Any = None,
        starting_after: Any = None,
        charge: Any = None,
        **kwargs: Any,
    ) -> Any:
        refuse_unknown(kwargs)
        return filtered(cls, url, limit, starting_after, charge=charge)

    def _refund(self, amount: int) -> Any:
        refund = ApplicationFeeRefund(self, amount)
        send("application_fee.refunded", self)
        return refund


class ApplicationFeeRefund(StripeObject):  # type: ignore[misc]
    object = "fee_refund"
    _id_prefix = "fr_"

    def __init__(self, fee: ApplicationFee, amount: int) -> None:
        super().__init__()
        self.amount = amount
        self.currency = fee.currency
        self.fee = fee.id
        self.balance_transaction = None
        self.metadata: dict[str, Any] = {}


async def fee_refunds(request: web.Request) -> web.StreamResponse:
    fee = ApplicationFee._api_retrieve(request.match_info["id"])
    query = dict(request.query)
    return respond(
        object_list(
            f"/v1/application_fees/{fee.id}/refunds",
            fee._refund_objects,
            query.get("limit"),
            query.get("starting_after"),
        )._export()
    )


# --- destination charges ----------------------------------------------------------------

CONNECT_INTENT_PARAMS = ("transfer_data", "application_fee_amount", "transfer_group")
SAVED_CARD_PARAMS = ("setup_future_usage",)


def saved_card_params(data: dict[str, Any]) -> dict[str, Any]:
    """Pop and validate ``setup_future_usage`` (before anything is created)."""
    if "setup_future_usage" not in data:
        return {}
    usage = data.pop("setup_future_usage")
    if usage == "":
        return {"setup_future_usage": None}  # Stripe: an empty string unsets it
    if usage not in ("off_session", "on_session"):
        raise invalid(
            f"Invalid setup_future_usage: must be one of off_session or on_session (got {usage!r}).",
            param="setup_future_usage",
        )
    return {"setup_future_usage": usage}


def save_card(intent: Any) -> None:
    """On success with ``setup_future_usage``: attach the card to the intent's customer."""
    if not intent.__dict__.get("setup_future_usage") or not intent.customer:
        return
    # a test token (pm_card_visa) becomes a payment method of its own, as at Stripe
    method = PaymentMethod._api_retrieve(intent.payment_method)
    intent.payment_method = method.id
    if method.customer is None:
        PaymentMethod._api_attach(method.id, customer=intent.customer)


def confirm_as_stripe(intent: Any) -> None:
    """Confirm; a declined card answers as Stripe does (402 ``card_error`` with the intent)."""
    try:
        intent._confirm(on_failure_now=intent._report_failure)
    except StripeError:
        raise
    except UserError as exc:
        if exc.code != 402:
            raise
        charge = intent.latest_charge
        method = PaymentMethod._api_retrieve(intent.payment_method)
        if charge is not None:
            charge._declined_payment_method = method.id
        intent.payment_method = None
        error = exc.body.get("error", {})
        raise StripeError(
            402,
            error.get("message") or "Your card was declined.",
            type="card_error",
            code=error.get("code") or "card_declined",
            decline_code="generic_decline",
            charge=error.get("charge"),
            payment_intent=intent._export(),
            payment_method=method._export() if method is not None else None,
        ) from None


def connect_params(data: dict[str, Any], amount: Any) -> dict[str, Any]:
    """Pop and validate a PaymentIntent's Connect parameters (before anything is created)."""
    transfer_data = data.pop("transfer_data", None)
    fee = data.pop("application_fee_amount", None)
    group = data.pop("transfer_group", None)
    out: dict[str, Any] = {}
    if group is not None:
        out["transfer_group"] = group
    if transfer_data is not None:
        transfer_data = as_dict(transfer_data, "transfer_data")
        unknown = {f"transfer_data[{k}]": v for k, v in transfer_data.items() if k != "destination"}
        refuse_unknown(unknown)
        destination = transfer_data.get("destination")
        if not destination:
            raise invalid(
                "Missing required param: transfer_data[destination].",
                param="transfer_data[destination]",
            )
        check_destination(destination, "transfer_data[destination]")
        out["transfer_data"] = {"destination": destination}
    if fee is not None:
        fee = as_int(fee, "application_fee_amount")
        if transfer_data is None:
            raise invalid(
                "Can only apply an application_fee_amount when the PaymentIntent is attempting "
                "a direct payment (using an OAuth key or Stripe-Account header) or destination "
                "payment (using `transfer_data[destination]`).",
                param="application_fee_amount",
            )
        total = try_convert_to_int(amount)
        if isinstance(total, int) and fee > total:
            raise invalid(
                f"The application fee amount ({fee}) cannot be greater than the amount of "
                f"the payment ({total}).",
                param="application_fee_amount",
            )
        out["application_fee_amount"] = fee
    return out


def settle_destination_charge(intent: Any) -> None:
    """On a destination charge's success: the transfer (amount - fee) and the fee."""
    transfer_data = intent.__dict__.get("transfer_data")
    charge = intent.latest_charge
    if not transfer_data or charge is None or charge.__dict__.get("transfer"):
        return
    fee_amount = intent.__dict__.get("application_fee_amount") or 0
    captured = charge.amount - charge.amount_refunded
    destination = transfer_data["destination"]
    charge.transfer_data = {"amount": None, "destination": destination}
    charge.application_fee_amount = intent.__dict__.get("application_fee_amount")
    charge.transfer_group = intent.__dict__.get("transfer_group")
    transfer = Transfer(
        amount=max(captured - fee_amount, 0),
        currency=charge.currency,
        destination=destination,
        source_transaction=charge.id,
        transfer_group=charge.transfer_group,
    )
    charge.transfer = transfer.id
    send("transfer.created", transfer)
    if fee_amount:
        fee = ApplicationFee(charge, destination, fee_amount)
        charge.application_fee = fee.id
        send("application_fee.created", fee)


# --- off-session confirmation -----------------------------------------------------------


def decline_authentication_required(intent: Any) -> None:
    """Stripe's answer to an off-session payment whose card asks for authentication: a
    failed charge, the PaymentIntent back to ``requires_payment_method`` and a 402."""
    method = PaymentMethod._api_retrieve(intent.payment_method)
    charge = Charge(
        amount=intent.amount,
        currency=intent.currency,
        customer=intent.customer,
        source=intent.payment_method,
        capture=(intent.capture_method != "manual"),
    )
    charge.payment_intent = intent.id
    charge.status = "failed"
    charge.failure_code = "authentication_required"
    charge.failure_message = AUTHENTICATION_REQUIRED
    charge._declined_payment_method = method.id
    intent.latest_charge = charge
    intent.payment_method = None
    send("charge.failed", charge)
    send("payment_intent.payment_failed", intent)
    raise StripeError(
        402,
        AUTHENTICATION_REQUIRED,
        type="card_error",
        code="authentication_required",
        decline_code="authentication_required",
        charge=charge.id,
        payment_intent=intent._export(),
        payment_method=method._export(),
    )


def patch_localstripe() -> None:
    """Teach localstripe's own classes the Connect fields (their defaults export as null,
    as Stripe's) and hook the moments Connect acts on: a successful charge and a confirm."""
    for cls, names in (
        (PaymentIntent, CONNECT_INTENT_PARAMS + SAVED_CARD_PARAMS),
        (Charge, ("transfer", "application_fee", "application_fee_amount", "transfer_data")),
        (Charge, ("transfer_group",)),
        (Refund, ("transfer_reversal", "source_transfer_reversal")),
    ):
        for name in names:
            if not hasattr(cls, name):
                setattr(cls, name, None)
    if getattr(PaymentIntent, "_bookiji_connect", False):
        return
    PaymentIntent._bookiji_connect = True
    on_success = PaymentIntent._on_success
    confirm = PaymentIntent._confirm
    last_error = PaymentIntent.last_payment_error

    def _on_success(self: Any) -> None:
        settle_destination_charge(self)
        save_card(self)
        on_success(self)

    def _confirm(self: Any, on_failure_now: Any) -> None:
        off_session = self.__dict__.pop("_off_session_attempt", False)
        if off_session:
            method = PaymentMethod._api_retrieve(self.payment_method)
            if method._requires_authentication():
                decline_authentication_required(self)
        confirm(self, on_failure_now)

    def last_payment_error(self: Any) -> Any:
        error = last_error.fget(self)
        charge = self.latest_charge
        declined = charge.__dict__.get("_declined_payment_method") if charge else None
        if error and declined:
            method = PaymentMethod._api_retrieve(declined)
            error = {
                **error,
                "type": "card_error",
                "decline_code": charge.failure_code,
                "payment_method": method._export(),
            }
        return error

    status = PaymentIntent.status

    def _status(self: Any) -> Any:
        # Stripe: after a failed attempt the intent takes a new payment method and can be
        # confirmed again (localstripe keeps it in requires_payment_method for good)
        value = status.fget(self)
        charge = self.latest_charge
        if (
            value == "requires_payment_method"
            and self.payment_method
            and charge is not None
            and charge.__dict__.get("_declined_payment_method")
        ):
            return "requires_confirmation"
        return value

    PaymentIntent.status = property(_status)
    PaymentIntent._on_success = _on_success
    PaymentIntent._confirm = _confirm
    PaymentIntent.last_payment_error = property(last_payment_error)


# --- the routes localstripe answers differently with Connect ---------------------------


def proportional(part: int, whole: int, base: int, already: int, completes: bool) -> int:
    """``base`` * part / whole, rounded half up; the refund that completes the charge takes
    what is left of ``base``, so reversals and fee refunds add up to the cent."""
    left = base - already
    if completes:
        return left
    return min(left, (2 * part * base + whole) // (2 * whole))


async def create_intent(request: web.Request, handler: Handler) -> web.StreamResponse:
    data = dict(await get_post_data(request) or {})
    if not any(k in data for k in (*CONNECT_INTENT_PARAMS, *SAVED_CARD_PARAMS, "off_session")):
        return await handler(request)
    confirm = data.pop("confirm", None)
    confirm = as_bool(confirm, "confirm") if confirm is not None else False
    off_session = data.pop("off_session", None)
    off_session = as_bool(off_session, "off_session") if off_session is not None else False
    if off_session and not confirm:
        raise invalid("off_session can only be used with confirm=true.", param="off_session")
    expand = data.pop("expand", None)
    connect = connect_params(data, data.get("amount"))
    connect.update(saved_card_params(data))
    intent = PaymentIntent._api_create(**data)
    for key, value in connect.items():
        setattr(intent, key, value)
    if confirm:
        if not intent.payment_method:
            raise invalid(
                "You cannot confirm this PaymentIntent because it's missing a payment method.",
                param="payment_method",
            )
        intent._off_session_attempt = off_session
        confirm_as_stripe(intent)
    return respond(intent._export(expand=expand))


async def update_intent(request: web.Request, handler: Handler) -> web.StreamResponse:
    data = dict(await get_post_data(request) or {})
    if not any(k in data for k in (*CONNECT_INTENT_PARAMS, *SAVED_CARD_PARAMS)):
        return await handler(request)
    intent = PaymentIntent._api_retrieve(request.match_info["id"])
    if intent.status in ("succeeded", "processing", "canceled", "requires_capture"):
        raise invalid(
            f"This PaymentIntent's Connect fields cannot be updated because it has a status "
            f"of {intent.status}.",
            code="payment_intent_unexpected_state",
        )
    expand = data.pop("expand", None)
    connect = connect_params(data, data.get("amount", intent.amount))
    connect.update(saved_card_params(data))
    if data:
        intent = PaymentIntent._api_update(intent.id, **data)
    for key, value in connect.items():
        setattr(intent, key, value)
    return respond(intent._export(expand=expand))


async def confirm_intent(request: web.Request, handler: Handler) -> web.StreamResponse:
    # every confirm: a declined card answers as Stripe does (confirm_as_stripe)
    data = dict(await get_post_data(request) or {})
    if set(data) - {"off_session", "payment_method", "expand"}:
        return await handler(request)  # Stripe.js's own confirm (client_secret, ...)
    intent = PaymentIntent._api_retrieve(request.match_info["id"])
    off_session = data.pop("off_session", None)
    off_session = as_bool(off_session, "off_session") if off_session is not None else False
    method = data.pop("payment_method", None)
    expand = data.pop("expand", None)
    refuse_unknown(data)
    if method is not None:
        PaymentMethod._api_retrieve(method)
        PaymentIntent._api_update(intent.id, payment_method=method)
    if not intent.payment_method:
        raise invalid(
            "You cannot confirm this PaymentIntent because it's missing a payment method.",
            param="payment_method",
        )
    if intent.status != "requires_confirmation":
        raise invalid(
            f"This PaymentIntent's status is {intent.status}: it cannot be confirmed.",
            code="payment_intent_unexpected_state",
        )
    intent._off_session_attempt = off_session
    confirm_as_stripe(intent)
    return respond(intent._export(expand=expand))


async def create_refund(request: web.Request, handler: Handler) -> web.StreamResponse:
    data = dict(await get_post_data(request) or {})
    if "reverse_transfer" not in data and "refund_application_fee" not in data:
        return await handler(request)
    reverse = as_bool(data.pop("reverse_transfer", False), "reverse_transfer")
    refund_fee = as_bool(data.pop("refund_application_fee", False), "refund_application_fee")
    expand = data.pop("expand", None)
    charge_id = data.get("charge")
    if charge_id is None and data.get("payment_intent") is not None:
        intent = PaymentIntent._api_retrieve(data["payment_intent"])
        charge_id = intent.latest_charge.id if intent.latest_charge else None
    charge = find(Charge, charge_id)
    if charge is None:
        raise missing("charge", charge_id, "charge")
    transfer = find(Transfer, charge.__dict__.get("transfer"))
    fee = find(ApplicationFee, charge.__dict__.get("application_fee"))
    if reverse and transfer is None:
        raise invalid(
            f"Charge {charge.id} has no transfer to reverse: reverse_transfer is only for a "
            "destination charge (transfer_data[destination]).",
            param="reverse_transfer",
        )
    if refund_fee and fee is None:
        raise invalid(
            f"Charge {charge.id} has no application fee to refund: refund_application_fee is "
            "only for a charge with an application_fee_amount.",
            param="refund_application_fee",
        )
    left = charge.amount - charge.amount_refunded
    amount = as_int(data.get("amount", left), "amount", minimum=1)
    if amount > left:
        raise invalid(
            f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
            param="amount",
        )
    data["amount"] = amount  # Stripe's default: what is left (localstripe's: the whole charge)
    refund = Refund._api_create(**data)
    completes = amount == left
    if reverse:
        share = proportional(
            amount, charge.amount, transfer.amount, transfer.amount_reversed, completes
        )
        if share > 0:
            refund.transfer_reversal = transfer._reverse(share, refund.id).id
    if refund_fee:
        share = proportional(amount, charge.amount, fee.amount, fee.amount_refunded, completes)
        if share > 0:
            fee._refund(share)
    return respond(refund._export(expand=expand))


ROUTES = (
    ("POST", "/v1/payment_intents", create_intent),
    ("POST", "/v1/payment_intents/{id}", update_intent),
    ("POST", "/v1/payment_intents/{id}/confirm", confirm_intent),
    ("POST", "/v1/refunds", create_refund),
)


async def connect_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Innermost (after localstripe's auth): the existing routes that take Connect
    parameters. A request without them goes to localstripe untouched."""
    route = request.match_info.route.resource
    canonical = route.canonical if route is not None else None
    for method, path, serve in ROUTES:
        if request.method == method and canonical == path:
            return await serve(request, handler)
    return await handler(request)


async def onboarding_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost: an account link is opened by a browser, without an API key."""
    if request.method == "GET" and request.path.startswith(ONBOARDING_PATH):
        return open_account_link(request.path[len(ONBOARDING_PATH) :])
    return await handler(request)


def install(app: web.Application) -> None:
    """Add Connect to localstripe's app (before it starts)."""
    patch_localstripe()
    for cls, base, verbs in (
        (Account, "/v1/accounts", ("create", "retrieve", "update", "delete", "list")),
        (Transfer, "/v1/transfers", ("create", "retrieve", "update", "list")),
        (ApplicationFee, "/v1/application_fees", ("retrieve", "list")),
    ):
        for verb in verbs:
            method, url, make = {
                "create": ("POST", base, api_create),
                "retrieve": ("GET", base + "/{id}", api_retrieve),
                "update": ("POST", base + "/{id}", _api_update),
                "delete": ("DELETE", base + "/{id}", api_delete),
                "list": ("GET", base, api_list_all),
            }[verb]
            app.router.add_route(method, url, make(cls, url))
    app.router.add_post("/v1/account_links", create_account_link)
    app.router.add_route("*", "/v1/transfers/{id}/reversals", transfer_reversals)
    app.router.add_get("/v1/application_fees/{id}/refunds", fee_refunds)
    app.middlewares.insert(0, web.middleware(onboarding_middleware))
    app.middlewares.append(web.middleware(connect_middleware))


def _api_update(cls: Any, url: str) -> Any:
    """localstripe's update handler refuses an empty body; Stripe's updates accept it."""

    async def f(request: web.Request) -> web.StreamResponse:
        data = dict(await get_post_data(request) or {})
        expand = data.pop("expand", None)
        obj = cls._api_update(request.match_info["id"], **data)
        return respond(obj._export(expand=expand))

    return f
