"""The receipt's PDF through the real notification path: the rows queued in SQL when a
payment confirms a booking (payment_receipt) or a refund succeeds (booking_refunded), the
worker loop (in-process, --once) rendering them, a real SMTP server (aiosmtpd); the PDF
read back with pypdf and its amounts compared, to the cent, with the receipt's JSON."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import psycopg
import pypdf
import pytest

from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.db import call_as, one
from tests.helpers.factories import create_user
from tests.helpers.mailbox import Mailbox, html_of, text_of
from worker.notifications import receipt_pdf
from worker.runner import Runner
from worker.tasks import notifications  # noqa: F401  (registers the notify handler)

GST = "123456782RT0001"
QST = "1234567890TQ0001"
NBSP, NNBSP = "\u00a0", "\u202f"


def written(cents: int, locale: str) -> str:
    """An amount as the receipt writes it, spelt out here rather than taken from the worker:
    ``$1,234.50 CAD`` / ``1 234,50 $ CAD`` (narrow no-break space, no-break spaces)."""
    digits = f"{Decimal(cents) / 100:,.2f}"
    if locale == "fr":
        return digits.replace(",", NNBSP).replace(".", ",") + f"{NBSP}${NBSP}CAD"
    return f"${digits} CAD"


def _paid(
    db: psycopg.Connection[Any], locale: str, *, registered: bool, **names: str
) -> tuple[dict[str, Any], uuid.UUID, str]:
    """A booking with a deposit, paid: the booking, its customer and the customer's address."""
    shop = bk.open_shop(db, price_cents=4500, deposit_cents=1010, name=names.get("service", "Cut"))
    if "provider" in names:  # owner-level: a business name with accents
        db.execute(
            "update app.providers set business_name = %s where id = %s",
            (names["provider"], shop.provider_id),
        )
    if registered:
        call_as(
            db, "provider", shop.owner_id, "select internal.set_tax_registration(%s, %s)", GST, QST
        )
    customer = create_user(db, "customer", locale=locale, full_name=names.get("customer"))
    start = catalog.next_weekday(2, at="10:00")
    b = bk.confirm(db, customer, bk.quote(db, customer, shop, start), shop.provider_id)
    assert bk.pay(db, b) == "booking confirmed"
    return b, customer, str(one(db, "select email from app.users where id = %s", customer))


def _refund(db: psycopg.Connection[Any], booking_id: Any, cents: int) -> None:
    """Ops refund part of the charge and Stripe reports the refund succeeded (what the
    worker records from Stripe's answer)."""
    done = call_as(
        db, "ops", create_user(db, "ops"), "select internal.ops_refund(%s, %s, %s)",
        booking_id, cents, "goodwill",
    )  # fmt: skip
    db.execute(
        "select internal.record_refund(%s, %s, 'succeeded', null)",
        (done["refund_id"], f"re_{uuid.uuid4().hex[:24]}"),
    )


def pdfs(msg: EmailMessage) -> dict[str, bytes]:
    """The message's PDF attachments by file name."""
    return {
        str(part.get_filename()): bytes(part.get_content())
        for part in msg.iter_attachments()
        if part.get_content_type() == "application/pdf"
    }


def _one_mail(mailbox: Mailbox, address: str, subject_start: str) -> EmailMessage:
    found = [m for m in mailbox.to(address) if str(m["Subject"]).startswith(subject_start)]
    assert len(found) == 1, [m["Subject"] for m in mailbox.to(address)]
    return found[0]


