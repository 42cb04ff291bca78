"""The embedded PostgreSQL cluster under ``.data/``: create, start, stop, status.

PostgreSQL refuses to run as root. When this runs as root (as CI does) every
server command runs as the ``postgres`` OS user that Debian's package creates,
and the cluster's directory belongs to that user.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import random
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from worker.errors import ConfigError

PG_BIN = Path("/usr/lib/postgresql/15/bin")

# Settings sized for this project's reference machine (2 cores, 24 GiB). Each is
# justified in the README's performance section.
SERVER_SETTINGS: dict[str, str] = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "200",
    "shared_buffers": "'1GB'",
    "effective_cache_size": "'8GB'",
    "work_mem": "'16MB'",
    "maintenance_work_mem": "'256MB'",
    "random_page_cost": "1.1",
    # JIT compiles a quote's candidate query (estimated at ~900k: st_dwithin's
    # selectivity is guessed low) for ~700 ms of a 1.8 s call; see README.
    "jit": "off",
    "deadlock_timeout": "'1s'",
    # autovacuum looks at each database every 10 s instead of every minute: a
    # queue table's dead rows (consumed messages) slow every read until vacuumed
    # (docs/operations.md#maintenance)
    "autovacuum_naptime": "'10s'",
    # the full-page images (a page's first change after a checkpoint: most of a write's WAL)
    # compressed: a confirm's WAL after a checkpoint 34-44 -> 24-28 kB, throughput unchanged
    # within the noise (docs/performance.md, session 29): less for the replica's stream, the
    # WAL archive and the disk
    "wal_compression": "lz4",
    "log_min_messages": "warning",
    "log_min_error_statement": "panic",
    "timezone": "'UTC'",
    "password_encryption": "'scram-sha-256'",
}

# Extra settings for the throwaway test cluster: durability traded for speed.
FAST_SETTINGS: dict[str, str] = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "'256MB'",
}


def _is_root() -> bool:
    return os.geteuid() == 0


def _postgres_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam("postgres")
    except KeyError as exc:  # pragma: no cover - depends on the machine
        raise ConfigError(
            "running as root, but there is no 'postgres' OS user to run the cluster as; "
            "install the Debian package postgresql-15 (it creates that user)"
        ) from exc


def as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if _is_root() else cmd


def chown_to_server_user(path: Path) -> None:
    if _is_root():
        pw = _postgres_user()
        os.chown(path, pw.pw_uid, pw.pw_gid)


def server_owned_dir(link: Path, tag: str) -> Path:
    """``link`` as a directory the server user owns (mode 0700), made on first use; its real
    path. When the server user cannot reach ``link``'s parent (a checkout under /root, a
    test's tmp_path), the directory lives under /var/tmp and ``link`` points at it."""
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        if _server_can_reach(link.parent):
            link.mkdir()
        else:
            digest = hashlib.sha256(str(link).encode()).hexdigest()[:12]
            target = Path("/var/tmp") / f"bookiji-{tag}-{digest}"  # noqa: S108 - mode 0700, owned by postgres
            target.mkdir(mode=0o700, exist_ok=True)
            link.symlink_to(target)
    home = link.resolve() if link.is_symlink() else link
    chown_to_server_user(home)
    home.chmod(0o700)
    return home


