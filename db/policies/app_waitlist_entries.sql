-- app.waitlist_entries: a customer reads only its own entries; nobody writes
-- directly: the definer functions of db/functions/41_waitlist.sql do.
alter table app.waitlist_entries enable row level security;
alter table app.waitlist_entries force row level security;
drop policy if exists select_own on app.waitlist_entries;

revoke all on app.waitlist_entries from public, anon, customer, provider, ops, bookiji_worker;

create policy select_own on app.waitlist_entries for select
to customer
using (customer_id = (select auth.uid()));
comment on policy select_own on app.waitlist_entries is 'A customer reads its own waitlist entries, no one else''s.';

grant select on app.waitlist_entries to customer;
