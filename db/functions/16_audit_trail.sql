-- The audit trail over HTTP, for ops: audit.action_log read through an api
-- function (ops hold select on it, under a policy; every other role is refused
-- with 403 forbidden before anything is read).

-- The query, planned with each call's filters (PL/pgSQL, a custom plan every call): the generic
-- plan of "p is null or ..." (a language sql function plans its statements so, not knowing the
-- values) walked the whole log (100,000 providers, 1.1 M entries: 4.7 s for the newest 50 with
-- no filter, 0.5 s for a booking's); planned with the values, the filters not given drop out and
-- each given one takes its index: the newest entries (the key, backwards), a booking's
-- (table_name, row_id: the booking's row and its payments' as one list), an actor's.
create or replace function internal.ops_audit_trail(
    p_booking_id uuid, p_actor_id uuid, p_from timestamptz, p_to timestamptz, p_limit integer, p_before_id bigint
)
-- (a table of columns, not setof audit.action_log: a row type would make the log's table depend
-- on this function, and the migrations' rollback could not drop it)
returns table (
    id bigint,
    occurred_at timestamptz,
    actor_id uuid,
    actor_role text,
    action text,
    table_name text,
    row_id text,
    reason text,
    before jsonb,
    after jsonb,
    request_id text
)
language plpgsql
stable
set search_path = ''
set plan_cache_mode = force_custom_plan
as $$
#variable_conflict use_column
begin
    return query
    select
        a.id, a.occurred_at, a.actor_id, a.actor_role, a.action, a.table_name, a.row_id,
        a.reason, a.before, a.after, a.request_id
    from audit.action_log as a
    where
        (
            p_booking_id is null
            or (a.table_name = 'app.bookings' and a.row_id = p_booking_id::text)
            or (
                a.table_name = 'app.payments'
                and a.row_id = any(array(select p.id::text from app.payments as p where p.booking_id = p_booking_id))
            )
        )
        and (p_actor_id is null or a.actor_id = p_actor_id)
        and (p_from is null or a.occurred_at >= p_from)
        and (p_to is null or a.occurred_at < p_to)
        and (p_before_id is null or a.id < p_before_id)
    order by a.id desc
    limit p_limit;
end
$$;
comment on function internal.ops_audit_trail(uuid, uuid, timestamptz, timestamptz, integer, bigint) is
'The audit entries matching the filters given (null: not filtered), newest first; under the caller''s '
'row-level security (ops read the log).';

-- language sql: plpgsql refuses an input and an output column that share a
-- name (actor_id); the checks run first, in order.
create or replace function api.ops_audit_trail(
    booking_id uuid default null,
    actor_id uuid default null,
    "from" timestamptz default null,
    "to" timestamptz default null,
    "limit" integer default 50,
    before_id bigint default null
)
returns table (
    id bigint,
    occurred_at timestamptz,
    actor_id uuid,
    actor_role text,
    action text,
    table_name text,
    row_id text,
    reason text,
    before jsonb,
    after jsonb,
    request_id text
)
language sql
stable
set search_path = ''
as $$
    select internal.require_role('ops', 'only ops staff may read the audit trail');
    select internal.fail('invalid_input', 'limit must be between 1 and 500')
    where ops_audit_trail."limit" is null or ops_audit_trail."limit" not between 1 and 500;
    select internal.fail('invalid_input', 'to must be after from')
    where ops_audit_trail."to" <= ops_audit_trail."from";
    select
        a.id, a.occurred_at, a.actor_id, a.actor_role, a.action, a.table_name, a.row_id,
        a.reason, a.before, a.after, a.request_id
    from internal.ops_audit_trail(
        ops_audit_trail.booking_id, ops_audit_trail.actor_id, ops_audit_trail."from", ops_audit_trail."to",
        ops_audit_trail."limit", ops_audit_trail.before_id
    ) as a
$$;
comment on function api.ops_audit_trail(uuid, uuid, timestamptz, timestamptz, integer, bigint) is
$$The audit trail, newest first (ops only): who did what to which row, before and after, and why.

Inputs (each optional; given ones all apply): booking_id (the booking's own entries and its
payment's), actor_id (the account that acted), from and to (occurred_at in [from, to)),
limit (1-500, default 50), before_id (keyset pagination: pass the id of the last entry of
the previous page to get the next, older one).
Over HTTP, GET /rpc/ops_audit_trail?booking_id=...: in a query string limit is PostgREST's own
row limit, with the same effect; POST the arguments as JSON to use it as an argument.
Errors: 400 invalid_input naming limit, or to not after from; 403 forbidden for any role but ops.$$;
