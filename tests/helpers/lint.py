"""Security and convention lints written as catalogue queries (in the spirit of
Supabase's splinter). Each returns the offending objects; an empty list passes."""

from __future__ import annotations

from typing import Any

import psycopg

PRIVATE = ["app", "auth", "audit", "internal"]
OURS = ["app", "api", "auth", "audit", "internal"]

# What anonymous callers may reach in api, on purpose.
ANON_ALLOWED = {
    "api.health()",
    "api.ping()",
    "api.signup(text,text,text,text,text)",
    "api.login(text,text)",
    "api.refresh(text)",
    "api.confirm_email(text)",
    "api.request_password_reset(text)",
    "api.reset_password(text,text)",
    "api.stripe_webhook(json)",
    # the public catalogue
    "api.providers",
    "api.services",
    "api.service_categories",
    "api.available_slots(uuid,timestampwithtimezone,timestampwithtimezone,integer)",
    # refuses anon itself with 401 not_authenticated (a registered code)
    "api.quote(text,doubleprecision,doubleprecision,timestampwithtimezone,doubleprecision,integer)",
}


def _rows(conn: psycopg.Connection[Any], query: str, params: tuple[Any, ...]) -> list[str]:
    return [str(r[0]) for r in conn.execute(query, params).fetchall()]  # type: ignore[arg-type]


def tables_without_forced_rls(
    conn: psycopg.Connection[Any], schemas: list[str] = PRIVATE
) -> list[str]:
    return _rows(
        conn,
        """
        select c.oid::regclass::text from pg_class c
        where c.relnamespace::regnamespace::text = any(%s) and c.relkind in ('r', 'p')
          and not (c.relrowsecurity and c.relforcerowsecurity)
        order by 1
        """,
        (schemas,),
    )


def definer_functions_without_pinned_search_path(
    conn: psycopg.Connection[Any], schemas: list[str] = OURS
) -> list[str]:
    return _rows(
        conn,
        """
        select p.oid::regprocedure::text from pg_proc p
        where p.pronamespace::regnamespace::text = any(%s) and p.prosecdef
          and not exists (select from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%%')
        order by 1
        """,
        (schemas,),
    )


def definer_functions_outside_internal_and_auth(conn: psycopg.Connection[Any]) -> list[str]:
    return _rows(
        conn,
        """
        select p.oid::regprocedure::text from pg_proc p
        where p.pronamespace::regnamespace::text in ('api', 'app', 'audit') and p.prosecdef
        order by 1
        """,
        (),
    )


def api_objects_reachable_by_anon(conn: psycopg.Connection[Any]) -> list[str]:
    funcs = _rows(
        conn,
        """
        select replace(p.oid::regprocedure::text, ' ', '') from pg_proc p
        where p.pronamespace = 'api'::regnamespace and has_function_privilege('anon', p.oid, 'execute')
        """,
        (),
    )
    rels = _rows(
        conn,
        """
        select c.oid::regclass::text from pg_class c
        where c.relnamespace = 'api'::regnamespace and c.relkind in ('r', 'v', 'm', 'f', 'p')
          and has_table_privilege('anon', c.oid, 'select, insert, update, delete')
        """,
        (),
    )
    return sorted(funcs + rels)


def api_views_bypassing_rls(conn: psycopg.Connection[Any]) -> list[str]:
    """Views in api that run with their owner's rights without saying why."""
    return _rows(
        conn,
        """
        select c.oid::regclass::text from pg_class c
        where c.relnamespace = 'api'::regnamespace and c.relkind = 'v'
          and not coalesce('security_invoker=true' = any(c.reloptions), false)
          and coalesce(obj_description(c.oid, 'pg_class'), '') not ilike '%%bypasses rls because%%'
        order by 1
        """,
        (),
    )


def tables_in_api(conn: psycopg.Connection[Any]) -> list[str]:
    return _rows(
        conn,
        "select c.oid::regclass::text from pg_class c "
        "where c.relnamespace = 'api'::regnamespace and c.relkind in ('r', 'p', 'f') order by 1",
        (),
    )


def undocumented_api_objects(conn: psycopg.Connection[Any]) -> list[str]:
    return _rows(
        conn,
        """
        select p.oid::regprocedure::text from pg_proc p
        where p.pronamespace = 'api'::regnamespace and obj_description(p.oid, 'pg_proc') is null
        union all
        select c.oid::regclass::text from pg_class c
        where c.relnamespace = 'api'::regnamespace and c.relkind in ('v', 'm')
          and obj_description(c.oid, 'pg_class') is null
        order by 1
        """,
        (),
    )


def foreign_keys_without_index(
    conn: psycopg.Connection[Any], schemas: list[str] = OURS
) -> list[str]:
    return _rows(
        conn,
        """
        select c.conrelid::regclass::text || ' ' || c.conname from pg_constraint c
        where c.contype = 'f' and c.connamespace::regnamespace::text = any(%s)
          and not exists (
            select from pg_index i
            where i.indrelid = c.conrelid
              and (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
              and (i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey
          )
        order by 1
        """,
        (schemas,),
    )


def functions_executable_by_public(
    conn: psycopg.Connection[Any], schemas: list[str] = OURS
) -> list[str]:
    return _rows(
        conn,
        """
        select p.oid::regprocedure::text
        from pg_proc as p, lateral aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) as a
        where p.pronamespace::regnamespace::text = any(%s)
          and a.grantee = 0 and a.privilege_type = 'EXECUTE'
        order by 1
        """,
        (schemas,),
    )
