-- app.payments: the customer sees its own bookings' payments (the client
-- secret only through api.booking_payment), the provider its bookings', ops all.
-- Nobody writes directly: definer functions and the worker's entry points do.
alter table app.payments enable row level security;
alter table app.payments force row level security;
drop policy if exists select_own on app.payments;
drop policy if exists select_provider_own on app.payments;
drop policy if exists select_ops on app.payments;

revoke all on app.payments from public, anon, customer, provider, ops, bookiji_worker;

create policy select_own on app.payments for select to customer
using (booking_id in (select b.id from app.bookings as b where b.customer_id = (select auth.uid())));
comment on policy select_own on app.payments is 'A customer reads the payments of its own bookings.';

create policy select_provider_own on app.payments for select to provider
using (booking_id in (
    select b.id from app.bookings as b
    inner join app.providers as p on b.provider_id = p.id
    where p.owner_id = (select auth.uid())
));
comment on policy select_provider_own on app.payments is 'A provider reads the payments of its own bookings.';

create policy select_ops on app.payments for select to ops using (true);
comment on policy select_ops on app.payments is 'Ops staff read every payment.';

grant select (
    id, booking_id, amount_cents, currency, status, captured_cents, failure_reason, created_at, updated_at
) on app.payments to customer, provider, ops;
