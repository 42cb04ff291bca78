"""Shared fixtures: a session-wide test cluster, a template database built by the real
deploy path, a fresh database per test cloned from it (pytest-postgresql), and a
PostgREST process over a database of its own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from pytest_postgresql import factories

from bookiji import config, deploy
from tests.helpers import mailbox as mailbox_helper
from tests.helpers import stack
from tests.helpers.mailbox import Mailbox

# The shared test API must not throttle the suite itself; the rate-limit tests
# lower these limits for their own identities and addresses.
os.environ.setdefault("RATE_LIMIT_ANON_WRITES_PER_MINUTE", "100000")
os.environ.setdefault("RATE_LIMIT_WRITES_PER_MINUTE", "100000")


def pytest_sessionstart(session: pytest.Session) -> None:
    cluster = stack.test_cluster()
    cluster.start()
    cluster.wait_ready()


def load_schema(host: str, port: int, user: str, dbname: str, password: str, **_: Any) -> None:
    """Build the template through the real deploy path."""
    deploy.deploy(config.load(), url=stack.admin_url(dbname))


postgresql_proc = factories.postgresql_noproc(
    host="127.0.0.1",
    port=stack.TEST_PG_PORT,
    user="postgres",
    password=config.load_secrets(config.load().data_dir)["POSTGRES_PASSWORD"],
    dbname="bookiji_test",
    load=[load_schema],
)
postgresql = factories.postgresql("postgresql_proc")


@pytest.fixture
def db(postgresql: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    """A fresh, fully deployed database for this test (superuser connection, autocommit)."""
    postgresql.autocommit = True
    return postgresql


@pytest.fixture
def db_url(db: psycopg.Connection[Any]) -> str:
    return stack.admin_url(db.info.dbname)


@pytest.fixture(scope="session")
def template_db(postgresql_proc: Any) -> str:
    return str(postgresql_proc.template_dbname)


@pytest.fixture(scope="session")
def api(template_db: str) -> Iterator[stack.PostgREST]:
    """One PostgREST for the session over its own database cloned from the template."""
    with stack.api_over_scratch("bookiji_api", template_db) as server:
        yield server


@pytest.fixture
def api_url(api: stack.PostgREST) -> str:
    return api.url


@pytest.fixture
def mailbox(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on a free port, which SMTP_URL points at; Twilio unset."""
    with mailbox_helper.running(tmp_path / "mail") as box:
        monkeypatch.setenv("SMTP_URL", box.url)
        for name in config.OPTIONAL_NAMES:
            monkeypatch.delenv(name, raising=False)
        yield box
