"""Reconciliation: compare the database's payments and refunds with Stripe's objects.

``bookiji reconcile`` (and the worker, every ``--reconcile-interval`` seconds)
reads the payments and refunds created in the last ``--window-days`` days
(``internal.reconcile_snapshot``) and every PaymentIntent and Refund Stripe
lists, matches them (PaymentIntents by ``metadata.booking_id``, refunds by
``metadata.refund_ledger_id``, the metadata the worker gives every object it
creates) and reports each difference.

Where Stripe is the truth it repairs the database the way the webhook would
have: it synthesizes the event Stripe would have sent (``evt_reconcile_<object
id>_<status>``, type ``payment_intent.succeeded``, ``payment_intent.canceled``
or ``refund.updated``, ``data.object`` the object as Stripe returns it now)
and applies it through ``internal.reconcile_apply``, which calls
``internal.process_stripe_event`` (the webhook's own logic, idempotent, never
moving anything backwards) and writes ``audit.action_log`` (action
``stripe.reconciled``). A second run finds nothing to repair.

What it reports without repairing (a person decides): an intent Stripe does
not know, two intents for one booking, a payment the database counts as
succeeded that Stripe does not, an object with no row in the database, and
work the worker has not done after ``--grace-minutes`` (an intent never
created, a refund never performed).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import stripe

from worker import settings, stripe_client

log = logging.getLogger("bookiji.reconcile")


@dataclass(frozen=True)
class Difference:
    kind: str
    subject: str  # booking or refund ledger id
    detail: str
    repaired: str | None = None  # the outcome of the repair, when one was applied

    def line(self) -> str:
        repaired = f" -> repaired: {self.repaired}" if self.repaired is not None else ""
        return f"{self.kind} {self.subject}: {self.detail}{repaired}"


@dataclass
class Report:
    payments: int = 0
    refunds: int = 0
    intents: int = 0
    stripe_refunds: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def repaired(self) -> int:
        return sum(1 for d in self.differences if d.repaired is not None)

    def summary(self) -> str:
        return (
            f"reconcile: {self.payments} payments, {self.refunds} refunds, "
            f"{self.intents} intents and {self.stripe_refunds} refunds in Stripe; "
            f"{len(self.differences)} differences, {self.repaired} repaired"
        )


def _plain(obj: Any) -> dict[str, Any]:
    return dict(obj.to_dict()) if hasattr(obj, "to_dict") else dict(obj)


def _event(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"evt_reconcile_{obj['id']}_{obj.get('status', '')}",
        "object": "event",
        "type": kind,
        "data": {"object": obj},
    }


def _apply(conn: psycopg.Connection[Any], kind: str, obj: dict[str, Any]) -> str:
    row = conn.execute(
        "select internal.reconcile_apply(%s::jsonb)", (json.dumps(_event(kind, obj), default=str),)
    ).fetchone()
    return str(row[0]) if row else ""


def _snapshot(conn: psycopg.Connection[Any], since: datetime) -> dict[str, Any]:
    row = conn.execute("select internal.reconcile_snapshot(%s)", (since,)).fetchone()
    return dict(row[0]) if row else {"payments": [], "refunds": []}


def reconcile(
    conn: psycopg.Connection[Any],
    sc: stripe.StripeClient,
    *,
    repair: bool = True,
    window: timedelta = timedelta(days=7),
    grace: timedelta = timedelta(minutes=15),
) -> Report:
    """Compare and (with ``repair``) repair; ``conn`` is autocommit (each repair commits alone)."""
    now = datetime.now(UTC)
    since = now - window
    snap = _snapshot(conn, since)
    report = Report(payments=len(snap["payments"]), refunds=len(snap["refunds"]))
    diffs = report.differences
    created_gte = int(since.timestamp())

    intents: dict[str, list[dict[str, Any]]] = {}
    for intent in sc.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter():
        obj = _plain(intent)
        if int(obj.get("created") or created_gte) < created_gte:
            continue
        report.intents += 1
        bid = stripe_client.metadata(intent).get("booking_id")
        if bid:
            intents.setdefault(bid, []).append(obj)
    refunds: dict[str, list[dict[str, Any]]] = {}
    for refund in sc.v1.refunds.list(params={"limit": 100}).auto_paging_iter():
        obj = _plain(refund)
        if int(obj.get("created") or created_gte) < created_gte:
            continue
        report.stripe_refunds += 1
        lid = stripe_client.metadata(refund).get("refund_ledger_id")
        if lid:
            refunds.setdefault(lid, []).append(obj)

    def fix(kind: str, subject: str, detail: str, event: str, obj: dict[str, Any]) -> None:
        outcome = _apply(conn, event, obj) if repair else None
        diffs.append(Difference(kind, subject, detail, outcome))

    known_bookings = set()
    for p in snap["payments"]:
        bid = str(p["booking_id"])
        known_bookings.add(bid)
        found = intents.get(bid, [])
        recorded = p["stripe_payment_intent_id"]
        old = datetime.fromisoformat(p["created_at"]) < now - grace
        if len(found) > 1:
            ids = ", ".join(sorted(str(o["id"]) for o in found))
            diffs.append(Difference("duplicate_intents", bid, f"{len(found)} intents: {ids}"))
        if recorded and recorded not in {o["id"] for o in found}:
            diffs.append(
                Difference("intent_missing_in_stripe", bid, f"{recorded} is not in Stripe")
            )
            continue
        if not found:
            if p["status"] == "pending" and p["booking_status"] == "pending_payment" and old:
                diffs.append(Difference("intent_never_created", bid, "no PaymentIntent in Stripe"))
            continue
        pi = next((o for o in found if o["id"] == recorded), found[0])
        st = pi.get("status")
        if st == "succeeded" and p["status"] != "succeeded":
            fix(
                "missed_payment_succeeded",
                bid,
                f"{pi['id']} succeeded in Stripe, payment {p['status']} here",
                "payment_intent.succeeded",
                pi,
            )
        elif st == "canceled" and p["status"] in ("pending", "requires_payment"):
            fix(
                "missed_payment_canceled",
                bid,
                f"{pi['id']} canceled in Stripe, payment {p['status']} here",
                "payment_intent.canceled",
                pi,
            )
        elif p["status"] == "succeeded" and st != "succeeded":
            diffs.append(
                Difference("paid_here_not_in_stripe", bid, f"{pi['id']} is {st} in Stripe")
            )
        elif recorded is None and old:
            diffs.append(
                Difference("intent_not_recorded", bid, f"{pi['id']} ({st}) is not recorded")
            )
    for bid, found in intents.items():
        if bid not in known_bookings:
            ids = ", ".join(str(o["id"]) for o in found)
            diffs.append(Difference("unknown_intent", bid, f"no payment for {ids}"))

    known_refunds = set()
    for r in snap["refunds"]:
        lid = str(r["refund_id"])
        known_refunds.add(lid)
        found = refunds.get(lid, [])
        if len(found) > 1:
            ids = ", ".join(sorted(str(o["id"]) for o in found))
            diffs.append(Difference("duplicate_refunds", lid, f"{len(found)} refunds: {ids}"))
        if not found:
            if r["stripe_refund_id"]:
                diffs.append(
                    Difference(
                        "refund_missing_in_stripe", lid, f"{r['stripe_refund_id']} is not in Stripe"
                    )
                )
            elif r["status"] == "pending" and datetime.fromisoformat(r["created_at"]) < now - grace:
                diffs.append(Difference("refund_never_performed", lid, "no refund in Stripe"))
            continue
        sr = next((o for o in found if o["id"] == r["stripe_refund_id"]), found[0])
        st = {"succeeded": "succeeded", "failed": "failed", "canceled": "failed"}.get(
            str(sr.get("status")), "pending"
        )
        if r["status"] == "pending" and (st != "pending" or not r["stripe_refund_id"]):
            fix(
                "missed_refund_update",
                lid,
                f"{sr['id']} {sr.get('status')} in Stripe, refund pending here",
                "refund.updated",
                sr,
            )
        elif r["status"] != st and st != "pending":
            diffs.append(
                Difference(
                    "refund_status_differs",
                    lid,
                    f"{r['status']} here, {sr.get('status')} in Stripe",
                )
            )
    for lid, found in refunds.items():
        if lid not in known_refunds:
            ids = ", ".join(str(o["id"]) for o in found)
            diffs.append(Difference("unknown_refund", lid, f"no ledger entry for {ids}"))
    for d in diffs:
        log.warning("reconcile: %s", d.line())
    log.info("%s", report.summary())
    return report


def run(
    url: str, *, repair: bool = True, window_days: float = 7, grace_minutes: float = 15
) -> Report:
    with psycopg.connect(url, autocommit=True, application_name="bookiji-reconcile") as conn:
        return reconcile(
            conn,
            stripe_client.client(),
            repair=repair,
            window=timedelta(days=window_days),
            grace=timedelta(minutes=grace_minutes),
        )


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "reconcile",
        help="compare payments and refunds with Stripe; repair what Stripe settled",
    )
    p.add_argument("--dry-run", action="store_true", help="report only, repair nothing")
    p.add_argument(
        "--window-days",
        type=float,
        default=float(settings.env("RECONCILE_WINDOW_DAYS")),
        help="look at objects created in the last N days (default 7)",
    )
    p.add_argument(
        "--grace-minutes",
        type=float,
        default=15.0,
        help="work the worker has not done after this long is reported (default 15)",
    )
    p.set_defaults(func=cmd_reconcile)


def cmd_reconcile(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    report = run(
        settings.database_url(),
        repair=not args.dry_run,
        window_days=args.window_days,
        grace_minutes=args.grace_minutes,
    )
    for d in report.differences:
        print(d.line())
    print(report.summary())
    unrepaired = len(report.differences) - report.repaired
    return 1 if unrepaired else 0
