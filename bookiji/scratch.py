"""The test cluster: a second embedded cluster (``pg-test``, on BOOKIJI_TEST_PG_PORT) whose
scratch databases the tests clone from a template, and where lint's plpgsql_check deploys.
``scratch_database`` is the one way a test gets a database of its own there.

Both the tests (tests/helpers/stack.py) and scripts/plpgsql_check.py use it; it lives
here so that nothing outside tests/ imports tests.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg import sql

from bookiji import config
from bookiji.cluster import Cluster

TEST_PG_PORT = int(os.environ.get("BOOKIJI_TEST_PG_PORT", "54323"))
TEMPLATE_DB = "bookiji_tmpl"


def test_cluster() -> Cluster:
    s = config.load()
    return Cluster(
        data_dir=s.data_dir,
        name="pg-test",
        port=TEST_PG_PORT,
        password=config.load_secrets(s.data_dir)["POSTGRES_PASSWORD"],
        fast=True,
    )


def admin_url(dbname: str) -> str:
    """Superuser URL of a database on the test cluster (or TEST_DATABASE_URL's server)."""
    pw = config.load_secrets(config.load().data_dir)["POSTGRES_PASSWORD"]
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


@dataclass(frozen=True)
class Scratch:
    name: str
    url: str  # the superuser's


@contextmanager
def scratch_database(
    prefix: str, template: str | None = TEMPLATE_DB, *, create: bool = True
) -> Iterator[Scratch]:
    """A database of its own on the test cluster, named ``<prefix>_<8 hex>``: cloned from
    ``template`` (None: empty), or with ``create=False`` only named, for a test whose subject
    is creating it; dropped on the way out, whatever happened in the block."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    url = create_db(name, template) if create else admin_url(name)
    try:
        yield Scratch(name, url)
    finally:
        drop_db(name)
