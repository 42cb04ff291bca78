"""The development side services: localstripe and an SMTP sink that keeps mail.

localstripe's own command line listens on every interface; here its aiohttp app
is started on 127.0.0.1 unless the command line names another address (inside a
container: `--host 0.0.0.0`). The SMTP sink is aiosmtpd, saving each received
message as an ``.eml`` file under ``.data/mail/``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import signal
import time
from pathlib import Path
from typing import Any

log = logging.getLogger("bookiji.services")


def run_localstripe(host: str, port: int) -> None:
    from aiohttp import web
    from localstripe.server import app

    web.run_app(app, host=host, port=port, access_log=None, print=None)


class MailboxHandler:
    """aiosmtpd handler: write every message to ``directory`` as an .eml file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._seq = itertools.count()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        name = f"{time.time_ns()}-{next(self._seq)}.eml"
        tmp = self.directory / (name + ".tmp")
        header = (
            f"X-Bookiji-Mail-From: {envelope.mail_from}\r\n"
            f"X-Bookiji-Rcpt-To: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        tmp.write_bytes(header + envelope.original_content)
        tmp.rename(self.directory / name)
        log.info("mail from %s to %s saved as %s", envelope.mail_from, envelope.rcpt_tos, name)
        return "250 Message accepted for delivery"


def run_smtp_sink(host: str, port: int, directory: Path) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(MailboxHandler(directory), hostname=host, port=port)
    controller.start()
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        loop.run_until_complete(stop.wait())
    finally:
        controller.stop()
        loop.close()
