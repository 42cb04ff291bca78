"""Backups that restore: a cluster of the test's own that archives its WAL, a base backup,
bookings written before and after a time T, and a point-in-time restore to T into a new
cluster that holds exactly what was committed before T (bookings, payments, audit rows).

Real processes throughout: initdb, postgres, pg_basebackup, the archive_command and the
server's own recovery. The shared test cluster does not archive, so this module starts its
own through bookiji/cluster.py, on free ports, under the test's temporary directory.
"""

from __future__ import annotations

import shutil
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bookiji import backup, config, deploy
from bookiji.cluster import Cluster, free_port, remove_server_owned_dir
from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.db import one
from tests.test_config import run_cli
from worker.errors import ConfigError

# what a restore must bring back, row for row
TABLES = ("app.bookings", "app.payments", "audit.action_log")


@dataclass
class Source:
    cluster: Cluster
    url: str
    backups: Path
    password: str


@contextmanager
def archiving_cluster(root: Path, db: str) -> Iterator[Source]:
    """A cluster under ``root`` that archives its WAL into root/backups/wal (a superuser URL on
    database ``db``); destroyed with its archive and backups afterwards."""
    password = config.load_secrets(config.load().data_dir)["POSTGRES_PASSWORD"]
    c = Cluster(
        data_dir=root,
        name="pg",
        port=free_port(),
        password=password,
        fast=True,
        archive_dir=root / "backups" / "wal",
    )
    c.start()
    try:
        c.wait_ready()
        url = config.with_credentials(
            f"postgresql://127.0.0.1:{c.port}/{db}", "postgres", password, db
        )
        yield Source(c, url, root / "backups", password)
    finally:
        c.destroy()
        remove_server_owned_dir(root / "backups" / "wal")
        remove_server_owned_dir(root / "backups" / "base")


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    """A deployed cluster that archives every WAL segment into its own backups/wal."""
    with archiving_cluster(tmp_path_factory.mktemp("archived"), "bookiji") as src:
        deploy.deploy(config.load(), url=src.url)
        yield src


def rows(conn: psycopg.Connection[Any]) -> dict[str, dict[str, Any]]:
    """Every row of TABLES, by table and primary key, as json."""
    return {
        t: {str(r[0]): r[1] for r in conn.execute(f"select t.id, to_jsonb(t) from {t} as t")}
        for t in TABLES
    }


def write_bookings(conn: psycopg.Connection[Any], n: int, day: int) -> None:
    """``n`` paid bookings at a new shop (real quote, confirm and payment functions)."""
    shop = bk.open_shop(conn)
    start = catalog.next_weekday(day, at="10:00")
    for i in range(n):
        b = bk.book(conn, shop, start + timedelta(hours=i))
        bk.pay(conn, b)


@pytest.fixture
def restored_dir(tmp_path: Path) -> Iterator[Path]:
    into = tmp_path / "restored"
    yield into
    Cluster(data_dir=into.parent, name=into.name, port=0, password="").destroy()


def test_a_restore_to_a_time_holds_every_row_committed_before_it_and_none_after(
    source: Source, restored_dir: Path
) -> None:
    taken = backup.take(source.cluster, source.url, source.backups, source.password, "before")
    assert [b.path for b in backup.list_backups(source.backups)][-1] == taken.path
    assert taken.label == "before"

    with psycopg.connect(source.url, autocommit=True) as conn:
        write_bookings(conn, 3, day=1)
        at_t = rows(conn)
        t = one(conn, "select clock_timestamp()")
        write_bookings(conn, 2, day=2)
        after = rows(conn)
    backup.archive_current_wal(source.url)

    for table in TABLES:
        assert len(at_t[table]) > 0, f"nothing written to {table} before T"
        assert len(after[table]) > len(at_t[table]), f"nothing written to {table} after T"

    r = backup.restore(source.backups, t, restored_dir, free_port(), source.password)
    assert r.backup.path == taken.path
    with psycopg.connect(r.url(source.password), autocommit=True) as conn:
        assert one(conn, "select pg_is_in_recovery()") is False, "the restore was not promoted"
        got = rows(conn)
        # promoted: it takes writes, on a timeline of its own
        conn.execute("create temporary table t_written (x int)")
    auto_conf = (r.cluster.pgdata / "postgresql.auto.conf").read_text()
    assert not [name for name in backup.RECOVERY_SETTINGS if name in auto_conf]
    for table in TABLES:
        assert got[table] == at_t[table], f"{table} differs from what was committed before T"
        lost_after = set(after[table]) - set(at_t[table])
        assert not lost_after & set(got[table]), f"{table} holds rows committed after T"
    # the source is untouched and still has everything
    with psycopg.connect(source.url, autocommit=True) as conn:
        assert rows(conn) == after


