"""The development Stripe fake's card disputes (bookiji/stripe_disputes.py), driven through
the official stripe SDK against a real fake process: Stripe's dispute test cards open a
dispute when the charge succeeds, evidence wins or loses it as in Stripe's test mode,
closing accepts it, and every change is a signed webhook verified with
``stripe.Webhook.construct_event``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from tests.helpers.stripe_fake import LocalStripe, run_localstripe
from tests.stripe_fake.test_connect import SECRET, Deliveries


@pytest.fixture(scope="module")
def fake() -> Iterator[tuple[LocalStripe, Deliveries]]:
    hooks = Deliveries()
    with run_localstripe() as ls:
        ls.register_webhook(hooks.url, SECRET)
        yield ls, hooks
    hooks.server.shutdown()


@pytest.fixture
def client(fake: tuple[LocalStripe, Deliveries]) -> stripe.StripeClient:
    return stripe.StripeClient(
        "sk_test_disputes", base_addresses={"api": fake[0].url}, max_network_retries=0
    )


@pytest.fixture
def hooks(fake: tuple[LocalStripe, Deliveries]) -> Deliveries:
    return fake[1]


def paid(client: stripe.StripeClient, method: str, amount: int = 5174) -> stripe.PaymentIntent:
    intent = client.v1.payment_intents.create(
        params={"amount": amount, "currency": "cad", "payment_method_types": ["card"]}
    )
    client.v1.payment_intents.update(intent.id, params={"payment_method": method})
    return client.v1.payment_intents.confirm(intent.id)


def dispute_of(hooks: Deliveries, client: stripe.StripeClient, intent_id: str) -> stripe.Dispute:
    listed = client.v1.disputes.list(params={"payment_intent": intent_id})
    assert len(listed.data) == 1
    return listed.data[0]


def test_the_dispute_test_card_opens_a_fraudulent_dispute_with_a_signed_event(
    client: stripe.StripeClient, hooks: Deliveries
) -> None:
    intent = paid(client, "pm_card_createDispute")
    assert intent.status == "succeeded"
    dispute = dispute_of(hooks, client, intent.id)
    assert (dispute.amount, dispute.currency, dispute.reason, dispute.status) == (
        5174,
        "cad",
        "fraudulent",
        "needs_response",
    )
    assert dispute.payment_intent == intent.id and dispute.charge.startswith("ch_")
    assert dispute.evidence_details["due_by"] > dispute.created
    [event] = hooks.events("charge.dispute.created", dispute.id)
    assert event.data.object["payment_intent"] == intent.id
    assert client.v1.disputes.retrieve(dispute.id).id == dispute.id


def test_an_ordinary_card_is_never_disputed(client: stripe.StripeClient) -> None:
    intent = paid(client, "pm_card_visa")
    assert client.v1.disputes.list(params={"payment_intent": intent.id}).data == []


def test_winning_evidence_wins_and_losing_evidence_loses(
    client: stripe.StripeClient, hooks: Deliveries
) -> None:
    won = dispute_of(hooks, client, paid(client, "pm_card_createDispute").id)
    lost = dispute_of(hooks, client, paid(client, "pm_card_createDispute").id)
    review = dispute_of(hooks, client, paid(client, "pm_card_createDispute").id)
    evidence = {"evidence": {"uncategorized_text": "winning_evidence"}}
    assert client.v1.disputes.update(won.id, params=evidence).status == "won"
    evidence = {"evidence": {"uncategorized_text": "losing_evidence"}}
    assert client.v1.disputes.update(lost.id, params=evidence).status == "lost"
    evidence = {"evidence": {"uncategorized_text": "the customer was served"}}
    assert client.v1.disputes.update(review.id, params=evidence).status == "under_review"
    assert hooks.events("charge.dispute.closed", won.id)[0].data.object["status"] == "won"
    assert hooks.events("charge.dispute.closed", lost.id)[0].data.object["status"] == "lost"
    assert hooks.events("charge.dispute.updated", review.id)[0].data.object["status"] == (
        "under_review"
    )
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.disputes.update(won.id, params={"metadata": {"x": "y"}})


def test_closing_accepts_the_dispute_and_an_inquiry_closes_as_a_warning(
    client: stripe.StripeClient, hooks: Deliveries
) -> None:
    dispute = dispute_of(hooks, client, paid(client, "pm_card_createDispute").id)
    assert client.v1.disputes.close(dispute.id).status == "lost"
    inquiry = dispute_of(hooks, client, paid(client, "pm_card_createDisputeInquiry").id)
    assert inquiry.status == "warning_needs_response"
    assert client.v1.disputes.close(inquiry.id).status == "warning_closed"
    assert hooks.events("charge.dispute.closed", inquiry.id)[0].data.object["status"] == (
        "warning_closed"
    )
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.disputes.close(dispute.id)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.disputes.retrieve("dp_nonexistent")
