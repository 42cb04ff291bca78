-- app.bookings: the customer sees its own, the provider sees those of the
-- provider it owns, ops see all. No API role writes directly: booking
-- functions (definer) come with the booking flow.
alter table app.bookings enable row level security;
alter table app.bookings force row level security;
drop policy if exists select_own on app.bookings;
drop policy if exists select_provider_own on app.bookings;
drop policy if exists select_ops on app.bookings;

revoke all on app.bookings from public, anon, customer, provider, ops, bookiji_worker;

create policy select_own on app.bookings for select
to customer
using (customer_id = (select auth.uid()));
comment on policy select_own on app.bookings is 'A customer reads only its own bookings.';

create policy select_provider_own on app.bookings for select
to provider
using (provider_id in (select p.id from app.providers as p where p.owner_id = (select auth.uid())));
comment on policy select_provider_own on app.bookings is
'A provider account reads only the bookings of the provider it owns.';

create policy select_ops on app.bookings for select
to ops
using (true);
comment on policy select_ops on app.bookings is 'Ops staff read every booking.';

grant select (
    id, customer_id, provider_id, service_id, quote_id, during, blocked, status, hold_expires_at,
    price_cents, deposit_cents, currency, cancel_notice_hours, cancel_fee_cents, cancelled_at,
    cancelled_by, cancel_reason, created_at, updated_at
) on app.bookings to customer, provider, ops;