def test_a_time_after_the_last_commit_is_reached_once_the_segment_is_archived(
    source: Source, restored_dir: Path
) -> None:
    backup.take(source.cluster, source.url, source.backups, source.password)
    with psycopg.connect(source.url, autocommit=True) as conn:
        write_bookings(conn, 1, day=4)
        at_t = rows(conn)
        t = one(conn, "select clock_timestamp()")
    # nothing is committed after T but archive_current_wal's own marker
    backup.archive_current_wal(source.url)
    r = backup.restore(source.backups, t, restored_dir, free_port(), source.password)
    with psycopg.connect(r.url(source.password), autocommit=True) as conn:
        assert rows(conn) == at_t


def test_a_time_before_every_backup_is_refused_and_leaves_nothing(
    source: Source, restored_dir: Path
) -> None:
    backup.take(source.cluster, source.url, source.backups, source.password)
    with pytest.raises(ConfigError, match="no base backup finished before 2001-01-01"):
        backup.restore(
            source.backups, datetime(2001, 1, 1, tzinfo=UTC), restored_dir, free_port(), "x"
        )
    assert not restored_dir.exists()


def test_verify_passes_a_sound_backup_and_names_the_damaged_file(source: Source) -> None:
    taken = backup.take(source.cluster, source.url, source.backups, source.password)
    assert backup.verify(taken) is None
    version = taken.data.resolve() / "PG_VERSION"
    version.write_text(version.read_text() + "damaged\n")
    problem = backup.verify(taken)
    assert problem is not None and '"PG_VERSION"' in problem
    shutil.rmtree(taken.path.resolve())  # the other tests restore from sound backups only


def test_pruning_keeps_the_newest_backups_and_the_wal_they_need(
    source: Source, restored_dir: Path
) -> None:
    backup.take(source.cluster, source.url, source.backups, source.password)
    backup.archive_current_wal(source.url)
    newest = backup.take(source.cluster, source.url, source.backups, source.password)
    before = backup.list_backups(source.backups)
    wal = (source.backups / "wal").resolve()
    segments_before = sorted(p.name for p in wal.iterdir())
    assert min(segments_before) < newest.start_wal

    gone, first = backup.prune(source.backups, 1)
    assert [b.path for b in gone] == [b.path for b in before[:-1]]
    assert [b.path for b in backup.list_backups(source.backups)] == [newest.path]
    assert first == newest.start_wal
    left = sorted(p.name for p in wal.iterdir() if len(p.name) == 24)
    assert left and min(left) == newest.start_wal, "the WAL the kept backup needs is gone"

    # what is kept still restores
    with psycopg.connect(source.url, autocommit=True) as conn:
        write_bookings(conn, 1, day=5)
        at_t = rows(conn)
        t = one(conn, "select clock_timestamp()")
    backup.archive_current_wal(source.url)
    r = backup.restore(source.backups, t, restored_dir, free_port(), source.password)
    with psycopg.connect(r.url(source.password), autocommit=True) as conn:
        assert rows(conn) == at_t
    with pytest.raises(ConfigError, match="keep at least one"):
        backup.prune(source.backups, 0)


def test_a_time_in_the_future_is_refused_and_leaves_nothing(
    source: Source, restored_dir: Path
) -> None:
    later = datetime.now(UTC) + timedelta(days=1)
    with pytest.raises(ConfigError, match="is in the future"):
        backup.restore(source.backups, later, restored_dir, free_port(), source.password)
    assert not restored_dir.exists()


def test_a_time_past_the_last_archived_wal_is_refused_and_leaves_nothing(
    source: Source, restored_dir: Path
) -> None:
    backup.take(source.cluster, source.url, source.backups, source.password)
    with psycopg.connect(source.url, autocommit=True) as conn:
        write_bookings(conn, 1, day=3)
        t = one(conn, "select clock_timestamp()")
    # no WAL switch: the booking's commit is only in the source's current segment
    with pytest.raises(ConfigError, match="the WAL archive ends before") as err:
        backup.restore(source.backups, t, restored_dir, free_port(), source.password)
    assert "pg_switch_wal()" in str(err.value)
    assert not restored_dir.exists() and not restored_dir.is_symlink()


def test_a_port_in_use_is_refused_before_anything_is_copied(
    source: Source, restored_dir: Path
) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = int(held.getsockname()[1])
        with pytest.raises(ConfigError, match=f"port {port} on 127.0.0.1 is already in use"):
            backup.restore(source.backups, datetime.now(UTC), restored_dir, port, source.password)
    assert not restored_dir.exists()


