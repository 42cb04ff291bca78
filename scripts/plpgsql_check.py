"""Run plpgsql_check over every plpgsql function Bookiji defines.

sqlfluff does not look inside $$ bodies; plpgsql_check does: it deploys into a
scratch database on the test cluster and checks each function of the project's
schemas, failing on any error or warning it reports (performance hints are shown only).
"""

from __future__ import annotations

import sys

import psycopg

from bookiji import config, deploy, scratch

SCHEMAS = ("app", "api", "auth", "audit", "internal")


def main() -> int:
    cluster = scratch.test_cluster()
    cluster.start()
    cluster.wait_ready()
    problems = 0
    with scratch.scratch_database("bookiji_lint", template=None) as db:
        deploy.deploy(config.load(), url=db.url)
        with psycopg.connect(db.url, autocommit=True) as conn:
            conn.execute("create extension if not exists plpgsql_check")
            funcs = conn.execute(
                """
                select p.oid, p.oid::regprocedure::text, t.tgrelid, t.tgoldtable, t.tgnewtable
                from pg_proc p
                join pg_language l on l.oid = p.prolang and l.lanname = 'plpgsql'
                left join lateral (
                    -- a statement trigger's transition tables (referencing old/new table);
                    -- the first trigger created (a function shared by several tables is checked
                    -- against one: without an order the pick followed the catalogue's layout)
                    select tg.tgrelid, tg.tgoldtable, tg.tgnewtable
                    from pg_trigger tg where tg.tgfoid = p.oid order by tg.oid limit 1
                ) t on true
                where p.pronamespace::regnamespace::text = any(%s)
                  and p.prorettype <> 'event_trigger'::regtype
                order by 2
                """,
                (list(SCHEMAS),),
            ).fetchall()
            for oid, signature, relid, oldtable, newtable in funcs:
                if relid is None and conn.execute(
                    "select prorettype = 'trigger'::regtype from pg_proc where oid = %s", (oid,)
                ).fetchone() == (True,):
                    continue  # a trigger function with no trigger yet
                rows = conn.execute(
                    "select level, message, lineno, statement, hint from plpgsql_check_function_tb("
                    "%s, relid => coalesce(%s, 0)::oid, oldtable => %s, newtable => %s, "
                    "extra_warnings => false, performance_warnings => false, "
                    "security_warnings => true)",
                    (oid, relid, oldtable, newtable),
                ).fetchall()
                for level, message, lineno, statement, hint in rows:
                    problems += 1
                    print(
                        f"plpgsql_check: {signature}:{lineno}: {level}: {message} ({statement}) {hint or ''}"
                    )
            print(f"plpgsql_check: {len(funcs)} functions checked, {problems} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
