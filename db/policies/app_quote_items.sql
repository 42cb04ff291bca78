-- app.quote_items: the offers of a quote, readable by the quote's customer.
alter table app.quote_items enable row level security;
alter table app.quote_items force row level security;
drop policy if exists select_own on app.quote_items;
drop policy if exists select_ops on app.quote_items;

revoke all on app.quote_items from public, anon, customer, provider, ops, bookiji_worker;

create policy select_own on app.quote_items for select
to customer
using (quote_id in (select q.id from app.quotes as q where q.customer_id = (select auth.uid())));
comment on policy select_own on app.quote_items is 'A customer reads only the offers of its own quotes.';

create policy select_ops on app.quote_items for select
to ops
using (true);
comment on policy select_ops on app.quote_items is 'Ops staff read every offer.';

grant select (
    quote_id, provider_id, service_id, rank, price_cents, deposit_cents, currency, duration_minutes,
    buffer_before_minutes, buffer_after_minutes, distance_m, score, cancel_notice_hours, cancel_fee_cents,
    explanation
) on app.quote_items to customer, ops;
