-- migrate:up
-- Offered time kept per provider and local day (docs/analytics.md#provider-performance), so
-- that api.analytics_performance no longer turns every provider's weekly hours and time off
-- into ranges, day by day, on every call.
--
-- app.analytics_offered_days: for each provider and each of its local days inside a window
-- around today (app.analytics_offered_window, one row), the instants it is open that day
-- (its weekly hours of that day of the week, in its own zone, minus its time off) and how
-- many seconds they last. Kept exact by statement triggers on app.weekly_hours and
-- app.time_off and a row trigger on the provider's time zone (db/functions/
-- 80_analytics_rollups.sql); the worker moves the window forward after each sweep
-- (internal.analytics_offered_advance). A day outside the window is counted live from the
-- same definition, so the figures do not depend on it. A day with nothing offered has no row.
--
-- Backfilled here for the window around the migration's day, with the definition the
-- functions use (internal.analytics_offered_live): from then on the triggers keep it.
create table app.analytics_offered_window (
    id boolean primary key default true,
    first_day date not null,
    last_day date not null,
    constraint analytics_offered_window_id_check check (id),
    constraint analytics_offered_window_days_check check (first_day <= last_day + 1)
);
comment on table app.analytics_offered_window is
'The local days [first_day, last_day] for which app.analytics_offered_days is kept (one row).';

create table app.analytics_offered_days (
    provider_id uuid not null references app.providers (id) on delete cascade,
    day date not null,
    offered tstzmultirange not null,
    offered_seconds numeric not null,
    constraint analytics_offered_days_pkey primary key (provider_id, day)
);
comment on table app.analytics_offered_days is
'Derived: the instants each provider is open on each of its local days of the kept window (weekly hours minus '
'time off, in its zone) and their length in seconds; no row when nothing is offered.';

insert into app.analytics_offered_window (first_day, last_day)
values ((now() at time zone 'UTC')::date - 62, (now() at time zone 'UTC')::date + 62);

insert into app.analytics_offered_days (provider_id, day, offered, offered_seconds)
select
    x.provider_id,
    x.day,
    x.offered,
    s.seconds
from (
    select
        p.id as provider_id,
        d.day::date as day,
        range_agg(tstzrange((d.day + h.start_time) at time zone p.time_zone, (d.day + h.end_time) at time zone p.time_zone))
        - coalesce((
            select range_agg(t.during)
            from app.time_off as t
            where
                t.provider_id = p.id
                and t.during && tstzrange(d.day at time zone p.time_zone, (d.day + interval '1 day') at time zone p.time_zone)
        ), '{}') as offered
    from app.providers as p
    cross join app.analytics_offered_window as w
    cross join generate_series(w.first_day::timestamp, w.last_day::timestamp, interval '1 day') as d (day)
    inner join app.weekly_hours as h on p.id = h.provider_id and h.day_of_week = extract(dow from d.day)
    group by p.id, d.day
) as x
cross join
    lateral (
        select coalesce(sum(extract(epoch from upper(r) - lower(r))), 0) as seconds
        from unnest(x.offered) as r
    ) as s
where not isempty(x.offered);

-- migrate:down
-- the triggers name functions that read these tables (db/functions/80_analytics_rollups.sql);
-- deploy recreates them
drop trigger if exists _510_analytics_insert on app.weekly_hours;
drop trigger if exists _510_analytics_update on app.weekly_hours;
drop trigger if exists _510_analytics_insert on app.time_off;
drop trigger if exists _510_analytics_update on app.time_off;
drop trigger if exists _510_analytics_zone on app.providers;
drop table app.analytics_offered_days cascade;
drop table app.analytics_offered_window cascade;
