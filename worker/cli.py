"""`bookiji`: the project's command line.

bookiji db start|stop|status|reset|psql|dump   the embedded PostgreSQL cluster
bookiji deploy                                 migrations + functions + policies
bookiji up | down                              the whole development stack
bookiji token --email E                        mint an access token (development)
bookiji localstripe | smtp-sink                the development side services
bookiji worker                                 the pgmq consumer (also: python -m worker)
bookiji dlq list|show|replay|discard           the dead-letter queues (actor 'cli')
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
from collections.abc import Callable

from worker import config, deploy
from worker.errors import BookijiError


def _settings() -> config.Settings:
    return config.load()


def cmd_db(args: argparse.Namespace) -> int:
    from worker import stack

    s = _settings()
    if args.action == "psql":
        os.execv(deploy.PSQL, [deploy.PSQL, "-X", s.database_url, *args.rest])
    if args.action == "dump":
        stack.ensure_database_server(s)
        deploy.dump_fresh(s, deploy.DB_DIR / "schema.sql")
        print("wrote db/schema.sql from a fresh deploy")
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


def cmd_deploy(args: argparse.Namespace) -> int:
    from worker import stack

    s = _settings()
    stack.ensure_database_server(s)
    deploy.deploy(s)
    print(f"deployed to {s.db_name}")
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    from worker import stack

    s = _settings()
    stack.ensure_database_server(s)
    deploy.deploy(s)
    token = None
    try:
        from worker import demo

        token = demo.ensure_demo(s)
    except BookijiError as exc:
        print(f"warning: demo data not loaded: {exc}")
    try:
        return stack.up(s, token)
    finally:
        if s.embedded and not args.keep_db:
            stack.embedded_cluster(s).stop()


def cmd_down(args: argparse.Namespace) -> int:
    from worker import stack

    stack.down(_settings())
    print("stack stopped")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from worker import demo

    print(demo.token_for_email(_settings(), args.email))
    return 0


def cmd_localstripe(args: argparse.Namespace) -> int:
    from worker import services

    services.run_localstripe("127.0.0.1", args.port)
    return 0


def cmd_smtp_sink(args: argparse.Namespace) -> int:
    from worker import services

    s = _settings()
    port = int(s.smtp_url.rsplit(":", 1)[-1]) if args.port is None else args.port
    services.run_smtp_sink("127.0.0.1", port, s.mail_dir)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from worker import runner

    return runner.main(args.rest)


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

    up = sub.add_parser("up", help="run the whole development stack (Ctrl-C stops it)")
    up.add_argument("--keep-db", action="store_true", help="leave PostgreSQL running afterwards")
    up.set_defaults(func=cmd_up)
    sub.add_parser("down", help="stop the stack and the cluster").set_defaults(func=cmd_down)

    tok = sub.add_parser("token", help="mint an access token for a user (development)")
    tok.add_argument("--email", default="demo.customer@bookiji.test")
    tok.set_defaults(func=cmd_token)

    ls = sub.add_parser("localstripe", help="run localstripe on 127.0.0.1")
    ls.add_argument("--port", type=int, default=12111)
    ls.set_defaults(func=cmd_localstripe)

    sm = sub.add_parser("smtp-sink", help="run the SMTP sink on 127.0.0.1")
    sm.add_argument("--port", type=int, default=None)
    sm.set_defaults(func=cmd_smtp_sink)

    wk = sub.add_parser("worker", help="run the pgmq worker")
    wk.add_argument("rest", nargs=argparse.REMAINDER)
    wk.set_defaults(func=cmd_worker)

    from worker import dlq

    dlq.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["worker"]:
        # the worker has its own options (argparse's REMAINDER drops leading --options)
        from worker import runner

        return runner.main(argv[1:])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
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
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
