-- migrate:up
-- The figures per area (api.analytics_areas) summed a daily row per area, category and currency
-- for each whole UTC day of their range: 13,554 rows for a month at 10,000 providers with a year
-- of bookings (the grid), ~15 ms of the read's ~19. A month is mostly whole weeks: the rows are
-- now also folded per UTC week (starting on Monday), and a read takes the whole weeks of its
-- range from app.analytics_area_weeks, the whole days around them from app.analytics_area_days,
-- and the hours at its edges from app.analytics_area_hours (80_analytics_rollups.sql folds the
-- deltas into all three, 83_analytics_performance.sql reads them).
create table app.analytics_area_weeks (
    kind text not null,
    week date not null,
    area text not null,
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
    constraint analytics_area_weeks_pkey primary key (kind, week, area, category_id, currency),
    constraint analytics_area_weeks_kind_check check (kind in ('grid', 'neighbourhood')),
    constraint analytics_area_weeks_week_check check (extract(isodow from week) = 1)
);
comment on table app.analytics_area_weeks is
'Rollup per area kind (grid: cells of 0.02 degrees; neighbourhood: app.areas, ''other'' outside every one), UTC '
'start week (its Monday), area, category and currency of the bookings of the providers placed there now (folded '
'from app.analytics_deltas).';
comment on column app.analytics_area_weeks.area is
'The grid cell (''lat,lng'' of its south-west corner) or the neighbourhood''s slug (''other'': none), by kind.';

insert into app.analytics_area_weeks (
    kind, week, area, category_id, currency, bookings, completed, no_show, cancelled,
    booked_cents, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents
)
select
    d.kind,
    date_trunc('week', d.day)::date as week,
    d.area,
    d.category_id,
    d.currency,
    sum(d.bookings) as bookings,
    sum(d.completed) as completed,
    sum(d.no_show) as no_show,
    sum(d.cancelled) as cancelled,
    sum(d.booked_cents) as booked_cents,
    sum(d.captured_cents) as captured_cents,
    sum(d.refunded_cents) as refunded_cents,
    sum(d.fees_kept_cents) as fees_kept_cents,
    sum(d.outstanding_cents) as outstanding_cents
from app.analytics_area_days as d
group by d.kind, date_trunc('week', d.day)::date, d.area, d.category_id, d.currency
order by d.kind, week, d.area, d.category_id, d.currency;

analyze app.analytics_area_weeks;

-- migrate:down
drop table app.analytics_area_weeks;
