-- migrate:up
-- New and returning customers (api.analytics_customers) counted each first booking of its range
-- (app.analytics_customer_firsts): O(customers whose first booking starts then). With a year of
-- activity at 10,000 providers that was 51,393 rows for a month, 8-10 ms of the read's 20, and it
-- grows with the customers. The first bookings are now also counted per UTC start hour and
-- category:
--
-- app.analytics_first_hours: first bookings per UTC hour they start and category, folded by
--   internal.analytics_compact from app.analytics_first_deltas, which a customer's first booking
--   changing appends to (-1 where it was, +1 where it is): two customers' payments never wait on
--   one counter row. A read sums the hours of its range and the deltas not folded yet: exact at
--   every moment, O(hours x categories) whatever the number of customers.
create table app.analytics_first_hours (
    hour timestamptz not null,
    category_id integer not null,
    customers bigint not null default 0,
    constraint analytics_first_hours_pkey primary key (hour, category_id)
);
comment on table app.analytics_first_hours is
'Rollup of the customers'' first bookings per UTC start hour and category (folded from '
'app.analytics_first_deltas; the new customers of api.analytics_customers).';

create table app.analytics_first_deltas (
    hour timestamptz not null,
    category_id integer not null,
    customers integer not null
);
comment on table app.analytics_first_deltas is
'First bookings added (1) or taken away (-1) per UTC start hour and category since the last compaction: '
'append-only, folded into app.analytics_first_hours by internal.analytics_compact.';
alter table app.analytics_first_deltas set (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000);

insert into app.analytics_first_hours (hour, category_id, customers)
select
    date_trunc('hour', f.starts_at, 'UTC') as hour,
    f.category_id,
    count(*) as customers
from app.analytics_customer_firsts as f
group by date_trunc('hour', f.starts_at, 'UTC'), f.category_id;

analyze app.analytics_first_hours;

-- migrate:down
drop table app.analytics_first_deltas;
drop table app.analytics_first_hours;
