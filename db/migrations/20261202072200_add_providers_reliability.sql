-- migrate:up
-- Reliability (db/functions/73_reliability.sql): of a provider's ended
-- bookings (completed, no_show or cancelled), how many the provider cancelled
-- and how many ended as no_show, and both as rates shrunk towards a prior
-- of 20 bookings at 2% each: rate = (k + 20 * 0.02) / (n + 20). Kept by a
-- trigger on app.bookings; written by nobody else (no column grant).
alter table app.providers add column ended_bookings integer not null default 0;
alter table app.providers add column provider_cancellations integer not null default 0;
alter table app.providers add column no_shows integer not null default 0;
alter table app.providers add column provider_cancellation_rate numeric(5, 4) not null default 0.02;
alter table app.providers add column no_show_rate numeric(5, 4) not null default 0.02;
alter table app.providers add constraint providers_reliability_counts_check check (
    provider_cancellations >= 0 and no_shows >= 0 and provider_cancellations + no_shows <= ended_bookings
);
alter table app.providers add constraint providers_reliability_rates_check check (
    provider_cancellation_rate between 0 and 1 and no_show_rate between 0 and 1
);
comment on column app.providers.ended_bookings is
'Bookings of this provider that ended: completed, no_show or cancelled. Kept by a trigger.';
comment on column app.providers.provider_cancellations is 'Ended bookings the provider cancelled. Kept by a trigger.';
comment on column app.providers.no_shows is 'Ended bookings marked no_show. Kept by a trigger.';
comment on column app.providers.provider_cancellation_rate is
'(provider_cancellations + 0.4) / (ended_bookings + 20): shrunk towards 2%. Kept by a trigger.';
comment on column app.providers.no_show_rate is '(no_shows + 0.4) / (ended_bookings + 20): shrunk towards 2%. Kept by a trigger.';

-- the bookings that already ended
update app.providers as p
set
    ended_bookings = c.ended,
    provider_cancellations = c.cancelled,
    no_shows = c.no_show,
    provider_cancellation_rate = round((c.cancelled + 0.4) / (c.ended + 20), 4),
    no_show_rate = round((c.no_show + 0.4) / (c.ended + 20), 4)
from (
    select
        b.provider_id,
        count(*) as ended,
        count(*) filter (where b.status = 'cancelled' and b.cancelled_by_role = 'provider') as cancelled,
        count(*) filter (where b.status = 'no_show') as no_show
    from app.bookings as b
    where b.status in ('completed', 'no_show', 'cancelled')
    group by b.provider_id
) as c
where p.id = c.provider_id;

-- migrate:down
-- cascade: api.providers (declarative) shows the columns; deploy recreates it.
alter table app.providers drop constraint providers_reliability_rates_check;
alter table app.providers drop constraint providers_reliability_counts_check;
alter table app.providers drop column no_show_rate cascade;
alter table app.providers drop column provider_cancellation_rate cascade;
alter table app.providers drop column no_shows cascade;
alter table app.providers drop column provider_cancellations cascade;
alter table app.providers drop column ended_bookings cascade;
