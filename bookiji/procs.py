"""PostgREST, and nginx in front of it, as child processes on free loopback ports.

The tests and `bookiji bench` both start their own API over a database of their
own; this module is the one place that knows how. `bookiji up` runs the same two
programs under honcho instead (bookiji/stack.py).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bookiji import deploy, gateway, pgbouncer, postgrest
from bookiji.cluster import free_port as free_port  # one implementation, re-exported
from bookiji.config import Settings
from worker.errors import StartError


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:  # noqa: S310 - loopback
            return int(resp.status) < 500
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except OSError:
        return False


def wait_ready(
    url: str, proc: subprocess.Popen[bytes], log: Path, what: str, timeout: float = 30
) -> None:
    """Wait until ``url`` answers below 500; fail with ``log`` when ``proc`` dies or time runs out."""
    deadline = time.monotonic() + timeout
    while not _answers(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            text = log.read_text(errors="replace") if log.exists() else "(no log)"
            raise StartError(f"{what} did not become ready at {url}:\n{text[-4000:]}")
        time.sleep(0.05)


def stop(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL after ``timeout`` seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass
class ApiServer:
    """A PostgREST process and, unless started without it, nginx in front of it."""

    url: str  # what clients use: nginx, or PostgREST itself when there is no nginx
    postgrest_url: str  # PostgREST itself
    admin_url: str  # PostgREST's admin server (/ready, /live)
    db_url: str  # the superuser URL of the database it serves (for the caller's checks)
    process: subprocess.Popen[bytes]  # PostgREST
    log: Path  # PostgREST's output
    gateway: gateway.GatewayConfig | None
    nginx: subprocess.Popen[bytes] | None = None
    realtime: RealtimeServer | None = None
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)  # every PostgREST
    postgrest_urls: list[str] = field(default_factory=list)
    pooler: pgbouncer.PoolerConfig | None = None  # PgBouncer, when pooled
    replica_process: subprocess.Popen[bytes] | None = None  # the replica's PostgREST
    router: Any = None  # the read router (bookiji/readpath.py), with a read path
    router_stop: threading.Event | None = None  # set: the router ends

    def pooler_url(self, user: str, password: str) -> str:
        """``user`` on this server's database through PgBouncer (started ``pooled``)."""
        assert self.pooler is not None, "this API was started without PgBouncer"
        return self.pooler.url(user, password, urlsplit(self.db_url).path.lstrip("/"))

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass(frozen=True)
class ReadPath:
    """The public catalog's read path of ``run_api`` (bookiji/readpath.py)."""

    primary_url: str  # the read router's LISTEN and event-log polling (authenticator, direct)
    replica_url: str | None = None  # authenticator on the replica; None: no replica
    cache_ttl: int = 5  # seconds; 0: no cache
    max_lag: float = 2.0


def readpath_state(home: Path) -> Path:
    from bookiji import readpath

    return readpath.state_file(home)


