"""Running ``bookiji bench`` from a test, as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def run_bench(
    db_url: str, out: Path, *args: str, duration: float = 1, timeout: float = 120
) -> tuple[dict[str, Any], str]:
    """``bookiji bench --quick`` on ``db_url``: the run's JSON (its chart drawn, its
    table printed) and what it printed."""
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "bookiji.cli",
            "bench",
            "--quick",
            "--duration",
            f"{duration:g}",
            "--database-url",
            db_url,
            "--results-dir",
            str(out),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    (json_file,) = out.glob("*.json")
    assert json_file.with_suffix(".png").stat().st_size > 0
    assert "err/non-2xx" in res.stdout  # the table
    doc: dict[str, Any] = json.loads(json_file.read_text())
    return doc, res.stdout + res.stderr
