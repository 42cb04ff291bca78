-- app.payment_mismatches: written only by the webhook's definer functions; ops read it
-- (through api.payment_mismatches).
alter table app.payment_mismatches enable row level security;
alter table app.payment_mismatches force row level security;
drop policy if exists select_ops on app.payment_mismatches;

revoke all on app.payment_mismatches from public, anon, customer, provider, ops, bookiji_worker;

create policy select_ops on app.payment_mismatches for select to ops using (true);
comment on policy select_ops on app.payment_mismatches is 'Ops staff read every payment that did not match its booking.';
grant select on app.payment_mismatches to ops;
