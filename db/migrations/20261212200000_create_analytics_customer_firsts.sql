-- migrate:up
-- Each customer's first booking (the earliest start among its confirmed, completed and no-show
-- bookings): the customers' "new and returning" figures (api.analytics_customers). A booking
-- that is its customer's first is a new customer's; every other booking of the range is a
-- returning customer's. Counting the first bookings that start in a range is one range of the
-- index on starts_at; the bookings of the range come from the rollups. Both are sums, exact
-- for any range, unlike a distinct count of customers, which no rollup adds up.
--
-- Kept exact by a trigger on bookings (db/functions/81_analytics_audience.sql), rebuilt with
-- the cohort hours (internal.analytics_rebuild_cohorts). Backfilled here with the definition
-- of that file (internal.analytics_live_customer_firsts).
create table app.analytics_customer_firsts (
    customer_id uuid not null references app.users (id) on delete cascade,
    booking_id uuid not null,
    starts_at timestamptz not null,
    constraint analytics_customer_firsts_pkey primary key (customer_id)
);
comment on table app.analytics_customer_firsts is
'Derived: each customer''s first booking, the earliest start among its confirmed, completed and no-show bookings '
'(then the lowest id).';
create index analytics_customer_firsts_starts_at_idx on app.analytics_customer_firsts (starts_at);

insert into app.analytics_customer_firsts (customer_id, booking_id, starts_at)
select distinct on (b.customer_id)
    b.customer_id,
    b.id as booking_id,
    lower(b.during) as starts_at
from app.bookings as b
where b.status in ('confirmed', 'completed', 'no_show')
order by b.customer_id asc, lower(b.during) asc, b.id asc;

-- migrate:down
-- the trigger names a function that writes this table (81_analytics_audience.sql); deploy
-- recreates it
drop trigger if exists _510_analytics_first on app.bookings;
drop trigger if exists _510_analytics_first_update on app.bookings;
drop view if exists internal.analytics_live_customer_firsts;
drop table app.analytics_customer_firsts;