def test_restoring_over_an_existing_directory_is_refused(source: Source, tmp_path: Path) -> None:
    into = tmp_path / "taken"
    into.mkdir()
    (into / "keep").write_text("mine")
    with pytest.raises(ConfigError, match="already exists: restore into a new directory"):
        backup.restore(source.backups, datetime.now(UTC), into, free_port(), source.password)
    assert (into / "keep").read_text() == "mine"


def test_the_command_line_says_what_is_wrong_without_a_traceback(tmp_path: Path) -> None:
    listed = run_cli("backup", "--list", data_dir=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "0 base backup(s)" in listed.stdout

    none = run_cli("restore", "--to", "2001-01-01T00:00:00Z", data_dir=tmp_path)
    assert none.returncode != 0
    assert "no base backup finished before 2001-01-01T00:00:00+00:00" in none.stderr
    assert "bookiji backup" in none.stderr

    future = run_cli("restore", "--to", "2999-01-01", data_dir=tmp_path)
    assert future.returncode != 0
    assert "is in the future" in future.stderr

    garbage = run_cli("restore", "--to", f"yesterday-{uuid.uuid4().hex[:4]}", data_dir=tmp_path)
    assert garbage.returncode != 0
    assert "is not a time: give ISO 8601" in garbage.stderr
    for res in (none, future, garbage):
        assert "Traceback" not in res.stdout + res.stderr
    assert not (tmp_path / "restores").exists()
    assert not (tmp_path / "pg").exists(), "the embedded cluster was created by a refusal"


@pytest.fixture
def unbacked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    """A bare cluster that archives into its own backups/wal and has no base backup yet."""
    with archiving_cluster(tmp_path_factory.mktemp("unbacked"), "postgres") as src:
        yield src


def segments(backups: Path) -> list[str]:
    return sorted(p.name for p in (backups / "wal").resolve().iterdir() if len(p.name) == 24)


def test_the_archive_keeps_nothing_before_the_first_backup_and_everything_from_its_start(
    unbacked: Source,
) -> None:
    """A cluster nobody backs up does not fill the disk with WAL no restore can use (the dev
    cluster's archive had grown to 60 GB from benchmark runs), and the first backup's WAL is
    all there."""
    with psycopg.connect(unbacked.url, autocommit=True) as conn:
        conn.execute("create table t_wal as select g from generate_series(1, 100000) as g")
    for _ in range(3):
        backup.archive_current_wal(unbacked.url)  # the server counts each one archived
    with psycopg.connect(unbacked.url, autocommit=True) as conn:
        archived, failed = conn.execute(
            "select archived_count, failed_count from pg_stat_archiver"
        ).fetchone() or (0, 0)
    assert archived >= 3 and failed == 0
    assert segments(unbacked.backups) == [], "segments were kept without a base backup"
    assert "kept from the first base backup on" in backup.archive_summary(unbacked.backups)

    taken = backup.take(unbacked.cluster, unbacked.url, unbacked.backups, unbacked.password)
    assert backup.armed(unbacked.backups)
    with psycopg.connect(unbacked.url, autocommit=True) as conn:
        conn.execute("insert into t_wal select g from generate_series(1, 1000) as g")
    last = backup.archive_current_wal(unbacked.url)
    kept = segments(unbacked.backups)
    assert kept[0] == taken.start_wal and kept[-1] == last
    # no gap: every segment from the backup's start to the last one switched
    numbers = [int(name[8:], 16) for name in kept]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    assert "1 base backup(s)" in backup.archive_summary(unbacked.backups)


def test_pruning_without_a_backup_clears_an_archive_no_restore_can_use(
    unbacked: Source,
) -> None:
    wal = (unbacked.backups / "wal").resolve()
    # an archive left by a cluster that kept every segment (before ARMED existed)
    for name in ("000000010000000000000001", "000000010000000000000002.partial"):
        (wal / name).write_bytes(b"\0" * 1024)
    (wal / "00000002.history").write_text("1\t0/3000000\tno recovery target specified\n")
    assert "no restore can use" in backup.archive_summary(unbacked.backups)

    base = unbacked.backups / "base"
    base.mkdir()
    (base / "20261203T120000000000Z").mkdir()  # a backup being taken: its WAL must stay
    with pytest.raises(ConfigError, match="being taken"):
        backup.prune(unbacked.backups, 1)
    assert len(list(wal.iterdir())) == 3

    shutil.rmtree(base)
    backup.arm(unbacked.backups)  # armed, then every backup removed by hand
    assert backup.prune(unbacked.backups, 1) == ([], None)
    assert sorted(p.name for p in wal.iterdir()) == ["00000002.history"]
    assert not backup.armed(unbacked.backups), "still archiving with no backup to use it"
