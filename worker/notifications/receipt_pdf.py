"""The receipt as a PDF (fpdf2), attached to the emails that carry a receipt.

It shows what the HTML receipt shows, from the same values (``render.receipt_view``
and ``render.booking_view``, amounts already written for the locale): the service,
the provider and the time, the price, GST and QST with their rates and the provider's
registration numbers (or no tax), the total, the deposit and its taxes, what was paid
(the first charge, then the balance), refunded and still due.

Fonts. The text is set in DejaVu Sans (Debian's ``fonts-dejavu-core``, which
scripts/bootstrap.sh and the image install), found through fontconfig (``fc-match``)
and embedded as a subset: no path is written here. Every character the French amounts
use comes out as such (the narrow no-break space that groups thousands, the no-break
spaces around ``$``), and so do names in the scripts DejaVu covers (Latin, Greek,
Cyrillic; not Chinese or Japanese, drawn as empty boxes). On a machine without
fontconfig or a TrueType font, the receipt falls back to the PDF core fonts
(Helvetica), which know windows-1252 only: é è à ç œ € and the typographic apostrophe
and en dash are in it; the narrow no-break space becomes a no-break space; any other
character loses its accent if windows-1252 has the bare letter, else becomes ``?``.
Nothing fails for lack of a font.
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fpdf import FPDF

# Labels, in the locale. The tax names and the lines are the HTML receipt's.
LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Receipt",
        "number": "Receipt no.",
        "booking": "Booking",
        "customer": "Customer",
        "paid_on": "Payment date",
        "service": "Service",
        "with": "with",
        "when": "When",
        "price": "Price",
        "gst": "GST",
        "qst": "QST",
        "gst_no": "GST no.",
        "qst_no": "QST no.",
        "taxes": "Taxes",
        "no_tax": "none (the provider is not registered for GST or QST)",
        "total": "Total",
        "deposit": "Deposit",
        "paid": "Paid",
        "balance_paid_card": "Balance paid by card",
        "balance_paid_venue": "Balance paid at the venue",
        "total_paid": "Total paid",
        "refunded": "Refunded",
        "balance_due": "Balance due",
        "rounding": "GST and QST are computed on the price, each rounded half up to the cent.",
        "issuer": "Issued by Bookiji for {provider}.",
    },
    "fr": {
        "title": "Reçu",
        "number": "N° de reçu",
        "booking": "Réservation",
        "customer": "Client",
        "paid_on": "Date du paiement",
        "service": "Service",
        "with": "avec",
        "when": "Quand",
        "price": "Prix",
        "gst": "TPS",
        "qst": "TVQ",
        "gst_no": "no TPS",
        "qst_no": "no TVQ",
        "taxes": "Taxes",
        "no_tax": "aucune (le prestataire n\u2019est pas inscrit à la TPS ni à la TVQ)",
        "total": "Total",
        "deposit": "Acompte",
        "paid": "Payé",
        "balance_paid_card": "Solde payé par carte",
        "balance_paid_venue": "Solde payé sur place",
        "total_paid": "Total payé",
        "refunded": "Remboursé",
        "balance_due": "Solde à payer",
        "rounding": "La TPS et la TVQ sont calculées sur le prix, chacune arrondie au cent le plus proche.",
        "issuer": "Émis par Bookiji pour {provider}.",
    },
}

SANS_PATTERNS = ("DejaVu Sans:style=Book", "DejaVu Sans:style=Bold")
FONT_SUFFIXES = (".ttf", ".otf")
NARROW_NBSP = "\u202f"
NBSP = "\u00a0"


@dataclass(frozen=True)
class Fonts:
    """The regular and bold font files fontconfig found."""

    regular: Path
    bold: Path


def _match(pattern: str) -> Path | None:
    """The font file fontconfig picks for ``pattern``, if it is a TrueType/OpenType file."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    try:
        found = subprocess.run(
            [fc_match, "--format=%{file}", pattern],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    path = Path(found.stdout.strip())
    if found.returncode != 0 or path.suffix.lower() not in FONT_SUFFIXES or not path.is_file():
        return None
    return path


@cache
def system_fonts() -> Fonts | None:
    """DejaVu Sans (or what fontconfig puts in its place), regular and bold; None without."""
    regular, bold = (_match(p) for p in SANS_PATTERNS)
    if regular is None or bold is None:
        return None
    return Fonts(regular=regular, bold=bold)


def windows_1252(text: str) -> str:
    """``text`` as the core fonts can say it (see the module's docstring)."""
    out = []
    for char in text.replace(NARROW_NBSP, NBSP):
        try:
            char.encode("cp1252")
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char)
            base = "".join(c for c in base if not unicodedata.combining(c))
            try:
                base.encode("cp1252")
            except UnicodeEncodeError:
                base = "?"
            char = base or "?"
        out.append(char)
    return "".join(out)


