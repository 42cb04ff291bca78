"""`bookiji`: the project's command line.

bookiji db start|stop|status|reset|psql|dump   the embedded PostgreSQL cluster
bookiji deploy                                 migrations + functions + policies
bookiji backup [--list] [--label L]            a base backup of the embedded cluster
bookiji restore --to TIME [--into D] [--port N] point-in-time restore into a NEW cluster
bookiji up | down                              the whole development stack
bookiji token --email E                        an access token, minted by the database (development)
bookiji demo                                   the README's walk-through against the running stack
bookiji clients                                clients/ and docs/api.md's endpoint reference,
                                               regenerated from a fresh deploy's OpenAPI documents
bookiji seed --providers N                     load generated Montreal providers (demo data)
bookiji localstripe | smtp-sink                the development side services
bookiji worker                                 the pgmq consumer (python -m worker, logged in
                                               as bookiji_worker on the embedded cluster)
bookiji ops create-user|revoke-sessions       ops accounts and sessions (admin DATABASE_URL)
bookiji ops refund|force-cancel|queue-stats    ops actions over HTTP with an ops token
bookiji ops dlq list|show|replay|discard       the dead-letter queues, over HTTP
bookiji bench [--quick] [--scenarios ...]      benchmarks (bench/): a table, JSON and a chart
bookiji quote-cpu [--size N] [--against REV]   a quote's database CPU in one backend, before/after
bookiji plan-switch [--size N] [--only TEXT]   reads slower once PL/pgSQL keeps generic plans
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from bookiji import config, deploy
from worker.errors import BookijiError, ConfigError


def _settings() -> config.Settings:
    return config.load()


def cmd_db(args: argparse.Namespace) -> int:
    from bookiji import stack

    s = _settings()
    if args.action == "psql":
        os.execv(deploy.PSQL, [deploy.PSQL, "-X", s.database_url, *args.rest])
    if args.action == "dump":
        stack.ensure_database_server(s)
        deploy.dump_fresh(
            s, deploy.DB_DIR / "schema.sql", deploy.CONSTRAINT_ERRORS_JS, deploy.RPC_ARGUMENTS_JS
        )
        print(
            "wrote db/schema.sql, gateway/constraint_errors.js and gateway/rpc_arguments.js"
            " from a fresh deploy"
        )
        return 0
    if not s.embedded:
        if args.action == "reset":
            _reset(s)
            return 0
        print(f"DATABASE_URL is set: the embedded cluster is not used ({args.action} ignored)")
        return 0
    c = stack.embedded_cluster(s)
    if args.action == "start":
        c.start()
        c.wait_ready()
        print(f"PostgreSQL is running on 127.0.0.1:{c.port} (data in {c.pgdata})")
    elif args.action == "stop":
        c.stop()
        print("PostgreSQL stopped")
    elif args.action == "status":
        state = "running" if c.running() else ("stopped" if c.initialized() else "not created")
        print(f"PostgreSQL {state} on 127.0.0.1:{c.port} (data in {c.pgdata})")
        return 0 if c.running() else 3
    elif args.action == "reset":
        c.start()
        c.wait_ready()
        _reset(s)
    return 0


def _reset(s: config.Settings) -> None:
    import psycopg
    from psycopg import sql

    maint = s.admin_url("postgres")
    with psycopg.connect(maint, autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(s.db_name))
        )
    deploy.deploy(s)
    print(f"database {s.db_name} dropped and rebuilt")


def _embedded_or_refuse(s: config.Settings, what: str) -> None:
    if not s.embedded:
        raise ConfigError(
            f"DATABASE_URL is set: bookiji {what} works on the embedded cluster only; "
            "back up your own server with its own tools (docs/operations.md, Backups)"
        )


def cmd_backup(args: argparse.Namespace) -> int:
    from bookiji import backup, stack

    s = _settings()
    if args.list:
        backups = backup.list_backups(s.backup_dir)
        for b in backups:
            print(b.summary())
        print(f"{len(backups)} base backup(s) under {s.backup_dir / 'base'}")
        return 0
    if args.prune is not None:
        gone, first = backup.prune(s.backup_dir, args.prune)
        for b in gone:
            print(f"removed {b.path.name}")
        if first is None:
            print(
                "no base backup: no restore could use the archived WAL, so it is removed; "
                "archiving starts again with the next `bookiji backup`"
            )
            return 0
        print(f"removed {len(gone)} base backup(s); the archive now starts at {first}")
        return 0
    if args.verify:
        bad = 0
        for b in backup.list_backups(s.backup_dir):
            problem = backup.verify(b)
            bad += problem is not None
            print(f"{b.path.name}: {'ok' if problem is None else 'BROKEN'}")
            if problem:
                print(f"  {problem}")
        return 1 if bad else 0
    _embedded_or_refuse(s, "backup")
    c = stack.embedded_cluster(s)
    if not c.running():
        raise ConfigError("the embedded cluster is not running: start it (bookiji db start)")
    password = config.load_secrets(s.data_dir)["POSTGRES_PASSWORD"]
    b = backup.take(c, s.admin_url("postgres"), s.backup_dir, password, args.label)
    print(f"base backup {b.path.name} taken: WAL {b.start_lsn}..{b.end_lsn}, label {b.label!r}")
    print(f"in {b.path}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from bookiji import backup, stack
    from bookiji.cluster import free_port

    s = _settings()
    _embedded_or_refuse(s, "restore")
    to = backup.parse_time(args.to)
    c = stack.embedded_cluster(s)
    if c.running() and c.archive_dir is not None:
        # the newest commits are in the current WAL segment until it is archived
        backup.archive_current_wal(s.admin_url("postgres"))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    into = Path(args.into).absolute() if args.into else s.data_dir / "restores" / stamp
    port = args.port or free_port()
    password = config.load_secrets(s.data_dir)["POSTGRES_PASSWORD"]
    r = backup.restore(s.backup_dir, to, into, port, password)
    print(f"restored base backup {r.backup.path.name} and the WAL archive up to {to.isoformat()}")
    print(
        f"the new cluster is promoted and running on 127.0.0.1:{port} (data in {r.cluster.pgdata})"
    )
    print(f"connect:  psql 'postgresql://postgres@127.0.0.1:{port}/{s.db_name}'")
    print("          (the password is POSTGRES_PASSWORD of .data/secrets.json, as for the source)")
    print(f"stop it:  {' '.join(r.cluster.stop_command())}")
    return 0


def cmd_deploy(args: argparse.Namespace) -> int:
    from bookiji import stack

    s = _settings()
    stack.ensure_database_server(s)
    deploy.deploy(s)
    print(f"deployed to {s.db_name}")
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    from bookiji import stack

    s = _settings()
    scale = stack.Scale.parse(args.scale)
    stack.check_ports(s, scale)  # before the cluster starts or anything is deployed
    stack.ensure_database_server(s)
    deploy.deploy(s)
    stack.ensure_replica(s)
    token = None
    try:
        from bookiji import demo

        token = demo.ensure_demo(s)
    except BookijiError as exc:
        print(f"warning: demo data not loaded: {exc}")
    try:
        return stack.up(s, token, scale)
    finally:
        if s.embedded and not args.keep_db:
            stack.replica_cluster(s).stop()
            stack.embedded_cluster(s).stop()


def cmd_down(args: argparse.Namespace) -> int:
    from bookiji import stack

    stack.down(_settings())
    print("stack stopped")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from bookiji import demo

    print(demo.token_for_email(_settings(), args.email))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from bookiji import demo

    return demo.run_walkthrough(_settings())


def cmd_clients(args: argparse.Namespace) -> int:
    from bookiji import clients
    from bookiji.config import ROOT

    for path in clients.regenerate():
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    import psycopg

    import bookiji_seed as seed

    url = args.database_url or _settings().database_url
    try:
        conn = psycopg.connect(url, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise BookijiError(f"cannot connect to PostgreSQL: {str(exc).strip()}") from exc
    with conn:
        result = seed.load(conn, args.providers, seed=args.seed)
        print(result.summary(), flush=True)
        if args.activity:
            print(seed.load_activity(conn, args.providers, seed=args.seed).summary())
    if not result.skipped:
        with psycopg.connect(url, connect_timeout=5, autocommit=True) as conn:
            print(seed.cluster_services(conn, force=True), flush=True)
    return 0


def cmd_localstripe(args: argparse.Namespace) -> int:
    from bookiji import services

    webhook = None
    if args.webhook:
        secret = os.environ.get("STRIPE_WEBHOOK_SECRET") or ""
        if not secret:
            print("localstripe: --webhook needs STRIPE_WEBHOOK_SECRET", file=sys.stderr)
            return 2
        webhook = (args.webhook, secret)
    services.run_localstripe(
        args.host, args.port, Path(args.state) if args.state else None, webhook
    )
    return 0


def cmd_smtp_sink(args: argparse.Namespace) -> int:
    from bookiji import services

    s = _settings()
    port = (urlsplit(s.smtp_url).port or 25) if args.port is None else args.port
    services.run_smtp_sink(args.host, port, s.mail_dir)
    return 0


def cmd_access_log(args: argparse.Namespace) -> int:
    from bookiji import access_log

    s = _settings()
    path = Path(args.file) if args.file else s.data_dir / "nginx" / "access.jsonl"
    shipped = access_log.Shipper(s.worker_url, path).run(once=args.once)
    print(f"shipped {shipped} access log rows")
    return 0


def cmd_gateway_config(args: argparse.Namespace) -> int:
    from bookiji import gateway

    s = _settings()
    host, _, port = args.listen.rpartition(":")
    up_host, _, up_port = args.upstream.rpartition(":")
    rt_host, _, rt_port = (args.realtime or "").rpartition(":")
    rep_host, _, rep_port = (args.replica or "").rpartition(":")
    if args.replica and not args.read_state:
        raise ConfigError("gateway-config: --replica needs --read-state (the read router's file)")
    cfg = gateway.GatewayConfig(
        listen_host=host,
        listen_port=int(port),
        upstream_host=up_host,
        upstream_port=int(up_port),
        home=Path(args.home),
        js_dir=Path(args.home),
        user=args.user,
        rate_per_address=s.rate_limit_per_address,
        burst_per_address=s.rate_limit_per_address * 2,
        rate_per_token=s.rate_limit_per_token,
        burst_per_token=s.rate_limit_per_token * 2,
        max_body=s.max_body,
        realtime_host=rt_host or "127.0.0.1",
        realtime_port=int(rt_port) if rt_port else None,
        web_dir=Path(args.web) if args.web else None,
        app_config=s.app_config() if args.web else None,
        trusted_proxies=s.trusted_proxies,
        read_state=Path(args.read_state) if args.read_state else None,
        replica_host=rep_host or None,
        replica_port=int(rep_port) if rep_port else None,
        cache_ttl=s.cache_ttl if s.cache else 0,
    )
    print(f"wrote {gateway.prepare(cfg)}")
    return 0


def cmd_jwt_secret(args: argparse.Namespace) -> int:
    """PostgREST's jwt-secret from JWT_SECRET and JWT_SECRET_PREVIOUS: the secret alone, or
    during a rotation the JWKS of both (for a PostgREST configured by PGRST_JWT_SECRET)."""
    from bookiji import postgrest

    print(postgrest.jwt_secret(_settings()))
    return 0


def cmd_read_router(args: argparse.Namespace) -> int:
    """The read router of the public catalog (bookiji/readpath.py) until SIGTERM/SIGINT."""
    import signal
    import threading

    from bookiji import readpath

    s = _settings()
    router = readpath.router_for(
        s,
        primary_url=os.environ.get("READ_ROUTER_DATABASE_URL") or None,
        replica_url=os.environ.get("READ_ROUTER_REPLICA_URL") or None,
        state=Path(args.state) if args.state else None,
    )
    router.serve_metrics(s.read_router_metrics_port)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    router.run(stop)
    return 0


def cmd_pgbouncer(args: argparse.Namespace) -> int:
    """Render PgBouncer's config (transaction mode, bookiji/pgbouncer.py) and become it."""
    from bookiji import pgbouncer

    s = _settings()
    host, _, port = args.listen.rpartition(":")
    server_host, _, server_port = args.server.rpartition(":")
    cfg = pgbouncer.PoolerConfig(
        home=Path(args.home),
        listen_host=host,
        listen_port=int(port),
        server_host=server_host,
        server_port=int(server_port),
        users={
            "authenticator": s.authenticator_password,
            "bookiji_worker": s.worker_db_password,
        },
        pool_size=s.pgbouncer_pool_size,
        database=s.db_name,
        socket_dir=args.socket_dir,
    )
    pgbouncer.prepare(cfg)
    argv = pgbouncer.command(cfg)
    if args.render_only:
        print(f"wrote {cfg.ini}")
        return 0
    os.execv(argv[0], argv)  # PgBouncer itself, in the foreground


