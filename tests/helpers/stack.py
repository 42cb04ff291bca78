"""Real processes for the tests: the test cluster, databases cloned from the template, PostgREST."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from bookiji import config, procs

# The test cluster and its scratch databases (bookiji/scratch.py, shared with lint).
from bookiji.scratch import TEMPLATE_DB as TEMPLATE_DB
from bookiji.scratch import TEST_PG_PORT as TEST_PG_PORT
from bookiji.scratch import Scratch as Scratch
from bookiji.scratch import admin_url as admin_url
from bookiji.scratch import create_db as create_db
from bookiji.scratch import drop_db as drop_db
from bookiji.scratch import role_url as role_url
from bookiji.scratch import scratch_database as scratch_database
from bookiji.scratch import test_cluster as test_cluster


def worker_url(dbname: str) -> str:
    """The worker's role (bookiji_worker) on a database of the test cluster."""
    return role_url(dbname, "bookiji_worker", config.load().worker_db_password)


def admin_connection(server: PostgREST) -> psycopg.Connection[Any]:
    """A superuser connection (autocommit) to the database under ``server``."""
    return psycopg.connect(server.db_url, autocommit=True)


def free_port() -> int:
    return procs.free_port()


def settings() -> config.Settings:
    return config.load()


# A PostgREST process and nginx in front of it, as in the real stack (bookiji/procs.py).
PostgREST = procs.ApiServer


@contextmanager
def run_postgrest(
    dbname: str,
    *,
    pre_request: bool = True,
    rate_per_address: int = 10000,
    rate_per_token: int = 10000,
    max_body: str = "1m",
    costly_per_address: int = 4,
    costly_anonymous: int = 6,
    db_url: str | None = None,
    authenticator_url: str | None = None,
    realtime_env: dict[str, str] | None = None,
    pooled: bool | None = None,
    pool_size: int = 20,
    replicas: int = 1,
    web_dir: Path | None = None,
    app_config: dict[str, str] | None = None,
    read_path: procs.ReadPath | None = None,
    jwt_secret_previous: str = "",
    trusted_proxies: tuple[str, ...] = (),
) -> Iterator[PostgREST]:
    """PostgREST and nginx over ``dbname`` on the test cluster, or over the database that
    ``db_url`` (superuser) and ``authenticator_url`` name on another cluster.

    ``pooled``: PgBouncer (transaction mode) between PostgREST and PostgreSQL; by
    default when BOOKIJI_TEST_PGBOUNCER=1 (the suite's API otherwise connects directly;
    tests/api/test_pgbouncer.py always goes through it). ``replicas``: that many
    PostgREST processes behind nginx. ``jwt_secret_previous``, ``trusted_proxies``: as
    JWT_SECRET_PREVIOUS and TRUSTED_PROXIES set them (bookiji/config.py)."""
    s = dataclasses.replace(
        settings(), jwt_secret_previous=jwt_secret_previous, trusted_proxies=trusted_proxies
    )
    if pooled is None:
        pooled = os.environ.get("BOOKIJI_TEST_PGBOUNCER", "0") == "1"
    with procs.run_api(
        s,
        db_url=db_url or admin_url(dbname),
        authenticator_url=authenticator_url
        or role_url(dbname, "authenticator", s.authenticator_password),
        home=s.data_dir / "test" / f"api-{dbname}-{uuid.uuid4().hex[:8]}",
        pre_request=pre_request,
        rate_per_address=rate_per_address,
        rate_per_token=rate_per_token,
        max_body=max_body,
        costly_per_address=costly_per_address,
        costly_anonymous=costly_anonymous,
        realtime_env=realtime_env,
        pooled=pooled,
        pool_size=pool_size,
        replicas=replicas,
        web_dir=web_dir,
        app_config=app_config,
        read_path=read_path,
    ) as server:
        yield server


@contextmanager
def api_over_scratch(prefix: str, template: str, **options: Any) -> Iterator[PostgREST]:
    """PostgREST and nginx over a scratch database of their own cloned from ``template``
    (for tests that write junk or change limits); ``options`` as ``run_postgrest`` takes them."""
    with scratch_database(prefix, template) as db, run_postgrest(db.name, **options) as server:
        yield server


@contextmanager
def gateway_before(
    upstream_port: int, ready: Callable[[str], bool], **limits: Any
) -> Iterator[str]:
    """The real nginx + njs gateway, on a free port, in front of a test upstream on
    ``upstream_port``; rate limits lifted unless ``limits`` set them. Yields its URL once
    ``ready(url)`` holds; nginx is stopped on the way out."""
    from bookiji import gateway
    from tests.helpers.waiting import until

    port = procs.free_port()
    options: dict[str, Any] = {
        "rate_per_address": 10000,
        "burst_per_address": 20000,
        "rate_per_token": 10000,
        "burst_per_token": 20000,
        **limits,
    }
    cfg = gateway.GatewayConfig(
        listen_host="127.0.0.1",
        listen_port=port,
        upstream_port=upstream_port,
        home=settings().data_dir / "test" / f"gateway-{uuid.uuid4().hex[:8]}",
        **options,
    )
    gateway.prepare(cfg)
    nginx = subprocess.Popen(
        gateway.command(cfg), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        until(lambda: ready(url), 20, "nginx to answer")
        yield url
    finally:
        procs.stop(nginx)
