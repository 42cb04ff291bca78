-- Provider performance, areas and refunds by reason (docs/analytics.md).
--
--   internal.analytics_cell           checks a grid cell size; an area's name
--   internal.refund_reason_kind       a refund's reason, classified (the reason itself is free text)
--   internal.analytics_performance    per provider: utilisation (booked / offered minutes), rates,
--                                     repeat customers, rating and its trend, money
--   api.analytics_performance         ops (every provider, or one) and a provider (its own)
--   internal.analytics_place          each provider's area: its grid cell, or the neighbourhood
--                                     (app.areas) whose polygon covers it, else "other", from
--                                     the places kept on write (app.analytics_provider_places)
--   internal.analytics_area_figures   the rollups per area (definer: ops)
--                                     another cell size: the rollups per provider summed per area
--   api.analytics_areas               ops: the rollups per grid cell or neighbourhood of the
--                                     providers' locations
--   api.analytics_refunds             refunds per bucket, reason, status and currency
--
-- Performance over a bounded range (one provider: 366 days; every provider: 31), a page of
-- providers at a time: offered time from the kept offered days (app.analytics_offered_days,
-- 80_analytics_rollups.sql; live outside their window), counts and money from the hourly
-- rollups (from the bookings for a zone whose midnights are not whole UTC hours), booked
-- minutes and customers from the bookings that occupy offered time. Areas read the rollups (analytics_provider_hours) joined with
-- the providers' current places (app.analytics_provider_places: located and placed in a
-- neighbourhood when the provider is created or moves, 81_analytics_audience.sql), so a
-- provider that moves takes its figures with it and no polygon is searched on a read.

-- analytics_areas took no area_kind and returned no area names before; it returned the providers
-- with bookings in each area until the rollups per area (a count no rollup can sum over a range)
drop function if exists api.analytics_areas(date, date, text, numeric, text);
drop function if exists api.analytics_areas(date, date, text, numeric, text, text);
drop function if exists internal.analytics_area_figures(timestamptz, timestamptz, integer, text, numeric);
-- merged back into internal.analytics_area_figures (its other cell sizes)
drop function if exists internal.analytics_area_figures_scan(timestamptz, timestamptz, integer, numeric);
-- analytics_performance was not paged and had no provider-caused cancellations before
drop function if exists api.analytics_performance(date, date, uuid, numeric);
drop function if exists internal.analytics_performance(uuid, date, date, numeric);

-- the booked minutes are a sub-select of the performance read (a language sql function with SET
-- cost ~10 us a provider more, called once a provider)
drop function if exists internal.analytics_minutes(tstzmultirange);

-- A grid cell's size in degrees, checked, and the name of the cell holding a point:
-- its south-west corner, "lat,lng" (0.02 degrees is about 2.2 x 1.6 km in Montreal,
-- the size of one neighbourhood of the demo data).
create or replace function internal.analytics_cell(p_cell numeric)
returns numeric
language plpgsql
immutable
set search_path = ''
as $$
begin
    if p_cell is null or p_cell < 0.005 or p_cell > 1 then
        perform internal.fail('invalid_input', 'cell_deg must be a number of degrees from 0.005 to 1');
    end if;
    return p_cell;
end
$$;
comment on function internal.analytics_cell(numeric) is
'Check a grid cell size (degrees, 0.005 to 1) for the area figures.';

create or replace function internal.analytics_area(p_lat double precision, p_lng double precision, p_cell numeric)
returns text
language sql
immutable
set search_path = ''
as $$
    select pg_catalog.format(
        '%s,%s',
        pg_catalog.floor(p_lat::numeric / p_cell) * p_cell,
        pg_catalog.floor(p_lng::numeric / p_cell) * p_cell
    )
$$;
comment on function internal.analytics_area(double precision, double precision, numeric) is
'The grid cell holding a point, named by its south-west corner ("lat,lng"), for cells of p_cell degrees.';

-- What a refund was for. The ledger keeps its reason as text written by the one
-- place that asked for it (docs/analytics.md lists them), and who asked.
create or replace function internal.refund_reason_kind(p_requested_role text, p_reason text)
returns text
language sql
immutable
set search_path = ''
as $$
    select case
        when p_reason like 'cancelled by customer:%' then 'customer_cancellation'
        when p_reason like 'cancelled by provider:%' then 'provider_cancellation'
        when p_reason like 'cancelled by ops:%' then 'ops_cancellation'
        when p_requested_role = 'system' and p_reason like 'payment arrived after%' then 'late_payment'
        when p_requested_role = 'system' and p_reason like 'the payment did not match%' then 'payment_mismatch'
        when p_requested_role = 'ops' then 'ops_refund'
        else 'other'
    end
$$;
comment on function internal.refund_reason_kind(text, text) is
'A refund''s reason, classified: customer_cancellation, provider_cancellation, ops_cancellation, late_payment, '
'payment_mismatch, ops_refund (a refund ops made without cancelling), other.';

