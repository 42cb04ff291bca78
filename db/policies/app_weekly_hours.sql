-- app.weekly_hours: private to the provider that owns it (and ops); availability
-- reads it through definer functions, so nobody else needs to.
alter table app.weekly_hours enable row level security;
alter table app.weekly_hours force row level security;
drop policy if exists select_provider_own on app.weekly_hours;
drop policy if exists insert_provider_own on app.weekly_hours;
drop policy if exists update_provider_own on app.weekly_hours;
drop policy if exists delete_provider_own on app.weekly_hours;
drop policy if exists select_ops on app.weekly_hours;

revoke all on app.weekly_hours from public, anon, customer, provider, ops, bookiji_worker;

create policy select_provider_own on app.weekly_hours for select
to provider
using (provider_id in (select p.id from app.providers as p where p.owner_id = (select auth.uid())));
comment on policy select_provider_own on app.weekly_hours is
'A provider account reads only the weekly hours of the provider it owns.';

create policy insert_provider_own on app.weekly_hours for insert
to provider
with check (provider_id in (select p.id from app.providers as p where p.owner_id = (select auth.uid())));
comment on policy insert_provider_own on app.weekly_hours is
'A provider account adds weekly hours only to the provider it owns.';

create policy update_provider_own on app.weekly_hours for update
to provider
using (provider_id in (select p.id from app.providers as p where p.owner_id = (select auth.uid())))
with check (provider_id in (select p.id from app.providers as p where p.owner_id = (select auth.uid())));
comment on policy update_provider_own on app.weekly_hours is
'A provider account edits only the weekly hours of the provider it owns.';

create policy delete_provider_own on app.weekly_hours for delete
to provider
using (provider_id in (select p.id from app.providers as p where p.owner_id = (select auth.uid())));
comment on policy delete_provider_own on app.weekly_hours is
'A provider account deletes only the weekly hours of the provider it owns.';

create policy select_ops on app.weekly_hours for select
to ops
using (true);
comment on policy select_ops on app.weekly_hours is 'Ops staff read the weekly hours of every provider.';

grant select (id, provider_id, day_of_week, start_time, end_time, created_at) on app.weekly_hours to provider, ops;
grant insert (provider_id, day_of_week, start_time, end_time) on app.weekly_hours to provider;
grant update (day_of_week, start_time, end_time) on app.weekly_hours to provider;
grant delete on app.weekly_hours to provider;
