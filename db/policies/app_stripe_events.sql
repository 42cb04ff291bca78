-- app.stripe_events: written by the webhook's definer function; ops read it.
alter table app.stripe_events enable row level security;
alter table app.stripe_events force row level security;
drop policy if exists select_ops on app.stripe_events;

revoke all on app.stripe_events from public, anon, customer, provider, ops, bookiji_worker;

create policy select_ops on app.stripe_events for select to ops using (true);
comment on policy select_ops on app.stripe_events is 'Ops staff read received Stripe events.';
grant select on app.stripe_events to ops;
