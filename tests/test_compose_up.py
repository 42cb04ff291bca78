"""docker-compose.yml starts, and the README's walk-through runs against it.

With Debian's podman and podman-compose: the images are built here from Debian packages
(scripts/images.sh: ~10 minutes the first time, a minute after with its layers cached), the
stack comes up under a project name and host ports of its own (so a developer's `make up`
and other runs do not collide), the demo data is loaded, the README's ```sh blocks run
verbatim against the published gateway and Stripe fake, and everything is removed,
volumes included. podman-compose 1.0 (Debian 12's) ignores `depends_on` conditions, so
the test starts db, then the one-shot migrate, then the read replica (db-replica, copied
from db by pg_basebackup), then the rest, as `docker compose` does by itself. `make test` installs the tools (scripts/bootstrap.sh --containers); skipped,
saying why, only where they are not installed (no root or sudo) or where this machine's
kernel refuses to start a container at all.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import threading
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
from tests.helpers.auth import bearer, session_token
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
    # the replica copies db once migrated (its depends_on), then streams; healthy once
    # the copy runs as a hot standby
    compose.run("up", "-d", "--no-deps", "db-replica")
    until(
        lambda: (
            compose.podman("healthcheck", "run", compose.container("db-replica")).returncode == 0
        ),
        timeout=180,
        what="db-replica healthy (pg_basebackup of db, then a hot standby)",
    )
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
    "rest-replica",
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


# A request with a cookie neither reads nor fills nginx's catalog cache (gateway.py) but is
# routed as any anonymous read: every such read reaches a PostgREST, the replica's or the
# primary's, and X-Read-From says which route nginx took.
UNCACHED = {"Cookie": "test=uncached"}


def _read(stack: Compose, path: str) -> httpx.Response:
    return httpx.get(stack.api + path, headers=UNCACHED, timeout=30)


def _replica_sql(stack: Compose, sql: str) -> str:
    """``sql`` on db-replica, as postgres over its socket (peer authentication)."""
    res = stack.podman(
        "exec",
        stack.container("db-replica"),
        "psql",
        "-U",
        "postgres",
        "-d",
        config.DEFAULTS["BOOKIJI_DB_NAME"],
        "-Atc",
        sql,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout.strip()


def _replica_serves(stack: Compose) -> bool:
    source = _read(stack, "/services?limit=1").headers.get("X-Read-From")
    return bool(source == "replica")


def test_a_providers_change_through_the_api_reaches_the_catalog_read_from_the_replica(
    started: Compose,
) -> None:
    """db-replica streams from db through the slot; a provider's change written through
    the gateway (on the primary) is read back anonymously from the replica; with the
    replica's replay paused, its reads keep what it had until the router, past
    REPLICA_MAX_LAG_SECONDS, sends them to the primary."""
    assert _replica_sql(started, "select pg_is_in_recovery()") == "t"
    with pytest.raises(AssertionError, match="read-only transaction"):
        _replica_sql(started, "update app.providers set description = description")
    with psycopg.connect(started.db_url, autocommit=True) as conn:
        slots = conn.execute("select slot_name, active from pg_replication_slots").fetchall()
        assert slots == [("bookiji_replica", True)]
        assert conn.execute("select state from pg_stat_replication").fetchall() == [("streaming",)]
        row = conn.execute(
            "select id, owner_id from app.providers order by business_name limit 1"
        ).fetchone()
        assert row is not None, "the demo data has providers"
        provider, owner = row
        token = bearer(session_token(conn, owner))
    until(lambda: _replica_serves(started), 120, "catalog reads from the replica")

    path = f"/providers?id=eq.{provider}&select=business_name"
    name = f"Replicated {uuid.uuid4().hex[:8]}"
    changed = httpx.patch(
        f"{started.api}/my_provider?id=eq.{provider}",
        json={"business_name": name},
        headers={**token, "Prefer": "return=representation"},
        timeout=30,
    )
    assert changed.status_code == 200, changed.text
    own = httpx.get(f"{started.api}/my_provider?select=business_name", headers=token, timeout=30)
    assert own.json() == [{"business_name": name}]  # read-your-writes: the primary
    assert "X-Read-From" not in own.headers
    until(
        lambda: (
            (r := _read(started, path)).json() == [{"business_name": name}]
            and r.headers["X-Read-From"] == "replica"
        ),
        60,
        "the change read from the replica",
    )
    assert (
        _replica_sql(started, f"select business_name from app.providers where id = '{provider}'")
        == name
    )

    # the replica stops replaying: what it answers is what it had, never the new name
    _replica_sql(started, "select pg_wal_replay_pause()")
    try:
        paused = f"Paused {uuid.uuid4().hex[:8]}"
        with psycopg.connect(started.db_url, autocommit=True) as conn:
            conn.execute(
                "update app.providers set business_name = %s where id = %s", (paused, provider)
            )
        answers: list[tuple[str, str]] = []

        def from_primary() -> bool:
            r = _read(started, path)
            answers.append((r.headers["X-Read-From"], r.json()[0]["business_name"]))
            return answers[-1][0] == "primary"

        until(from_primary, 60, "reads to leave the paused replica")
        for source, seen in answers:
            assert seen == (paused if source == "primary" else name), answers
    finally:
        _replica_sql(started, "select pg_wal_replay_resume()")
    until(
        lambda: (
            (r := _read(started, path)).headers["X-Read-From"] == "replica"
            and r.json() == [{"business_name": paused}]
        ),
        60,
        "the replica to catch up and serve again",
    )


def _copies(started: Compose, container: str) -> int:
    """How many times the container's entrypoint began copying the primary."""
    logs = started.podman("logs", container)
    return (logs.stdout + logs.stderr).count("copying the primary")


