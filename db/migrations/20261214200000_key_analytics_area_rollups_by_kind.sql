-- migrate:up
-- The rollups per area were keyed by both places at once (grid cell and neighbourhood), so a
-- read of either kind summed a row per cell x neighbourhood pair: 11,382 daily rows for a month
-- at 10,000 providers, where the grid alone has 6,444 and the neighbourhoods 3,543
-- (api.analytics_areas: ~15 ms of a p99 of 65). Each row now belongs to one kind (grid: the
-- 0.02-degree cell; neighbourhood: the slug, 'other' outside every one) and the key starts with
-- the kind, so a read takes its kind's rows in one index range. The fold, the move and the
-- rebuild write each difference under both kinds (80_analytics_rollups.sql).
alter table app.analytics_area_hours rename to analytics_area_hours_placed;
alter table app.analytics_area_hours_placed rename constraint analytics_area_hours_pkey to analytics_area_hours_placed_pkey;
alter table app.analytics_area_days rename to analytics_area_days_placed;
alter table app.analytics_area_days_placed rename constraint analytics_area_days_pkey to analytics_area_days_placed_pkey;

create table app.analytics_area_hours (
    kind text not null,
    hour timestamptz not null,
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
    constraint analytics_area_hours_pkey primary key (kind, hour, area, category_id, currency),
    constraint analytics_area_hours_kind_check check (kind in ('grid', 'neighbourhood'))
);
comment on table app.analytics_area_hours is
'Rollup per area kind (grid: cells of 0.02 degrees; neighbourhood: app.areas, ''other'' outside every one), UTC '
'start hour, area, category and currency of the bookings of the providers placed there now (folded from '
'app.analytics_deltas).';
comment on column app.analytics_area_hours.area is
'The grid cell (''lat,lng'' of its south-west corner) or the neighbourhood''s slug (''other'': none), by kind.';

create table app.analytics_area_days (
    kind text not null,
    day date not null,
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
    constraint analytics_area_days_pkey primary key (kind, day, area, category_id, currency),
    constraint analytics_area_days_kind_check check (kind in ('grid', 'neighbourhood'))
);
comment on table app.analytics_area_days is
'Rollup per area kind (grid: cells of 0.02 degrees; neighbourhood: app.areas, ''other'' outside every one), UTC '
'start day, area, category and currency of the bookings of the providers placed there now (folded from '
'app.analytics_deltas).';
comment on column app.analytics_area_days.area is
'The grid cell (''lat,lng'' of its south-west corner) or the neighbourhood''s slug (''other'': none), by kind.';

-- each old row under both kinds, summed per new key (hours, then days)
do $$
declare
    v_table text;
    v_time text;
begin
    for v_table, v_time in values ('analytics_area_hours', 'hour'), ('analytics_area_days', 'day') loop
        execute format(
            'insert into app.%1$I (kind, %2$I, area, category_id, currency, bookings, completed, no_show, '
            'cancelled, booked_cents, captured_cents, refunded_cents, fees_kept_cents, outstanding_cents) '
            'select g.kind, o.%2$I, case g.kind when ''grid'' then o.grid_cell else o.area_slug end, '
            'o.category_id, o.currency, sum(o.bookings), sum(o.completed), sum(o.no_show), sum(o.cancelled), '
            'sum(o.booked_cents), sum(o.captured_cents), sum(o.refunded_cents), sum(o.fees_kept_cents), '
            'sum(o.outstanding_cents) '
            'from app.%3$I as o cross join (values (''grid''), (''neighbourhood'')) as g (kind) '
            'group by 1, 2, 3, 4, 5',
            v_table, v_time, v_table || '_placed'
        );
    end loop;
end
$$;

drop table app.analytics_area_hours_placed;
drop table app.analytics_area_days_placed;
analyze app.analytics_area_hours, app.analytics_area_days;

-- migrate:down
-- The rows by kind cannot be paired back into cell x neighbourhood: the down migration leaves
-- the tables empty in the old shape; internal.analytics_rebuild() refills them.
drop table app.analytics_area_days;
drop table app.analytics_area_hours;
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
