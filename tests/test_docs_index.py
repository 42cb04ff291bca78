"""The README is the docs' index: its table "Where everything else is" links every page of
docs/ (and db/README.md), so a new page cannot be left where no reader finds it."""

from __future__ import annotations

import re

from bookiji.config import ROOT
from tests.test_docs import section


def indexed() -> set[str]:
    table = section((ROOT / "README.md").read_text(), "Where everything else is")
    return {m.partition("#")[0] for m in re.findall(r"^\| \[[^\]]+\]\(([^)]+)\)", table, re.M)}


def test_the_readme_indexes_every_doc() -> None:
    pages = {p.relative_to(ROOT).as_posix() for p in ROOT.glob("docs/*.md")}
    pages.add("db/README.md")
    assert pages - indexed() == set(), "add these to the README's 'Where everything else is'"


def test_the_index_reads_its_table_rows_only() -> None:
    assert "docs/api.md" in indexed()
    assert "docs/architecture.md" in indexed()
