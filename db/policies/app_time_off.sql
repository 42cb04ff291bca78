-- app.time_off: private to the provider that owns it (and ops); availability
-- reads it through definer functions, so nobody else needs to.
alter table app.time_off enable row level security;
alter table app.time_off force row level security;
drop policy if exists select_provider_own on app.time_off;
drop policy if exists insert_provider_own on app.time_off;
drop policy if exists update_provider_own on app.time_off;
drop policy if exists delete_provider_own on app.time_off;
drop policy if exists select_ops on app.time_off;

revoke all on app.time_off from public, anon, customer, provider, ops, bookiji_worker;

create policy select_provider_own on app.time_off for select
to provider
using (provider_id in (select p.id from app.providers as p where p.owner_id = (select auth.uid())));
comment on policy select_provider_own on app.time_off is
'A provider account reads only the time off of the provider it owns.';

create policy insert_provider_own on app.time_off for insert
to provider
with check (provider_id in (select p.id from app.providers as p where p.owner_id = (select auth.uid())));
comment on policy insert_provider_own on app.time_off is
'A provider account adds time off only to the provider it owns.';

create policy update_provider_own on app.time_off for update
to provider
using (provider_id in (select p.id from app.providers as p where p.owner_id = (select auth.uid())))
with check (provider_id in (select p.id from app.providers as p where p.owner_id = (select auth.uid())));
comment on policy update_provider_own on app.time_off is
'A provider account edits only the time off of the provider it owns.';

create policy delete_provider_own on app.time_off for delete
to provider
using (provider_id in (select p.id from app.providers as p where p.owner_id = (select auth.uid())));
comment on policy delete_provider_own on app.time_off is
'A provider account deletes only the time off of the provider it owns.';

create policy select_ops on app.time_off for select
to ops
using (true);
comment on policy select_ops on app.time_off is 'Ops staff read the time off of every provider.';

grant select (id, provider_id, during, reason, created_at) on app.time_off to provider, ops;
grant insert (provider_id, during, reason) on app.time_off to provider;
grant update (during, reason) on app.time_off to provider;
grant delete on app.time_off to provider;
