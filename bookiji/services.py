"""The development side services: localstripe and an SMTP sink that keeps mail.

localstripe's own command line listens on every interface; here its aiohttp app
is started on 127.0.0.1 unless the command line names another address (inside a
container: `--host 0.0.0.0`). The SMTP sink is aiosmtpd, saving each received
message as an ``.eml`` file under ``.data/mail/``. The development stack keeps
localstripe's objects in ``.data/stripe/`` across restarts. localstripe gets Stripe
Connect from bookiji/stripe_connect.py (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import pickle
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bookiji import config
from bookiji.procs import free_port, stop

log = logging.getLogger("bookiji.services")


def run_localstripe(
    host: str, port: int, state: Path | None = None, webhook: tuple[str, str] | None = None
) -> None:
    """localstripe keeps its objects in memory and, as shipped, pickles the whole store
    to one fixed file in /tmp on every write (shared by every instance, and slower with
    each object). Here: with ``state``, the store is loaded from that file at start and
    written back (atomically) at most every 2 s and at shutdown, so that the development
    stack's payments survive `make down` / `make up`; without it, nothing is written.

    ``webhook`` (url, secret): registered before the first request, as the webhook
    endpoint localstripe signs its events for (a container's fake, whose registration
    must survive its restarts; `make up` registers over HTTP instead)."""
    from aiohttp import web
    from localstripe.resources import store
    from localstripe.server import app
    from localstripe.webhooks import register_webhook

    from bookiji import stripe_connect, stripe_disputes

    dirty = False

    def mark_dirty() -> None:
        nonlocal dirty
        dirty = True

    def save() -> None:
        nonlocal dirty
        if state is None or not dirty:
            return
        tmp = state.with_name(state.name + ".tmp")
        with tmp.open("wb") as out:
            pickle.dump(dict(store), out, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(state)
        dirty = False

    store.dump_to_disk = mark_dirty  # the store calls it after every change
    if webhook is not None:
        register_webhook(WEBHOOK_ID, webhook[0], webhook[1], None)
        log.info("localstripe: webhook events go to %s", webhook[0])
    app.middlewares.insert(0, web.middleware(_stripe_js_additions))
    stripe_connect.install(app)  # Stripe Connect, which localstripe lacks
    stripe_disputes.install(app)  # card disputes and Stripe's dispute test cards
    if state is not None:
        state.parent.mkdir(parents=True, exist_ok=True)
        if state.exists():
            with state.open("rb") as f:
                store.update(pickle.load(f))  # noqa: S301 - our own file, under .data/
            log.info("localstripe: %d objects loaded from %s", len(store), state)

        async def saver(_: web.Application) -> AsyncIterator[None]:
            async def loop() -> None:
                while True:
                    await asyncio.sleep(2)
                    save()

            task = asyncio.create_task(loop())
            yield
            task.cancel()
            save()

        app.cleanup_ctx.append(saver)
    web.run_app(app, host=host, port=port, access_log=None, print=None)


# the id `make up` registers its webhook under (bookiji/stripe_setup.py): one endpoint
WEBHOOK_ID = "bookiji"
EXTRA_JS = Path(__file__).resolve().parent / "localstripe_extra.js"
_CONFIRM_PATH = re.compile(r"^/v1/payment_intents/(pi_\w+)/confirm$")


async def _stripe_js_additions(request: Any, handler: Any) -> Any:
    """Where localstripe's Stripe.js stand-in falls short of real Stripe.js (docs/web.md):
    serve it with bookiji's additions (localstripe_extra.js), and accept what those send,
    as Stripe does: a PaymentIntent confirmed from the browser with the publishable key,
    its client secret and the card (``payment_method_data``)."""
    from aiohttp import web
    from localstripe.errors import UserError
    from localstripe.resources import PaymentIntent, PaymentMethod, store
    from localstripe.server import get_post_data, json_response, localstripe_js

    if request.method == "GET" and request.path == "/js.stripe.com/v3/":
        original = localstripe_js(request).text
        return web.Response(
            text=original + "\n" + EXTRA_JS.read_text(), content_type="application/javascript"
        )
    match = _CONFIRM_PATH.match(request.path)
    if request.method != "POST" or not match or request.headers.get("Authorization"):
        return await handler(request)
    try:
        data = await get_post_data(request, remove_auth=False) or {}
        key, secret = data.get("key"), data.get("client_secret")
        if not (isinstance(key, str) and key.startswith("pk_")):
            raise UserError(401, "Unauthorized")
        intent = PaymentIntent._api_retrieve(match.group(1))
        if secret != intent.client_secret:
            raise UserError(401, "Unauthorized")
        method_data = data.get("payment_method_data")
        if not isinstance(method_data, dict):
            raise UserError(400, "payment_method_data is required")
        method = PaymentMethod._api_create(**method_data)
        PaymentIntent._api_update(intent.id, payment_method=method.id)
        confirmed = PaymentIntent._api_confirm(intent.id)
        store.dump_to_disk()
        return json_response(confirmed._export())
    except UserError as e:
        return e.to_response()


@contextmanager
def localstripe_process(state: Path | None = None, timeout: float = 30) -> Iterator[str]:
    """A localstripe process on a free loopback port (``bookiji localstripe``), ready to
    answer: its URL. Stopped on exit."""
    port = free_port()
    keep = ["--state", str(state)] if state is not None else []
    proc = subprocess.Popen(
        [sys.executable, "-m", "bookiji.cli", "localstripe", "--port", str(port), *keep],
        cwd=config.ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
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
        yield url
    finally:
        stop(proc)


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
