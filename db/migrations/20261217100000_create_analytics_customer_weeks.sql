-- migrate:up
-- The cohorts (api.analytics_cohorts) read each customer's activity from one row per customer and
-- UTC hour it booked in (app.analytics_customer_hours): a read that grew with how often the
-- cohorts' customers book, not with how many they are. At 10,000 providers with a year of
-- bookings, the last 31 days' 4,160 sign-ups owned 78,042 such hours (the seed's customers book
-- ~51 times a month) and the read took 33 ms in one connection (docs/performance.md, "Session
-- 28").
--
-- app.analytics_customer_weeks: one row per customer and UTC week (from Monday 00:00 UTC) it
--   booked in, with the first and last UTC hour it booked in that week, and the hours of the
--   week it booked in (offsets 0-167) with how many bookings each. A cohort's zone has a whole
--   number of hours from UTC (internal.analytics_window), so its local weeks start on whole UTC
--   hours, and a UTC week meets at most two of them (three would need a whole local week inside
--   it: one of at most 166 hours starting an hour or two after the UTC Monday, a zone west of
--   UTC moving its clocks by two hours; the one zone that moves them by two, Antarctica/Troll,
--   is at UTC and UTC+2). The customer booked in the first when its first hour is before the
--   boundary, in the second when its last hour is at or after it. The first and last hours
--   answer a cohort exactly, in any zone the cohorts accept; the
--   hours and their bookings are what a booking that lapses or goes takes its own out of, and
--   what the first and last hours are recomputed from then, without reading the bookings.
--
-- The same rows as before in fewer: the week's hours kept in the row, not one row each (the
-- seed's 979,888 hours at 10,000 providers with a year: 156,434 weeks). Backfilled from the
-- hours it replaces (kept exact by the same triggers, drift-checked); the triggers keep it from
-- now on (db/functions/81_analytics_audience.sql).
create table app.analytics_customer_weeks (
    customer_id uuid not null,
    week timestamptz not null,
    signup_hour timestamptz not null,
    first_hour timestamptz not null,
    last_hour timestamptz not null,
    hours smallint[] not null,
    bookings integer[] not null,
    constraint analytics_customer_weeks_pkey primary key (customer_id, week),
    constraint analytics_customer_weeks_customer_id_fkey foreign key (customer_id)
    references app.users (id) on delete cascade
);
-- No check constraint: the rows are derived, written by the triggers and the rebuild alone, and
-- compared with a recount by the drift check (internal.analytics_drift), as the other rollups a
-- confirm writes. A check is prepared again at every statement that writes the table, and a
-- confirm writes it: two checks of the arrays and the hours cost a confirm 13-15 us of the
-- 15-20 this table cost more than the hours (one connection, each call rolled back).
comment on table app.analytics_customer_weeks is
'Derived: per customer and UTC week (from Monday), the first and last UTC hour it made a booking in that did not '
'lapse unpaid, and those hours (offsets from the week''s start) with their bookings, with its sign-up hour; only '
'the hours from 8 days before to 190 days after the sign-up (what a cohort can count).';
comment on column app.analytics_customer_weeks.hours is
'The hours of the week with a booking, as hours from the week''s start (0-167), in no particular order.';
comment on column app.analytics_customer_weeks.bookings is
'The bookings made in each hour of hours, in the same order.';

-- the cohorts' read: a range of sign-ups, with what it needs of each week, from the index alone
create index analytics_customer_weeks_signup_idx on app.analytics_customer_weeks (signup_hour)
include (customer_id, first_hour, last_hour);

insert into app.analytics_customer_weeks (
    customer_id, week, signup_hour, first_hour, last_hour, hours, bookings
)
select
    h.customer_id,
    date_trunc('week', h.hour, 'UTC') as week,
    min(h.signup_hour) as signup_hour,
    min(h.hour) as first_hour,
    max(h.hour) as last_hour,
    array_agg(
        (extract(epoch from h.hour - date_trunc('week', h.hour, 'UTC')) / 3600)::smallint order by h.hour
    ) as hours,
    array_agg(h.bookings order by h.hour) as bookings
from app.analytics_customer_hours as h
group by h.customer_id, date_trunc('week', h.hour, 'UTC')
order by h.customer_id, date_trunc('week', h.hour, 'UTC');

drop table app.analytics_customer_hours;
drop view if exists internal.analytics_live_customer_hours;

analyze app.analytics_customer_weeks;

-- migrate:down
create table app.analytics_customer_hours (
    customer_id uuid not null references app.users (id) on delete cascade,
    hour timestamptz not null,
    signup_hour timestamptz not null,
    bookings integer not null,
    constraint analytics_customer_hours_pkey primary key (customer_id, hour),
    constraint analytics_customer_hours_bookings_check check (bookings > 0)
);
create index analytics_customer_hours_signup_idx on app.analytics_customer_hours (signup_hour, hour)
include (customer_id);
insert into app.analytics_customer_hours (customer_id, hour, signup_hour, bookings)
select
    w.customer_id,
    w.week + make_interval(hours => u.h) as hour,
    w.signup_hour,
    u.n as bookings
from app.analytics_customer_weeks as w
cross join lateral unnest(w.hours, w.bookings) as u (h, n);
drop table app.analytics_customer_weeks;
