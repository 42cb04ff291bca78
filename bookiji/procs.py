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
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bookiji import deploy, gateway, postgrest
from bookiji.config import Settings
from worker.errors import StartError


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


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
    realtime_per_address: int = 500,
    worker_connections: int = 2048,
    web_dir: Path | None = None,
    app_config: dict[str, str] | None = None,
) -> Iterator[ApiServer]:
    """Start PostgREST over ``authenticator_url`` (and nginx in front), yield, stop both.

    With ``realtime_env`` (REALTIME_* settings, possibly none) the real-time service
    runs too, logged in as authenticator, behind nginx's /realtime.
    Everything the processes write (config, logs, nginx's temp files) goes under ``home``.
    """
    port, admin_port = free_port(), free_port()
    api_port = free_port() if with_nginx else port
    home.mkdir(parents=True, exist_ok=True)
    conf = postgrest.write_config(
        home / "postgrest.conf",
        postgrest.render_config(
            settings,
            db_uri=authenticator_url,
            port=port,
            admin_port=admin_port,
            pre_request=pre_request,
            public_url=f"http://127.0.0.1:{api_port}",
        ),
    )
    log = home / "postgrest.log"
    with ExitStack() as stack:
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [str(deploy.POSTGREST), str(conf)], stdout=out, stderr=subprocess.STDOUT
            )
        stack.callback(stop, proc)
        pgrst_url = f"http://127.0.0.1:{port}"
        server = ApiServer(
            url=pgrst_url,
            postgrest_url=pgrst_url,
            admin_url=f"http://127.0.0.1:{admin_port}",
            db_url=db_url,
            process=proc,
            log=log,
            gateway=None,
        )
        wait_ready(f"{server.admin_url}/ready", proc, log, "PostgREST")
        if realtime_env is not None:
            rt_port = free_port()
            rt = RealtimeServer(
                port=rt_port,
                env={
                    **os.environ,
                    "REALTIME_DATABASE_URL": authenticator_url,
                    "REALTIME_HOST": "127.0.0.1",
                    **realtime_env,
                    "REALTIME_PORT": str(rt_port),
                },
                log=home / "realtime.log",
            )
            rt.start()
            stack.callback(rt.stop)
            server.realtime = rt
        if with_nginx:
            gw = gateway.GatewayConfig(
                listen_host="127.0.0.1",
                listen_port=api_port,
                upstream_port=port,
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
            )
            gateway.prepare(gw)
            nginx = subprocess.Popen(
                gateway.command(gw), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
            )
            stack.callback(stop, nginx)
            server.url, server.gateway, server.nginx = f"http://127.0.0.1:{api_port}", gw, nginx
            wait_ready(f"{server.url}/rpc/health", nginx, home / "error.log", "nginx")
        yield server
