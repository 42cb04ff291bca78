"""Deploy: idempotent, reproduces the committed schema dump, rolls back cleanly, names broken lines."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from bookiji import config, deploy
from tests.helpers import stack
from worker.errors import DeployError


@pytest.fixture
def empty_db() -> Iterator[str]:
    with stack.scratch_database("bookiji_deploy", template=None) as db:
        yield db.url


def _dump(url: str, tmp_path: Path, name: str) -> str:
    return deploy.dump_schema(url, tmp_path / f"{name}.sql")


def test_deploy_twice_changes_nothing(empty_db: str, tmp_path: Path) -> None:
    deploy.deploy(config.load(), url=empty_db)
    first = _dump(empty_db, tmp_path, "first")
    deploy.deploy(config.load(), url=empty_db)
    second = _dump(empty_db, tmp_path, "second")
    assert first == second


def test_a_fresh_deploy_reproduces_the_committed_schema_dump(empty_db: str, tmp_path: Path) -> None:
    deploy.deploy(config.load(), url=empty_db)
    fresh = _dump(empty_db, tmp_path, "fresh")
    committed = (deploy.DB_DIR / "schema.sql").read_text()
    assert fresh == committed, "db/schema.sql is stale: run `make db-dump` and commit it"


def test_every_migration_rolls_back_and_the_schema_comes_back(
    empty_db: str, tmp_path: Path
) -> None:
    deploy.deploy(config.load(), url=empty_db)
    before = _dump(empty_db, tmp_path, "before")
    migrations = sorted((deploy.DB_DIR / "migrations").glob("*.sql"))
    for _ in migrations:
        deploy.dbmate(empty_db, "rollback")
    with psycopg.connect(empty_db) as conn:
        applied = conn.execute("select count(*) from public.schema_migrations").fetchone()
        schemas = {
            r[0]
            for r in conn.execute(
                "select nspname from pg_namespace where nspname in "
                "('app', 'api', 'auth', 'audit', 'internal', 'extensions')"
            )
        }
        queues = conn.execute("select count(*) from pgmq.meta").fetchone()
    assert applied == (0,)
    assert schemas == set()
    assert queues == (0,)
    deploy.deploy(config.load(), url=empty_db)
    assert _dump(empty_db, tmp_path, "after") == before


def test_a_broken_statement_is_reported_with_its_file_and_line(
    empty_db: str, tmp_path: Path
) -> None:
    deploy.deploy(config.load(), url=empty_db)
    broken = tmp_path / "99_broken.sql"
    broken.write_text(
        "select 1;\n\ncreate function api.oops() returns int language sql as $$ select 1 $$;\nselect nonsense from;\n"
    )
    with pytest.raises(DeployError) as err:
        deploy.apply_declarative(empty_db, [*deploy.declarative_files(), broken])
    assert "99_broken.sql:4" in str(err.value)
    with psycopg.connect(empty_db) as conn:
        # one transaction: the function defined before the error was not kept
        assert conn.execute("select to_regprocedure('api.oops()')").fetchone() == (None,)
