"""A real localstripe process for tests, on a free loopback port (bookiji.services)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bookiji import services


@dataclass
class LocalStripe:
    url: str

    def register_webhook(self, target: str, secret: str, name: str = "bookiji") -> None:
        resp = httpx.post(
            f"{self.url}/_config/webhooks/{name}", data={"url": target, "secret": secret}
        )
        resp.raise_for_status()


@contextmanager
def run_localstripe(state: Path | None = None) -> Iterator[LocalStripe]:
    with services.localstripe_process(state) as url:
        yield LocalStripe(url)
