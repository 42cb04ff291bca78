"""A real SMTP server for the tests: aiosmtpd on a free loopback port, keeping every message.

It is the development SMTP sink's handler (bookiji/services.MailboxHandler),
optionally answering the first DATA commands with scripted replies (a 4xx to
test retries, a 5xx to test dead letters).
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from bookiji.services import MailboxHandler
from tests.helpers import stack


class ScriptedMailbox(MailboxHandler):
    """Answers DATA with the scripted replies first (e.g. "451 ..."), then accepts and keeps."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.replies: list[str] = []
        self.data_commands = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_commands += 1
        if self.replies:
            return self.replies.pop(0)
        return await super().handle_DATA(server, session, envelope)


class Mailbox:
    def __init__(self, directory: Path, handler: ScriptedMailbox, port: int) -> None:
        self.directory = directory
        self.handler = handler
        self.port = port

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def refuse_next(self, *replies: str) -> None:
        """Answer the next DATA commands with these replies, in order."""
        self.handler.replies.extend(replies)

    def messages(self) -> list[EmailMessage]:
        out = []
        for path in sorted(self.directory.glob("*.eml")):
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(msg, EmailMessage)
            out.append(msg)
        return out

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages() if address in str(m["X-Bookiji-Rcpt-To"])]


@contextmanager
def running(directory: Path) -> Iterator[Mailbox]:
    handler = ScriptedMailbox(directory)
    port = stack.free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield Mailbox(directory, handler, port)
    finally:
        controller.stop()


def text_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def html_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def calendar_of(msg: EmailMessage) -> tuple[str, bytes] | None:
    """The text/calendar alternative: its method parameter and its bytes (None without one)."""
    for part in msg.walk():
        if part.get_content_type() == "text/calendar":
            content = part.get_content()
            data = content.encode() if isinstance(content, str) else bytes(content)
            return str(part.get_param("method")), data
    return None
