"""Bad configuration fails fast, with a message that says what is wrong and no traceback.

Most tests run the real command line (``.venv/bin/bookiji``) as a subprocess with
the environment overridden, against a temporary BOOKIJI_DATA_DIR, so they create
nothing under the checkout's .data/.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bookiji import cli, config, deploy
from tests.helpers import stack
from worker.errors import ConfigError

BOOKIJI = Path(sys.executable).parent / "bookiji"
NO_POSTGIS = "PostGIS is not installed on this server: install postgresql-15-postgis-3"


@pytest.fixture
def listening() -> Iterator[int]:
    """A loopback port that another program holds (bound and listening)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def closed_port() -> int:
    """A loopback port that nothing listens on."""
    return stack.free_port()


def run_cli(*args: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``bookiji`` with a temporary data dir and only the given overrides of its settings."""
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in config.DEFAULTS
        and k not in config.SECRET_NAMES
        and k not in ("DATABASE_URL", "WORKER_DATABASE_URL")
    }
    base["BOOKIJI_DATA_DIR"] = str(data_dir)
    # every port the stack would listen on is a free one unless the test names it: the
    # defaults (3000, 54322, ...) may belong to the developer's own `make up`
    base.update(
        BOOKIJI_PG_PORT=str(closed_port()),
        API_PORT=str(closed_port()),
        PGRST_PORT=str(closed_port()),
        PGRST_ADMIN_PORT=str(closed_port()),
        WORKER_METRICS_PORT=str(closed_port()),
        STRIPE_API_BASE=f"http://127.0.0.1:{closed_port()}",
        SMTP_URL=f"smtp://127.0.0.1:{closed_port()}",
    )
    return subprocess.run(
        [str(BOOKIJI), *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_deploy_to_an_unreachable_database_names_the_host_and_port(tmp_path: Path) -> None:
    port = closed_port()
    res = run_cli("deploy", data_dir=tmp_path, DATABASE_URL=f"postgresql://x:y@127.0.0.1:{port}/db")
    assert res.returncode != 0
    assert f"cannot connect to PostgreSQL at 127.0.0.1:{port}" in res.stderr
    assert "DATABASE_URL" in res.stderr
    assert "Traceback" not in res.stderr + res.stdout


def test_db_start_on_a_port_in_use_says_so_and_creates_no_cluster(
    tmp_path: Path, listening: int
) -> None:
    res = run_cli("db", "start", data_dir=tmp_path, BOOKIJI_PG_PORT=str(listening))
    assert res.returncode != 0
    assert f"port {listening} on 127.0.0.1 is already in use" in res.stderr
    assert "BOOKIJI_PG_PORT" in res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    assert not (tmp_path / "pg").exists(), "initdb ran although the port was taken"


def test_up_with_the_postgrest_port_in_use_stops_before_starting_anything(
    tmp_path: Path, listening: int
) -> None:
    # The ports are checked before the cluster starts: the other ports are free ones
    # (run_cli's), and no cluster appears under the temporary data dir.
    res = run_cli("up", data_dir=tmp_path, PGRST_PORT=str(listening))
    assert res.returncode != 0
    assert f"port {listening} on 127.0.0.1 (for PostgREST) is already in use" in res.stderr
    assert "PGRST_PORT" in res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    assert not (tmp_path / "pg").exists()


def test_the_server_check_passes_on_a_server_with_postgis(db_url: str) -> None:
    deploy.check_server(db_url)  # the real catalog query, on the test cluster


def test_a_server_without_postgis_is_refused_with_the_package_to_install(db_url: str) -> None:
    """A server without PostGIS cannot be had here (the package is installed machine-wide),
    so this test - the one place a fake is used - hands check_server a stand-in for the
    catalog query that answers like such a server would."""
    with pytest.raises(ConfigError) as err:
        deploy.check_server(db_url, available=lambda conn: {"plpgsql", *deploy.CONTRIB_EXTENSIONS})
    assert str(err.value) == NO_POSTGIS


@pytest.fixture
def missing_db() -> Iterator[str]:
    with stack.scratch_database("bookiji_nopostgis", create=False) as db:
        yield db.name


def test_deploy_without_postgis_stops_before_writing_anything(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], missing_db: str
) -> None:
    """The same stand-in, through the command line in process: the check runs first, so no
    database is created and dbmate never runs."""
    calls: list[tuple[str, ...]] = []

    def no_postgis(conn: Any) -> set[str]:
        return {"plpgsql", *deploy.CONTRIB_EXTENSIONS}

    def fake_dbmate(url: str, *args: str) -> str:
        calls.append(args)
        return ""

    monkeypatch.setattr(deploy, "available_extensions", no_postgis)
    monkeypatch.setattr(deploy, "dbmate", fake_dbmate)
    monkeypatch.setenv("DATABASE_URL", stack.admin_url(missing_db))
    assert cli.main(["deploy"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"bookiji: {NO_POSTGIS}"
    assert calls == []
    with psycopg.connect(stack.admin_url("postgres")) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (missing_db,))
        assert exists.fetchone() is None
