"""The web app's message catalogues: English and French have the same keys, and every
code of the error registry (docs/errors.md, internal.error_codes()) has a message in both."""

from __future__ import annotations

import re

from bookiji.config import ROOT
from tests.helpers.browser import catalogue


def registry_codes() -> set[str]:
    text = (ROOT / "docs" / "errors.md").read_text()
    return set(re.findall(r"^\| ([a-z_]+) \| \d{3} \|", text, re.M))


def test_the_registry_is_read() -> None:
    codes = registry_codes()
    assert {"invalid_input", "slot_unavailable", "quote_expired", "rate_limited"} <= codes
    assert len(codes) >= 20


def test_every_error_code_has_a_message_in_english_and_french() -> None:
    en, fr = catalogue("en"), catalogue("fr")
    missing = {
        lang: sorted(
            c for c in registry_codes() if f"error.{c}" not in cat or not cat[f"error.{c}"]
        )
        for lang, cat in (("en", en), ("fr", fr))
    }
    assert missing == {"en": [], "fr": []}


def test_both_catalogues_have_the_same_keys_and_french_is_translated() -> None:
    en, fr = catalogue("en"), catalogue("fr")
    assert len(en) > 100
    assert set(en) == set(fr)
    # the same in both languages on purpose
    alike = {"app.name", "search.category", "search.lat", "search.lng", "search.date"}
    alike |= {"search.radius", "offer.distance", "provider.duration", "provider.services"}
    alike |= {"provider.actions", "why.points", "why.penalty"}
    alike |= {"receipt.total", "ops.commissionMinimum"}
    same = {k for k in en if en[k] == fr[k]} - alike
    assert same == set(), "untranslated French messages"
