-- app.disputes: written only by the webhook's definer functions; ops read them
-- (through api.ops_disputes).
alter table app.disputes enable row level security;
alter table app.disputes force row level security;
drop policy if exists select_ops on app.disputes;

revoke all on app.disputes from public, anon, customer, provider, ops, bookiji_worker;

create policy select_ops on app.disputes for select to ops using (true);
comment on policy select_ops on app.disputes is 'Ops staff read every card dispute.';
grant select on app.disputes to ops;
