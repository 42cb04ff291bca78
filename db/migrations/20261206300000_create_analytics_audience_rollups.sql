-- migrate:up
-- Rollups of their own for the two analytics reads that grew with the marketplace
-- (docs/performance.md, "Session 11"; docs/analytics.md, "What is kept where"):
--
-- app.analytics_customer_hours: per customer and UTC hour, its bookings made then that did not
--   lapse unpaid (status <> 'expired'), with the customer's sign-up hour: the cohorts' activity,
--   read by sign-up hour without visiting users or bookings. Only the hours from 8 days before
--   to 190 days after the sign-up are kept: a cohort week (its local Monday, at most 7 days and
--   an hour before the sign-up) counts at most 27 weeks (26 + the sign-up week) from it.
--   Whole UTC hours are exact for the cohorts: their zones have whole-hour offsets
--   (internal.analytics_window), so a local week starts on a whole UTC hour.
-- app.analytics_provider_places: each provider's location, its grid cell at the default size
--   (0.02 degrees) and the neighbourhood (app.areas) covering it, placed once when the provider
--   is created or moves (and again when the areas change), not on every read of the figures by
--   area.
--
-- The cohorts' sizes stay a count of app.users over its partial index on created_at: a kept
-- count per sign-up hour would be one row that every sign-up of the hour updates, held through
-- the sign-up's bcrypt.
--
-- Kept exact by triggers on bookings, users, providers and areas (db/functions/
-- 81_analytics_audience.sql), rebuilt with the others (internal.analytics_rebuild). Backfilled
-- here with the definitions of that file (internal.analytics_live_*).
create table app.analytics_customer_hours (
    customer_id uuid not null references app.users (id) on delete cascade,
    hour timestamptz not null,
    signup_hour timestamptz not null,
    bookings integer not null,
    constraint analytics_customer_hours_pkey primary key (customer_id, hour),
    constraint analytics_customer_hours_bookings_check check (bookings > 0)
);
comment on table app.analytics_customer_hours is
'Derived: per customer and UTC hour, the bookings it made then that did not lapse unpaid, with its sign-up hour; '
'only the hours from 8 days before to 190 days after the sign-up (what a cohort can count).';
create index analytics_customer_hours_signup_idx on app.analytics_customer_hours (signup_hour, hour)
include (customer_id);

create table app.analytics_provider_places (
    provider_id uuid not null references app.providers (id) on delete cascade,
    lat double precision not null,
    lng double precision not null,
    grid_cell text not null,
    area_slug text,
    area_name_en text,
    area_name_fr text,
    constraint analytics_provider_places_pkey primary key (provider_id)
);
comment on table app.analytics_provider_places is
'Derived: each provider''s location, its grid cell at the default size (0.02 degrees, named as '
'internal.analytics_area names it) and the neighbourhood (app.areas) covering it (null: "other"), placed when '
'the provider is created or moves and when the areas change.';

insert into app.analytics_customer_hours (customer_id, hour, signup_hour, bookings)
select
    b.customer_id,
    date_trunc('hour', b.created_at, 'UTC') as hour,
    date_trunc('hour', u.created_at, 'UTC') as signup_hour,
    count(*) as bookings
from app.bookings as b
inner join app.users as u on b.customer_id = u.id
where
    u.role = 'customer'
    and b.status <> 'expired'
    and b.created_at >= u.created_at - interval '8 days'
    and b.created_at < u.created_at + interval '190 days'
group by b.customer_id, date_trunc('hour', b.created_at, 'UTC'), date_trunc('hour', u.created_at, 'UTC');

insert into app.analytics_provider_places (provider_id, lat, lng, grid_cell, area_slug, area_name_en, area_name_fr)
select
    p.id,
    p.lat,
    p.lng,
    format('%s,%s', floor(p.lat::numeric / 0.02) * 0.02, floor(p.lng::numeric / 0.02) * 0.02) as grid_cell,
    a.slug,
    a.name_en,
    a.name_fr
from app.providers as p
left join lateral (
    select
        a.slug,
        a.name_en,
        a.name_fr
    from app.areas as a
    where extensions.st_covers(a.boundary, p.location::extensions.geometry)
    order by a.slug
    limit 1
) as a on true;

-- migrate:down
-- the triggers name functions that read these tables (db/functions/81_analytics_audience.sql);
-- deploy recreates them
drop trigger if exists _510_analytics_cohort on app.bookings;
drop trigger if exists _510_analytics_cohort_update on app.bookings;
drop trigger if exists _510_analytics_cohort_user on app.users;
drop trigger if exists _510_analytics_place_insert on app.providers;
drop trigger if exists _510_analytics_place_update on app.providers;
drop trigger if exists _510_analytics_place_areas on app.areas;
-- the declarative views over bookings, users, providers and areas (81 too) would hold back
-- the earlier migrations' down steps (app.areas's first); deploy recreates them
drop view if exists internal.analytics_live_places;
drop view if exists internal.analytics_live_customer_hours;
drop table app.analytics_provider_places cascade;
drop table app.analytics_customer_hours cascade;
