-- migrate:up
-- The platform's commission, per service category: a rate in basis points of the
-- service's price with a minimum in cents (never more than the price). Ops change
-- it through api.ops_set_commission_rate (audited); each booking keeps the
-- commission of its confirmation (bookings.commission_*), as it keeps its
-- cancellation policy. Every existing category starts at 10 %, at least 1.00.
create table app.commission_rates (
    category_id integer primary key references app.service_categories (id) on delete cascade,
    rate_bp integer not null,
    minimum_cents integer not null default 0,
    updated_by uuid references app.users (id) on delete set null,
    updated_at timestamptz not null default now(),
    constraint commission_rates_rate_bp_check check (rate_bp between 0 and 10000),
    constraint commission_rates_minimum_cents_check check (minimum_cents between 0 and 1000000)
);
comment on table app.commission_rates is
'The platform''s commission per category: rate_bp (basis points of the price) with a minimum in cents.';
create index commission_rates_updated_by_idx on app.commission_rates (updated_by);

insert into app.commission_rates (category_id, rate_bp, minimum_cents)
select
    c.id,
    1000 as rate_bp,
    100 as minimum_cents
from app.service_categories as c;

-- migrate:down
drop table app.commission_rates cascade;
