-- app.quotes: a customer reads only its own quotes; they are written by the
-- definer function internal.quote, so no API role inserts.
alter table app.quotes enable row level security;
alter table app.quotes force row level security;
drop policy if exists select_own on app.quotes;
drop policy if exists select_ops on app.quotes;

revoke all on app.quotes from public, anon, customer, provider, ops, bookiji_worker;

create policy select_own on app.quotes for select
to customer
using (customer_id = (select auth.uid()));
comment on policy select_own on app.quotes is 'A customer reads only the quotes it asked for.';

create policy select_ops on app.quotes for select
to ops
using (true);
comment on policy select_ops on app.quotes is 'Ops staff read every quote.';

grant select (id, customer_id, category_id, location, starts_at, radius_km, created_at, expires_at, ranking_version)
on app.quotes to customer, ops;
