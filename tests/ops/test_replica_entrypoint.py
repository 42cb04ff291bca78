"""The image's entrypoint as db-replica runs it (docker/postgres/entrypoint.sh with
BOOKIJI_REPLICA_OF, docker-compose.yml), on this machine against a cluster of the test's
own: a copy of the primary that fails is removed and tried again, and the copy made then is
a standby streaming through the slot bookiji_replica; a copy that keeps failing leaves an
empty data directory and a non-zero exit, so the container's next start copies again.

Real processes: the script itself, pg_isready, psql and pg_basebackup against a running
PostgreSQL. Two programs are replaced on the script's PATH, and say so: `pg_basebackup`
by one that fails its first calls as a CI run saw it fail (the primary's name not resolved
while podman's network came up, after pg_isready had answered), leaving a half-written
file behind, then runs the real one; and `postgres`, which the script execs last, by one
that records its arguments (the server's start is not what is tested here).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from bookiji import config, readpath
from bookiji.cluster import PG_BIN, Cluster, free_port

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "docker" / "postgres" / "entrypoint.sh"
SLOT = readpath.SLOT  # the embedded replica's slot, which the image's copy uses too

FAILING_BASEBACKUP = f"""#!/bin/sh
n=$(cat "$CALLS" 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" > "$CALLS"
if [ "$n" -le "$FAILS" ]; then
    mkdir -p "$PGDATA" && echo partial > "$PGDATA/base.tar.partial"
    echo 'pg_basebackup: error: could not translate host name "db" to address: \
Temporary failure in name resolution' >&2
    exit 1
fi
exec {PG_BIN}/pg_basebackup "$@"
"""

RECORDING_POSTGRES = """#!/bin/sh
echo "$@" > "$STARTED"
"""


@pytest.fixture(scope="module")
def primary(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    password = config.load_secrets(config.load().data_dir)["POSTGRES_PASSWORD"]
    root: Path = tmp_path_factory.mktemp("entrypoint-primary")
    cluster = Cluster(data_dir=root, name="pg", port=free_port(), password=password, fast=True)
    cluster.start()
    try:
        cluster.wait_ready()
        yield cluster
    finally:
        cluster.destroy()


def _url(primary: Cluster) -> str:
    return config.with_credentials(
        f"postgresql://127.0.0.1:{primary.port}/postgres", "postgres", primary.password, "postgres"
    )


def _run_entrypoint(
    primary: Cluster, tmp_path: Path, fails: int
) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("pg_basebackup", FAILING_BASEBACKUP), ("postgres", RECORDING_POSTGRES)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    env = {
        "PATH": f"{bin_dir}:{PG_BIN}:/usr/bin:/bin",
        "PGDATA": str(tmp_path / "data"),
        "BOOKIJI_REPLICA_OF": f"127.0.0.1:{primary.port}",
        "POSTGRES_PASSWORD": primary.password,
        "CALLS": str(tmp_path / "calls"),
        "FAILS": str(fails),
        "STARTED": str(tmp_path / "started"),
        "HOME": str(tmp_path),
    }
    return subprocess.run(
        ["sh", str(ENTRYPOINT), "-c", "max_connections=20"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _slots(primary: Cluster) -> list[str]:
    with psycopg.connect(_url(primary), autocommit=True) as conn:
        return [r[0] for r in conn.execute("select slot_name from pg_replication_slots")]


@pytest.fixture
def no_slot(primary: Cluster) -> Iterator[None]:
    yield
    with psycopg.connect(_url(primary), autocommit=True) as conn:
        conn.execute(
            "select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = %s",
            (SLOT,),
        )


def test_a_failed_copy_of_the_primary_is_removed_and_tried_again(
    primary: Cluster, tmp_path: Path, no_slot: None
) -> None:
    res = _run_entrypoint(primary, tmp_path, fails=2)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "calls").read_text().strip() == "3"
    assert res.stderr.count("the copy of the primary failed (attempt") == 2
    assert res.stdout.count("copying the primary") == 3
    data = tmp_path / "data"
    assert not (data / "base.tar.partial").exists()
    assert (data / "PG_VERSION").read_text().strip() == "15"
    assert (data / "standby.signal").exists()  # -R: it starts as a standby
    auto = (data / "postgresql.auto.conf").read_text()
    assert f"primary_slot_name = '{SLOT}'" in auto and "hot_standby_feedback = on" in auto
    assert _slots(primary) == [SLOT]  # made once, by the copy that succeeded
    assert (tmp_path / "started").read_text().split() == [
        "-D",
        str(data),
        "-c",
        "max_connections=20",
    ]


def test_a_copy_that_keeps_failing_exits_with_an_empty_data_directory(
    primary: Cluster, tmp_path: Path, no_slot: None
) -> None:
    res = _run_entrypoint(primary, tmp_path, fails=99)
    assert res.returncode == 1
    assert (tmp_path / "calls").read_text().strip() == "5"
    assert "pg_basebackup of the primary failed 5 times" in res.stderr
    assert list((tmp_path / "data").iterdir()) == []
    assert not (tmp_path / "started").exists()
    assert _slots(primary) == []
