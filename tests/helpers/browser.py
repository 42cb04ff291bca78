"""The browser tests' helpers (tests/web/): the stack they drive, screenshots under
test-artifacts/web/ (gitignored), axe-core run in the page, the English catalogue."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from playwright.sync_api import Page

from bookiji.config import ROOT
from tests.helpers import booking as bk
from tests.helpers.mailbox import Mailbox
from tests.helpers.stripe_fake import LocalStripe
from tests.helpers.waiting import until

ARTIFACTS = ROOT / "test-artifacts" / "web"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
CATALOGUES = ROOT / "web" / "src" / "i18n"
PASSWORD = "browser-test-2026"


@dataclass
class WebStack:
    url: str  # the gateway: the API at /, the app at /app/
    db_url: str
    stripe: LocalStripe
    mailbox: Mailbox

    @property
    def app(self) -> str:
        return f"{self.url}/app/"


def shoot(page: Page, name: str) -> Path:
    """A full-page screenshot under test-artifacts/web/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core (web/node_modules, pinned in web/package-lock.json) run in the page: the
    serious and critical violations."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await window.axe.run(document)")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def describe(violations: list[dict[str, Any]]) -> str:
    return json.dumps(
        [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]} for v in violations],
        indent=1,
    )


def fresh_email(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}@bookiji.test"


def catalogue(locale: str) -> dict[str, str]:
    """web/src/i18n/<locale>.ts as a dict (one `"key": "text",` entry a line)."""
    text = (CATALOGUES / f"{locale}.ts").read_text()
    return {
        m.group(1): json.loads(f'"{m.group(2)}"')
        for m in re.finditer(r'^\s*"([a-zA-Z_.]+)": "((?:[^"\\]|\\.)*)",$', text, re.M)
    }


def pay_when_ready(db: psycopg.Connection[Any], booking: dict[str, Any]) -> str:
    """Stripe reports a booking paid, with the PaymentIntent the stack's worker created (it
    races any intent a test would record itself): for tests that book in the database."""

    def intent() -> str | None:
        row = db.execute(
            "select stripe_payment_intent_id from app.payments where booking_id = %s",
            (booking["id"],),
        ).fetchone()
        return str(row[0]) if row and row[0] else None

    intent_id = until(intent, what="the worker's PaymentIntent")
    return bk.apply_event(
        db,
        "payment_intent.succeeded",
        {
            "id": intent_id,
            "object": "payment_intent",
            "amount": booking["payment"]["amount_cents"],
            "amount_received": booking["payment"]["amount_cents"],
            "currency": str(booking["payment"]["currency"]).lower(),
            "metadata": {"booking_id": booking["id"]},
        },
    )


def show_week_of(page: Page, db: psycopg.Connection[Any], booking_id: Any) -> str:
    """The provider calendar shows the week holding the booking's start, in its business's
    zone (never the week of whenever the test runs: a booking moved an hour back is last
    week's just after midnight on a Monday). Returns that local date (YYYY-MM-DD)."""
    row = db.execute(
        "select (lower(b.during) at time zone p.time_zone)::date::text from app.bookings b "
        "join app.providers p on p.id = b.provider_id where b.id = %s",
        (booking_id,),
    ).fetchone()
    assert row is not None
    page.locator("#bookings-date").fill(row[0])
    return str(row[0])
