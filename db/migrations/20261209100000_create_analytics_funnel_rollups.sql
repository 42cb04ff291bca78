-- migrate:up
-- The booking funnel (api.analytics_funnel) counted every quote of its range and probed the
-- bookings of each for its first one: O(quotes) on every read, 225 ms p99 290 at 10,000 providers
-- with a month of 31,000 quotes (docs/performance.md, "Session 15").
--
-- app.analytics_quote_hours: quotes per UTC hour they were asked and category, folded by
--   internal.analytics_compact from app.analytics_quote_deltas, which each quote's insert (and
--   delete, or a change of its hour or category) appends to: the quote itself never waits on a
--   counter row another quote holds.
-- app.analytics_quote_bookings: for each quote that became a booking, its first booking (the
--   earliest made, then the smallest id) with the quote's time and category, kept by the
--   triggers on quotes and bookings. The later steps of the funnel (paid, completed) and their
--   medians read these bookings and their payments: O(quotes that became bookings).
create table app.analytics_quote_hours (
    hour timestamptz not null,
    category_id integer not null,
    quotes bigint not null default 0,
    constraint analytics_quote_hours_pkey primary key (hour, category_id)
);
comment on table app.analytics_quote_hours is
'Rollup of quotes per UTC hour asked and category (folded from app.analytics_quote_deltas; the funnel''s '
'first step).';

create table app.analytics_quote_deltas (
    hour timestamptz not null,
    category_id integer not null,
    quotes integer not null
);
comment on table app.analytics_quote_deltas is
'Quotes added (1) or taken away (-1) per UTC hour and category since the last compaction: append-only, '
'folded into app.analytics_quote_hours by internal.analytics_compact.';

create table app.analytics_quote_bookings (
    quote_id uuid not null,
    quoted_at timestamptz not null,
    category_id integer not null,
    booking_id uuid not null,
    booked_at timestamptz not null,
    constraint analytics_quote_bookings_pkey primary key (quote_id)
);
comment on table app.analytics_quote_bookings is
'Each quote''s first booking (earliest created_at, then id), with the quote''s created_at and category: the '
'funnel''s confirm step, kept by triggers on app.quotes and app.bookings.';
create index analytics_quote_bookings_quoted_at_idx on app.analytics_quote_bookings (quoted_at)
include (category_id, booking_id, booked_at);

insert into app.analytics_quote_hours (hour, category_id, quotes)
select
    date_trunc('hour', q.created_at, 'UTC') as hour,
    q.category_id,
    count(*) as quotes
from app.quotes as q
group by date_trunc('hour', q.created_at, 'UTC'), q.category_id;

insert into app.analytics_quote_bookings (quote_id, quoted_at, category_id, booking_id, booked_at)
select distinct on (b.quote_id)
    b.quote_id,
    q.created_at as quoted_at,
    q.category_id,
    b.id as booking_id,
    b.created_at as booked_at
from app.bookings as b
inner join app.quotes as q on b.quote_id = q.id
order by b.quote_id asc, b.created_at asc, b.id asc;

-- migrate:down
-- the declarative view over bookings, quotes and payments (db/functions/80_analytics_rollups.sql)
-- and the triggers' WHEN clauses (84_analytics_behaviour.sql) would hold back the earlier
-- migrations' downs; deploy recreates them
drop view if exists internal.analytics_live_quote_bookings;
drop trigger if exists _520_analytics_funnel_insert on app.quotes;
drop trigger if exists _520_analytics_funnel_delete on app.quotes;
drop trigger if exists _520_analytics_funnel_update on app.quotes;
drop trigger if exists _520_analytics_funnel_insert on app.bookings;
drop trigger if exists _520_analytics_funnel_delete on app.bookings;
drop trigger if exists _520_analytics_funnel_update on app.bookings;
drop trigger if exists _520_analytics_funnel_insert on app.payments;
drop trigger if exists _520_analytics_funnel_delete on app.payments;
drop trigger if exists _520_analytics_funnel_update on app.payments;
drop table app.analytics_quote_bookings;
drop table app.analytics_quote_deltas;
drop table app.analytics_quote_hours;
