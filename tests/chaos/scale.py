"""Sizes of the chaos tests: small enough for CI by default, scaled up by `make chaos`
(scripts/chaos.sh sets CHAOS_SCALE and the CHAOS_* overrides)."""

from __future__ import annotations

import os

SCALE = float(os.environ.get("CHAOS_SCALE", "1"))


def count(name: str, default: int) -> int:
    return int(os.environ.get(f"CHAOS_{name}", str(max(1, round(default * SCALE)))))


def seconds(name: str, default: float) -> float:
    return float(os.environ.get(f"CHAOS_{name}", str(default * SCALE)))
