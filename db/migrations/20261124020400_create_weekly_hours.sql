-- migrate:up
-- A provider's recurring working hours: local wall-clock intervals per day of
-- week (0 = Sunday, as extract(dow)), in the provider's own time zone, so a
-- 09:00 opening stays 09:00 across DST changes. Several intervals per day are
-- allowed (a lunch break); overlapping ones are refused by an exclusion
-- constraint. An interval ends at most at 24:00 of its own day.
create table app.weekly_hours (
    id uuid primary key default extensions.gen_random_uuid(),
    provider_id uuid not null references app.providers (id) on delete cascade,
    day_of_week smallint not null,
    start_time time not null,
    end_time time not null,
    created_at timestamptz not null default now(),
    constraint weekly_hours_day_of_week_check check (day_of_week between 0 and 6),
    constraint weekly_hours_end_time_check check (end_time > start_time),
    -- the leading provider_id of this GiST index also serves the foreign key
    constraint weekly_hours_provider_id_day_of_week_excl exclude using gist (
        provider_id with =,
        day_of_week with =,
        tsrange(date '2000-01-01' + start_time, date '2000-01-01' + end_time) with &&
    )
);
comment on table app.weekly_hours is
'Recurring working hours: day of week (0 = Sunday) and local start/end time in the provider''s time zone.';

-- migrate:down
-- cascade: the declarative api views (and functions returning their rows)
-- depend on the table; deploy recreates them.
drop table app.weekly_hours cascade;
