-- The bookings behind a figure (docs/analytics.md, "Drill-down").
--
--   internal.analytics_bucket      checks a bucket_start against group_by and tz; the bucket as instants
--   internal.analytics_drill_total how many bookings a figure counts, from the rollups it drills into
--   internal.analytics_drill       the bookings matching the filters, a page (definer: reads the facts)
--   internal.analytics_bookings    checks the caller and every argument, then reads a page
--   api.analytics_bookings         ops (every provider, or one) and a provider (its own)
--
-- A figure of analytics_overview, _revenue, _provider or _areas is a sum over the rows of
-- app.analytics_booking_facts (each booking's current vector) whose UTC start hour is in
-- the range; the drill-down reads the same rows with the same keys (start hour, provider,
-- category, status, currency, the provider's area now), so the bookings it lists are
-- exactly the ones a figure counts: as many as a count, and their column adds up to a sum
-- of money.
--
-- The facts are read only in the hours whose rollup rows count a booking of the figure, in
-- start-hour order from the hour index, and a page stops at its end; the total comes from
-- the rollups without an area (a count figure's column, or for a sum of money the count of
-- bookings whose amount is not zero), and with one from counting the matches up to 10,000
-- ("more than 10,000" beyond: total_exact false). Neither reads every fact of a long range,
-- and a figure few bookings have (a refund) reads only the hours that have one. An area is
-- the providers placed in it now (app.analytics_provider_places).

-- total_exact is new (the drill-down's total is capped where the rollups cannot give it)
drop function if exists api.analytics_bookings(
    date, date, text, text, timestamptz, text, text, text, text, uuid, text, numeric, timestamptz, uuid, integer
);
drop function if exists internal.analytics_bookings(
    date, date, text, text, timestamptz, text, text, text, text, uuid, text, numeric, timestamptz, uuid, integer
);
drop function if exists internal.analytics_drill(
    uuid, timestamptz, timestamptz, text, text, text, integer, text, text, text, numeric, timestamptz, uuid, integer
);

create or replace function internal.analytics_bucket(
    p_bucket_start timestamptz, p_grain text, p_tz text, p_from_ts timestamptz, p_to_ts timestamptz
)
returns table (lo timestamptz, hi timestamptz)
language plpgsql
stable
set search_path = ''
as $$
declare
    v_local timestamp;
begin
    if p_bucket_start is null then
        lo := p_from_ts;
        hi := p_to_ts;
        return next;
        return;
    end if;
    if p_grain = 'hour' then
        if pg_catalog.date_trunc('hour', p_bucket_start, 'UTC') <> p_bucket_start then
            perform internal.fail('invalid_input', 'bucket_start must be the start of an hour (a bucket_start of the figures)');
        end if;
        hi := p_bucket_start + interval '1 hour';
    else
        v_local := p_bucket_start at time zone p_tz;
        if pg_catalog.date_trunc(p_grain, v_local) <> v_local then
            perform internal.fail('invalid_input', pg_catalog.format(
                'bucket_start must be the start of a %s in %s (a bucket_start of the figures)', p_grain, p_tz
            ));
        end if;
        hi := (v_local + ('1 ' || p_grain)::interval) at time zone p_tz;
    end if;
    -- an edge bucket (a week or month that begins before from) counts only the part inside
    -- the range, as the figures do
    if hi <= p_from_ts or p_bucket_start >= p_to_ts then
        perform internal.fail('invalid_input', 'bucket_start must be a bucket of the range from..to');
    end if;
    lo := greatest(p_bucket_start, p_from_ts);
    hi := least(hi, p_to_ts);
    return next;
end
$$;
comment on function internal.analytics_bucket(timestamptz, text, text, timestamptz, timestamptz) is
'One bucket of the figures as instants [lo, hi): from bucket_start (checked: the start of an hour, or of a local day, '
'ISO week or month in tz) to the next, cut at the range''s end; the whole range when bucket_start is null.';

-- How many bookings a figure counts over [lo, hi) (whole UTC hours), read from the rollup it
-- drills into: the provider's hourly rows, or across providers the daily rows of the whole UTC
-- days plus the hourly rows of the edges and the deltas not folded yet (as
-- internal.analytics_ops_rows). A count figure's own column, and for a sum of money the count
-- of bookings whose amount is not zero (captured_bookings and the others).
create or replace function internal.analytics_figure_count(
    p_figure text,
    p_bookings bigint,
    p_cancelled_by_customer bigint,
    p_cancelled_by_provider bigint,
    p_cancelled_by_ops bigint,
    p_cancelled_by_system bigint,
    p_cancelled_late bigint,
    p_captured bigint,
    p_refunded bigint,
    p_fees_kept bigint,
    p_net bigint,
    p_outstanding bigint
)
returns bigint
language sql
immutable
parallel safe
-- no SET clause: inlined where it is called
as $$
    select case p_figure
        when 'cancelled_by_customer' then p_cancelled_by_customer
        when 'cancelled_by_provider' then p_cancelled_by_provider
        when 'cancelled_by_ops' then p_cancelled_by_ops
        when 'cancelled_by_system' then p_cancelled_by_system
        when 'cancelled_late' then p_cancelled_late
        when 'captured_cents' then p_captured
        when 'refunded_cents' then p_refunded
        when 'fees_kept_cents' then p_fees_kept
        when 'net_cents' then p_net
        when 'outstanding_cents' then p_outstanding
        else p_bookings
    end
$$;
comment on function internal.analytics_figure_count(
    text, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint
) is
'Of a rollup row''s columns, the number of bookings a figure of the analytics rows counts: bookings (and '
'booked_cents, lead_minutes: every booking), a cancelled_* column, or for a sum of money the bookings whose '
'amount is not zero.';

create or replace function internal.analytics_drill_total(
    p_subject uuid,
    p_lo timestamptz,
    p_hi timestamptz,
    p_status text,
    p_figure text,
    p_category_id integer,
    p_currency text
)
returns bigint
language sql
stable
set search_path = ''
as $$
    with x as (
        -- one provider: its hourly rows
        select h.status, h.category_id, h.currency, h.bookings, h.cancelled_by_customer, h.cancelled_by_provider,
            h.cancelled_by_ops, h.cancelled_by_system, h.cancelled_late, h.captured_bookings, h.refunded_bookings,
            h.fees_kept_bookings, h.net_bookings, h.outstanding_bookings
        from app.analytics_provider_hours as h
        where p_subject is not null and h.provider_id = p_subject and h.hour >= p_lo and h.hour < p_hi
        union all
        -- across providers: the whole UTC days, the edge hours, the deltas
        select d.status, d.category_id, d.currency, d.bookings, d.cancelled_by_customer, d.cancelled_by_provider,
            d.cancelled_by_ops, d.cancelled_by_system, d.cancelled_late, d.captured_bookings, d.refunded_bookings,
            d.fees_kept_bookings, d.net_bookings, d.outstanding_bookings
        from app.analytics_days as d
        where
            p_subject is null
            and d.day >= (pg_catalog.date_trunc('day', p_lo + interval '1 day' - interval '1 microsecond', 'UTC') at time zone 'UTC')::date
            and d.day < (pg_catalog.date_trunc('day', p_hi, 'UTC') at time zone 'UTC')::date
        union all
        select h.status, h.category_id, h.currency, h.bookings, h.cancelled_by_customer, h.cancelled_by_provider,
            h.cancelled_by_ops, h.cancelled_by_system, h.cancelled_late, h.captured_bookings, h.refunded_bookings,
            h.fees_kept_bookings, h.net_bookings, h.outstanding_bookings
        from app.analytics_hours as h
        where
            -- the edges: two ranges of the hour index (reading the whole range and dropping its
            -- whole days read ~4,000 rows for 31 days at 10,000 providers, 2 ms)
            p_subject is null
            and (
                h.hour >= p_lo
                and h.hour < least(p_hi, pg_catalog.date_trunc('day', p_lo + interval '1 day' - interval '1 microsecond', 'UTC'))
                or h.hour >= greatest(
                    pg_catalog.date_trunc('day', p_lo + interval '1 day' - interval '1 microsecond', 'UTC'),
                    pg_catalog.date_trunc('day', p_hi, 'UTC')
                )
                and h.hour < p_hi
            )
        union all
        select h.status, h.category_id, h.currency, h.bookings, h.cancelled_by_customer, h.cancelled_by_provider,
            h.cancelled_by_ops, h.cancelled_by_system, h.cancelled_late, h.captured_bookings, h.refunded_bookings,
            h.fees_kept_bookings, h.net_bookings, h.outstanding_bookings
        from app.analytics_deltas as h
        where p_subject is null and h.hour >= p_lo and h.hour < p_hi
    )
    select coalesce(pg_catalog.sum(internal.analytics_figure_count(
        p_figure, x.bookings, x.cancelled_by_customer, x.cancelled_by_provider, x.cancelled_by_ops,
        x.cancelled_by_system, x.cancelled_late, x.captured_bookings, x.refunded_bookings, x.fees_kept_bookings,
        x.net_bookings, x.outstanding_bookings
    )), 0)::bigint
    from x
    where
        (p_status is null or x.status = p_status)
        and (p_category_id is null or x.category_id = p_category_id)
        and (p_currency is null or x.currency = p_currency)
$$;
comment on function internal.analytics_drill_total(uuid, timestamptz, timestamptz, text, text, integer, text) is
'How many bookings a figure of the analytics rows counts over whole UTC hours [lo, hi) for one provider '
'(p_subject) or every provider, from the rollups.';

-- How many bookings of an area a count figure (every booking, or those completed, no-show
-- or cancelled) adds up over [lo, hi) across providers, from the rollups per area (the default
-- grid's cells and the neighbourhoods, where the providers are placed now): the whole UTC days,
-- the edge hours and the deltas not folded yet, as internal.analytics_area_figures reads them.
-- Null where they hold no such count (another status, a figure of money or cancellations, a
-- cell of another size): the caller counts the facts.
create or replace function internal.analytics_drill_area_total(
    p_lo timestamptz,
    p_hi timestamptz,
    p_status text,
    p_figure text,
    p_category_id integer,
    p_currency text,
    p_area text,
    p_kind text,
    p_cell numeric
)
returns bigint
language sql
stable
set search_path = ''
as $$
    -- the area's own rows: its kind's (the rollups keep the grid and the neighbourhoods apart)
    with k as (
        select case when p_kind = 'neighbourhood' then 'neighbourhood' else 'grid' end as kind
    ),
    x as (
        select d.category_id, d.currency, d.bookings, d.completed, d.no_show, d.cancelled
        from app.analytics_area_days as d, k
        where
            d.kind = k.kind and d.area = p_area
            and d.day >= (pg_catalog.date_trunc('day', p_lo + interval '1 day' - interval '1 microsecond', 'UTC') at time zone 'UTC')::date
            and d.day < (pg_catalog.date_trunc('day', p_hi, 'UTC') at time zone 'UTC')::date
        union all
        -- the edges: two ranges of the hour index
        select h.category_id, h.currency, h.bookings, h.completed, h.no_show, h.cancelled
        from app.analytics_area_hours as h, k
        where
            h.kind = k.kind and h.area = p_area
            and h.hour >= p_lo
            and h.hour < least(p_hi, pg_catalog.date_trunc('day', p_lo + interval '1 day' - interval '1 microsecond', 'UTC'))
        union all
        select h.category_id, h.currency, h.bookings, h.completed, h.no_show, h.cancelled
        from app.analytics_area_hours as h, k
        where
            h.kind = k.kind and h.area = p_area
            and h.hour >= greatest(
                pg_catalog.date_trunc('day', p_lo + interval '1 day' - interval '1 microsecond', 'UTC'),
                pg_catalog.date_trunc('day', p_hi, 'UTC')
            )
            and h.hour < p_hi
        union all
        select
            x.category_id, x.currency, x.bookings,
            (x.status = 'completed')::integer * x.bookings, (x.status = 'no_show')::integer * x.bookings,
            (x.status = 'cancelled')::integer * x.bookings
        from app.analytics_deltas as x, k
        where
            x.grid_cell is not null and x.hour >= p_lo and x.hour < p_hi
            and internal.analytics_area_key(k.kind, x.grid_cell, x.area_slug) = p_area
    )
    select coalesce(pg_catalog.sum(case p_status
        when 'completed' then x.completed
        when 'no_show' then x.no_show
        when 'cancelled' then x.cancelled
        else x.bookings
    end), 0)::bigint
    from x
    where
        (p_category_id is null or x.category_id = p_category_id)
        and (p_currency is null or x.currency = p_currency)
    having
        coalesce(p_figure, 'bookings') in ('bookings', 'booked_cents', 'lead_minutes')
        and (p_status is null or p_status in ('completed', 'no_show', 'cancelled'))
        and (p_kind = 'neighbourhood' or p_cell = 0.02)
$$;
comment on function internal.analytics_drill_area_total(
    timestamptz, timestamptz, text, text, integer, text, text, text, numeric
) is
'How many bookings of an area (a neighbourhood, or a cell of the default 0.02-degree grid) every booking''s figure, '
'or a status of completed, no_show or cancelled, counts over whole UTC hours [lo, hi) across providers, from the '
'rollups per area; null where they hold no such count.';

-- Whether a fact counts in the drill-down's filters (status, figure, category, currency: null
-- is any). Inlined where it is called (language sql, no settings).
create or replace function internal.analytics_drill_match(
    p_fact app.analytics_booking_facts, p_status text, p_figure text, p_category_id integer, p_currency text
)
returns boolean
language sql
immutable
as $$
    select
        (p_status is null or (p_fact).status = p_status)
        and (p_category_id is null or (p_fact).category_id = p_category_id)
        and (p_currency is null or (p_fact).currency = p_currency)
        and case p_figure
            when 'cancelled_by_customer' then (p_fact).cancelled_by_customer <> 0
            when 'cancelled_by_provider' then (p_fact).cancelled_by_provider <> 0
            when 'cancelled_by_ops' then (p_fact).cancelled_by_ops <> 0
            when 'cancelled_by_system' then (p_fact).cancelled_by_system <> 0
            when 'cancelled_late' then (p_fact).cancelled_late <> 0
            when 'captured_cents' then (p_fact).captured_cents <> 0
            when 'refunded_cents' then (p_fact).refunded_cents <> 0
            when 'fees_kept_cents' then (p_fact).fees_kept_cents <> 0
            when 'net_cents' then (p_fact).captured_cents <> (p_fact).refunded_cents
            when 'outstanding_cents' then (p_fact).outstanding_cents <> 0
            else true
        end
$$;
comment on function internal.analytics_drill_match(app.analytics_booking_facts, text, text, integer, text) is
'Whether one analytics fact matches the drill-down''s status, figure, category and currency (null: any).';

create or replace function internal.analytics_drill(
    p_provider_id uuid,
    p_lo timestamptz,
    p_hi timestamptz,
    p_tz text,
    p_status text,
    p_figure text,
    p_category_id integer,
    p_currency text,
    p_area text,
    p_area_kind text,
    p_cell numeric,
    p_after_start timestamptz,
    p_after_id uuid,
    p_page_size integer
)
returns table (
    booking_id uuid,
    starts_at timestamptz,
    starts_local timestamp,
    time_zone text,
    booking_provider_id uuid,
    business_name text,
    booking_area text,
    area_name_en text,
    area_name_fr text,
    booking_category text,
    service_name text,
    customer_name text,
    booking_status text,
    booking_currency text,
    booked_cents bigint,
    lead_minutes bigint,
    cancelled_by text,
    cancelled_late boolean,
    captured_cents bigint,
    refunded_cents bigint,
    fees_kept_cents bigint,
    net_cents bigint,
    outstanding_cents bigint,
    created_at timestamptz,
    total bigint,
    total_exact boolean
)
language plpgsql
stable
security definer
set search_path = ''
-- the page's facts come from the hour index in hour order (an index scan of the hours listed):
-- planned without knowing how many hours the list holds, a full sort of every fact of the
-- range was estimated cheaper than an incremental one and took 0.9 s at 10,000 providers
set enable_sort = off
-- one plan for every call, made once per connection with the arguments unknown: the statement
-- is written for that (its branches switch on the arguments at run time). As a language sql
-- function it was planned afresh on each call: 4 of a page's 11-15 ms at 10,000 providers
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
begin
    return query
    -- whose bookings: a provider's own whatever it names (another id is 403), ops any or all
    with subject as (
        select internal.analytics_subject(p_provider_id, false) as id
    ),
    -- the hours of the range that hold a booking the figure counts, from the rollups' counts
    -- (internal.analytics_figure_count). One provider: its hourly rows; every provider: the
    -- hourly rows across providers and the deltas not folded yet. A figure few bookings have
    -- (a refund, a cancellation by ops) reads the facts of a few hours, not of the whole range.
    -- Not for a figure every booking counts in (no rollup row to read: every hour of the range).
    -- new customers (analytics_customers): the customers' first bookings that start in the range,
    -- one range of the index on their start
    firsts as materialized (
        select c.booking_id, pg_catalog.date_trunc('hour', c.starts_at, 'UTC') as hour
        from app.analytics_customer_firsts as c
        where p_figure = 'new_customers' and c.starts_at >= p_lo and c.starts_at < p_hi
    ),
    hours as materialized (
        select case when p_figure = 'new_customers' then (
            select pg_catalog.array_agg(distinct x.hour order by x.hour) from firsts as x
        ) else pg_catalog.array_agg(r.hour order by r.hour) end as list
        from (
            select x.hour
            from (
                select h.hour, h.status, h.category_id, h.currency, h.bookings, h.cancelled_by_customer,
                    h.cancelled_by_provider, h.cancelled_by_ops, h.cancelled_by_system, h.cancelled_late,
                    h.captured_bookings, h.refunded_bookings, h.fees_kept_bookings, h.net_bookings,
                    h.outstanding_bookings
                from subject, app.analytics_provider_hours as h
                where subject.id is not null and h.provider_id = subject.id and h.hour >= p_lo and h.hour < p_hi
                union all
                select h.hour, h.status, h.category_id, h.currency, h.bookings, h.cancelled_by_customer,
                    h.cancelled_by_provider, h.cancelled_by_ops, h.cancelled_by_system, h.cancelled_late,
                    h.captured_bookings, h.refunded_bookings, h.fees_kept_bookings, h.net_bookings,
                    h.outstanding_bookings
                from subject, app.analytics_hours as h
                where subject.id is null and h.hour >= p_lo and h.hour < p_hi
                union all
                select h.hour, h.status, h.category_id, h.currency, h.bookings, h.cancelled_by_customer,
                    h.cancelled_by_provider, h.cancelled_by_ops, h.cancelled_by_system, h.cancelled_late,
                    h.captured_bookings, h.refunded_bookings, h.fees_kept_bookings, h.net_bookings,
                    h.outstanding_bookings
                from subject, app.analytics_deltas as h
                where subject.id is null and h.hour >= p_lo and h.hour < p_hi
            ) as x
            where
                coalesce(p_figure, 'bookings') not in ('bookings', 'booked_cents', 'lead_minutes', 'new_customers')
                and (p_status is null or x.status = p_status)
                and (p_category_id is null or x.category_id = p_category_id)
                and (p_currency is null or x.currency = p_currency)
            group by x.hour
            having pg_catalog.sum(internal.analytics_figure_count(
                p_figure, x.bookings, x.cancelled_by_customer, x.cancelled_by_provider, x.cancelled_by_ops,
                x.cancelled_by_system, x.cancelled_late, x.captured_bookings, x.refunded_bookings,
                x.fees_kept_bookings, x.net_bookings, x.outstanding_bookings
            )) > 0
        ) as r
    ),
    -- the facts matching, in two branches planned apart (a language sql function is planned
    -- without its arguments: one statement for both would take one index for both).
    -- Every provider: the hours listed, through the hour index in the page's order.
    facts_all as not materialized (
        select f.*
        from app.analytics_booking_facts as f
        where
            (select s.id from subject as s) is null
            and f.hour = any(coalesce(
                (select h.list from hours as h),
                -- every booking counts: every hour of the range, read until the page is full
                case when coalesce(p_figure, 'bookings') in ('bookings', 'booked_cents', 'lead_minutes') then
                    array(select pg_catalog.generate_series(
                        pg_catalog.date_trunc('hour', p_lo, 'UTC'), p_hi - interval '1 microsecond', interval '1 hour'
                    ))
                end,
                '{}'
            ))
            and f.hour >= p_lo and f.hour < p_hi
            and internal.analytics_drill_match(f, p_status, p_figure, p_category_id, p_currency)
            and (p_figure is distinct from 'new_customers' or f.booking_id in (select x.booking_id from firsts as x))
    ),
    -- One provider: its facts of the range in the page's order from its own index (provider_id,
    -- hour, starts_at, booking_id). Through the hour index, filtered by provider, its page read
    -- every provider's facts of the range (10,000 providers: ~120 ms a page).
    facts_one as not materialized (
        select f.*
        from app.analytics_booking_facts as f
        where
            f.provider_id = (select s.id from subject as s)
            and f.hour >= p_lo and f.hour < p_hi
            and internal.analytics_drill_match(f, p_status, p_figure, p_category_id, p_currency)
            and (p_figure is distinct from 'new_customers' or f.booking_id in (select x.booking_id from firsts as x))
    ),
    -- an area: the providers placed in it now (its neighbourhood, or its grid cell: the kept
    -- cell for the default size), whether or not they have bookings in the range
    in_area as materialized (
        select x.provider_id
        from app.analytics_provider_places as x
        where
            p_area is not null
            and case
                when p_area_kind = 'grid' and p_cell = 0.02 then x.grid_cell
                when p_area_kind = 'grid' then pg_catalog.format(
                    '%s,%s',
                    pg_catalog.floor(x.lat::numeric / p_cell) * p_cell,
                    pg_catalog.floor(x.lng::numeric / p_cell) * p_cell
                )
                else coalesce(x.area_slug, 'other')
            end = p_area
    ),
    -- the page: facts in (start hour, start, id) order, which is (starts_at, booking_id) order,
    -- as each branch's index gives them: read up to the page's end only; from the hour of the
    -- previous page's last row (one branch has rows, the other reads nothing)
    page as (
        (
            select f.*, b.service_id, b.customer_id, b.created_at
            from facts_all as f
            inner join app.bookings as b on f.booking_id = b.id
            where
                (p_area is null or f.provider_id in (select a.provider_id from in_area as a))
                and (p_after_start is null or (
                    f.hour >= pg_catalog.date_trunc('hour', p_after_start, 'UTC')
                    and (f.starts_at, f.booking_id) > (p_after_start, p_after_id)
                ))
            order by f.hour, f.starts_at, f.booking_id
            limit p_page_size
        )
        union all
        (
            select f.*, b.service_id, b.customer_id, b.created_at
            from facts_one as f
            inner join app.bookings as b on f.booking_id = b.id
            where
                (p_area is null or f.provider_id in (select a.provider_id from in_area as a))
                and (p_after_start is null or (
                    f.hour >= pg_catalog.date_trunc('hour', p_after_start, 'UTC')
                    and (f.starts_at, f.booking_id) > (p_after_start, p_after_id)
                ))
            order by f.hour, f.starts_at, f.booking_id
            limit p_page_size
        )
    ),
    placed as (
        select pl.*
        from internal.analytics_place(
            (select pg_catalog.array_agg(distinct x.provider_id) from page as x), p_area_kind, p_cell
        ) as pl
    ),
    -- the total: from the rollups without an area, or with one where the rollups per area hold
    -- it; else the matches counted up to 10,001
    -- materialized: once per call, not once per row of the page
    counted as materialized (
        select
            case
                -- new customers: the first bookings of the range, counted (exact) when nothing
                -- else narrows them; else the matches counted below
                when p_figure = 'new_customers' then case
                    when subject.id is null and p_status is null and p_category_id is null
                        and p_currency is null and p_area is null
                        then (select pg_catalog.count(*) from firsts)
                end
                when p_area is null then internal.analytics_drill_total(
                    subject.id, p_lo, p_hi, p_status, p_figure, p_category_id, p_currency
                )
                when
                    subject.id is null
                    and coalesce(p_figure, 'bookings') in ('bookings', 'booked_cents', 'lead_minutes')
                    and (p_status is null or p_status in ('completed', 'no_show', 'cancelled'))
                    and (p_area_kind = 'neighbourhood' or p_cell = 0.02)
                    then internal.analytics_drill_area_total(
                    p_lo, p_hi, p_status, p_figure, p_category_id, p_currency, p_area, p_area_kind, p_cell
                )
            end as n
        from subject
    ),
    total as materialized (
        select
            coalesce(c.n, least(m.n, 10000)) as n,
            c.n is not null or m.n <= 10000 as exact
        from counted as c
        cross join lateral (
            select pg_catalog.count(*) as n
            from (
                select
                from (
                    select f.provider_id from facts_all as f
                    union all
                    select f.provider_id from facts_one as f
                ) as f
                where c.n is null and (p_area is null or f.provider_id in (select a.provider_id from in_area as a))
                limit 10001
            ) as x
        ) as m
    )
    select
        m.booking_id, m.starts_at, m.starts_at at time zone coalesce(p_tz, p.time_zone), p.time_zone,
        m.provider_id, p.business_name, pl.area, pl.area_name_en, pl.area_name_fr, k.slug, s.name,
        u.full_name, m.status, m.currency, m.booked_cents, m.lead_minutes,
        case
            when m.cancelled_by_customer <> 0 then 'customer'
            when m.cancelled_by_provider <> 0 then 'provider'
            when m.cancelled_by_ops <> 0 then 'ops'
            when m.cancelled_by_system <> 0 then 'system'
        end,
        m.cancelled_late <> 0, m.captured_cents, m.refunded_cents, m.fees_kept_cents,
        m.captured_cents - m.refunded_cents, m.outstanding_cents, m.created_at, t.n, t.exact
    from page as m
    cross join total as t
    inner join placed as pl on m.provider_id = pl.provider_id
    inner join app.providers as p on m.provider_id = p.id
    inner join app.services as s on m.service_id = s.id
    inner join app.service_categories as k on m.category_id = k.id
    left join app.users as u on m.customer_id = u.id
    order by m.starts_at, m.booking_id;
end
$$;
comment on function internal.analytics_drill(
    uuid, timestamptz, timestamptz, text, text, text, integer, text, text, text, numeric, timestamptz, uuid, integer
) is
'The bookings whose analytics facts match: start hour in [lo, hi), status, figure, category, currency, area; a page '
'in (starts_at, booking_id) order after the key given, each row with the total matching (from the rollups '
'without an area, else counted up to 10,000: total_exact false beyond). Only the hours whose rollup rows count a '
'booking of the figure are read. Definer: it reads '
'app.analytics_booking_facts, which no API role may; the caller is checked here (internal.analytics_subject: '
'a provider reads only its own bookings, whatever provider_id it names).';

create or replace function internal.analytics_bookings(
    p_from date,
    p_to date,
    p_tz text,
    p_group_by text,
    p_bucket_start timestamptz,
    p_status text,
    p_figure text,
    p_category text,
    p_currency text,
    p_provider_id uuid,
    p_area text,
    p_cell numeric,
    p_after_start timestamptz,
    p_after_id uuid,
    p_page_size integer
)
returns table (
    booking_id uuid,
    starts_at timestamptz,
    starts_local timestamp,
    time_zone text,
    booking_provider_id uuid,
    business_name text,
    booking_area text,
    area_name_en text,
    area_name_fr text,
    booking_category text,
    service_name text,
    customer_name text,
    booking_status text,
    booking_currency text,
    booked_cents bigint,
    lead_minutes bigint,
    cancelled_by text,
    cancelled_late boolean,
    captured_cents bigint,
    refunded_cents bigint,
    fees_kept_cents bigint,
    net_cents bigint,
    outstanding_cents bigint,
    created_at timestamptz,
    total bigint,
    total_exact boolean
)
language plpgsql
stable
set search_path = ''
as $$
declare
    v_subject uuid;
    v_tz text;
    v_category integer;
    v_kind text := 'neighbourhood';
    v_window record;
    v_bucket record;
begin
    -- the required arguments first, whoever calls
    perform internal.require(p_from, 'from', 'a date, YYYY-MM-DD');
    perform internal.require(p_to, 'to', 'a date, YYYY-MM-DD');
    v_subject := internal.analytics_subject(p_provider_id, false);
    v_tz := coalesce(
        p_tz,
        (select p.time_zone from app.providers as p where p.id = v_subject),
        'UTC'
    );
    select w.* into v_window
    from internal.analytics_window(p_from, p_to, v_tz,
        coalesce(p_group_by, 'day')) as w;
    select b.* into v_bucket
    from internal.analytics_bucket(p_bucket_start, v_window.grain, v_window.tz,
        v_window.from_ts, v_window.to_ts) as b;
    if p_status is not null and p_status not in (
        'pending_payment', 'confirmed', 'completed', 'no_show', 'cancelled', 'expired'
    ) then
        perform internal.fail('invalid_input',
            'status must be pending_payment, confirmed, completed, no_show, cancelled or expired');
    end if;
    if p_figure is not null and p_figure not in (
        'bookings', 'booked_cents', 'lead_minutes', 'cancelled_by_customer', 'cancelled_by_provider',
        'cancelled_by_ops', 'cancelled_by_system', 'cancelled_late', 'captured_cents', 'refunded_cents',
        'fees_kept_cents', 'net_cents', 'outstanding_cents', 'new_customers'
    ) then
        perform internal.fail('invalid_input', 'figure must be a figure of the analytics rows, such as '
            'bookings, cancelled_by_customer, cancelled_late, captured_cents, refunded_cents, net_cents '
            'or new_customers');
    end if;
    -- a customer's first booking is its first with any provider (analytics_customers, ops only):
    -- a provider would learn whether its customers had booked elsewhere before
    if p_figure = 'new_customers' and auth.role() is distinct from 'ops' then
        perform internal.fail('forbidden', 'only ops staff may list the customers'' first bookings');
    end if;
    if p_category is not null then
        select k.id into v_category from app.service_categories as k where k.slug = p_category;
        if v_category is null then
            perform internal.fail('invalid_input', 'category: no such category');
        end if;
    end if;
    if p_currency is not null and p_currency !~ '^[A-Z]{3}$' then
        perform internal.fail('invalid_input', 'currency must be a three-letter code such as CAD');
    end if;
    -- an area as analytics_areas names it: a grid cell "lat,lng", a neighbourhood's slug, or other
    if p_area is not null then
        if p_area ~ '^-?[0-9]+(\.[0-9]+)?,-?[0-9]+(\.[0-9]+)?$' then
            v_kind := 'grid';
            perform internal.analytics_cell(p_cell);
        elsif p_area <> 'other'
            and not exists (select from app.areas as a where a.slug = p_area) then
            perform internal.fail('invalid_input',
                'area must be a neighbourhood of analytics_areas, other, or a grid cell such as 45.52,-73.6');
        end if;
    end if;
    if (p_after_start is null) <> (p_after_id is null) then
        perform internal.fail('invalid_input', 'after_start and after_id go together (the last row of the previous page)');
    end if;
    if p_page_size is null or p_page_size not between 1 and 1000 then
        perform internal.fail('invalid_input', 'page_size must be from 1 to 1000');
    end if;
    return query
    select d.*
    from internal.analytics_drill(
        p_provider_id, v_bucket.lo, v_bucket.hi, v_window.tz, p_status,
        p_figure, v_category, p_currency, p_area, v_kind,
        coalesce(p_cell, 0.02), p_after_start, p_after_id,
        p_page_size
    ) as d;
end
$$;
comment on function internal.analytics_bookings(
    date, date, text, text, timestamptz, text, text, text, text, uuid, text, numeric, timestamptz, uuid, integer
) is
'api.analytics_bookings'' checks (the caller, the range and bucket, each filter, the page) and its page of '
'internal.analytics_drill.';

create or replace function api.analytics_bookings(
    "from" date default null,
    "to" date default null,
    tz text default null,
    group_by text default 'day',
    bucket_start timestamptz default null,
    status text default null,
    figure text default null,
    category text default null,
    currency text default null,
    provider_id uuid default null,
    area text default null,
    cell_deg numeric default 0.02,
    after_start timestamptz default null,
    after_id uuid default null,
    page_size integer default 100
)
returns table (
    booking_id uuid,
    starts_at timestamptz,
    starts_local timestamp,
    time_zone text,
    booking_provider_id uuid,
    business_name text,
    booking_area text,
    area_name_en text,
    area_name_fr text,
    booking_category text,
    service_name text,
    customer_name text,
    booking_status text,
    booking_currency text,
    booked_cents bigint,
    lead_minutes bigint,
    cancelled_by text,
    cancelled_late boolean,
    captured_cents bigint,
    refunded_cents bigint,
    fees_kept_cents bigint,
    net_cents bigint,
    outstanding_cents bigint,
    created_at timestamptz,
    total bigint,
    total_exact boolean
)
language sql
stable
set search_path = ''
as $$
    select * from internal.analytics_bookings(
        analytics_bookings."from", analytics_bookings."to", analytics_bookings.tz, analytics_bookings.group_by,
        analytics_bookings.bucket_start, analytics_bookings.status, analytics_bookings.figure,
        analytics_bookings.category, analytics_bookings.currency, analytics_bookings.provider_id,
        analytics_bookings.area, analytics_bookings.cell_deg, analytics_bookings.after_start,
        analytics_bookings.after_id, analytics_bookings.page_size
    )
$$;
comment on function api.analytics_bookings(
    date, date, text, text, timestamptz, text, text, text, text, uuid, text, numeric, timestamptz, uuid, integer
) is
$$The bookings behind a figure of the analytics (ops: every provider, or one; a provider: its own), a page at a time.

Inputs: from, to, tz and group_by as in the figure's call (tz defaults to the provider's own zone, or UTC
for ops across providers); bucket_start (optional: a row's bucket_start, the bucket at group_by, cut at the
range's ends; without it the whole range); status (one of the six); figure (optional: only the bookings
that add to it: cancelled_by_customer, _provider, _ops, _system, cancelled_late, captured_cents,
refunded_cents, fees_kept_cents, net_cents, outstanding_cents; bookings, booked_cents and lead_minutes keep
all; new_customers, ops only: the customers' first bookings, analytics_customers' new_customers); category (slug); currency; provider_id (a provider: omit it or give its own; ops: optional); area
(as analytics_areas names it: a neighbourhood's slug, other, or a grid cell "lat,lng" of cell_deg degrees).
A booking counts in the bucket where its appointment starts, in its current status, in the area where its
provider is now: the rows are those a figure counts (their number equals a count; their money columns add
up to its sums). Paging: page_size (1 to 1000, default 100) rows in (starts_at, booking_id) order; the
next page passes the last row's starts_at and booking_id as after_start and after_id. total is the number
of matching bookings across pages, exact from the rollups without an area (every figure: a sum of money
counts the bookings whose amount is not zero), and with an area for every booking's figure and the
statuses completed, no_show and cancelled (a neighbourhood, or a cell of the default 0.02 degrees);
otherwise counted up to 10,000, and when more match, total is 10000 and total_exact is false ("more than
10,000"; total_exact is true otherwise). Each row: the booking, its start (instant and local in tz), its
provider and area, category, service, customer's name, status and its own figures (booked_cents,
lead_minutes, cancelled_by, cancelled_late, captured, refunded, fees kept, net, outstanding).
Accept: text/csv gives CSV. Definitions: docs/analytics.md.
Errors: 400 invalid_input naming from, to, tz, group_by, bucket_start, status, figure, category,
currency, area, cell_deg, after_start or page_size; 403 forbidden (another provider's id, or a customer);
404 not_found (no such provider, or no provider profile).$$;
