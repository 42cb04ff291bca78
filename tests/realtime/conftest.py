"""The real processes: a database of its own, PostgREST, nginx and the real-time service."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests.helpers import stack

# small enough that a client that never reads overflows soon
REALTIME_ENV = {
    "REALTIME_QUEUE_SIZE": "200",
    "REALTIME_GAP_SECONDS": "1",
    # revoked sessions are noticed within this (30 s in production)
    "REALTIME_RECHECK_SECONDS": "2",
}


@pytest.fixture(scope="module")
def rt_api(template_db: str, request: pytest.FixtureRequest) -> Iterator[stack.PostgREST]:
    """The processes for one test module (a module may set REALTIME_ENV of its own)."""
    env = getattr(request.module, "REALTIME_ENV", REALTIME_ENV)
    name = f"bookiji_rt_{uuid.uuid4().hex[:8]}"
    stack.create_db(name, template_db)
    try:
        with stack.run_postgrest(name, realtime_env=env) as server:
            yield server
    finally:
        stack.drop_db(name)


@pytest.fixture(scope="module")
def rt_url(rt_api: stack.PostgREST) -> str:
    """Through nginx, as clients reach it."""
    return rt_api.url.replace("http://", "ws://") + "/realtime"


@pytest.fixture
def admin(rt_api: stack.PostgREST) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(rt_api.db_url, autocommit=True) as conn:
        yield conn
