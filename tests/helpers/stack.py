"""Real processes for the tests: the test cluster, databases cloned from the template, PostgREST."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

from bookiji import config, procs
from bookiji.cluster import Cluster

TEST_PG_PORT = int(os.environ.get("BOOKIJI_TEST_PG_PORT", "54323"))
TEMPLATE_DB = "bookiji_tmpl"


def free_port() -> int:
    return procs.free_port()


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
    db_url: str | None = None,
    authenticator_url: str | None = None,
) -> Iterator[PostgREST]:
    """PostgREST and nginx over ``dbname`` on the test cluster, or over the database that
    ``db_url`` (superuser) and ``authenticator_url`` name on another cluster."""
    s = settings()
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
    ) as server:
        yield server
