"""The development Stripe fake's Stripe Connect (bookiji/stripe_connect.py), driven through
the official stripe SDK against a real fake process, as the product's calls would be:
Express accounts and their onboarding links, destination charges with an application
fee, refunds that reverse the transfer and refund the fee proportionally, off-session
confirmation declined with ``authentication_required``, Stripe's refusals, and the
signed webhooks, verified with ``stripe.Webhook.construct_event``."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import stripe

from tests.helpers.stripe_fake import LocalStripe, run_localstripe
from tests.helpers.waiting import until

SECRET = "whsec_connect_fake"
RETURN_URL = "http://127.0.0.1:9/provider/payouts/return"
REFRESH_URL = "http://127.0.0.1:9/provider/payouts/refresh"
CARD = {"exp_month": 12, "exp_year": 2040, "cvc": "123"}


class Deliveries:
    """A webhook endpoint on a free loopback port that keeps every delivery."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, str]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((body, self.headers.get("Stripe-Signature", "")))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self, type_: str, object_id: str, count: int = 1) -> list[stripe.Event]:
        """The verified events of ``type_`` about ``object_id`` (waits for ``count``)."""

        def matching() -> list[stripe.Event]:
            found = []
            for body, signature in list(self.received):
                event = stripe.Webhook.construct_event(body.decode(), signature, SECRET)
                if event.type == type_ and event.data.object["id"] == object_id:
                    found.append(event)
            return found if len(found) >= count else []

        return until(matching, 20, f"{count} signed {type_} for {object_id}")


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
        "sk_test_connect", base_addresses={"api": fake[0].url}, max_network_retries=0
    )


@pytest.fixture
def hooks(fake: tuple[LocalStripe, Deliveries]) -> Deliveries:
    return fake[1]


def express_account(client: stripe.StripeClient) -> stripe.Account:
    return client.v1.accounts.create(
        params={
            "type": "express",
            "country": "CA",
            "email": "provider@bookiji.test",
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
            "metadata": {"provider_id": "42"},
        }
    )


def onboard(client: stripe.StripeClient) -> stripe.Account:
    account = express_account(client)
    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "type": "account_onboarding",
            "refresh_url": REFRESH_URL,
            "return_url": RETURN_URL,
        }
    )
    assert httpx.get(link.url).status_code == 302
    return client.v1.accounts.retrieve(account.id)


def saved_card(client: stripe.StripeClient, number: str) -> tuple[str, str]:
    customer = client.v1.customers.create(params={"email": "customer@bookiji.test"})
    method = client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": number, **CARD}}
    )
    client.v1.payment_methods.attach(method.id, params={"customer": customer.id})
    return customer.id, method.id


def destination_charge(
    client: stripe.StripeClient, destination: str, amount: int, fee: int
) -> stripe.PaymentIntent:
    customer, method = saved_card(client, "4242424242424242")
    return client.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": "cad",
            "customer": customer,
            "payment_method": method,
            "confirm": True,
            "transfer_data": {"destination": destination},
            "application_fee_amount": fee,
        }
    )


def charge_id(intent: stripe.PaymentIntent) -> str:
    """``latest_charge``: an ID at Stripe, the expanded charge in localstripe."""
    latest: Any = intent.latest_charge
    return latest if isinstance(latest, str) else str(latest.id)


# --- accounts and onboarding -----------------------------------------------------------


def test_an_express_account_is_onboarded_through_its_account_link(
    client: stripe.StripeClient, hooks: Deliveries
) -> None:
    account = express_account(client)
    assert account.object == "account"
    assert account.id.startswith("acct_")
    assert account.type == "express"
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (
        False,
        False,
        False,
    )
    assert account.capabilities.to_dict() == {"card_payments": "inactive", "transfers": "inactive"}
    assert "external_account" in account.requirements.currently_due
    assert account.requirements.disabled_reason == "requirements.past_due"

    updated = client.v1.accounts.update(
        account.id, params={"metadata": {"plan": "pro"}, "email": "new@bookiji.test"}
    )
    assert updated.metadata.to_dict() == {"provider_id": "42", "plan": "pro"}
    assert updated.email == "new@bookiji.test"
    listed = client.v1.accounts.list(params={"limit": 100})
    assert account.id in [a.id for a in listed.data]

    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "type": "account_onboarding",
            "refresh_url": REFRESH_URL,
            "return_url": RETURN_URL,
        }
    )
    assert link.object == "account_link"
    assert link.expires_at > link.created
    opened = httpx.get(link.url)  # the provider's browser, without any API key
    assert opened.status_code == 302
    assert opened.headers["location"] == RETURN_URL

    done = client.v1.accounts.retrieve(account.id)
    assert (done.charges_enabled, done.payouts_enabled, done.details_submitted) == (
        True,
        True,
        True,
    )
    assert done.capabilities.to_dict() == {"card_payments": "active", "transfers": "active"}
    assert list(done.requirements.currently_due) == []
    assert done.requirements.disabled_reason is None

    # a used link sends the browser to refresh_url, where the platform makes a new one
    again = httpx.get(link.url)
    assert (again.status_code, again.headers["location"]) == (302, REFRESH_URL)

    events = hooks.events("account.updated", account.id, count=2)  # the update, onboarding
    onboarded = [e for e in events if e.data.object["charges_enabled"]]
    assert len(onboarded) == 1
    assert onboarded[0].account == account.id
    assert onboarded[0].data.object["payouts_enabled"] is True


