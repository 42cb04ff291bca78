"""Security and convention lints written as catalogue queries (in the spirit of
Supabase's splinter). Each returns the offending objects; an empty list passes."""

from __future__ import annotations

from typing import Any

import psycopg

PRIVATE = ["app", "auth", "audit", "internal"]
APP = ["app"]
OURS = ["app", "api", "auth", "audit", "internal"]

# What anonymous callers may reach in api, on purpose.
ANON_ALLOWED = {
    "api.health()",
    "api.ping()",
    "api.openapi()",
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
    # the event log: row-level security shows anonymous callers availability only
    "api.events",
    # published reviews, without the customer's identity
    "api.reviews",
}

# Who may execute each api function, and nobody else (PUBLIC included): the grants in
# db/policies/ must say exactly this. A role that may not call a function does not
# see it in its OpenAPI (openapi-mode follow-privileges), and PostgREST answers it
# 401/403 (the gateway adds the registered code). A new api function fails the lint
# until it is listed here.
EVERYONE = frozenset({"anon", "customer", "provider", "ops"})
SIGNED_IN = frozenset({"customer", "provider", "ops"})
CUSTOMER = frozenset({"customer"})
PARTIES = frozenset({"customer", "provider"})
OPS = frozenset({"ops"})
API_ROLES = ["anon", "customer", "provider", "ops", "bookiji_worker", "authenticator"]
API_EXECUTE: dict[str, frozenset[str]] = {
    # probes; api.health shows versions to ops alone
    "api.health()": EVERYONE,
    "api.ping()": EVERYONE,
    # the OpenAPI 3.1 document: each role gets the one that lists what it may call
    "api.openapi()": EVERYONE,
    # accounts
    "api.signup(text,text,text,text,text)": EVERYONE,
    "api.login(text,text)": EVERYONE,
    "api.refresh(text)": EVERYONE,
    "api.confirm_email(text)": EVERYONE,
    "api.request_password_reset(text)": EVERYONE,
    "api.reset_password(text,text)": EVERYONE,
    "api.logout()": SIGNED_IN,
    "api.me()": SIGNED_IN,
    "api.update_me(text,text,text)": SIGNED_IN,
    # Stripe calls without a token; the signature is the credential
    "api.stripe_webhook(json)": frozenset({"anon"}),
    # the public catalogue, and booking
    "api.available_slots(uuid,timestampwithtimezone,timestampwithtimezone,integer)": EVERYONE,
    "api.quote(text,doubleprecision,doubleprecision,timestampwithtimezone,doubleprecision,integer)": (
        CUSTOMER
    ),
    "api.confirm_booking(uuid,uuid,boolean)": CUSTOMER,
    "api.pay_balance(uuid)": CUSTOMER,
    "api.booking_payment(uuid)": CUSTOMER,
    # money (issue 22): a provider's sales-tax registration and statement, a customer's
    # receipt, ops' disputes
    "api.set_tax_registration(text,text)": frozenset({"provider"}),
    "api.my_tax_registration()": frozenset({"provider"}),
    "api.provider_statement(date,date)": frozenset({"provider"}),
    "api.booking_receipt(uuid)": CUSTOMER,
    "api.mark_balance_paid_at_venue(uuid)": frozenset({"provider"}),
    "api.ops_disputes(boolean)": OPS,
    # after booking: the parties; the outcome is the provider's; the balance ops too
    "api.cancel_booking(uuid,text)": PARTIES,
    "api.cancellation_preview(uuid)": PARTIES,
    "api.reschedule_booking(uuid,timestampwithtimezone)": PARTIES,
    "api.mark_booking(uuid,text)": frozenset({"provider"}),
    "api.booking_balance(uuid)": SIGNED_IN,
    # notifications: each signed-in person's own
    "api.my_notifications(integer)": SIGNED_IN,
    "api.notification_preferences()": SIGNED_IN,
    "api.set_notification_preference(text,boolean,boolean)": SIGNED_IN,
    # reviews: the booking's customer writes, the reviewed provider replies, ops hide
    "api.review_booking(uuid,integer,text)": CUSTOMER,
    "api.join_waitlist(uuid,uuid,text,doubleprecision,doubleprecision,numeric,timestampwithtimezone,timestampwithtimezone)": CUSTOMER,
    "api.my_waitlist(integer)": CUSTOMER,
    "api.leave_waitlist(uuid)": CUSTOMER,
    "api.my_price_suggestions(integer)": frozenset({"provider"}),
    "api.edit_review(uuid,integer,text)": CUSTOMER,
    "api.reply_to_review(uuid,text)": frozenset({"provider"}),
    "api.hide_review(uuid,text)": OPS,
    # ops only
    "api.ops_refund(uuid,integer,text)": OPS,
    "api.ops_force_cancel(uuid,text,boolean)": OPS,
    "api.queue_stats()": OPS,
    "api.dlq_list(text,text,integer)": OPS,
    "api.ops_audit_trail(uuid,uuid,timestampwithtimezone,timestampwithtimezone,integer,bigint)": OPS,
    "api.dlq_show(text,bigint)": OPS,
    "api.dlq_replay(text,bigint)": OPS,
    "api.dlq_discard(text,bigint,text)": OPS,
    # analytics: ops across providers; a provider its own figures
    "api.analytics_overview(date,date,text,text)": OPS,
    "api.analytics_funnel(date,date,text,text)": OPS,
    "api.analytics_cohorts(date,date,text,integer)": OPS,
    "api.analytics_customers(date,date,text,text,text)": OPS,
    "api.analytics_revenue(date,date,text,text,uuid)": frozenset({"provider", "ops"}),
    "api.analytics_provider(date,date,text,text,uuid)": frozenset({"provider", "ops"}),
    "api.analytics_areas(date,date,text,numeric,text,text)": OPS,
    "api.analytics_bookings(date,date,text,text,timestampwithtimezone,text,text,text,text,uuid,text,"
    "numeric,timestampwithtimezone,uuid,integer)": frozenset({"provider", "ops"}),
    "api.analytics_performance(date,date,uuid,numeric,uuid,integer)": frozenset(
        {"provider", "ops"}
    ),
    "api.analytics_refunds(date,date,text,text,uuid)": frozenset({"provider", "ops"}),
    "api.analytics_today(text,uuid)": frozenset({"provider", "ops"}),
    # the web app: the provider's calendar with its customers, the ops console
    "api.my_provider_bookings(timestampwithtimezone,timestampwithtimezone,text,uuid,uuid,uuid,integer,uuid)": (
        frozenset({"provider"})
    ),
    "api.ops_providers(text,boolean,integer,uuid)": OPS,
    "api.ops_suspend_provider(uuid,text)": OPS,
    # the quote's ranking versions (db/functions/36_ranking.sql)
    "api.ops_ranking_versions()": OPS,
    "api.ops_activate_ranking_version(integer,text)": OPS,
    # the quality model's versions and predictions (db/functions/37_quality.sql)
    "api.ops_quality_versions()": OPS,
    "api.ops_activate_quality_version(integer,text)": OPS,
    "api.ops_booking_quality(uuid)": OPS,
    "api.ops_reinstate_provider(uuid,text)": OPS,
    "api.ops_bookings(text,uuid,text,timestampwithtimezone,timestampwithtimezone,uuid,integer,uuid)": OPS,
    "api.ops_booking_story(uuid)": OPS,
    # each person's own data; deletion for customers and providers (ops: the command line)
    "api.export_my_data()": SIGNED_IN,
    "api.delete_my_account(text)": PARTIES,
    # a customer's history with names and money
    "api.my_booking_history(text,integer,uuid)": CUSTOMER,
    # Stripe Connect: a provider's payout account, a booking's split, the commission (ops)
    "api.start_payout_onboarding()": frozenset({"provider"}),
    "api.my_payout_account()": frozenset({"provider"}),
    "api.booking_payout(uuid)": frozenset({"provider", "ops"}),
    "api.commission_rates()": OPS,
    "api.ops_set_commission_rate(text,integer,integer,text)": OPS,
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


def api_functions_off_their_execute_list(
    conn: psycopg.Connection[Any], listed: dict[str, frozenset[str]] = API_EXECUTE
) -> list[str]:
    """Each api function whose executors (among the API roles, PUBLIC included) are
    not exactly the roles ``listed`` for it, or that is not listed at all."""
    rows = conn.execute(
        """
        select replace(p.oid::regprocedure::text, ' ', ''),
               array(
                   select r from unnest(%s::text[]) as r
                   where has_function_privilege(r, p.oid, 'execute')
               ),
               exists (
                   select from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) as a
                   where a.grantee = 0 and a.privilege_type = 'EXECUTE'
               )
        from pg_proc as p
        where p.pronamespace = 'api'::regnamespace
        order by 1
        """,
        (API_ROLES,),
    ).fetchall()
    problems = []
    for name, roles, public in rows:
        if name not in listed:
            problems.append(f"{name}: not listed in API_EXECUTE (executable by {sorted(roles)})")
        elif public:
            problems.append(f"{name}: executable by PUBLIC")
        elif set(roles) != set(listed[name]):
            problems.append(f"{name}: executable by {sorted(roles)}, listed {sorted(listed[name])}")
    return problems


CONSTRAINT_KINDS = ("c", "f", "u", "x", "p")  # check, foreign key, unique, exclusion, primary


def constraints_without_registered_error(
    conn: psycopg.Connection[Any], schemas: list[str] = APP
) -> list[str]:
    """Constraints a write can break whose error internal.constraint_errors() does not map
    (the gateway would answer them with a neutral message per SQLSTATE)."""
    return _rows(
        conn,
        """
        select c.conrelid::regclass::text || ' ' || c.conname from pg_constraint as c
        where c.connamespace::regnamespace::text = any(%s) and c.contype = any(%s)
          and not exists (
            select from internal.constraint_errors() as e where e.constraint_name = c.conname
          )
        order by 1
        """,
        (schemas, list(CONSTRAINT_KINDS)),
    )


def constraint_errors_out_of_step(conn: psycopg.Connection[Any]) -> list[str]:
    """Registry entries that name no app constraint (or one twice), or an unregistered code."""
    return _rows(
        conn,
        """
        select e.constraint_name || ': ' || problem
        from internal.constraint_errors() as e,
        lateral (
            select 'no such constraint in app' as problem
            where not exists (
                select from pg_constraint as c
                where c.connamespace = 'app'::regnamespace and c.conname = e.constraint_name
            )
            union all
            select 'unregistered code ' || e.code
            where not exists (select from internal.error_codes() as r where r.code = e.code)
            union all
            select 'listed twice'
            where (
                select count(*) from internal.constraint_errors() as d
                where d.constraint_name = e.constraint_name
            ) > 1
            union all
            select 'names the constraint in its message'
            where strpos(e.message, e.constraint_name) > 0
        ) as p
        order by 1
        """,
        (),
    )


# The same for the api views: which role may do what on each (insert and update
# count when granted on any column). The OpenAPI lists a view, and each of its
# methods, to the roles with the privilege.
_READ = frozenset({"select"})
_OWN = frozenset({"select", "insert", "update", "delete"})
API_VIEW_PRIVILEGES: dict[str, dict[str, frozenset[str]]] = {
    "api.providers": dict.fromkeys(EVERYONE, _READ),
    "api.services": dict.fromkeys(EVERYONE, _READ),
    "api.service_categories": dict.fromkeys(EVERYONE, _READ),
    "api.my_provider": {"provider": frozenset({"select", "insert", "update"})},
    "api.my_services": {"provider": _OWN},
    "api.my_weekly_hours": {"provider": _OWN},
    "api.my_time_off": {"provider": _OWN},
    "api.my_quote_offers": {"customer": _READ},
    "api.my_bookings": dict.fromkeys(SIGNED_IN, _READ),
    "api.payment_mismatches": {"ops": _READ},
    "api.events": dict.fromkeys(EVERYONE, _READ),
    "api.reviews": dict.fromkeys(EVERYONE, _READ),
    "api.my_reviews": {"customer": _READ},
}


def api_views_off_their_privilege_list(
    conn: psycopg.Connection[Any],
    listed: dict[str, dict[str, frozenset[str]]] = API_VIEW_PRIVILEGES,
) -> list[str]:
    """Each api view whose privileges, per API role, differ from ``listed``."""
    rows = conn.execute(
        """
        select c.oid::regclass::text, r,
               array_remove(array[
                   case when has_table_privilege(r, c.oid, 'select') then 'select' end,
                   case when has_any_column_privilege(r, c.oid, 'insert') then 'insert' end,
                   case when has_any_column_privilege(r, c.oid, 'update') then 'update' end,
                   case when has_table_privilege(r, c.oid, 'delete') then 'delete' end
               ], null)
        from pg_class as c, unnest(%s::text[]) as r
        where c.relnamespace = 'api'::regnamespace and c.relkind in ('v', 'm')
        order by 1, 2
        """,
        (API_ROLES,),
    ).fetchall()
    problems = []
    for view, role, privileges in rows:
        if view not in listed:
            problems.append(f"{view}: not listed in API_VIEW_PRIVILEGES")
            continue
        want = listed[view].get(role, frozenset())
        if set(privileges) != set(want):
            problems.append(f"{view}: {role} has {sorted(privileges)}, listed {sorted(want)}")
    return sorted(set(problems))


def api_arguments_without_default(
    conn: psycopg.Connection[Any],
    schemas: list[str] = ["api"],  # noqa: B006
) -> list[str]:
    """Each input argument of an api function that has no default: PostgREST answers a
    call that omits it 404 PGRST202 ("no such function"), not a 400 naming it. Give it
    ``default null`` and let the function refuse null with invalid_input. The single
    unnamed json/jsonb argument that takes the whole body (stripe_webhook) is exempt."""
    return _rows(
        conn,
        """
        select replace(p.oid::regprocedure::text, ' ', '') || ' ' || coalesce(nullif(a.name, ''), '$' || a.pos)
        from pg_proc as p,
            lateral unnest(p.proargtypes::oid[], (coalesce(p.proargnames, '{}'::text[]))[1:p.pronargs])
                with ordinality as a (type, name, pos)
        where p.pronamespace::regnamespace::text = any(%s)
          and a.pos <= p.pronargs - p.pronargdefaults
          and not (
              p.pronargs = 1 and coalesce(a.name, '') = ''
              and a.type in ('json'::regtype, 'jsonb'::regtype)
          )
        order by 1
        """,
        (schemas,),
    )


def optional_arguments_out_of_step(conn: psycopg.Connection[Any]) -> list[str]:
    """Entries of internal.openapi_optional_arguments() that name no api argument with a
    null default (the OpenAPI would call a required or missing argument optional)."""
    return _rows(
        conn,
        """
        select o.function_name || '.' || o.argument_name
        from internal.openapi_optional_arguments() as o
        where not exists (
            select from pg_proc as p,
                lateral unnest(p.proargnames) with ordinality as a (name, pos)
            where p.pronamespace = 'api'::regnamespace and p.proname = o.function_name
              and a.name = o.argument_name and a.pos <= p.pronargs
              and pg_get_function_arg_default(p.oid, a.pos::int) like 'NULL::%%'
        )
        order by 1
        """,
        (),
    )
