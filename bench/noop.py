"""A no-op message handler for the queue benchmark (``--import bench.noop``)."""

from __future__ import annotations

from typing import Any

from worker import registry


@registry.handler("bench.noop")
def noop(ctx: registry.Context, body: dict[str, Any]) -> None:
    """Do nothing: what is left is the worker's own cost per message."""