def test_a_webhook_signed_with_another_secret_is_rejected(
    client: stripe.StripeClient, hooks: Deliveries
) -> None:
    account = onboard(client)
    hooks.events("account.updated", account.id)
    body, signature = next(
        (b, s) for b, s in hooks.received if json.loads(b)["data"]["object"]["id"] == account.id
    )
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body.decode(), signature, "whsec_someone_else")


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({}, "type"),
        ({"type": "standard"}, "type"),
        ({"type": "express"}, "capabilities"),
        ({"type": "express", "capabilities": {"transfers": {"requested": True}}, "x": 1}, "x"),
    ],
    ids=["no type", "not express", "no transfers capability", "unknown parameter"],
)
def test_accounts_refused_as_stripe_does(
    client: stripe.StripeClient, params: dict[str, Any], param: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.accounts.create(params=params)
    assert refused.value.param == param


def test_account_links_refused_as_stripe_does(client: stripe.StripeClient) -> None:
    base = {"type": "account_onboarding", "refresh_url": REFRESH_URL, "return_url": RETURN_URL}
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.account_links.create(params={**base, "account": "acct_nobody"})
    assert (unknown.value.param, unknown.value.code) == ("account", "resource_missing")
    account = express_account(client)
    with pytest.raises(stripe.InvalidRequestError) as bad_url:
        client.v1.account_links.create(
            params={**base, "account": account.id, "return_url": "not a url"}
        )
    assert bad_url.value.param == "return_url"
    with pytest.raises(stripe.InvalidRequestError) as no_type:
        client.v1.account_links.create(
            params={"account": account.id, "refresh_url": REFRESH_URL, "return_url": RETURN_URL}
        )
    assert no_type.value.param == "type"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.accounts.retrieve("acct_nobody")
    assert missing.value.code == "resource_missing"


# --- destination charges ---------------------------------------------------------------


def test_a_destination_charge_transfers_the_amount_less_the_application_fee(
    client: stripe.StripeClient, hooks: Deliveries
) -> None:
    account = onboard(client)
    intent = destination_charge(client, account.id, 10000, 1230)
    assert intent.status == "succeeded"
    assert intent.application_fee_amount == 1230
    assert intent.transfer_data.destination == account.id

    charge = client.v1.charges.retrieve(charge_id(intent))
    assert charge.transfer_data.destination == account.id
    assert charge.application_fee_amount == 1230
    transfer = client.v1.transfers.retrieve(charge.transfer)
    assert transfer.object == "transfer"
    assert (transfer.amount, transfer.currency, transfer.destination) == (8770, "cad", account.id)
    assert transfer.source_transaction == charge.id
    assert (transfer.amount_reversed, transfer.reversed) == (0, False)
    fee = client.v1.application_fees.retrieve(charge.application_fee)
    assert fee.object == "application_fee"
    assert (fee.amount, fee.account, fee.charge, fee.amount_refunded) == (
        1230,
        account.id,
        charge.id,
        0,
    )
    assert fee.fee_source.charge == charge.id

    assert [t.id for t in client.v1.transfers.list(params={"destination": account.id}).data] == [
        transfer.id
    ]
    assert [f.id for f in client.v1.application_fees.list(params={"charge": charge.id}).data] == [
        fee.id
    ]
    hooks.events("transfer.created", transfer.id)
    hooks.events("application_fee.created", fee.id)
    succeeded = hooks.events("payment_intent.succeeded", intent.id)
    assert succeeded[0].data.object["transfer_data"]["destination"] == account.id


def test_connect_fields_set_by_update_then_a_bare_confirm(client: stripe.StripeClient) -> None:
    """The product's flow: create, then update, then confirm (from the browser or not)."""
    account = onboard(client)
    customer, method = saved_card(client, "4242424242424242")
    intent = client.v1.payment_intents.create(
        params={"amount": 5000, "currency": "cad", "customer": customer}
    )
    assert intent.transfer_data is None and intent.application_fee_amount is None
    client.v1.payment_intents.update(
        intent.id,
        params={
            "payment_method": method,
            "transfer_data": {"destination": account.id},
            "application_fee_amount": 500,
        },
    )
    confirmed = client.v1.payment_intents.confirm(intent.id)
    assert confirmed.status == "succeeded"
    charge = client.v1.charges.retrieve(charge_id(confirmed))
    assert client.v1.transfers.retrieve(charge.transfer).amount == 4500
    assert client.v1.application_fees.retrieve(charge.application_fee).amount == 500


def test_a_plain_charge_has_no_transfer(client: stripe.StripeClient) -> None:
    customer, method = saved_card(client, "4242424242424242")
    intent = client.v1.payment_intents.create(
        params={
            "amount": 2500,
            "currency": "cad",
            "customer": customer,
            "payment_method": method,
            "confirm": True,
        }
    )
    charge = client.v1.charges.retrieve(charge_id(intent))
    assert (charge.transfer, charge.application_fee, intent.transfer_data) == (None, None, None)


def test_destination_charges_refused_as_stripe_does(client: stripe.StripeClient) -> None:
    onboarded = onboard(client)
    pending = express_account(client)
    customer, method = saved_card(client, "4242424242424242")
    base = {"amount": 1000, "currency": "cad", "customer": customer, "payment_method": method}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"transfer_data": {"destination": "acct_nobody"}}, "transfer_data[destination]"),
        ({"transfer_data": {"destination": pending.id}}, "transfer_data[destination]"),
        ({"transfer_data": {"amount": 5}}, "transfer_data[amount]"),
        (
            {"transfer_data": {"destination": onboarded.id}, "application_fee_amount": 1001},
            "application_fee_amount",
        ),
        ({"application_fee_amount": 100}, "application_fee_amount"),
        (
            {"transfer_data": {"destination": onboarded.id}, "application_fee_amount": -1},
            "application_fee_amount",
        ),
    ]
    before = len(client.v1.payment_intents.list(params={"limit": 100}).data)
    for extra, param in cases:
        with pytest.raises(stripe.InvalidRequestError) as refused:
            client.v1.payment_intents.create(params={**base, **extra, "confirm": True})
        assert refused.value.param == param, extra
        assert refused.value.http_status in (400, 404)
    unknown = pytest.raises(stripe.InvalidRequestError)
    with unknown as refused:
        client.v1.payment_intents.create(
            params={**base, "transfer_data": {"destination": "acct_nobody"}}
        )
    assert refused.value.code == "resource_missing"
    assert "acct_nobody" in str(refused.value.user_message)
    # nothing was created by a refused request
    assert len(client.v1.payment_intents.list(params={"limit": 100}).data) == before


