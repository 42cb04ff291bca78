-- app.providers: public profile for everyone, private fields (owner_id,
-- contact_email, contact_phone) for the owner and ops only. Column grants keep
-- the private fields from anon and customers; rows a provider can reach are
-- only its own. Rating aggregates (and their sums), the reliability counts and
-- the owner are never writable by a provider.
alter table app.providers enable row level security;
alter table app.providers force row level security;
drop policy if exists select_public on app.providers;
drop policy if exists select_provider_own on app.providers;
drop policy if exists insert_provider_own on app.providers;
drop policy if exists update_provider_own on app.providers;
drop policy if exists select_ops on app.providers;

revoke all on app.providers from public, anon, customer, provider, ops, bookiji_worker;

create policy select_public on app.providers for select
to anon, customer
using (is_active);
comment on policy select_public on app.providers is
'Anonymous callers and customers read active providers (and only their public columns, by grant).';

create policy select_provider_own on app.providers for select
to provider
using (owner_id = (select auth.uid()));
comment on policy select_provider_own on app.providers is
'A provider account reads only the provider profile it owns.';

create policy insert_provider_own on app.providers for insert
to provider
with check (owner_id = (select auth.uid()));
comment on policy insert_provider_own on app.providers is
'A provider account creates a profile only for itself.';

create policy update_provider_own on app.providers for update
to provider
using (owner_id = (select auth.uid()))
with check (owner_id = (select auth.uid()));
comment on policy update_provider_own on app.providers is
'A provider account edits only the profile it owns.';

create policy select_ops on app.providers for select
to ops
using (true);
comment on policy select_ops on app.providers is 'Ops staff read every provider.';

grant select (
    id, business_name, description, lat, lng, location, service_radius_km, time_zone,
    rating_count, rating_avg, is_active, created_at, updated_at,
    ended_bookings, provider_cancellations, no_shows, provider_cancellation_rate, no_show_rate
) on app.providers to anon, customer;
grant select (
    id, owner_id, business_name, description, lat, lng, location, service_radius_km, time_zone,
    rating_count, rating_avg, contact_email, contact_phone, is_active, created_at, updated_at,
    ended_bookings, provider_cancellations, no_shows, provider_cancellation_rate, no_show_rate,
    suspended_at, suspension_reason
) on app.providers to provider, ops;
grant insert (
    business_name, description, lat, lng, service_radius_km, time_zone,
    contact_email, contact_phone, is_active
) on app.providers to provider;
grant update (
    business_name, description, lat, lng, service_radius_km, time_zone,
    contact_email, contact_phone, is_active
) on app.providers to provider;
