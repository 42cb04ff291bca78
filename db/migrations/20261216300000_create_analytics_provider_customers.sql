-- migrate:up
-- A provider's performance page (api.analytics_performance) counts a customer of its range as a
-- repeat customer when it also booked the provider before the range. It found that by reading
-- the customer's own bookings before the range, and under the provider's row-level security the
-- range's start could not bound that read (lower() is not leakproof): each customer's whole
-- history, 15,710 buffers and 13 of the page's 18 ms for the busiest provider at 100,000
-- providers with 31 days of bookings (docs/performance.md, "Session 25").
--
-- app.analytics_provider_customers: for each provider and customer, the earliest start of the
--   customer's counted bookings (confirmed, completed, no-show) with the provider, kept by the
--   triggers that keep the customer's first booking (81_analytics_audience.sql). The probe is
--   one key lookup per customer.
create table app.analytics_provider_customers (
    provider_id uuid not null,
    customer_id uuid not null,
    first_starts_at timestamptz not null,
    constraint analytics_provider_customers_pkey primary key (provider_id, customer_id),
    constraint analytics_provider_customers_provider_id_fkey foreign key (provider_id)
    references app.providers (id) on delete cascade,
    constraint analytics_provider_customers_customer_id_fkey foreign key (customer_id)
    references app.users (id) on delete cascade
);
comment on table app.analytics_provider_customers is
'For each provider and customer, the earliest start of the customer''s confirmed, completed and no-show bookings '
'with the provider (the repeat customers of api.analytics_performance).';

-- an account's deletion cascades here (a customer's rows), and the cascade finds them by it
create index analytics_provider_customers_customer_id_idx on app.analytics_provider_customers (customer_id);

insert into app.analytics_provider_customers (provider_id, customer_id, first_starts_at)
select
    b.provider_id,
    b.customer_id,
    min(lower(b.during)) as first_starts_at
from app.bookings as b
where b.status in ('confirmed', 'completed', 'no_show')
group by b.provider_id, b.customer_id
order by b.provider_id, b.customer_id;

analyze app.analytics_provider_customers;

-- migrate:down
drop table app.analytics_provider_customers;
