"""docker-compose.yml starts, and the README's walk-through runs against it.

With Debian's podman and podman-compose: the images are built here from Debian packages
(scripts/images.sh: ~10 minutes the first time, a minute after with its layers cached), the
stack comes up under a project name and host ports of its own (so a developer's `make up`
and other runs do not collide), the demo data is loaded, the README's ```sh blocks run
verbatim against the published gateway and Stripe fake, and everything is removed,
volumes included. podman-compose 1.0 (Debian 12's) ignores `depends_on` conditions, so
the test starts db, then the one-shot migrate, then the rest, as `docker compose` does
by itself. `make test` installs the tools (scripts/bootstrap.sh --containers); skipped,
saying why, only where they are not installed (no root or sudo) or where this machine's
kernel refuses to start a container at all.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

import bookiji_seed as seed
from bookiji import config, demo
from bookiji.config import ROOT
from bookiji.procs import free_port
from tests.helpers.waiting import until

# the first build of the images takes ~10 minutes here
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]
TOOLS = ("podman", "podman-compose", "runc", "mmdebstrap")


def missing_tool() -> str | None:
    for tool in TOOLS:
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install {' '.join(TOOLS)})"
    return None


@dataclass(frozen=True)
class Compose:
    project: str
    env: dict[str, str]
    api: str
    stripe: str
    db_url: str

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["podman-compose", "-p", self.project, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )

    def podman(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["podman", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )

    def container(self, service: str, n: int = 1) -> str:
        return f"{self.project}_{service}_{n}"

    def logs(self) -> str:
        names = self.podman("ps", "-a", "--format", "{{.Names}}").stdout.split()
        out = []
        for name in sorted(n for n in names if n.startswith(self.project + "_")):
            res = self.podman("logs", "--tail", "15", name)
            out.append(f"--- {name}\n{res.stdout}{res.stderr}")
        return "\n".join(out)


@pytest.fixture(scope="module")
def compose() -> Iterator[Compose]:
    reason = missing_tool()
    if reason is not None:
        pytest.skip(reason)
    env = dict(os.environ)
    env.setdefault("CONTAINERS_CONF", str(ROOT / "docker" / "containers.conf"))
    for name in config.SECRET_NAMES:
        env[name] = secrets.token_urlsafe(24) + ("-" * 8 if name == "JWT_SECRET" else "")
    ports = {name: free_port() for name in ("API_PORT", "BOOKIJI_PG_PORT", "STRIPE_PORT")}
    env.update({name: str(port) for name, port in ports.items()})
    env["SMTP_PORT"] = str(free_port())
    env.pop("DATABASE_URL", None)
    # the base image, then one container: where the kernel refuses podman's limits or
    # cgroups (docker/containers.conf says which ones), containers cannot run at all
    res = subprocess.run(
        ["scripts/images.sh", "--base-only"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    probe = subprocess.run(
        ["podman", "run", "--rm", "bookiji-debian:12", "true"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if probe.returncode != 0:
        pytest.skip(f"containers cannot run on this machine: {probe.stderr.strip()[-500:]}")
    # always: a stale image would test old code (cached layers make a rebuild short)
    res = subprocess.run(
        ["scripts/images.sh"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    stack = Compose(
        project=f"bkt{uuid.uuid4().hex[:8]}",
        env=env,
        api=f"http://127.0.0.1:{ports['API_PORT']}",
        stripe=f"http://127.0.0.1:{ports['STRIPE_PORT']}",
        db_url=(
            f"postgresql://postgres:{env['POSTGRES_PASSWORD']}@127.0.0.1:"
            f"{ports['BOOKIJI_PG_PORT']}/{config.DEFAULTS['BOOKIJI_DB_NAME']}"
        ),
    )
    try:
        yield stack
    finally:
        print(stack.logs())  # shown when a test fails
        stack.run("down", "-v", "-t", "5")
        stack.podman("network", "rm", "-f", f"{stack.project}_default")


@pytest.fixture(scope="module")
def started(compose: Compose) -> Compose:
    """db healthy, then migrate to its end (exit 0), then the demo data, then the rest."""
    res = compose.run("up", "-d", "db")
    assert compose.podman("container", "exists", compose.container("db")).returncode == 0, (
        res.stdout + res.stderr
    )
    until(
        lambda: compose.podman("healthcheck", "run", compose.container("db")).returncode == 0,
        timeout=120,
        what="db healthy",
    )
    compose.run("up", "-d", "--no-deps", "migrate")
    waited = compose.podman("wait", compose.container("migrate"), timeout=300)
    assert waited.stdout.strip() == "0", compose.logs()
    with psycopg.connect(compose.db_url) as conn:
        seed.load_demo(conn)
    compose.run("up", "-d", "--no-deps", *REST)

    def healthy() -> bool:
        return httpx.get(f"{compose.api}/rpc/health", timeout=5).status_code == 200

    until(healthy, timeout=120, what="the gateway's health", ignoring=(httpx.HTTPError,))
    until(
        lambda: httpx.get(f"{compose.stripe}/js.stripe.com/v3/", timeout=5).status_code == 200,
        timeout=60,
        what="localstripe",
        ignoring=(httpx.HTTPError,),
    )

    def worker_ready(n: int) -> bool:
        res = compose.podman("logs", compose.container("worker", n))
        return "worker ready" in res.stdout + res.stderr

    for n in (1, 2):  # both competing workers read the queues
        until(lambda: worker_ready(n), timeout=60, what=f"worker {n} ready")  # noqa: B023
    return compose


REST = (
    "pgbouncer",
    "gateway-config",
    "stripe",
    "smtp",
    "accesslog",
    "postgrest",
    "realtime",
    "worker",
    "router",
    "api",
)


def test_the_readme_walkthrough_runs_against_the_compose_stack(
    started: Compose, tmp_path: Path
) -> None:
    walk, cancel = demo.walkthrough_blocks()
    env = demo.walkthrough_env(config.load(), API=started.api, STRIPE=started.stripe)
    state = tmp_path / "state.sh"
    res = demo.run_block(walk, state, env)
    print(res.stdout)
    assert res.returncode == 0, res.stdout + res.stderr + started.logs()
    bid = next(line.split()[1] for line in res.stdout.splitlines() if line.startswith("booking "))
    # paid in localstripe, whose webhook (registered when it started) reached the gateway
    assert f"booking {bid}: confirmed" in res.stdout, res.stdout + started.logs()
    assert "booking_confirmed" in res.stdout  # the worker sent the email (through the sink)
    res = demo.run_block(cancel, state, env)
    assert res.returncode == 0, res.stdout + res.stderr
    with psycopg.connect(started.db_url, autocommit=True) as conn:
        row = conn.execute(
            "select b.status, p.status from app.bookings b"
            " join app.payments p on p.booking_id = b.id where b.id = %s",
            (bid,),
        ).fetchone()
        assert row == ("cancelled", "succeeded")

        # the access-log shipper read nginx's log from the shared volume and kept its offset
        def shipped_rows() -> int:
            row = conn.execute(
                "select count(*) from audit.access_log where path = '/rpc/stripe_webhook'"
            ).fetchone()
            return int(row[0]) if row else 0

        shipped = until(
            shipped_rows,
            timeout=30,
            what="the webhook's request in audit.access_log",
        )
        assert shipped >= 1
    files = started.podman(
        "exec", started.container("accesslog"), "ls", "/var/lib/bookiji/gateway"
    ).stdout.split()
    assert {"access.jsonl", "access.jsonl.offset", "nginx.conf"} <= set(files)
    mail = started.podman("exec", started.container("smtp"), "ls", "/var/lib/bookiji/mail")
    assert any(name.endswith(".eml") for name in mail.stdout.split()), mail.stderr


def test_anonymous_catalog_reads_are_cached_with_the_read_router_beside_nginx(
    started: Compose,
) -> None:
    """The `router` service keeps the state file nginx reads fresh: without it nginx
    sends every catalog read to PostgREST uncached (no X-Cache-Status)."""

    def cached() -> bool:
        httpx.get(f"{started.api}/services?limit=5", timeout=5)
        resp = httpx.get(f"{started.api}/services?limit=5", timeout=5)
        return resp.status_code == 200 and resp.headers.get("X-Cache-Status") == "HIT"

    until(cached, timeout=60, what="a cached catalog read", ignoring=(httpx.HTTPError,))


def test_the_web_app_and_its_config_are_served(started: Compose) -> None:
    page = httpx.get(f"{started.api}/app/", timeout=10)
    assert page.status_code == 200 and "<html" in page.text.lower()
    cfg = httpx.get(f"{started.api}/app/config.json", timeout=10).json()
    assert cfg["stripe_publishable_key"] == config.DEFAULTS["STRIPE_PUBLISHABLE_KEY"]


def test_two_postgrest_and_two_workers_run_every_process_as_bookiji(started: Compose) -> None:
    for service, n in (("postgrest", 2), ("worker", 2), ("api", 1), ("pgbouncer", 1)):
        for i in range(1, n + 1):
            res = started.podman(
                "inspect",
                "--format",
                "{{.State.Running}} {{.Config.User}}",
                started.container(service, i),
            )
            assert res.stdout.split() == ["true", "bookiji"], (service, i, res.stdout, res.stderr)
