"""A real localstripe process for tests, on a free loopback port."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.helpers.stack import free_port


@dataclass
class LocalStripe:
    url: str
    process: subprocess.Popen[bytes]

    def register_webhook(self, target: str, secret: str, name: str = "bookiji") -> None:
        resp = httpx.post(
            f"{self.url}/_config/webhooks/{name}", data={"url": target, "secret": secret}
        )
        resp.raise_for_status()


@contextmanager
def run_localstripe(state: Path | None = None) -> Iterator[LocalStripe]:
    port = free_port()
    keep = ["--state", str(state)] if state is not None else []
    proc = subprocess.Popen(
        [sys.executable, "-m", "worker.cli", "localstripe", "--port", str(port), *keep],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(
                    f"{url}/v1/customers", headers={"Authorization": "Bearer sk_test_x"}, timeout=1
                )
                break
            except httpx.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("localstripe did not start") from None
                time.sleep(0.05)
        yield LocalStripe(url, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
