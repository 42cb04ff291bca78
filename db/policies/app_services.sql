-- app.services: active services of active providers are public; a provider
-- manages only its own; the provider and the currency are fixed at creation.
alter table app.services enable row level security;
alter table app.services force row level security;
drop policy if exists select_public on app.services;
drop policy if exists select_provider_own on app.services;
drop policy if exists insert_provider_own on app.services;
drop policy if exists update_provider_own on app.services;
drop policy if exists delete_provider_own on app.services;
drop policy if exists select_ops on app.services;

revoke all on app.services from public, anon, customer, provider, ops, bookiji_worker;

create policy select_public on app.services for select
to anon, customer
using (is_active and provider_id in (select p.id from app.providers as p where p.is_active));
comment on policy select_public on app.services is
'Anonymous callers and customers read active services of active providers.';

create policy select_provider_own on app.services for select
to provider
using (provider_id in (select p.id from app.providers as p where p.owner_id = (select auth.uid())));
comment on policy select_provider_own on app.services is
'A provider account reads only the services of the provider it owns.';

create policy insert_provider_own on app.services for insert
to provider
with check (provider_id in (select p.id from app.providers as p where p.owner_id = (select auth.uid())));
comment on policy insert_provider_own on app.services is
'A provider account creates services only for the provider it owns.';

create policy update_provider_own on app.services for update
to provider
using (provider_id in (select p.id from app.providers as p where p.owner_id = (select auth.uid())))
with check (provider_id in (select p.id from app.providers as p where p.owner_id = (select auth.uid())));
comment on policy update_provider_own on app.services is
'A provider account edits only the services of the provider it owns.';

create policy delete_provider_own on app.services for delete
to provider
using (provider_id in (select p.id from app.providers as p where p.owner_id = (select auth.uid())));
comment on policy delete_provider_own on app.services is
'A provider account deletes only the services of the provider it owns.';

create policy select_ops on app.services for select
to ops
using (true);
comment on policy select_ops on app.services is 'Ops staff read every service.';

grant select (
    id, provider_id, category_id, name, description, duration_minutes, price_cents, deposit_cents,
    currency, buffer_before_minutes, buffer_after_minutes, min_notice_minutes, max_days_ahead,
    cancel_notice_hours, cancel_fee_cents, is_active, created_at, updated_at
) on app.services to anon, customer, provider, ops;
grant insert (
    provider_id, category_id, name, description, duration_minutes, price_cents, deposit_cents,
    buffer_before_minutes, buffer_after_minutes, min_notice_minutes, max_days_ahead,
    cancel_notice_hours, cancel_fee_cents, is_active
) on app.services to provider;
grant update (
    category_id, name, description, duration_minutes, price_cents, deposit_cents,
    buffer_before_minutes, buffer_after_minutes, min_notice_minutes, max_days_ahead,
    cancel_notice_hours, cancel_fee_cents, is_active
) on app.services to provider;
grant delete on app.services to provider;
