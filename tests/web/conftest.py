"""The web app in a real browser (Debian's chromium under Playwright) against a real stack:
PostgreSQL (a database of its own), PostgREST, the nginx gateway serving web/dist at /app/,
the real-time service, localstripe (its Stripe.js stand-in with bookiji's additions), the
worker and an SMTP sink. Screenshots go to test-artifacts/web/ (gitignored)."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import psycopg
import pytest
from playwright.sync_api import Browser, BrowserType, Playwright, sync_playwright

from bookiji import config, gateway
from tests.helpers import booking as bk
from tests.helpers import mailbox as mailbox_helper
from tests.helpers import stack
from tests.helpers.browser import WebStack
from tests.helpers.stripe_fake import run_localstripe
from tests.helpers.worker_proc import WorkerProcess

ROOT = config.ROOT


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's chromium, never a downloaded browser (`playwright install` is not used)."""
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": ["--no-sandbox"],
    }


# pytest-playwright keeps one Playwright (and its asyncio loop, running on the main
# thread) for the whole session, so every later test's asyncio.run() would fail
# ("cannot be called from a running event loop": the real-time tests). Here the
# Playwright, and the browser on it, live for one module and stop with it.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    pw = sync_playwright().start()
    yield pw
    pw.stop()


@pytest.fixture(scope="module")
def browser_type(playwright: Playwright, browser_name: str) -> BrowserType:
    return cast(BrowserType, getattr(playwright, browser_name))


@pytest.fixture(scope="module")
def launch_browser(
    browser_type_launch_args: dict[str, Any], browser_type: BrowserType
) -> Callable[..., Browser]:
    def launch(**kwargs: Any) -> Browser:
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture(scope="module")
def browser_context_args(
    playwright: Playwright, device: str | None, base_url: str | None
) -> dict[str, Any]:
    args: dict[str, Any] = dict(playwright.devices[device]) if device else {}
    if base_url:
        args["base_url"] = base_url
    return args


@pytest.fixture(scope="module")
def browser(launch_browser: Callable[..., Browser]) -> Iterator[Browser]:
    b = launch_browser()
    yield b
    b.close()


@pytest.fixture(scope="session")
def web_dist() -> Path:
    """web/dist, built from the current sources when they changed (scripts/build-web.sh)."""
    subprocess.run([str(ROOT / "scripts" / "build-web.sh")], check=True, cwd=ROOT)
    assert (gateway.WEB_DIST / "index.html").exists()
    return gateway.WEB_DIST


@pytest.fixture(scope="module")
def web(
    template_db: str, web_dist: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebStack]:
    name = f"bookiji_web_{uuid.uuid4().hex[:8]}"
    stack.create_db(name, template_db)
    try:
        with (
            run_localstripe() as fake,
            mailbox_helper.running(tmp_path_factory.mktemp("mail")) as box,
            stack.run_postgrest(
                name,
                realtime_env={},
                web_dir=web_dist,
                app_config=stack.settings().app_config(f"{fake.url}/js.stripe.com/v3/"),
            ) as api,
            pytest.MonkeyPatch.context() as env,
        ):
            fake.register_webhook(
                f"{api.url}/rpc/stripe_webhook", config.load().stripe_webhook_secret
            )
            env.setenv("STRIPE_API_BASE", fake.url)
            env.setenv("SMTP_URL", box.url)
            env.setenv("APP_URL", f"{api.url}/app")
            with WorkerProcess(
                stack.worker_url(name),
                "--import",
                "worker.tasks",
                "--sweep-interval",
                "0.5",
                "--poll",
                "1",
            ) as worker:
                worker.wait_for("worker ready|idle")
                yield WebStack(api.url, api.db_url, fake, box)
    finally:
        stack.drop_db(name)


@pytest.fixture
def admin(web: WebStack) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(web.db_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def plateau_shop(admin: psycopg.Connection[Any]) -> bk.Shop:
    """A haircut salon in the Plateau, open every day 09:00-17:00 Montreal time."""
    return bk.open_shop(admin)
