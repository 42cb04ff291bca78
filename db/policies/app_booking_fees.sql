-- app.booking_fees: fees a booking keeps; read like refunds, written only by definer functions.
alter table app.booking_fees enable row level security;
alter table app.booking_fees force row level security;
drop policy if exists select_own on app.booking_fees;
drop policy if exists select_provider_own on app.booking_fees;
drop policy if exists select_ops on app.booking_fees;

revoke all on app.booking_fees from public, anon, customer, provider, ops, bookiji_worker;

create policy select_own on app.booking_fees for select to customer
using (booking_id in (select b.id from app.bookings as b where b.customer_id = (select auth.uid())));
comment on policy select_own on app.booking_fees is 'A customer reads the fees of its own bookings.';

create policy select_provider_own on app.booking_fees for select to provider
using (booking_id in (
    select b.id from app.bookings as b
    inner join app.providers as p on b.provider_id = p.id
    where p.owner_id = (select auth.uid())
));
comment on policy select_provider_own on app.booking_fees is 'A provider reads the fees of its own bookings.';

create policy select_ops on app.booking_fees for select to ops using (true);
comment on policy select_ops on app.booking_fees is 'Ops staff read every fee.';

grant select (id, booking_id, payment_id, kind, amount_cents, created_at) on app.booking_fees to customer, provider, ops;
