-- The audit trail over HTTP, for ops: audit.action_log read through an api
-- function (ops hold select on it, under a policy; every other role is refused
-- with 403 forbidden before anything is read).

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
    from audit.action_log as a
    where
        (
            ops_audit_trail.booking_id is null
            or (a.table_name = 'app.bookings' and a.row_id = ops_audit_trail.booking_id::text)
            or (
                a.table_name = 'app.payments'
                and a.row_id in (
                    select p.id::text from app.payments as p
                    where p.booking_id = ops_audit_trail.booking_id
                )
            )
        )
        and (ops_audit_trail.actor_id is null or a.actor_id = ops_audit_trail.actor_id)
        and (ops_audit_trail."from" is null or a.occurred_at >= ops_audit_trail."from")
        and (ops_audit_trail."to" is null or a.occurred_at < ops_audit_trail."to")
        and (ops_audit_trail.before_id is null or a.id < ops_audit_trail.before_id)
    order by a.id desc
    limit ops_audit_trail."limit"
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