# --- refunds ----------------------------------------------------------------------------


def test_refunds_reverse_the_transfer_and_refund_the_fee_proportionally(
    client: stripe.StripeClient, hooks: Deliveries
) -> None:
    account = onboard(client)
    intent = destination_charge(client, account.id, 10001, 1001)  # transfer 9000
    charge = client.v1.charges.retrieve(charge_id(intent))

    first = client.v1.refunds.create(
        params={
            "charge": charge.id,
            "amount": 3333,
            "reverse_transfer": True,
            "refund_application_fee": True,
        }
    )
    assert first.amount == 3333
    reversal_id = first.transfer_reversal
    transfer = client.v1.transfers.retrieve(charge.transfer)
    assert (transfer.amount_reversed, transfer.reversed) == (2999, False)  # 3333*9000/10001
    reversals = client.v1.transfers.reversals.list(transfer.id).data
    assert [(r.id, r.amount, r.source_refund, r.object) for r in reversals] == [
        (reversal_id, 2999, first.id, "transfer_reversal")
    ]
    fee = client.v1.application_fees.retrieve(charge.application_fee)
    assert (fee.amount_refunded, fee.refunded) == (334, False)  # 3333*1001/10001, half up
    refunds = client.v1.application_fees.refunds.list(fee.id).data
    assert [(r.amount, r.fee, r.object) for r in refunds] == [(334, fee.id, "fee_refund")]

    # the refund that completes the charge takes what is left: totals match to the cent
    last = client.v1.refunds.create(
        params={
            "payment_intent": intent.id,
            "reverse_transfer": True,
            "refund_application_fee": True,
        }
    )
    assert last.amount == 6668
    transfer = client.v1.transfers.retrieve(charge.transfer)
    assert (transfer.amount_reversed, transfer.reversed) == (9000, True)
    fee = client.v1.application_fees.retrieve(charge.application_fee)
    assert (fee.amount_refunded, fee.refunded) == (1001, True)

    hooks.events("transfer.reversed", transfer.id, count=2)
    hooks.events("application_fee.refunded", fee.id, count=2)


