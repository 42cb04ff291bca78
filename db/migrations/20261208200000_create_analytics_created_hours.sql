-- migrate:up
-- Today's counters across providers (api.analytics_today for ops, docs/performance.md,
-- "Session 14") counted every booking made since midnight and probed its payments: O(bookings
-- made today) on each read, which the dashboard repeats on every booking event (620 ms at
-- 10,000 providers on a day with 100,000 bookings made).
--
-- app.analytics_created_hours: per UTC hour a booking was made and its current status, the
--   bookings, their list prices and what their payments captured, across providers. Each
--   booking's vector (app.analytics_booking_facts) now carries the hour it was made, every delta
--   too, and internal.analytics_compact folds them here as it folds the others. A day in a zone
--   whose midnight is a whole UTC hour reads its hours here (with the deltas not folded yet);
--   another zone, and one provider's counters, still count the bookings.
--
-- Deltas already waiting have no hour made: the backfill below counts their bookings from the
-- vectors, and the fold leaves them out.
alter table app.analytics_booking_facts
add column created_hour timestamptz;
update app.analytics_booking_facts as f
set created_hour = date_trunc('hour', b.created_at, 'UTC')
from app.bookings as b
where f.booking_id = b.id;
alter table app.analytics_booking_facts
alter column created_hour set not null;
comment on column app.analytics_booking_facts.created_hour is
'The UTC hour the booking was made (its created_at): the key of app.analytics_created_hours.';

alter table app.analytics_deltas
add column created_hour timestamptz;
comment on column app.analytics_deltas.created_hour is
'The UTC hour the difference''s booking was made; null: not counted by hour made (written before that rollup, '
'or a provider''s move, whose differences cancel out).';

create table app.analytics_created_hours (
    hour timestamptz not null,
    status text not null,
    bookings bigint not null default 0,
    booked_cents bigint not null default 0,
    captured_cents bigint not null default 0,
    constraint analytics_created_hours_pkey primary key (hour, status)
);
comment on table app.analytics_created_hours is
'Rollup across providers per UTC hour a booking was made and its current status: bookings, list prices, '
'captured cents (folded from app.analytics_deltas; today''s counters).';

insert into app.analytics_created_hours (hour, status, bookings, booked_cents, captured_cents)
select
    f.created_hour as hour,
    f.status,
    sum(f.bookings) as bookings,
    sum(f.booked_cents) as booked_cents,
    sum(f.captured_cents) as captured_cents
from app.analytics_booking_facts as f
group by f.created_hour, f.status;

-- migrate:down
drop table app.analytics_created_hours;
alter table app.analytics_deltas drop column created_hour;
alter table app.analytics_booking_facts drop column created_hour;
