"""The README's configuration table lists every variable bookiji/config.py reads, with its default."""

from __future__ import annotations

import re

from bookiji import config
from bookiji.config import ROOT

# Not in DEFAULTS or SECRET_NAMES, but read from the environment all the same.
OTHER_VARIABLES = ("DATABASE_URL", "WORKER_DATABASE_URL", "BOOKIJI_TEST_PG_PORT")


def readme_table() -> dict[str, str]:
    """Variable name -> default column, from the README's rows `| `NAME` | default | meaning |`."""
    text = (ROOT / "README.md").read_text()
    rows = re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \| ([^|]*) \|", text, re.M)
    return {name: default.strip() for name, default in rows}


def test_every_variable_is_in_the_readme() -> None:
    documented = readme_table()
    expected = {*config.DEFAULTS, *config.SECRET_NAMES, *config.OPTIONAL_NAMES, *OTHER_VARIABLES}
    assert expected - set(documented) == set(), "add these to the README's configuration table"
    assert set(documented) - expected == set(), "the README documents variables nothing reads"


def test_the_readme_gives_each_default_as_the_code_has_it() -> None:
    documented = readme_table()
    for name, default in config.DEFAULTS.items():
        if name == "BOOKIJI_DATA_DIR":
            continue  # an absolute path on each machine
        assert documented[name] == f"`{default}`", name
    for name in config.SECRET_NAMES:
        assert documented[name].startswith("generated"), name
    for name in config.OPTIONAL_NAMES:
        assert documented[name] == "unset", name


def test_the_readme_gives_the_test_clusters_default_port() -> None:
    source = (ROOT / "bookiji" / "scratch.py").read_text()
    default = re.search(r'os\.environ\.get\("BOOKIJI_TEST_PG_PORT", "(\d+)"\)', source)
    assert default is not None
    assert readme_table()["BOOKIJI_TEST_PG_PORT"] == f"`{default.group(1)}`"
