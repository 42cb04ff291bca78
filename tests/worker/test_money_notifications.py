"""The receipt and dispute emails through the real notification path: the rows queued in
SQL when a payment confirms a booking (or a dispute opens), the worker loop (in-process,
--once) rendering the templates, and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.db import call_as, one
from tests.helpers.factories import create_user
from tests.helpers.mailbox import Mailbox, html_of, text_of
from worker.runner import Runner
from worker.tasks import notifications  # noqa: F401  (registers the notify handler)

GST = "123456782RT0001"
QST = "1234567890TQ0001"


def _paid(db: psycopg.Connection[Any], locale: str, *, registered: bool) -> tuple[Any, str, str]:
    shop = bk.open_shop(db, price_cents=4500, deposit_cents=1010)
    if registered:
        call_as(
            db, "provider", shop.owner_id, "select internal.set_tax_registration(%s, %s)", GST, QST
        )
    customer = create_user(db, "customer", locale=locale)
    start = catalog.next_weekday(2, at="10:00")
    b = bk.confirm(db, customer, bk.quote(db, customer, shop, start), shop.provider_id)
    intent = f"pi_{uuid.uuid4().hex[:24]}"
    assert bk.pay(db, b, intent) == "booking confirmed"
    return b, intent, str(one(db, "select email from app.users where id = %s", customer))


def _receipt(mailbox: Mailbox, address: str, subject_start: str) -> Any:
    found = [m for m in mailbox.to(address) if str(m["Subject"]).startswith(subject_start)]
    assert len(found) == 1, [m["Subject"] for m in mailbox.to(address)]
    return found[0]


def test_the_customer_gets_an_html_receipt_with_the_taxes_and_the_numbers(
    db: psycopg.Connection[Any], drain: Callable[..., Runner], mailbox: Mailbox
) -> None:
    _, _, address = _paid(db, "en", registered=True)
    drain(queues=("notifications",))
    msg = _receipt(mailbox, address, "Receipt: $11.62 CAD paid for Cut")
    html = html_of(msg)
    for part in (
        "$45.00 CAD",  # the price
        "$2.25 CAD",  # GST 225
        "$4.49 CAD",  # QST 449
        "$51.74 CAD",  # total
        "GST no. 123456782RT0001",
        "QST no. 1234567890TQ0001",
        "9.975%",
        "$10.10 CAD + GST $0.51 CAD + QST $1.01 CAD",  # the deposit and its taxes
        "$40.12 CAD",  # the balance due: 5174 - 1162
    ):
        assert part in html, part
    assert "GST no. 123456782RT0001" in text_of(msg)
    assert one(db, "select status from app.notifications where event = 'payment_receipt'") == "sent"


def test_a_french_customer_of_an_unregistered_provider_gets_a_receipt_without_tax(
    db: psycopg.Connection[Any], drain: Callable[..., Runner], mailbox: Mailbox
) -> None:
    _, _, address = _paid(db, "fr", registered=False)
    drain(queues=("notifications",))
    msg = _receipt(mailbox, address, "Reçu : 10,10 $ CAD payé")
    body = text_of(msg)
    assert "aucune (le prestataire n'est pas inscrit à la TPS ni à la TVQ)" in body
    assert "no TPS" not in body
    assert "Acompte                10,10\u00a0$\u00a0CAD\n" in body
    assert "Solde à payer          34,90\u00a0$\u00a0CAD" in body


@pytest.mark.parametrize("outcome", ["lost", "won"])
def test_ops_are_emailed_when_a_dispute_opens_and_closes(
    db: psycopg.Connection[Any], drain: Callable[..., Runner], mailbox: Mailbox, outcome: str
) -> None:
    ops = create_user(db, "ops")
    b, intent, _ = _paid(db, "en", registered=True)
    dispute = {
        "id": f"dp_{uuid.uuid4().hex[:20]}",
        "amount": 1162,
        "currency": "cad",
        "payment_intent": intent,
        "reason": "fraudulent",
        "status": "needs_response",
    }
    bk.apply_event(db, "charge.dispute.created", dispute)
    bk.apply_event(db, "charge.dispute.closed", {**dispute, "status": outcome})
    drain(queues=("notifications",))
    address = str(one(db, "select email from app.users where id = %s", ops))
    subjects = sorted(str(m["Subject"]) for m in mailbox.to(address))
    assert subjects == [
        f"Dispute closed ({outcome}): $11.62 CAD for Cut",
        "Dispute opened: $11.62 CAD for Cut",
    ]
    opened = next(m for m in mailbox.to(address) if "opened" in str(m["Subject"]))
    assert dispute["id"] in html_of(opened) and "fraudulent" in text_of(opened)
    assert str(b["id"]) in text_of(opened)