def cmd_ops(args: argparse.Namespace) -> int:
    import getpass

    import psycopg

    s = _settings()
    with psycopg.connect(s.database_url, autocommit=True) as conn:
        if args.action == "create-user":
            password = args.password or getpass.getpass(f"password for {args.email}: ")
            row = conn.execute(
                "select internal.create_ops_user(%s, %s, %s)", (args.email, password, args.name)
            ).fetchone()
            print(f"ops user {args.email} created: {row[0] if row else '?'}")
        else:
            row = conn.execute(
                "select auth.revoke_sessions(u.id, %s) from app.users u where u.email = %s",
                (args.reason, args.email),
            ).fetchone()
            if row is None:
                print(f"bookiji: no account with email {args.email}", file=sys.stderr)
                return 2
            print(f"revoked {row[0]} session(s) of {args.email}")
    return 0


def cmd_analytics(args: argparse.Namespace) -> int:
    import psycopg

    s = _settings()
    with psycopg.connect(s.database_url, autocommit=True) as conn:
        if args.action == "rebuild":
            row = conn.execute("select * from internal.analytics_rebuild()").fetchone()
            assert row is not None
            print(f"analytics rebuilt: {row[0]} bookings, {row[1]} provider rows")
            return 0
        if args.action == "compact":
            row = conn.execute("select internal.analytics_compact()").fetchone()
            assert row is not None
            print(f"analytics compacted: {row[0]} delta row(s) folded")
            return 0
        drift = conn.execute("select rollup, key from internal.analytics_drift()").fetchall()
        for rollup, key in drift[:20]:
            print(f"drift: {rollup} {key}")
        print(f"analytics check: {len(drift)} rollup row(s) differ from a live recount")
        return 1 if drift else 0