def text_of_pdf(content: bytes) -> str:
    """The PDF's text, its runs of spaces as one (pypdf infers them from the gaps between
    cells); no-break spaces are other characters and stay."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(" +", " ", text)


def receipt_json(db: psycopg.Connection[Any], event: str, booking_id: Any) -> dict[str, Any]:
    data = one(
        db,
        "select data -> 'receipt' from app.notifications"
        " where event = %s and data ->> 'booking_id' = %s and channel = 'email'",
        event,
        str(booking_id),
    )
    assert isinstance(data, dict)
    return data


def assert_amounts(text: str, receipt: dict[str, Any], locale: str) -> None:
    """Every amount of the receipt's JSON is in the PDF's text, to the cent, on its line."""
    gst, qst = ("TPS", "TVQ") if locale == "fr" else ("GST", "QST")
    labels = {
        "fr": ("Prix", "Total", "Acompte", "Payé", "Remboursé", "Solde à payer"),
        "en": ("Price", "Total", "Deposit", "Paid", "Refunded", "Balance due"),
    }[locale]
    price, total, deposit, paid, refunded, due = labels
    lines = text.splitlines()

    def line(start: str) -> str:
        # the label, then an amount or a rate ("Total " is not "Total payé ")
        found = [x for x in lines if x.startswith(start) and re.match(r"[$\d]", x[len(start) :])]
        assert len(found) == 1, (start, lines)
        return found[0]

    assert line(f"{price} ").endswith(" " + written(receipt["price_cents"], locale))
    assert line(f"{total} ").endswith(" " + written(receipt["total_cents"], locale))
    assert line(f"{paid} ").endswith(" " + written(receipt["paid_cents"], locale))
    assert line(f"{refunded} ").endswith(" " + written(receipt["refunded_cents"], locale))
    charge = receipt["charge"]
    assert line(f"{deposit} ") == (
        f"{deposit} {written(receipt['deposit_cents'], locale)} "
        f"+ {gst} {written(charge['gst_cents'], locale)} + {qst} {written(charge['qst_cents'], locale)}"
    )
    assert line(f"{gst} (").endswith(
        f" {written(receipt['gst_cents'], locale)} {'no TPS' if locale == 'fr' else 'GST no.'} {GST}"
    )
    assert line(f"{qst} (").endswith(
        f" {written(receipt['qst_cents'], locale)} {'no TVQ' if locale == 'fr' else 'QST no.'} {QST}"
    )
    if receipt["balance_status"] in ("open", "due", "charging"):
        assert line(f"{due} ").endswith(" " + written(receipt["balance_cents"], locale))
    else:
        assert not [x for x in lines if x.startswith(due)]


def test_the_receipt_email_carries_the_pdf_with_the_amounts_of_the_json(
    db: psycopg.Connection[Any],
    drain: Callable[..., Runner],
    mailbox: Mailbox,
    tmp_path: Path,
) -> None:
    b, _, address = _paid(db, "en", registered=True)
    drain(queues=("notifications",))
    msg = _one_mail(mailbox, address, "Receipt: $11.62 CAD paid for Cut")
    attached = pdfs(msg)
    assert list(attached) == [f"receipt-{str(b['id'])[:8]}.pdf"]
    content = attached[f"receipt-{str(b['id'])[:8]}.pdf"]
    (tmp_path / "receipt-en.pdf").write_bytes(content)  # to look at: pdftoppm -png
    assert content.startswith(b"%PDF-")
    text = text_of_pdf(content)
    receipt = receipt_json(db, "payment_receipt", b["id"])
    assert_amounts(text, receipt, "en")
    # the figures themselves (45.00, 5% and 9.975% half up, a 10.10 deposit with its taxes)
    for part in (
        "Price $45.00 CAD",
        "GST (5%) $2.25 CAD GST no. 123456782RT0001",
        "QST (9.975%) $4.49 CAD QST no. 1234567890TQ0001",
        "Total $51.74 CAD",
        "Deposit $10.10 CAD + GST $0.51 CAD + QST $1.01 CAD",
        "Paid $11.62 CAD",
        "Refunded $0.00 CAD",
        "Balance due $40.12 CAD",
        f"Booking {b['id']}",
        "Service Cut, with ",
    ):
        assert part in text, part
    assert "The receipt is attached as a PDF." in text_of(msg)
    assert "The receipt is attached as a PDF." in html_of(msg)
    # only the receipt carries it: the confirmation (with its invitation) does not
    others = [m for m in mailbox.to(address) if not str(m["Subject"]).startswith("Receipt")]
    assert others and all(pdfs(m) == {} for m in others)


def test_the_provider_gets_no_receipt_of_its_customers_payment(
    db: psycopg.Connection[Any], drain: Callable[..., Runner], mailbox: Mailbox
) -> None:
    b, _, customer_address = _paid(db, "en", registered=True)
    owner = one(
        db,
        "select p.owner_id from app.bookings as b join app.providers as p on p.id = b.provider_id"
        " where b.id = %s",
        b["id"],
    )
    drain(queues=("notifications",))
    provider_mail = mailbox.to(str(one(db, "select email from app.users where id = %s", owner)))
    assert provider_mail, "the provider is told of the booking"
    assert all(pdfs(m) == {} for m in provider_mail)
    assert any(pdfs(m) for m in mailbox.to(customer_address))


def test_a_french_receipt_says_its_amounts_and_accents_right(
    db: psycopg.Connection[Any], drain: Callable[..., Runner], mailbox: Mailbox
) -> None:
    b, _, address = _paid(
        db,
        "fr",
        registered=True,
        service="Coupe d\u2019œuvre",
        provider="Salon Élise & Cœur",
        customer="Zoë Côté",
    )
    drain(queues=("notifications",))
    msg = _one_mail(mailbox, address, "Reçu : 11,62")
    (content,) = pdfs(msg).values()
    text = text_of_pdf(content)
    assert_amounts(text, receipt_json(db, "payment_receipt", b["id"]), "fr")
    for part in (
        "Reçu",
        f"Prix 45,00{NBSP}${NBSP}CAD",
        f"TPS (5{NNBSP}%) 2,25{NBSP}${NBSP}CAD no TPS {GST}",
        f"TVQ (9,975{NNBSP}%) 4,49{NBSP}${NBSP}CAD no TVQ {QST}",
        f"Solde à payer 40,12{NBSP}${NBSP}CAD",
        "Client Zoë Côté",
        "Service Coupe d\u2019œuvre, avec Salon Élise & Cœur",
        "Émis par Bookiji pour Salon Élise & Cœur.",
    ):
        assert part in text, part


def test_a_receipt_of_an_unregistered_provider_has_no_tax_line(
    db: psycopg.Connection[Any], drain: Callable[..., Runner], mailbox: Mailbox
) -> None:
    _, _, address = _paid(db, "fr", registered=False)
    drain(queues=("notifications",))
    (content,) = pdfs(_one_mail(mailbox, address, "Reçu : 10,10")).values()
    text = text_of_pdf(content)
    assert "Taxes aucune (le prestataire n\u2019est pas inscrit à la TPS ni à la TVQ)" in text
    assert "no TPS" not in text and "TVQ (" not in text
    assert f"Acompte 10,10{NBSP}${NBSP}CAD\n" in text + "\n"
    assert f"Solde à payer 34,90{NBSP}${NBSP}CAD" in text


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_a_refund_emails_the_receipt_with_the_refund_in_it(
    db: psycopg.Connection[Any], drain: Callable[..., Runner], mailbox: Mailbox, locale: str
) -> None:
    b, _, address = _paid(db, locale, registered=True)
    _refund(db, b["id"], 500)
    drain(queues=("notifications",))
    receipt = receipt_json(db, "booking_refunded", b["id"])
    assert (receipt["paid_cents"], receipt["refunded_cents"]) == (1162, 500)
    subject = "Refund of $5.00 CAD" if locale == "en" else "Remboursement de 5,00"
    msg = _one_mail(mailbox, address, subject)
    attached = pdfs(msg)
    assert list(attached) == [f"receipt-{str(b['id'])[:8]}.pdf"]
    text = text_of_pdf(attached[f"receipt-{str(b['id'])[:8]}.pdf"])
    assert_amounts(text, receipt, locale)
    refunded = "Refunded $5.00 CAD" if locale == "en" else f"Remboursé 5,00{NBSP}${NBSP}CAD"
    assert refunded in text
    said = {
        "en": "Your receipt, with this refund, is attached as a PDF.",
        "fr": "Votre reçu, avec ce remboursement, est joint en PDF.",
    }[locale]
    assert said in text_of(msg) and said in html_of(msg)
    # the payment's receipt, sent before, said nothing was refunded yet
    first = receipt_json(db, "payment_receipt", b["id"])
    assert first["refunded_cents"] == 0


def test_a_receipt_without_the_font_falls_back_to_windows_1252() -> None:
    """No font from fontconfig: Helvetica, the narrow no-break space as a no-break space, what
    windows-1252 has (é, œ, the apostrophe) kept, an unknown letter as ``?``."""
    receipt = {
        "price": f"1{NNBSP}045,00{NBSP}${NBSP}CAD",
        "gst": "0", "qst": "0", "gst_rate": "5", "qst_rate": "9,975",
        "gst_number": None, "qst_number": None, "total": "x", "deposit": None,
        "charge_gst": "0", "charge_qst": "0", "paid": "x", "balance_paid": None,
        "balance_method": None, "total_paid": "x", "refunded": "x",
        "balance_due": "x", "balance_due_cents": 0, "paid_on": None,
    }  # fmt: skip
    booking = {
        "id": str(uuid.uuid4()), "service": "Coupe d\u2019œuvre 理髪", "provider": "Élise",
        "date": "mercredi 9 décembre 2026", "start": "10 h 00", "end": "11 h 00",
        "zone": "America/Toronto",
    }  # fmt: skip
    text = text_of_pdf(receipt_pdf.build(receipt, booking, "Zoë", "fr", None))
    assert f"Prix 1{NBSP}045,00{NBSP}${NBSP}CAD" in text
    assert "Coupe d\u2019œuvre ??, avec Élise" in text
    assert receipt_pdf.windows_1252("Dvořák") == "Dvorák"


def test_the_receipt_embeds_the_font_fontconfig_finds() -> None:
    """scripts/bootstrap.sh installs fonts-dejavu-core and fontconfig: the PDF embeds it."""
    fonts = receipt_pdf.system_fonts()
    assert fonts is not None and fonts.regular.suffix == ".ttf"
    booking = {
        "id": str(uuid.uuid4()), "service": "Cut", "provider": "P", "date": "d",
        "start": "s", "end": "e", "zone": "z",
    }  # fmt: skip
    receipt = {
        "price": "x", "gst_number": None, "qst_number": None, "total": "x", "deposit": None,
        "paid": "x", "balance_paid": None, "refunded": "x", "balance_due_cents": 0,
    }  # fmt: skip
    reader = pypdf.PdfReader(io.BytesIO(receipt_pdf.build(receipt, booking, "Zoë", "en", fonts)))
    page_fonts = reader.pages[0]["/Resources"]["/Font"]
    names = {str(f.get_object()["/BaseFont"]) for f in page_fonts.values()}
    assert any("DejaVu" in n for n in names), names


def test_a_refund_after_the_balance_was_paid_at_the_venue_shows_the_total_paid(
    db: psycopg.Connection[Any], drain: Callable[..., Runner], mailbox: Mailbox, tmp_path: Path
) -> None:
    b, _, address = _paid(db, "fr", registered=True)
    owner = one(
        db,
        "select p.owner_id from app.bookings as b join app.providers as p on p.id = b.provider_id"
        " where b.id = %s",
        b["id"],
    )
    bk.starts_in(db, b["id"], "-5 minutes")
    call_as(db, "provider", owner, "select internal.mark_balance_paid_at_venue(%s)", b["id"])
    _refund(db, b["id"], 500)
    drain(queues=("notifications",))
    receipt = receipt_json(db, "booking_refunded", b["id"])
    assert (receipt["balance_status"], receipt["balance_paid_cents"]) == ("paid", 4012)
    (content,) = pdfs(_one_mail(mailbox, address, "Remboursement de 5,00")).values()
    (tmp_path / "receipt-fr-refund.pdf").write_bytes(content)  # to look at: pdftoppm -png
    text = text_of_pdf(content)
    assert_amounts(text, receipt, "fr")  # no balance due: it was paid
    for part in (
        f"Payé 11,62{NBSP}${NBSP}CAD",
        f"Solde payé sur place 40,12{NBSP}${NBSP}CAD",
        f"Total payé 51,74{NBSP}${NBSP}CAD",
        f"Remboursé 5,00{NBSP}${NBSP}CAD",
    ):
        assert part in text, part
