"""A PostgreSQL cluster of a test's own, for the tests that restart or kill the server
(the shared test cluster must stay up for the rest of the suite): created on a free port,
deployed through the real deploy path, destroyed afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from bookiji import config, deploy
from bookiji.cluster import Cluster
from tests.helpers import stack
from tests.helpers.waiting import until
from worker.errors import ConfigError


class Throwaway:
    def __init__(self) -> None:
        s = config.load()
        self.settings = s
        self.password = config.load_secrets(s.data_dir)["POSTGRES_PASSWORD"]
        self.cluster = Cluster(
            data_dir=s.data_dir,
            name=f"pg-chaos-{uuid.uuid4().hex[:6]}",
            port=stack.free_port(),
            password=self.password,
            fast=True,
        )

    def url(self, role: str = "postgres", password: str | None = None) -> str:
        return config.with_credentials(
            f"postgresql://127.0.0.1:{self.cluster.port}/bookiji",
            role,
            password or self.password,
            "bookiji",
        )

    def worker_url(self) -> str:
        return self.url("bookiji_worker", self.settings.worker_db_password)

    def one(self, sql: str, *args: Any) -> Any:
        """One value, on a new connection (the restarts end the old ones)."""
        with psycopg.connect(self.url(), autocommit=True) as conn:
            row = conn.execute(sql, args).fetchone()
        return None if row is None else row[0]

    def start_after_crash(self, pid: int, timeout: float = 30.0) -> None:
        """Start again once the killed postmaster is gone (reaped: `pg_ctl status` believes a
        zombie is a running server) and its backends have released the shared memory."""
        until(lambda: not os.path.exists(f"/proc/{pid}"), timeout, "the postmaster to be reaped")

        def started() -> bool:
            self.cluster.start()
            self.cluster.wait_ready(5)
            return True

        until(started, timeout, "the cluster to start again", ignoring=(ConfigError,), every=0.2)

    @contextmanager
    def run_postgrest(
        self, realtime_env: dict[str, str] | None = None
    ) -> Iterator[stack.PostgREST]:
        """PostgREST and nginx over this cluster's database, as stack.run_postgrest starts them."""
        with stack.run_postgrest(
            "bookiji",
            db_url=self.url(),
            authenticator_url=self.url("authenticator", self.settings.authenticator_password),
            # the chaos clients all come from 127.0.0.1: the per-address cap on
            # expensive requests (docs/security.md, "Cost") would answer their
            # concurrent quotes 429, which is not the fault under test
            costly_per_address=10000,
            costly_anonymous=10000,
            realtime_env=realtime_env,
        ) as server:
            yield server


@contextmanager
def throwaway_cluster() -> Iterator[Throwaway]:
    """A started, deployed throwaway cluster; destroyed on the way out."""
    t = Throwaway()
    t.cluster.start()
    try:
        t.cluster.wait_ready()
        deploy.deploy(t.settings, url=t.url())
        # the product's commit durability: the fast test cluster's synchronous_commit=off
        # loses the last commits when the postmaster dies (2 of 261 2xx confirmations in
        # one run); fsync and full_page_writes off only matter if the machine crashes
        with psycopg.connect(t.url(), autocommit=True) as conn:
            conn.execute("alter system set synchronous_commit = on")
            conn.execute("select pg_reload_conf()")
        yield t
    finally:
        t.cluster.destroy()
