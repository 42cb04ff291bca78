-- migrate:up
-- Rollups per area for api.analytics_areas (docs/performance.md, "Session 14"): it summed every
-- provider's hourly rows over the range and placed each provider (2.1 s at 100,000 providers).
--
-- app.analytics_area_hours, app.analytics_area_days: per UTC hour (day), grid cell of the
--   default size (0.02 degrees), neighbourhood ('other' outside every one), category and
--   currency, the figures of the bookings whose providers are placed there now. Folded by
--   internal.analytics_compact from app.analytics_deltas, which now carry the place of the
--   provider each difference came from (read under a shared per-provider advisory lock); a
--   provider that moves (or an area redrawn) takes that lock exclusively and appends deltas that
--   take its whole history out of the old place and into the new one (81_analytics_audience.sql).
--   A range of local days reads its whole UTC days here and its edge hours from the hourly table.
--
-- Deltas already waiting here have no place: they are counted by the backfill below (it sums the
-- providers' rollups, which include them) and left out of the areas' fold.
alter table app.analytics_deltas
add column grid_cell text,
add column area_slug text;
comment on column app.analytics_deltas.grid_cell is
'The grid cell (0.02 degrees) where the difference''s provider is placed (app.analytics_provider_places); '
'null: no place (the difference counts in no area).';
comment on column app.analytics_deltas.area_slug is
'The neighbourhood where the difference''s provider is placed; null: none ("other").';

create table app.analytics_area_hours (
    hour timestamptz not null,
    grid_cell text not null,
    area_slug text not null,
    category_id integer not null,
    currency text not null,
    bookings bigint not null default 0,
    completed bigint not null default 0,
    no_show bigint not null default 0,
    cancelled bigint not null default 0,
    booked_cents bigint not null default 0,
    captured_cents bigint not null default 0,
    refunded_cents bigint not null default 0,
    fees_kept_cents bigint not null default 0,
    outstanding_cents bigint not null default 0,
    constraint analytics_area_hours_pkey primary key (hour, grid_cell, area_slug, category_id, currency)
);
comment on table app.analytics_area_hours is
'Rollup per UTC start hour, grid cell (0.02 degrees), neighbourhood (''other'': none), category and currency of '
'the bookings of the providers placed there now (folded from app.analytics_deltas).';

create table app.analytics_area_days (
    day date not null,
    grid_cell text not null,
    area_slug text not null,
    category_id integer not null,
    currency text not null,
    bookings bigint not null default 0,
    completed bigint not null default 0,
    no_show bigint not null default 0,
    cancelled bigint not null default 0,
    booked_cents bigint not null default 0,
    captured_cents bigint not null default 0,
    refunded_cents bigint not null default 0,
    fees_kept_cents bigint not null default 0,
    outstanding_cents bigint not null default 0,
    constraint analytics_area_days_pkey primary key (day, grid_cell, area_slug, category_id, currency)
);
comment on table app.analytics_area_days is
'Rollup per UTC start day, grid cell (0.02 degrees), neighbourhood (''other'': none), category and currency of '
'the bookings of the providers placed there now (folded from app.analytics_deltas).';

insert into app.analytics_area_hours (
    hour, grid_cell, area_slug, category_id, currency, bookings, completed, no_show, cancelled,
    booked_cents, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents
)
select
    h.hour,
    pl.grid_cell,
    coalesce(pl.area_slug, 'other') as area_slug,
    h.category_id,
    h.currency,
    sum(h.bookings) as bookings,
    coalesce(sum(h.bookings) filter (where h.status = 'completed'), 0) as completed,
    coalesce(sum(h.bookings) filter (where h.status = 'no_show'), 0) as no_show,
    coalesce(sum(h.bookings) filter (where h.status = 'cancelled'), 0) as cancelled,
    sum(h.booked_cents) as booked_cents,
    sum(h.captured_cents) as captured_cents,
    sum(h.refunded_cents) as refunded_cents,
    sum(h.fees_kept_cents) as fees_kept_cents,
    sum(h.outstanding_cents) as outstanding_cents
from app.analytics_provider_hours as h
inner join app.analytics_provider_places as pl on h.provider_id = pl.provider_id
group by h.hour, pl.grid_cell, coalesce(pl.area_slug, 'other'), h.category_id, h.currency;

insert into app.analytics_area_days (
    day, grid_cell, area_slug, category_id, currency, bookings, completed, no_show, cancelled,
    booked_cents, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents
)
select
    (h.hour at time zone 'UTC')::date as day,
    h.grid_cell,
    h.area_slug,
    h.category_id,
    h.currency,
    sum(h.bookings) as bookings,
    sum(h.completed) as completed,
    sum(h.no_show) as no_show,
    sum(h.cancelled) as cancelled,
    sum(h.booked_cents) as booked_cents,
    sum(h.captured_cents) as captured_cents,
    sum(h.refunded_cents) as refunded_cents,
    sum(h.fees_kept_cents) as fees_kept_cents,
    sum(h.outstanding_cents) as outstanding_cents
from app.analytics_area_hours as h
group by (h.hour at time zone 'UTC')::date, h.grid_cell, h.area_slug, h.category_id, h.currency;

analyze app.analytics_area_hours, app.analytics_area_days;

-- migrate:down
drop table app.analytics_area_days;
drop table app.analytics_area_hours;
alter table app.analytics_deltas drop column area_slug, drop column grid_cell;