def cmd_rank(args: argparse.Namespace) -> int:
    import psycopg

    from worker.learn import rank

    s = _settings()
    with psycopg.connect(s.database_url, autocommit=True) as conn:
        return rank.run(conn, args.days, args.holdout, args.min_choices, args.activate, args.note)


def cmd_quality(args: argparse.Namespace) -> int:
    import psycopg

    if args.action == "simulate":
        from bench import quality_sim

        return quality_sim.main(args.providers, args.bookings, args.seed)

    from worker.learn import quality

    s = _settings()
    with psycopg.connect(s.database_url, autocommit=True) as conn:
        return quality.run(
            conn, args.days, args.holdout, args.min_bookings, args.activate, args.note
        )


def cmd_simulate(args: argparse.Namespace) -> int:
    from bench import simulate

    return simulate.main(args.rate, args.duration, args.customers, args.seed)


def cmd_worker(args: argparse.Namespace) -> int:
    from worker import runner

    rest: list[str] = args.rest
    return runner.main(rest[1:] if rest[:1] == ["--"] else rest)


def cmd_bench(args: argparse.Namespace) -> int:
    from bench import runner

    rest: list[str] = args.rest
    return runner.main(rest[1:] if rest[:1] == ["--"] else rest)


def cmd_quote_cpu(args: argparse.Namespace) -> int:
    from bench import quote_cpu

    rest: list[str] = args.rest
    return quote_cpu.main(rest[1:] if rest[:1] == ["--"] else rest)


