-- app.waitlist_entries: no API role reads or writes it directly (as every app table:
-- tests/db/test_roles_and_grants.py); the definer functions of
-- db/functions/41_waitlist.sql do, for the caller's own entries. The policy below
-- still confines a customer to its own rows should a grant ever be added.
alter table app.waitlist_entries enable row level security;
alter table app.waitlist_entries force row level security;
drop policy if exists select_own on app.waitlist_entries;

revoke all on app.waitlist_entries from public, anon, customer, provider, ops, bookiji_worker;

create policy select_own on app.waitlist_entries for select
to customer
using (customer_id = (select auth.uid()));
comment on policy select_own on app.waitlist_entries is 'A customer reads its own waitlist entries, no one else''s.';