def _server_can_reach(path: Path) -> bool:
    if not _is_root():
        return True
    probe = subprocess.run(
        ["runuser", "-u", "postgres", "--", "test", "-x", str(path)],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def remove_server_owned_dir(link: Path) -> None:
    """Undo ``server_owned_dir``: the directory, and the link to it if there is one."""
    home = link.resolve() if link.is_symlink() else link
    if link.is_symlink():
        link.unlink()
    shutil.rmtree(home, ignore_errors=True)


# The file in the WAL archive whose presence turns archiving on (bookiji/backup.py writes it
# before the first base backup starts and removes it with the last one).
ARCHIVE_ARMED = "ARMED"


def archive_command(wal_dir: Path) -> str:
    """The shell command that archives one WAL segment (%p) into ``wal_dir`` as %f.

    Only once ``wal_dir/ARMED`` exists: before the first base backup a segment can serve no
    restore (a restore replays from a backup's start on), so it is reported archived and not
    kept, and the archive of a cluster nobody backs up stays empty instead of growing by all
    the WAL it writes. Copied under a temporary name and renamed, so a crash never leaves a
    partial segment under the real name; a segment already archived with the same bytes is a
    success (the server retries after a crash between the copy and its own bookkeeping), with
    other bytes a failure (never overwrite the archive)."""
    d = str(wal_dir).replace("'", "")
    return (
        f'f="{d}/%f"; if [ ! -e "{d}/{ARCHIVE_ARMED}" ]; then true; '
        f'elif [ -f "$f" ]; then cmp -s "%p" "$f"; '
        f'else cp "%p" "$f.part" && mv "$f.part" "$f"; fi'
    )


def _ephemeral_range() -> tuple[int, int]:
    """The ports the kernel gives outgoing connections (Linux's default 32768-60999)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now, for a server started next.

    Chosen at random below the kernel's ephemeral range: a port of that range (what binding
    port 0 returns) may be handed to an outgoing connection between this check and the
    server's own bind, and the server then fails with "Address in use" (PostgREST did, in a
    CI run of the benchmark's smoke test, while the suite held thousands of connections).
    The kernel's own choice only if 500 tries below the range are all taken."""
    low, _ = _ephemeral_range()
    first = max(1024, low - 12000)
    pick = random.SystemRandom()
    for _ in range(500):
        port = pick.randrange(first, low) if first < low else 0
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


@dataclass(frozen=True)
class Cluster:
    """One PostgreSQL cluster owned by the project."""

    data_dir: Path  # the project's .data (or the test equivalent)
    name: str  # "pg" or "pg-test"
    port: int
    password: str
    fast: bool = False
    # where archive_command copies each finished WAL segment (None: no archiving)
    archive_dir: Path | None = None

    @property
    def link(self) -> Path:
        return self.data_dir / self.name

    @property
    def home(self) -> Path:
        """Where the cluster really lives (``.data/<name>`` or, if the server user cannot
        reach the checkout, a directory under /var/tmp that ``.data/<name>`` links to)."""
        return self.link.resolve() if self.link.is_symlink() else self.link

    @property
    def pgdata(self) -> Path:
        return self.home / "data"

    @property
    def socket_dir(self) -> Path:
        return self.home / "run"

    @property
    def log_file(self) -> Path:
        return self.home / "postgres.log"

    def _prepare_home(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not self.link.exists():
            server_owned_dir(self.link, self.name)

    def initialized(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def init(self) -> None:
        """Create the cluster on first use (a no-op once it exists)."""
        if self.initialized():
            return
        if not (PG_BIN / "initdb").exists():
            raise ConfigError(
                f"PostgreSQL 15 server binaries are missing ({PG_BIN}); run `make bootstrap` "
                "or install the Debian package postgresql-15"
            )
        self._prepare_home()
        for sub in (self.pgdata, self.socket_dir):
            sub.mkdir(mode=0o700, exist_ok=True)
            chown_to_server_user(sub)
        pwfile = self.home / "pwfile"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o600)
        chown_to_server_user(pwfile)
        try:
            subprocess.run(
                as_server_user(
                    [
                        str(PG_BIN / "initdb"),
                        "-D",
                        str(self.pgdata),
                        "-U",
                        "postgres",
                        f"--pwfile={pwfile}",
                        "--auth=scram-sha-256",
                        "--encoding=UTF8",
                        "--locale=C.UTF-8",
                    ]
                ),
                check=True,
                capture_output=True,
                text=True,
            )
        except subprocess.CalledProcessError as exc:
            raise ConfigError(f"initdb failed:\n{exc.stdout}{exc.stderr}") from exc
        finally:
            pwfile.unlink(missing_ok=True)
        settings = dict(SERVER_SETTINGS)
        if self.fast:
            settings.update(FAST_SETTINGS)
        settings["unix_socket_directories"] = f"'{self.socket_dir}'"
        conf = self.pgdata / "postgresql.conf"
        with conf.open("a") as f:
            f.write("\n# --- Bookiji embedded cluster ---\n")
            for key, value in settings.items():
                f.write(f"{key} = {value}\n")
            f.write("include_if_exists = 'bookiji.port.conf'\n")

    def _write_port(self) -> None:
        """The settings decided at each start (postgresql.conf includes this file last):
        the port, the socket directory (a restored copy must not keep its source's) and
        WAL archiving (``archive_mode`` only changes on a restart, which this is)."""
        lines = [
            f"port = {self.port}",
            f"unix_socket_directories = '{self.socket_dir}'",
            "wal_level = replica",
            # a replication slot (the read replica's, bookiji/readpath.py) keeps WAL for a
            # stopped replica; past this much the slot is invalidated instead of the disk filled
            "max_slot_wal_keep_size = '2GB'",
        ]
        if self.archive_dir is not None:
            server_owned_dir(self.archive_dir, f"{self.name}-wal")
            command = archive_command(self.archive_dir.resolve()).replace("'", "''")
            lines += ["archive_mode = on", f"archive_command = '{command}'"]
        else:
            lines += ["archive_mode = off"]
        port_conf = self.pgdata / "bookiji.port.conf"
        port_conf.write_text("\n".join(lines) + "\n")
        chown_to_server_user(port_conf)

    def running(self) -> bool:
        if not self.initialized():
            return False
        res = subprocess.run(
            as_server_user([str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata), "status"]),
            capture_output=True,
            check=False,
        )
        return res.returncode == 0

    def start(self) -> None:
        if self.running():
            return
        # Before initdb: a taken port fails fast and leaves nothing behind.
        if port_in_use(self.port):
            raise ConfigError(
                f"port {self.port} on 127.0.0.1 is already in use by another program; "
                f"stop it or choose another port with BOOKIJI_PG_PORT"
            )
        self.init()
        self._write_port()
        if not self.log_file.exists():
            self.log_file.touch()
            chown_to_server_user(self.log_file)
        res = subprocess.run(
            as_server_user(
                [
                    str(PG_BIN / "pg_ctl"),
                    "-D",
                    str(self.pgdata),
                    "-l",
                    str(self.log_file),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),
            capture_output=True,
            text=True,
            check=False,
        )
        if res.returncode != 0:
            tail = self.log_file.read_text(errors="replace")[-2000:]
            raise ConfigError(f"PostgreSQL did not start:\n{res.stdout}{res.stderr}\n{tail}")

    def stop(self, mode: str = "fast") -> None:
        if not self.running():
            return
        subprocess.run(
            as_server_user(
                [str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata), "-m", mode, "-w", "stop"]
            ),
            check=True,
            capture_output=True,
        )

    def stop_command(self) -> list[str]:
        """How an operator stops this cluster by hand (printed by bookiji restore)."""
        return as_server_user([str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata), "stop"])

    def restart(self, mode: str = "fast") -> None:
        subprocess.run(
            as_server_user(
                [
                    str(PG_BIN / "pg_ctl"),
                    "-D",
                    str(self.pgdata),
                    "-l",
                    str(self.log_file),
                    "-m",
                    mode,
                    "-w",
                    "restart",
                ]
            ),
            check=True,
            capture_output=True,
        )

    def postmaster_pid(self) -> int | None:
        pidfile = self.pgdata / "postmaster.pid"
        try:
            return int(pidfile.read_text().splitlines()[0])
        except (FileNotFoundError, IndexError, ValueError):
            return None

    def destroy(self) -> None:
        self.stop("immediate")
        home = self.home
        if self.link.is_symlink():
            self.link.unlink()
        shutil.rmtree(home, ignore_errors=True)

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            res = subprocess.run(
                [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True,
                check=False,
            )
            if res.returncode == 0:
                return
            time.sleep(0.1)
        raise ConfigError(f"PostgreSQL on port {self.port} did not become ready in {timeout}s")