-- Per provider over its local days [from, to] (each provider in its own zone), one page of
-- providers in id order: the providers after p_after_id, at most p_page_size of them. Every
-- figure below is per provider, so the work grows with the page, not with the marketplace.
create or replace function internal.analytics_performance(
    p_provider_id uuid, p_from date, p_to date, p_cell numeric, p_after_id uuid, p_page_size integer
)
returns table (
    provider_id uuid,
    business_name text,
    time_zone text,
    area text,
    offered_minutes bigint,
    booked_minutes bigint,
    utilisation numeric,
    bookings bigint,
    completed bigint,
    no_show bigint,
    cancelled bigint,
    cancellation_rate numeric,
    provider_cancelled bigint,
    provider_cancellation_rate numeric,
    no_show_rate numeric,
    customers bigint,
    repeat_customers bigint,
    repeat_customer_share numeric,
    reviews bigint,
    rating_avg numeric,
    previous_reviews bigint,
    previous_rating_avg numeric,
    rating_change numeric,
    captured_cents bigint,
    refunded_cents bigint,
    net_cents bigint
)
language plpgsql
stable
set search_path = ''
-- Planned with this call's values for a page of more than 100 providers (the generic plan read
-- a page of 1,000 in 420-450 ms where the plan for the call takes 130-180 at 10,000 providers);
-- a kept generic plan for a page of up to 100, which one provider's read is: planned per call,
-- the plan cost 2-3 ms, more than the read for a day (one provider, 331 days: 18-24 -> 11-16 ms;
-- one day: 8-9 -> 1.6-2 ms; ops' page of 100 over 31 days: no worse). The mode is set for
-- this call only: a SET clause confines a SET LOCAL in the function to the function.
set plan_cache_mode = force_custom_plan
as $$
#variable_conflict use_column
begin
    if p_page_size <= 100 then
        perform pg_catalog.set_config('plan_cache_mode', 'force_generic_plan', true);
    end if;
    return query
    with p as (
        select
            p.id, p.business_name, p.time_zone, p.lat, p.lng,
            p_from::timestamp at time zone p.time_zone as from_ts,
            (p_to + 1)::timestamp at time zone p.time_zone as to_ts,
            (p_from - (p_to - p_from + 1))::timestamp at time zone p.time_zone as previous_ts
        from app.providers as p
        where (p_provider_id is null or p.id = p_provider_id) and (p_after_id is null or p.id > p_after_id)
        order by p.id
        limit p_page_size
    ),
    -- the rollups hold UTC hours: a provider's range is whole hours of them when its local
    -- midnights at both ends are whole UTC hours (every zone with whole-hour offsets)
    a as (
        select
            p.*,
            pg_catalog.date_trunc('hour', p.from_ts, 'UTC') = p.from_ts
            and pg_catalog.date_trunc('hour', p.to_ts, 'UTC') = p.to_ts as aligned
        from p
    ),
    -- offered time: kept per provider and local day (internal.analytics_offered), not built
    -- from weekly hours and time off here
    offered as (
        select o.provider_id as id, pg_catalog.range_agg(o.offered) as ranges, pg_catalog.sum(o.offered_seconds) as seconds
        from internal.analytics_offered(array(select p.id from p), p_from, p_to) as o
        group by o.provider_id
    ),
    -- the bookings that occupy offered time (and make customers); every status only where
    -- the rollups cannot give the counts (a zone whose midnights are not whole UTC hours).
    -- Two branches, so that the first reads the counted bookings' own index
    -- (bookings_counted_provider_id_starts_at_idx), not every hold that lapsed
    b as (
        select a.id as pid, a.from_ts, a.aligned, b.id, b.customer_id, b.status, b.during
        from a
        inner join app.bookings as b
            on b.provider_id = a.id and pg_catalog.lower(b.during) >= a.from_ts
            and pg_catalog.lower(b.during) < a.to_ts
        where a.aligned and b.status in ('confirmed', 'completed', 'no_show')
        union all
        select a.id as pid, a.from_ts, a.aligned, b.id, b.customer_id, b.status, b.during
        from a
        inner join app.bookings as b
            on b.provider_id = a.id and pg_catalog.lower(b.during) >= a.from_ts
            and pg_catalog.lower(b.during) < a.to_ts
        where not a.aligned
    ),
    booked as (
        select b.pid as id, pg_catalog.range_agg(b.during) as ranges
        from b where b.status in ('confirmed', 'completed', 'no_show')
        group by b.pid
    ),
    -- counts, money and provider-caused cancellations: from the hourly rollups (the same
    -- figures as the bookings and payments, analytics_live_facts)
    rolled as (
        select
            a.id,
            pg_catalog.sum(h.bookings)::bigint as bookings,
            coalesce(pg_catalog.sum(h.bookings) filter (where h.status = 'completed'), 0)::bigint as completed,
            coalesce(pg_catalog.sum(h.bookings) filter (where h.status = 'no_show'), 0)::bigint as no_show,
            coalesce(pg_catalog.sum(h.bookings) filter (where h.status = 'cancelled'), 0)::bigint as cancelled,
            coalesce(
                pg_catalog.sum(h.bookings) filter (where h.status not in ('pending_payment', 'expired')), 0
            )::bigint as kept_or_cancelled,
            coalesce(pg_catalog.sum(h.cancelled_by_provider) filter (where h.status = 'cancelled'), 0)::bigint
                as provider_cancelled,
            pg_catalog.sum(h.captured_cents)::bigint as captured_cents,
            pg_catalog.sum(h.refunded_cents)::bigint as refunded_cents
        from a
        inner join app.analytics_provider_hours as h
            on h.provider_id = a.id and h.hour >= a.from_ts and h.hour < a.to_ts
        where a.aligned
        group by a.id
    ),
    -- the others, counted from the bookings and their payments and refunds
    live as (
        select
            b.pid as id,
            pg_catalog.count(*) as bookings,
            pg_catalog.count(*) filter (where b.status = 'completed') as completed,
            pg_catalog.count(*) filter (where b.status = 'no_show') as no_show,
            pg_catalog.count(*) filter (where b.status = 'cancelled') as cancelled,
            pg_catalog.count(*) filter (where b.status not in ('pending_payment', 'expired')) as kept_or_cancelled,
            null::bigint as provider_cancelled,
            coalesce(pg_catalog.sum(y.captured_cents), 0)::bigint as captured_cents,
            coalesce(pg_catalog.sum(f.refunded_cents), 0)::bigint as refunded_cents
        from b
        -- joined, not a sub-select per booking: a month of every provider is ten thousand bookings
        left join (
            select y.booking_id, pg_catalog.sum(y.captured_cents) as captured_cents
            from app.payments as y where y.booking_id in (select b.id from b where not b.aligned) group by y.booking_id
        ) as y on b.id = y.booking_id
        left join (
            select r.booking_id, pg_catalog.sum(r.amount_cents) as refunded_cents
            from app.refunds as r
            where r.status = 'succeeded' and r.booking_id in (select b.id from b where not b.aligned)
            group by r.booking_id
        ) as f on b.id = f.booking_id
        where not b.aligned
        group by b.pid
    ),
    counts as (
        select * from rolled
        union all
        select * from live
    ),
    -- a customer of the range is a repeat customer once it has booked this provider at
    -- least twice up to the end of the range (the earlier booking may be before it)
    customers as (
        select
            c.pid as id,
            pg_catalog.count(*) as customers,
            -- twice in the range, or once in it and once before it: the customer's earliest
            -- counted start with the provider (app.analytics_provider_customers, one key lookup;
            -- it was a read of the customer's bookings before the range, which the provider's
            -- row-level security could not bound by the range: the customer's whole history)
            pg_catalog.count(*) filter (where c.n >= 2 or exists (
                select
                from app.analytics_provider_customers as e
                where e.provider_id = c.pid and e.customer_id = c.customer_id and e.first_starts_at < c.from_ts
            )) as repeat_customers
        from (
            select b.pid, b.customer_id, b.from_ts, pg_catalog.count(*) as n
            from b where b.status in ('confirmed', 'completed', 'no_show')
            group by b.pid, b.customer_id, b.from_ts
        ) as c
        group by c.pid
    ),
    ratings as (
        select
            p.id,
            pg_catalog.count(*) filter (where r.created_at >= p.from_ts) as reviews,
            pg_catalog.round(pg_catalog.avg(r.stars) filter (where r.created_at >= p.from_ts), 2) as rating_avg,
            pg_catalog.count(*) filter (where r.created_at < p.from_ts) as previous_reviews,
            pg_catalog.round(pg_catalog.avg(r.stars) filter (where r.created_at < p.from_ts), 2)
                as previous_rating_avg
        from p
        inner join app.reviews as r
            on r.provider_id = p.id and r.hidden_at is null
            and r.created_at >= p.previous_ts and r.created_at < p.to_ts
        group by p.id
    ),
    -- materialized: its booked minutes (the bookings' ranges within the offered ones, whole
    -- minutes of the ranges, which never overlap) are read twice below, and inlined each read
    -- computed them again (3 of 17 ms, 100 providers)
    minutes as materialized (
        select
            p.id,
            pg_catalog.floor(coalesce(offered.seconds, 0) / 60)::bigint as offered,
            (
                select
                    coalesce(
                        pg_catalog.floor(pg_catalog.sum(extract(epoch from pg_catalog.upper(r) - pg_catalog.lower(r))) / 60),
                        0
                    )::bigint
                from pg_catalog.unnest(coalesce(booked.ranges, '{}') * coalesce(offered.ranges, '{}')) as r
            ) as booked
        from p
        left join offered on p.id = offered.id
        left join booked on p.id = booked.id
    )
    select
        a.id, a.business_name, a.time_zone, internal.analytics_area(a.lat, a.lng, p_cell),
        m.offered, m.booked,
        pg_catalog.round(m.booked::numeric / nullif(m.offered, 0), 4),
        coalesce(c.bookings, 0), coalesce(c.completed, 0), coalesce(c.no_show, 0), coalesce(c.cancelled, 0),
        pg_catalog.round(c.cancelled::numeric / nullif(c.kept_or_cancelled, 0), 4),
        case when a.aligned then coalesce(c.provider_cancelled, 0) end,
        case when a.aligned then pg_catalog.round(coalesce(c.provider_cancelled, 0)::numeric / nullif(c.kept_or_cancelled, 0), 4) end,
        pg_catalog.round(c.no_show::numeric / nullif(c.completed + c.no_show, 0), 4),
        coalesce(u.customers, 0), coalesce(u.repeat_customers, 0),
        pg_catalog.round(u.repeat_customers::numeric / nullif(u.customers, 0), 4),
        coalesce(r.reviews, 0), r.rating_avg, coalesce(r.previous_reviews, 0), r.previous_rating_avg,
        r.rating_avg - r.previous_rating_avg,
        coalesce(c.captured_cents, 0), coalesce(c.refunded_cents, 0),
        coalesce(c.captured_cents, 0) - coalesce(c.refunded_cents, 0)
    from a
    inner join minutes as m on a.id = m.id
    left join counts as c on a.id = c.id
    left join customers as u on a.id = u.id
    left join ratings as r on a.id = r.id
    order by a.id;
end
$$;
comment on function internal.analytics_performance(uuid, date, date, numeric, uuid, integer) is
'Each provider''s (or one provider''s) performance over its local days [from, to]: offered time from the kept '
'offered days, counts and money from the hourly rollups (from the bookings where the zone''s midnights are not '
'whole UTC hours), booked minutes and customers from the bookings; under the caller''s row-level security; a '
'page of providers in id order after p_after_id.';

create or replace function api.analytics_performance(
    "from" date default null,
    "to" date default null,
    provider_id uuid default null,
    cell_deg numeric default 0.02,
    after_id uuid default null,
    page_size integer default 100
)
returns table (
    provider_id uuid,
    business_name text,
    time_zone text,
    area text,
    offered_minutes bigint,
    booked_minutes bigint,
    utilisation numeric,
    bookings bigint,
    completed bigint,
    no_show bigint,
    cancelled bigint,
    cancellation_rate numeric,
    provider_cancelled bigint,
    provider_cancellation_rate numeric,
    no_show_rate numeric,
    customers bigint,
    repeat_customers bigint,
    repeat_customer_share numeric,
    reviews bigint,
    rating_avg numeric,
    previous_reviews bigint,
    previous_rating_avg numeric,
    rating_change numeric,
    captured_cents bigint,
    refunded_cents bigint,
    net_cents bigint
)
language sql
stable
set search_path = ''
as $$
    select internal.require(analytics_performance."from", 'from', 'a date, YYYY-MM-DD');
    select internal.require(analytics_performance."to", 'to', 'a date, YYYY-MM-DD');
    select internal.analytics_cell(analytics_performance.cell_deg);
    select internal.fail('invalid_input', 'page_size must be from 1 to 1000')
    where analytics_performance.page_size is null or analytics_performance.page_size not between 1 and 1000;
    -- the range checked in a statement of its own: in the query below, a join order that reads an
    -- empty side first would never call it
    select
    from internal.analytics_window(analytics_performance."from", analytics_performance."to", 'UTC', 'day',
        case when internal.analytics_subject(analytics_performance.provider_id, false) is null then 31 else 366 end);
    with subject as (
        select internal.analytics_subject(analytics_performance.provider_id, false) as id
    ),
    w as (
        select w.*
        from subject, lateral internal.analytics_window(analytics_performance."from", analytics_performance."to",
            'UTC', 'day', case when subject.id is null then 31 else 366 end) as w
    )
    select x.*
    from subject, w,
    lateral internal.analytics_performance(subject.id, analytics_performance."from", analytics_performance."to",
        analytics_performance.cell_deg, analytics_performance.after_id, analytics_performance.page_size) as x
$$;
comment on function api.analytics_performance(date, date, uuid, numeric, uuid, integer) is
$$Provider performance over local days: utilisation, cancellation and no-show rates, repeat customers, rating trend.

Inputs: from and to (local dates in each provider's own zone, both included; at most 366 days for one
provider, 31 across every provider), provider_id (a provider: omit it or give its own; ops: one provider,
or omit it for every provider), cell_deg (the grid cell of area, in degrees, 0.005 to 1; default 0.02),
page_size (1 to 1000, default 100) and after_id (paging: rows come in provider_id order; the next page
passes the last row's provider_id as after_id; a page shorter than page_size is the last).
One row per provider: area (the grid cell of its location, "lat,lng" of the south-west corner),
offered_minutes (weekly hours on each day of the range minus time off), booked_minutes (the part of
them its confirmed, completed and no-show bookings starting in the range occupy), utilisation
(booked / offered, 0-1; null with nothing offered), bookings starting in the range (every status),
completed, no_show, cancelled, cancellation_rate (cancelled / bookings that are
neither holds nor expired), provider_cancelled and provider_cancellation_rate (the cancellations the
provider made, over the same denominator; from the hourly rollups, so null for a zone whose midnights
are not whole UTC hours, such as Asia/Kolkata), no_show_rate (no_show / (completed + no_show)), customers (distinct, with a
confirmed, completed or no-show booking in the range), repeat_customers (those who booked it at least
twice up to the end of the range) and repeat_customer_share, reviews and rating_avg (published reviews
written in the range, mean stars), previous_reviews and previous_rating_avg (the as-long period just
before), rating_change (the difference), captured_cents, refunded_cents (succeeded), net_cents.
Offered time comes from the offered days kept per provider and local day, counts and money from the
hourly rollups. Accept: text/csv gives CSV. Definitions: docs/analytics.md.
Errors: 400 invalid_input naming from, to, cell_deg or page_size; 403 forbidden (another provider's id, or a
customer); 404 not_found (no such provider, or no provider profile).$$;

-- Where each of some providers is: its grid cell (named by its south-west corner) or the
-- neighbourhood whose polygon covers its location (the first by slug on a shared edge), or
-- "other" outside every polygon: read from the places kept on write. Once per provider, not
-- per row: the analytics group first.
create or replace function internal.analytics_place(p_ids uuid[], p_kind text, p_cell numeric)
returns table (provider_id uuid, area text, area_name_en text, area_name_fr text)
language sql
stable
security definer
set search_path = ''
as $$
    select
        x.provider_id,
        case
            when p_kind = 'grid' then pg_catalog.format(
                '%s,%s',
                pg_catalog.floor(x.lat::numeric / p_cell) * p_cell,
                pg_catalog.floor(x.lng::numeric / p_cell) * p_cell
            )
            else coalesce(x.area_slug, 'other')
        end,
        case when p_kind = 'neighbourhood' then x.area_name_en end,
        case when p_kind = 'neighbourhood' then x.area_name_fr end
    from (select distinct i.id from pg_catalog.unnest(p_ids) as i (id)) as i
    inner join app.analytics_provider_places as x on i.id = x.provider_id
$$;
comment on function internal.analytics_place(uuid[], text, numeric) is
'Each provider''s area: its grid cell of p_cell degrees ("lat,lng" of the south-west corner) for p_kind grid, '
'or for p_kind neighbourhood the app.areas polygon covering its location (slug and names), else "other"; '
'from app.analytics_provider_places. Definer: no API role reads the places; it says where the given providers '
'are, which their public profiles say too.';

-- Check an area kind (grid or neighbourhood).
create or replace function internal.analytics_area_kind(p_kind text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
    if p_kind is null or p_kind not in ('grid', 'neighbourhood') then
        perform internal.fail('invalid_input', 'area_kind must be grid or neighbourhood');
    end if;
    return p_kind;
end
$$;
comment on function internal.analytics_area_kind(text) is
'Check an area kind for the figures by area: grid (cells of cell_deg degrees) or neighbourhood (app.areas).';

-- The figures by area of [p_from, p_to) (of one category, or all) per area, category and
-- currency. The default grid (0.02 degrees) and the neighbourhoods: the rollups per area, the
-- kind's own rows (app.analytics_area_days for the whole UTC days of the range,
-- app.analytics_area_hours for its edge hours, and the deltas not folded yet), a few thousand
-- rows a month whatever the number of providers. Another cell size: each provider's hourly rows of the range summed, then placed by
-- its kept place (what every size took before, 2.1 s a month at 100,000 providers).
-- Definer: the places and the rollups per area are read by no API role; granted to ops for
-- api.analytics_areas (which checks the role first), and it reads every provider's rows as ops
-- would.
create or replace function internal.analytics_area_figures(
    p_from timestamptz, p_to timestamptz, p_category_id integer, p_kind text, p_cell numeric
)
returns table (
    area text,
    area_name_en text,
    area_name_fr text,
    category text,
    currency text,
    bookings bigint,
    completed bigint,
    no_show bigint,
    cancelled bigint,
    booked_cents bigint,
    captured_cents bigint,
    refunded_cents bigint,
    fees_kept_cents bigint,
    net_cents bigint,
    outstanding_cents bigint
)
language plpgsql
stable
security definer
set search_path = ''
-- planned with this call's range: the generic plan PL/pgSQL switches to after five calls took
-- ~15 ms at 100,000 providers where the plan for the call's values takes ~9 (through
-- api.analytics_areas, in psql)
set plan_cache_mode = force_custom_plan
as $$
#variable_conflict use_column
declare
    -- the whole UTC days inside the range: [v_ds, v_de); its hours outside them are edges
    v_ds timestamptz := pg_catalog.date_trunc('day', p_from - interval '1 microsecond', 'UTC') + interval '1 day';
    v_de timestamptz := pg_catalog.date_trunc('day', p_to, 'UTC');
    -- the whole UTC weeks (from Monday) inside those days: [v_ws, v_we); the days outside them
    -- are read by day
    v_ws timestamptz;
    v_we timestamptz;
    v_kind text := case when p_kind = 'neighbourhood' then 'neighbourhood' else 'grid' end;
begin
    if p_kind <> 'neighbourhood' and p_cell::text <> '0.02' then
        -- a cell size the rollups per area do not keep
        return query
        with per_provider as (
            select
                h.provider_id, h.category_id, h.currency,
                pg_catalog.sum(h.bookings) as bookings,
                pg_catalog.sum(h.bookings) filter (where h.status = 'completed') as completed,
                pg_catalog.sum(h.bookings) filter (where h.status = 'no_show') as no_show,
                pg_catalog.sum(h.bookings) filter (where h.status = 'cancelled') as cancelled,
                pg_catalog.sum(h.booked_cents) as booked_cents, pg_catalog.sum(h.captured_cents) as captured_cents,
                pg_catalog.sum(h.refunded_cents) as refunded_cents, pg_catalog.sum(h.fees_kept_cents) as fees_kept_cents,
                pg_catalog.sum(h.outstanding_cents) as outstanding_cents
            from app.analytics_provider_hours as h
            where h.hour >= p_from and h.hour < p_to and (p_category_id is null or h.category_id = p_category_id)
            group by h.provider_id, h.category_id, h.currency
        ),
        placed as (
            select
                x.*,
                pg_catalog.format(
                    '%s,%s',
                    pg_catalog.floor(pl.lat::numeric / p_cell) * p_cell,
                    pg_catalog.floor(pl.lng::numeric / p_cell) * p_cell
                ) as area
            from per_provider as x
            inner join app.analytics_provider_places as pl on x.provider_id = pl.provider_id
        )
        select
            x.area, null::text, null::text, k.slug, x.currency,
            pg_catalog.sum(x.bookings)::bigint,
            coalesce(pg_catalog.sum(x.completed), 0)::bigint,
            coalesce(pg_catalog.sum(x.no_show), 0)::bigint,
            coalesce(pg_catalog.sum(x.cancelled), 0)::bigint,
            pg_catalog.sum(x.booked_cents)::bigint, pg_catalog.sum(x.captured_cents)::bigint,
            pg_catalog.sum(x.refunded_cents)::bigint, pg_catalog.sum(x.fees_kept_cents)::bigint,
            pg_catalog.sum(x.captured_cents - x.refunded_cents)::bigint, pg_catalog.sum(x.outstanding_cents)::bigint
        from placed as x
        inner join app.service_categories as k on x.category_id = k.id
        group by x.area, k.slug, x.currency
        having
            pg_catalog.sum(x.bookings) <> 0 or pg_catalog.sum(x.captured_cents) <> 0
            or pg_catalog.sum(x.refunded_cents) <> 0 or pg_catalog.sum(x.outstanding_cents) <> 0;
        return;
    end if;
    if v_ds >= v_de then
        v_ds := p_to;
        v_de := p_to;
    end if;
    v_ws := pg_catalog.date_trunc('week', v_ds - interval '1 microsecond', 'UTC') + interval '7 days';
    v_we := pg_catalog.date_trunc('week', v_de, 'UTC');
    if v_ws >= v_we then
        v_ws := v_de;
        v_we := v_de;
    end if;
    return query
    with r as (
        -- the kind's own rows (the rollups keep the grid and the neighbourhoods apart)
        select
            w.area, w.category_id, w.currency, w.bookings, w.completed, w.no_show,
            w.cancelled, w.booked_cents, w.captured_cents, w.refunded_cents, w.fees_kept_cents,
            w.outstanding_cents
        from app.analytics_area_weeks as w
        where
            w.kind = v_kind
            and w.week >= (v_ws at time zone 'UTC')::date and w.week < (v_we at time zone 'UTC')::date
            and (p_category_id is null or w.category_id = p_category_id)
        union all
        select
            d.area, d.category_id, d.currency, d.bookings, d.completed, d.no_show,
            d.cancelled, d.booked_cents, d.captured_cents, d.refunded_cents, d.fees_kept_cents,
            d.outstanding_cents
        from app.analytics_area_days as d
        where
            d.kind = v_kind
            and (
                d.day >= (v_ds at time zone 'UTC')::date and d.day < (v_ws at time zone 'UTC')::date
                or d.day >= (v_we at time zone 'UTC')::date and d.day < (v_de at time zone 'UTC')::date
            )
            and (p_category_id is null or d.category_id = p_category_id)
        union all
        select
            h.area, h.category_id, h.currency, h.bookings, h.completed, h.no_show,
            h.cancelled, h.booked_cents, h.captured_cents, h.refunded_cents, h.fees_kept_cents,
            h.outstanding_cents
        from app.analytics_area_hours as h
        where
            h.kind = v_kind
            and (h.hour >= p_from and h.hour < v_ds or h.hour >= v_de and h.hour < p_to)
            and (p_category_id is null or h.category_id = p_category_id)
        union all
        select
            internal.analytics_area_key(v_kind, x.grid_cell, x.area_slug),
            x.category_id, x.currency, x.bookings,
            (x.status = 'completed')::integer * x.bookings, (x.status = 'no_show')::integer * x.bookings,
            (x.status = 'cancelled')::integer * x.bookings, x.booked_cents, x.captured_cents,
            x.refunded_cents, x.fees_kept_cents, x.outstanding_cents
        from app.analytics_deltas as x
        where
            x.grid_cell is not null and x.hour >= p_from and x.hour < p_to
            and (p_category_id is null or x.category_id = p_category_id)
    ),
    per_area as (
        select
            r.area, r.category_id, r.currency,
            pg_catalog.sum(r.bookings) as bookings, pg_catalog.sum(r.completed) as completed,
            pg_catalog.sum(r.no_show) as no_show, pg_catalog.sum(r.cancelled) as cancelled,
            pg_catalog.sum(r.booked_cents) as booked_cents, pg_catalog.sum(r.captured_cents) as captured_cents,
            pg_catalog.sum(r.refunded_cents) as refunded_cents,
            pg_catalog.sum(r.fees_kept_cents) as fees_kept_cents,
            pg_catalog.sum(r.outstanding_cents) as outstanding_cents
        from r
        group by 1, r.category_id, r.currency
    )
    select
        x.area, a.name_en, a.name_fr, k.slug, x.currency, x.bookings::bigint, x.completed::bigint,
        x.no_show::bigint, x.cancelled::bigint, x.booked_cents::bigint, x.captured_cents::bigint,
        x.refunded_cents::bigint, x.fees_kept_cents::bigint, (x.captured_cents - x.refunded_cents)::bigint,
        x.outstanding_cents::bigint
    from per_area as x
    inner join app.service_categories as k on x.category_id = k.id
    left join app.areas as a on p_kind = 'neighbourhood' and a.slug = x.area
    where x.bookings <> 0 or x.captured_cents <> 0 or x.refunded_cents <> 0 or x.outstanding_cents <> 0;
end
$$;
comment on function internal.analytics_area_figures(timestamptz, timestamptz, integer, text, numeric) is
'The analytics figures of [p_from, p_to) per area (p_kind grid with cells of p_cell degrees, or neighbourhood), '
'category and currency: from the rollups per area (whole UTC weeks, whole days around them, hours at the edges) '
'for the neighbourhoods and the default cell (0.02), else the '
'provider rollups summed per provider and placed by app.analytics_provider_places. '
'Definer: no API role reads the places or the rollups per area; granted to ops, for api.analytics_areas, which '
'checks the role.';

create or replace function api.analytics_areas(
    "from" date default null,
    "to" date default null,
    tz text default 'UTC',
    cell_deg numeric default 0.02,
    category text default null,
    area_kind text default 'grid'
)
returns table (
    area text,
    area_name_en text,
    area_name_fr text,
    category text,
    currency text,
    bookings bigint,
    completed bigint,
    no_show bigint,
    cancelled bigint,
    booked_cents bigint,
    captured_cents bigint,
    refunded_cents bigint,
    fees_kept_cents bigint,
    net_cents bigint,
    outstanding_cents bigint
)
language sql
stable
set search_path = ''
as $$
    select internal.require_role('ops', 'only ops staff may read the figures by area');
    select internal.analytics_cell(analytics_areas.cell_deg);
    select internal.analytics_area_kind(analytics_areas.area_kind);
    select internal.fail('invalid_input', 'category: no such category')
    where
        analytics_areas.category is not null
        and not exists (select from app.service_categories as k where k.slug = analytics_areas.category);
    select from internal.analytics_window(analytics_areas."from", analytics_areas."to", analytics_areas.tz, 'day');
    select x.*
    from
        internal.analytics_window(analytics_areas."from", analytics_areas."to", analytics_areas.tz, 'day') as w,
        internal.analytics_area_figures(
            w.from_ts, w.to_ts,
            (select k.id from app.service_categories as k where k.slug = analytics_areas.category),
            analytics_areas.area_kind, analytics_areas.cell_deg
        ) as x
    order by x.area, x.category, x.currency
$$;
comment on function api.analytics_areas(date, date, text, numeric, text, text) is
$$Bookings and money per area (a grid cell or a neighbourhood of the providers' locations), category and currency (ops only).

Inputs: from and to (local dates in tz, both included; at most 366 days), tz (default UTC; offsets in
whole hours), cell_deg (the grid cell's size in degrees, 0.005 to 1; default 0.02, about 2.2 x 1.6 km in
Montreal), category (a slug; optional), area_kind (grid, the default, or neighbourhood: Montreal's
neighbourhoods as approximate polygons, app.areas; a provider outside every polygon is in "other").
Each row: area ("lat,lng" of the cell's south-west corner, or the neighbourhood's slug, or other),
area_name_en and area_name_fr (the neighbourhood's names; null for a cell and for other), category,
currency, bookings, completed, no_show, cancelled, booked_cents, captured_cents, refunded_cents,
fees_kept_cents, net_cents, outstanding_cents: the figures of analytics_overview summed over the range, placed
where each provider is now (a provider that moves takes its history with it), from rollups per area for the
neighbourhoods and the default cell size.
analytics_bookings with the same from, to, tz, area (and cell_deg) lists the bookings behind a row.
Accept: text/csv gives CSV. Definitions: docs/analytics.md.
Errors: 400 invalid_input naming from, to, tz, cell_deg, area_kind or category; 403 forbidden for any
role but ops.$$;

create or replace function api.analytics_refunds(
    "from" date default null,
    "to" date default null,
    tz text default null,
    group_by text default 'day',
    provider_id uuid default null
)
returns table (
    bucket_start timestamptz,
    bucket_end timestamptz,
    bucket_local timestamp,
    reason text,
    status text,
    currency text,
    refunds bigint,
    amount_cents bigint
)
language sql
stable
set search_path = ''
as $$
    select internal.require(analytics_refunds."from", 'from', 'a date, YYYY-MM-DD');
    select internal.require(analytics_refunds."to", 'to', 'a date, YYYY-MM-DD');
    select
    from internal.analytics_window(analytics_refunds."from", analytics_refunds."to", coalesce(
        analytics_refunds.tz,
        (
            select p.time_zone from app.providers as p
            where p.id = internal.analytics_subject(analytics_refunds.provider_id, false)
        ),
        'UTC'
    ), analytics_refunds.group_by);
    with subject as (
        select internal.analytics_subject(analytics_refunds.provider_id, false) as id
    ),
    zone as (
        select coalesce(
            analytics_refunds.tz,
            (select p.time_zone from app.providers as p, subject where p.id = subject.id),
            'UTC'
        ) as tz
    ),
    w as (
        select w.*
        from zone, lateral internal.analytics_window(analytics_refunds."from", analytics_refunds."to", zone.tz,
            analytics_refunds.group_by) as w
    ),
    r as (
        select
            case
                when w.grain = 'hour' then pg_catalog.date_trunc('hour', pg_catalog.lower(b.during), 'UTC')
            end as h,
            case
                when w.grain <> 'hour' then pg_catalog.date_trunc(w.grain, pg_catalog.lower(b.during) at time zone w.tz)
            end as lb,
            internal.refund_reason_kind(f.requested_role, f.reason) as reason,
            f.status, b.currency, f.amount_cents
        from subject, w
        inner join app.bookings as b
            on pg_catalog.lower(b.during) >= w.from_ts and pg_catalog.lower(b.during) < w.to_ts
        inner join app.refunds as f on b.id = f.booking_id
        where subject.id is null or b.provider_id = subject.id
    )
    select
        coalesce(r.h, r.lb at time zone w.tz),
        coalesce(r.h + interval '1 hour', (r.lb + ('1 ' || w.grain)::interval) at time zone w.tz),
        coalesce(r.h, r.lb at time zone w.tz) at time zone w.tz,
        r.reason, r.status, r.currency, pg_catalog.count(*), pg_catalog.sum(r.amount_cents)::bigint
    from r, w
    group by r.h, r.lb, w.tz, w.grain, r.reason, r.status, r.currency
    order by 1, r.reason, r.status, r.currency
$$;
comment on function api.analytics_refunds(date, date, text, text, uuid) is
$$Refunds per bucket, reason, status and currency (ops: every provider or the one given; a provider: its own).

Inputs: from and to (local dates, both included; at most 366 days, 31 with group_by hour), tz (default:
the provider's own zone, or UTC for ops across providers; offsets in whole hours), group_by (hour, day,
week, month; default day), provider_id (ops: optional; a provider: omit it or give its own).
A refund counts in the bucket where its booking's appointment starts, like refunded_cents in
analytics_revenue (whose refunded_cents equal the succeeded amount_cents here). reason:
customer_cancellation, provider_cancellation, ops_cancellation (a refund made by a cancellation),
ops_refund (ops refunded without cancelling), late_payment (paid after the booking ended),
payment_mismatch (the payment did not match the booking), other. status: pending, succeeded, failed.
Integer cents. Accept: text/csv gives CSV. Definitions: docs/analytics.md.
Errors: 400 invalid_input naming from, to, tz or group_by; 403 forbidden (another provider's id, or a
customer); 404 not_found (no such provider, or no provider profile).$$;
