-- app.refunds: the ledger; read like payments, written only by definer functions.
alter table app.refunds enable row level security;
alter table app.refunds force row level security;
drop policy if exists select_own on app.refunds;
drop policy if exists select_provider_own on app.refunds;
drop policy if exists select_ops on app.refunds;

revoke all on app.refunds from public, anon, customer, provider, ops, bookiji_worker;

create policy select_own on app.refunds for select to customer
using (booking_id in (select b.id from app.bookings as b where b.customer_id = (select auth.uid())));
comment on policy select_own on app.refunds is 'A customer reads the refunds of its own bookings.';

create policy select_provider_own on app.refunds for select to provider
using (booking_id in (
    select b.id from app.bookings as b
    inner join app.providers as p on b.provider_id = p.id
    where p.owner_id = (select auth.uid())
));
comment on policy select_provider_own on app.refunds is 'A provider reads the refunds of its own bookings.';

create policy select_ops on app.refunds for select to ops using (true);
comment on policy select_ops on app.refunds is 'Ops staff read every refund.';

grant select (
    id, booking_id, payment_id, amount_cents, reason, requested_role, status, created_at, updated_at
) on app.refunds to customer, provider, ops;
