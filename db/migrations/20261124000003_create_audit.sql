-- migrate:up
-- Append-only audit trail: who did what to which row, before and after.
create table audit.action_log (
    id bigint generated always as identity primary key,
    occurred_at timestamptz not null default now(),
    actor_id uuid,
    actor_role text not null,
    action text not null,
    table_name text not null,
    row_id text,
    reason text,
    before jsonb,
    after jsonb,
    request_id text
);
comment on table audit.action_log is
'Append-only log of every state-changing action: actor, action, row, before/after, reason, request id.';
create index action_log_table_name_row_id_idx on audit.action_log (table_name, row_id);
create index action_log_actor_id_idx on audit.action_log (actor_id);

-- migrate:down
drop table audit.action_log;