@dataclass
class RealtimeServer:
    """The real-time service (`python -m realtime`) as a child process."""

    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def direct_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/realtime"

    def start(self, timeout: float = 30) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "realtime"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_ready(
            f"http://127.0.0.1:{self.port}/healthz",
            self.process,
            self.log,
            "the real-time service",
            timeout,
        )

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _wait_port(port: int, proc: subprocess.Popen[bytes], log: Path, what: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if proc.poll() is not None or time.monotonic() > deadline:
            text = log.read_text(errors="replace") if log.exists() else "(no log)"
            raise StartError(f"{what} did not listen on 127.0.0.1:{port}:\n{text[-4000:]}")
        time.sleep(0.05)


def with_address(url: str, host: str, port: int) -> str:
    """``url`` with its host and port replaced (credentials and database kept)."""
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}:{port}" if userinfo else f"{host}:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def start_pooler(
    settings: Settings, stack: ExitStack, home: Path, server_url: str, pool_size: int = 20
) -> tuple[pgbouncer.PoolerConfig, subprocess.Popen[bytes]]:
    """PgBouncer (transaction mode) on a free port in front of ``server_url``'s server,
    knowing the authenticator's and the worker's passwords; stopped with ``stack``."""
    cfg = pgbouncer.PoolerConfig(
        home=home,
        listen_port=free_port(),
        server_port=urlsplit(server_url).port or 5432,
        users={
            "authenticator": settings.authenticator_password,
            "bookiji_worker": settings.worker_db_password,
        },
        pool_size=pool_size,
    )
    pgbouncer.prepare(cfg)
    proc = subprocess.Popen(
        pgbouncer.command(cfg), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    stack.callback(stop, proc)
    _wait_port(cfg.listen_port, proc, cfg.log_file, "PgBouncer")
    return cfg, proc


@contextmanager
def run_api(
    settings: Settings,
    *,
    db_url: str,
    authenticator_url: str,
    home: Path,
    pre_request: bool = True,
    with_nginx: bool = True,
    rate_per_address: int = 10000,
    rate_per_token: int = 10000,
    max_body: str = "1m",
    costly_per_address: int = 4,
    costly_anonymous: int = 6,
    realtime_env: dict[str, str] | None = None,
    pooled: bool = False,
    pool_size: int = 20,
    replicas: int = 1,
    realtime_per_address: int = 500,
    worker_connections: int = 2048,
    web_dir: Path | None = None,
    app_config: dict[str, str] | None = None,
    read_path: ReadPath | None = None,
) -> Iterator[ApiServer]:
    """Start PostgREST over ``authenticator_url`` (and nginx in front), yield, stop both.

    With ``realtime_env`` (REALTIME_* settings, possibly none) the real-time service
    runs too, logged in as authenticator, behind nginx's /realtime.
    With ``pooled``, PgBouncer (transaction mode) runs between PostgREST (and the
    real-time service's delivery pool) and PostgreSQL; ``server.pooler_url(...)`` names
    it, with ``pool_size`` server connections per role. ``replicas`` PostgREST processes run behind nginx's upstream.
    Everything the processes write (config, logs, nginx's temp files) goes under ``home``.
    With ``read_path``, the public catalog's read path (bookiji/readpath.py): a read-only
    PostgREST over its replica, if it names one, nginx's catalog cache, and the read router
    in a thread of this process (``server.router``).
    """
    home.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        pooler: pgbouncer.PoolerConfig | None = None
        pgrst_db_url = authenticator_url
        if pooled:
            pooler, _ = start_pooler(
                settings, stack, home / "pgbouncer", authenticator_url, pool_size
            )
            pgrst_db_url = with_address(authenticator_url, pooler.listen_host, pooler.listen_port)
        ports = [free_port() for _ in range(max(1, replicas))]
        api_port = free_port() if with_nginx else ports[0]
        processes: list[subprocess.Popen[bytes]] = []
        admin_urls: list[str] = []
        for n, port in enumerate(ports):
            admin_port = free_port()
            suffix = "" if n == 0 else f"-{n + 1}"
            conf = postgrest.write_config(
                home / f"postgrest{suffix}.conf",
                postgrest.render_config(
                    settings,
                    db_uri=pgrst_db_url,
                    port=port,
                    admin_port=admin_port,
                    pre_request=pre_request,
                    public_url=f"http://127.0.0.1:{api_port}",
                    pooled=pooled,
                ),
            )
            log = home / f"postgrest{suffix}.log"
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    [str(deploy.POSTGREST), str(conf)], stdout=out, stderr=subprocess.STDOUT
                )
            stack.callback(stop, proc)
            processes.append(proc)
            admin_urls.append(f"http://127.0.0.1:{admin_port}")
        for n, proc in enumerate(processes):
            suffix = "" if n == 0 else f"-{n + 1}"
            wait_ready(f"{admin_urls[n]}/ready", proc, home / f"postgrest{suffix}.log", "PostgREST")
        pgrst_url = f"http://127.0.0.1:{ports[0]}"
        server = ApiServer(
            url=pgrst_url,
            postgrest_url=pgrst_url,
            admin_url=admin_urls[0],
            db_url=db_url,
            process=processes[0],
            log=home / "postgrest.log",
            gateway=None,
            processes=processes,
            postgrest_urls=[f"http://127.0.0.1:{p}" for p in ports],
            pooler=pooler,
        )
        if realtime_env is not None:
            rt_port = free_port()
            # the real-time service polls the event log on one direct connection (it
            # could go through the pooler too) and delivers through the pooler
            rt_db = {"REALTIME_DATABASE_URL": authenticator_url}
            if pooled:
                rt_db = {
                    "REALTIME_DATABASE_URL": pgrst_db_url,
                    "REALTIME_LISTEN_DATABASE_URL": authenticator_url,
                }
            rt = RealtimeServer(
                port=rt_port,
                env={
                    **os.environ,
                    **rt_db,
                    "REALTIME_HOST": "127.0.0.1",
                    **realtime_env,
                    "REALTIME_PORT": str(rt_port),
                },
                log=home / "realtime.log",
            )
            rt.start()
            stack.callback(rt.stop)
            server.realtime = rt
        replica_port: int | None = None
        if read_path is not None and read_path.replica_url is not None:
            replica_port = free_port()
            replica_admin = free_port()
            conf = postgrest.write_config(
                home / "postgrest-replica.conf",
                postgrest.render_config(
                    settings,
                    db_uri=read_path.replica_url,
                    port=replica_port,
                    admin_port=replica_admin,
                    pre_request=pre_request,
                    public_url=f"http://127.0.0.1:{api_port}",
                    read_only=True,
                ),
            )
            log = home / "postgrest-replica.log"
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    [str(deploy.POSTGREST), str(conf)], stdout=out, stderr=subprocess.STDOUT
                )
            stack.callback(stop, proc)
            server.replica_process = proc
            wait_ready(
                f"http://127.0.0.1:{replica_admin}/ready", proc, log, "the replica's PostgREST"
            )
        if read_path is not None:
            from bookiji import readpath

            router = readpath.Router(
                read_path.primary_url,
                read_path.replica_url,
                readpath.state_file(home),
                max_lag=read_path.max_lag,
            )
            halt = threading.Event()
            thread = threading.Thread(target=router.run, args=(halt,), daemon=True)
            thread.start()
            stack.callback(thread.join, 10)
            stack.callback(halt.set)
            server.router, server.router_stop = router, halt
        if with_nginx:
            gw = gateway.GatewayConfig(
                listen_host="127.0.0.1",
                listen_port=api_port,
                upstream_port=ports[0],
                extra_upstream_ports=tuple(ports[1:]),
                home=home,
                rate_per_address=rate_per_address,
                burst_per_address=rate_per_address * 2,
                rate_per_token=rate_per_token,
                burst_per_token=rate_per_token * 2,
                max_body=max_body,
                costly_per_address=costly_per_address,
                costly_anonymous=costly_anonymous,
                realtime_port=server.realtime.port if server.realtime else None,
                realtime_per_address=realtime_per_address,
                worker_connections=worker_connections,
                web_dir=web_dir,
                app_config=app_config,
                read_state=readpath_state(home) if read_path is not None else None,
                replica_port=replica_port,
                cache_ttl=read_path.cache_ttl if read_path is not None else 0,
                trusted_proxies=settings.trusted_proxies,
            )
            gateway.prepare(gw)
            nginx = subprocess.Popen(
                gateway.command(gw), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
            )
            stack.callback(stop, nginx)
            server.url, server.gateway, server.nginx = f"http://127.0.0.1:{api_port}", gw, nginx
            wait_ready(f"{server.url}/rpc/health", nginx, home / "error.log", "nginx")
        yield server