def cmd_plan_switch(args: argparse.Namespace) -> int:
    from bench import plan_switch

    rest: list[str] = args.rest
    return plan_switch.main(rest[1:] if rest[:1] == ["--"] else rest)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bookiji", description=__doc__.split("\n")[0] if __doc__ else None
    )
    sub = p.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="the embedded PostgreSQL cluster")
    db.add_argument("action", choices=["start", "stop", "status", "reset", "psql", "dump"])
    db.add_argument("rest", nargs=argparse.REMAINDER)
    db.set_defaults(func=cmd_db)

    sub.add_parser("deploy", help="apply migrations, functions and policies").set_defaults(
        func=cmd_deploy
    )

    bk = sub.add_parser("backup", help="a base backup of the embedded cluster (pg_basebackup)")
    bk.add_argument("--list", action="store_true", help="list the base backups instead")
    bk.add_argument(
        "--verify", action="store_true", help="check every backup against its manifest instead"
    )
    bk.add_argument(
        "--prune",
        type=int,
        metavar="N",
        default=None,
        help="keep the N newest backups and the WAL they need, remove the rest",
    )
    bk.add_argument("--label", default=None, help="a label stored with the backup")
    bk.set_defaults(func=cmd_backup)

    rs_ = sub.add_parser(
        "restore", help="restore the embedded cluster as it was at a time, into a NEW cluster"
    )
    rs_.add_argument("--to", required=True, help="the time, ISO 8601 (UTC without an offset)")
    rs_.add_argument("--into", default=None, help="a new directory (default .data/restores/<now>)")
    rs_.add_argument("--port", type=int, default=None, help="default: a free port")
    rs_.set_defaults(func=cmd_restore)

    up = sub.add_parser("up", help="run the whole development stack (Ctrl-C stops it)")
    up.add_argument("--keep-db", action="store_true", help="leave PostgreSQL running afterwards")
    up.add_argument(
        "--scale",
        metavar="api=N,worker=M",
        help="N PostgREST behind nginx and M competing workers (default api=1,worker=1)",
    )
    up.set_defaults(func=cmd_up)
    sub.add_parser("down", help="stop the stack and the cluster").set_defaults(func=cmd_down)

    tok = sub.add_parser("token", help="mint an access token for a user (development)")
    tok.add_argument("--email", default="demo.customer@bookiji.test")
    tok.set_defaults(func=cmd_token)

    sub.add_parser(
        "demo", help="run the README's walk-through against the running stack, printing each step"
    ).set_defaults(func=cmd_demo)

    sub.add_parser(
        "clients", help="regenerate clients/ and docs/api.md's endpoint reference (OpenAPI)"
    ).set_defaults(func=cmd_clients)

    sd = sub.add_parser("seed", help="load generated Montreal providers (deterministic)")
    sd.add_argument("--providers", type=int, required=True, help="how many (1 to 1,000,000)")
    sd.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    sd.add_argument("--database-url", default=None, help="default: DATABASE_URL")
    sd.add_argument(
        "--activity",
        action="store_true",
        help="also the next two weeks: customers, time off and bookings (as the benchmark has)",
    )
    sd.set_defaults(func=cmd_seed)

    ls = sub.add_parser("localstripe", help="run localstripe (on 127.0.0.1 unless --host)")
    ls.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (0.0.0.0 in a container)"
    )
    ls.add_argument("--port", type=int, default=12111)
    ls.add_argument(
        "--state",
        default=None,
        help="keep the fake's objects in this file across restarts (default: memory only)",
    )
    ls.add_argument(
        "--webhook",
        default=None,
        metavar="URL",
        help="send the signed webhook events to URL (with STRIPE_WEBHOOK_SECRET), from the start",
    )
    ls.set_defaults(func=cmd_localstripe)

    sm = sub.add_parser("smtp-sink", help="run the SMTP sink (on 127.0.0.1 unless --host)")
    sm.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (0.0.0.0 in a container)"
    )
    sm.add_argument("--port", type=int, default=None, help="default: the port of SMTP_URL")
    sm.set_defaults(func=cmd_smtp_sink)

    al = sub.add_parser("access-log", help="ship nginx's access log into audit.access_log")
    al.add_argument("--file", default=None)
    al.add_argument("--once", action="store_true", help="ship what is there, then exit")
    al.set_defaults(func=cmd_access_log)

    gc = sub.add_parser("gateway-config", help="write nginx's config (for containers)")
    gc.add_argument("--listen", default="0.0.0.0:3000")
    gc.add_argument("--upstream", default="postgrest:3000")
    gc.add_argument(
        "--realtime", default=None, help="host:port of the real-time service (/realtime)"
    )
    gc.add_argument("--home", default="/var/lib/bookiji/gateway")
    gc.add_argument(
        "--user",
        default=None,
        help="the user nginx's workers run as when nginx starts as root (default: none, "
        "nginx runs as the image's user, bookiji)",
    )
    gc.add_argument(
        "--web", default=None, help="the built web app (web/dist) to serve at /app/; default: none"
    )
    gc.add_argument(
        "--read-state",
        default=None,
        help="the read router's state file (`bookiji read-router --state`): anonymous "
        "catalog reads go through nginx's cache (BOOKIJI_CACHE, CACHE_TTL_SECONDS); "
        "default: none, no read path",
    )
    gc.add_argument(
        "--replica",
        default=None,
        help="host:port of the read-only PostgREST on the read replica: anonymous catalog "
        "reads go there while the read router says it is within REPLICA_MAX_LAG_SECONDS, "
        "the --upstream PostgREST as its backup (needs --read-state); default: none",
    )
    gc.set_defaults(func=cmd_gateway_config)

    sub.add_parser(
        "jwt-secret",
        help="print PostgREST's jwt-secret (a JWKS of both keys while JWT_SECRET_PREVIOUS is set)",
    ).set_defaults(func=cmd_jwt_secret)

    rr = sub.add_parser(
        "read-router",
        help="route the public catalog's reads (replica lag, cache versions; `bookiji up` runs it)",
    )
    rr.add_argument(
        "--state",
        default=None,
        help="the state file nginx reads (gateway-config's --read-state); "
        "default: .data/nginx/read-router.json",
    )
    rr.set_defaults(func=cmd_read_router)

    pb = sub.add_parser(
        "pgbouncer", help="run PgBouncer (transaction mode) in front of a server (for containers)"
    )
    pb.add_argument("--listen", default="0.0.0.0:6432")
    pb.add_argument("--server", default="db:5432", help="host:port of PostgreSQL")
    pb.add_argument("--home", default="/var/lib/bookiji/pgbouncer")
    pb.add_argument(
        "--socket-dir",
        default="",
        help="listen on a Unix socket in this directory too (default: TCP only)",
    )
    pb.add_argument("--render-only", action="store_true", help="write the config and stop")
    pb.set_defaults(func=cmd_pgbouncer)

    ops = sub.add_parser("ops", help="ops accounts and sessions; ops actions over HTTP")
    ops_sub = ops.add_subparsers(dest="action", required=True)
    cu = ops_sub.add_parser("create-user", help="create an ops account (never possible over HTTP)")
    cu.set_defaults(func=cmd_ops)
    cu.add_argument("--email", required=True)
    cu.add_argument("--name", required=True)
    cu.add_argument("--password", default=None, help="prompted for when omitted")
    rs = ops_sub.add_parser("revoke-sessions", help="sign a user out everywhere")
    rs.add_argument("--email", required=True)
    rs.add_argument("--reason", default="revoked by ops")
    rs.set_defaults(func=cmd_ops)
    from bookiji import ops_api

    ops_api.add_parsers(ops_sub)

    an = sub.add_parser("analytics", help="the analytics rollups (docs/analytics.md)")
    an_sub = an.add_subparsers(dest="action", required=True)
    an_sub.add_parser("rebuild", help="recompute the rollups from the base tables (backfill)")
    an_sub.add_parser("check", help="compare the rollups with a live recount (exit 1 on drift)")
    an_sub.add_parser(
        "compact", help="fold the deltas into the rollups across providers (the worker does it)"
    )
    an.set_defaults(func=cmd_analytics)

    rk = sub.add_parser("rank", help="the quote's ranking versions (docs/ranking.md)")
    rk_sub = rk.add_subparsers(dest="action", required=True)
    tr = rk_sub.add_parser(
        "train", help="fit weights on the logged choices, evaluate against the active version"
    )
    tr.add_argument("--days", type=float, default=28.0, help="choices of the last N days")
    tr.add_argument("--holdout", type=float, default=0.25, help="newest share held out")
    tr.add_argument("--min-choices", type=int, default=200)
    tr.add_argument("--activate", action="store_true", help="activate it if it beat the active one")
    tr.add_argument("--note", default=None)
    rk.set_defaults(func=cmd_rank)

    ql = sub.add_parser("quality", help="the quality model's versions (docs/quality.md)")
    ql_sub = ql.add_subparsers(dest="action", required=True)
    qt = ql_sub.add_parser(
        "train",
        help="fit the provider-cancellation/no-show model on ended bookings, evaluate against the active version",
    )
    qt.add_argument("--days", type=float, default=180.0, help="bookings made in the last N days")
    qt.add_argument("--holdout", type=float, default=0.25, help="newest share held out")
    qt.add_argument("--min-bookings", type=int, default=500)
    qt.add_argument("--activate", action="store_true", help="activate it if it beat the active one")
    qt.add_argument("--note", default=None)
    qs = ql_sub.add_parser(
        "simulate",
        help="fit on simulated outcomes of providers with planted probabilities, print calibration",
    )
    qs.add_argument("--providers", type=int, default=300)
    qs.add_argument("--bookings", type=int, default=40000)
    qs.add_argument("--seed", type=int, default=7)
    ql.set_defaults(func=cmd_quality)

    sim = sub.add_parser(
        "simulate", help="a day of traffic against the running stack, then an audit"
    )
    sim.add_argument("--rate", type=float, default=5.0, help="actions per second (Poisson)")
    sim.add_argument("--duration", type=float, default=60.0, help="seconds")
    sim.add_argument("--customers", type=int, default=20)
    sim.add_argument("--seed", type=int, default=1)
    sim.set_defaults(func=cmd_simulate)

    wk = sub.add_parser("worker", help="run the pgmq worker")
    wk.add_argument("rest", nargs=argparse.REMAINDER)
    wk.set_defaults(func=cmd_worker)

    from worker import reconcile

    reconcile.add_parser(sub)

    bn = sub.add_parser("bench", help="run the benchmarks (bookiji bench --help)", add_help=False)
    bn.add_argument("rest", nargs=argparse.REMAINDER)
    bn.set_defaults(func=cmd_bench)

    qc = sub.add_parser(
        "quote-cpu",
        help="a quote's database CPU, in one backend (bookiji quote-cpu --help)",
        add_help=False,
    )
    qc.add_argument("rest", nargs=argparse.REMAINDER)
    qc.set_defaults(func=cmd_quote_cpu)

    ps = sub.add_parser(
        "plan-switch",
        help="the reads that slow down after five calls in one connection (--help)",
        add_help=False,
    )
    ps.add_argument("rest", nargs=argparse.REMAINDER)
    ps.set_defaults(func=cmd_plan_switch)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (["worker"], ["reconcile"]):
        # the worker reads only worker/settings.py's variables: where to log in comes from
        # the embedded defaults here (WORKER_DATABASE_URL, when set, wins)
        os.environ["WORKER_DATABASE_URL"] = _settings().worker_url
    if argv[:1] == ["worker"]:
        # the worker has its own options (argparse's REMAINDER drops leading --options)
        from worker import runner

        return runner.main(argv[1:])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if argv[:1] in (["bench"], ["quote-cpu"], ["plan-switch"]):
        # its options belong to bench/runner.py's own parser (argparse's REMAINDER
        # would refuse the ones that start with a dash)
        argv = [argv[0], "--", *argv[1:]]
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except BookijiError as exc:
        print(f"bookiji: {exc}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as exc:
        print(f"bookiji: {exc}", file=sys.stderr)
        return 2
    except psycopg.Error as exc:
        print(f"bookiji: {exc.diag.message_primary or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
