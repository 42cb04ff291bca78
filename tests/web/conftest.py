"""The web app in a real browser (Debian's chromium under Playwright) against a real stack:
PostgreSQL (a database of its own), PostgREST, the nginx gateway serving web/dist at /app/,
the real-time service, localstripe (its Stripe.js stand-in with bookiji's additions), the
worker and an SMTP sink. Screenshots go to test-artifacts/web/ (gitignored)."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

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
