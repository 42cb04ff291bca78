-- audit.action_log: append-only; written by definer functions, read by ops.
alter table audit.action_log enable row level security;
alter table audit.action_log force row level security;
drop policy if exists select_ops on audit.action_log;

revoke all on audit.action_log from public, anon, customer, provider, ops, bookiji_worker;

create policy select_ops on audit.action_log for select to ops using (true);
comment on policy select_ops on audit.action_log is 'Ops staff read the whole audit trail.';
grant usage on schema audit to ops;
grant select on audit.action_log to ops;
