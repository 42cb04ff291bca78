"""Base backups and point-in-time restores of the embedded cluster.

The cluster archives every finished WAL segment into ``<backups>/wal/`` (cluster.py's
``archive_command``); ``take`` runs ``pg_basebackup`` into ``<backups>/base/<time>/data``
and records, in ``bookiji-backup.json`` next to it (written last: a directory without it
is not a backup), the label, the WAL positions and the server's clock when it finished.
``restore`` copies the newest backup finished before the target time into a NEW cluster
directory and lets PostgreSQL replay the archive up to that time, then promotes it. It
never touches the cluster the backup came from.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from bookiji import cluster as cluster_mod
from bookiji.cluster import PG_BIN, Cluster
from worker.errors import ConfigError

MANIFEST = "bookiji-backup.json"
# PostgreSQL's words when the archive ends before the recovery target (PG 13 and later)
RECOVERY_SETTINGS = ("restore_command", "recovery_target_time", "recovery_target_action")
TARGET_NOT_REACHED = "recovery ended before configured recovery target was reached"


@dataclass(frozen=True)
class BaseBackup:
    path: Path  # <backups>/base/<time>
    label: str
    start_lsn: str
    end_lsn: str
    start_wal: str  # the first WAL segment a restore needs
    started_at: datetime
    finished_at: datetime  # the server's clock once pg_basebackup returned

    @property
    def data(self) -> Path:
        return self.path / "data"

    @classmethod
    def read(cls, path: Path) -> BaseBackup:
        raw = json.loads((path / MANIFEST).read_text())
        return cls(
            path=path,
            label=raw["label"],
            start_lsn=raw["start_lsn"],
            end_lsn=raw["end_lsn"],
            start_wal=raw["start_wal"],
            started_at=datetime.fromisoformat(raw["started_at"]),
            finished_at=datetime.fromisoformat(raw["finished_at"]),
        )

    def summary(self) -> str:
        return (
            f"{self.path.name}  finished {self.finished_at.isoformat()}  "
            f"WAL {self.start_lsn}..{self.end_lsn}  label {self.label!r}"
        )


def list_backups(backup_dir: Path) -> list[BaseBackup]:
    """The complete base backups under ``backup_dir``, oldest first."""
    base = backup_dir / "base"
    if not base.exists():
        return []
    found = [BaseBackup.read(p) for p in base.iterdir() if (p / MANIFEST).is_file()]
    return sorted(found, key=lambda b: b.finished_at)


def _one(url: str, sql: str, *args: Any) -> Any:
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        row = conn.execute(sql, args).fetchone()
    return None if row is None else row[0]


def _run_as_server(cmd: list[str], password: str) -> subprocess.CompletedProcess[str]:
    # the password goes through the environment (runuser keeps it), never the command line
    return subprocess.run(
        cluster_mod.as_server_user(cmd),
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PGPASSWORD": password},
    )


def archive_current_wal(url: str, timeout: float = 60.0) -> str:
    """Close the current WAL segment and wait until the archiver has copied it; its name.
    Without this the newest commits sit in ``pg_wal`` until the segment fills.

    A recovery stops at the first commit after its target time and fails when the
    archive ends before one: an empty transaction with an xid first leaves a commit
    record stamped now, so any target up to now is reached even on a quiet database."""
    _one(url, "select pg_current_xact_id()")
    name = str(_one(url, "select pg_walfile_name(pg_switch_wal())"))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = str(_one(url, "select coalesce(last_archived_wal, '') from pg_stat_archiver"))
        if re.fullmatch(r"[0-9A-F]{24}", done) and done >= name:
            return name
        failed = _one(url, "select last_failed_wal from pg_stat_archiver")
        if failed and str(failed) >= name:
            raise ConfigError(
                f"archiving WAL segment {failed} failed: see the server's log (archive_command)"
            )
        time.sleep(0.1)
    raise ConfigError(f"WAL segment {name} was not archived within {timeout:.0f}s")


def _label_fields(data: Path) -> dict[str, str]:
    fields = {}
    for line in (data / "backup_label").read_text().splitlines():
        key, _, value = line.partition(": ")
        fields[key] = value
    return fields


def take(
    c: Cluster, url: str, backup_dir: Path, password: str, label: str | None = None
) -> BaseBackup:
    """A base backup of the running cluster ``c`` (``url``: a superuser on it) into
    ``backup_dir/base/<time>/``. Refused when the cluster does not archive its WAL: such a
    backup could only be restored to its own end, not to a later time."""
    if _one(url, "show archive_mode") != "on":
        raise ConfigError(
            "WAL archiving is off on this cluster (BOOKIJI_WAL_ARCHIVE=0?): a base backup "
            "alone cannot be restored to a later time; turn it on and restart the cluster"
        )
    base = cluster_mod.server_owned_dir(backup_dir / "base", "backups-base")
    arm(backup_dir)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    label = label or f"bookiji {stamp}"
    target = base / stamp
    target.mkdir()
    cluster_mod.chown_to_server_user(target)
    try:
        res = _run_as_server(
            [
                str(PG_BIN / "pg_basebackup"),
                "-h",
                "127.0.0.1",
                "-p",
                str(c.port),
                "-U",
                "postgres",
                "--no-password",
                "-D",
                str(target / "data"),
                "-X",
                "stream",  # the WAL the copy needs rides along: restorable on its own
                "-c",
                "fast",
                "-l",
                label,
            ],
            password,
        )
        if res.returncode != 0:
            raise ConfigError(f"pg_basebackup failed:\n{res.stderr.strip()}")
        finished = _one(url, "select now()")
        fields = _label_fields(target / "data")
        manifest = json.loads((target / "data" / "backup_manifest").read_text())
        wal_range = manifest["WAL-Ranges"][-1]
        start = re.match(r"(\S+) \(file (\S+)\)", fields["START WAL LOCATION"])
        assert start is not None
        backup = BaseBackup(
            path=backup_dir / "base" / stamp,
            label=fields.get("LABEL", label),
            start_lsn=start.group(1),
            end_lsn=str(wal_range["End-LSN"]),
            start_wal=start.group(2),
            started_at=datetime.strptime(fields["START TIME"], "%Y-%m-%d %H:%M:%S %Z").replace(
                tzinfo=UTC
            ),
            finished_at=finished,
        )
        (target / MANIFEST).write_text(
            json.dumps(
                {
                    "label": backup.label,
                    "start_lsn": backup.start_lsn,
                    "end_lsn": backup.end_lsn,
                    "start_wal": backup.start_wal,
                    "started_at": backup.started_at.isoformat(),
                    "finished_at": backup.finished_at.isoformat(),
                },
                indent=2,
            )
            + "\n"
        )
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return backup


def verify(b: BaseBackup) -> str | None:
    """Check ``b`` against its manifest (pg_verifybackup: every file's size and checksum,
    and that the WAL it needs parses); None when it is sound, else what is wrong."""
    res = subprocess.run(
        cluster_mod.as_server_user([str(PG_BIN / "pg_verifybackup"), str(b.data.resolve())]),
        capture_output=True,
        text=True,
        check=False,
    )
    return None if res.returncode == 0 else (res.stderr or res.stdout).strip()


def _armed_file(backup_dir: Path) -> Path:
    return backup_dir / "wal" / cluster_mod.ARCHIVE_ARMED


def armed(backup_dir: Path) -> bool:
    """Whether the cluster keeps the WAL segments it finishes (cluster.archive_command)."""
    return _armed_file(backup_dir).exists()


def arm(backup_dir: Path) -> None:
    """Keep every WAL segment finished from now on. ``take`` calls it before pg_basebackup
    starts, so the segment holding a backup's start and every later one are archived."""
    marker = _armed_file(backup_dir)
    if not marker.exists():
        marker.write_text(
            f"archiving since {datetime.now(UTC).isoformat()}: the first base backup started\n"
        )


