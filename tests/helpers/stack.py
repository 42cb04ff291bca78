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

from worker import config, deploy, postgrest
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
    url: str
    admin_url: str
    db_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def run_postgrest(dbname: str, *, pre_request: bool = True) -> Iterator[PostgREST]:
    s = settings()
    port, admin_port = free_port(), free_port()
    conf_text = postgrest.render_config(
        s,
        db_uri=role_url(dbname, "authenticator", s.authenticator_password),
        port=port,
        admin_port=admin_port,
        pre_request=pre_request,
    )
    conf = postgrest.write_config(
        s.data_dir / "test" / f"postgrest-{dbname}-{port}.conf", conf_text
    )
    log = conf.with_suffix(".log")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(deploy.POSTGREST), str(conf)], stdout=out, stderr=subprocess.STDOUT
        )
    server = PostgREST(
        f"http://127.0.0.1:{port}", f"http://127.0.0.1:{admin_port}", admin_url(dbname), proc, log
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{server.admin_url}/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"PostgREST did not become ready:\n{server.log_text()}")
            time.sleep(0.05)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        conf.unlink(missing_ok=True)
