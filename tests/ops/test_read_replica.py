"""The read replica (docs/operations.md, "Read replica"): a cluster of the test's own, a
streaming replica made from it by pg_basebackup (bookiji/readpath.py), a read-only
PostgREST on the replica, and nginx sending the anonymous catalog reads there while the
read router measures the replica within its lag bound; writes and a user's own reads
stay on the primary.

Real processes throughout: initdb, postgres, pg_basebackup, streaming replication, two
PostgREST, nginx and the router. The bound is checked as the routing's invariant (a
replica that falls behind by more than it stops serving), not as a duration: the
replica's replay is paused to make it fall behind.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from bookiji import config, deploy, procs, readpath
from bookiji.cluster import Cluster, free_port
from tests.helpers import catalog, stack
from tests.helpers.auth import bearer, mint
from tests.helpers.factories import create_user
from tests.helpers.waiting import until

MAX_LAG = 1.0


@dataclass
class Pair:
    primary: Cluster
    replica: Cluster
    password: str

    def url(self, c: Cluster, role: str = "postgres", password: str | None = None) -> str:
        return config.with_credentials(
            f"postgresql://127.0.0.1:{c.port}/bookiji", role, password or self.password, "bookiji"
        )


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    s = config.load()
    password = config.load_secrets(s.data_dir)["POSTGRES_PASSWORD"]
    root: Path = tmp_path_factory.mktemp("replicated")
    primary = Cluster(data_dir=root, name="pg", port=free_port(), password=password, fast=True)
    replica = Cluster(data_dir=root, name="pg-replica", port=free_port(), password=password)
    primary.start()
    try:
        primary.wait_ready()
        p = Pair(primary, replica, password)
        deploy.deploy(s, url=p.url(primary))
        assert readpath.create_replica(primary, replica, p.url(primary))
        assert not readpath.create_replica(primary, replica, p.url(primary))  # once
        replica.start()
        replica.wait_ready()
        yield p
    finally:
        replica.destroy()
        primary.destroy()


@pytest.fixture(scope="module")
def api(pair: Pair) -> Iterator[stack.PostgREST]:
    s = config.load()
    auth = s.authenticator_password
    with stack.run_postgrest(
        "bookiji",
        db_url=pair.url(pair.primary),
        authenticator_url=pair.url(pair.primary, "authenticator", auth),
        read_path=procs.ReadPath(
            primary_url=pair.url(pair.primary, "authenticator", auth),
            replica_url=pair.url(pair.replica, "authenticator", auth),
            cache_ttl=0,
            max_lag=MAX_LAG,
        ),
    ) as server:
        until(lambda: _read_from(server, "/services?limit=1") == "replica", 30, "replica reads")
        yield server


def _get(server: stack.PostgREST, path: str, **headers: str) -> httpx.Response:
    return httpx.get(server.url + path, headers=headers, timeout=30)


def _read_from(server: stack.PostgREST, path: str) -> str | None:
    source = _get(server, path).headers.get("X-Read-From")
    return None if source is None else str(source)


def _one(url: str, sql: str, *args: Any) -> Any:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(sql, args).fetchone()
    return None if row is None else row[0]


def test_the_replica_streams_and_is_read_only(pair: Pair) -> None:
    assert _one(pair.url(pair.replica), "select pg_is_in_recovery()") is True
    assert _one(pair.url(pair.primary), "select state from pg_stat_replication") == "streaming"
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        _one(pair.url(pair.replica), "update app.providers set description = 'x'")


def test_a_providers_change_reaches_the_anonymous_reads_and_a_lagging_replica_stops_serving(
    pair: Pair, api: stack.PostgREST
) -> None:
    with psycopg.connect(pair.url(pair.primary), autocommit=True) as admin:
        owner = create_user(admin, "provider")
        provider = catalog.create_provider(admin, owner_id=owner, business_name="Old name")
    path = f"/providers?id=eq.{provider}&select=business_name"
    until(lambda: _get(api, path).json() == [{"business_name": "Old name"}], 30, "the replica")

    # the provider's own change, through the API: written on the primary, read back there
    token = bearer(mint("provider", owner))
    changed = httpx.patch(
        f"{api.url}/my_provider?id=eq.{provider}",
        json={"business_name": "New name"},
        headers={**token, "Prefer": "return=representation"},
        timeout=30,
    )
    assert changed.status_code == 200, changed.text
    own = _get(api, "/my_provider?select=business_name", **token)
    assert own.json() == [{"business_name": "New name"}]  # read-your-writes
    assert "X-Read-From" not in own.headers  # a user's own rows: the primary
    seen = until(
        lambda: (
            (r := _get(api, path)).json() == [{"business_name": "New name"}]
            and r.headers["X-Read-From"] == "replica"
        ),
        30,
        "the change on the replica",
    )
    assert seen

    # the replica stops replaying: past the bound, anonymous reads go to the primary
    replica_admin = pair.url(pair.replica)
    _one(replica_admin, "select pg_wal_replay_pause()")
    try:
        with psycopg.connect(pair.url(pair.primary), autocommit=True) as admin:
            admin.execute(
                "update app.providers set business_name = 'Paused name' where id = %s",
                (provider,),
            )
        answers = []

        def from_primary() -> bool:
            r = _get(api, path)
            answers.append((r.headers["X-Read-From"], r.json()[0]["business_name"]))
            return answers[-1][0] == "primary"

        until(from_primary, 30, "reads to leave the paused replica")
        # the replica only ever answered with what it had; the primary with the change
        for source, name in answers:
            assert name == ("Paused name" if source == "primary" else "New name")
        # Reads can leave the replica before the router's next sample measures the lag: a
        # catalog change waits at most the bound for the replica to replay it, then routes
        # to the primary on its own (CI saw lag 0.0 here, the sample before the pause).
        until(
            lambda: (api.router.state.lag or 0.0) > MAX_LAG,
            30,
            "the router to measure the paused replica's lag",
        )
        assert api.router.state.replica is False
    finally:
        _one(replica_admin, "select pg_wal_replay_resume()")
    until(
        lambda: (
            (r := _get(api, path)).headers["X-Read-From"] == "replica"
            and r.json() == [{"business_name": "Paused name"}]
        ),
        30,
        "the replica to catch up and serve again",
    )


def test_ops_health_shows_the_replicas_lag(pair: Pair, api: stack.PostgREST) -> None:
    with psycopg.connect(pair.url(pair.primary), autocommit=True) as admin:
        ops = create_user(admin, "ops")
    health = _get(api, "/rpc/health", **bearer(mint("ops", ops))).json()
    assert [r["state"] for r in health["replicas"]] == ["streaming"]
    assert health["replicas"][0]["replay_lag_bytes"] >= 0
    assert "replicas" not in _get(api, "/rpc/health").json()  # anonymous: the status only


def test_stopping_the_replica_falls_back_to_the_primary_without_client_errors(
    pair: Pair, api: stack.PostgREST
) -> None:
    paths = ["/services?limit=5", "/providers?limit=5", "/service_categories"]
    failures: list[tuple[str, int, str]] = []
    sources: set[str] = set()
    done = threading.Event()
    count = [0]

    def read() -> None:
        with httpx.Client(timeout=30) as client:
            while not done.is_set():
                for path in paths:
                    r = client.get(api.url + path)
                    count[0] += 1
                    if r.status_code != 200:
                        failures.append((path, r.status_code, r.text[:200]))
                    sources.add(r.headers.get("X-Read-From", ""))

    readers = [threading.Thread(target=read) for _ in range(3)]
    for t in readers:
        t.start()
    try:
        until(lambda: count[0] > 30, 30, "reads before the stop")
        pair.replica.stop("immediate")
        until(lambda: api.router.state.replica is False, 30, "the router to see the stop")
        before = count[0]
        until(lambda: count[0] > before + 30, 30, "reads after the stop")
        # the replica's PostgREST dies too: nginx's backup servers take the reads
        assert api.replica_process is not None
        api.replica_process.kill()
        before = count[0]
        until(lambda: count[0] > before + 30, 30, "reads without the replica's PostgREST")
    finally:
        done.set()
        for t in readers:
            t.join(30)
    assert failures == []
    assert {"replica", "primary"} <= sources
    assert _read_from(api, "/services?limit=1") == "primary"
    pair.replica.start()
    pair.replica.wait_ready()
    until(lambda: api.router.state.replica is True, 30, "the router to see the replica again")