def _segment_files(wal: Path) -> list[Path]:
    # segments, partial segments, backup history files and the archiver's temporary copies;
    # timeline history files (00000002.history) stay
    pattern = re.compile(r"[0-9A-F]{24}(\.partial|\.[0-9A-F]{8}\.backup)?(\.part)?")
    return [p for p in wal.iterdir() if pattern.fullmatch(p.name)] if wal.exists() else []


def archive_summary(backup_dir: Path) -> str:
    """One line for ``make up``: the base backups, the archive's size, whether it is kept."""
    wal = backup_dir / "wal"
    files = _segment_files(wal.resolve() if wal.exists() else wal)
    size = sum(p.stat().st_size for p in files)
    n = len(list_backups(backup_dir))
    held = f"{len(files)} WAL segment(s), {size / 2**30:.1f} GiB in {wal}"
    if armed(backup_dir):
        return f"{n} base backup(s), {held} (bookiji backup --prune N bounds it)"
    if files:
        return (
            f"no base backup, yet {held} that no restore can use: "
            "bookiji backup --prune 1 removes them"
        )
    return "WAL kept from the first base backup on (bookiji backup)"


def prune(backup_dir: Path, keep: int) -> tuple[list[BaseBackup], str | None]:
    """Keep the ``keep`` newest base backups and the archived WAL they need: remove the
    older backups, then every archived segment before the oldest kept backup's start
    (pg_archivecleanup; timeline history files stay). The removed backups, and the first
    segment kept. With no base backup at all no segment can serve a restore: it removes
    every archived segment and stops archiving until the next ``take`` (first segment None)."""
    if keep < 1:
        raise ConfigError(f"--prune {keep}: keep at least one base backup")
    backups = list_backups(backup_dir)
    if not backups:
        base = backup_dir / "base"
        unfinished = [p.name for p in base.iterdir()] if base.exists() else []
        if unfinished:
            # a backup being taken needs the WAL archived from its start on
            raise ConfigError(
                f"{base / unfinished[0]} is a base backup being taken (or one that was "
                "interrupted: remove it) and no backup is finished: nothing was removed"
            )
        _armed_file(backup_dir).unlink(missing_ok=True)  # first: nothing new is kept
        for p in _segment_files((backup_dir / "wal").resolve()):
            p.unlink()
        return [], None
    gone, kept = backups[:-keep], backups[-keep:]
    for b in gone:
        (b.path / MANIFEST).unlink()  # first: a half-removed directory is no backup
        shutil.rmtree(b.path.resolve())
    res = subprocess.run(
        cluster_mod.as_server_user(
            [
                str(PG_BIN / "pg_archivecleanup"),
                str((backup_dir / "wal").resolve()),
                kept[0].start_wal,
            ]
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode != 0:
        raise ConfigError(f"pg_archivecleanup failed: {res.stderr.strip()}")
    return gone, kept[0].start_wal


def parse_time(text: str) -> datetime:
    """An ISO 8601 time; without an offset it is UTC."""
    try:
        t = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError as exc:
        raise ConfigError(
            f"--to {text!r} is not a time: give ISO 8601, e.g. 2026-12-02T06:30:00Z"
        ) from exc
    return t if t.tzinfo else t.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Restored:
    cluster: Cluster
    backup: BaseBackup
    target: datetime

    def url(self, password: str, dbname: str = "bookiji") -> str:
        from bookiji.config import with_credentials

        return with_credentials(
            f"postgresql://127.0.0.1:{self.cluster.port}/{dbname}", "postgres", password, dbname
        )


def choose(backup_dir: Path, to: datetime) -> BaseBackup:
    """The newest base backup that finished before ``to``."""
    backups = list_backups(backup_dir)
    before = [b for b in backups if b.finished_at < to]
    if not before:
        oldest = (
            f"the oldest finished at {backups[0].finished_at.isoformat()}"
            if backups
            else f"there are none under {backup_dir / 'base'} (take one: bookiji backup)"
        )
        raise ConfigError(f"no base backup finished before {to.isoformat()}: {oldest}")
    return before[-1]


def restore(
    backup_dir: Path,
    to: datetime,
    into: Path,
    port: int,
    password: str,
    *,
    timeout: float = 600.0,
) -> Restored:
    """Restore the newest backup finished before ``to`` into a new cluster at ``into``,
    replay the archive up to ``to``, promote it and leave it running on ``port``.
    On any failure nothing of the new cluster is left behind."""
    now = datetime.now(UTC)
    if to > now:
        raise ConfigError(
            f"--to {to.isoformat()} is in the future (now {now.isoformat(timespec='seconds')}):"
            " nothing is archived after now"
        )
    if into.exists() or into.is_symlink():
        raise ConfigError(f"{into} already exists: restore into a new directory (--into)")
    if cluster_mod.port_in_use(port):
        raise ConfigError(
            f"port {port} on 127.0.0.1 is already in use by another program; choose another "
            "with --port"
        )
    backup = choose(backup_dir, to)
    wal = (backup_dir / "wal").resolve()
    c = Cluster(data_dir=into.parent, name=into.name, port=port, password=password)
    try:
        _lay_down(c, backup, wal, to)
        _recover(c, password, to, wal, timeout)
    except BaseException:
        c.destroy()
        raise
    return Restored(c, backup, to)


def _lay_down(c: Cluster, backup: BaseBackup, wal: Path, to: datetime) -> None:
    c.data_dir.mkdir(parents=True, exist_ok=True)
    cluster_mod.server_owned_dir(c.link, c.name)
    res = subprocess.run(
        cluster_mod.as_server_user(["cp", "-a", str(backup.data.resolve()), str(c.pgdata)]),
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode != 0:
        raise ConfigError(f"copying the base backup failed: {res.stderr.strip()}")
    c.socket_dir.mkdir(mode=0o700, exist_ok=True)
    cluster_mod.chown_to_server_user(c.socket_dir)
    wal_quoted = str(wal).replace("'", "")
    with (c.pgdata / "postgresql.auto.conf").open("a") as f:
        f.write(
            "# bookiji restore (reset once promoted)\n"
            f'restore_command = \'cp "{wal_quoted}/%f" "%p"\'\n'
            f"recovery_target_time = '{to.isoformat()}'\n"
            "recovery_target_action = 'promote'\n"
        )
    signal = c.pgdata / "recovery.signal"
    signal.touch()
    cluster_mod.chown_to_server_user(signal)


def _recover(c: Cluster, password: str, to: datetime, wal: Path, timeout: float) -> None:
    url = f"postgresql://postgres@127.0.0.1:{c.port}/postgres"
    try:
        c.start()
    except ConfigError as exc:
        raise ConfigError(_why_not(c, to, wal) or str(exc)) from exc
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(
                url, password=password, autocommit=True, connect_timeout=5
            ) as conn:
                row = conn.execute("select pg_is_in_recovery()").fetchone()
                if row is not None and not row[0]:
                    # read only when a recovery starts: out of postgresql.auto.conf, they
                    # cannot come back if this cluster is ever started in recovery again
                    for name in RECOVERY_SETTINGS:
                        conn.execute(f"alter system reset {name}")
                    return
        except psycopg.OperationalError:
            pass
        if not c.running():
            raise ConfigError(
                _why_not(c, to, wal) or f"the restored cluster stopped:\n{_log_tail(c)}"
            )
        if time.monotonic() > deadline:
            raise ConfigError(f"recovery did not finish within {timeout:.0f}s:\n{_log_tail(c)}")
        time.sleep(0.2)


def _log_tail(c: Cluster) -> str:
    try:
        return c.log_file.read_text(errors="replace")[-2000:]
    except FileNotFoundError:
        return ""


def _why_not(c: Cluster, to: datetime, wal: Path) -> str | None:
    if TARGET_NOT_REACHED not in _log_tail(c):
        return None
    segments = sorted(p.name for p in wal.iterdir() if re.fullmatch(r"[0-9A-F]{24}", p.name))
    last = segments[-1] if segments else "none"
    return (
        f"the WAL archive ends before {to.isoformat()} (last archived segment: {last}): "
        "the newer commits are still in the running cluster's current WAL segment. "
        "Archive it (select pg_switch_wal() on that cluster; bookiji restore does it for "
        "the embedded one when it runs) or restore to an earlier time"
    )
