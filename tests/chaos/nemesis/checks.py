"""What must hold after the nemesis run, each a named function of what the clients were
promised (the ledger), how the faults went, and what the database and Stripe hold then:
nothing found is an empty list.

- The queue drains with nothing dead-lettered, and Stripe and the database come to agree
  on every payment (``wait_for_drain``, before the checks).
- The database keeps its promises (internal.check_invariants).
- Every 2xx answer is still true: confirmations, cancellations, reschedules, refunds.
- A 503 or a lost connection came only while the database was down or PostgREST
  reconnected; no other answer came that no fault explains.
- PostgREST and the worker came back by themselves after every fault (the nemesis waits for
  them with a generous hang guard, faults.BACK_TIMEOUT; one not back by then is a violation;
  how long each took is reported, not judged: tests never assert on time).
- Every Stripe effect happened exactly once (counted by the proxy and in Stripe itself).
- Stripe Connect: every destination charge's transfer and application fee, and the
  reversals and fee refunds of its refunds, agree with the ledger to the cent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
import stripe

from tests.chaos.nemesis.clients import Ledger
from tests.chaos.nemesis.faults import Applied
from tests.chaos.nemesis.schedule import DATABASE_FAULTS, STRIPE_OUTAGE
from tests.helpers.stripe_proxy import StripeProxy
from tests.helpers.waiting import until
from tests.helpers.worker_proc import WorkerProcess

# a 503 or a lost connection sent within this many seconds of the database being back (or
# until PostgREST answered again, if that took longer) is explained by the fault: PostgREST's
# other pooled connections may die on their first use after the restart
RECOVERY_SECONDS = 10.0


# --- the drain --------------------------------------------------------------------------


def disagreements(
    admin: psycopg.Connection[Any], direct: stripe.StripeClient
) -> list[tuple[str, str, str]]:
    """Payments Stripe says succeeded and the database does not, or the reverse."""
    paid = {
        pi.id: pi.status
        for pi in direct.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
    }
    return [
        (str(b), paid[pi], st)
        for b, st, pi in admin.execute(
            "select booking_id, status, stripe_payment_intent_id from app.payments "
            "where stripe_payment_intent_id is not null"
        ).fetchall()
        if pi in paid and (paid[pi] == "succeeded") != (st == "succeeded")
    ]


def wait_for_drain(
    admin: psycopg.Connection[Any], direct: stripe.StripeClient, worker: WorkerProcess
) -> None:
    """Until the payment queue and the pending refunds are empty and Stripe and the database
    agree on every payment; a dead letter fails at once (it never drains)."""

    def drained() -> bool:
        row = admin.execute(
            "select (select count(*) from pgmq.q_payments) "
            "+ (select count(*) from app.refunds where status = 'pending'), "
            "(select count(*) from pgmq.q_payments_dlq)"
        ).fetchone()
        assert row is not None
        if row[1]:  # a dead letter never drains: fail now, showing it
            raise AssertionError(
                admin.execute("select message from pgmq.q_payments_dlq").fetchall()
            )
        return bool(row[0] == 0) and not disagreements(admin, direct)

    try:
        until(
            drained,
            timeout=90,
            what="the payment queue and pending refunds to drain, and Stripe and the "
            "database to agree on every payment",
        )
    except AssertionError:
        print(disagreements(admin, direct))
        print(admin.execute("select msg_id, read_ct, vt, message from pgmq.q_payments").fetchall())
        print(worker.output()[-5000:])
        raise


# --- what there is after the run --------------------------------------------------------


@dataclass
class Outcome:
    """The run as the checks see it: the promises, the faults, the database and Stripe."""

    ledger: Ledger
    faults: list[Applied]
    t0: float  # monotonic: the start of the run
    invariant_violations: list[tuple[Any, ...]]
    bookings: dict[str, tuple[Any, ...]]  # id -> (customer, status, start)
    refund_amounts: dict[str, int]  # ledger id -> amount
    payments: list[tuple[Any, ...]]  # (booking, booking status, PaymentIntent id or None)
    intents: dict[str, list[Any]]  # booking id (Stripe metadata) -> its PaymentIntents
    refund_rows: list[tuple[Any, ...]]  # (ledger id, status, Stripe refund id, PaymentIntent)
    stripe_refunds: Counter[str]  # ledger id (Stripe metadata) -> refunds in Stripe
    created: dict[str, int]  # the Stripe proxy's count of objects created, by path
    dead_letters: list[tuple[Any, ...]]
    # per succeeded destination charge: (booking, ledger (transfer, fee, reversed, fee
    # refunded, reversals asked, fee refunds asked), Stripe's (same six))
    connect: list[tuple[str, tuple[int, ...], tuple[int, ...]]]


def gather(
    admin: psycopg.Connection[Any],
    direct: stripe.StripeClient,
    proxy: StripeProxy,
    ledger: Ledger,
    faults: list[Applied],
    t0: float,
) -> Outcome:
    def rows(sql: str) -> list[tuple[Any, ...]]:
        return admin.execute(sql).fetchall()

    invariant_violations = rows(
        "select rule, violations, example from internal.check_invariants() where violations > 0"
    )
    bookings = {
        r[0]: r[1:]
        for r in rows("select id::text, customer_id, status, lower(during) from app.bookings")
    }
    refund_amounts = {r[0]: r[1] for r in rows("select id::text, amount_cents from app.refunds")}
    payments = rows(
        "select b.id::text, b.status, p.stripe_payment_intent_id from app.bookings b "
        "join app.payments p on p.booking_id = b.id"
    )
    intents: dict[str, list[Any]] = {}
    for pi in direct.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter():
        intents.setdefault(pi.metadata.to_dict().get("booking_id", ""), []).append(pi)
    refund_rows = rows(
        "select r.id::text, r.status, r.stripe_refund_id, p.stripe_payment_intent_id "
        "from app.refunds r join app.payments p on p.id = r.payment_id"
    )
    stripe_refunds: Counter[str] = Counter()
    for pi_id in {r[3] for r in refund_rows if r[3]}:
        for ref in direct.v1.refunds.list(
            params={"payment_intent": pi_id, "limit": 100}
        ).auto_paging_iter():
            stripe_refunds[ref.metadata.to_dict().get("refund_ledger_id", "")] += 1
    connect = []
    for bid, pi_id, captured, fee, reversed_, fee_refunded, reversing, fee_refunding in rows(
        "select p.booking_id::text, p.stripe_payment_intent_id, p.captured_cents,"
        " p.application_fee_cents,"
        " coalesce(sum(r.transfer_reversal_cents) filter (where r.status = 'succeeded'), 0),"
        " coalesce(sum(r.fee_refund_cents) filter (where r.status = 'succeeded'), 0),"
        " count(*) filter (where r.status = 'succeeded' and r.transfer_reversal_cents > 0),"
        " count(*) filter (where r.status = 'succeeded' and r.fee_refund_cents > 0)"
        " from app.payments p left join app.refunds r on r.payment_id = p.id"
        " where p.transfer_destination is not null and p.status = 'succeeded'"
        " group by p.id"
    ):
        intent = direct.v1.payment_intents.retrieve(pi_id)
        latest: Any = intent.latest_charge
        charge = direct.v1.charges.retrieve(latest if isinstance(latest, str) else latest.id)
        transfer = direct.v1.transfers.retrieve(charge.transfer)
        stripe_fee = (
            direct.v1.application_fees.retrieve(charge.application_fee)
            if charge.application_fee
            else None
        )
        connect.append(
            (
                bid,
                (captured - fee, fee, reversed_, fee_refunded, reversing, fee_refunding),
                (
                    transfer.amount,
                    stripe_fee.amount if stripe_fee else 0,
                    transfer.amount_reversed,
                    stripe_fee.amount_refunded if stripe_fee else 0,
                    len(list(direct.v1.transfers.reversals.list(transfer.id).auto_paging_iter())),
                    len(stripe_fee.refunds.data) if stripe_fee else 0,
                ),
            )
        )
    return Outcome(
        ledger=ledger,
        faults=faults,
        t0=t0,
        invariant_violations=invariant_violations,
        bookings=bookings,
        refund_amounts=refund_amounts,
        payments=payments,
        intents=intents,
        refund_rows=refund_rows,
        stripe_refunds=stripe_refunds,
        created=dict(proxy.created),
        dead_letters=rows("select message from pgmq.q_payments_dlq"),
        connect=connect,
    )


# --- the database's promises ------------------------------------------------------------


def invariants(o: Outcome) -> list[Any]:
    return o.invariant_violations


# --- every 2xx is still true ------------------------------------------------------------


def confirmations_lost(o: Outcome) -> list[Any]:
    return [
        b for b, c in o.ledger.confirmed.items() if b not in o.bookings or o.bookings[b][0] != c
    ]


def cancellations_undone(o: Outcome) -> list[Any]:
    return [b for b in o.ledger.cancelled if o.bookings.get(b, (None, None))[1] != "cancelled"]


def reschedules_lost(o: Outcome) -> list[Any]:
    moved: dict[str, datetime | None] = o.ledger.moved
    return [
        (b, new, o.bookings[b][2])
        for b, new in moved.items()
        if new is not None and o.bookings.get(b, (None, None, None))[2] != new
    ]


def refunds_lost(o: Outcome) -> list[Any]:
    return [
        (r, a, o.refund_amounts.get(r))
        for r, a in o.ledger.refunds.items()
        if o.refund_amounts.get(r) != a
    ]


# --- answers no fault explains ----------------------------------------------------------


def outages_outside_database_faults(o: Outcome) -> list[Any]:
    windows = [
        (a.started, a.ended + max(a.api_back or 0.0, RECOVERY_SECONDS))
        for a in o.faults
        if a.kind in DATABASE_FAULTS
    ]
    return [
        (what, round(sent - o.t0, 1))
        for what, sent, answered in o.ledger.outages_seen
        if not any(sent <= end and answered >= start for start, end in windows)
    ]


def unexpected_answers(o: Outcome) -> list[Any]:
    return o.ledger.unexpected


def not_back(o: Outcome) -> list[Any]:
    """Faults after which PostgREST or the worker was not seen back within the nemesis's
    hang guard (faults.BACK_TIMEOUT): it did not recover by itself."""
    return [
        a.kind
        for a in o.faults
        if a.kind != STRIPE_OUTAGE
        and (a.worker_back is None or (a.kind in DATABASE_FAULTS and a.api_back is None))
    ]


# --- every Stripe effect exactly once ---------------------------------------------------


def intents_not_once_per_booking(o: Outcome) -> list[Any]:
    return [
        (b, len(o.intents.get(b, [])))
        for b, _, pi in o.payments
        if pi and len(o.intents.get(b, [])) != 1
    ]


def awaiting_payment_without_intent(o: Outcome) -> list[Any]:
    return [b for b, status, pi in o.payments if status == "pending_payment" and not pi]


def intents_the_database_does_not_know(o: Outcome) -> list[Any]:
    recorded = {r[2] for r in o.payments if r[2]}
    return [pi.id for pis in o.intents.values() for pi in pis if pi.id not in recorded]


def ended_bookings_with_a_payable_intent(o: Outcome) -> list[Any]:
    return [
        (b, pis[0].status)
        for b, status, pi in o.payments
        if pi and status in ("cancelled", "expired")
        for pis in [o.intents.get(b, [])]
        if pis and pis[0].status not in ("canceled", "succeeded")
    ]


def refunds_not_once_per_ledger_row(o: Outcome) -> list[Any]:
    return [
        (r, o.stripe_refunds[r])
        for r, status, stripe_id, _ in o.refund_rows
        if o.stripe_refunds[r] != (1 if stripe_id else 0) or status == "pending"
    ]


def proxy_counts_differ_from_stripe(o: Outcome) -> list[Any]:
    return [
        (path, o.created.get(path, 0), n)
        for path, n in (
            ("/v1/payment_intents", sum(len(p) for p in o.intents.values())),
            ("/v1/refunds", sum(o.stripe_refunds.values())),
        )
        if o.created.get(path, 0) != n
    ]


def connect_split_differs_from_stripe(o: Outcome) -> list[Any]:
    """Destination charges whose transfer, fee, reversals or fee refunds (amounts and
    counts: one reversal and one fee refund per refund at most) differ from the ledger's."""
    return [(b, ledger, theirs) for b, ledger, theirs in o.connect if ledger != theirs]


