"""The worker carries out, the database decides: the Stripe status map, the payment handlers'
actions and reconciliation live in SQL; message bodies are parsed at the boundary."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.db import one
from tests.worker.conftest import dlq_messages, enqueue
from worker.errors import PermanentError
from worker.messages import NotifyMessage, PaymentMessage, PaymentStep, RefundMessage


def _booking(db: psycopg.Connection[Any]) -> dict[str, Any]:
    shop = bk.open_shop(db, lat=45.5, lng=-73.5)
    b = bk.book(db, shop, catalog.next_weekday(2, at="10:00"))
    assert b["status"] == "pending_payment", b
    return b


@pytest.mark.parametrize(
    ("stripe", "ledger"),
    [
        ("succeeded", "succeeded"),
        ("failed", "failed"),
        ("canceled", "failed"),
        ("pending", "pending"),
        ("requires_action", "pending"),
        (None, "pending"),
    ],
)
def test_one_stripe_refund_status_map_in_sql(
    db: psycopg.Connection[Any], stripe: str | None, ledger: str
) -> None:
    assert one(db, "select internal.stripe_refund_status(%s)", stripe) == ledger


def test_the_payment_handlers_get_an_explicit_action(db: psycopg.Connection[Any]) -> None:
    b = _booking(db)
    pid = b["payment"]["id"]

    def intent(attempt: int) -> dict[str, Any]:
        return dict(one(db, "select internal.payment_intent_action(%s, %s)", pid, attempt))

    def cancel(status: str | None, refused: bool = False) -> str:
        sql = "select internal.payment_cancel_action(%s, %s, %s)"
        return str(one(db, sql, pid, status, refused)["action"])

    step = PaymentStep.from_row(intent(1), ("create_intent", "skip"))
    assert (step.action, str(step.booking_id)) == ("create_intent", b["id"])
    assert cancel(None) == "record_cancelled"  # no intent yet: nothing to cancel in Stripe
    assert one(db, "select internal.payment_intent_action(%s, 1)", uuid.uuid4()) is None

    db.execute("select internal.transition_booking(%s, 'expired', 'system')", (b["id"],))
    assert intent(1)["action"] == "skip"
    # a redelivery with nothing recorded: an earlier attempt may have made the intent
    assert intent(2)["action"] == "create_intent"

    db.execute(
        "select internal.record_payment_intent(%s, 'pi_decided', 'pi_decided_secret_x')", (pid,)
    )
    assert intent(2)["action"] == "skip"
    assert [cancel(s) for s in (None, "requires_payment_method", "canceled", "succeeded")] == [
        "retrieve",
        "cancel_intent",
        "record_cancelled",
        "skip",
    ]
    assert cancel("processing") == "cancel_intent"
    assert cancel("processing", refused=True) == "retry"
    assert cancel("requires_payment_method", refused=True) == "fail"


def test_record_refund_maps_the_stripe_status_in_sql(
    db: psycopg.Connection[Any], worker_url: str
) -> None:
    b = _booking(db)
    bk.pay(db, b)
    rid = one(db, "select internal.request_refund(%s, 100, 'test', null, 'system')", b["id"])
    with psycopg.connect(worker_url, autocommit=True) as conn:
        action = one(conn, "select internal.refund_action(%s)", rid)["action"]
        assert action == "create_refund"
        from worker.queries import query

        conn.execute(
            query("record_refund"),
            {
                "refund_id": rid,
                "stripe_refund_id": "re_x",
                "stripe_status": "canceled",
                "failure": None,
            },
        )
        assert one(conn, "select internal.refund_action(%s)", rid)["action"] == "skip"
    assert one(db, "select status from app.refunds where id = %s", rid) == "failed"


def test_reconcile_compares_and_repairs_in_one_sql_call(db: psycopg.Connection[Any]) -> None:
    """Stripe's objects in, the differences out: a refund Stripe canceled is settled failed
    (through the one status map), a duplicate and an unknown object are only reported."""
    paid, stranger = _booking(db), str(uuid.uuid4())
    bk.pay(db, paid, "pi_paid")
    rid = str(one(db, "select internal.request_refund(%s, 100, 't', null, 'system')", paid["id"]))
    now = int(time.time())
    cur = str(paid["payment"]["currency"]).lower()
    intents = [
        {
            "id": "pi_paid",
            "status": "succeeded",
            "created": now,
            "amount": 1,
            "currency": cur,
            "metadata": {"booking_id": paid["id"]},
        },
        {
            "id": "pi_again",
            "status": "requires_payment_method",
            "created": now,
            "metadata": {"booking_id": paid["id"]},
        },
        {
            "id": "pi_stranger",
            "status": "succeeded",
            "created": now,
            "metadata": {"booking_id": stranger},
        },
        {
            "id": "pi_ancient",
            "status": "succeeded",
            "created": now - 30 * 86400,
            "metadata": {"booking_id": str(uuid.uuid4())},
        },
    ]
    refunds = [
        {
            "id": "re_gone",
            "status": "canceled",
            "created": now,
            "metadata": {"refund_ledger_id": rid},
        }
    ]

    def run(repair: bool) -> dict[str, Any]:
        return dict(
            one(
                db,
                "select internal.reconcile(%s::jsonb, %s::jsonb, now() - interval '7 days', "
                "interval '0', %s)",
                json.dumps(intents),
                json.dumps(refunds),
                repair,
            )
        )

    dry = run(False)
    assert one(db, "select status from app.refunds where id = %s", rid) == "pending"
    report = run(True)
    assert (report["intents"], report["stripe_refunds"]) == (3, 1)
    found = {(d["kind"], d["subject"], d.get("repaired")) for d in report["differences"]}
    assert found == {
        ("duplicate_intents", paid["id"], None),
        ("unknown_intent", stranger, None),
        ("missed_refund_update", rid, "refund failed"),
    }
    assert {d["kind"] for d in dry["differences"]} == {k for k, _, _ in found}
    assert one(db, "select status from app.refunds where id = %s", rid) == "failed"
    assert {d["kind"] for d in run(True)["differences"]} == {"duplicate_intents", "unknown_intent"}


@pytest.mark.parametrize(
    ("parse", "body"),
    [
        (PaymentMessage.parse, {"type": "payment.create_intent"}),
        (PaymentMessage.parse, {"type": "payment.cancel_intent", "payment_id": "nope"}),
        (RefundMessage.parse, {"type": "payment.refund", "refund_id": 12}),
        (NotifyMessage.parse, {"type": "notify", "notification_id": None}),
    ],
)
def test_a_malformed_body_is_refused_at_the_boundary(
    parse: Callable[[dict[str, Any]], object], body: dict[str, Any]
) -> None:
    with pytest.raises(PermanentError, match=r"needs a \w+_id \(uuid\)"):
        parse(body)


def test_a_malformed_payment_message_is_dead_lettered_as_permanent(
    db: psycopg.Connection[Any], drain: Callable[..., Any]
) -> None:
    import worker.tasks  # noqa: F401  (registers the payment handlers)

    enqueue(db, "payments", {"type": "payment.create_intent", "payment_id": "not-a-uuid"})
    drain(queues=("payments",))
    [(_, letter)] = dlq_messages(db, "payments")
    assert (letter["error_class"], letter["attempts"]) == ("PermanentError", 1)
    assert "needs a payment_id (uuid)" in letter["error"]


def test_window_is_applied_in_sql(db: psycopg.Connection[Any]) -> None:
    old = int(time.time() - timedelta(days=30).total_seconds())
    report = one(
        db,
        "select internal.reconcile(%s::jsonb, '[]', now() - interval '7 days', interval '0', false)",
        json.dumps(
            [
                {
                    "id": "pi_old",
                    "status": "succeeded",
                    "created": old,
                    "metadata": {"booking_id": "x"},
                }
            ]
        ),
    )
    assert (report["intents"], report["differences"]) == (0, [])
