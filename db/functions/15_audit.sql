-- The audit trail: one helper every state-changing function calls.

-- Both helpers are PL/pgSQL: a SQL function with its own search_path is never inlined and
-- its body is planned again by every statement that calls it (each audited write);
-- PL/pgSQL keeps its plans for the session (docs/performance.md, issue 24's confirm).
create or replace function internal.request_id()
returns text
language plpgsql
stable
set search_path = ''
as $$
begin
    return nullif(pg_catalog.current_setting('request.headers', true), '')::jsonb ->> 'x-request-id';
end
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
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
    insert into audit.action_log (
        actor_id, actor_role, action, table_name, row_id, reason, before, after, request_id
    )
    values (
        coalesce(p_actor_id, auth.uid()),
        -- who acts: the caller's given role, else the actor a system path declared
        -- (stripe, sweep), else the JWT's role, else the database role (the worker)
        coalesce(
            p_actor_role,
            nullif(pg_catalog.current_setting('bookiji.actor', true), ''),
            nullif(auth.jwt() ->> 'role', ''),
            session_user::text
        ),
        p_action, p_table, p_row_id, p_reason, p_before, p_after, internal.request_id()
    );
end
$$;
comment on function internal.audit(text, text, text, jsonb, jsonb, text, uuid, text) is
'Append one row to audit.action_log (actor from the JWT unless given). Definer: audit is append-only for everyone else.';
