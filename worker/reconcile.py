"""Reconciliation: hand Stripe's payments and refunds to the database, which compares and repairs.

``bookiji reconcile`` (and the worker, every ``--reconcile-interval`` seconds)
lists every PaymentIntent and Refund Stripe holds from the last
``--window-days`` days and hands them, as Stripe returns them, to
``internal.reconcile`` (db/functions/58_reconcile.sql) in one call. The
database matches them with its payments and refunds of the window
(PaymentIntents by ``metadata.booking_id``, refunds by
``metadata.refund_ledger_id``, the metadata the worker gives every object it
creates), and answers with each difference; this module only prints them.

Where Stripe is the truth the database repairs itself the way the webhook
would have: it synthesizes the event Stripe would have sent
(``evt_reconcile_<object id>_<status>``, ``payment_intent.succeeded``,
``payment_intent.canceled`` or ``refund.updated``) and applies it through
``internal.reconcile_apply`` (the webhook's own logic, idempotent, never moving
anything backwards; audited as ``stripe.reconciled``). The run is one
transaction: a repair that fails rolls the run back, and the next run tries
again. A second run finds nothing to repair.

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
from functools import partial
from typing import Any

import psycopg
import stripe
from psycopg.types.json import Jsonb

from worker import settings, stripe_client
from worker.queries import query

log = logging.getLogger("bookiji.reconcile")
_dumps = partial(json.dumps, default=str)


@dataclass(frozen=True)
class Difference:
    kind: str
    subject: str  # booking or refund ledger id
    detail: str
    repaired: str | None = None  # the outcome of the repair, when one was applied

    def line(self) -> str:
        repaired = f" -> repaired: {self.repaired}" if self.repaired is not None else ""
        return f"{self.kind} {self.subject}: {self.detail}{repaired}"


@dataclass(frozen=True)
class ReconcileAnswer:
    """What ``internal.reconcile`` answers: the counts and the differences."""

    payments: int
    refunds: int
    intents: int
    stripe_refunds: int
    differences: tuple[Difference, ...]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ReconcileAnswer:
        return cls(
            payments=int(row["payments"]),
            refunds=int(row["refunds"]),
            intents=int(row["intents"]),
            stripe_refunds=int(row["stripe_refunds"]),
            differences=tuple(
                Difference(str(d["kind"]), str(d["subject"]), str(d["detail"]), d.get("repaired"))
                for d in row["differences"]
            ),
        )


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


def _listed(page: Any, created_gte: int) -> list[dict[str, Any]]:
    """Every object of a Stripe list (all pages), created at or after ``created_gte`` (or
    undated). internal.reconcile applies the window again: it is the one that compares."""
    return [
        obj
        for obj in (_plain(o) for o in page(params={"limit": 100}).auto_paging_iter())
        if int(obj.get("created") or created_gte) >= created_gte
    ]


def reconcile(
    conn: psycopg.Connection[Any],
    sc: stripe.StripeClient,
    *,
    repair: bool = True,
    window: timedelta = timedelta(days=7),
    grace: timedelta = timedelta(minutes=15),
) -> Report:
    """Fetch Stripe's objects and hand them to ``internal.reconcile``, which compares and
    (with ``repair``) repairs in one transaction; this only reports what it answers."""
    since = datetime.now(UTC) - window
    created_gte = int(since.timestamp())
    params = {
        "intents": Jsonb(_listed(sc.v1.payment_intents.list, created_gte), _dumps),
        "refunds": Jsonb(_listed(sc.v1.refunds.list, created_gte), _dumps),
        "since": since,
        "grace": grace,
        "repair": repair,
    }
    with conn.transaction():
        row = conn.execute(query("reconcile"), params).fetchone()
    assert row is not None
    answer = ReconcileAnswer.from_row(row[0] if isinstance(row, tuple) else row["report"])
    report = Report(
        payments=answer.payments,
        refunds=answer.refunds,
        intents=answer.intents,
        stripe_refunds=answer.stripe_refunds,
        differences=list(answer.differences),
    )
    for d in report.differences:
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