class _Receipt(FPDF):
    def __init__(self, fonts: Fonts | None) -> None:
        super().__init__(orientation="portrait", unit="mm", format="Letter")
        self.unicode = fonts is not None
        if fonts is not None:
            self.add_font("sans", "", fonts.regular)
            self.add_font("sans", "B", fonts.bold)
            self.family_name = "sans"
        else:
            self.core_fonts_encoding = "windows-1252"
            self.family_name = "helvetica"
        self.set_auto_page_break(auto=True, margin=20)
        self.set_margins(20, 20, 20)

    def text_of(self, text: str) -> str:
        return text if self.unicode else windows_1252(text)

    def font(self, size: float, *, bold: bool = False, grey: bool = False) -> None:
        self.set_font(self.family_name, "B" if bold else "", size)
        self.set_text_color(113, 113, 122) if grey else self.set_text_color(24, 24, 27)

    def line_of(self, label: str, value: str, note: str = "", *, bold: bool = False) -> None:
        """One line of the amounts: the label, the amount (right-aligned), a note."""
        self.font(11, grey=not bold, bold=bold)
        self.cell(62, 7, self.text_of(label))
        self.font(11, bold=bold)
        self.cell(42, 7, self.text_of(value), align="R")
        if note:
            self.font(9, grey=True)
            self.cell(4, 7, "")
            self.cell(0, 7, self.text_of(note))
        self.ln(7)

    def field(self, label: str, value: str) -> None:
        self.font(10, grey=True)
        self.cell(40, 6, self.text_of(label))
        self.font(10)
        self.multi_cell(0, 6, self.text_of(value), new_x="LMARGIN", new_y="NEXT")


def build(
    receipt: dict[str, Any],
    booking: dict[str, Any],
    customer: str,
    locale: str,
    fonts: Fonts | None,
) -> bytes:
    """The PDF of one receipt. ``receipt`` and ``booking`` are the templates' values
    (``render.receipt_view``, ``render.booking_view``); ``fonts`` is ``system_fonts()``,
    None for the core fonts."""
    words = LABELS.get(locale, LABELS["en"])
    pdf = _Receipt(fonts)
    pdf.set_title(f"{words['title']} {booking['id'][:8]}")
    pdf.set_author("Bookiji")
    pdf.set_lang(locale)
    pdf.add_page()

    pdf.font(20, bold=True)
    pdf.cell(0, 10, "Bookiji", new_x="LMARGIN", new_y="NEXT")
    pdf.font(15, bold=True)
    pdf.cell(0, 9, pdf.text_of(words["title"]), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.field(words["number"], booking["id"][:8].upper())
    pdf.field(words["booking"], booking["id"])
    pdf.field(words["customer"], customer)
    if receipt.get("paid_on"):
        pdf.field(words["paid_on"], receipt["paid_on"])
    pdf.field(words["service"], f"{booking['service']}, {words['with']} {booking['provider']}")
    pdf.field(
        words["when"],
        f"{booking['date']}, {booking['start']} \u2013 {booking['end']} ({booking['zone']})",
    )
    pdf.ln(4)

    pdf.line_of(words["price"], receipt["price"])
    if receipt["gst_number"]:
        pdf.line_of(
            f"{words['gst']} ({receipt['gst_rate']})",
            receipt["gst"],
            f"{words['gst_no']} {receipt['gst_number']}",
        )
    if receipt["qst_number"]:
        pdf.line_of(
            f"{words['qst']} ({receipt['qst_rate']})",
            receipt["qst"],
            f"{words['qst_no']} {receipt['qst_number']}",
        )
    if not receipt["gst_number"] and not receipt["qst_number"]:
        pdf.line_of(words["taxes"], "", words["no_tax"])
    pdf.line_of(words["total"], receipt["total"], bold=True)
    if receipt["deposit"]:
        taxes = []
        if receipt["gst_number"]:
            taxes.append(f"+ {words['gst']} {receipt['charge_gst']}")
        if receipt["qst_number"]:
            taxes.append(f"+ {words['qst']} {receipt['charge_qst']}")
        pdf.line_of(words["deposit"], receipt["deposit"], " ".join(taxes))
    pdf.line_of(words["paid"], receipt["paid"])
    if receipt["balance_paid"]:
        method = (
            "balance_paid_venue" if receipt["balance_method"] == "venue" else "balance_paid_card"
        )
        pdf.line_of(words[method], receipt["balance_paid"])
        pdf.line_of(words["total_paid"], receipt["total_paid"], bold=True)
    pdf.line_of(words["refunded"], receipt["refunded"])
    if receipt["balance_due_cents"]:
        pdf.line_of(words["balance_due"], receipt["balance_due"], bold=True)

    pdf.ln(6)
    pdf.font(9, grey=True)
    if receipt["gst_number"] or receipt["qst_number"]:
        pdf.multi_cell(0, 5, pdf.text_of(words["rounding"]), new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(
        0,
        5,
        pdf.text_of(words["issuer"].format(provider=booking["provider"])),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())
