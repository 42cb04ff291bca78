-- The audit trail: one helper every state-changing function calls.

create or replace function internal.request_id()
returns text
language sql
stable
set search_path = ''
as $$
    select nullif(pg_catalog.current_setting('request.headers', true), '')::jsonb ->> 'x-request-id'
$$;
comment on function internal.request_id() is 'The request id nginx put in X-Request-Id (null outside HTTP).';

create or replace function internal.audit(
    p_action text,
    p_table text,
    p_row_id text,
    p_before jsonb default null,
    p_after jsonb default null,
    p_reason text default null,
    p_actor_id uuid default null,
    p_actor_role text default null
)
returns void
language sql
volatile
security definer
set search_path = ''
as $$
    insert into audit.action_log (
        actor_id, actor_role, action, table_name, row_id, reason, before, after, request_id
    )
    values (
        coalesce(p_actor_id, auth.uid()),
        coalesce(p_actor_role, auth.role(), current_user::text),
        p_action, p_table, p_row_id, p_reason, p_before, p_after, internal.request_id()
    )
$$;
comment on function internal.audit(text, text, text, jsonb, jsonb, text, uuid, text) is
'Append one row to audit.action_log (actor from the JWT unless given). Definer: audit is append-only for everyone else.';