def dead_letters(o: Outcome) -> list[Any]:
    return o.dead_letters


# the names the run reports violations under
CHECKS: dict[str, Callable[[Outcome], list[Any]]] = {
    "invariants": invariants,
    "2xx confirmations lost": confirmations_lost,
    "2xx cancellations undone": cancellations_undone,
    "2xx reschedules lost": reschedules_lost,
    "2xx refunds lost": refunds_lost,
    "503s or lost connections outside a database fault": outages_outside_database_faults,
    "unexpected answers": unexpected_answers,
    "PostgREST or the worker not back after a fault": not_back,
    "PaymentIntents not exactly once per booking": intents_not_once_per_booking,
    "bookings awaiting payment without a PaymentIntent": awaiting_payment_without_intent,
    "PaymentIntents the database does not know": intents_the_database_does_not_know,
    "ended bookings with a payable PaymentIntent": ended_bookings_with_a_payable_intent,
    "refunds not exactly once per ledger row": refunds_not_once_per_ledger_row,
    "Stripe objects created through the proxy != objects in Stripe": (
        proxy_counts_differ_from_stripe
    ),
    "Connect transfers, fees, reversals or fee refunds != the ledger": (
        connect_split_differs_from_stripe
    ),
    "dead letters": dead_letters,
}


def problems(o: Outcome) -> dict[str, list[Any]]:
    """Every check's findings, by name."""
    return {name: check(o) for name, check in CHECKS.items()}
