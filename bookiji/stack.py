"""`bookiji up`: the whole development stack, supervised together by honcho.

PostgreSQL is started (and deployed to) first, then honcho runs PostgREST,
localstripe, the SMTP sink and the worker. The real-time service
(`python -m realtime`) runs beside them, behind nginx's /realtime. Ctrl-C (or `make down`) stops all of
them and then the cluster.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from bookiji import cluster as cluster_mod
from bookiji import deploy, gateway, postgrest, stripe_setup
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


def gateway_config(settings: Settings) -> gateway.GatewayConfig:
    return gateway.GatewayConfig(
        listen_host=settings.api_host,
        listen_port=settings.api_port,
        upstream_port=settings.pgrst_port,
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
    )


def procfile(settings: Settings, conf: Path) -> dict[str, str]:
    py = sys.executable
    gw = gateway_config(settings)
    gateway.prepare(gw)
    procs = {
        "postgrest": f"{deploy.POSTGREST} {conf}",
        "nginx": " ".join(gateway.command(gw)),
        "accesslog": f"{py} -m bookiji.cli access-log --file {gw.access_log}",
        "smtp": f"{py} -m bookiji.cli smtp-sink",
        "worker": f"{py} -m worker",
        "realtime": f"{py} -m realtime",
    }
    if stripe_setup.is_local(settings):
        # the Stripe fake, only when STRIPE_API_BASE points at this machine
        procs["stripe"] = (
            f"{py} -m bookiji.cli localstripe --port {_stripe_port(settings)} "
            f"--state {settings.data_dir / 'stripe' / 'localstripe.pickle'}"
        )
    return procs


def banner(settings: Settings, token: str | None) -> str:
    lines = [
        "",
        "Bookiji is up:",
        f"  web app           {settings.app_url}   (docs/web.md)",
        f"  API (nginx → PostgREST)  {settings.api_url}   OpenAPI: GET {settings.api_url}/",
        f"  health            curl {settings.api_url}/rpc/health",
        f"  PostgreSQL        {settings.database_url.split('@')[-1]}   (bookiji db psql)",
        f"  Stripe fake       {settings.stripe_api_base}  (localstripe)",
        f"  SMTP sink         {settings.smtp_url}  (mail kept in {settings.mail_dir})",
        f"  worker metrics    http://127.0.0.1:{settings.worker_metrics_port}/metrics",
        f"  real-time         {settings.realtime_url}  (docs/realtime.md)",
    ]
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


def check_ports(settings: Settings) -> None:
    """Fail fast, naming the variable to change, when a port the stack listens on is taken."""
    _free(settings.api_port, "the API (nginx)", "API_PORT")
    _free(settings.pgrst_port, "PostgREST", "PGRST_PORT")
    _free(settings.pgrst_admin_port, "PostgREST's admin server", "PGRST_ADMIN_PORT")
    _free(settings.realtime_port, "the real-time service", "REALTIME_PORT")
    if stripe_setup.is_local(settings):
        _free(_stripe_port(settings), "localstripe", "STRIPE_API_BASE")
    smtp_port = urlsplit(settings.smtp_url).port or 25
    _free(smtp_port, "the SMTP sink", "SMTP_URL")


def up(settings: Settings, demo_token: str | None) -> int:
    from honcho.manager import Manager
    from honcho.printer import Printer

    check_ports(settings)  # again: the deploy took a while
    conf = postgrest.write_config(
        settings.data_dir / "postgrest.conf", postgrest.render_config(settings)
    )
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    (settings.run_dir / "stack.pid").write_text(str(os.getpid()))

    manager = Manager(Printer(sys.stdout))
    # the worker and the real-time service read only their own settings
    # (worker/settings.py, realtime/settings.py): tell them where to log in
    env = dict(
        os.environ,
        PYTHONUNBUFFERED="1",
        WORKER_DATABASE_URL=settings.worker_url,
        REALTIME_DATABASE_URL=settings.realtime_database_url,
        # the links in emails point at this stack's web app unless told otherwise
        APP_URL=os.environ.get("APP_URL") or settings.app_url.rstrip("/"),
    )
    for name, cmd in procfile(settings, conf).items():
        manager.add_process(name, cmd, env=env)

    def announce() -> None:
        if _wait_http(f"{settings.api_url}/rpc/health", 60):
            if stripe_setup.is_local(settings):
                _wait_port(_stripe_port(settings), 30)
                try:
                    stripe_setup.register_webhook(settings)
                except Exception as exc:
                    print(f"warning: could not register localstripe's webhook: {exc}", flush=True)
            print(banner(settings, demo_token), flush=True)
        else:
            print("PostgREST did not answer within 60 s; see its lines above.", flush=True)

    threading.Thread(target=announce, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: os.kill(os.getpid(), signal.SIGINT))
    try:
        manager.loop()
    finally:
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
        embedded_cluster(settings).stop()