def test_stopping_the_replica_container_leaves_anonymous_reads_working(
    started: Compose,
) -> None:
    """Three anonymous readers while db-replica stops: nginx's replica upstream falls back
    to `postgrest` (a 503 from rest-replica is retried there) and the router stops sending
    reads to it; no read fails. Started again, it reuses its volume (no second copy) and
    serves again."""
    until(lambda: _replica_serves(started), 120, "catalog reads from the replica")
    paths = ["/services?limit=5", "/providers?limit=5", "/service_categories"]
    failures: list[tuple[str, int, str]] = []
    sources: list[str] = []
    done = threading.Event()

    def read() -> None:
        with httpx.Client(base_url=started.api, headers=UNCACHED, timeout=30) as client:
            while not done.is_set():
                for path in paths:
                    try:
                        r = client.get(path)
                    except httpx.HTTPError as exc:
                        failures.append((path, 0, repr(exc)))
                        continue
                    if r.status_code != 200:
                        failures.append((path, r.status_code, r.text[:200]))
                    sources.append(r.headers.get("X-Read-From", ""))

    readers = [threading.Thread(target=read) for _ in range(3)]
    replica = started.container("db-replica")
    # its copies so far: one, or more when an attempt failed and the entrypoint tried again (a
    # name lookup of the primary that failed while the network came up)
    copies = _copies(started, replica)
    assert copies >= 1
    for t in readers:
        t.start()
    try:
        until(lambda: len(sources) > 30, 60, "reads before the stop")
        stopped = started.podman("stop", "-t", "10", replica)
        assert stopped.returncode == 0, stopped.stderr
        at_stop = len(sources)
        until(lambda: "primary" in sources[at_stop:], 60, "reads routed to the primary")
        before = len(sources)
        until(lambda: len(sources) > before + 30, 60, "reads after the stop")
    finally:
        done.set()
        for t in readers:
            t.join(30)
        started.podman("start", replica)
    assert failures == [], failures[:5]
    assert {"replica", "primary"} <= set(sources)
    until(lambda: _replica_serves(started), 180, "the restarted replica to serve again")
    assert _copies(started, replica) == copies
