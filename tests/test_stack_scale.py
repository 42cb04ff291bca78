"""`bookiji up --scale api=N,worker=M` and PgBouncer in the development stack, as
configuration (no process starts here; tests/api/test_pgbouncer.py and
tests/api/test_scale_api.py run them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookiji import config, stack
from worker.errors import ConfigError


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> config.Settings:
    for name in [*config.DEFAULTS, "DATABASE_URL", "WORKER_DATABASE_URL"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BOOKIJI_DATA_DIR", str(tmp_path))
    return config.load()


def test_scale_reads_api_and_worker_counts() -> None:
    assert stack.Scale.parse(None) == stack.Scale(1, 1)
    assert stack.Scale.parse("api=3") == stack.Scale(3, 1)
    assert stack.Scale.parse("api=2, worker=4") == stack.Scale(2, 4)


@pytest.mark.parametrize("bad", ["api=0", "web=2", "api=two", "api"])
def test_a_bad_scale_is_refused_with_the_form_it_takes(bad: str) -> None:
    with pytest.raises(ConfigError, match="api=N,worker=M"):
        stack.Scale.parse(bad)


def test_the_stack_runs_n_postgrest_behind_nginx_and_m_workers_through_pgbouncer(
    settings: config.Settings,
) -> None:
    scale = stack.Scale(api=2, worker=3)
    confs = stack.postgrest_configs(settings, scale)
    procs = stack.procfile(settings, confs, scale)
    assert {"pgbouncer", "postgrest", "postgrest2", "worker", "worker2", "worker3"} <= set(procs)
    # distinct ports, each PostgREST through PgBouncer, prepared statements off
    ports = [p for p, _ in scale.api_ports(settings)] + [a for _, a in scale.api_ports(settings)]
    assert len(set(ports)) == 4
    for conf in confs:
        text = conf.read_text()
        assert f"@127.0.0.1:{settings.pgbouncer_port}/" in text
        assert "db-prepared-statements = false" in text
        assert "db-channel-enabled = false" in text
    nginx = stack.gateway_config(settings, scale).conf_file.read_text()
    for port, _ in scale.api_ports(settings):
        assert f"server 127.0.0.1:{port} max_fails=1" in nginx
    # each worker its own metrics port
    metrics = {procs[f"worker{n}"].split("--metrics-port ")[1] for n in ("", "2", "3")}
    assert len(metrics) == 3
    ini = (settings.data_dir / "pgbouncer" / "pgbouncer.ini").read_text()
    assert "pool_mode = transaction" in ini
    assert f"port={settings.pg_port}" in ini
    assert (settings.data_dir / "pgbouncer" / "userlist.txt").stat().st_mode & 0o077 == 0


def test_without_pgbouncer_everything_connects_directly(
    settings: config.Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOOKIJI_PGBOUNCER", "0")
    s = config.load()
    assert not s.pooled
    assert s.pooled_url(s.worker_url) == s.worker_url
    confs = stack.postgrest_configs(s, stack.Scale())
    assert "pgbouncer" not in stack.procfile(s, confs)
    text = confs[0].read_text()
    assert "db-channel-enabled = true" in text
    assert f"@127.0.0.1:{s.pg_port}/" in text


def test_with_pgbouncer_only_the_pooled_connections_go_through_it(
    settings: config.Settings,
) -> None:
    assert settings.pooled
    pooled = settings.pooled_url(settings.worker_url)
    assert f"@127.0.0.1:{settings.pgbouncer_port}/" in pooled
    assert pooled.split("@")[0] == settings.worker_url.split("@")[0]  # same login
    assert f"@127.0.0.1:{settings.pg_port}/" in settings.worker_url


def test_the_catalog_cache_is_on_by_default_and_the_replica_off(
    settings: config.Settings,
) -> None:
    assert settings.cache and not settings.replicated
    confs = stack.postgrest_configs(settings, stack.Scale())
    procs = stack.procfile(settings, confs)
    assert procs["readrouter"].endswith("-m bookiji.cli read-router")
    assert "postgrest-replica" not in procs
    nginx = stack.gateway_config(settings).conf_file.read_text()
    assert "keys_zone=catalog:" in nginx
    assert f"proxy_cache_valid 200 {settings.cache_ttl}s;" in nginx
    assert "proxy_no_cache $http_authorization $http_cookie;" in nginx
    assert "upstream postgrest_replica" not in nginx


def test_with_the_replica_catalog_reads_go_to_its_read_only_postgrest_backed_by_the_primary(
    settings: config.Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOOKIJI_REPLICA", "1")
    monkeypatch.setenv("BOOKIJI_CACHE", "0")
    s = config.load()
    assert s.replicated and not s.cache
    confs = [*stack.postgrest_configs(s, stack.Scale(api=2)), stack.replica_postgrest_config(s)]
    procs = stack.procfile(s, confs, stack.Scale(api=2))
    assert {"postgrest", "postgrest2", "postgrest-replica", "readrouter"} <= set(procs)
    replica = confs[-1].read_text()
    assert f"@127.0.0.1:{s.replica_pg_port}/" in replica  # direct, not through PgBouncer
    assert "db-channel-enabled = false" in replica  # a standby refuses LISTEN
    nginx = stack.gateway_config(s, stack.Scale(api=2)).conf_file.read_text()
    block = nginx.split("upstream postgrest_replica {")[1].split("}")[0]
    assert f"server 127.0.0.1:{s.replica_pgrst_port} max_fails=1" in block
    for port, _ in stack.Scale(api=2).api_ports(s):
        assert f"server 127.0.0.1:{port} backup;" in block
    assert "proxy_cache " not in nginx  # BOOKIJI_CACHE=0


def test_with_a_database_url_there_is_no_replica(
    settings: config.Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOOKIJI_REPLICA", "1")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db.example:5432/bookiji")
    assert not config.load().replicated
