"""Card disputes for the development Stripe fake (localstripe has none; docs/money.md).

Installed on localstripe's aiohttp app by ``bookiji localstripe`` (bookiji/services.py),
next to bookiji/stripe_connect.py. It follows Stripe's test mode, so that the product's
handling is exercised as it would be against Stripe:

- Stripe's dispute test cards: a charge paid with 4000000000000259 (or the test payment
  method ``pm_card_createDispute``) is disputed as ``fraudulent`` (status
  ``needs_response``) right after it succeeds; 4000000000002685
  (``pm_card_createDisputeInquiry``) opens an inquiry (``warning_needs_response``).
  The ``Dispute`` is created with ``charge.dispute.created`` (and the charge's
  ``disputed`` becomes true), signed as localstripe signs its own events.
- ``GET /v1/disputes/{id}``, ``GET /v1/disputes`` (``charge``, ``payment_intent``
  filters), ``POST /v1/disputes/{id}`` (``evidence``, ``metadata``, ``submit``): as in
  Stripe's test mode, evidence whose ``uncategorized_text`` is ``winning_evidence``
  wins the dispute and ``losing_evidence`` loses it (``charge.dispute.closed``);
  other evidence moves it to ``under_review`` (``charge.dispute.updated``).
- ``POST /v1/disputes/{id}/close``: accepting the dispute, which is then ``lost``
  (``charge.dispute.closed``); an inquiry closes as ``warning_closed``.
"""

from __future__ import annotations

from typing import Any, cast

from aiohttp import web
from localstripe.resources import Charge, PaymentIntent, PaymentMethod, StripeObject, store
from localstripe.server import get_post_data

from bookiji.stripe_connect import filtered, invalid, missing, refuse_unknown, respond, send

# Stripe's dispute test cards: number -> (reason, initial status)
DISPUTE_CARDS = {
    "4000000000000259": ("fraudulent", "needs_response"),
    "4000000000002685": ("product_not_received", "warning_needs_response"),
}
TEST_METHODS = {
    "pm_card_createDispute": "4000000000000259",
    "pm_card_createDisputeInquiry": "4000000000002685",
}
EVIDENCE_DAYS = 7  # when evidence is due, from the dispute's creation
CLOSED = ("won", "lost", "warning_closed")


class Dispute(StripeObject):  # type: ignore[misc]
    object = "dispute"
    _id_prefix = "dp_"

    def __init__(self, charge: Any, reason: str, status: str) -> None:
        super().__init__()
        self.amount = charge.amount
        self.currency = charge.currency
        self.charge = charge.id
        self.payment_intent = getattr(charge, "payment_intent", None)
        self.reason = reason
        self.status = status
        self.evidence: dict[str, Any] = {"uncategorized_text": None}
        self.evidence_details = {
            "due_by": self.created + EVIDENCE_DAYS * 86400,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        }
        self.is_charge_refundable = False
        self.balance_transactions: list[Any] = []
        self.metadata: dict[str, Any] = {}

    def _close(self, status: str) -> None:
        self.status = status
        send("charge.dispute.closed", self)


def _dispute_of(request: web.Request) -> Dispute:
    found = store.get(f"dispute:{request.match_info['id']}")
    if found is None:
        raise missing("dispute", request.match_info["id"], "id")
    return cast(Dispute, found)


async def retrieve_dispute(request: web.Request) -> web.StreamResponse:
    return respond(_dispute_of(request)._export())


async def list_disputes(request: web.Request) -> web.StreamResponse:
    query = dict(request.query)
    limit = query.pop("limit", None)
    starting_after = query.pop("starting_after", None)
    charge = query.pop("charge", None)
    intent = query.pop("payment_intent", None)
    refuse_unknown(query)
    found = filtered(
        Dispute, "/v1/disputes", limit, starting_after, charge=charge, payment_intent=intent
    )
    return respond(found._export())


async def update_dispute(request: web.Request) -> web.StreamResponse:
    dispute = _dispute_of(request)
    data = dict(await get_post_data(request) or {})
    evidence = data.pop("evidence", None)
    metadata = data.pop("metadata", None)
    data.pop("submit", None)
    refuse_unknown(data)
    if dispute.status in CLOSED:
        raise invalid(
            f"This dispute is already closed ({dispute.status}): it cannot be updated.",
            code="dispute_already_closed",
        )
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise invalid("Invalid metadata: must be an object.", param="metadata")
        dispute.metadata.update(metadata)
    if evidence is not None:
        if not isinstance(evidence, dict):
            raise invalid("Invalid evidence: must be an object.", param="evidence")
        dispute.evidence.update(evidence)
        dispute.evidence_details["has_evidence"] = True
        dispute.evidence_details["submission_count"] += 1
        text = evidence.get("uncategorized_text")
        if text == "winning_evidence":
            dispute._close("won")
        elif text == "losing_evidence":
            dispute._close("lost")
        else:
            dispute.status = "under_review"
            send("charge.dispute.updated", dispute)
    return respond(dispute._export())


async def close_dispute(request: web.Request) -> web.StreamResponse:
    dispute = _dispute_of(request)
    if dispute.status in CLOSED:
        raise invalid(
            f"This dispute is already closed ({dispute.status}).", code="dispute_already_closed"
        )
    dispute._close("warning_closed" if dispute.status.startswith("warning_") else "lost")
    return respond(dispute._export())


def open_dispute_if_test_card(intent: Any) -> None:
    """After a charge succeeds: a dispute test card disputes it, as Stripe's test mode does."""
    charge = intent.latest_charge
    if charge is None or not intent.payment_method:
        return
    try:
        method = PaymentMethod._api_retrieve(intent.payment_method)
    except Exception:  # a source or a card object: no dispute test card
        return
    found = DISPUTE_CARDS.get(getattr(method, "_card_number", ""))
    if found is None or charge.__dict__.get("disputed"):
        return
    charge.disputed = True
    send("charge.dispute.created", Dispute(charge, *found))


def patch_localstripe() -> None:
    """The dispute test payment methods, the charge's ``disputed`` and the success hook."""
    if not hasattr(Charge, "disputed"):
        Charge.disputed = False
    if getattr(PaymentIntent, "_bookiji_disputes", False):
        return
    PaymentIntent._bookiji_disputes = True
    on_success = PaymentIntent._on_success
    canonical = PaymentMethod._try_get_canonical_test_article.__func__

    def _on_success(self: Any) -> None:
        on_success(self)
        open_dispute_if_test_card(self)

    def _try_get_canonical_test_article(cls: Any, id: str) -> Any:
        number = TEST_METHODS.get(id)
        if number is None:
            return canonical(cls, id)
        card = {"number": number, "exp_month": "12", "exp_year": "2040", "cvc": "123"}
        return PaymentMethod(type="card", card=card)

    PaymentIntent._on_success = _on_success
    PaymentMethod._try_get_canonical_test_article = classmethod(_try_get_canonical_test_article)


def install(app: web.Application) -> None:
    """Add disputes to localstripe's app (before it starts)."""
    patch_localstripe()
    app.router.add_get("/v1/disputes", list_disputes)
    app.router.add_get("/v1/disputes/{id}", retrieve_dispute)
    app.router.add_post("/v1/disputes/{id}", update_dispute)
    app.router.add_post("/v1/disputes/{id}/close", close_dispute)