def test_a_refund_can_keep_the_platform_fee(client: stripe.StripeClient) -> None:
    """A late cancellation: the provider's share goes back, the platform keeps its fee."""
    account = onboard(client)
    intent = destination_charge(client, account.id, 10000, 1500)
    charge = client.v1.charges.retrieve(charge_id(intent))
    client.v1.refunds.create(params={"charge": charge.id, "amount": 4000, "reverse_transfer": True})
    assert client.v1.transfers.retrieve(charge.transfer).amount_reversed == 3400
    assert client.v1.application_fees.retrieve(charge.application_fee).amount_refunded == 0


def test_refunds_refused_as_stripe_does(client: stripe.StripeClient) -> None:
    customer, method = saved_card(client, "4242424242424242")
    plain = client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "cad",
            "customer": customer,
            "payment_method": method,
            "confirm": True,
        }
    )
    for flag in ("reverse_transfer", "refund_application_fee"):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            client.v1.refunds.create(params={"payment_intent": plain.id, flag: True})
        assert refused.value.param == flag
    account = onboard(client)
    intent = destination_charge(client, account.id, 2000, 200)
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(
            params={"payment_intent": intent.id, "amount": 2001, "reverse_transfer": True}
        )
    assert too_much.value.param == "amount"
    with pytest.raises(stripe.InvalidRequestError) as not_bool:
        client.v1.refunds.create(params={"payment_intent": intent.id, "reverse_transfer": "maybe"})
    assert not_bool.value.param == "reverse_transfer"
    # nothing was refunded by the refusals
    assert client.v1.charges.retrieve(charge_id(intent)).amount_refunded == 0
    assert client.v1.charges.retrieve(charge_id(plain)).amount_refunded == 0


# --- off-session ------------------------------------------------------------------------


def test_off_session_confirm_charges_a_saved_card(client: stripe.StripeClient) -> None:
    account = onboard(client)
    customer, method = saved_card(client, "4242424242424242")
    intent = client.v1.payment_intents.create(
        params={
            "amount": 7000,
            "currency": "cad",
            "customer": customer,
            "payment_method": method,
            "transfer_data": {"destination": account.id},
            "application_fee_amount": 700,
        }
    )
    confirmed = client.v1.payment_intents.confirm(intent.id, params={"off_session": True})
    assert confirmed.status == "succeeded"
    charge = client.v1.charges.retrieve(charge_id(confirmed))
    assert client.v1.transfers.retrieve(charge.transfer).amount == 6300


@pytest.mark.parametrize("separate_confirm", [True, False], ids=["confirm call", "create+confirm"])
def test_off_session_on_a_card_that_needs_authentication_is_declined(
    client: stripe.StripeClient, hooks: Deliveries, separate_confirm: bool
) -> None:
    customer, method = saved_card(client, "4000002760003184")
    params: dict[str, Any] = {
        "amount": 4200,
        "currency": "cad",
        "customer": customer,
        "payment_method": method,
    }
    with pytest.raises(stripe.CardError) as declined:
        if separate_confirm:
            intent = client.v1.payment_intents.create(params=params)
            client.v1.payment_intents.confirm(intent.id, params={"off_session": True})
        else:
            client.v1.payment_intents.create(
                params={**params, "confirm": True, "off_session": True}
            )
    assert declined.value.http_status == 402
    assert declined.value.code == "authentication_required"
    error = declined.value.error
    assert error is not None and error.payment_intent is not None
    intent_id = error.payment_intent["id"]

    failed = client.v1.payment_intents.retrieve(intent_id)
    assert failed.status == "requires_payment_method"
    assert failed.last_payment_error.code == "authentication_required"
    assert failed.last_payment_error.decline_code == "authentication_required"
    assert failed.last_payment_error.payment_method.id == method
    event = hooks.events("payment_intent.payment_failed", intent_id)[0]
    assert event.data.object["last_payment_error"]["code"] == "authentication_required"


def test_on_session_the_same_card_still_asks_for_authentication(
    client: stripe.StripeClient,
) -> None:
    customer, method = saved_card(client, "4000002760003184")
    intent = client.v1.payment_intents.create(
        params={
            "amount": 4200,
            "currency": "cad",
            "customer": customer,
            "payment_method": method,
            "confirm": True,
        }
    )
    assert intent.status == "requires_action"


