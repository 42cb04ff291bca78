-- Availability: when can a service be booked?
--
-- Working time is the provider's weekly hours expanded day by day in the
-- provider's own time zone ((local date + local time) at time zone tz, so a
-- 09:00 opening stays 09:00 across DST changes), merged into a multirange.
-- Busy time is time off plus live bookings' blocked ranges (appointment plus
-- buffers). A pending_payment booking whose hold has expired is not live.
-- A slot is bookable when [start - buffer_before, end + buffer_after) lies
-- inside working time and touches no busy time, and its start respects the
-- service's minimum notice and maximum days ahead.
--
-- The functions take the current time as a parameter (p_now) so tests can ask
-- about any date; the api functions pass now().

-- working_ranges and slot_is_free are PL/pgSQL, not SQL: a SQL function with
-- a SET is never inlined and is planned again for every statement that calls
-- it (once per quote, ~20 free-slot checks each); PL/pgSQL keeps its plan for
-- the session (docs/performance.md, issue 24).
create or replace function internal.working_ranges(
    p_provider_id uuid,
    p_time_zone text,
    p_within tstzrange
)
returns tstzmultirange
language plpgsql
stable
set search_path = ''
as $$
begin
    return (
        -- Every local day that can touch p_within (the day before included: an
        -- interval ending at 24:00 runs into the next day).
        select coalesce(pg_catalog.range_agg(w.r), '{}'::pg_catalog.tstzmultirange)
        from (
            select pg_catalog.tstzrange(
                (d.day + h.start_time) at time zone p_time_zone,
                (d.day + h.end_time) at time zone p_time_zone
            ) as r
            from pg_catalog.generate_series(
                0,
                (pg_catalog.upper(p_within) at time zone p_time_zone)::date
                - (pg_catalog.lower(p_within) at time zone p_time_zone)::date + 1
            ) as g (i)
            cross join lateral (
                select (pg_catalog.lower(p_within) at time zone p_time_zone)::date - 1 + g.i as day
            ) as d
            inner join app.weekly_hours as h
                on
                    h.provider_id = p_provider_id
                    and h.day_of_week = extract(dow from d.day)
            -- a local interval inside a spring-forward gap can map backwards: skip it
            where
                (d.day + h.start_time) at time zone p_time_zone
                < (d.day + h.end_time) at time zone p_time_zone
        ) as w
    );
end
$$;
comment on function internal.working_ranges(uuid, text, tstzrange) is
'The provider''s working time, as absolute ranges, over the local days that can touch p_within.';

create or replace function internal.busy_ranges(
    p_provider_id uuid,
    p_within tstzrange,
    p_now timestamptz
)
returns tstzmultirange
language sql
stable
set search_path = ''
as $$
    select coalesce(pg_catalog.range_agg(b.r), '{}'::pg_catalog.tstzmultirange)
    from (
        select t.during as r
        from app.time_off as t
        where t.provider_id = p_provider_id and t.during && p_within
        union all
        select k.blocked
        from app.bookings as k
        where
            k.provider_id = p_provider_id
            and k.blocked && p_within
            and k.status in ('pending_payment', 'confirmed')
            and (k.status = 'confirmed' or k.hold_expires_at is null or k.hold_expires_at >= p_now)
    ) as b
$$;
comment on function internal.busy_ranges(uuid, tstzrange, timestamptz) is
'Time off and live bookings (blocked ranges; expired holds excluded) of a provider that overlap p_within.';

create or replace function internal.slot_is_free(
    p_provider_id uuid,
    p_time_zone text,
    p_blocked tstzrange,
    p_now timestamptz
)
returns boolean
language plpgsql
stable
set search_path = ''
as $$
begin
    return (
        -- Working time, cheaply first: one interval of the start's local day (or
        -- the day before, for zones that change clocks at midnight) that holds the
        -- whole slot settles it, no interval holding the start rules it out; only a slot that runs from one interval into the next (09:00-12:00
        -- then 12:00-17:00) needs the merged working time.
        select
            case
                when exists (
                    select
                    from app.weekly_hours as h
                    cross join lateral (
                        select (pg_catalog.lower(p_blocked) at time zone p_time_zone)::date - g.i as day
                        from pg_catalog.generate_series(0, 1) as g (i)
                    ) as d
                    where
                        h.provider_id = p_provider_id
                        and h.day_of_week = extract(dow from d.day)
                        and (d.day + h.start_time) at time zone p_time_zone <= pg_catalog.lower(p_blocked)
                        and (d.day + h.end_time) at time zone p_time_zone >= pg_catalog.upper(p_blocked)
                ) then true
                when not exists (
                    select
                    from app.weekly_hours as h
                    cross join lateral (
                        select (pg_catalog.lower(p_blocked) at time zone p_time_zone)::date - g.i as day
                        from pg_catalog.generate_series(0, 1) as g (i)
                    ) as d
                    where
                        h.provider_id = p_provider_id
                        and h.day_of_week = extract(dow from d.day)
                        and (d.day + h.start_time) at time zone p_time_zone <= pg_catalog.lower(p_blocked)
                        and (d.day + h.end_time) at time zone p_time_zone > pg_catalog.lower(p_blocked)
                ) then false
                else internal.working_ranges(p_provider_id, p_time_zone, p_blocked) @> p_blocked
            end
            and not exists (
                select
                from app.time_off as t
                where t.provider_id = p_provider_id and t.during && p_blocked
            )
            and not exists (
                select
                from app.bookings as k
                where
                    k.provider_id = p_provider_id
                    and k.blocked && p_blocked
                    and k.status in ('pending_payment', 'confirmed')
                    and (k.status = 'confirmed' or k.hold_expires_at is null or k.hold_expires_at >= p_now)
            )
    );
