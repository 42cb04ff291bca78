-- app.users: accounts and profiles. Everyone sees and edits only their own row
-- (through api.me / api.update_me); ops read every account.
alter table app.users enable row level security;
alter table app.users force row level security;
drop policy if exists select_own on app.users;
drop policy if exists update_own on app.users;
drop policy if exists select_ops on app.users;

revoke all on app.users from public, anon, customer, provider, ops, bookiji_worker;

create policy select_own on app.users for select to customer, provider, ops
using (id = (select auth.uid()));
comment on policy select_own on app.users is 'A signed-in user reads their own account.';

create policy update_own on app.users for update to customer, provider, ops
using (id = (select auth.uid()))
with check (id = (select auth.uid()));
comment on policy update_own on app.users is 'A signed-in user edits their own profile fields.';

create policy select_ops on app.users for select to ops using (true);
comment on policy select_ops on app.users is 'Ops staff read every account.';

grant usage on schema app to customer, provider, ops, bookiji_worker;
-- every column (update_me reads its own row whole; deleted_at is only ever null
-- for a caller, whose token a deletion revoked)
grant select (id, email, role, full_name, locale, phone, email_confirmed_at, created_at, updated_at, deleted_at)
on app.users to customer, provider, ops;
grant update (full_name, locale, phone, updated_at) on app.users to customer, provider, ops;
