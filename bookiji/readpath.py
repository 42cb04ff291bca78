"""The public catalog's read path: a streaming replica of the embedded cluster, and the
read router that tells nginx where anonymous catalog reads go and which cached copies
are still good (docs/operations.md, "Read replica" and "Caching").

The replica is PostgreSQL's own streaming replication: ``create_replica`` copies the
running primary with ``pg_basebackup -R`` (a physical replication slot keeps the WAL it
has not received yet, bounded by ``max_slot_wal_keep_size``) into ``.data/pg-replica``,
a hot standby on BOOKIJI_REPLICA_PG_PORT. A read-only PostgREST serves it.

The router (``bookiji read-router``, one process beside nginx) every ``interval``:

- measures the replica's lag: the primary's WAL position is sampled with the time; the
  lag is how long ago the primary first wrote something the replica has not replayed
  (0 once it has replayed everything sampled). A quiet primary is no lag, unlike
  ``now() - pg_last_xact_replay_timestamp()``;
- hears ``NOTIFY bookiji_cache`` (db/functions/91_cache_notify.sql: the rare catalog
  writes) on a direct connection to the primary, and polls the event log there every
  ``poll`` seconds for ``availability_changed`` events (bookings and holds taken or
  freed, time off: what the slots show; no NOTIFY on the booking path, where it would
  make every confirm commit alone). Gap-safe: an event whose id is lower than one
  already seen but which commits later still counts (realtime/cursor.py). Either bumps
  the scope's version once the replica has replayed the change (or has fallen out of
  the routing): a bumped version is in nginx's cache key, so the next read misses and
  fetches the change;
- writes both into one small JSON file that nginx's njs reads per request
  (gateway/upstream.js): ``{"at", "replica", "catalog", "slots", "lag"}``. A file older
  than ``STALE_AFTER`` seconds (the router died) sends every read to the primary,
  uncached;
- exports Prometheus gauges (``bookiji_replica_lag_seconds``, ...) on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from bookiji import cluster as cluster_mod
from bookiji.cluster import PG_BIN, Cluster
from realtime import cursor as cursor_mod
from realtime.cursor import EventCursor
from worker.errors import ConfigError

SLOT = "bookiji_replica"
CHANNEL = "bookiji_cache"
SCOPES = ("catalog", "slots")
# the event kind that says the slots changed (db/functions/44_events.sql)
SLOTS_EVENT = "availability_changed"
# nginx ignores a state file older than this (seconds): the router is gone
STALE_AFTER = 3.0
# what the replica's server adds to the primary's settings (postgresql.auto.conf)
REPLICA_SETTINGS = {
    # the primary keeps the rows a replica query still reads: no query on the replica is
    # cancelled by a conflict with the primary's vacuum (a 500 for a catalog reader)
    "hot_standby_feedback": "on",
    # a replica query never delays replay longer than this (the lag bound is smaller)
    "max_standby_streaming_delay": "'5s'",
}


def _run_as_server(cmd: list[str], password: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cluster_mod.as_server_user(cmd),
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PGPASSWORD": password},
    )


def _one(url: str, sql: str, *args: Any) -> Any:
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        row = conn.execute(sql, args).fetchone()
    return None if row is None else row[0]


def create_replica(primary: Cluster, replica: Cluster, primary_url: str) -> bool:
    """Make ``replica`` a streaming copy of the running ``primary`` (``primary_url``: a
    superuser on it) unless it exists already; True when it was made now. The copy
    connects as the superuser through the slot ``bookiji_replica``."""
    if replica.initialized():
        return False
    replica.data_dir.mkdir(parents=True, exist_ok=True)
    cluster_mod.server_owned_dir(replica.link, replica.name)
    has_slot = _one(
        primary_url, "select count(*) from pg_replication_slots where slot_name = %s", SLOT
    )
    cmd = [
        str(PG_BIN / "pg_basebackup"),
        "-h",
        "127.0.0.1",
        "-p",
        str(primary.port),
        "-U",
        "postgres",
        "--no-password",
        "-D",
        str(replica.pgdata),
        "-X",
        "stream",
        "-c",
        "fast",
        "-R",  # standby.signal and primary_conninfo: it starts as a streaming standby
        "-S",
        SLOT,
    ]
    if not has_slot:
        cmd.append("-C")
    res = _run_as_server(cmd, primary.password)
    if res.returncode != 0:
        replica.destroy()
        raise ConfigError(f"pg_basebackup of the replica failed:\n{res.stderr.strip()}")
    with (replica.pgdata / "postgresql.auto.conf").open("a") as f:
        f.write("# bookiji read replica\n")
        for key, value in REPLICA_SETTINGS.items():
            f.write(f"{key} = {value}\n")
    replica.socket_dir.mkdir(mode=0o700, exist_ok=True)
    cluster_mod.chown_to_server_user(replica.socket_dir)
    return True


def wait_replayed(replica_url: str, primary_url: str, timeout: float = 5.0) -> bool:
    """Until the replica has replayed what the primary has written now (a schema change
    before its PostgREST reloads); False when it did not within ``timeout``."""
    try:
        target = int(
            _one(primary_url, "select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")
        )
        deadline = time.monotonic() + timeout
        with psycopg.connect(replica_url, autocommit=True, connect_timeout=2) as conn:
            while time.monotonic() < deadline:
                row = conn.execute(
                    "select pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint"
                ).fetchone()
                if row is not None and row[0] is not None and int(row[0]) >= target:
                    return True
                time.sleep(0.02)
    except psycopg.Error:
        pass
    return False


def drop_replica(replica: Cluster, primary_url: str) -> None:
    """Stop and remove the replica, and its slot on the primary (which would otherwise keep
    WAL for it up to max_slot_wal_keep_size)."""
    replica.destroy()
    _one(
        primary_url,
        "select count(pg_drop_replication_slot(slot_name)) from pg_replication_slots "
        "where slot_name = %s and not active",
        SLOT,
    )


@dataclass
class Lag:
    """The replica's lag from (time, primary WAL position) samples: how long ago the
    primary had first written what the replica has still not replayed."""

    window: float = 120.0
    samples: deque[tuple[float, int]] = field(default_factory=deque)

    def sample(self, at: float, primary_lsn: int) -> None:
        if not self.samples or primary_lsn > self.samples[-1][1]:
            self.samples.append((at, primary_lsn))
        while len(self.samples) > 1 and self.samples[0][0] < at - self.window:
            self.samples.popleft()

    def seconds(self, now: float, replayed: int) -> float:
        for at, lsn in self.samples:
            if lsn > replayed:
                return max(0.0, now - at)
        return 0.0


@dataclass
class RouterState:
    """What nginx reads (gateway/upstream.js, ``readState``)."""

    replica: bool = False
    catalog: int = 0
    slots: int = 0
    lag: float | None = None

    def write(self, path: Path) -> None:
        body = json.dumps(
            {
                "at": time.time(),
                "replica": self.replica,
                "catalog": self.catalog,
                "slots": self.slots,
                "lag": self.lag,
            }
        )
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(body)
        tmp.chmod(0o644)
        tmp.replace(path)


class Router:
    """The read router's loop (module docstring)."""

    def __init__(
        self,
        primary_url: str,
        replica_url: str | None,
        state_file: Path,
        *,
        max_lag: float,
        interval: float = 0.25,
        poll: float = 0.02,
    ) -> None:
        self.primary_url = primary_url
        self.replica_url = replica_url
        self.state_file = state_file
        self.max_lag = max_lag
        self.interval = interval  # the lag sampled and the state file written this often
        self.poll = poll  # the event log polled this often
        self.cursor: EventCursor | None = None
        # versions start from the clock: a restarted router never reuses an old key
        start = int(time.time() * 1000)
        self.state = RouterState(catalog=start, slots=start)
        self.lag = Lag()
        self.replayed: int | None = None
        self._replica_conn: psycopg.Connection[Any] | None = None
        self._gauges: dict[str, Any] = {}

    def serve_metrics(self, port: int) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

        reg = CollectorRegistry()
        self._gauges = {
            "lag": Gauge(
                "bookiji_replica_lag_seconds",
                "How long ago the primary wrote what the replica has not replayed (0: caught up).",
                registry=reg,
            ),
            "lag_bytes": Gauge(
                "bookiji_replica_lag_bytes",
                "WAL bytes the primary has written and the replica not replayed.",
                registry=reg,
            ),
            "serving": Gauge(
                "bookiji_replica_serving",
                "1 when nginx sends the anonymous catalog reads to the replica, 0 when to the "
                "primary (replica down, or lag over REPLICA_MAX_LAG_SECONDS).",
                registry=reg,
            ),
            "purges": Counter(
                "bookiji_cache_purges",
                "Versions bumped (every cached answer of the scope dropped), by scope.",
                ["scope"],
                registry=reg,
            ),
        }
        start_http_server(port, addr="127.0.0.1", registry=reg)

    def _replica_lsn(self) -> int | None:
        if self.replica_url is None:
            return None
        try:
            if self._replica_conn is None or self._replica_conn.closed:
                self._replica_conn = psycopg.connect(
                    self.replica_url, autocommit=True, connect_timeout=2
                )
            row = self._replica_conn.execute(
                "select pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint"
            ).fetchone()
            return None if row is None or row[0] is None else int(row[0])
        except psycopg.Error:
            if self._replica_conn is not None:
                self._replica_conn.close()
            self._replica_conn = None
            return None

    def _observe(self, primary: psycopg.Connection[Any]) -> int:
        """Sample the primary's position and the replica's, decide the routing; the
        primary's position."""
        row = primary.execute(
            "select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint"
        ).fetchone()
        assert row is not None
        lsn = int(row[0])
        now = time.monotonic()
        self.lag.sample(now, lsn)
        self.replayed = self._replica_lsn()
        if self.replayed is None:
            self.state.replica, self.state.lag = False, None
        else:
            self.state.lag = round(self.lag.seconds(now, self.replayed), 3)
            self.state.replica = self.state.lag <= self.max_lag
        if self._gauges:
            self._gauges["serving"].set(1 if self.state.replica else 0)
            if self.replayed is not None:
                self._gauges["lag"].set(self.state.lag or 0)
                self._gauges["lag_bytes"].set(max(0, lsn - self.replayed))
        return lsn

    def _wait_replayed(self, lsn: int, stop: threading.Event) -> None:
        """Until the replica has replayed ``lsn``, or cannot be used for reads any more."""
        deadline = time.monotonic() + self.max_lag
        while self.state.replica and not stop.is_set():
            replayed = self._replica_lsn()
            if replayed is not None and replayed >= lsn:
                return
            if replayed is None or time.monotonic() > deadline:
                self.state.replica = False  # reads go to the primary until it catches up
                return
            time.sleep(0.01)

    def bump(self, scopes: set[str]) -> None:
        # 'catalog' changes what the slots show too (a service's duration, a provider's zone)
        if "catalog" in scopes:
            self.state.catalog += 1
            self.state.slots += 1
        elif "slots" in scopes:
            self.state.slots += 1
        if self._gauges:
            for scope in scopes & set(SCOPES):
                self._gauges["purges"].labels(scope).inc()

    def _slots_changed(self, primary: psycopg.Connection[Any]) -> bool:
        """Poll the event log: whether an availability_changed event has committed since
        the last poll (a late commit below an id already seen included)."""
        if self.cursor is None:
            row = primary.execute("select last_id from auth.event_log_bounds()").fetchone()
            assert row is not None
            last = int(row[0])
            rows = primary.execute(
                cursor_mod.QUERY, (last - cursor_mod.START_WINDOW, [], cursor_mod.LIMIT)
            ).fetchall()
            self.cursor = EventCursor.starting(last, [r[0] for r in rows], time.monotonic())
        changed = False
        while True:
            high, holes = self.cursor.ask(time.monotonic())
            rows = primary.execute(cursor_mod.QUERY, (high, holes, cursor_mod.LIMIT)).fetchall()
            kinds = dict(rows)
            new = self.cursor.saw(list(kinds), time.monotonic())
            changed = changed or any(kinds[i] == SLOTS_EVENT for i in new)
            if len(rows) < cursor_mod.LIMIT:
                return changed

    def run(self, stop: threading.Event) -> None:
        """Until ``stop``: reconnects to the primary when it goes away (every read goes to
        the primary, uncached, while the state file ages)."""
        while not stop.is_set():
            try:
                with psycopg.connect(self.primary_url, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"listen {CHANNEL}")
                    # anything changed while nobody listened: drop every cached answer (and
                    # the event log is read on from where it was: the bump covers it all)
                    self.bump({"catalog"})
                    self._slots_changed(conn)
                    self._observe(conn)
                    self.state.write(self.state_file)
                    written = time.monotonic()
                    while not stop.is_set():
                        # at once on the first notification (then whatever else is queued)
                        scopes = {n.payload for n in conn.notifies(timeout=self.poll, stop_after=1)}
                        if scopes:
                            scopes |= {n.payload for n in conn.notifies(timeout=0.001)}
                        if self._slots_changed(conn):
                            scopes.add("slots")
                        if not scopes and time.monotonic() - written < self.interval:
                            continue
                        lsn = self._observe(conn)
                        if scopes:
                            # the change is committed at or before lsn: once the replica has
                            # replayed it, a miss under the new version reads the change
                            self._wait_replayed(lsn, stop)
                            self.bump(scopes)
                        self.state.write(self.state_file)
                        written = time.monotonic()
            except (psycopg.Error, OSError):
                stop.wait(1)


def router_for(
    settings: Any,
    *,
    primary_url: str | None = None,
    replica_url: str | None = None,
    state: Path | None = None,
) -> Router:
    """The read router of `bookiji up` (bookiji/stack.py): as authenticator on the
    primary, its state file in nginx's directory. The compose file's gives the primary
    (``primary_url``, READ_ROUTER_DATABASE_URL: a direct connection, for LISTEN), the
    replica (``replica_url``, READ_ROUTER_REPLICA_URL: the db-replica service) and the
    state file nginx reads on their shared volume (``state``)."""
    if replica_url is None and settings.replicated:
        replica_url = settings.replica_url
    return Router(
        primary_url or settings.authenticator_url,
        replica_url,
        state or state_file(settings.data_dir / "nginx"),
        max_lag=settings.replica_max_lag,
    )


def state_file(nginx_home: Path) -> Path:
    return nginx_home / "read-router.json"
