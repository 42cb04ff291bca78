-- app.areas: Montreal's neighbourhoods as approximate polygons (the migration
-- 20261204020000_create_areas.sql writes them; nothing else does). Providers and
-- ops read them under the analytics functions, which place each provider in the
-- polygon covering its location.
alter table app.areas enable row level security;
alter table app.areas force row level security;
drop policy if exists select_provider_ops on app.areas;

revoke all on app.areas from public, anon, customer, provider, ops, bookiji_worker;

create policy select_provider_ops on app.areas for select
to provider, ops
using (true);
comment on policy select_provider_ops on app.areas is
'Provider and ops accounts read every neighbourhood (names and polygons are not private).';

grant select (slug, name_en, name_fr, centre, boundary) on app.areas to provider, ops;