end
$$;
-- internal.find_offers (40_quote.sql) runs this same query inside its candidate
-- cursor, row by row, instead of calling the function: change both together.
comment on function internal.slot_is_free(uuid, text, tstzrange, timestamptz) is
'Whether p_blocked (a slot plus its buffers) lies in working time and touches no time off or live booking.';

create or replace function internal.service_slots(
    p_service_id uuid,
    p_from timestamptz,
    p_to timestamptz,
    p_step_minutes integer,
    p_now timestamptz
)
returns table (starts_at timestamptz, ends_at timestamptz)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_provider_id uuid;
    v_time_zone text;
    v_duration interval;
    v_before interval;
    v_after interval;
    v_earliest timestamptz;
    v_latest timestamptz;
    v_span tstzrange;
begin
    perform internal.require(p_service_id, 'service_id');
    perform internal.require_time(p_from, 'from');
    perform internal.require_time(p_to, 'to');
    if p_to <= p_from then
        perform internal.fail('invalid_input', 'to must be after from');
    end if;
    if p_to - p_from > interval '31 days' then
        perform internal.fail('invalid_input', 'from and to must be at most 31 days apart');
    end if;
    if p_step_minutes is null or not p_step_minutes between 5 and 240 then
        perform internal.fail('invalid_input', 'step_minutes must be between 5 and 240');
    end if;
    -- The work is one candidate start per step: bound their number, not only the
    -- range (31 days at 5 minutes is 8,928 candidates, 31 days at 15 is 2,976).
    if extract(epoch from p_to - p_from) / 60 / p_step_minutes > 3000 then
        perform internal.fail(
            'too_costly',
            pg_catalog.format(
                'from and to at step_minutes %s give %s candidate starts, over the limit of 3000: '
                'narrow the range or raise step_minutes',
                p_step_minutes,
                pg_catalog.ceil(extract(epoch from p_to - p_from) / 60 / p_step_minutes)
            )
        );
    end if;

    select
        p.id,
        p.time_zone,
        pg_catalog.make_interval(mins => s.duration_minutes),
        pg_catalog.make_interval(mins => s.buffer_before_minutes),
        pg_catalog.make_interval(mins => s.buffer_after_minutes),
        greatest(p_from, p_now + pg_catalog.make_interval(mins => s.min_notice_minutes)),
        p_now + pg_catalog.make_interval(days => s.max_days_ahead)
    into v_provider_id, v_time_zone, v_duration, v_before, v_after, v_earliest, v_latest
    from app.services as s
    inner join app.providers as p on s.provider_id = p.id
    where s.id = p_service_id and s.is_active and p.is_active;
    if not found then
        perform internal.fail('not_found', 'no active service with this service_id');
    end if;

    v_span := pg_catalog.tstzrange(p_from - v_before, p_to + v_duration + v_after);
    return query
    with
    work as (
        select internal.working_ranges(v_provider_id, v_time_zone, v_span) as m
    ),

    free as (
        select w.m - internal.busy_ranges(v_provider_id, v_span, p_now) as m
        from work as w
    )

    -- Candidate starts step through each working stretch from its opening
    -- (plus the buffer before), so slots sit at the same times whatever is booked.
    select g.t, g.t + v_duration
    from work as w
    cross join free as f
    cross join lateral pg_catalog.unnest(w.m) as u (r)
    cross join lateral pg_catalog.generate_series(
        pg_catalog.lower(u.r) + v_before,
        pg_catalog.upper(u.r) - v_duration - v_after,
        pg_catalog.make_interval(mins => p_step_minutes)
    ) as g (t)
    where
        g.t >= v_earliest
        and g.t < p_to
        and g.t <= v_latest
        and f.m @> pg_catalog.tstzrange(g.t - v_before, g.t + v_duration + v_after)
    order by g.t;
end
$$;
comment on function internal.service_slots(uuid, timestamptz, timestamptz, integer, timestamptz) is
$$Bookable start times of a service in [p_from, p_to), as seen at p_now.
Definer: availability must see every booking and time off of the provider,
which the caller (anonymous or a customer) may not read.$$;

create or replace function api.available_slots(
    service_id uuid default null,
    "from" timestamptz default null,
    "to" timestamptz default null,
    step_minutes integer default 15
)
returns table (starts_at timestamptz, ends_at timestamptz)
language sql
stable
set search_path = ''
as $$
    select s.starts_at, s.ends_at
    from internal.service_slots(
        available_slots.service_id,
        available_slots."from",
        available_slots."to",
        available_slots.step_minutes,
        pg_catalog.now()
    ) as s
$$;
comment on function api.available_slots(uuid, timestamptz, timestamptz, integer) is
$$Bookable start times of an active service between from and to.

Weekly hours are expanded in the provider's own time zone (DST-correct), minus
time off, live bookings and unexpired holds (with their buffers); the whole slot
plus the service's buffers fits inside working hours, and the start respects the
minimum notice and the maximum days ahead. Starts step by step_minutes (5 to 240,
default 15) from the opening of each working stretch.

Errors: 400 invalid_input when to <= from, the range exceeds 31 days, or a
parameter is missing or out of range; 400 too_costly when the range holds more
than 3000 steps (31 days at 15 minutes is 2,976); 404 not_found for an unknown or inactive
service. Open to everyone. GET /rpc/available_slots?service_id=...&from=...&to=...$$;
