"""Real processes for the tests: the test cluster, databases cloned from the template, PostgREST."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from psycopg import sql

from worker import config, deploy, gateway, postgrest
from worker.cluster import Cluster

TEST_PG_PORT = int(os.environ.get("BOOKIJI_TEST_PG_PORT", "54323"))
TEMPLATE_DB = "bookiji_tmpl"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settings() -> config.Settings:
    return config.load()


def test_cluster() -> Cluster:
    s = settings()
    return Cluster(
        data_dir=s.data_dir,
        name="pg-test",
        port=TEST_PG_PORT,
        password=config.load_secrets(s.data_dir)["POSTGRES_PASSWORD"],
        fast=True,
    )


def admin_url(dbname: str) -> str:
    """Superuser URL of a database on the test cluster (or TEST_DATABASE_URL's server)."""
    pw = config.load_secrets(settings().data_dir)["POSTGRES_PASSWORD"]
    return config.with_credentials(
        f"postgresql://127.0.0.1:{TEST_PG_PORT}/x", "postgres", pw, dbname
    )


def role_url(dbname: str, role: str, password: str) -> str:
    return config.with_credentials(admin_url(dbname), role, password, dbname)


def create_db(name: str, template: str | None = TEMPLATE_DB) -> str:
    with psycopg.connect(admin_url("postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )
        if template:
            conn.execute(
                sql.SQL("create database {} template {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
        else:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    return admin_url(name)


def drop_db(name: str) -> None:
    with psycopg.connect(admin_url("postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )


@dataclass
class PostgREST:
    """A PostgREST process and nginx in front of it, as in the real stack."""

    url: str  # nginx: what clients use
    postgrest_url: str  # PostgREST itself
    admin_url: str
    db_url: str
    process: subprocess.Popen[bytes]
    log: Path
    gateway: gateway.GatewayConfig

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, what: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not become ready:\n{log.read_text(errors='replace')}")
        time.sleep(0.05)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@contextmanager
def run_postgrest(
    dbname: str,
    *,
    pre_request: bool = True,
    rate_per_address: int = 10000,
    rate_per_token: int = 10000,
    max_body: str = "1m",
) -> Iterator[PostgREST]:
    s = settings()
    port, admin_port, api_port = free_port(), free_port(), free_port()
    home = s.data_dir / "test" / f"api-{dbname}-{api_port}"
    home.mkdir(parents=True, exist_ok=True)
    conf_text = postgrest.render_config(
        s,
        db_uri=role_url(dbname, "authenticator", s.authenticator_password),
        port=port,
        admin_port=admin_port,
        pre_request=pre_request,
    )
    conf = postgrest.write_config(home / "postgrest.conf", conf_text)
    log = home / "postgrest.log"
    gw = gateway.GatewayConfig(
        listen_host="127.0.0.1",
        listen_port=api_port,
        upstream_port=port,
        home=home,
        rate_per_address=rate_per_address,
        burst_per_address=rate_per_address * 2,
        rate_per_token=rate_per_token,
        burst_per_token=rate_per_token * 2,
        max_body=max_body,
    )
    gateway.prepare(gw)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(deploy.POSTGREST), str(conf)], stdout=out, stderr=subprocess.STDOUT
        )
    nginx = subprocess.Popen(
        gateway.command(gw), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    server = PostgREST(
        f"http://127.0.0.1:{api_port}",
        f"http://127.0.0.1:{port}",
        f"http://127.0.0.1:{admin_port}",
        admin_url(dbname),
        proc,
        log,
        gw,
    )
    try:
        _wait_ready(f"{server.admin_url}/ready", proc, log, "PostgREST")
        _wait_ready(f"{server.url}/rpc/health", nginx, home / "error.log", "nginx")
        yield server
    finally:
        _stop(nginx)
        _stop(proc)