def test_off_session_needs_confirm(client: stripe.StripeClient) -> None:
    customer, method = saved_card(client, "4242424242424242")
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.create(
            params={
                "amount": 100,
                "currency": "cad",
                "customer": customer,
                "payment_method": method,
                "off_session": True,
            }
        )
    assert refused.value.param == "off_session"


# --- transfers on their own -------------------------------------------------------------


def test_a_separate_transfer_and_its_reversal(client: stripe.StripeClient) -> None:
    account = onboard(client)
    transfer = client.v1.transfers.create(
        params={"amount": 1500, "currency": "cad", "destination": account.id}
    )
    assert (transfer.amount, transfer.destination) == (1500, account.id)
    reversal = client.v1.transfers.reversals.create(transfer.id, params={"amount": 500})
    assert (reversal.amount, reversal.transfer) == (500, transfer.id)
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.transfers.reversals.create(transfer.id, params={"amount": 1001})
    assert too_much.value.param == "amount"
    with pytest.raises(stripe.InvalidRequestError) as nobody:
        client.v1.transfers.create(
            params={"amount": 1, "currency": "cad", "destination": "acct_nobody"}
        )
    assert nobody.value.param == "destination"


def test_confirm_takes_the_payment_method_and_an_account_can_be_deleted(
    client: stripe.StripeClient,
) -> None:
    account = onboard(client)
    customer, method = saved_card(client, "4242424242424242")
    intent = client.v1.payment_intents.create(
        params={
            "amount": 3000,
            "currency": "cad",
            "customer": customer,
            "transfer_data": {"destination": account.id},
        }
    )
    confirmed = client.v1.payment_intents.confirm(
        intent.id, params={"payment_method": method, "off_session": True}
    )
    assert confirmed.status == "succeeded"
    charge = client.v1.charges.retrieve(charge_id(confirmed))
    assert client.v1.transfers.retrieve(charge.transfer).amount == 3000  # no fee: all of it
    assert charge.application_fee is None

    deleted = client.v1.accounts.delete(account.id)
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as gone:
        client.v1.accounts.retrieve(account.id)
    assert gone.value.code == "resource_missing"


def test_a_transfer_from_a_charge_never_takes_more_than_the_charge_has_left(
    client: stripe.StripeClient,
) -> None:
    """Separate charges and transfers: ``source_transaction`` ties a transfer to the charge
    that funds it, and Stripe refuses one larger than what that charge still has."""
    account = onboard(client)
    customer, method = saved_card(client, "4242424242424242")
    intent = client.v1.payment_intents.create(
        params={
            "amount": 5000,
            "currency": "cad",
            "customer": customer,
            "payment_method": method,
            "confirm": True,
        }
    )
    charge = charge_id(intent)
    client.v1.refunds.create(params={"charge": charge, "amount": 1000})

    def transfer(amount: int) -> stripe.Transfer:
        return client.v1.transfers.create(
            params={
                "amount": amount,
                "currency": "cad",
                "destination": account.id,
                "source_transaction": charge,
            }
        )

    # 50.00 charged, 10.00 refunded: 40.00 left, and no more
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        transfer(4001)
    assert (too_much.value.http_status, too_much.value.code, too_much.value.param) == (
        400,
        "balance_insufficient",
        "amount",
    )
    assert isinstance(too_much.value.json_body, dict)
    assert too_much.value.json_body["error"]["type"] == "invalid_request_error"
    first = transfer(3000)
    # a second transfer from the same charge: what the first left (10.00)
    with pytest.raises(stripe.InvalidRequestError) as again:
        transfer(1001)
    assert again.value.code == "balance_insufficient"
    assert transfer(1000).amount == 1000
    # a reversal gives its funds back to the charge
    client.v1.transfers.reversals.create(first.id, params={"amount": 500})
    assert transfer(500).source_transaction == charge
    with pytest.raises(stripe.InvalidRequestError):
        transfer(1)
    # nothing was transferred by the refusals
    made = client.v1.transfers.list(params={"destination": account.id, "limit": 100}).data
    assert sorted(t.amount for t in made) == [500, 1000, 3000]


def test_a_destination_charge_has_nothing_left_to_transfer_once_paid_out(
    client: stripe.StripeClient,
) -> None:
    account = onboard(client)
    intent = destination_charge(client, account.id, 2000, 300)
    # its own transfer (17.00) took the charge less the fee: 3.00 remain
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.transfers.create(
            params={
                "amount": 301,
                "currency": "cad",
                "destination": account.id,
                "source_transaction": charge_id(intent),
            }
        )
    assert refused.value.code == "balance_insufficient"
